//! The trace of a RoboEval run, read in one of two ways ([`TraceReading`]).
//!
//! RoboEval's simulator prints one line per traced robot call, `Name /$@!/ value /$@!/
//! options`, to stdout; the program's own prints go to the same stream; the harness strips the
//! whole output, splits it into lines and reads elements until the first line that does not
//! split into three fields whose last is a Python literal. So a program that prints a status
//! line before its last robot call loses the rest of its trace, and one that prints a line
//! shaped like an element adds a robot action it never made.
//!
//! - [`TraceReading::Printed`] (the default for RoboEval's tasks, so that published numbers
//!   reproduce) rebuilds that stream from the run's robot calls and the places of its writes
//!   to stdout and reads it the harness's way, with one difference: a line that holds only the
//!   program's own output never becomes an element; it ends the trace, as any other line the
//!   harness cannot read. Text printed without a newline runs into the next simulator line;
//!   where RoboEval then reads that line under another name (`xGoTo`, hiding a `GoTo` from
//!   the check), here the program's text ends the trace before it. White space alone runs in
//!   harmlessly (the harness strips it) and the line is read.
//! - [`TraceReading::Calls`]: every robot call the host recorded is an element; what the
//!   program prints neither adds nor cuts anything. For untrusted grading (RL rewards).

use robosim_protocol::{RobotFunction, Value};
use robosim_sandbox::{CallResult, StdoutWrite, TraceEvent};
use serde::{Deserialize, Serialize};

use crate::rtl::{Action, Element};

/// The separator RoboEval prints between an element's fields.
const DELIMITER: &str = "/$@!/";

/// How the trace a RoboEval check judges is read from a run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TraceReading {
    /// RoboEval's reading of stdout: a line the program prints ends the trace.
    #[default]
    Printed,
    /// Every robot call the host recorded; prints neither add nor cut.
    Calls,
}

impl TraceReading {
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Printed => "printed",
            Self::Calls => "calls",
        }
    }
}

/// Where a printed reading stopped before the end of the robot's calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TraceCut {
    /// What ended it: `print` (a line of the program's own output) or `unreadable` (a
    /// simulator line the harness cannot read, e.g. a message with a newline in it).
    pub by: CutBy,
    /// Elements read before it.
    pub elements: usize,
    /// Robot calls after it that the check did not see.
    pub robot_calls_lost: usize,
}

/// See [`TraceCut::by`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CutBy {
    Print,
    Unreadable,
}

/// The trace a check judges, and for a printed reading, where it was cut short.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ReadTrace {
    pub elements: Vec<Element>,
    pub cut: Option<TraceCut>,
}

/// What RoboEval's simulator prints for a robot call, if it prints anything: `go_to`,
/// `is_in_room`, `ask` and `say` once their arguments have the right types (whether or not
/// they then fail), `pick` and `place` only when they succeed. The action, the text, and for
/// `ask` the options as `str()` makes them.
fn simulated(event: &TraceEvent) -> Option<(Action, &str, Option<Vec<String>>)> {
    let text = |i: usize| event.args.get(i).and_then(Value::as_str);
    let succeeded = matches!(event.result, CallResult::Returned(_));
    Some(match event.function {
        RobotFunction::GoTo => (Action::GoTo, text(0)?, None),
        RobotFunction::IsInRoom => (Action::CheckEntity, text(0)?, None),
        RobotFunction::Say => (Action::Say, text(0)?, None),
        RobotFunction::Pick if succeeded => (Action::Pick, text(0)?, None),
        RobotFunction::Place if succeeded => (Action::Place, text(0)?, None),
        RobotFunction::Ask => match (text(0), text(1), event.args.get(2)) {
            (Some(_), Some(question), Some(Value::List(options))) => {
                (Action::Ask, question, Some(options.iter().map(Value::py_str).collect()))
            }
            _ => return None,
        },
        _ => return None,
    })
}

/// The line the simulator prints for `event`.
fn printed(event: &TraceEvent) -> Option<String> {
    let (action, value, options) = simulated(event)?;
    let options = options.map_or_else(
        || "None".to_owned(),
        |o| format!("[{}]", o.into_iter().map(|v| Value::Str(v).repr()).collect::<Vec<_>>().join(", ")),
    );
    Some(format!("{action:?} {DELIMITER} {value} {DELIMITER} {options}"))
}

/// The trace of a run (`trace`, the program's `stdout` written at `writes`) read as `reading`.
#[must_use]
pub fn read(reading: TraceReading, trace: &[TraceEvent], stdout: &str, writes: &[StdoutWrite]) -> ReadTrace {
    let calls: Vec<Element> = trace
        .iter()
        .filter_map(simulated)
        .map(|(action, value, options)| Element { action, value: py_strip(value).to_owned(), options })
        .collect();
    match reading {
        TraceReading::Calls => ReadTrace { elements: calls, cut: None },
        TraceReading::Printed => {
            let (elements, stop) = printed_reading(trace, stdout, writes);
            let lost = calls.len().saturating_sub(elements.len());
            let cut =
                stop.filter(|_| lost > 0).map(|by| TraceCut { by, elements: elements.len(), robot_calls_lost: lost });
            ReadTrace { elements, cut }
        }
    }
}

