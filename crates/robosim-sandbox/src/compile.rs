//! Compiling a program on the host: RustPython's compiler (the guest's version, natively) turns
//! the program's source into a code object, marshalled and handed to the guest with the source,
//! so a program's first run does not pay for compiling inside the wasm guest (three parses
//! there: two for the warnings the interpreter emits, one to compile).
//!
//! The program only ever gives source; the bytes the guest runs are this compiler's output.
//! The host compiles only what it compiles exactly as the guest would, with nothing for the
//! guest to report: a program with a syntax error, one the compiler would warn about (an
//! invalid escape sequence, a number run into a keyword, a warning of the code generator), one
//! with a NUL byte, a carriage return or a byte-order mark, or one over [`MAX_HOST_COMPILE_BYTES`]
//! goes to the guest as source and is compiled there, as before. The host's work is bounded
//! by that size and runs on a stack of its own, large enough for the deepest such program (the
//! parser recurses with the nesting); it depends only on the source, never on time.

use std::{collections::HashMap, sync::Arc};

use parking_lot::Mutex;
use rustpython_compiler::{CompileOpts, Mode, compile_with_syntax_warning_handler};
use rustpython_compiler_core::marshal;

/// The largest program compiled on the host (bytes); larger ones are compiled in the guest.
pub const MAX_HOST_COMPILE_BYTES: usize = 16 << 10;
/// The compiling thread's stack: a source of at most [`MAX_HOST_COMPILE_BYTES`] nests at most
/// that deep, and each level costs the parser and the code generator well under 4 KiB.
const STACK_BYTES: usize = 64 << 20;
/// Stack per level of nesting a source could have (see [`STACK_BYTES`]).
const LEVEL_BYTES: usize = 4 << 10;
/// Stack a compile needs besides its levels of nesting.
const BASE_BYTES: usize = 256 << 10;
/// Programs whose compiled code is kept (the worlds of one completion, the repeated programs
/// of a batch): the cache is emptied when it is full.
const CACHED: usize = 1024;

/// A program's file name and source.
type Key = (String, String);

/// The host's compiler and its cache of compiled programs (`None`: left to the guest).
#[derive(Debug, Default)]
pub(crate) struct HostCompiler {
    cache: Mutex<HashMap<Key, Option<Arc<[u8]>>>>,
}

impl HostCompiler {
    /// The marshalled code of `source` compiled as `filename`, or `None`: the guest compiles it.
    pub(crate) fn code(&self, source: &str, filename: &str) -> Option<Arc<[u8]>> {
        let key = (filename.to_owned(), source.to_owned());
        if let Some(code) = self.cache.lock().get(&key) {
            return code.clone();
        }
        let code = compile(source, filename).map(Arc::from);
        let mut cache = self.cache.lock();
        if cache.len() >= CACHED {
            cache.clear();
        }
        cache.insert(key, code.clone());
        code
    }
}

/// Compiles `source` on a large stack of its own (see the module docs); `None` when the guest
/// should compile it.
#[must_use]
pub fn compile(source: &str, filename: &str) -> Option<Vec<u8>> {
    // (The renaming before compiling only lengthens names: `plain` reads the same of both.)
    if source.len() > MAX_HOST_COMPILE_BYTES || !plain(source) {
        return None;
    }
    // On this thread (a thread per program would put the process on a second CPU, and every
    // copy-on-write fault of its next instance would then flush that CPU's TLB too): on the
    // thread's own stack when it has room for the deepest tree `source` could make, else on a
    // new stack, mapped for this compile (its first use of each page is a fault: most of the
    // cost of compiling a short program).
    stacker::maybe_grow(stack_needed(source), STACK_BYTES, || compile_here(source, filename))
}

/// The most stack compiling `source` can take: a syntax tree is at most as deep as the source
/// has tokens, and every token has a byte that is not blank.
fn stack_needed(source: &str) -> usize {
    let levels = source.bytes().filter(|b| !b.is_ascii_whitespace()).count();
    levels.saturating_mul(LEVEL_BYTES).saturating_add(BASE_BYTES).min(STACK_BYTES)
}

fn compile_here(source: &str, filename: &str) -> Option<Vec<u8>> {
    let renamed = robosim_source::rename(source);
    let mut warned = false;
    let mut on_warning = |_, _| {
        warned = true;
        Ok(())
    };
    // The options the guest's `compile(source, filename, "exec")` uses: its interpreter runs
    // with the default settings (optimize 0, column ranges, 4,300 digits, recursion limit 1,000).
    let code =
        compile_with_syntax_warning_handler(&renamed, Mode::Exec, filename, CompileOpts::default(), &mut on_warning)
            .ok()?;
    if warned {
        return None;
    }
    let mut bytes = Vec::new();
    marshal::serialize_code(&mut bytes, &code);
    Some(bytes)
}

