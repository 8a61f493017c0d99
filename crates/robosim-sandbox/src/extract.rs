//! Getting the program out of an LLM's answer.

use std::{borrow::Cow, sync::LazyLock};

use regex::Regex;

/// The Python program in `text`: the first fenced code block that defines `task_program`
/// (else the first fenced block), or, without fences, the text from its first line of code
/// on (dropping a prose preamble such as "Here is the program:"). Only lines before the first
/// line that reads as a Python statement are dropped, so every line of a plain program is
/// kept: module-level constants, imports, helpers and decorators before `task_program`.
#[must_use]
pub fn extract_program(text: &str) -> Cow<'_, str> {
    let blocks = fenced_blocks(text);
    if let Some(block) = blocks.iter().find(|b| b.contains("def task_program")).or_else(|| blocks.first()) {
        return Cow::Owned((*block).to_owned());
    }
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        if looks_like_code(line) {
            return Cow::Borrowed(&text[offset..]);
        }
        offset += line.len();
    }
    Cow::Borrowed(text)
}

/// A line that starts a Python statement a program can open with, at the left margin: a
/// comment, decorator, string, `def`/`class`/`import`, a compound statement in its Python
/// form (`for x in …:`, `if …:`, `with … as …:`), an assignment or a call. Prose such as
/// "Here is the program:", "Sure, this will do it.", "for example:" or "Note: the robot …"
/// matches none of them.
fn looks_like_code(line: &str) -> bool {
    !plainly_not_code(line) && (plainly_code(line) || statement(line))
}

/// A blank line, or one that starts with blank space: no alternative of [`statement`]'s
/// pattern starts with a blank, and it is anchored. Most programs LLMs write open with an
/// empty line.
fn plainly_not_code(line: &str) -> bool {
    line.trim_start_matches('\u{feff}').chars().next().is_none_or(char::is_whitespace)
}

/// The openings nearly every program has (`def name(`, `import name`, a comment or a
/// decorator), in ASCII, recognised without [`statement`]'s pattern: each is a case of one of
/// its alternatives. Building that pattern (Unicode identifier classes) costs ~20 ms, paid
/// once per process but by every short batch.
fn plainly_code(line: &str) -> bool {
    fn name_then(text: &str) -> &str {
        let starts = text.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_');
        if !starts {
            return text;
        }
        text.trim_start_matches(|c: char| c.is_ascii_alphanumeric() || c == '_')
    }
    let line = line.trim_end_matches(['\n', '\r']);
    if line.starts_with(['#', '@']) {
        return true;
    }
    if let Some(rest) = line.strip_prefix("def ") {
        let after = name_then(rest);
        return after.len() < rest.len() && after.trim_start_matches(' ').starts_with('(');
    }
    if let Some(rest) = line.strip_prefix("import ") {
        let module = rest.trim_end_matches(' ');
        return !module.is_empty()
            && !module.starts_with(' ')
            && module.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.');
    }
    false
}

/// Whether `line` matches the pattern of a statement [`looks_like_code`] describes.
fn statement(line: &str) -> bool {
    static STATEMENT: LazyLock<Regex> = LazyLock::new(|| {
        // Python's identifiers are Unicode's (`é = …`, `π = …`).
        let name = r"[\p{XID_Start}_]\p{XID_Continue}*";
        let target = format!(r"{name}(?:\.{name}|\[[^\]]*\])*");
        let annotation = format!(r"{target}(?:\s*\|\s*{target})*");
        let end = r":\s*(?:#.*)?$";
        let patterns = [
            r#"[#@]|[rbfuRBFU]{0,2}["']"#.to_owned(),
            format!(r"(?:async\s+)?def\s+{name}\s*\(|class\s+{name}\s*[(:]"),
            // `import a.b as c, d` (the whole line), `from .x import y`
            format!(r"import\s+[\w.]+(?:\s+as\s+{name})?(?:\s*,\s*[\w.]+(?:\s+as\s+{name})?)*\s*(?:#.*)?$"),
            format!(r"from\s+\.*[\w.]+\s+import\s+(?:\*|\(|{name})"),
            format!(r"(?:if|elif|while)\s.*{end}|(?:else|try|finally){end}|except\b.*{end}"),
            format!(r"(?:async\s+)?for\s+[\w\s,()]+\s+in\s.*{end}"),
            format!(r"(?:async\s+)?with\s.*(?:\bas\s+{name}.*|\)){end}"),
            // `x = 1`, `x += 1`, `a.b[0] = 2`, `x: int = 3`, `a, b = f()`
            format!(r"{target}\s*(?::\s*{annotation}\s*)?(?:[-+*/%&|^@]|//|\*\*|>>|<<)?=[^=]"),
            format!(r"{name}(?:\s*,\s*{name})+\s*=[^=]"),
            // `go_to("kitchen")`, `robot.say("hi")`
            format!(r"{target}\("),
        ];
        // A byte-order mark before the first statement is kept with it (the interpreter judges it).
        Regex::new(&format!(r"^\x{{FEFF}}?(?:{})", patterns.join("|"))).expect("a valid pattern")
    });
    STATEMENT.is_match(line.trim_end_matches(['\n', '\r']))
}

