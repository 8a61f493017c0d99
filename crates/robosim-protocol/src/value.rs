//! A Python value, as far as the robot API cares.

use std::fmt;

use serde::{
    Deserialize, Deserializer, Serialize, Serializer,
    de::{self, MapAccess, SeqAccess, Visitor},
    ser::SerializeStruct,
};

/// A Python value passed to or returned from a robot function.
///
/// In JSON (and every human-readable format) serialised untagged, so traces read like Python:
/// `"kitchen"`, `["a", "b"]`, `true`, `null`. Tuples and other objects keep their identity,
/// because the robot API's argument checks depend on the exact type (`ask` wants a *list* of
/// options). In binary formats (the robot calls' [`wire`](crate::wire)) a value is a tagged
/// enum, and a float that JSON cannot hold (NaN, infinities) is `None`, as JSON's `null`
/// makes it.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    None,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    List(Vec<Value>),
    Tuple {
        tuple: Vec<Value>,
    },
    /// Any other object (or an int beyond 64 bits), by type name and `repr`.
    Other {
        type_name: String,
        repr: String,
    },
}

impl Value {
    /// The Python type name (`str`, `list`, …).
    #[must_use]
    pub fn type_name(&self) -> &str {
        match self {
            Self::None => "NoneType",
            Self::Bool(_) => "bool",
            Self::Int(_) => "int",
            Self::Float(_) => "float",
            Self::Str(_) => "str",
            Self::List(_) => "list",
            Self::Tuple { .. } => "tuple",
            Self::Other { type_name, .. } => type_name,
        }
    }

    /// A copy fit for a record of bounded size: strings (and `repr`s) longer than `max_bytes`
    /// keep their start and end with `…[+N bytes]…`; lists and tuples keep at most
    /// `max_items` items *in all*, at every depth together (a list of lists of lists does not
    /// multiply them), then a string `…[+N items]` where items were left out. Visible, never
    /// silent.
    #[must_use]
    pub fn truncated(&self, max_bytes: usize, max_items: usize) -> Self {
        let mut budget = max_items;
        self.truncated_within(max_bytes, &mut budget)
    }

    /// [`truncated`](Self::truncated), items taken from the shared `budget`.
    fn truncated_within(&self, max_bytes: usize, budget: &mut usize) -> Self {
        let mut items = |values: &[Self]| {
            let take = values.len().min(*budget);
            *budget -= take;
            let mut kept: Vec<Self> = values[..take].iter().map(|v| v.truncated_within(max_bytes, budget)).collect();
            if values.len() > take {
                kept.push(Self::Str(format!("…[+{} items]", values.len() - take)));
            }
            kept
        };
        match self {
            Self::Str(s) => Self::Str(truncate_text(s, max_bytes)),
            Self::List(values) => Self::List(items(values)),
            Self::Tuple { tuple } => Self::Tuple { tuple: items(tuple) },
            Self::Other { type_name, repr } => {
                Self::Other { type_name: truncate_text(type_name, max_bytes), repr: truncate_text(repr, max_bytes) }
            }
            other => other.clone(),
        }
    }

    /// The string, when the value is a `str`.
    #[must_use]
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Self::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The value as Python's `str` would show it (close enough for messages).
    #[must_use]
    pub fn py_str(&self) -> String {
        match self {
            Self::Str(s) => s.clone(),
            other => other.repr(),
        }
    }

    /// The value as Python's `repr` would show it (close enough for messages).
    #[must_use]
    pub fn repr(&self) -> String {
        fn join(items: &[Value]) -> String {
            items.iter().map(Value::repr).collect::<Vec<_>>().join(", ")
        }
        match self {
            Self::None => "None".to_owned(),
            Self::Bool(true) => "True".to_owned(),
            Self::Bool(false) => "False".to_owned(),
            Self::Int(i) => i.to_string(),
            Self::Float(f) => format!("{f:?}"),
            Self::Str(s) => str_repr(s),
            Self::List(items) => format!("[{}]", join(items)),
            Self::Tuple { tuple } if tuple.len() == 1 => format!("({},)", tuple[0].repr()),
            Self::Tuple { tuple } => format!("({})", join(tuple)),
            Self::Other { repr, .. } => repr.clone(),
        }
    }
}

