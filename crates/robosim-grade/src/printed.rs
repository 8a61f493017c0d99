//! The trace as RoboEval's harness reads it. Its simulator prints one line per traced robot
//! call, `Name /$@!/ value /$@!/ options`, to stdout; the program's own prints go to the same
//! stream; the harness strips the whole output, splits it into lines and reads elements until
//! the first line that does not split into three fields whose last is a Python literal. So a
//! program that prints a status line before its last robot call loses the rest of its trace,
//! as it does in RoboEval. robosim rebuilds that stream from the run's robot calls and the
//! places of its writes to stdout, and reads it back the same way.

use robosim_protocol::{RobotFunction, Value};
use robosim_sandbox::{CallResult, StdoutWrite, TraceEvent};

use crate::rtl::{Action, Element};

/// The separator RoboEval prints between an element's fields.
const DELIMITER: &str = "/$@!/";

/// The line RoboEval's simulator prints for a robot call, if it prints one: `go_to`,
/// `is_in_room`, `ask` and `say` once their arguments have the right types (whether or not
/// they then fail), `pick` and `place` only when they succeed.
fn printed(event: &TraceEvent) -> Option<String> {
    let text = |i: usize| event.args.get(i).and_then(Value::as_str);
    let succeeded = matches!(event.result, CallResult::Returned(_));
    let (name, value, options) = match event.function {
        RobotFunction::GoTo => ("GoTo", text(0)?, None),
        RobotFunction::IsInRoom => ("CheckEntity", text(0)?, None),
        RobotFunction::Say => ("Say", text(0)?, None),
        RobotFunction::Pick if succeeded => ("Pick", text(0)?, None),
        RobotFunction::Place if succeeded => ("Place", text(0)?, None),
        RobotFunction::Ask => match (text(0), text(1), event.args.get(2)) {
            (Some(_), Some(question), Some(Value::List(options))) => ("Ask", question, Some(options)),
            _ => return None,
        },
        _ => return None,
    };
    let options = options.map_or_else(
        || "None".to_owned(),
        |o| format!("[{}]", o.iter().map(|v| Value::Str(v.py_str()).repr()).collect::<Vec<_>>().join(", ")),
    );
    Some(format!("{name} {DELIMITER} {value} {DELIMITER} {options}"))
}

/// The trace RoboEval reads from a run: the simulator's lines for `trace`, with the program's
/// own output (`stdout`, written at `writes`) where it was printed, read back as the harness
/// reads them.
#[must_use]
pub fn elements(trace: &[TraceEvent], stdout: &str, writes: &[StdoutWrite]) -> Vec<Element> {
    let write = |k: usize| {
        let end = writes.get(k + 1).map_or(stdout.len(), |w| w.offset);
        stdout.get(writes[k].offset..end).unwrap_or_default()
    };
    let mut text = String::new();
    let mut next = 0;
    for (i, event) in trace.iter().enumerate() {
        while next < writes.len() && writes[next].calls <= i {
            text.push_str(write(next));
            next += 1;
        }
        if let Some(line) = printed(event) {
            text.push_str(&line);
            text.push('\n');
        }
    }
    for k in next..writes.len() {
        text.push_str(write(k));
    }
    read_back(&text)
}

/// Python's `str.strip()`: its white space is Unicode's plus the separators U+001C–U+001F.
fn py_strip(text: &str) -> &str {
    text.trim_matches(|c: char| c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c))
}

/// The harness's parser: elements until the first line that is not one.
fn read_back(text: &str) -> Vec<Element> {
    let text = py_strip(text);
    let mut elements = Vec::new();
    if text.is_empty() {
        return elements;
    }
    for line in text.split('\n') {
        let fields: Vec<&str> = line.split(DELIMITER).collect();
        let [name, value, options] = fields[..] else { break };
        let Some(options) = literal(py_strip(options)) else { break };
        elements.push(Element { action: Action::named(py_strip(name)), value: py_strip(value).to_owned(), options });
    }
    elements
}

/// The last field's value as Python's `eval` gives it, for what the simulator prints there:
/// `None`, or a list of string literals. Anything else is read as a failed `eval` (ending the
/// trace), where Python might have made a number or a tuple of it: only a program's own
/// print can put one there.
fn literal(text: &str) -> Option<Option<Vec<String>>> {
    if text == "None" {
        return Some(None);
    }
    let mut rest = text.strip_prefix('[')?.trim_start();
    let mut items = Vec::new();
    loop {
        if let Some(after) = rest.strip_prefix(']') {
            return after.is_empty().then_some(Some(items));
        }
        let (item, after) = string_literal(rest)?;
        items.push(item);
        rest = after.trim_start();
        if let Some(after) = rest.strip_prefix(',') {
            rest = after.trim_start();
        } else if !rest.starts_with(']') {
            return None;
        }
    }
}

