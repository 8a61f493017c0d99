//! Near-duplicate detection: ROUGE-L F-measure over word tokens (Self-Instruct's) or edit
//! similarity over word tokens or a model tokenizer's tokens (the Robo-Instruct reference's:
//! `1 - levenshtein / max length` on CodeLlama's tokens, a pair above 0.6 being the same task).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::Error;

/// How near-duplicates are told.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DedupMethod {
    /// ROUGE-L F at or above the threshold.
    RougeL,
    /// Edit similarity above the threshold.
    Edit,
}

/// A near-duplicate test: a method, a threshold and the tokens compared (word tokens, or
/// a Hugging Face `tokenizer.json`'s).
#[derive(Debug, Clone)]
pub struct Similarity {
    method: DedupMethod,
    threshold: f64,
    tokenizer: Option<tokenizers::Tokenizer>,
}

impl Similarity {
    /// # Errors
    /// [`Error::Settings`] when the tokenizer file does not load.
    pub fn new(method: DedupMethod, threshold: f64, tokenizer: Option<&Path>) -> Result<Self, Error> {
        let tokenizer = tokenizer
            .map(|path| {
                tokenizers::Tokenizer::from_file(path)
                    .map_err(|e| Error::Settings { origin: path.display().to_string(), detail: e.to_string() })
            })
            .transpose()?;
        Ok(Self { method, threshold, tokenizer })
    }

    /// The tokens of `text` this test compares: the tokenizer's ids, or word tokens (as
    /// [`tokens`] gives them) each hashed to a number.
    #[must_use]
    pub fn tokens(&self, text: &str) -> Vec<u64> {
        if let Some(tokenizer) = &self.tokenizer
            && let Ok(encoding) = tokenizer.encode(text, false)
        {
            return encoding.get_ids().iter().map(|&id| u64::from(id)).collect();
        }
        tokens(text).iter().map(|w| fnv1a(w.as_bytes())).collect()
    }

    /// Whether two token sequences are near-duplicates.
    #[must_use]
    pub fn similar(&self, a: &[u64], b: &[u64]) -> bool {
        match self.method {
            DedupMethod::RougeL => rouge_l(a, b) >= self.threshold,
            DedupMethod::Edit => edit_similarity(a, b) > self.threshold,
        }
    }
}

/// A stable 64-bit hash of a word (FNV-1a): the same on every run and machine.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
}

/// `1 - levenshtein(a, b) / max(|a|, |b|)`: 1 for equal sequences, 0 for nothing in common.
#[must_use]
pub fn edit_similarity<T: PartialEq>(a: &[T], b: &[T]) -> f64 {
    let longest = a.len().max(b.len());
    if longest == 0 {
        return 1.0;
    }
    // One row of the edit-distance table at a time.
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, x) in a.iter().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, y) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = (above + 1).min(row[j] + 1).min(diagonal + usize::from(x != y));
            diagonal = above;
        }
    }
    1.0 - row[b.len()] as f64 / longest as f64
}

/// The prompts of the task files (`*.json` with a `prompts` list, as `robosim grade` reads
/// them) in `dirs`: what generated data must not copy.
///
/// # Errors
/// An unreadable directory or file, or a task file that is not JSON.
pub fn benchmark_prompts(dirs: &[PathBuf]) -> Result<Vec<String>, Error> {
    let mut prompts = Vec::new();
    for dir in dirs {
        let entries = std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))?;
        let mut files: Vec<PathBuf> = entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
            .collect();
        files.sort();
        for file in files {
            let text = std::fs::read_to_string(&file).map_err(|e| Error::io(&file, e))?;
            let task: serde_json::Value = serde_json::from_str(&text)
                .map_err(|e| Error::Settings { origin: file.display().to_string(), detail: e.to_string() })?;
            prompts
                .extend(task["prompts"].as_array().into_iter().flatten().filter_map(|p| p.as_str().map(str::to_owned)));
        }
    }
    Ok(prompts)
}

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
pub fn rouge_l<T: PartialEq>(a: &[T], b: &[T]) -> f64 {
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
fn lcs_len<T: PartialEq>(a: &[T], b: &[T]) -> usize {
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

    use super::{DedupMethod, Similarity, edit_similarity, rouge_l, tokens};

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

    #[test]
    fn edit_similarity_known_values() {
        let t = |s: &str| tokens(s);
        assert!((edit_similarity(&t("go to the kitchen"), &t("go to the kitchen")) - 1.0).abs() < 1e-9);
        // One word of four replaced: distance 1.
        assert!((edit_similarity(&t("go to the kitchen"), &t("go to the lab")) - 0.75).abs() < 1e-9);
        // Four words added to four: distance 4 of 8.
        assert!((edit_similarity(&t("go to the kitchen"), &t("go to the kitchen and wave at Bob")) - 0.5).abs() < 1e-9);
        assert!(edit_similarity::<u64>(&[], &[]) > 0.99);
        let edit = Similarity::new(DedupMethod::Edit, 0.6, None).unwrap();
        let (a, b) = (
            edit.tokens("Go to the kitchen and bring me an apple"),
            edit.tokens("go to the kitchen and bring me a pear"),
        );
        assert!(edit.similar(&a, &b), "7 of 9 words in place: 0.78");
        assert!(!edit.similar(&a, &edit.tokens("Ask Bob whether he wants tea")));
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
