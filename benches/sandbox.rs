//! Per-run wall time and fuel of the sandbox, the cost of a fresh instance (and its page
//! faults), compiling a program on the host or in the guest, a whole verification, and the
//! cost of loading the guest module.
//!
//! `just bench` (or `cargo bench --bench sandbox`). The fuel of each program and the page
//! faults of a fresh run are printed once before its timing. Set `ROBOSIM_BENCH_COLD=1` to
//! also time a cold compile (10–40 s each).

use std::{hint::black_box, path::Path, time::Duration};

use criterion::{Criterion, criterion_group, criterion_main};
use robosim::{
    CachePolicy, Program, Sandbox, SandboxConfig, compile_on_host,
    verify::{Verifier, VerifyConfig},
    world::OpenWorld,
};

fn fixture(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/programs").join(format!("{name}.py"));
    std::fs::read_to_string(path).expect("fixture")
}

/// Minor page faults of this process so far (Linux), for faults per fresh run.
fn minor_faults() -> u64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let fields = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    fields.split_whitespace().nth(7).and_then(|n| n.parse().ok()).unwrap_or(0)
}

fn runs(c: &mut Criterion) {
    let sandbox = Sandbox::new().expect("sandbox");
    let in_guest =
        Sandbox::with_config(SandboxConfig { host_compile: false, ..SandboxConfig::default() }).expect("sandbox");
    let programs = [
        ("pass", "def task_program():\n    pass\n".to_owned()),
        ("typical", fixture("typical")),
        ("loop_heavy", fixture("loop_heavy")),
    ];
    let mut group = c.benchmark_group("run");
    for (name, source) in &programs {
        let program = Program::task(source.as_str());
        let (report, _) = sandbox.run(&program, OpenWorld::default());
        let faults = minor_faults();
        for _ in 0..100 {
            sandbox.run(&program, OpenWorld::default());
        }
        eprintln!(
            "run/{name}: outcome {}, program fuel {}, start-up fuel {}, {} page faults per fresh run",
            report.outcome.kind(),
            report.fuel_used,
            report.startup_fuel,
            (minor_faults() - faults) / 100,
        );
        group.bench_function(*name, |b| b.iter(|| black_box(sandbox.run(&program, OpenWorld::default()))));
    }
    group.finish();

    // The same runs with the program compiled inside the guest (robosim's way before it
    // compiled programs on the host).
    let mut group = c.benchmark_group("run_compiled_in_guest");
    for (name, source) in &programs {
        let program = Program::task(source.as_str());
        group.bench_function(*name, |b| b.iter(|| black_box(in_guest.run(&program, OpenWorld::default()))));
    }
    group.finish();

    // Compiling a program on the host (what a fresh instance is spared).
    let mut group = c.benchmark_group("compile_on_host");
    for (name, source) in &programs {
        group.bench_function(*name, |b| b.iter(|| black_box(compile_on_host(source, "<program>"))));
    }
    group.finish();

    // From nothing to the program's first robot call and back: a fresh instance, the
    // program's code, one host call.
    let first_call = Program::task("def task_program():\n    get_current_location()\n");
    c.bench_function("fresh_instance_to_first_robot_call", |b| {
        b.iter(|| black_box(sandbox.run(&first_call, OpenWorld::default())));
    });

    // A typical program verified: every path its world's choices open, in one session.
    let verifier =
        Verifier::with_sandbox(std::sync::Arc::new(Sandbox::new().expect("sandbox")), VerifyConfig::default());
    let typical = fixture("typical");
    let verdict = verifier.verify(&typical);
    eprintln!("verify/typical: {} paths, accepted {}", verdict.paths, verdict.accepted());
    c.bench_function("verify_typical", |b| b.iter(|| black_box(verifier.verify(&typical))));

    // An instance ready to run Python: instantiate the snapshot (and drop it). Every program
    // pays this once: no program runs in an instance another program has used.
    let pass = Program::task("def task_program():\n    pass\n");
    c.bench_function("instantiate_from_snapshot", |b| b.iter(|| black_box(sandbox.session(&pass).warm_up())));

    // One later path of an exploration: the program's session keeps its instance.
    let mut group = c.benchmark_group("path_in_session");
    for (name, source) in &programs {
        let program = Program::task(source.as_str());
        let mut session = sandbox.session(&program);
        let limits = *sandbox.limits();
        group.bench_function(*name, |b| {
            b.iter(|| black_box(session.run_with(OpenWorld::default(), &limits, 0)));
        });
    }
    group.finish();
}

fn module_load(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let cached = SandboxConfig { cache: CachePolicy::Dir(dir.path().to_owned()), ..SandboxConfig::default() };
    Sandbox::with_config(cached.clone()).expect("fill the cache");
    let mut group = c.benchmark_group("module_load");
    group.bench_function("cached", |b| b.iter(|| black_box(Sandbox::with_config(cached.clone()).expect("load"))));
    if std::env::var_os("ROBOSIM_BENCH_COLD").is_some() {
        group.sample_size(10).measurement_time(Duration::from_secs(60));
        let cold = SandboxConfig { cache: CachePolicy::Disabled, ..SandboxConfig::default() };
        group.bench_function("compile", |b| b.iter(|| black_box(Sandbox::with_config(cold.clone()).expect("compile"))));
    }
    group.finish();
    let _ = std::fs::remove_dir_all(dir);
}

criterion_group!(benches, runs, module_load);
criterion_main!(benches);
