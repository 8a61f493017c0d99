//! Messages on the wire between guest and host: a [`RunRequest`](crate::RunRequest), then
//! robot calls ([`Request`](crate::Request)s and [`Reply`](crate::Reply)s), then the
//! [`GuestReport`](crate::GuestReport), in postcard, a compact serde format: they are the hot
//! path (every robot call, on every path of every program), and JSON cost a tenth of a run's
//! time in formatting and parsing on both sides.
//!
//! What a program is charged for its robot traffic (`robot_data_bytes`) is still the size
//! of the messages in JSON, [`json_len`], so limits mean what they meant and a run's
//! outcome does not depend on the wire format.
//!
//! ```
//! use robosim_protocol::{Request, RobotFunction, Site, Value, wire};
//!
//! let call = Request::Robot { function: RobotFunction::GoTo, args: vec![Value::from("kitchen")], site: Site::default() };
//! let mut bytes = Vec::new();
//! wire::encode(&call, &mut bytes);
//! assert_eq!(wire::decode::<Request>(&bytes).unwrap(), call);
//! assert_eq!(wire::json_len(&call), serde_json::to_vec(&call).unwrap().len());
//! assert!(wire::json_len_at_least(bytes.len()) <= wire::json_len(&call));
//! ```

use serde::{Deserialize, Serialize};

pub use crate::json_len::JsonLen;

