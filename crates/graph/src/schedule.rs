//! `schedule`: when a requested assignment starts and how it ends (`entitlementManagementSchedule`
//! in v1.0, `requestSchedule` in beta), and ISO 8601 durations (`Edm.Duration`).

use entitle_core::{ApiVersion, Duration, Timestamp};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::datetime;

/// `expiration.type` (`expirationPattern`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ExpirationType {
    /// `notSpecified`: the body named no end.
    #[default]
    NotSpecified,
    /// `noExpiration`.
    NoExpiration,
    /// `afterDateTime`: at `endDateTime`.
    AfterDateTime,
    /// `afterDuration`: `duration` after the start.
    AfterDuration,
}

impl ExpirationType {
    const ALL: [Self; 4] = [
        Self::NotSpecified,
        Self::NoExpiration,
        Self::AfterDateTime,
        Self::AfterDuration,
    ];

    /// The Graph name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::NotSpecified => "notSpecified",
            Self::NoExpiration => "noExpiration",
            Self::AfterDateTime => "afterDateTime",
            Self::AfterDuration => "afterDuration",
        }
    }

    /// The type a Graph name names.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.as_str() == text)
    }
}

/// What the requestor asked of the schedule beyond its start and end instants, which entitle-core
/// keeps: how the end was given, and the recurrence (kept and shown; "not used in access requests").
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RequestedSchedule {
    /// `expiration.type`.
    pub expiration: ExpirationType,
    /// `expiration.duration`, as sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration: Option<String>,
    /// `recurrence`, as sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recurrence: Option<Value>,
}

/// The schedule Graph shows in `api` (`entitlementManagementSchedule` in v1.0, `requestSchedule` in
/// beta, each with its `@odata.type`, as Microsoft's examples show it): the core's instants, and how
/// they were asked for (`None` for a request kept without it, whose end type follows from its end).
pub(crate) fn schedule_wire(
    api: ApiVersion,
    starts_at: Option<Timestamp>,
    ends_at: Option<Timestamp>,
    requested: Option<&RequestedSchedule>,
) -> Value {
    let kind = match (requested, ends_at) {
        (Some(requested), _) => requested.expiration,
        (None, Some(_)) => ExpirationType::AfterDateTime,
        (None, None) => ExpirationType::NoExpiration,
    };
    let end = match kind {
        ExpirationType::AfterDateTime => ends_at.map(datetime::format),
        _ => None,
    };
    let type_name = match api {
        ApiVersion::V1 => "#microsoft.graph.entitlementManagementSchedule",
        ApiVersion::Beta => "#microsoft.graph.requestSchedule",
    };
    json!({
        "@odata.type": type_name,
        "startDateTime": starts_at.map(datetime::format),
        "recurrence": requested.and_then(|requested| requested.recurrence.clone()),
        "expiration": {
            "@odata.type": "#microsoft.graph.expirationPattern",
            "endDateTime": end,
            "duration": requested.and_then(|requested| requested.duration.clone()),
            "type": kind.as_str(),
        },
    })
}

/// Why a duration was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "`{0}` is not an ISO 8601 duration of days, hours, minutes and seconds (such as `P30D` or `PT8H`)"
)]
pub struct InvalidDuration(String);