/// The bodies of ```-fenced blocks (any language tag), in order.
fn fenced_blocks(text: &str) -> Vec<&str> {
    let mut blocks = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find("```") {
        let after = &rest[open + 3..];
        // The body starts after the fence line (which may carry a language tag).
        let Some(newline) = after.find('\n') else {
            break;
        };
        let body = &after[newline + 1..];
        let Some(close) = body.find("```") else {
            blocks.push(body); // an unclosed fence: the answer was cut off
            break;
        };
        blocks.push(&body[..close]);
        rest = &body[close + 3..];
    }
    blocks
}

#[cfg(test)]
mod tests {
    use super::extract_program;

    /// Programs whose first line is not `def task_program`: each must come back whole.
    const PLAIN: [&str; 11] = [
        "ROOMS = [\"kitchen\", \"office\"]\n\ndef task_program():\n    for r in ROOMS:\n        go_to(r)\n",
        "ROOMS = [\n    \"kitchen\",\n    \"office\",\n]\ndef task_program():\n    go_to(ROOMS[0])\n",
        "import time\nfrom math import floor\n\ndef task_program():\n    time.sleep(floor(1.5))\n",
        "def visit(room):\n    go_to(room)\n\ndef task_program():\n    visit(\"lab\")\n",
        "@staticmethod\ndef helper():\n    pass\n\ndef task_program():\n    helper()\n",
        "MAX_TRIES: int = 3\ndef task_program():\n    pass\n",
        "a, b = \"lab\", \"hall\"\ndef task_program():\n    go_to(a)\n",
        "\"\"\"Deliver the mail.\"\"\"\ndef task_program():\n    pass\n",
        "start = get_current_location()\nif start:\n    pass\ndef task_program():\n    go_to(start)\n",
        "é = go_to(\"meeting room\")\ndef task_program():\n    pass\n",
        "\u{feff}π = \"printer room\"\ndef task_program():\n    go_to(π)\n",
    ];

    #[test]
    fn the_plain_openings_are_decided_as_the_pattern_decides_them() {
        let lines = [
            "def task_program():",
            "def f (x):",
            "def _g(",
            "import time",
            "import os.path  ",
            "# note",
            "@decorator",
            "def 9(",
            "def (",
            "def f",
            "import",
            "import  x",
            "import a as b",
            "import é",
            "define(x)",
            "imports = 1",
            "de f(",
            "def f(\r\n",
            "import time\n",
        ];
        for line in lines {
            if super::plainly_code(line) {
                assert!(super::statement(line), "{line:?} is plainly code but not a statement");
            }
        }
        for line in ["", "\n", "\r\n", "   x = 1", "\tdef f():", "\u{feff}", "\u{feff} import os", "\u{a0}go_to('x')"] {
            assert!(super::plainly_not_code(line), "{line:?}");
            assert!(!super::statement(line), "{line:?} is plainly not code but a statement");
        }
        for line in ["x = 1", "\u{feff}x = 1", "é = 1", "Here is the program:"] {
            assert!(!super::plainly_not_code(line), "{line:?}");
        }
        assert!(super::plainly_code("def task_program():\n"));
        assert!(super::plainly_code("import time\n"));
        assert!(!super::plainly_code("import a as b"), "left to the pattern");
    }

    #[test]
    fn every_line_of_a_plain_program_is_kept() {
        for program in PLAIN {
            assert_eq!(extract_program(program), program);
        }
    }

    #[test]
    fn prose_before_a_plain_program_is_dropped_and_the_program_kept_whole() {
        for preamble in [
            "Here is the program:\n\n",
            "Sure, this will do it.\n",
            "The robot first visits each room. Then it reports back.\n\n",
            "Note: rooms are listed below.\n",
            "If the apple is there, pick it; otherwise say so\n",
            "for example:\n",
            "with the code below:\n",
            "return the cup to the kitchen when done.\n",
            "pass this to the robot.\n",
            "class schedules are listed here.\n",
            "Usage: ask(person, question, options=[...])\n",
            "import the pictures first.\n",
        ] {
            for program in PLAIN {
                assert_eq!(extract_program(&format!("{preamble}{program}")), program, "{preamble:?}");
            }
        }
    }

    #[test]
    fn fenced_programs_keep_their_constants_imports_helpers_and_decorators() {
        for program in PLAIN {
            let text = format!("Here you go:\n```python\n{program}```\nThis visits every room.");
            assert_eq!(extract_program(&text), program);
        }
    }

    #[test]
    fn fenced_block_with_task_program_wins() {
        let text =
            "Setup:\n```bash\npip install x\n```\nHere:\n```python\ndef task_program():\n    say(\"hi\")\n```\nDone.";
        assert_eq!(extract_program(text), "def task_program():\n    say(\"hi\")\n");
    }

    #[test]
    fn unclosed_fence_keeps_what_there_is() {
        assert_eq!(extract_program("```python\ndef task_program():\n    go_to("), "def task_program():\n    go_to(");
    }
}
