//! Graph's `DateTimeOffset` values: RFC 3339 text to and from entitle-core's millisecond timestamps.
//!
//! Parsing is the `time` crate's; formatting is entitle's own, because it is total over every
//! millisecond timestamp, where `time` represents no year past 9999 (D34).

use entitle_core::Timestamp;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// Milliseconds in a day.
const DAY_MS: u64 = 86_400_000;

/// 10000-01-01T00:00:00Z: from here on [`format`] writes five-digit years, which RFC 3339 has not.
const END_MS: u64 = 253_402_300_800_000;

/// Days from 0000-03-01 to 1970-01-01 in the proleptic Gregorian calendar.
const EPOCH_SHIFT_DAYS: i64 = 719_468;

/// Why a date-time string was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("invalid date-time `{value}`: expected RFC 3339 such as `2026-01-31T09:30:00Z`")]
pub struct InvalidDateTime {
    /// The text given.
    pub value: String,
}

/// Formats `at` as UTC RFC 3339 with milliseconds, as Graph shows it: `2026-01-31T09:30:00.000Z`.
pub fn format(at: Timestamp) -> String {
    let days = at.0 / DAY_MS;
    let ms_of_day = at.0 % DAY_MS;
    let (year, month, day) = civil_from_days(i64::try_from(days).unwrap_or(i64::MAX));
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        ms_of_day / 3_600_000,
        ms_of_day / 60_000 % 60,
        ms_of_day / 1_000 % 60,
        ms_of_day % 1_000
    )
}

/// Parses RFC 3339 (`Z` or a `±hh:mm` offset, optional fraction) into a timestamp, with the `time`
/// crate's RFC 3339 parser held to `OData`'s `dateTimeOffsetValue`: a `T` (or `t`) between date and time,
/// where `time` takes any character, and no leap second, which `time` reads as the instant before.
///
/// Fractions beyond milliseconds are truncated; instants before 1970, or from the year 10000 on in UTC
/// (which [`format()`] could not write as RFC 3339), are refused.
///
/// # Errors
/// [`InvalidDateTime`] for anything else.
pub fn parse(text: &str) -> Result<Timestamp, InvalidDateTime> {
    parse_instant(text).ok_or_else(|| InvalidDateTime {
        value: text.to_owned(),
    })
}

fn parse_instant(text: &str) -> Option<Timestamp> {
    let separator = text.as_bytes().get(10);
    if !matches!(separator, Some(b'T' | b't')) || text.get(17..19) == Some("60") {
        return None;
    }
    let parsed = OffsetDateTime::parse(text, &Rfc3339).ok()?;
    let ms = parsed.unix_timestamp_nanos().div_euclid(1_000_000);
    u64::try_from(ms)
        .ok()
        .filter(|ms| *ms < END_MS)
        .map(Timestamp)
}

/// The civil date of a count of days since 1970-01-01 (Howard Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days.saturating_add(EPOCH_SHIFT_DAYS);
    let era = z.div_euclid(146_097);
    let day_of_era = z - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1_460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let mp = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_known_instants() {
        assert_eq!(format(Timestamp(0)), "1970-01-01T00:00:00.000Z");
        assert_eq!(
            format(Timestamp(1_767_225_600_000)),
            "2026-01-01T00:00:00.000Z"
        );
        assert_eq!(
            format(Timestamp(951_782_400_123)),
            "2000-02-29T00:00:00.123Z"
        );
        assert_eq!(
            format(Timestamp(4_102_444_799_999)),
            "2099-12-31T23:59:59.999Z"
        );
    }

    #[test]
    fn parses_what_graph_and_clients_send() {
        assert_eq!(
            parse("2026-01-01T00:00:00Z"),
            Ok(Timestamp(1_767_225_600_000))
        );
        assert_eq!(
            parse("2026-01-01T00:00:00.5Z"),
            Ok(Timestamp(1_767_225_600_500))
        );
        assert_eq!(
            parse("2026-01-01T00:00:00.1234567Z"),
            Ok(Timestamp(1_767_225_600_123))
        );
        assert_eq!(
            parse("2026-01-01T01:00:00+01:00"),
            Ok(Timestamp(1_767_225_600_000))
        );
        assert_eq!(
            parse("2025-12-31T23:00:00-01:00"),
            Ok(Timestamp(1_767_225_600_000))
        );
        assert_eq!(
            parse("2000-02-29t00:00:00z"),
            Ok(Timestamp(951_782_400_000))
        );
    }

    #[test]
    fn refuses_malformed_text() {
        for text in [
            "",
            "2026-01-01",
            "2026-01-01 00:00:00Z",
            "2026-13-01T00:00:00Z",
            "2026-02-29T00:00:00Z",
            "2026-01-01T24:00:00Z",
            "2026-01-01T00:00:00",
            "2026-01-01T00:00:00.Z",
            "2026-01-01T00:00:00+1:00",
            "1969-12-31T23:59:59Z",
            "9999-12-31T23:59:59.999-00:01",
            "２026-01-01T00:00:00Z",
            "2026-01-01T00:00:00Zjunk",
        ] {
            assert_eq!(
                parse(text),
                Err(InvalidDateTime {
                    value: text.to_owned()
                }),
                "{text}"
            );
        }
    }

    proptest::proptest! {
        #[test]
        fn format_then_parse_is_the_identity(ms in 0_u64..253_402_300_800_000) {
            proptest::prop_assert_eq!(parse(&format(Timestamp(ms))), Ok(Timestamp(ms)));
        }

        #[test]
        fn parse_never_panics(text in "\\PC{0,40}") {
            let _ = parse(&text);
        }
    }
}
