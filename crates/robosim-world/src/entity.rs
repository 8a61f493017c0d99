//! Entity names and types (spec §3, "Types").

use std::borrow::Cow;
use std::fmt;

use serde::{Deserialize, Serialize};

/// What a name denotes, as decided by its first use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntityType {
    /// `go_to(name)`
    Location,
    /// `pick(name)` / `place(name)`
    Object,
    /// `ask(name, …)`
    Person,
    /// `is_in_room(name)`: narrowed by a later pick, place or ask.
    ObjectOrPerson,
}

impl EntityType {
    /// Whether a name stored with type `self` may be used as `used`.
    ///
    /// Allowed: the same type; an object-or-person use of an object or a person; a location
    /// or person use of a location or person (a person may be named by their office); any
    /// use of a name only known as object-or-person (the use narrows it).
    #[must_use]
    pub const fn accepts(self, used: Self) -> bool {
        use EntityType::{Location, Object, ObjectOrPerson, Person};
        matches!(
            (self, used),
            (Location, Location)
                | (Object, Object)
                | (Person, Person)
                | (ObjectOrPerson, _)
                | (Object | Person, ObjectOrPerson)
                | (Location | Person, Location | Person)
        )
    }

    /// The type stored after an accepted use.
    #[must_use]
    pub const fn narrowed_by(self, used: Self) -> Self {
        match (self, used) {
            // is_in_room said object-or-person; going there means it names a person's place.
            (Self::ObjectOrPerson, Self::Location) => Self::Person,
            (Self::ObjectOrPerson, used) => used,
            (stored, _) => stored,
        }
    }

    /// How the reference's error messages spell the type.
    #[must_use]
    pub const fn reference_name(self) -> &'static str {
        match self {
            Self::Location => "Types.LOCATION",
            Self::Object => "Types.OBJECT",
            Self::Person => "Types.PERSON",
            Self::ObjectOrPerson => "Types.OBJECT_OR_PERSON",
        }
    }

    /// The start of the reference's message when a use of this type is refused.
    pub(crate) const fn expectation(self) -> &'static str {
        match self {
            Self::Location => "expects a location",
            Self::Object => "expects an object",
            Self::Person => "expects a person",
            Self::ObjectOrPerson => "entity expected to be an object or a person",
        }
    }
}

impl fmt::Display for EntityType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Location => "a location",
            Self::Object => "an object",
            Self::Person => "a person",
            Self::ObjectOrPerson => "an object or a person",
        })
    }
}

/// The key a name is known by: stripped and lower-cased, so `"Kitchen "` and `"kitchen"`
/// name one entity.
#[must_use]
pub fn key(name: &str) -> String {
    key_of(name).into_owned()
}

/// [`key`], borrowed from `name` when it is its own key (ASCII, stripped, no capital: most
/// names a program uses), so that looking a name up costs no allocation.
#[must_use]
pub fn key_of(name: &str) -> Cow<'_, str> {
    let name = name.trim();
    if name.is_ascii() {
        // The same string as `to_lowercase` for ASCII, without its per-char path.
        if name.bytes().any(|b| b.is_ascii_uppercase()) {
            Cow::Owned(name.to_ascii_lowercase())
        } else {
            Cow::Borrowed(name)
        }
    } else {
        Cow::Owned(name.to_lowercase())
    }
}

#[cfg(test)]
mod tests {
    use super::EntityType::{self, Location, Object, ObjectOrPerson, Person};

    #[test]
    fn compatibility_table() {
        let all = [Location, Object, Person, ObjectOrPerson];
        let allowed: Vec<(EntityType, EntityType)> =
            all.iter().flat_map(|&s| all.iter().map(move |&u| (s, u))).filter(|&(s, u)| s.accepts(u)).collect();
        assert_eq!(
            allowed,
            vec![
                (Location, Location),
                (Location, Person),
                (Object, Object),
                (Object, ObjectOrPerson),
                (Person, Location),
                (Person, Person),
                (Person, ObjectOrPerson),
                (ObjectOrPerson, Location),
                (ObjectOrPerson, Object),
                (ObjectOrPerson, Person),
                (ObjectOrPerson, ObjectOrPerson),
            ]
        );
    }

    #[test]
    fn a_key_is_the_name_stripped_and_lower_cased() {
        // ASCII names take a shorter path than `to_lowercase`: the same key either way.
        for name in ["Kitchen", "  Living Room\t", "KITCHEN", "", "Zoë's Office", "İstanbul", "ΣΟΦΙΑ ", "a\u{a0}"]
        {
            assert_eq!(super::key(name), name.trim().to_lowercase(), "{name:?}");
        }
        assert_eq!(super::key(" Kitchen "), super::key("kitchen"));
    }

    #[test]
    fn a_name_that_is_its_own_key_is_borrowed() {
        use std::borrow::Cow;
        for name in ["kitchen", " living room\t", "office 2", "", "Kitchen", "KITCHEN", "zoë", "İstanbul"] {
            let key = super::key_of(name);
            assert_eq!(key, super::key(name), "{name:?}");
            // Borrowed exactly when nothing but stripping was needed.
            let unchanged = key == name.trim();
            assert_eq!(matches!(key, Cow::Borrowed(_)), unchanged && name.is_ascii(), "{name:?}");
        }
    }

    #[test]
    fn narrowing() {
        assert_eq!(ObjectOrPerson.narrowed_by(Object), Object);
        assert_eq!(ObjectOrPerson.narrowed_by(Location), Person);
        assert_eq!(Person.narrowed_by(Location), Person);
        assert_eq!(Object.narrowed_by(ObjectOrPerson), Object);
    }
}
