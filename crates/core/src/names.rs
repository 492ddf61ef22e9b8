//! The text conversions every named enum of the core shares.

/// Implements `Display`, `FromStr`, `TryFrom<String>` and `From<$name> for &'static str` for an enum
/// with `as_str(self) -> &'static str` and `parse(&str) -> Result<Self, InvalidInput>`, so its one
/// spelling is written once.
macro_rules! named_enum {
    ($name:ident) => {
        impl core::fmt::Display for $name {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl core::str::FromStr for $name {
            type Err = crate::error::InvalidInput;
            fn from_str(text: &str) -> Result<Self, Self::Err> {
                Self::parse(text)
            }
        }

        impl TryFrom<alloc::string::String> for $name {
            type Error = crate::error::InvalidInput;
            fn try_from(text: alloc::string::String) -> Result<Self, Self::Error> {
                Self::parse(&text)
            }
        }

        impl From<$name> for &'static str {
            fn from(value: $name) -> Self {
                value.as_str()
            }
        }
    };
}
