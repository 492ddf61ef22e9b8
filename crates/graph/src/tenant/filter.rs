//! `$filter` on catalogs, access packages, policies and role assignments, as their pages document
//! it: `displayName eq '…'`, `contains(tolower(displayName),'…')`, `appScopeId eq '…'`, joined
//! with `and`.

/// One comparison of a string property.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Clause {
    /// `property eq 'value'`.
    Eq { property: String, value: String },
    /// `contains(property,'value')`, or with `tolower(property)` when `lower`.
    Contains {
        property: String,
        value: String,
        lower: bool,
    },
    /// `startswith(property,'value')`, ignoring case when `ignore_case` (directory objects).
    StartsWith {
        property: String,
        value: String,
        ignore_case: bool,
    },
}

/// A parsed `$filter`: clauses that must all hold.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PropertyFilter(Vec<Clause>);

/// Why a `$filter` is refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PropertyFilterError {
    /// The expression is not one of the supported forms.
    #[error(
        "`$filter` `{0}` is not supported here: use `property eq 'value'`, `contains(property,'value')`, `contains(tolower(property),'value')` or `startswith(property,'value')`, joined with `and`"
    )]
    Unsupported(String),
    /// The expression is not one of the forms directory objects support.
    #[error(
        "`$filter` `{0}` is not supported here: use `property eq 'value'` or `startswith(property,'value')`, joined with `and`"
    )]
    DirectoryUnsupported(String),
    /// The property cannot be filtered on.
    #[error("`$filter` cannot use `{property}` here; it can use {allowed}")]
    Property {
        /// The property named.
        property: String,
        /// The properties allowed, in backticks.
        allowed: String,
    },
}

/// A quoted string literal (`'…'`, with `''` for a quote) and what follows it.
fn literal(text: &str) -> Option<(String, &str)> {
    let mut rest = text.trim_start().strip_prefix('\'')?;
    let mut value = String::new();
    loop {
        let end = rest.find('\'')?;
        value.push_str(rest.get(..end)?);
        rest = rest.get(end + 1..)?;
        match rest.strip_prefix('\'') {
            Some(after) => {
                value.push('\'');
                rest = after;
            }
            None => return Some((value, rest)),
        }
    }
}

/// The clauses of `text` split at ` and ` outside string literals.
fn conjuncts(text: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut quoted = false;
    let mut start = 0;
    let bytes = text.as_bytes();
    let mut index = 0;
    while index < bytes.len() {
        match bytes.get(index) {
            Some(b'\'') => quoted = !quoted,
            Some(b' ') if !quoted => {
                if let Some(rest) = text.get(index..)
                    && rest.len() >= 5
                    && rest
                        .get(..5)
                        .is_some_and(|word| word.eq_ignore_ascii_case(" and "))
                {
                    parts.push(text.get(start..index).unwrap_or_default());
                    start = index + 5;
                    index += 4;
                }
            }
            _ => {}
        }
        index += 1;
    }
    parts.push(text.get(start..).unwrap_or_default());
    parts
}

fn clause(text: &str) -> Option<Clause> {
    let text = text.trim();
    for (function, contains) in [("contains(", true), ("startswith(", false)] {
        if let Some(inner) = text
            .get(..function.len())
            .filter(|head| head.eq_ignore_ascii_case(function))
            .and_then(|_| text.get(function.len()..))
        {
            let (subject, rest) = inner.split_once(',')?;
            let (value, tail) = literal(rest)?;
            if tail.trim() != ")" {
                return None;
            }
            let subject = subject.trim();
            let (property, lower) = match subject
                .strip_prefix("tolower(")
                .and_then(|name| name.strip_suffix(')'))
            {
                Some(name) => (name.trim(), true),
                None => (subject, false),
            };
            let property = property.to_owned();
            return Some(if contains {
                Clause::Contains {
                    property,
                    value,
                    lower,
                }
            } else {
                Clause::StartsWith {
                    property,
                    value,
                    ignore_case: false,
                }
            });
        }
    }
    let (property, rest) = text.split_once(' ')?;
    let rest = rest.trim_start();
    let rest = rest
        .get(..2)
        .filter(|op| op.eq_ignore_ascii_case("eq"))
        .and_then(|_| rest.get(2..))?;
    let (value, tail) = literal(rest)?;
    tail.trim().is_empty().then(|| Clause::Eq {
        property: property.to_owned(),
        value,
    })
}

impl Clause {
    fn property(&self) -> &str {
        match self {
            Self::Eq { property, .. }
            | Self::Contains { property, .. }
            | Self::StartsWith { property, .. } => property,
        }
    }

    fn holds(&self, actual: &str) -> bool {
        match self {
            Self::Eq { value, .. } => actual.eq_ignore_ascii_case(value),
            Self::Contains {
                value, lower: true, ..
            } => actual.to_lowercase().contains(value.as_str()),
            Self::Contains { value, .. } => actual.contains(value.as_str()),
            Self::StartsWith {
                value,
                ignore_case: true,
                ..
            } => actual
                .as_bytes()
                .get(..value.len())
                .is_some_and(|head| head.eq_ignore_ascii_case(value.as_bytes())),
            Self::StartsWith { value, .. } => actual.starts_with(value.as_str()),
        }
    }
}