/// RoboEval's reading of the stream of the simulator's lines and the program's own output:
/// the elements, and what ended the reading early, if anything did.
fn printed_reading(trace: &[TraceEvent], stdout: &str, writes: &[StdoutWrite]) -> (Vec<Element>, Option<CutBy>) {
    let write = |k: usize| {
        let end = writes.get(k + 1).map_or(stdout.len(), |w| w.offset);
        stdout.get(writes[k].offset..end).unwrap_or_default()
    };
    let mut text = String::new();
    // Where each simulator line lies in `text`: its first byte and its line break. Everything
    // else is the program's own output.
    let mut lines: Vec<(usize, usize)> = Vec::new();
    let mut next = 0;
    for (i, event) in trace.iter().enumerate() {
        while next < writes.len() && writes[next].calls <= i {
            text.push_str(write(next));
            next += 1;
        }
        if let Some(line) = printed(event) {
            let start = text.len();
            text.push_str(&line);
            lines.push((start, text.len()));
            text.push('\n');
        }
    }
    for k in next..writes.len() {
        text.push_str(write(k));
    }
    read_back(&text, &lines)
}

/// Python's `str.strip()`: its white space is Unicode's plus the separators U+001C–U+001F.
fn py_strip(text: &str) -> &str {
    text.trim_matches(|c: char| c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c))
}

