//! Identifiers: Graph object ids are GUIDs, held as 128-bit values so deciding never allocates.

use alloc::string::{String, ToString};
use core::fmt;
use core::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::InvalidInput;

/// A GUID in its canonical textual form `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`.
///
/// Parsing accepts upper- and lowercase hex digits; display is always lowercase.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Guid(u128);

/// Bits of a GUID that a derived id keeps: the version nibble (`M` in
/// `xxxxxxxx-xxxx-Mxxx-Nxxx-xxxxxxxxxxxx`) and the two variant bits atop `N`, so an id derived from a
/// version-4 GUID is a version-4 GUID too.
const KEPT_BITS: u128 = 0x0000_0000_0000_f000_c000_0000_0000_0000;

/// Byte offsets of the four hyphens in the canonical form.
const HYPHENS: [usize; 4] = [8, 13, 18, 23];
/// Length of the canonical form.
const GUID_LEN: usize = 36;

impl Guid {
    /// The GUID with the given 128-bit value.
    pub const fn from_u128(value: u128) -> Self {
        Self(value)
    }

    /// The 128-bit value of this GUID.
    pub const fn as_u128(self) -> u128 {
        self.0
    }

    /// The GUID derived from this one with `key`: stable, distinct for distinct keys, and of the same
    /// version. entitle derives the ids of things that exist only with a request (its assignment, its
    /// approval stages), so they need no storage and no clock.
    #[must_use]
    pub const fn derived(self, key: u128) -> Self {
        Self(self.0 ^ (key & !KEPT_BITS))
    }

    /// Parses the canonical hyphenated form, returning `None` when `text` is not one.
    fn parse(text: &str) -> Option<Self> {
        if text.len() != GUID_LEN {
            return None;
        }
        let mut value: u128 = 0;
        for (index, byte) in text.bytes().enumerate() {
            if HYPHENS.contains(&index) {
                if byte != b'-' {
                    return None;
                }
                continue;
            }
            let digit = char::from(byte).to_digit(16)?;
            value = (value << 4) | u128::from(digit);
        }
        Some(Self(value))
    }
}

impl fmt::Display for Guid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let v = self.0;
        write!(
            f,
            "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
            v >> 96,
            (v >> 80) & 0xffff,
            (v >> 64) & 0xffff,
            (v >> 48) & 0xffff,
            v & 0xffff_ffff_ffff
        )
    }
}