/// Python's `repr` of a string: single quotes unless only double quotes avoid escaping.
fn str_repr(s: &str) -> String {
    let quote = if s.contains('\'') && !s.contains('"') { '"' } else { '\'' };
    let mut out = String::with_capacity(s.len() + 2);
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c < ' ' || c == '\u{7f}' => out.push_str(&format!("\\x{:02x}", u32::from(c))),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

impl Serialize for Value {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if !serializer.is_human_readable() {
            return Tagged::from(self).serialize(serializer);
        }
        match self {
            Self::None => serializer.serialize_unit(),
            Self::Bool(b) => serializer.serialize_bool(*b),
            Self::Int(i) => serializer.serialize_i64(*i),
            Self::Float(f) => serializer.serialize_f64(*f),
            Self::Str(s) => serializer.serialize_str(s),
            Self::List(items) => serializer.collect_seq(items),
            Self::Tuple { tuple } => {
                let mut map = serializer.serialize_struct("Tuple", 1)?;
                map.serialize_field("tuple", tuple)?;
                map.end()
            }
            Self::Other { type_name, repr } => {
                let mut map = serializer.serialize_struct("Other", 2)?;
                map.serialize_field("type_name", type_name)?;
                map.serialize_field("repr", repr)?;
                map.end()
            }
        }
    }
}

/// A [`Value`] as binary formats carry it ([`wire`](crate::wire)): tagged. Borrowed to write
/// one (`S = &str`, `L = &[Value]`), owned when read back (`String`, `Vec<Value>`): one
/// definition, so both directions agree on the variants and their order, which are the
/// wire's tags. A guest writes its own objects with it (`L` then a sequence of its own that
/// writes each item as a `Tagged`) without building `Value`s; in the wire format only.
#[derive(Debug, Serialize, Deserialize)]
pub enum Tagged<S, L> {
    None,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(S),
    List(L),
    Tuple(L),
    Other { type_name: S, repr: S },
}

impl<'a> From<&'a Value> for Tagged<&'a str, &'a [Value]> {
    fn from(value: &'a Value) -> Self {
        match value {
            // What JSON does to it (`null`), so both formats carry the same values.
            Value::Float(f) if !f.is_finite() => Self::None,
            Value::None => Self::None,
            Value::Bool(b) => Self::Bool(*b),
            Value::Int(i) => Self::Int(*i),
            Value::Float(f) => Self::Float(*f),
            Value::Str(s) => Self::Str(s),
            Value::List(items) => Self::List(items),
            Value::Tuple { tuple } => Self::Tuple(tuple),
            Value::Other { type_name, repr } => Self::Other { type_name, repr },
        }
    }
}

impl From<Tagged<String, Vec<Self>>> for Value {
    fn from(value: Tagged<String, Vec<Self>>) -> Self {
        match value {
            Tagged::None => Self::None,
            Tagged::Bool(b) => Self::Bool(b),
            Tagged::Int(i) => Self::Int(i),
            Tagged::Float(f) => Self::Float(f),
            Tagged::Str(s) => Self::Str(s),
            Tagged::List(items) => Self::List(items),
            Tagged::Tuple(tuple) => Self::Tuple { tuple },
            Tagged::Other { type_name, repr } => Self::Other { type_name, repr },
        }
    }
}

/// JSON is deserialised by looking at it once (serde's untagged enums try each variant in
/// turn and build an error for every miss); binary formats say the variant.
impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        if deserializer.is_human_readable() {
            deserializer.deserialize_any(ValueVisitor)
        } else {
            Tagged::<String, Vec<Self>>::deserialize(deserializer).map(Self::from)
        }
    }
}

struct ValueVisitor;

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a Python value")
    }

    fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::None)
    }

    fn visit_none<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::None)
    }

    fn visit_bool<E: de::Error>(self, b: bool) -> Result<Value, E> {
        Ok(Value::Bool(b))
    }

    fn visit_i64<E: de::Error>(self, i: i64) -> Result<Value, E> {
        Ok(Value::Int(i))
    }

    fn visit_u64<E: de::Error>(self, u: u64) -> Result<Value, E> {
        Ok(i64::try_from(u).map_or_else(|_| Value::Float(u as f64), Value::Int))
    }

    fn visit_f64<E: de::Error>(self, f: f64) -> Result<Value, E> {
        Ok(Value::Float(f))
    }

    fn visit_str<E: de::Error>(self, s: &str) -> Result<Value, E> {
        Ok(Value::Str(s.to_owned()))
    }

    fn visit_string<E: de::Error>(self, s: String) -> Result<Value, E> {
        Ok(Value::Str(s))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Value::List(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let (mut tuple, mut type_name, mut repr) = (None, None, None);
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "tuple" => tuple = Some(map.next_value()?),
                "type_name" => type_name = Some(map.next_value()?),
                "repr" => repr = Some(map.next_value()?),
                other => return Err(de::Error::unknown_field(other, &["tuple", "type_name", "repr"])),
            }
        }
        match (tuple, type_name, repr) {
            (Some(tuple), None, None) => Ok(Value::Tuple { tuple }),
            (None, Some(type_name), Some(repr)) => Ok(Value::Other { type_name, repr }),
            _ => Err(de::Error::custom("expected {\"tuple\": [...]} or {\"type_name\", \"repr\"}")),
        }
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Self::Str(s.to_owned())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Self {
        Self::Str(s)
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Self {
        Self::Bool(b)
    }
}

