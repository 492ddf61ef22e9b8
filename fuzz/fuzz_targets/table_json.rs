//! `table_json`: arbitrary bytes as a table file for `entitle_audit::Export::from_json`.
//!
//! An input whose first byte can start JSON (`{`, `[`, `"`, a digit, `-`, `t`, `f`, `n` or whitespace)
//! is the file itself, lossily decoded as UTF-8. Any other input is an edit program over the built-in
//! table (three bytes per edit: remove, repeat, move or rewrite rows, statuses and authority entries,
//! set awkward rule and header text), whose result is written as a file, with or without a valid
//! header, and loaded the same way: random
//! JSON rarely loads, and the programs reach deep into `verify` and `diff` with tables that do.
//!
//! Loading may fail; nothing may panic. When a table loads, everything an auditor can do with it runs:
//! `verify`, `diff` against the built-in table both ways and against itself, and every `Format` of
//! `render::table` and `render::matrix` (in the API spelling the input's last byte picks). Properties
//! checked besides "no panic":
//!
//! - `verify` reports every check once, in order, with progress from 0 to the total;
//! - a table differs from itself in nothing, and the built-in table verifies clean;
//! - the table re-exported without a header (`Export { entitle: None, table }.to_json()`), and its
//!   JSON rendering with a header, both load back equal;
//! - rendered with the loaded header (whose strings the input controls; a fresh `Header::new` when the
//!   file has none), every comment line of the CSV, DOT and Mermaid headers starts with its comment
//!   prefix, and the Markdown header's HTML comment ends where the header does.
//!
//! Under coverage instrumentation a full-size table (the built-in one is 35 KB of JSON, 1,512
//! authority cells) takes milliseconds to load, more to verify, diff three times and render ten
//! times, so only loading runs on every input; the rest is a deterministic sample by the FNV-1a hash
//! of the input's bytes:
//!
//! - every input: the file loads or is refused without a panic; a JSON text that loads is re-exported
//!   without a header and loads back equal;
//! - one input in [`VERIFY_EVERY`]: `verify` and its properties, once per distinct table file (the same
//!   table verifies the same);
//! - one input in [`FULL_EVERY`]: all of it, as listed above (an edit program's re-export round trip
//!   too; its file is `to_json`'s already, and loading it is the round trip's second half).

#![no_main]

use std::collections::HashSet;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::{Mutex, OnceLock};

use entitle_audit::render::{self, Format};
use entitle_audit::verify::{Check, Progress, verify};
use entitle_audit::{Actor, Export, Header, LifecycleTable, diff::diff};
use entitle_core::{
    ActionKind, ApiVersion, Condition, Decision, Operation, Provenance, RequestState,
    RequestStatus, Source, VariantArray,
};
use libfuzzer_sys::fuzz_target;

/// One input in this many (by hash) that loads a table gets the diffs and the renderings (and, for an
/// edit program, the re-export round trip).
const FULL_EVERY: u32 = 32;
/// One input in this many (by hash) that loads a table gets `verify`.
const VERIFY_EVERY: u32 = 8;
/// The most tables remembered as verified (then the memory starts afresh).
const VERIFIED: usize = 1 << 20;

/// Whether the table written as `json` (its bare re-export, or an edit program's file) is verified for
/// the first time: `verify` and `check_verify` depend on the table alone, so a table verified already
/// needs no second run.
fn first_verification(json: &str) -> bool {
    static SEEN: OnceLock<Mutex<HashSet<u64>>> = OnceLock::new();
    let mut hasher = DefaultHasher::new();
    json.hash(&mut hasher);
    let mut seen = SEEN
        .get_or_init(|| Mutex::new(HashSet::new()))
        .lock()
        .expect("not poisoned");
    if seen.len() >= VERIFIED {
        seen.clear();
    }
    seen.insert(hasher.finish())
}

/// The 32-bit FNV-1a hash of `data`.
fn fnv1a(data: &[u8]) -> u32 {
    data.iter().fold(0x811c_9dc5, |hash, &byte| {
        (hash ^ u32::from(byte)).wrapping_mul(0x0100_0193)
    })
}

fn builtin() -> &'static LifecycleTable {
    static BUILTIN: OnceLock<LifecycleTable> = OnceLock::new();
    BUILTIN.get_or_init(|| {
        let table = LifecycleTable::builtin();
        assert!(
            verify(&table, &mut |_| {}).passed(),
            "the built-in table verifies"
        );
        table
    })
}