/// A Python string literal at the start of `text` (single or double quotes, the escapes
/// `repr` writes): its value and what follows it.
fn string_literal(text: &str) -> Option<(String, &str)> {
    let quote = text.chars().next().filter(|c| *c == '\'' || *c == '"')?;
    let mut value = String::new();
    let mut chars = text[1..].char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            c if c == quote => return Some((value, &text[1 + i + 1..])),
            '\n' => return None,
            '\\' => {
                let (_, escaped) = chars.next()?;
                let mut hex = |n: usize| -> Option<char> {
                    let digits: String = (0..n).map(|_| chars.next().map(|(_, d)| d)).collect::<Option<_>>()?;
                    char::from_u32(u32::from_str_radix(&digits, 16).ok()?)
                };
                match escaped {
                    'n' => value.push('\n'),
                    'r' => value.push('\r'),
                    't' => value.push('\t'),
                    '\\' | '\'' | '"' => value.push(escaped),
                    'x' => value.push(hex(2)?),
                    'u' => value.push(hex(4)?),
                    'U' => value.push(hex(8)?),
                    other => {
                        value.push('\\');
                        value.push(other);
                    }
                }
            }
            c => value.push(c),
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use robosim_protocol::{RobotFunction, Value};
    use robosim_sandbox::{CallResult, StdoutWrite, TraceEvent};

    use super::{elements, literal};
    use crate::rtl::{Action, Element};

    fn call(function: RobotFunction, args: &[&str]) -> TraceEvent {
        TraceEvent {
            function,
            args: args.iter().map(|a| Value::Str((*a).into())).collect(),
            result: CallResult::Returned(Value::None),
        }
    }

    fn ask(question: &str, options: &[&str]) -> TraceEvent {
        let options = Value::List(options.iter().map(|o| Value::Str((*o).into())).collect());
        TraceEvent {
            function: RobotFunction::Ask,
            args: vec![Value::Str("alice".into()), Value::Str(question.into()), options],
            result: CallResult::Returned(Value::Str("yes".into())),
        }
    }

    #[test]
    fn without_prints_every_traced_call_is_read_back() {
        let trace = [
            call(RobotFunction::GoTo, &["kitchen"]),
            ask("it's 'fine'?\tok", &["yes", "n\"o", "a\nb"]),
            call(RobotFunction::Say, &["  hi  "]),
        ];
        let read = elements(&trace, "", &[]);
        assert_eq!(
            read,
            [Element::go_to("kitchen"), Element::ask("it's 'fine'?\tok", &["yes", "n\"o", "a\nb"]), Element::say("hi")]
        );
    }

    #[test]
    fn a_print_before_a_call_ends_the_trace_there_and_one_after_the_last_does_not() {
        let trace = [call(RobotFunction::GoTo, &["kitchen"]), call(RobotFunction::Say, &["hi"])];
        let printed_between = elements(&trace, "going on\n", &[StdoutWrite { calls: 1, offset: 0 }]);
        assert_eq!(printed_between, [Element::go_to("kitchen")]);
        let printed_after = elements(&trace, "done\n", &[StdoutWrite { calls: 2, offset: 0 }]);
        assert_eq!(printed_after.len(), 2);
        // Blank lines before anything else are stripped away.
        let blank_first = elements(&trace, "\n\n", &[StdoutWrite { calls: 0, offset: 0 }]);
        assert_eq!(blank_first.len(), 2);
    }

    #[test]
    fn text_printed_without_a_newline_runs_into_the_next_line() {
        let trace = [call(RobotFunction::GoTo, &["kitchen"]), call(RobotFunction::Say, &["hi"])];
        let read = elements(&trace, "x", &[StdoutWrite { calls: 1, offset: 0 }]);
        assert_eq!(read.len(), 2);
        assert_eq!((read[1].action, read[1].value.as_str()), (Action::Other, "hi"));
        // A printed line that looks like an element is read as one.
        let forged = elements(&trace[..1], "Say /$@!/ all done /$@!/ None\n", &[StdoutWrite { calls: 1, offset: 0 }]);
        assert_eq!(forged, [Element::go_to("kitchen"), Element::say("all done")]);
    }

    #[test]
    fn literals_read_back_what_repr_writes() {
        for text in ["plain", "it's", "say \"hi\"", "both ' and \"", "back\\slash", "tab\tand\nnew\u{1}"] {
            let repr = Value::Str(text.to_owned()).repr();
            assert_eq!(literal(&format!("[{repr}]")), Some(Some(vec![text.to_owned()])), "{text:?}");
        }
        assert_eq!(literal("None"), Some(None));
        assert_eq!(literal("[]"), Some(Some(Vec::new())));
        assert_eq!(literal("['a', \"b\"]"), Some(Some(vec!["a".into(), "b".into()])));
        assert_eq!(literal("5"), None);
        assert_eq!(literal("['a'"), None);
        assert_eq!(literal("['a'] x"), None);
    }
}
