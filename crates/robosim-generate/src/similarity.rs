//! Near-duplicate detection as Self-Instruct does it: ROUGE-L F-measure over word tokens.

/// Lower-cased alphanumeric word tokens.
#[must_use]
pub fn tokens(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric() && c != '\'')
        .map(|w| w.trim_matches('\'').to_lowercase())
        .filter(|w| !w.is_empty())
        .collect()
}

/// ROUGE-L F1 of two token sequences: from the length of their longest common subsequence.
#[must_use]
pub fn rouge_l(a: &[String], b: &[String]) -> f64 {
    if a.is_empty() || b.is_empty() {
        return if a.is_empty() && b.is_empty() { 1.0 } else { 0.0 };
    }
    let lcs = lcs_len(a, b) as f64;
    if lcs == 0.0 {
        return 0.0;
    }
    let (precision, recall) = (lcs / b.len() as f64, lcs / a.len() as f64);
    2.0 * precision * recall / (precision + recall)
}

/// Longest common subsequence length, in O(|a|·|b|) time and O(|b|) space.
fn lcs_len(a: &[String], b: &[String]) -> usize {
    let mut row = vec![0usize; b.len() + 1];
    for x in a {
        let mut diagonal = 0;
        for (j, y) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = if x == y { diagonal + 1 } else { above.max(row[j]) };
            diagonal = above;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::{rouge_l, tokens};

    fn score(a: &str, b: &str) -> f64 {
        rouge_l(&tokens(a), &tokens(b))
    }

    #[test]
    fn known_values() {
        assert!((score("go to the kitchen", "go to the kitchen") - 1.0).abs() < 1e-9);
        assert!(score("Pick up the apple.", "say hello to Bob") < 1e-9);
        // LCS "go to the kitchen" (4) of 4 and 8 tokens: P = 0.5, R = 1, F = 2/3.
        let f = score("Go to the kitchen", "Go to the kitchen and wave at Bob");
        assert!((f - 2.0 / 3.0).abs() < 1e-9, "{f}");
        // Case and punctuation do not matter.
        assert!((score("Go to Ana's office!", "go to ana's office") - 1.0).abs() < 1e-9);
    }

    proptest! {
        #[test]
        fn symmetric_and_bounded(a in "[a-c ]{0,30}", b in "[a-c ]{0,30}") {
            let (x, y) = (score(&a, &b), score(&b, &a));
            prop_assert!((x - y).abs() < 1e-9);
            prop_assert!((0.0..=1.0).contains(&x));
        }
    }
}
