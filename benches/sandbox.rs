//! Per-run wall time and fuel of the sandbox, and the cost of loading the guest module.
//!
//! `just bench` (or `cargo bench --bench sandbox`). The fuel of each program is printed once
//! before its timing. Set `ROBOSIM_BENCH_COLD=1` to also time a cold compile (10–40 s each).

use std::{hint::black_box, path::Path, time::Duration};

use criterion::{Criterion, criterion_group, criterion_main};
use robosim::{CachePolicy, Program, Sandbox, SandboxConfig, world::OpenWorld};

fn fixture(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/programs").join(format!("{name}.py"));
    std::fs::read_to_string(path).expect("fixture")
}

fn runs(c: &mut Criterion) {
    let sandbox = Sandbox::new().expect("sandbox");
    let programs = [
        ("pass", "def task_program():\n    pass\n".to_owned()),
        ("typical", fixture("typical")),
        ("loop_heavy", fixture("loop_heavy")),
    ];
    let mut group = c.benchmark_group("run");
    for (name, source) in &programs {
        let program = Program::task(source.as_str());
        let (report, _) = sandbox.run(&program, OpenWorld::default());
        eprintln!(
            "run/{name}: outcome {}, program fuel {}, start-up fuel {}",
            report.outcome.kind(),
            report.fuel_used,
            report.startup_fuel
        );
        group.bench_function(*name, |b| b.iter(|| black_box(sandbox.run(&program, OpenWorld::default()))));
    }
    group.finish();

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