fn check_verify(table: &LifecycleTable) {
    let mut seen: Vec<Progress> = Vec::new();
    let report = verify(table, &mut |progress| seen.push(progress));
    let checks: Vec<Check> = report.outcomes.iter().map(|o| o.check).collect();
    assert_eq!(
        checks,
        Check::VARIANTS,
        "verify runs every check once, in order"
    );
    let total = Check::VARIANTS.len();
    let expected: Vec<Progress> = (0..=total).map(|done| Progress { done, total }).collect();
    assert_eq!(seen, expected, "verify's progress");
    for outcome in &report.outcomes {
        if outcome.passed {
            assert!(
                outcome.counterexample.is_empty(),
                "{} passed with a counterexample",
                outcome.check
            );
        }
    }
    let failed = report.failed();
    assert_eq!(report.passed(), failed.is_empty());
    let _ = report.to_text();
    let json = report.to_json();
    assert!(
        serde_json::from_str::<serde_json::Value>(&json).is_ok(),
        "report JSON parses"
    );
}

fn check_diff(table: &LifecycleTable) {
    for (old, new) in [(builtin(), table), (table, builtin())] {
        let found = diff(old, new);
        let _ = found.to_text();
        let json = found.to_json();
        assert!(
            serde_json::from_str::<serde_json::Value>(&json).is_ok(),
            "diff JSON parses"
        );
        let _ = found.grants_new_access();
    }
    let same = diff(table, table);
    assert!(
        same.is_empty(),
        "a table differs from itself: {}",
        same.to_text()
    );
    assert!(!same.grants_new_access());
}

/// Renders every format of the table and the matrix with `header`, spelled for `api`.
fn check_render(table: &LifecycleTable, header: &Header, api: ApiVersion) {
    for &format in Format::VARIANTS {
        let rendered = render::table(table, format, api, header);
        let matrix = render::matrix(table, format, api, header);
        match format {
            Format::Json => {
                let loaded = Export::from_json(&rendered)
                    .unwrap_or_else(|error| panic!("rendered JSON does not load: {error}"));
                assert_eq!(loaded.entitle.as_ref(), Some(header), "rendered header");
                assert_eq!(&loaded.table, table, "rendered JSON table");
                assert!(
                    serde_json::from_str::<serde_json::Value>(&matrix).is_ok(),
                    "matrix JSON parses"
                );
            }
            Format::Md => {
                for rendered in [&rendered, &matrix] {
                    check_markdown_comment(rendered);
                }
            }
            Format::Csv | Format::Dot | Format::Mermaid => {
                let prefix = match format {
                    Format::Csv => "#",
                    Format::Dot => "//",
                    _ => "%%",
                };
                let comment = header.comment_lines(prefix);
                assert!(
                    comment.lines().all(|line| line.starts_with(prefix)),
                    "{format} header breaks out of its comment: {comment:?}"
                );
                assert!(
                    rendered.starts_with(&comment),
                    "{format} table starts with its header"
                );
                assert!(
                    matrix.starts_with(&comment),
                    "{format} matrix starts with its header"
                );
            }
        }
    }
}

/// The Markdown header is one HTML comment, which ends where the header does.
fn check_markdown_comment(rendered: &str) {
    assert!(
        rendered.starts_with("<!--\n"),
        "markdown starts with a comment"
    );
    let end = rendered.find("-->").expect("the markdown comment ends");
    assert!(
        rendered[end..].starts_with("-->\n\nNames as spelled by Graph"),
        "markdown header comment ends early: {:?}",
        &rendered[..end]
    );
}

/// Whether `byte` can start a JSON text.
fn starts_json(byte: u8) -> bool {
    byte.is_ascii_whitespace() || byte.is_ascii_digit() || b"{[\"-tfn".contains(&byte)
}

/// `VARIANTS[n % len]`.
fn pick<T: Copy>(variants: &[T], n: u8) -> T {
    variants[usize::from(n) % variants.len()]
}

fn provenance(n: u8) -> Provenance {
    if n & 1 == 0 {
        Provenance::Documented(pick(Source::VARIANTS, n >> 1))
    } else {
        Provenance::Modelled(pick(Decision::VARIANTS, n >> 1))
    }
}

/// Text that markup and comment syntaxes must escape: for authority rules and header strings.
const AWKWARD: &[&str] = &[
    "0.1.0",
    "a | b",
    "line\nbreak\r\nagain",
    "-- --> <!-- --!>",
    "\"quoted\", comma",
    "# // %% \\ `tick`",
    "é \u{2028} \u{85} \t",
    "",
];

