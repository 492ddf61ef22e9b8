//! The JSON document exports write and `verify`/`diff` load, with its provenance header.

use core::fmt::Write as _;

use entitle_core::{AssignmentState, RequestStatus, Source};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::table::LifecycleTable;

/// Where an export comes from: the tool, its source, the documents followed and the table's hash.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Header {
    /// The entitle version that wrote the export.
    pub version: String,
    /// The source commit entitle was built from, when known at build time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
    /// The Microsoft documents the table cites.
    pub documents: Vec<Document>,
    /// The SHA-256 of the table's canonical JSON, in lowercase hex.
    pub sha256: String,
}

/// A Microsoft document cited by the table.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Document {
    /// Its title.
    pub title: String,
    /// Where it is published.
    pub url: String,
}

impl Header {
    /// The header for `table`, written by entitle `version` built from `commit`.
    pub fn new(table: &LifecycleTable, version: &str, commit: Option<&str>) -> Self {
        Self {
            version: version.to_owned(),
            commit: commit.map(str::to_owned),
            documents: table
                .documents()
                .into_iter()
                .map(|source: Source| Document {
                    title: source.title().to_owned(),
                    url: source.url().to_owned(),
                })
                .collect(),
            sha256: table_hash(table),
        }
    }

    /// The header as comment lines, each started by `prefix` (such as `#`, `//` or `%%`).
    ///
    /// Line breaks inside values become spaces, so a value can never end the comment early.
    pub fn comment_lines(&self, prefix: &str) -> String {
        let one_line = |text: &str| text.replace(['\n', '\r'], " ");
        let mut out = String::new();
        let _ = writeln!(
            out,
            "{prefix} entitle {} lifecycle table",
            one_line(&self.version)
        );
        if let Some(commit) = &self.commit {
            let _ = writeln!(out, "{prefix} source commit: {}", one_line(commit));
        }
        let _ = writeln!(out, "{prefix} table sha256: {}", one_line(&self.sha256));
        let _ = writeln!(out, "{prefix} follows:");
        for document in &self.documents {
            let _ = writeln!(
                out,
                "{prefix}   {} <{}>",
                one_line(&document.title),
                one_line(&document.url)
            );
        }
        out
    }
}

/// The canonical JSON of a table: compact, fields and rows in their fixed order.
pub fn canonical_json(table: &LifecycleTable) -> String {
    // Serializing plain data with derived impls into a string cannot fail.
    serde_json::to_string(table).unwrap_or_default()
}

/// The SHA-256 of the table's canonical JSON, in lowercase hex.
pub fn table_hash(table: &LifecycleTable) -> String {
    let digest = Sha256::digest(canonical_json(table).as_bytes());
    let mut hex = String::with_capacity(64);
    for byte in digest {
        let _ = write!(hex, "{byte:02x}");
    }
    hex
}

/// An exported table with its header, as written by `entitle table --format json`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Export {
    /// Where the table comes from; optional when loading hand-written tables.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entitle: Option<Header>,
    /// The table.
    pub table: LifecycleTable,
}

/// Why a table file could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// Not JSON, or not shaped like an export.
    #[error("not an entitle table: {0}")]
    Malformed(#[from] serde_json::Error),
    /// The header's hash does not match the table: the file was edited after export.
    #[error("table sha256 `{actual}` does not match the header's `{expected}`")]
    HashMismatch {
        /// The hash in the header.
        expected: String,
        /// The hash of the table as loaded.
        actual: String,
    },
    /// A status listed twice.
    #[error("status `{0}` is listed more than once")]
    DuplicateStatus(RequestStatus),
    /// A transition from or to a status the table does not list.
    #[error("transition {row} names status `{status}`, which the table does not list")]
    UnlistedStatus {
        /// The 1-based row number.
        row: usize,
        /// The status.
        status: RequestStatus,
    },
    /// An assignment state listed twice.
    #[error("assignment state `{0}` is listed more than once")]
    DuplicateAssignmentState(AssignmentState),
    /// An assignment transition from or to a state the table does not list.
    #[error("assignment transition {row} names state `{state}`, which the table does not list")]
    UnlistedAssignmentState {
        /// The 1-based row number.
        row: usize,
        /// The state.
        state: AssignmentState,
    },
}

impl Export {
    /// The export of `table` with a header for entitle `version` built from `commit`.
    pub fn new(table: LifecycleTable, version: &str, commit: Option<&str>) -> Self {
        Self {
            entitle: Some(Header::new(&table, version, commit)),
            table,
        }
    }

    /// Pretty JSON, ending with a newline.
    pub fn to_json(&self) -> String {
        let mut json = serde_json::to_string_pretty(self).unwrap_or_default();
        json.push('\n');
        json
    }

