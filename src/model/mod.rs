//! The types every stage shares: series keys, the time window, a key's samples. Imports
//! nothing of the crate.

pub mod key;
pub mod progress;
pub mod series;
pub mod window;

/// A library enum chosen by name, on a command line or in a URL: the front ends list the
/// names and turn them into values (`FromStr`), the library never sees the text.
pub trait Choice: Sized + Copy + 'static {
    /// Every value, in the order a user sees them.
    const ALL: &'static [Self];

    /// The name a user writes.
    fn name(self) -> &'static str;

    /// The value named `text`.
    fn from_name(text: &str) -> Result<Self, UnknownChoice> {
        Self::ALL
            .iter()
            .copied()
            .find(|v| v.name() == text)
            .ok_or_else(|| UnknownChoice {
                given: text.to_string(),
                names: Self::ALL.iter().map(|v| v.name()).collect(),
            })
    }
}

/// A name that is none of a [`Choice`]'s.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{given}` is not one of {}", .names.join(", "))]
pub struct UnknownChoice {
    /// What was given.
    pub given: String,
    /// The names there are.
    pub names: Vec<&'static str>,
}

/// `Display` and `FromStr` for a [`Choice`].
#[macro_export]
macro_rules! choice_text {
    ($t:ty) => {
        impl std::fmt::Display for $t {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str($crate::model::Choice::name(*self))
            }
        }
        impl std::str::FromStr for $t {
            type Err = $crate::model::UnknownChoice;
            fn from_str(text: &str) -> Result<Self, Self::Err> {
                <$t as $crate::model::Choice>::from_name(text)
            }
        }
    };
}
