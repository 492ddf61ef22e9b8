//! The naive peer: the lifecycle as a string-keyed hash map, as a service that keeps statuses as
//! strings would write it.
//!
//! The table maps `(status wire name, action name)` — `("PendingApproval", "cancel")` — to the target
//! status's wire name. It is built from the core's [`TRANSITIONS`]; where several rows share a
//! (status, action), only the first is kept, the outcome when its condition holds. There are no
//! callers, no conditions and no time.
//!
//! **Allocation, on purpose.** The key type is `(String, String)`, and a tuple of `String`s cannot be
//! looked up by `(&str, &str)` through [`Borrow`](std::borrow::Borrow), so every decision builds an
//! owned key from its `&str` inputs: two heap allocations per lookup, as such a service pays when
//! its status and action arrive as text (a JSON body, a database column). [`Table::apply`] also
//! returns the new status as an owned `String`, as it would be stored.

use std::collections::HashMap;

use entitle_core::{TRANSITIONS, Transition};

/// The action name the Cancel button asks for.
pub const CANCEL: &str = "cancel";

/// A status × action table keyed by strings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Table {
    targets: HashMap<(String, String), String>,
}

/// The table has no entry for the status and action.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NotAllowed;

impl Table {
    /// The table of the core's [`TRANSITIONS`].
    pub fn new() -> Self {
        Self::from_transitions(TRANSITIONS)
    }

    /// The table of `rows`, keeping the first row of each (status, action).
    pub fn from_transitions(rows: &[Transition]) -> Self {
        let mut targets = HashMap::new();
        for row in rows {
            targets
                .entry((row.from.as_str().to_owned(), row.action.as_str().to_owned()))
                .or_insert_with(|| row.to.as_str().to_owned());
        }
        Self { targets }
    }

    /// The number of (status, action) entries.
    pub fn len(&self) -> usize {
        self.targets.len()
    }

    /// Whether the table has no entries.
    pub fn is_empty(&self) -> bool {
        self.targets.is_empty()
    }

    /// The status `action` moves a request in `status` to, if the table allows it.
    ///
    /// Builds an owned `(String, String)` key from the inputs on every call (see the
    /// [module docs](self)).
    pub fn target(&self, status: &str, action: &str) -> Option<&str> {
        self.targets
            .get(&(status.to_owned(), action.to_owned()))
            .map(String::as_str)
    }

    /// Whether a request in `status` may be cancelled: the table has a `cancel` entry for it.
    pub fn can_cancel(&self, status: &str) -> bool {
        self.target(status, CANCEL).is_some()
    }

    /// The new status, owned, after `action` on a request in `status`.
    ///
    /// # Errors
    /// [`NotAllowed`] when the table has no entry for the pair.
    pub fn apply(&self, status: &str, action: &str) -> Result<String, NotAllowed> {
        self.target(status, action)
            .map(str::to_owned)
            .ok_or(NotAllowed)
    }
}

impl Default for Table {
    fn default() -> Self {
        Self::new()
    }
}
