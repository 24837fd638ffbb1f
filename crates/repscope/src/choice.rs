//! Named choices: the one bridge between the names people type (CLI flags,
//! Python strings) and the core's option enums.
//!
//! Every option enum of the core (an RDM method, a search metric, a
//! unit-matching method …) implements [`Choice`], declared with
//! [`choice!`](crate::choice!): its variants, their canonical names, the
//! other spellings accepted (rsatoolbox's, say), and a one-line help each.
//! The CLI lists the names in `--help` and suggests the nearest on a typo;
//! the Python binding converts strings through [`Choice::from_name`]; an
//! unknown name is [`Error::UnknownChoice`] naming what was being chosen
//! and every valid name.

use crate::error::{Error, Result};

/// One option of a [`Choice`].
#[derive(Debug)]
pub struct Opt<T: 'static> {
    pub value: T,
    /// The canonical name (what [`Choice::name`] returns).
    pub name: &'static str,
    /// Other spellings that [`Choice::from_name`] accepts.
    pub aliases: &'static [&'static str],
    /// The variant's documentation, one line per doc line.
    pub doc: &'static str,
}

impl<T> Opt<T> {
    /// The first paragraph of the documentation on one line, for `--help`.
    pub fn help(&self) -> String {
        self.doc
            .lines()
            .map(str::trim)
            .skip_while(|l| l.is_empty())
            .take_while(|l| !l.is_empty())
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// An option enum whose values have names.
pub trait Choice: Copy + Eq + Sized + 'static {
    /// What is being chosen, for messages ("RDM method").
    const WHAT: &'static str;
    /// Every option, in the order `--help` lists them.
    const OPTIONS: &'static [Opt<Self>];

    /// The canonical name of `self`.
    fn name(self) -> &'static str {
        Self::OPTIONS
            .iter()
            .find(|o| o.value == self)
            .map_or("?", |o| o.name)
    }

    /// The option called `name` (its canonical name or an alias).
    fn from_name(name: &str) -> Result<Self> {
        Self::OPTIONS
            .iter()
            .find(|o| o.name == name || o.aliases.contains(&name))
            .map(|o| o.value)
            .ok_or_else(|| Error::UnknownChoice {
                what: Self::WHAT,
                given: name.to_string(),
                known: Self::names(),
            })
    }

    /// The canonical names, in order.
    fn names() -> Vec<&'static str> {
        Self::OPTIONS.iter().map(|o| o.name).collect()
    }
}

/// Declares an option enum and its [`Choice`] implementation:
///
/// ```
/// repscope::choice! {
///     /// How to greet.
///     pub enum Greeting: "greeting" {
///         /// Informal.
///         Hello = "hello" | "hi",
///         /// Formal.
///         GoodDay = "good_day",
///     }
/// }
/// use repscope::choice::Choice;
/// assert_eq!(Greeting::from_name("hi").unwrap(), Greeting::Hello);
/// assert_eq!(Greeting::GoodDay.name(), "good_day");
/// assert_eq!(Greeting::Hello.to_string(), "hello");
/// ```
///
/// The enum derives `Clone, Copy, Debug, PartialEq, Eq, Hash` and is
/// `#[non_exhaustive]`; `Display` prints the canonical name, `FromStr`
/// parses any accepted spelling.
#[macro_export]
macro_rules! choice {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident : $what:literal {
            $(
                $(#[doc = $doc:literal])*
                $variant:ident = $canonical:literal $(| $alias:literal)*
            ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        $vis enum $name {
            $(
                $(#[doc = $doc])*
                $variant,
            )+
        }

        impl $crate::choice::Choice for $name {
            const WHAT: &'static str = $what;
            const OPTIONS: &'static [$crate::choice::Opt<Self>] = &[
                $(
                    $crate::choice::Opt {
                        value: $name::$variant,
                        name: $canonical,
                        aliases: &[$($alias),*],
                        doc: concat!($($doc, "\n"),*),
                    },
                )+
            ];
        }

        impl $name {
            /// The canonical name of this option.
            pub fn name(self) -> &'static str {
                <Self as $crate::choice::Choice>::name(self)
            }

            /// The option called `name` (its canonical name or an alias).
            pub fn from_name(name: &str) -> $crate::error::Result<Self> {
                <Self as $crate::choice::Choice>::from_name(name)
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str($crate::choice::Choice::name(*self))
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = $crate::error::Error;
            fn from_str(s: &str) -> $crate::error::Result<Self> {
                <Self as $crate::choice::Choice>::from_name(s)
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    crate::choice! {
        /// A test choice.
        enum Fruit: "fruit" {
            /// A red one.
            /// More text.
            Apple = "apple" | "malus",
            Pear = "pear",
        }
    }

    #[test]
    fn names_aliases_help_and_errors() {
        assert_eq!(Fruit::from_name("apple").unwrap(), Fruit::Apple);
        assert_eq!(Fruit::from_name("malus").unwrap(), Fruit::Apple);
        assert_eq!(Fruit::Pear.name(), "pear");
        assert_eq!(Fruit::names(), vec!["apple", "pear"]);
        assert_eq!(Fruit::OPTIONS[0].help(), "A red one. More text.");
        assert_eq!(Fruit::OPTIONS[1].help(), "");
        let e = Fruit::from_name("plum").unwrap_err();
        assert_eq!(
            e.to_string(),
            "unknown fruit 'plum'; use one of: apple, pear"
        );
        assert!(e.is_input_error());
        assert_eq!("pear".parse::<Fruit>().unwrap(), Fruit::Pear);
    }
}
