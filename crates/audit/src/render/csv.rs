//! CSV exports for spreadsheets.
//!
//! Lines end with `\n`; a field is quoted, RFC 4180 style, only when it holds a comma, a double quote
//! or a line break, and a double quote inside it is doubled.

use core::fmt::{self, Write};

use entitle_core::{ApiVersion, Provenance};

use crate::table::LifecycleTable;

/// The comment line after the header of the table export: what the CSV holds, and what it leaves to
/// the JSON export.
pub const TABLE_SCOPE: &str = "# request transitions only: the JSON export also holds the authority, the request types \
                               and the assignment table\n";

/// The column names of [`table`], in order.
pub const TABLE_COLUMNS: [&str; 7] = [
    "row",
    "from",
    "action",
    "when",
    "to",
    "provenance_kind",
    "provenance",
];

/// Writes one field, quoted when it needs to be.
pub fn field(out: &mut String, value: &str) {
    if value.contains([',', '"', '\r', '\n']) {
        out.push('"');
        out.push_str(&value.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(value);
    }
}

/// Writes one record: the fields separated by commas, then a line break.
pub fn record<'a>(out: &mut String, fields: impl IntoIterator<Item = &'a str>) {
    for (index, value) in fields.into_iter().enumerate() {
        if index > 0 {
            out.push(',');
        }
        field(out, value);
    }
    out.push('\n');
}

/// A provenance as two fields: its kind (`documented` or `modelled`) and the source's title or the
/// decision's id.
pub fn provenance_fields(provenance: Provenance) -> (&'static str, &'static str) {
    match provenance {
        Provenance::Documented(source) => ("documented", source.title()),
        Provenance::Modelled(decision) => ("modelled", decision.id()),
    }
}

/// The transition table: a header line, then one line per transition, numbered from 1 in table
/// order.
///
/// # Errors
/// Only if writing to `out` fails.
pub fn table(out: &mut String, table: &LifecycleTable, api: ApiVersion) -> fmt::Result {
    record(out, TABLE_COLUMNS);
    let mut number = String::new();
    for (index, row) in table.transitions.iter().enumerate() {
        number.clear();
        write!(number, "{}", index + 1)?;
        let (kind, provenance) = provenance_fields(row.provenance);
        record(
            out,
            [
                number.as_str(),
                row.from.name_in(api),
                row.action.as_str(),
                row.when.as_str(),
                row.to.name_in(api),
                kind,
                provenance,
            ],
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_quoted_only_when_needed() {
        let mut out = String::new();
        record(
            &mut out,
            ["plain", "a,b", "say \"hi\"", "two\nlines", "", "é"],
        );
        assert_eq!(out, "plain,\"a,b\",\"say \"\"hi\"\"\",\"two\nlines\",,é\n");
    }
}
