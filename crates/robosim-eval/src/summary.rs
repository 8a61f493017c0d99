//! pass@k and the error breakdown, per task and overall.

use std::collections::BTreeMap;

use robosim_grade::roboeval::EvalClass;
use serde::Serialize;

/// The unbiased estimator of pass@k (Chen et al., 2021) from `n` samples of which `c` passed:
/// `1 - C(n-c, k) / C(n, k)`, computed as a product so that it stays exact enough for large n.
#[must_use]
pub fn pass_at_k(n: u64, c: u64, k: u64) -> f64 {
    if n == 0 || k == 0 || k > n {
        return 0.0;
    }
    if n - c < k {
        return 1.0;
    }
    1.0 - ((n - c + 1)..=n).map(|i| 1.0 - k as f64 / i as f64).product::<f64>()
}

/// Graded completions of one prompt.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct PromptCount {
    pub completions: u64,
    pub passed: u64,
}

/// One task's results.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct TaskResult {
    /// Per prompt variant, in the task file's order.
    pub prompts: Vec<PromptCount>,
    pub completions: u64,
    pub passed: u64,
    /// pass@k for each k asked (k ≤ n): the mean over the prompts of the unbiased estimate.
    pub pass_at: BTreeMap<String, f64>,
    /// RoboEval's error breakdown (ablations: none).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub errors: BTreeMap<EvalClass, u64>,
}

impl TaskResult {
    pub(crate) fn with_prompts(prompts: usize) -> Self {
        Self { prompts: vec![PromptCount::default(); prompts], ..Self::default() }
    }

    pub(crate) fn add(&mut self, prompt: usize, passed: bool) {
        if let Some(count) = self.prompts.get_mut(prompt) {
            count.completions += 1;
            count.passed += u64::from(passed);
        }
        self.completions += 1;
        self.passed += u64::from(passed);
    }

    /// Fills in `pass_at` for each k in `ks`.
    pub(crate) fn finish(&mut self, ks: &[u64]) {
        let graded: Vec<&PromptCount> = self.prompts.iter().filter(|p| p.completions > 0).collect();
        for &k in ks {
            if graded.is_empty() {
                continue;
            }
            let sum: f64 = graded.iter().map(|p| pass_at_k(p.completions, p.passed, k)).sum();
            self.pass_at.insert(format!("{k}"), round(sum / graded.len() as f64));
        }
    }
}

/// The mean over tasks of each pass@k (every task weighs the same, as RoboEval averages).
pub(crate) fn mean_pass_at<'a>(tasks: impl Iterator<Item = &'a TaskResult>) -> BTreeMap<String, f64> {
    let mut sums: BTreeMap<String, (f64, u32)> = BTreeMap::new();
    for task in tasks {
        for (k, value) in &task.pass_at {
            let entry = sums.entry(k.clone()).or_default();
            entry.0 += value;
            entry.1 += 1;
        }
    }
    sums.into_iter().map(|(k, (sum, n))| (k, round(sum / f64::from(n)))).collect()
}

pub(crate) fn round(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}

#[cfg(test)]
mod tests {
    use super::pass_at_k;

    #[test]
    fn the_estimator_matches_its_closed_form() {
        fn binomial(n: u64, k: u64) -> f64 {
            (0..k).map(|i| (n - i) as f64 / (k - i) as f64).product()
        }
        for n in [1, 5, 20] {
            for c in 0..=n {
                for k in 1..=n {
                    let exact = if n - c < k { 1.0 } else { 1.0 - binomial(n - c, k) / binomial(n, k) };
                    assert!((pass_at_k(n, c, k) - exact).abs() < 1e-9, "n={n} c={c} k={k}");
                }
            }
        }
        assert!((pass_at_k(20, 5, 1) - 0.25).abs() < 1e-12);
        assert_eq!((pass_at_k(20, 0, 5), pass_at_k(20, 20, 5), pass_at_k(3, 1, 5)), (0.0, 1.0, 0.0));
    }
}