/// The built-in table edited by `program`, as a table file.
fn edited_table_file(program: &[u8]) -> String {
    let mut table = builtin().clone();
    let mut header: Option<&str> = None;
    for edit in program.chunks(3) {
        let op = edit[0];
        let a = edit.get(1).copied().unwrap_or(0);
        let b = edit.get(2).copied().unwrap_or(0);
        let rows = table.transitions.len();
        let row = (rows > 0).then(|| usize::from(a) % rows);
        let statuses = table.statuses.len();
        let entry = (statuses > 0).then(|| usize::from(a) % statuses);
        let entries = table.authority.len();
        let grant = (entries > 0).then(|| usize::from(a) % entries);
        match (op % 21, row, entry, grant) {
            (0, Some(i), _, _) => {
                table.transitions.remove(i);
            }
            (1, Some(i), _, _) => {
                let copy = table.transitions[i];
                table.transitions.insert(usize::from(b) % (rows + 1), copy);
            }
            (2, Some(i), _, _) => table.transitions.swap(i, usize::from(b) % rows),
            (3, Some(i), _, _) => table.transitions[i].from = pick(RequestStatus::VARIANTS, b),
            (4, Some(i), _, _) => table.transitions[i].to = pick(RequestStatus::VARIANTS, b),
            (5, Some(i), _, _) => table.transitions[i].action = pick(ActionKind::VARIANTS, b),
            (6, Some(i), _, _) => table.transitions[i].when = pick(Condition::VARIANTS, b),
            (7, Some(i), _, _) => table.transitions[i].provenance = provenance(b),
            (8, _, Some(i), _) => {
                table.statuses.remove(i);
            }
            (9, _, Some(i), _) => {
                let copy = table.statuses[i].clone();
                table.statuses.insert(usize::from(b) % (statuses + 1), copy);
            }
            (10, _, Some(i), _) => table.statuses.swap(i, usize::from(b) % statuses),
            (11, _, Some(i), _) => table.statuses[i].terminal ^= true,
            (12, _, Some(i), _) => table.statuses[i].completed ^= true,
            (13, _, Some(i), _) => table.statuses[i].state = pick(RequestState::VARIANTS, b),
            (14, _, Some(i), _) => table.statuses[i].provenance = provenance(b),
            (15, _, _, Some(i)) => {
                let status = pick(RequestStatus::VARIANTS, b);
                let list = &mut table.authority[i].authorized_in;
                if let Some(at) = list.iter().position(|s| *s == status) {
                    list.remove(at);
                } else {
                    list.insert(usize::from(b >> 4) % (list.len() + 1), status);
                }
            }
            (16, _, _, Some(i)) => {
                table.authority.remove(i);
            }
            (17, _, _, Some(i)) => {
                let copy = table.authority[i].clone();
                table.authority.insert(usize::from(b) % (entries + 1), copy);
            }
            (18, _, _, Some(i)) => {
                let entry = &mut table.authority[i];
                if b & 1 == 0 {
                    entry.actor = pick(Actor::VARIANTS, b >> 1);
                } else {
                    entry.operation = pick(&Operation::all(), b >> 1);
                }
            }
            (19, _, _, Some(i)) => pick(AWKWARD, b).clone_into(&mut table.authority[i].rule),
            (20, ..) => header = (b & 1 == 1).then(|| pick(AWKWARD, b >> 1)),
            _ => {}
        }
    }
    if let Some(version) = header {
        Export::new(
            table,
            version,
            Some(pick(AWKWARD, program.len().to_le_bytes()[0])),
        )
        .to_json()
    } else {
        Export {
            entitle: None,
            table,
        }
        .to_json()
    }
}

fuzz_target!(|data: &[u8]| {
    let hash = fnv1a(data);
    let full = hash.is_multiple_of(FULL_EVERY);
    let (text, edited) = match data.split_first() {
        Some((&first, program)) if !starts_json(first) => (edited_table_file(program), true),
        _ => (String::from_utf8_lossy(data).into_owned(), false),
    };
    let Ok(export) = Export::from_json(&text) else {
        return;
    };
    let Export {
        entitle: header,
        table,
    } = export;

    // An edit program's file is `to_json`'s already: its round trip is one more on the sample only.
    let json = (!edited || full).then(|| {
        let bare = Export {
            entitle: None,
            table: table.clone(),
        };
        let json = bare.to_json();
        let reloaded = Export::from_json(&json)
            .unwrap_or_else(|error| panic!("a loaded table re-exported does not load: {error}"));
        assert_eq!(reloaded, bare, "re-export round trip");
        json
    });

    if hash.is_multiple_of(VERIFY_EVERY) && first_verification(json.as_deref().unwrap_or(&text)) {
        check_verify(&table);
    }
    if !full {
        return;
    }
    check_diff(&table);
    // The loaded header when there is one (its strings come from the input), else a fresh one; one
    // API spelling per input, chosen by its last byte.
    let header = header.unwrap_or_else(|| Header::new(&table, "0.0.0-fuzz", Some("fuzz")));
    let api = if data.last().is_some_and(|byte| byte & 1 == 1) {
        ApiVersion::Beta
    } else {
        ApiVersion::V1
    };
    check_render(&table, &header, api);
});
