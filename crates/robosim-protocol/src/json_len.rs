//! [`JsonLen`]: the size of a robot call's messages in compact JSON, computed from the values
//! rather than by formatting them (formatting into a counter cost a host a few per cent of
//! a verification). Exact: `tests` and `wire`'s property test hold it to `serde_json`.

use crate::{Container, Reply, Request, RobotFunction, Site, Value};

/// The length of `self` as `serde_json::to_vec` writes it.
pub trait JsonLen {
    fn json_len(&self) -> usize;
}

/// A quoted string, escaped as serde_json escapes: `"` and `\`, and control characters
/// (`\n`-style for five of them, `\u00XX` for the rest).
fn str_len(s: &str) -> usize {
    // Most strings need no escape: counted in one pass the compiler vectorises.
    if !s.bytes().any(|b| b < 0x20 || b == b'"' || b == b'\\') {
        return 2 + s.len();
    }
    2 + s
        .bytes()
        .map(|b| match b {
            b'"' | b'\\' | 0x08 | 0x09 | 0x0a | 0x0c | 0x0d => 2,
            0x00..=0x1f => 6,
            _ => 1,
        })
        .sum::<usize>()
}

fn int_len(i: i64) -> usize {
    usize::from(i < 0) + i.unsigned_abs().checked_ilog10().map_or(1, |d| d as usize + 1)
}

/// Floats are rare in robot calls; their shortest form is serde_json's to say.
fn float_len(f: f64) -> usize {
    if f.is_finite() { serde_json::to_string(&f).map_or(usize::MAX, |s| s.len()) } else { "null".len() }
}

/// `{"key":` … `}` around a body of `inner` bytes.
const fn object1(key: &str, inner: usize) -> usize {
    key.len() + 5 + inner
}

fn seq_len<T>(items: &[T], len: impl Fn(&T) -> usize) -> usize {
    2 + items.len().saturating_sub(1) + items.iter().map(len).fold(0, usize::saturating_add)
}

impl JsonLen for Value {
    fn json_len(&self) -> usize {
        match self {
            Self::None => 4,
            Self::Bool(true) => 4,
            Self::Bool(false) => 5,
            Self::Int(i) => int_len(*i),
            Self::Float(f) => float_len(*f),
            Self::Str(s) => str_len(s),
            Self::List(items) => seq_len(items, Self::json_len),
            Self::Tuple { tuple } => object1("tuple", seq_len(tuple, Self::json_len)),
            // {"type_name":…,"repr":…}
            Self::Other { type_name, repr } => 22 + str_len(type_name) + str_len(repr),
        }
    }
}

impl JsonLen for Site {
    fn json_len(&self) -> usize {
        // {"line":…,"column":…}
        19 + int_len(i64::from(self.line)) + int_len(i64::from(self.column))
    }
}

fn function_len(function: RobotFunction) -> usize {
    function.name().len() + 2
}

impl JsonLen for Container {
    fn json_len(&self) -> usize {
        match self {
            Self::Rooms(rooms) => object1("rooms", seq_len(rooms, |r| str_len(r))),
            Self::Name(name) => object1("name", str_len(name)),
        }
    }
}

impl JsonLen for Request {
    fn json_len(&self) -> usize {
        match self {
            // {"robot":{"function":…,"args":…,"site":…}}
            Self::Robot { function, args, site } => {
                object1("robot", 29 + function_len(*function) + seq_len(args, Value::json_len) + site.json_len())
            }
            // {"contains":{"container":…,"item":…,"site":…}}
            Self::Contains { container, item, site } => {
                object1("contains", 30 + container.json_len() + str_len(item) + site.json_len())
            }
            // {"sleep":{"seconds":…}}
            Self::Sleep { seconds } => object1("sleep", object1("seconds", float_len(*seconds))),
        }
    }
}

impl JsonLen for Reply {
    fn json_len(&self) -> usize {
        match self {
            Self::Value { value } => object1("value", object1("value", value.json_len())),
            // {"robot_error":{"name":…,"message":…}}
            Self::RobotError { name, message } => object1("robot_error", 20 + str_len(name) + str_len(message)),
            Self::Invalid { message } => object1("invalid", object1("message", str_len(message))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exact<T: JsonLen + serde::Serialize + std::fmt::Debug>(message: &T) {
        assert_eq!(message.json_len(), serde_json::to_vec(message).unwrap().len(), "{message:?}");
    }

    #[test]
    fn every_message_is_counted_as_serde_json_writes_it() {
        let strings = ["", "kitchen", "é\"\\", "\u{0}\u{1f}\u{7f}\u{8}\t\n\u{c}\r"];
        for s in strings {
            exact(&Value::from(s));
            exact(&Reply::RobotError { name: s.into(), message: s.into() });
            exact(&Reply::Invalid { message: s.into() });
            exact(&Request::Contains { container: Container::Name(s.into()), item: s.into(), site: Site::default() });
            exact(&Request::Contains {
                container: Container::Rooms(strings.iter().map(|&r| r.to_owned()).collect()),
                item: s.into(),
                site: Site { line: 12, column: 345 },
            });
        }
        for i in [0, 9, 10, -1, -10, i64::MAX, i64::MIN] {
            exact(&Value::Int(i));
        }
        for f in [0.0, -0.0, 1.5, 1e300, -2.5e-300, f64::NAN, f64::INFINITY] {
            exact(&Value::Float(f));
            exact(&Request::Sleep { seconds: f });
        }
        for function in RobotFunction::ALL {
            for site in [Site::default(), Site { line: u32::MAX, column: 7 }] {
                exact(&Request::Robot { function, args: vec![], site });
                exact(&Request::Robot {
                    function,
                    args: vec![Value::None, Value::Bool(false), Value::Bool(true)],
                    site,
                });
            }
        }
        let nested = Value::List(vec![
            Value::Tuple { tuple: vec![] },
            Value::Tuple { tuple: vec![Value::Int(1), Value::List(vec![])] },
            Value::Other { type_name: "dict".into(), repr: "{'a': \"b\"}".into() },
        ]);
        exact(&nested);
        exact(&Reply::Value { value: nested });
    }
}