/// A message that is not one: truncated, or not of the type expected.
#[derive(Debug, thiserror::Error)]
#[error("malformed message: {0}")]
pub struct WireError(#[from] postcard::Error);

/// Writes `message` into `buf` (cleared first), reusing its allocation.
pub fn encode<T: Serialize + ?Sized>(message: &T, buf: &mut Vec<u8>) {
    buf.clear();
    // Writing into a Vec fails only for what serde cannot express (none of our types).
    let taken = std::mem::take(buf);
    *buf = postcard::to_extend(message, taken).unwrap_or_default();
}

/// Reads a message of type `T` from the whole of `bytes`.
pub fn decode<'a, T: Deserialize<'a>>(bytes: &'a [u8]) -> Result<T, WireError> {
    let (message, rest) = postcard::take_from_bytes(bytes)?;
    if rest.is_empty() { Ok(message) } else { Err(postcard::Error::DeserializeBadEncoding.into()) }
}

/// Reads a message of type `T` from the start of `bytes`; returns it and the bytes after it.
pub fn decode_front<'a, T: Deserialize<'a>>(bytes: &'a [u8]) -> Result<(T, &'a [u8]), WireError> {
    Ok(postcard::take_from_bytes(bytes)?)
}

/// The size of `message` in compact JSON (`serde_json::to_vec`), computed without
/// building it.
#[must_use]
pub fn json_len<T: JsonLen + ?Sized>(message: &T) -> usize {
    message.json_len()
}

/// A lower bound of [`json_len`] of a message, knowing only its size on the wire: no value
/// takes more than three times its JSON size in postcard (a float: a tag and 8 bytes, against
/// `0.0`; strings, lists and integers take less). A host refuses an over-large request by
/// this bound before it copies the bytes out of the guest.
#[must_use]
pub const fn json_len_at_least(wire_len: usize) -> usize {
    wire_len.div_ceil(3)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Container, Reply, Request, RobotFunction, Site, Value};

    fn samples() -> Vec<Request> {
        let nested = Value::List(vec![
            Value::None,
            Value::Bool(false),
            Value::Int(i64::MIN),
            Value::Int(0),
            Value::Float(0.0),
            Value::Float(-1.5e300),
            Value::Str(String::new()),
            Value::Str("é\"\\\n\u{1}".into()),
            Value::Tuple { tuple: vec![Value::Int(7)] },
            Value::Other { type_name: "dict".into(), repr: "{}".into() },
        ]);
        vec![
            Request::Robot {
                function: RobotFunction::Ask,
                args: vec![nested.clone(), Value::from("q")],
                site: Site { line: 3, column: 9 },
            },
            Request::Robot { function: RobotFunction::GetAllRooms, args: vec![], site: Site::default() },
            Request::Robot {
                function: RobotFunction::Say,
                args: vec![Value::List(vec![Value::Float(0.0); 50])],
                site: Site::default(),
            },
            Request::Robot {
                function: RobotFunction::Say,
                args: vec![Value::List(vec![Value::Int(0); 50])],
                site: Site::default(),
            },
            Request::Contains {
                container: Container::Rooms(vec!["a".into(), "kitchen".into()]),
                item: "a".into(),
                site: Site { line: 1, column: 1 },
            },
            Request::Contains { container: Container::Name("x".into()), item: String::new(), site: Site::default() },
            Request::Sleep { seconds: 0.25 },
        ]
    }

    #[test]
    fn requests_and_replies_come_back_as_they_went() {
        let mut buf = Vec::new();
        for request in samples() {
            encode(&request, &mut buf);
            assert_eq!(decode::<Request>(&buf).unwrap(), request);
            assert_eq!(json_len(&request), serde_json::to_vec(&request).unwrap().len());
            assert!(json_len_at_least(buf.len()) <= json_len(&request), "{request:?}: {} wire bytes", buf.len());
        }
        for reply in [
            Reply::Value { value: Value::from(vec!["kitchen", "office"]) },
            Reply::RobotError { name: "PickError".into(), message: "holding".into() },
            Reply::Invalid { message: String::new() },
        ] {
            encode(&reply, &mut buf);
            assert_eq!(decode::<Reply>(&buf).unwrap(), reply);
            assert_eq!(json_len(&reply), serde_json::to_vec(&reply).unwrap().len());
        }
    }

    /// Writes a value as a guest writes its own objects: each variant through [`Tagged`],
    /// the items of a list or tuple as a sequence of their own.
    struct Mirror<'a>(&'a Value);

    impl<'a> Serialize for Mirror<'a> {
        fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            use crate::Tagged;
            let items = |items: &'a [Value]| items.iter().map(Mirror).collect::<Vec<_>>();
            match self.0 {
                Value::None => Tagged::<&str, ()>::None.serialize(serializer),
                Value::Bool(b) => Tagged::<&str, ()>::Bool(*b).serialize(serializer),
                Value::Int(i) => Tagged::<&str, ()>::Int(*i).serialize(serializer),
                Value::Float(f) if f.is_finite() => Tagged::<&str, ()>::Float(*f).serialize(serializer),
                Value::Float(_) => Tagged::<&str, ()>::None.serialize(serializer),
                Value::Str(s) => Tagged::<&str, ()>::Str(s).serialize(serializer),
                Value::List(list) => Tagged::<&str, _>::List(items(list)).serialize(serializer),
                Value::Tuple { tuple } => Tagged::<&str, _>::Tuple(items(tuple)).serialize(serializer),
                Value::Other { type_name, repr } => Tagged::<&str, ()>::Other { type_name, repr }.serialize(serializer),
            }
        }
    }

    #[test]
    fn a_robot_call_written_from_borrowed_values_is_the_requests_bytes() {
        let (mut owned, mut borrowed) = (Vec::new(), Vec::new());
        let mut robot_calls = 0;
        for request in samples() {
            let Request::Robot { function, args, site } = &request else { continue };
            robot_calls += 1;
            encode(&request, &mut owned);
            let args: Vec<Mirror<'_>> = args.iter().map(Mirror).collect();
            encode(&crate::RobotCall::Robot { function: *function, args, site: *site }, &mut borrowed);
            assert_eq!(borrowed, owned, "{request:?}");
        }
        assert!(robot_calls >= 2, "the samples have robot calls");
    }

    #[test]
    fn a_run_request_and_its_code_and_a_report_come_back_as_they_went() {
        use crate::{ExceptionInfo, GuestOutcome, GuestReport, RobotErrorInfo, RunRequest};
        let request = RunRequest {
            source: "def task_program():\n    pass\n".into(),
            filename: "<program>".into(),
            entry: Some("task_program".into()),
            code_bytes: 3,
            again: false,
        };
        let mut buf = Vec::new();
        encode(&request, &mut buf);
        buf.extend_from_slice(b"abc");
        let (back, code) = decode_front::<RunRequest>(&buf).unwrap();
        assert_eq!((back, code), (request, &b"abc"[..]));
        for outcome in [
            GuestOutcome::Completed,
            GuestOutcome::Exited { code: Value::Int(3) },
            GuestOutcome::SyntaxError { message: "SyntaxError: x".into(), line: Some(2), column: None },
            GuestOutcome::Exception(ExceptionInfo {
                exc_type: "robot.RobotError".into(),
                message: "m".into(),
                line: Some(4),
                traceback: "Traceback".into(),
                robot_error: Some(RobotErrorInfo { name: "PickError".into(), message: "m".into() }),
            }),
        ] {
            let report = GuestReport { outcome, reusable: true };
            encode(&report, &mut buf);
            assert_eq!(decode::<GuestReport>(&buf).unwrap(), report);
        }
    }

    #[test]
    fn a_float_json_cannot_hold_travels_as_json_would_carry_it() {
        let mut buf = Vec::new();
        encode(&Value::List(vec![Value::Float(f64::NAN), Value::Float(f64::INFINITY)]), &mut buf);
        let json: Value = serde_json::from_slice(&serde_json::to_vec(&Value::Float(f64::NAN)).unwrap()).unwrap();
        assert_eq!(json, Value::None);
        assert_eq!(decode::<Value>(&buf).unwrap(), Value::List(vec![Value::None, Value::None]));
    }

    #[test]
    fn bytes_that_are_not_a_whole_message_are_refused() {
        let mut buf = Vec::new();
        encode(&Request::Sleep { seconds: 1.0 }, &mut buf);
        assert!(decode::<Request>(&buf[..buf.len() - 1]).is_err());
        buf.push(0);
        assert!(decode::<Request>(&buf).is_err());
        assert!(decode::<Request>(&[0xff; 4]).is_err());
    }

    fn any_value() -> impl proptest::strategy::Strategy<Value = Value> {
        use proptest::prelude::*;
        let leaf = prop_oneof![
            Just(Value::None),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::Int),
            any::<f64>().prop_map(Value::Float),
            ".{0,12}".prop_map(Value::Str),
            ("[a-z]{0,6}", ".{0,12}").prop_map(|(type_name, repr)| Value::Other { type_name, repr }),
        ];
        leaf.prop_recursive(4, 64, 8, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..8).prop_map(Value::List),
                proptest::collection::vec(inner, 0..8).prop_map(|tuple| Value::Tuple { tuple }),
            ]
        })
    }

    proptest::proptest! {
        /// The bound a host refuses a large request by never exceeds what it would charge,
        /// and JSON's size is counted exactly.
        #[test]
        fn the_wire_is_at_most_three_times_json(args in proptest::collection::vec(any_value(), 0..6), line in 0u32..100_000, column in 0u32..1_000) {
            let request = Request::Robot { function: RobotFunction::Say, args, site: Site { line, column } };
            let mut buf = Vec::new();
            encode(&request, &mut buf);
            let json = serde_json::to_vec(&request).unwrap();
            proptest::prop_assert_eq!(json_len(&request), json.len());
            proptest::prop_assert!(json_len_at_least(buf.len()) <= json.len());
            // And arrives as sent, but for what JSON has no number for (and the last bit of
            // some floats, which serde_json's parser may round: postcard keeps them exact).
            fn finite(value: &Value) -> Value {
                match value {
                    Value::Float(f) if !f.is_finite() => Value::None,
                    Value::List(items) => Value::List(items.iter().map(finite).collect()),
                    Value::Tuple { tuple } => Value::Tuple { tuple: tuple.iter().map(finite).collect() },
                    other => other.clone(),
                }
            }
            let Request::Robot { function, args, site } = request else { unreachable!() };
            let sent = Request::Robot { function, args: args.iter().map(finite).collect(), site };
            proptest::prop_assert_eq!(decode::<Request>(&buf).unwrap(), sent);
        }
    }
}
