//! Verifying robot programs from Rust: one at a time, then a stream on several threads.
//!
//! `target/release/examples/verify_programs` (built by `just build`)

use robosim::{
    batch::verify_stream,
    verify::{Verifier, VerifyConfig},
};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // One verifier: it owns the sandbox (the compiled guest, loaded from the cache).
    let verifier = Verifier::new(VerifyConfig::default())?;

    let careful = "def task_program():\n    go_to('kitchen')\n    if is_in_room('apple'):\n        pick('apple')\n";
    let careless =
        "def task_program():\n    go_to('kitchen')\n    if not is_in_room('apple'):\n        pick('apple')\n";
    for program in [careful, careless] {
        let verdict = verifier.verify(program);
        println!("accepted={} after {} paths (exhausted: {})", verdict.accepted(), verdict.paths, verdict.exhausted());
        if let Some(failure) = verdict.failure() {
            println!("  line {:?}: {}  (replay: {:?})", failure.line, failure.error, failure.choices);
        }
    }

    // Many programs on two threads; verdicts arrive in input order as they are ready.
    let programs = (0..8).map(|i| format!("def task_program():\n    go_to('room {i}')\n    say('hello')\n"));
    for (index, verdict) in verify_stream(verifier, 2, programs) {
        println!("program {index}: accepted={}", verdict.accepted());
    }
    Ok(())
}
