//! Structural checks over a lifecycle table, each with a counterexample when it fails.
