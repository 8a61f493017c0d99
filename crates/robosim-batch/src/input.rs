//! Reading batch input: one JSON object per line, each bad line an [`Input::Invalid`].

use robosim_fs::{line_hash, too_many_values};
use serde_json::{Map, Value};

/// One input line, parsed.
#[derive(Debug, Clone, PartialEq)]
pub enum Input {
    /// A record to verify.
    Program {
        /// The record's `id`, or its line number when it has none.
        id: Value,
        instruction: Option<String>,
        /// The `program` field as given (it may hold a fenced block; the verifier extracts).
        program: String,
        /// Every field of the input object, carried through to the output untouched.
        fields: Map<String, Value>,
    },
    /// A line that cannot be verified, and why.
    Invalid { id: Value, message: String },
}

/// A line of input with its position and fingerprint.
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    /// 1-based line number.
    pub number: u64,
    /// SHA-256 of the raw line (hex, first 16 bytes, [`robosim_fs::line_hash`]): how
    /// `--resume` recognises it.
    pub hash: String,
    pub input: Input,
}

/// The record of line `number`, too long to read (`bytes`, its hash `hash`): invalid input.
#[must_use]
pub fn too_long_line(number: u64, bytes: u64, hash: String) -> Line {
    let message = format!("the line is {bytes} bytes; lines longer than the input limit are not read");
    Line { number, hash, input: Input::Invalid { id: Value::from(number), message } }
}

/// Parses one raw line (without its newline). Never fails: a bad line is `Input::Invalid`.
#[must_use]
pub fn parse_line(number: u64, raw: &[u8], max_program_bytes: usize) -> Line {
    let hash = line_hash(raw);
    let fallback_id = Value::from(number);
    let input = match parse(raw, max_program_bytes) {
        Ok((fields, program)) => Input::Program {
            id: fields.get("id").filter(|id| !id.is_null()).cloned().unwrap_or(fallback_id),
            instruction: fields.get("instruction").and_then(Value::as_str).map(str::to_owned),
            program,
            fields,
        },
        Err((id, message)) => Input::Invalid { id: id.unwrap_or(fallback_id), message },
    };
    Line { number, hash, input }
}

type Parsed = (Map<String, Value>, String);

fn parse(raw: &[u8], max_program_bytes: usize) -> Result<Parsed, (Option<Value>, String)> {
    let text = std::str::from_utf8(raw).map_err(|e| (None, format!("the line is not valid UTF-8 ({e})")))?;
    if text.trim().is_empty() {
        return Err((None, "the line is empty".to_owned()));
    }
    too_many_values(raw).map_err(|message| (None, message))?;
    let value: Value = serde_json::from_str(text).map_err(|e| (None, format!("the line is not valid JSON ({e})")))?;
    let Value::Object(fields) = value else {
        return Err((None, format!("the line is JSON but not an object (it is {})", kind(&value))));
    };
    let id = fields.get("id").cloned();
    let program = match fields.get("program") {
        None => return Err((id, "the record has no \"program\" field".to_owned())),
        Some(Value::String(program)) => program.clone(),
        Some(other) => return Err((id, format!("\"program\" must be a string, not {}", kind(other)))),
    };
    if program.len() > max_program_bytes {
        return Err((id, format!("the program is {} bytes; the limit is {max_program_bytes}", program.len())));
    }
    Ok((fields, program))
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use robosim_fs::MAX_JSON_VALUES;

    use super::*;

    fn message(raw: &[u8]) -> String {
        match parse_line(7, raw, 100).input {
            Input::Invalid { message, .. } => message,
            Input::Program { .. } => panic!("expected invalid input"),
        }
    }

    #[test]
    fn good_line_keeps_every_field() {
        let line = parse_line(3, br#"{"instruction":"Go","program":"x","extra":[1]}"#, 100);
        let Input::Program { id, instruction, program, fields } = line.input else { panic!() };
        assert_eq!(id, Value::from(3));
        assert_eq!(instruction.as_deref(), Some("Go"));
        assert_eq!(program, "x");
        assert_eq!(fields["extra"], serde_json::json!([1]));
        assert_eq!(line.hash.len(), 32);
    }

    #[test]
    fn bad_lines_say_why() {
        assert_eq!(message(b""), "the line is empty");
        assert!(message(b"{nope").starts_with("the line is not valid JSON"));
        assert!(message(b"\xff\xfe").starts_with("the line is not valid UTF-8"));
        assert_eq!(message(b"[1]"), "the line is JSON but not an object (it is an array)");
        let many = format!(r#"{{"program":"x","extra":[{}]}}"#, r#"{"":0},"#.repeat(MAX_JSON_VALUES / 3));
        assert!(
            message(many.as_bytes()).starts_with("the line holds over 10000 JSON values"),
            "{}",
            message(many.as_bytes())
        );
        // Separators inside strings are not values.
        let quoted = format!(r#"{{"program":"{}"}}"#, r#"[{\":,"#.repeat(MAX_JSON_VALUES));
        assert!(too_many_values(quoted.as_bytes()).is_ok());
        assert_eq!(message(br#"{"id":1}"#), "the record has no \"program\" field");
        assert_eq!(message(br#"{"program":5}"#), "\"program\" must be a string, not a number");
        assert_eq!(
            message(format!(r#"{{"program":"{}"}}"#, "x".repeat(101)).as_bytes()),
            "the program is 101 bytes; the limit is 100"
        );
    }

    #[test]
    fn invalid_lines_keep_their_id() {
        let line = parse_line(9, br#"{"id":"a-1","program":null}"#, 100);
        assert!(matches!(line.input, Input::Invalid { id, .. } if id == "a-1"));
    }
}
