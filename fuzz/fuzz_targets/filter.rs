//! `filter`: arbitrary text as a `$filter` through `entitle_graph::Filter`.
//!
//! ## Input format
//!
//! Byte 0 chooses the API version (bit 0) and the enum preference (bit 1); the rest, read as UTF-8
//! with replacement, is the filter.
//!
//! ## Property
//!
//! Parsing never panics, however deep or long the text. A filter that parses answers `matches` for
//! a request in every status without panicking, and never matches a request whose status lies outside
//! the statuses it narrows a store read to (`Filter::statuses`): the narrowing is safe.

#![no_main]

use entitle_core::{
    Action, ActionKind, ApiVersion, Guid, PolicyRules, Request, RequestId, RequestStatus,
    SubjectId, Timestamp, VariantArray,
};
use entitle_graph::{EnumPreference, Filter, FilterFacts};
use libfuzzer_sys::fuzz_target;

const T0: Timestamp = Timestamp(1_767_225_600_000);

fn requests() -> Vec<Request> {
    let base = Request::submit(
        RequestId::new(Guid::from_u128(0x10)),
        SubjectId::new(Guid::from_u128(0xa001)),
        PolicyRules::default(),
        None,
        T0,
    )
    .expect("a valid submission");
    RequestStatus::VARIANTS
        .iter()
        .map(|status| {
            let mut request = base;
            request.status = *status;
            if status.is_completed() {
                request.completed_at = Some(T0);
            }
            request
        })
        .chain(
            base.apply(&Action::by_system(ActionKind::Process), T0)
                .map(|step| step.request),
        )
        .collect()
}

fuzz_target!(|data: &[u8]| {
    let Some((&choice, text)) = data.split_first() else {
        return;
    };
    let api = if choice & 1 == 0 {
        ApiVersion::V1
    } else {
        ApiVersion::Beta
    };
    let preference = EnumPreference {
        include_unknown_members: choice & 2 != 0,
        beta_lower_camel: false,
    };
    let text = String::from_utf8_lossy(text);
    let Ok(filter) = Filter::parse(&text, api, preference) else {
        return;
    };
    let narrowed = filter.statuses();
    for request in requests() {
        let matched = filter.matches(&FilterFacts {
            request: &request,
            access_package_id: "00000000-0000-4000-8000-0000000ba001",
        });
        if matched && let Some(statuses) = &narrowed {
            assert!(
                statuses.contains(&request.status),
                "`{text}` matches a `{}` request outside its narrowing {statuses:?}",
                request.status
            );
        }
    }
});
