//! Why entitle keeps two pieces of its own beside the kept crates that do most of their job (D34),
//! as facts that fail when the crates change: the `time` crate's RFC 3339 parser takes what `OData`'s
//! `dateTimeOffsetValue` refuses (so `entitle_graph::datetime::parse` holds it to a `T` and no leap
//! second) and `time` cannot represent the instants past 9999 that `datetime::format` writes;
//! `governor`'s keyed limiter keeps every client seen within a refill window, where entitle's keeps at
//! most `max_clients`.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

use std::net::{IpAddr, Ipv4Addr};
use std::num::NonZeroU32;

use entitle_core::Timestamp;
use entitle_graph::datetime;
use entitle_server::limits::{ClientKey, RateLimiter};
use entitle_server::{Limits, ManualTime, TimeSource};
use governor::Quota;
use governor::clock::FakeRelativeClock;
use governor::middleware::NoOpMiddleware;
use governor::nanos::Nanos;
use governor::state::keyed::HashMapStateStore;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

#[test]
fn time_reads_what_odata_refuses_and_entitle_refuses_it() {
    for text in [
        "2026-01-01 00:00:00Z",
        "2026-01-01x00:00:00Z",
        "2026-12-31T23:59:60Z",
    ] {
        assert!(OffsetDateTime::parse(text, &Rfc3339).is_ok(), "{text}");
        assert!(datetime::parse(text).is_err(), "{text}");
    }
}

#[test]
fn time_cannot_hold_what_entitle_formats_past_9999() {
    let year_10000 = Timestamp(253_402_300_800_000);
    assert_eq!(datetime::format(year_10000), "10000-01-01T00:00:00.000Z");
    let nanos = i128::from(year_10000.0) * 1_000_000;
    assert!(OffsetDateTime::from_unix_timestamp_nanos(nanos).is_err());
    assert!(datetime::format(Timestamp(u64::MAX)).ends_with('Z'));
}

#[test]
fn governor_keeps_every_recent_client_where_entitle_keeps_a_bounded_number() {
    const CLIENTS: u32 = 200;
    const BOUND: usize = 8;
    let peer = |n: u32| IpAddr::V4(Ipv4Addr::from(0x0a00_0000 + n));

    let clock = FakeRelativeClock::default();
    let quota =
        Quota::per_second(NonZeroU32::new(1).unwrap()).allow_burst(NonZeroU32::new(2).unwrap());
    let theirs: governor::RateLimiter<
        IpAddr,
        HashMapStateStore<IpAddr>,
        FakeRelativeClock,
        NoOpMiddleware<Nanos>,
    > = governor::RateLimiter::new(quota, HashMapStateStore::default(), clock);
    let ours = RateLimiter::new(&Limits {
        rate_per_second: 1,
        burst: 2,
        max_clients: BOUND,
        time: TimeSource::Manual(ManualTime::new()),
        ..Limits::default()
    })
    .unwrap();
    for n in 0..CLIENTS {
        assert!(theirs.check_key(&peer(n)).is_ok());
        assert!(ours.check(ClientKey::Peer(peer(n))).is_ok());
    }
    // Within the refill window no bucket is full, so governor can forget none.
    theirs.retain_recent();
    assert_eq!(theirs.len(), CLIENTS as usize);
    assert!(ours.clients() <= BOUND);
}