impl<T: Into<Value>> From<Vec<T>> for Value {
    fn from(items: Vec<T>) -> Self {
        Self::List(items.into_iter().map(Into::into).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn untagged_round_trip_keeps_types_apart() {
        let values = vec![
            Value::None,
            Value::Bool(true),
            Value::Int(-3),
            Value::Float(1.5),
            Value::from("x"),
            Value::from(vec!["a", "b"]),
            Value::Tuple { tuple: vec![Value::from("a")] },
            Value::Other { type_name: "dict".into(), repr: "{}".into() },
        ];
        let wire = serde_json::to_string(&values).unwrap();
        assert_eq!(wire, r#"[null,true,-3,1.5,"x",["a","b"],{"tuple":["a"]},{"type_name":"dict","repr":"{}"}]"#);
        assert_eq!(serde_json::from_str::<Vec<Value>>(&wire).unwrap(), values);
    }

    #[test]
    fn repr_matches_python() {
        assert_eq!(Value::from(vec!["it's", "a"]).repr(), r#"["it's", 'a']"#);
        assert_eq!(Value::from("'\"").repr(), r#"'\'"'"#);
        assert_eq!(Value::Tuple { tuple: vec![Value::Int(1)] }.repr(), "(1,)");
        assert_eq!(Value::Bool(false).repr(), "False");
    }
}

/// The first `max_items` of `items`, each through `keep`, then `omitted(n)` when `n` more
/// were left out: how every list in a bounded record is cut.
pub fn truncate_items<T, U>(
    items: &[T],
    max_items: usize,
    keep: impl Fn(&T) -> U,
    omitted: impl FnOnce(usize) -> U,
) -> Vec<U> {
    let mut kept: Vec<U> = items.iter().take(max_items).map(keep).collect();
    if items.len() > max_items {
        kept.push(omitted(items.len() - max_items));
    }
    kept
}

/// [`truncate_items`] for Python values: the left-out items are counted in a string,
/// `…[+N items]`.
pub fn truncate_values<T>(items: &[T], max_items: usize, keep: impl Fn(&T) -> Value) -> Vec<Value> {
    truncate_items(items, max_items, keep, |n| Value::Str(format!("…[+{n} items]")))
}

/// `text` if it has at most `max_bytes` bytes; else its first and last parts around a marker
/// saying how many bytes were left out.
#[must_use]
pub fn truncate_text(text: &str, max_bytes: usize) -> String {
    if text.len() <= max_bytes {
        return text.to_owned();
    }
    let mut head = max_bytes * 3 / 4;
    while !text.is_char_boundary(head) {
        head -= 1;
    }
    let mut tail = text.len() - (max_bytes - max_bytes * 3 / 4);
    while !text.is_char_boundary(tail) {
        tail += 1;
    }
    format!("{}…[+{} bytes]…{}", &text[..head], tail - head, &text[tail..])
}

#[cfg(test)]
mod truncation_tests {
    use super::{Value, truncate_text};

    #[test]
    fn long_strings_keep_both_ends_and_say_what_is_missing() {
        let long = format!("{}{}", "a".repeat(100), "z".repeat(100));
        let cut = truncate_text(&long, 40);
        assert!(cut.starts_with(&"a".repeat(30)) && cut.ends_with(&"z".repeat(10)), "{cut}");
        assert!(cut.contains("…[+160 bytes]…"), "{cut}");
        assert_eq!(truncate_text("short", 40), "short");
        // Never splits a character.
        let accents = "é".repeat(50);
        assert!(truncate_text(&accents, 33).contains("bytes]"));
    }

    #[test]
    fn long_lists_are_cut_visibly_and_nested_values_too() {
        let value = Value::List((0..10).map(|i| Value::Str("x".repeat(i * 10))).collect());
        let Value::List(items) = value.truncated(20, 4) else { panic!("still a list") };
        assert_eq!(items.len(), 5);
        assert_eq!(items[4], Value::Str("…[+6 items]".into()));
        assert_eq!(items[3], Value::Str(truncate_text(&"x".repeat(30), 20)));
        let small = Value::Tuple { tuple: vec![Value::Int(1)] };
        assert_eq!(small.truncated(20, 4), small);
    }

    #[test]
    fn nested_lists_share_one_budget_of_items() {
        // 25 x 25 x 25 x 25 leaves: cut per level this kept 32^4 of them; in all, 32.
        let nested = (0..3).fold(Value::List(vec![Value::Int(0); 25]), |inner, _| Value::List(vec![inner; 25]));
        let cut = nested.truncated(512, 32);
        let mut count = 0;
        let mut stack = vec![&cut];
        while let Some(v) = stack.pop() {
            if let Value::List(items) = v {
                count += items.len();
                stack.extend(items);
            }
        }
        assert!(count <= 32 + 4 * 25, "{count} items kept");
        assert!(cut.repr().contains("…[+"), "the cut is visible");
    }
}
