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

    /// Advances the clock by `ms` unless that would move it past `latest`, returning the new offset
    /// (`None`, and the clock unchanged, when it would).
    pub fn advance_until(&self, ms: u64, latest: Timestamp) -> Option<u64> {
        let base = self.now().0.saturating_sub(self.offset());
        self.offset_ms
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |offset| {
                let next = offset.checked_add(ms)?;
                (base.checked_add(next)? <= latest.0).then_some(next)
            })
            .ok()
            .map(|previous| previous.saturating_add(ms))
    }

    /// Advances the clock by `ms`, returning the new offset.
    pub fn advance(&self, ms: u64) -> u64 {
        let previous = self
            .offset_ms
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |offset| {
                Some(offset.saturating_add(ms))
            })
            .unwrap_or_default();
        previous.saturating_add(ms)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_frozen_clock_moves_only_when_advanced() {
        let clock = Clock::new(ClockBase::Frozen(Timestamp(1_000)), 5);
        assert_eq!(clock.now(), Timestamp(1_005));
        assert_eq!(clock.advance(10), 15);
        assert_eq!(clock.now(), Timestamp(1_015));
        assert!(Clock::new(ClockBase::System, 0).now().0 > 1_700_000_000_000);
        assert_eq!(clock.advance_until(5, Timestamp(1_020)), Some(20));
        assert_eq!(clock.advance_until(1, Timestamp(1_020)), None);
        assert_eq!(clock.advance_until(u64::MAX, Timestamp(u64::MAX)), None);
        assert_eq!(clock.now(), Timestamp(1_020));
    }
}
