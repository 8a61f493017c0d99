//! The reference checker's text rewriting, for reproducing its verdicts exactly.

/// Lower-cases every double-quoted stretch of each line, as the reference does before
/// running a program (`re.sub(r'".*?"', lower, program)`): `"Kitchen"` becomes `"kitchen"`,
/// and so do f-string expressions inside double quotes. Off by default, because robosim's
/// world already compares entity names case-insensitively (spec §2, "ours").
#[must_use]
pub fn lowercase_double_quoted(source: &str) -> String {
    let mut out = String::with_capacity(source.len());
    for (i, line) in source.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let mut rest = line;
        // `.*?` between quotes, left to right, never across a line break.
        while let Some(open) = rest.find('"') {
            let after = &rest[open + 1..];
            let Some(close) = after.find('"') else { break };
            out.push_str(&rest[..=open]);
            out.push_str(&after[..close].to_lowercase());
            out.push('"');
            rest = &after[close + 1..];
        }
        out.push_str(rest);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::lowercase_double_quoted;

    #[test]
    fn lowercases_double_quoted_only() {
        let source = "go_to(\"Kitchen\")\nask('Bob', \"Is IT ok?\", ['Yes'])\nsay(f\"hi {Name}\") # \"X\n";
        assert_eq!(
            lowercase_double_quoted(source),
            "go_to(\"kitchen\")\nask('Bob', \"is it ok?\", ['Yes'])\nsay(f\"hi {name}\") # \"X\n"
        );
    }

    #[test]
    fn pairs_quotes_left_to_right_like_the_regex() {
        assert_eq!(lowercase_double_quoted(r#"x = "A" + "B""#), r#"x = "a" + "b""#);
        assert_eq!(lowercase_double_quoted("\"\"\"Doc\"\"\""), "\"\"\"doc\"\"\"");
    }
}