impl PropertyFilter {
    /// Parses `text`, whose properties must be among `allowed`.
    ///
    /// # Errors
    /// [`PropertyFilterError`] for another form or property.
    pub fn parse(text: &str, allowed: &[&str]) -> Result<Self, PropertyFilterError> {
        let clauses = conjuncts(text)
            .into_iter()
            .map(|part| {
                clause(part).ok_or_else(|| PropertyFilterError::Unsupported(text.to_owned()))
            })
            .collect::<Result<Vec<_>, _>>()?;
        if let Some(unknown) = clauses
            .iter()
            .find(|clause| !allowed.contains(&clause.property()))
        {
            let names: Vec<String> = allowed.iter().map(|name| format!("`{name}`")).collect();
            return Err(PropertyFilterError::Property {
                property: unknown.property().to_owned(),
                allowed: names.join(", "),
            });
        }
        Ok(Self(clauses))
    }

    /// Parses `text` as Graph's directory objects (users, groups) take it without advanced queries:
    /// `eq` and `startswith`, both ignoring case, joined with `and`; properties among `allowed`.
    ///
    /// # Errors
    /// [`PropertyFilterError`] for another form (`contains` included) or property.
    pub fn parse_directory(text: &str, allowed: &[&str]) -> Result<Self, PropertyFilterError> {
        let unsupported = || PropertyFilterError::DirectoryUnsupported(text.to_owned());
        let mut filter = Self::parse(text, allowed).map_err(|error| match error {
            PropertyFilterError::Unsupported(_) => unsupported(),
            other => other,
        })?;
        for clause in &mut filter.0 {
            match clause {
                Clause::Contains { .. } => return Err(unsupported()),
                Clause::StartsWith { ignore_case, .. } => *ignore_case = true,
                Clause::Eq { .. } => {}
            }
        }
        Ok(filter)
    }

    /// Whether an object whose string properties `lookup` gives matches (a missing property
    /// matches nothing).
    pub fn matches<'a>(&self, lookup: impl Fn(&str) -> Option<&'a str>) -> bool {
        self.0
            .iter()
            .all(|clause| lookup(clause.property()).is_some_and(|actual| clause.holds(actual)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Whether `filter` compares `property` with `eq`, and the value it names.
    fn equals<'a>(filter: &'a PropertyFilter, property: &str) -> Option<&'a str> {
        filter.0.iter().find_map(|clause| match clause {
            Clause::Eq {
                property: name,
                value,
            } if name == property => Some(value.as_str()),
            _ => None,
        })
    }

    const NAMES: [&str; 2] = ["displayName", "id"];

    fn name(filter: &PropertyFilter, display_name: &str) -> bool {
        filter.matches(|property| (property == "displayName").then_some(display_name))
    }

    #[test]
    fn the_documented_forms_parse_and_match() {
        let contains =
            PropertyFilter::parse("contains(tolower(displayName),'team')", &NAMES).unwrap();
        assert!(name(&contains, "Sales Team tools"));
        assert!(!name(&contains, "Sales"));
        let eq = PropertyFilter::parse("displayName eq 'Employee sales support'", &NAMES).unwrap();
        assert!(name(&eq, "Employee sales support"));
        assert!(!name(&eq, "Employee sales"));
        assert_eq!(equals(&eq, "displayName"), Some("Employee sales support"));
        let quoted =
            PropertyFilter::parse("displayName eq 'Lee''s' and startswith(id,'00')", &NAMES)
                .unwrap();
        assert!(quoted.matches(|property| match property {
            "displayName" => Some("Lee's"),
            "id" => Some("0042"),
            _ => None,
        }));
        let accented =
            PropertyFilter::parse_directory("startswith(displayName,'ab')", &NAMES).unwrap();
        assert!(
            !name(&accented, "éa"),
            "a multi-byte head is compared, not skipped"
        );
        assert!(name(&accented, "ABé"));
        let accented =
            PropertyFilter::parse_directory("startswith(displayName,'é')", &NAMES).unwrap();
        assert!(name(&accented, "éa"));
        let sensitive = PropertyFilter::parse("contains(displayName,'Team')", &NAMES).unwrap();
        assert!(!name(&sensitive, "sales team"));
    }

    #[test]
    fn other_forms_and_properties_are_refused() {
        for text in [
            "displayName ne 'x'",
            "displayName eq x",
            "contains(displayName,'x'",
            "displayName eq 'x' or id eq 'y'",
            "",
        ] {
            assert!(
                matches!(
                    PropertyFilter::parse(text, &NAMES),
                    Err(PropertyFilterError::Unsupported(_))
                ),
                "{text}"
            );
        }
        assert!(matches!(
            PropertyFilter::parse("description eq 'x'", &NAMES),
            Err(PropertyFilterError::Property { .. })
        ));
    }

    #[test]
    fn directory_filters_take_eq_and_startswith_ignoring_case() {
        let starts =
            PropertyFilter::parse_directory("startswith(displayName,'ad')", &NAMES).unwrap();
        assert!(name(&starts, "Adele Vance"));
        assert!(!name(&starts, "Alex"));
        assert!(!name(&starts, "A"));
        let eq = PropertyFilter::parse_directory("displayName eq 'ADELE'", &NAMES).unwrap();
        assert!(name(&eq, "Adele"));
        for text in ["contains(displayName,'a')", "displayName ne 'a'"] {
            assert!(
                matches!(
                    PropertyFilter::parse_directory(text, &NAMES),
                    Err(PropertyFilterError::DirectoryUnsupported(_))
                ),
                "{text}"
            );
        }
        assert!(matches!(
            PropertyFilter::parse_directory("mail eq 'a'", &NAMES),
            Err(PropertyFilterError::Property { .. })
        ));
    }
}