    /// Loads an export, checking its hash (when it has a header) and that its statuses and assignment
    /// states are consistent.
    ///
    /// # Errors
    /// A [`LoadError`] naming what is wrong.
    pub fn from_json(text: &str) -> Result<Self, LoadError> {
        let export: Self = serde_json::from_str(text)?;
        if let Some(header) = &export.entitle {
            let actual = table_hash(&export.table);
            if actual != header.sha256 {
                return Err(LoadError::HashMismatch {
                    expected: header.sha256.clone(),
                    actual,
                });
            }
        }
        let statuses = &export.table.statuses;
        for (index, entry) in statuses.iter().enumerate() {
            if statuses
                .iter()
                .skip(index + 1)
                .any(|other| other.status == entry.status)
            {
                return Err(LoadError::DuplicateStatus(entry.status));
            }
        }
        for (index, row) in export.table.transitions.iter().enumerate() {
            for status in [row.from, row.to] {
                if export.table.status(status).is_none() {
                    return Err(LoadError::UnlistedStatus {
                        row: index + 1,
                        status,
                    });
                }
            }
        }
        let assignment = &export.table.assignment;
        for (index, entry) in assignment.states.iter().enumerate() {
            if assignment
                .states
                .iter()
                .skip(index + 1)
                .any(|other| other.state == entry.state)
            {
                return Err(LoadError::DuplicateAssignmentState(entry.state));
            }
        }
        for (index, row) in assignment.transitions.iter().enumerate() {
            for state in row.from.into_iter().chain([row.to]) {
                if export.table.assignment_state(state).is_none() {
                    return Err(LoadError::UnlistedAssignmentState {
                        row: index + 1,
                        state,
                    });
                }
            }
        }
        Ok(export)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_export_round_trips() {
        let export = Export::new(LifecycleTable::builtin(), "0.1.0", Some("abc"));
        let loaded = Export::from_json(&export.to_json()).unwrap();
        assert_eq!(loaded, export);
    }

    #[test]
    fn hash_is_hex_sha256_and_stable() {
        let hash = table_hash(&LifecycleTable::builtin());
        assert_eq!(hash.len(), 64);
        assert!(
            hash.bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
        );
        assert_eq!(hash, table_hash(&LifecycleTable::builtin()));
    }

    #[test]
    fn edited_tables_fail_the_hash_check() {
        let mut export = Export::new(LifecycleTable::builtin(), "0.1.0", None);
        export.table.transitions.pop();
        assert!(matches!(
            Export::from_json(&export.to_json()),
            Err(LoadError::HashMismatch { .. })
        ));
        export.entitle = None;
        assert!(Export::from_json(&export.to_json()).is_ok());
    }

    #[test]
    fn inconsistent_tables_are_refused() {
        let mut table = LifecycleTable::builtin();
        table
            .statuses
            .retain(|entry| entry.status != RequestStatus::Expired);
        let text = Export {
            entitle: None,
            table,
        }
        .to_json();
        assert!(matches!(
            Export::from_json(&text),
            Err(LoadError::UnlistedStatus {
                status: RequestStatus::Expired,
                ..
            })
        ));
        let mut table = LifecycleTable::builtin();
        let first = table.statuses[0].clone();
        table.statuses.push(first);
        let text = Export {
            entitle: None,
            table,
        }
        .to_json();
        assert!(matches!(
            Export::from_json(&text),
            Err(LoadError::DuplicateStatus(_))
        ));
    }

    #[test]
    fn an_unlisted_status_is_reported_at_its_first_row_counted_from_one() {
        let mut table = LifecycleTable::builtin();
        table
            .statuses
            .retain(|entry| entry.status != RequestStatus::Expired);
        let first = table
            .transitions
            .iter()
            .position(|row| row.to == RequestStatus::Expired)
            .unwrap();
        let text = Export {
            entitle: None,
            table,
        }
        .to_json();
        let error = Export::from_json(&text).unwrap_err();
        match &error {
            LoadError::UnlistedStatus { row, status } => {
                assert_eq!((*row, *status), (first + 1, RequestStatus::Expired));
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            error.to_string(),
            "transition 16 names status `Expired`, which the table does not list"
        );
    }

    #[test]
    fn inconsistent_assignment_states_are_refused() {
        let mut table = LifecycleTable::builtin();
        table
            .assignment
            .states
            .retain(|entry| entry.state != AssignmentState::DeliveryFailed);
        let text = Export {
            entitle: None,
            table,
        }
        .to_json();
        let error = Export::from_json(&text).unwrap_err();
        assert_eq!(
            error.to_string(),
            "assignment transition 4 names state `deliveryFailed`, which the table does not list"
        );
        let mut table = LifecycleTable::builtin();
        let first = table.assignment.states[0].clone();
        table.assignment.states.push(first);
        let text = Export {
            entitle: None,
            table,
        }
        .to_json();
        assert!(matches!(
            Export::from_json(&text),
            Err(LoadError::DuplicateAssignmentState(
                AssignmentState::Delivering
            ))
        ));
    }

    #[test]
    fn comment_lines_never_break_inside_a_value() {
        let mut header = Header::new(
            &LifecycleTable::builtin(),
            "1.0\n# injected",
            Some("a\r\nb"),
        );
        header.documents.truncate(1);
        let text = header.comment_lines("#");
        assert!(text.lines().all(|line| line.starts_with('#')), "{text}");
        assert!(text.contains("entitle 1.0 # injected lifecycle table"));
    }

    #[test]
    fn garbage_is_malformed_not_a_panic() {
        for text in ["", "{", "[]", "{\"table\":1}", "{\"table\":{}}", "null"] {
            assert!(
                matches!(Export::from_json(text), Err(LoadError::Malformed(_))),
                "{text}"
            );
        }
    }
}