/// Declares a GUID-backed id type with parsing, display and string serde.
macro_rules! guid_id {
    ($(#[$doc:meta])* $name:ident, $what:literal) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(Guid);

        impl $name {
            /// The id with the given GUID.
            pub const fn new(guid: Guid) -> Self {
                Self(guid)
            }

            /// The id's GUID.
            pub const fn guid(self) -> Guid {
                self.0
            }

            /// Parses the canonical GUID form; anything else is [`InvalidInput::MalformedId`].
            ///
            /// # Errors
            /// When `text` is not a GUID.
            pub fn parse(text: &str) -> Result<Self, InvalidInput> {
                Guid::parse(text).map(Self).ok_or_else(|| InvalidInput::MalformedId {
                    kind: $what,
                    value: text.into(),
                })
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = InvalidInput;
            fn from_str(text: &str) -> Result<Self, Self::Err> {
                Self::parse(text)
            }
        }

        impl TryFrom<String> for $name {
            type Error = InvalidInput;
            fn try_from(text: String) -> Result<Self, Self::Error> {
                Self::parse(&text)
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> Self {
                id.to_string()
            }
        }
    };
}

guid_id!(
    /// The id of an access package assignment request (`accessPackageAssignmentRequest.id`).
    RequestId,
    "request"
);
guid_id!(
    /// The object id of a user or application (the `oid` claim of a token).
    SubjectId,
    "subject"
);
guid_id!(
    /// The object id of a directory group, whose members a policy can name (`groupMembers`).
    GroupId,
    "group"
);
guid_id!(
    /// The id of an approval stage of a request (`approvalStage.id`), derived from the request's id.
    StageId,
    "approval stage"
);
guid_id!(
    /// The id of an access package assignment (`accessPackageAssignment.id`).
    AssignmentId,
    "assignment"
);

/// The key the assignment an adding request creates is derived with.
const ASSIGNMENT_KEY: u128 = 0x5851_f42d_4c95_7f2d_1405_7b7e_f767_814f;

impl AssignmentId {
    /// The id of the assignment that the adding request `request` creates.
    pub const fn for_request(request: RequestId) -> Self {
        Self(request.guid().derived(ASSIGNMENT_KEY))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::format;

    const TEXT: &str = "45d8d3c5-c802-45c6-b32a-1d70b5e1e86e";

    #[test]
    fn parses_and_displays_the_canonical_form() {
        let id = RequestId::parse(TEXT).unwrap();
        assert_eq!(
            id.guid().as_u128(),
            0x45d8_d3c5_c802_45c6_b32a_1d70_b5e1_e86e
        );
        assert_eq!(format!("{id}"), TEXT);
    }

    #[test]
    fn accepts_uppercase_and_displays_lowercase() {
        let id = SubjectId::parse(&TEXT.to_uppercase()).unwrap();
        assert_eq!(id.to_string(), TEXT);
    }

    #[test]
    fn displays_leading_zeros() {
        let id = RequestId::new(Guid::from_u128(1));
        assert_eq!(id.to_string(), "00000000-0000-0000-0000-000000000001");
        assert_eq!(RequestId::parse(&id.to_string()).unwrap(), id);
    }

    #[test]
    fn rejects_malformed_ids() {
        for bad in [
            "",
            "not-a-guid",
            "45d8d3c5c80245c6b32a1d70b5e1e86e",
            "45d8d3c5-c802-45c6-b32a-1d70b5e1e86",
            "45d8d3c5-c802-45c6-b32a-1d70b5e1e86ef",
            "45d8d3c5-c802_45c6-b32a-1d70b5e1e86e",
            "g5d8d3c5-c802-45c6-b32a-1d70b5e1e86e",
            "{45d8d3c5-c802-45c6-b32a-1d70b5e1e86}",
            "45d8d3c5-c802-45c6-b32a-1d70b5e1e8é",
        ] {
            let error = RequestId::parse(bad).unwrap_err();
            assert_eq!(
                error,
                InvalidInput::MalformedId {
                    kind: "request",
                    value: bad.into()
                },
                "{bad}"
            );
        }
    }

    #[test]
    fn derived_ids_keep_the_version_and_differ_from_their_source() {
        let request = RequestId::parse("6b1e9d0c-3a2f-4e8b-a5c7-0d9f8e7a6b5c").unwrap();
        let assignment = AssignmentId::for_request(request);
        assert_ne!(assignment.guid(), request.guid());
        assert_eq!(assignment, AssignmentId::for_request(request));
        let text = assignment.to_string();
        assert_eq!(text.as_bytes().get(14), Some(&b'4'), "{text}");
        assert_eq!(
            assignment.guid().as_u128() & KEPT_BITS,
            request.guid().as_u128() & KEPT_BITS
        );
        assert_eq!(Guid::from_u128(9).derived(0).as_u128(), 9);
        // Deriving twice with one key gives the source back: the key only flips bits.
        let source = request.guid();
        assert_eq!(source.derived(0x5a5a).derived(0x5a5a), source);
        // Every key bit flips but the version nibble (bits 76-79) and the variant (bits 62-63).
        let flipped = source.derived(u128::MAX).as_u128() ^ source.as_u128();
        assert_eq!(flipped, !((0xf_u128 << 76) + (0x3_u128 << 62)));
        let variant = source.derived(u128::MAX).to_string();
        let variant_digit = variant.as_bytes().get(19).copied().unwrap_or_default();
        assert!(b"89ab".contains(&variant_digit), "{variant}");
    }

    #[test]
    fn serde_uses_the_textual_form() {
        let id = SubjectId::parse(TEXT).unwrap();
        let json = serde_json::to_string(&id).unwrap();
        assert_eq!(json, format!("\"{TEXT}\""));
        assert_eq!(serde_json::from_str::<SubjectId>(&json).unwrap(), id);
        assert!(serde_json::from_str::<SubjectId>("\"nope\"").is_err());
    }
}
