//! Getting the program out of an LLM's answer.

use std::borrow::Cow;

/// The Python program in `text`: the first fenced code block that defines `task_program`
/// (else the first fenced block), or, without fences, the text from its first line of code
/// on (dropping a preamble such as "Here is the program:"). Text that is already plain
/// Python comes back unchanged.
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

fn looks_like_code(line: &str) -> bool {
    ["def ", "import ", "from ", "class ", "#", "@"].iter().any(|p| line.starts_with(p))
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

    #[test]
    fn plain_python_is_unchanged() {
        let program = "def task_program():\n    say('hi')\n";
        assert_eq!(extract_program(program), program);
    }

    #[test]
    fn fenced_block_with_task_program_wins() {
        let text =
            "Setup:\n```bash\npip install x\n```\nHere:\n```python\ndef task_program():\n    say(\"hi\")\n```\nDone.";
        assert_eq!(extract_program(text), "def task_program():\n    say(\"hi\")\n");
    }

    #[test]
    fn preamble_without_fence_is_dropped() {
        let text = "Here is the program:\n\ndef task_program():\n    pass\n";
        assert_eq!(extract_program(text), "def task_program():\n    pass\n");
    }

    #[test]
    fn unclosed_fence_keeps_what_there_is() {
        assert_eq!(extract_program("```python\ndef task_program():\n    go_to("), "def task_program():\n    go_to(");
    }
}
