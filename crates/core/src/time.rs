//! Time as plain input: instants and spans in milliseconds, never read from a clock here.

use core::fmt;

use serde::{Deserialize, Serialize};

/// Milliseconds in one second.
const SECOND: u64 = 1_000;
/// Milliseconds in one hour.
const HOUR: u64 = 60 * 60 * SECOND;
/// Milliseconds in one day.
const DAY: u64 = 24 * HOUR;

/// An instant: milliseconds since the Unix epoch (UTC). Supplied by the caller.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Timestamp(pub u64);

/// A span of time in milliseconds.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Duration(pub u64);

impl Duration {
    /// A span of whole days.
    pub const fn days(days: u64) -> Self {
        Self(days.saturating_mul(DAY))
    }

    /// A span of whole hours.
    pub const fn hours(hours: u64) -> Self {
        Self(hours.saturating_mul(HOUR))
    }
}

impl Timestamp {
    /// The instant `span` after this one, saturating at the end of time.
    #[must_use]
    pub const fn after(self, span: Duration) -> Self {
        Self(self.0.saturating_add(span.0))
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}ms", self.0)
    }
}

impl fmt::Display for Duration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_multiple_of(DAY) {
            write!(f, "{} days", self.0 / DAY)
        } else {
            write!(f, "{}ms", self.0)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;

    #[test]
    fn spans_have_the_expected_lengths() {
        assert_eq!(Duration::days(14).0, 1_209_600_000);
        assert_eq!(Duration::hours(2).0, 7_200_000);
    }

    #[test]
    fn after_saturates_instead_of_overflowing() {
        assert_eq!(Timestamp(5).after(Duration(7)), Timestamp(12));
        assert_eq!(
            Timestamp(u64::MAX).after(Duration::days(1)),
            Timestamp(u64::MAX)
        );
        assert_eq!(Duration::days(u64::MAX), Duration(u64::MAX));
    }

    #[test]
    fn display_is_readable() {
        assert_eq!(Duration::days(14).to_string(), "14 days");
        assert_eq!(Duration(1_500).to_string(), "1500ms");
        assert_eq!(Timestamp(42).to_string(), "42ms");
    }
}