/// Whether `source` has none of what the guest's compiler would warn about or read otherwise
/// (a superset of it: some plain programs are left to the guest too, never the reverse).
fn plain(source: &str) -> bool {
    if source.contains(['\0', '\r', '\u{feff}']) {
        return false;
    }
    let bytes = source.as_bytes();
    // Escapes: only those valid in every kind of literal (a `\N`, `\u` or `\U` is invalid in
    // bytes; a line continuation is fine), wherever they are.
    let escapes_plain = bytes
        .iter()
        .enumerate()
        .filter(|(_, b)| **b == b'\\')
        .all(|(i, _)| bytes.get(i + 1).is_some_and(|next| b"\n\\'\"abfnrtv01234567x".contains(next)));
    escapes_plain && numbers_plain(bytes)
}

/// Whether no number in the code runs into a letter (`1if x`; also `0x1f`, `1e5` or `1j`, left
/// to the guest). The code is read as the guest's warning pass reads it, comments, strings and
/// names skipped alike (its numbers are the only ones it warns about), so that a string such
/// as `"4pm"` does not send a program to the guest; a number is any run of digits, `_` and `.`
/// that starts a token, which covers every literal the guest reads.
fn numbers_plain(bytes: &[u8]) -> bool {
    let is_name = |b: u8| b >= 0x80 || b == b'_' || b.is_ascii_alphanumeric();
    let mut at = 0;
    while let Some(&byte) = bytes.get(at) {
        at = match byte {
            b'#' => bytes[at..].iter().position(|b| *b == b'\n').map_or(bytes.len(), |n| at + n),
            b'\'' | b'"' => after_string(bytes, at),
            b'0'..=b'9' | b'.' if byte != b'.' || bytes.get(at + 1).is_some_and(u8::is_ascii_digit) => {
                let len = bytes[at..].iter().take_while(|b| b.is_ascii_digit() || **b == b'_' || **b == b'.').count();
                if bytes.get(at + len).is_some_and(|b| *b >= 0x80 || b.is_ascii_alphabetic()) {
                    return false;
                }
                at + len
            }
            b if is_name(b) => at + bytes[at..].iter().take_while(|b| is_name(**b)).count(),
            _ => at + 1,
        };
    }
    true
}

/// Where the string whose quote is at `at` ends, as the guest's warning pass finds it: at the
/// same quote (three of them for a triple-quoted string), a backslash taking the byte after it,
/// or at the end of the source.
fn after_string(bytes: &[u8], at: usize) -> usize {
    let quote = bytes[at];
    let triple = bytes.get(at + 1) == Some(&quote) && bytes.get(at + 2) == Some(&quote);
    let mut i = at + if triple { 3 } else { 1 };
    while let Some(&b) = bytes.get(i) {
        if b == b'\\' {
            i += 2;
        } else if b == quote && (!triple || (bytes.get(i + 1) == Some(&quote) && bytes.get(i + 2) == Some(&quote))) {
            return i + if triple { 3 } else { 1 };
        } else {
            i += 1;
        }
    }
    bytes.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_the_guest_would_warn_about_is_left_to_it() {
        assert!(compile("def task_program():\n    say('a\\nb')\n", "<program>").is_some());
        for source in [
            "x = '\\d'\n",           // an invalid escape
            "x = 1if True else 2\n", // a number run into a keyword
            "x = 0x1f\n",            // (a hex literal: left to the guest too)
            "x = .5if y else 1\n",   // a number that starts with its point
            "x = ['4pm'] + [1or 2]\n",
            "x = '''a'b''' + 1if y else 2\n",
            "x = 'a\\'1' + 2if y else 3\n",
            "assert (1, 'x')\n", // the code generator warns
            "def f(:\n",         // a syntax error: the guest reports it
            "x = 1\r\n",
        ] {
            assert!(compile(source, "<program>").is_none(), "{source:?}");
        }
        assert!(compile(&"x = 1\n".repeat(MAX_HOST_COMPILE_BYTES / 6 + 1), "<program>").is_none());
    }

    #[test]
    fn numbers_in_strings_comments_and_names_are_not_code() {
        for source in [
            "ask('Jill', 'When?', ['4pm', \"5PM\", '''at 6am''', \"\"\"7am or 8am\"\"\"])\n",
            "x = 1 # 2pm\ny = room1.items + 3.5 + 1_000\n",
            "x = f'{1}am' + b'2or'\n",
        ] {
            assert!(compile(source, "<program>").is_some(), "{source:?}");
        }
    }

    #[test]
    fn a_deeply_nested_program_does_not_take_the_host_down() {
        let deep = format!("x = {}1{}\n", "(".repeat(8000), ")".repeat(8000));
        let _ = compile(&deep, "<program>");
        let chain = format!("x = {}1\n", "1+".repeat(MAX_HOST_COMPILE_BYTES / 2 - 8));
        let _ = compile(&chain, "<program>");
    }

    #[test]
    fn the_cache_gives_the_same_code() {
        let compiler = HostCompiler::default();
        let first = compiler.code("x = 1\n", "<program>").expect("compiled");
        let again = compiler.code("x = 1\n", "<program>").expect("cached");
        assert!(Arc::ptr_eq(&first, &again));
        assert_ne!(compiler.code("x = 2\n", "<program>").as_deref(), Some(&*first));
    }
}
