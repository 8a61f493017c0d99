//! The conformance probes of `../shared/corpus/conformance.jsonl`: one or two programs per
//! rule of the spec, with the reference checker's verdict (or robosim's deliberate one).

use robosim::verify::{Verifier, VerifyConfig, reference_class};
use serde::Deserialize;

use crate::SANDBOX;

#[derive(Debug, Deserialize)]
struct Probe {
    id: String,
    program: String,
    reference: Expected,
    robosim_expected: Option<Expected>,
}

#[derive(Debug, Deserialize)]
struct Expected {
    accepted: bool,
    #[serde(default)]
    error: String,
}

#[test]
fn conformance_probes_agree_with_the_reference() {
    // A copy of `../shared/corpus/conformance.jsonl`, so the probes run without it.
    let path = crate::fixtures().join("conformance.jsonl");
    if let Some(shared) = crate::shared("corpus/conformance.jsonl") {
        let (copy, original) = (std::fs::read(&path).expect("the fixture"), std::fs::read(shared).expect("the probes"));
        assert!(copy == original, "tests/fixtures/conformance.jsonl differs from ../shared's: copy it again");
    }
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let verifier = Verifier::with_sandbox(SANDBOX.clone(), VerifyConfig::default());
    let mut disagreements = Vec::new();
    let mut count = 0;
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let probe: Probe = serde_json::from_str(line).expect("a probe");
        let expected = probe.robosim_expected.as_ref().unwrap_or(&probe.reference);
        let verdict = verifier.verify(&probe.program);
        count += 1;
        let got_class = verdict.failure().map(|f| f.class.to_string());
        let ok = verdict.accepted() == expected.accepted
            && (expected.accepted
                || expected.error.is_empty()
                || got_class.as_deref() == Some(reference_class(&expected.error)));
        if !ok {
            disagreements.push(format!(
                "{}: expected accepted={} {:?}, got accepted={} {:?}",
                probe.id,
                expected.accepted,
                expected.error,
                verdict.accepted(),
                verdict.failure().map(|f| &f.error)
            ));
        }
    }
    assert_eq!(count, 54, "the corpus has 54 probes");
    assert!(
        disagreements.is_empty(),
        "{} of {count} probes disagree:\n{}",
        disagreements.len(),
        disagreements.join("\n")
    );
}
