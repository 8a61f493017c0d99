//! Robot functions named without being called.
//!
//! The reference checker (and RoboEval's harness) make robot calls by rewriting the text
//! `name(` into `robot.name(`; the robot functions are defined nowhere else. Any other use of
//! such a name is an ordinary identifier: `response = ask` (a truncated answer) raises
//! `NameError` when it runs, and `ask = 3` binds a variable the program may read back.
//! robosim keeps the robot functions as names in the program's namespace, so it gets the same
//! result by renaming, before compiling, every occurrence of a robot function's name as a
//! Python name that is not directly followed by `(` and not an attribute: it becomes `ask·`
//! (U+00B7, a character identifiers may contain), which nothing defines unless the program
//! binds it under the same (renamed) name. The renaming keeps every line where it was; the
//! `NameError` message is given back its name by [`original_message`]. Names an `import`
//! statement binds are not renamed: `from robot import say` (robosim's `robot` module, which
//! the reference does not have) binds the robot's own function.

use std::borrow::Cow;

use ruff_python_ast::token::TokenKind;
use ruff_python_parser::{Mode, ParseOptions, parse_unchecked};
use ruff_text_size::Ranged;

/// The names the reference rewrites into robot calls.
const ROBOT_FUNCTIONS: &[&str] =
    &["get_current_location", "get_all_rooms", "is_in_room", "go_to", "ask", "say", "pick", "place"];
/// Appended to a renamed name.
const MARK: char = '\u{b7}';

fn is_name_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Could `source` name a robot function without calling it? A text search, so that the
/// common program (every robot name followed by `(`) costs no tokenising.
fn may_have_bare_names(source: &str) -> bool {
    ROBOT_FUNCTIONS.iter().any(|name| {
        source.match_indices(name).any(|(at, _)| {
            let before = source[..at].chars().next_back();
            let after = source[at + name.len()..].chars().next();
            !before.is_some_and(|c| is_name_char(c) || c == '.') && !after.is_some_and(|c| is_name_char(c) || c == '(')
        })
    })
}

/// `source` with each robot function's name that is not a call renamed (see the module docs);
/// unchanged when there is none. Strings, comments and attributes are left alone.
pub fn rename(source: &str) -> Cow<'_, str> {
    if !may_have_bare_names(source) {
        return Cow::Borrowed(source);
    }
    let parsed = parse_unchecked(source, ParseOptions::from(Mode::Module));
    let tokens: &[_] = parsed.tokens();
    let mut renamed = String::with_capacity(source.len() + 16);
    let mut copied = 0;
    // Names an import binds (`from robot import say`, robosim's own module) are left alone.
    let mut importing = false;
    for (i, token) in tokens.iter().enumerate() {
        match token.kind() {
            TokenKind::Import => importing = true,
            TokenKind::Newline => importing = false,
            _ => {}
        }
        if token.kind() != TokenKind::Name || importing {
            continue;
        }
        let range = token.range();
        let (start, end) = (range.start().to_usize(), range.end().to_usize());
        if !ROBOT_FUNCTIONS.contains(&&source[start..end]) {
            continue;
        }
        let attribute = i > 0 && tokens[i - 1].kind() == TokenKind::Dot;
        let called = source[end..].starts_with('(');
        if attribute || called {
            continue;
        }
        renamed.push_str(&source[copied..end]);
        renamed.push(MARK);
        copied = end;
    }
    if copied == 0 {
        return Cow::Borrowed(source);
    }
    renamed.push_str(&source[copied..]);
    Cow::Owned(renamed)
}

/// An exception message with renamed names given back (`name 'ask·' is not defined` →
/// `name 'ask' is not defined`).
pub fn original_message(message: &str) -> Cow<'_, str> {
    if !message.contains(MARK) {
        return Cow::Borrowed(message);
    }
    let mut text = message.to_owned();
    for name in ROBOT_FUNCTIONS {
        text = text.replace(&format!("{name}{MARK}"), name);
    }
    Cow::Owned(text)
}