/// An ISO 8601 duration of days, hours, minutes and whole or fractional seconds (`P1DT12H`,
/// `PT90M`, `P14D`), as `Edm.Duration` writes it; years and months, whose length varies, and
/// negative durations are refused.
///
/// # Errors
/// [`InvalidDuration`].
pub fn parse_duration(text: &str) -> Result<Duration, InvalidDuration> {
    let refuse = || InvalidDuration(text.to_owned());
    let rest = text.strip_prefix('P').ok_or_else(refuse)?;
    let (date, time) = match rest.split_once('T') {
        Some((date, time)) if !time.is_empty() => (date, Some(time)),
        Some(_) => return Err(refuse()),
        None => (rest, None),
    };
    if date.is_empty() && time.is_none() {
        return Err(refuse());
    }
    let mut millis: u64 = 0;
    let mut add = |part: &str, units: &[(char, u64)]| -> Result<(), InvalidDuration> {
        let mut rest = part;
        let mut allowed = units;
        while !rest.is_empty() {
            let end = rest
                .find(|c: char| !c.is_ascii_digit() && c != '.')
                .ok_or_else(refuse)?;
            let (number, tail) = rest.split_at(end);
            let unit = tail.chars().next().ok_or_else(refuse)?;
            let position = allowed
                .iter()
                .position(|(name, _)| *name == unit)
                .ok_or_else(refuse)?;
            let scale = allowed
                .get(position)
                .map(|(_, scale)| *scale)
                .ok_or_else(refuse)?;
            allowed = allowed.get(position + 1..).unwrap_or_default();
            let amount = if unit == 'S' {
                let seconds: f64 = number.parse().map_err(|_| refuse())?;
                if !seconds.is_finite() || !(0.0..=1e12).contains(&seconds) {
                    return Err(refuse());
                }
                #[allow(
                    clippy::cast_possible_truncation,
                    clippy::cast_sign_loss,
                    reason = "finite, non-negative and bounded just above"
                )]
                let millis = (seconds * 1000.0).round() as u64;
                millis
            } else {
                if number.is_empty() || !number.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(refuse());
                }
                number
                    .parse::<u64>()
                    .ok()
                    .and_then(|n| n.checked_mul(scale))
                    .ok_or_else(refuse)?
            };
            millis = millis.checked_add(amount).ok_or_else(refuse)?;
            rest = tail.get(unit.len_utf8()..).unwrap_or_default();
        }
        Ok(())
    };
    add(date, &[('D', 86_400_000)])?;
    if let Some(time) = time {
        add(time, &[('H', 3_600_000), ('M', 60_000), ('S', 1)])?;
    }
    Ok(Duration(millis))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]

    use super::*;

    #[test]
    fn durations_of_days_and_time_parse() {
        for (text, millis) in [
            ("P30D", 30 * 86_400_000),
            ("PT8H", 8 * 3_600_000),
            ("P1DT12H", 36 * 3_600_000),
            ("PT90M", 90 * 60_000),
            ("PT1.5S", 1_500),
            ("P0D", 0),
            (
                "P2DT3H4M5S",
                2 * 86_400_000 + 3 * 3_600_000 + 4 * 60_000 + 5_000,
            ),
        ] {
            assert_eq!(parse_duration(text), Ok(Duration(millis)), "{text}");
        }
    }

    #[test]
    fn other_durations_are_refused() {
        for text in [
            "",
            "P",
            "PT",
            "30D",
            "P1Y",
            "P1M",
            "P1W",
            "-P1D",
            "P1H",
            "PT1D",
            "P1DT",
            "PD",
            "PT-1S",
            "PT1M2H",
            "P1D1D",
            "P99999999999999999999D",
            "PTNaNS",
            "PT1e3S",
            "P1.5D",
        ] {
            assert!(parse_duration(text).is_err(), "{text}");
        }
    }

    #[test]
    fn the_schedule_shows_how_its_end_was_asked() {
        let start = Timestamp(1_767_225_600_000);
        let requested = RequestedSchedule {
            expiration: ExpirationType::AfterDuration,
            duration: Some("P30D".into()),
            recurrence: None,
        };
        let wire = schedule_wire(
            ApiVersion::V1,
            Some(start),
            Some(start.after(Duration::days(30))),
            Some(&requested),
        );
        assert_eq!(wire["expiration"]["type"], "afterDuration");
        assert_eq!(wire["expiration"]["duration"], "P30D");
        assert_eq!(wire["expiration"]["endDateTime"], Value::Null);
        assert_eq!(
            wire["@odata.type"],
            "#microsoft.graph.entitlementManagementSchedule"
        );
        let kept = schedule_wire(ApiVersion::Beta, None, None, None);
        assert_eq!(kept["@odata.type"], "#microsoft.graph.requestSchedule");
        assert_eq!(kept["expiration"]["type"], "noExpiration");
        assert!(kept["expiration"].get("endDateTime").unwrap().is_null());
        assert!(kept.get("recurrence").unwrap().is_null());
    }
}
