//! CSV exports for spreadsheets.
