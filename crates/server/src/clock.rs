//! The server's clock: the system time (or a frozen start) plus the offset the control API has
//! advanced it by. The offset is kept in the store, so a restart keeps the virtual time.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use entitle_core::Timestamp;

/// Where the clock starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClockBase {
    /// The system time.
    System,
    /// A fixed instant: time moves only when the control API advances it.
    Frozen(Timestamp),
}

/// The server's notion of now.
#[derive(Debug)]
pub struct Clock {
    base: ClockBase,
    offset_ms: AtomicU64,
}

impl Clock {
    /// A clock on `base`, advanced by `offset_ms`.
    pub const fn new(base: ClockBase, offset_ms: u64) -> Self {
        Self {
            base,
            offset_ms: AtomicU64::new(offset_ms),
        }
    }

    /// The current time.
    pub fn now(&self) -> Timestamp {
        let base = match self.base {
            ClockBase::System => {
                let since_epoch = SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .unwrap_or_default();
                Timestamp(u64::try_from(since_epoch.as_millis()).unwrap_or(u64::MAX))
            }
            ClockBase::Frozen(at) => at,
        };
        Timestamp(base.0.saturating_add(self.offset()))
    }

    /// How far the clock has been advanced, in milliseconds.
    pub fn offset(&self) -> u64 {
        self.offset_ms.load(Ordering::SeqCst)
    }

    /// The largest offset that keeps the clock at or before `latest`.
    pub fn max_offset(&self, latest: Timestamp) -> u64 {
        let base = self.now().0.saturating_sub(self.offset());
        latest.0.saturating_sub(base)
    }

    /// Moves the clock to `offset_ms` past its base, as the store says it is now; the clock never
    /// moves back.
    pub fn catch_up(&self, offset_ms: u64) {
        self.offset_ms.fetch_max(offset_ms, Ordering::SeqCst);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_frozen_clock_moves_only_when_it_catches_up() {
        let clock = Clock::new(ClockBase::Frozen(Timestamp(1_000)), 5);
        assert_eq!(clock.now(), Timestamp(1_005));
        clock.catch_up(15);
        assert_eq!(clock.now(), Timestamp(1_015));
        clock.catch_up(10);
        assert_eq!(clock.now(), Timestamp(1_015), "never back");
        assert_eq!(clock.max_offset(Timestamp(1_020)), 20);
        assert_eq!(clock.max_offset(Timestamp(0)), 0);
        assert!(Clock::new(ClockBase::System, 0).now().0 > 1_700_000_000_000);
    }
}
