//! The two pieces entitle writes by hand instead of using a kept crate (D34), against that crate
//! doing the same job in the same run: Graph's `DateTimeOffset` text (`entitle_graph::datetime`
//! against the `time` crate's RFC 3339) and the per-client rate limit (`entitle_server::limits`'
//! GCRA against `governor`'s keyed limiter). `just bench-kept` prints the ratios.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "benchmark set-up")]

use std::net::{IpAddr, Ipv4Addr};
use std::num::NonZeroU32;

use divan::{Bencher, black_box};
use entitle_core::Timestamp;
use entitle_graph::datetime;
use entitle_server::Limits;
use entitle_server::limits::{ClientKey, RateLimiter};
use governor::Quota;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

fn main() {
    divan::main();
}

const TEXTS: [&str; 3] = [
    "2026-01-31T09:30:00Z",
    "2026-01-31T09:30:00.1234567Z",
    "2026-01-31T10:30:00.123+01:00",
];
const INSTANT: Timestamp = Timestamp(1_769_851_800_123);
/// Distinct clients the limiters see in turn.
const CLIENTS: u32 = 1_000;
/// A rate no benchmark reaches, so every check is allowed.
const RATE: u32 = 1_000_000_000;

#[divan::bench_group(sample_size = 1_000)]
mod parse {
    use super::{OffsetDateTime, Rfc3339, TEXTS, Timestamp, black_box, datetime};

    #[divan::bench(args = TEXTS)]
    fn entitle(text: &str) -> Timestamp {
        datetime::parse(black_box(text)).unwrap()
    }

    #[divan::bench(args = TEXTS)]
    fn time_crate(text: &str) -> u64 {
        let parsed = OffsetDateTime::parse(black_box(text), &Rfc3339).unwrap();
        u64::try_from(parsed.unix_timestamp_nanos() / 1_000_000).unwrap()
    }
}

#[divan::bench_group(sample_size = 1_000)]
mod format {
    use super::{Bencher, INSTANT, OffsetDateTime, black_box, datetime};

    #[divan::bench]
    fn entitle() -> String {
        datetime::format(black_box(INSTANT))
    }

    #[divan::bench]
    fn time_crate(bencher: Bencher) {
        let description = time::format_description::parse_borrowed::<2>(
            "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z",
        )
        .unwrap();
        bencher.bench(|| {
            let nanos = i128::from(black_box(INSTANT).0) * 1_000_000;
            OffsetDateTime::from_unix_timestamp_nanos(nanos)
                .unwrap()
                .format(&description)
                .unwrap()
        });
    }
}

fn client(n: u32) -> IpAddr {
    IpAddr::V4(Ipv4Addr::from(0x0a00_0000 + n % CLIENTS))
}

#[divan::bench_group(sample_size = 1_000)]
mod rate_limit {
    use super::{Bencher, ClientKey, Limits, NonZeroU32, Quota, RATE, RateLimiter, client};

    #[divan::bench]
    fn entitle(bencher: Bencher) {
        let limiter = RateLimiter::new(&Limits {
            rate_per_second: RATE,
            burst: RATE,
            ..Limits::default()
        })
        .unwrap();
        let mut n = 0_u32;
        bencher.bench_local(|| {
            n = n.wrapping_add(1);
            limiter.check(ClientKey::Peer(client(n))).unwrap();
        });
    }

    #[divan::bench]
    fn governor(bencher: Bencher) {
        let rate = NonZeroU32::new(RATE).unwrap();
        let limiter = governor::RateLimiter::hashmap(Quota::per_second(rate).allow_burst(rate));
        let mut n = 0_u32;
        bencher.bench_local(|| {
            n = n.wrapping_add(1);
            limiter.check_key(&client(n)).unwrap();
        });
    }
}
