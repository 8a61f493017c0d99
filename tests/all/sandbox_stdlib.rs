//! The pure-Python standard library pieces real programs use are there, and deterministic.

use robosim::{Limits, Outcome};

use crate::{run_script, run_with};

#[test]
fn common_modules_import_and_work() {
    let source = r#"
import random, math, re, json, time, string, collections, itertools, functools, typing
import datetime, copy, heapq, bisect, statistics, textwrap, enum, io, contextlib
assert math.sqrt(16) == 4.0
assert re.findall(r"\d+", "a1b22") == ["1", "22"]
assert json.loads(json.dumps({"a": [1, 2]})) == {"a": [1, 2]}
assert string.ascii_lowercase[:3] == "abc"
assert collections.Counter("aab")["a"] == 2
assert statistics.mean([1, 2, 3]) == 2
assert 0 <= random.random() < 1
assert random.choice(["x", "y"]) in ["x", "y"]
buffer = io.StringIO()
print("captured", file=buffer)
assert buffer.getvalue() == "captured\n"
with contextlib.suppress(KeyError):
    {}["missing"]
assert "Hello World".lower().split() == ["hello", "world"]
"#;
    let report = run_script(source);
    assert_eq!(report.outcome, Outcome::Completed, "{report:#?}");
}

#[test]
fn every_embedded_module_imports() {
    let list = include_str!("../../guest/stdlib.txt");
    for name in list.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')) {
        let report = run_script(&format!("import {name}"));
        assert_eq!(report.outcome, Outcome::Completed, "import {name}: {:#?}", report.outcome);
    }
}

#[test]
fn random_is_deterministic_per_seed() {
    let source = "import random\ndef task_program():\n    print(random.random(), random.randint(1, 10**9))\n";
    let limits = Limits::default();
    let a = run_with(source, &limits, 7);
    let b = run_with(source, &limits, 7);
    let c = run_with(source, &limits, 8);
    assert_eq!(a.outcome, Outcome::Completed, "{a:#?}");
    assert_eq!(a.stdout, b.stdout);
    assert_ne!(a.stdout, c.stdout);
}
