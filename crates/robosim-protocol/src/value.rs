//! A Python value, as far as the robot API cares.

use serde::{Deserialize, Serialize};

/// A Python value passed to or returned from a robot function.
///
/// Serialised untagged, so traces read like Python: `"kitchen"`, `["a", "b"]`, `true`, `null`.
/// Tuples and other objects keep their identity, because the robot API's argument checks
/// depend on the exact type (`ask` wants a *list* of options).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
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
            '\t' => out.push_str("\\t"),
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