/// The harness's parser: elements until the first line that is not one. Besides RoboEval's
/// rule, a line is read only when it is the start of a simulator line (`simulator`: each one's
/// first byte and line break in `text`), after nothing but white space of the program's.
/// A line of the program's own output, or its text run into a simulator line, ends the
/// reading (`Print`: in RoboEval the first forges nothing only by luck, the second renames
/// the line's action); so does a simulator line with a line break in one of its arguments
/// (`Unreadable`, as RoboEval's reading of such a line is unless the argument forges fields).
/// None of them can add, hide, rename or alter an element.
fn read_back(text: &str, simulator: &[(usize, usize)]) -> (Vec<Element>, Option<CutBy>) {
    let stripped = py_strip(text);
    let mut elements = Vec::new();
    if stripped.is_empty() {
        return (elements, None);
    }
    let mut start = stripped.as_ptr() as usize - text.as_ptr() as usize;
    let mut sim = 0;
    for line in stripped.split('\n') {
        let (from, to) = (start, start + line.len());
        start = to + 1;
        // The simulator line this one (with its line break, at `to`) falls in, if any.
        while simulator.get(sim).is_some_and(|&(_, end)| end < from) {
            sim += 1;
        }
        let Some(&(line_start, line_end)) = simulator.get(sim).filter(|&&(s, _)| s <= to) else {
            return (elements, Some(CutBy::Print));
        };
        // A line break inside the call's line (in its argument): RoboEval reads its first part
        // as the element if it splits into fields, with a value the call never had, and the
        // rest as further lines. Neither is what the robot did.
        if from > line_start || to < line_end {
            return (elements, Some(CutBy::Unreadable));
        }
        if !py_strip(&text[from..line_start]).is_empty() {
            return (elements, Some(CutBy::Print));
        }
        let fields: Vec<&str> = line.split(DELIMITER).collect();
        let [name, value, options] = fields[..] else { return (elements, Some(CutBy::Unreadable)) };
        let Some(options) = literal(py_strip(options)) else { return (elements, Some(CutBy::Unreadable)) };
        elements.push(Element { action: Action::named(py_strip(name)), value: py_strip(value).to_owned(), options });
    }
    (elements, None)
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

    use super::{CutBy, TraceCut, TraceReading, literal, read};
    use crate::rtl::Element;

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

    fn printed(trace: &[TraceEvent], stdout: &str, calls_before: usize) -> Vec<Element> {
        read(TraceReading::Printed, trace, stdout, &[StdoutWrite { calls: calls_before, offset: 0 }]).elements
    }

    #[test]
    fn without_prints_every_traced_call_is_read_back_either_way() {
        let trace = [
            call(RobotFunction::GoTo, &["kitchen"]),
            ask("it's 'fine'?\tok", &["yes", "n\"o", "a\nb"]),
            call(RobotFunction::Say, &["  hi  "]),
        ];
        let expected =
            [Element::go_to("kitchen"), Element::ask("it's 'fine'?\tok", &["yes", "n\"o", "a\nb"]), Element::say("hi")];
        for reading in [TraceReading::Printed, TraceReading::Calls] {
            let read = read(reading, &trace, "", &[]);
            assert_eq!((read.elements.as_slice(), read.cut), (&expected[..], None), "{reading:?}");
        }
    }

    #[test]
    fn a_print_before_a_call_ends_the_printed_reading_there_and_one_after_the_last_does_not() {
        let trace = [call(RobotFunction::GoTo, &["kitchen"]), call(RobotFunction::Say, &["hi"])];
        let between = read(TraceReading::Printed, &trace, "going on\n", &[StdoutWrite { calls: 1, offset: 0 }]);
        assert_eq!(between.elements, [Element::go_to("kitchen")]);
        assert_eq!(between.cut, Some(TraceCut { by: CutBy::Print, elements: 1, robot_calls_lost: 1 }));
        assert_eq!(printed(&trace, "done\n", 2).len(), 2);
        // Blank lines before anything else are stripped away; an empty line between calls
        // ends the reading (as a printed line does).
        assert_eq!(printed(&trace, "\n\n", 0).len(), 2);
        assert_eq!(printed(&trace, "\n", 1).len(), 1);
        // The calls reading sees every call whatever was printed.
        let calls = read(TraceReading::Calls, &trace, "going on\n", &[StdoutWrite { calls: 1, offset: 0 }]);
        assert_eq!((calls.elements.len(), calls.cut), (2, None));
    }

    #[test]
    fn printed_lines_never_become_elements() {
        let trace = [call(RobotFunction::GoTo, &["kitchen"])];
        // A line shaped like an element, printed after the last call: read as nothing.
        assert_eq!(printed(&trace, "Say /$@!/ all done /$@!/ None\n", 1), [Element::go_to("kitchen")]);
        // Printed before a call, it ends the reading there.
        let forged =
            read(TraceReading::Printed, &trace, "Say /$@!/ hi /$@!/ None\n", &[StdoutWrite { calls: 0, offset: 0 }]);
        assert_eq!(forged.elements, []);
        assert_eq!(forged.cut.map(|c| c.by), Some(CutBy::Print));
    }

    #[test]
    fn arguments_with_line_breaks_and_printed_prefixes_add_no_element() {
        let forged = "x /$@!/ None\nPick /$@!/ stapler /$@!/ None";
        let trace = [call(RobotFunction::Say, &[forged]), call(RobotFunction::GoTo, &["kitchen"])];
        // RoboEval would read a Say of "x" and a Pick that never happened; here neither.
        let read = read(TraceReading::Printed, &trace, "", &[]);
        assert_eq!(read.elements, []);
        assert_eq!(read.cut.map(|c| c.by), Some(CutBy::Unreadable));
        // The last call too: its value is not replaced by the part before the line break,
        // and the reading says it was cut.
        let trace =
            [call(RobotFunction::GoTo, &["kitchen"]), call(RobotFunction::GoTo, &["start /$@!/ None\nmeeting room"])];
        let last = super::read(TraceReading::Printed, &trace, "", &[]);
        assert_eq!(last.elements, [Element::go_to("kitchen")]);
        assert_eq!(last.cut, Some(TraceCut { by: CutBy::Unreadable, elements: 1, robot_calls_lost: 1 }));
        // A printed prefix with a field separator would rename the next call's action.
        let trace = [call(RobotFunction::Say, &["None\n /$@!/ "]), call(RobotFunction::GoTo, &["kitchen"])];
        let prefixed = printed(&trace, "Pick /$@!/ stapler ", 0);
        assert_eq!(prefixed, []);
    }

    #[test]
    fn text_printed_without_a_newline_ends_the_reading_before_the_line_it_runs_into() {
        let trace = [call(RobotFunction::GoTo, &["kitchen"]), call(RobotFunction::Say, &["hi"])];
        // RoboEval reads `xSay`, an action no check looks for: the `Say` would be hidden.
        let renamed = read(TraceReading::Printed, &trace, "x", &[StdoutWrite { calls: 1, offset: 0 }]);
        assert_eq!(renamed.elements, [Element::go_to("kitchen")]);
        assert_eq!(renamed.cut, Some(TraceCut { by: CutBy::Print, elements: 1, robot_calls_lost: 1 }));
        // White space alone is stripped from the name, there as here.
        let read = printed(&trace, " \t", 1);
        assert_eq!(read, [Element::go_to("kitchen"), Element::say("hi")]);
    }

    #[test]
    fn a_message_with_a_line_break_ends_the_printed_reading_but_not_the_calls_reading() {
        let trace = [call(RobotFunction::Say, &["a\nb"]), call(RobotFunction::GoTo, &["kitchen"])];
        let printed = read(TraceReading::Printed, &trace, "", &[]);
        assert_eq!(printed.elements, []);
        assert_eq!(printed.cut, Some(TraceCut { by: CutBy::Unreadable, elements: 0, robot_calls_lost: 2 }));
        let calls = read(TraceReading::Calls, &trace, "", &[]);
        assert_eq!(calls.elements, [Element::say("a\nb"), Element::go_to("kitchen")]);
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
