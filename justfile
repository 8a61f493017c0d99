# robosim's tasks. `just` lists them.

set shell := ["bash", "-euo", "pipefail", "-c"]

# Everything builds in the release profile: RustPython and cranelift are too slow unoptimised.
cargo := "cargo"
# The one cargo invocation that builds everything the recipes use: the binary, the examples and
# every test. Builds that select other targets resolve features differently and would compile
# cranelift and the robosim crates again; every recipe reuses this build instead.
build_all := cargo + " test --release --workspace --exclude robosim-guest --no-run"
target := env_var_or_default("CARGO_TARGET_DIR", "target")
robosim := target / "release/robosim"
# The developers' tools (crates/robosim-dev): agreement with the reference checker and with RoboEval.
robosim_dev := target / "release/robosim-dev"
# The RoboEval versions seeds/roboeval is ported from (each task file's `source` names one).
benchmarks := env_var_or_default("ROBOSIM_BENCHMARKS", target / "benchmarks")
robo_instruct_commit := "113b793f8d0c8961b32942bfc4d62cb768f0c33c"
codebotler_commit := "2b3e2d84e3ea0285cca1f1dcd4f313522d168a3a"

default:
    @just --list

# Install what a fresh machine lacks (the wasm target; `just` itself comes from `pip install rust-just`).
setup:
    rustup target add wasm32-wasip1

# Build the CLI, its tests and examples (and, through its build script, the Python guest) in one
# cargo invocation, and cache the compiled guest.
build: setup
    {{build_all}}
    {{robosim}} prepare

# Verify a JSONL batch on all cores: INPUT.verdicts.jsonl, INPUT.accepted.jsonl, a summary.
verify-batch FILE *ARGS: build
    {{robosim}} verify-batch {{FILE}} {{ARGS}} || [ $? -eq 1 ]

# Generate training data with a model behind an OpenAI-compatible server (see README).
pipeline OUT *ARGS: build
    {{robosim}} pipeline {{OUT}} {{ARGS}}

# Grade completions on benchmark tasks: pass@1 per task, the failing check of each failure.
grade TASKS COMPLETIONS *ARGS: build
    {{robosim}} grade {{TASKS}} {{COMPLETIONS}} {{ARGS}} || [ $? -eq 1 ]

# Evaluate a model behind an OpenAI-compatible server on RoboEval (see README): pass@k, error breakdown.
eval OUT *ARGS: build
    {{robosim}} eval {{OUT}} {{ARGS}}

# Run one Python program and print its outcome and robot-call trace.
run FILE *ARGS: build
    {{robosim}} run {{FILE}} {{ARGS}}

# The test suite (unit, integration, doc tests), all in the release profile: the same invocation
# as `build`, so nothing is compiled again; then the Python package's tests.
test: build && test-python
    {{cargo}} test --release --workspace --exclude robosim-guest

# The Python package (crates/robosim-python) as an abi3 wheel in target/wheels, built by maturin
# (installed with pip when missing) from the same release build.
wheel: build
    python3 -m maturin --version >/dev/null 2>&1 || python3 -m pip install --quiet "maturin>=1.9,<2"
    rm -rf {{target}}/wheels
    python3 -m maturin build --release -m crates/robosim-python/Cargo.toml --out {{target}}/wheels

# Linked by zig (maturin --zig, ziglang from PyPI; not in CI: a second build of the extension,
# ~12 min cold on 2 cores), checked with auditwheel, then the Python tests run against it in
# target/py2014 (the guest inside is the CLI's: the tests compare verdicts on the dev corpus).
# The wheel for training clusters: manylinux2014 (glibc 2.17) x86_64, in target/wheels-manylinux2014.
wheel-manylinux2014: build
    python3 -m pip install --quiet "maturin>=1.9,<2" "ziglang==0.17.1" "auditwheel==6.8.2"
    rm -rf {{target}}/wheels-manylinux2014
    python3 -m maturin build --release --zig --compatibility manylinux2014 -m crates/robosim-python/Cargo.toml --out {{target}}/wheels-manylinux2014
    python3 -m auditwheel show {{target}}/wheels-manylinux2014/robosim-*.whl | tee /dev/stderr | grep -q '"manylinux_2_17_x86_64"'
    [ -x {{target}}/py2014/bin/python ] || python3 -m venv {{target}}/py2014
    {{target}}/py2014/bin/python -m pip install --quiet --disable-pip-version-check -r tests/python/requirements.lock
    {{target}}/py2014/bin/python -m pip install --quiet --disable-pip-version-check --force-reinstall --no-deps {{target}}/wheels-manylinux2014/robosim-*.whl
    {{target}}/py2014/bin/python -m pytest -q -p no:warnings tests/python

# A virtual environment (target/py) with the wheel and the pinned test dependencies
# (tests/python/requirements.lock: pytest, Ray Data, datasets).
python-env: wheel
    [ -x {{target}}/py/bin/python ] || python3 -m venv {{target}}/py
    {{target}}/py/bin/python -m pip install --quiet --disable-pip-version-check -r tests/python/requirements.lock
    {{target}}/py/bin/python -m pip install --quiet --disable-pip-version-check --force-reinstall --no-deps {{target}}/wheels/robosim-*.whl

# The Python package's tests (tests/python): the API, parity with the CLI, Ray Data, datasets.
test-python: python-env
    {{target}}/py/bin/python -m pytest -q -p no:warnings tests/python

# Programs/s on the dev corpus through Python: verify_many and Ray Data, beside verify-batch.
bench-python: python-env
    /usr/bin/time -f "verify-batch --jobs 2: %e s" {{robosim}} verify-batch ../shared/corpus/dev.jsonl --out {{target}}/bench-python.jsonl --no-accepted --jobs 2 > /dev/null || [ $? -eq 1 ]
    {{target}}/py/bin/python benches/python_throughput.py ../shared/corpus/dev.jsonl 2>/dev/null

# Through robosim.rewards.GradeReward on all cores (the first call and the steady state, peak
# RSS), then robosim serve under 64 concurrent clients (completions/s, p50/p99 latency, peak RSS).
# A GRPO-sized reward batch: 1,024 completions on RoboEval's tasks, `fraction`; and the server.
bench-rewards SIZE="1024": python-env
    {{target}}/py/bin/python benches/rewards_throughput.py ../shared/corpus/roboeval_dev.jsonl seeds/roboeval {{SIZE}}
    {{target}}/py/bin/python benches/serve_load.py {{robosim}} ../shared/corpus/roboeval_dev.jsonl seeds/roboeval

# Not in CI: it installs torch (from PyPI, with its CUDA libraries: ~4 GB), transformers and TRL
# into target/rl. TRL's GRPOTrainer, a tiny GPT-2 and a tokenizer made here, a few CPU steps.
# RL end to end, rewarded by robosim.rewards on robosim's example tasks (prints the rewards).
rl-smoke STEPS="4": wheel
    [ -x {{target}}/rl/bin/python ] || python3 -m venv {{target}}/rl
    {{target}}/rl/bin/python -m pip install --quiet --disable-pip-version-check "torch==2.9.1" "trl==1.16.0" "transformers==5.25.0" "datasets==5.2.0" "tokenizers==0.23.3" "accelerate==1.16.0"
    {{target}}/rl/bin/python -m pip install --quiet --disable-pip-version-check --force-reinstall --no-deps {{target}}/wheels/robosim-*.whl
    {{target}}/rl/bin/python dev/rl/smoke.py {{STEPS}}

# The report's build time and size on big inputs: the grades of RoboEval's 6,639 labelled
# programs, and a 100,000-record verdicts file (the dev corpus's verdicts repeated).
bench-report: build
    mkdir -p {{target}}/bench-report
    cp ../shared/corpus/roboeval_dev.jsonl {{target}}/bench-report/roboeval.jsonl
    {{robosim}} grade seeds/roboeval {{target}}/bench-report/roboeval.jsonl -j 2 > /dev/null 2>&1 || [ $? -eq 1 ]
    {{robosim}} verify-batch ../shared/corpus/dev.jsonl --out {{target}}/bench-report/dev.verdicts.jsonl --no-accepted -j 2 > /dev/null 2>&1 || [ $? -eq 1 ]
    python3 benches/report_inputs.py {{target}}/bench-report/dev.verdicts.jsonl {{target}}/bench-report/big.verdicts.jsonl 100000
    for input in roboeval.grades.jsonl big.verdicts.jsonl; do \
        ls -l {{target}}/bench-report/$input | awk '{printf "%s: %.1f MiB of input\n", $NF, $5 / 1048576}'; \
        /usr/bin/time -f "report built in %e s, peak RSS %M KiB" {{robosim}} report {{target}}/bench-report/$input; \
    done

# Lints: formatting and clippy.
lint: setup
    rustup component add rustfmt clippy 2>/dev/null || true
    {{cargo}} fmt --all --check
    {{cargo}} clippy --release --workspace --exclude robosim-guest --all-targets -- -D warnings

# robosim's verdicts against the reference checker's on the dev corpus (1,404 programs).
agreement *ARGS: build
    {{robosim_dev}} agreement ../shared/corpus/dev.jsonl --details {{target}}/agreement.jsonl {{ARGS}}

# robosim's grades on RoboEval's tasks against RoboEval's own verdicts on the 6,639 labelled
# programs: agreement per task, state and program; disagreements in target/roboeval-agreement.jsonl.
roboeval-agreement *ARGS: build
    {{robosim_dev}} roboeval-agreement ../shared/corpus/roboeval_dev.jsonl --tasks seeds/roboeval --details {{target}}/roboeval-agreement.jsonl -j 2 {{ARGS}}

# Not in CI: it needs checkouts of the benchmark (cloned at the commits the port names when missing).
# Prompts, states and every check compared as trees where the test function is one, else on
# generated traces; see seeds/roboeval/README.md.
# Check the RoboEval port against RoboEval's own task files.
roboeval-port-check *ARGS: roboeval-checkouts
    python3 dev/roboeval/port_check.py --benchmark {{benchmarks}}/robo-instruct --ablations {{benchmarks}}/codebotler \
        --ours seeds/roboeval $([ -f ../shared/corpus/roboeval_dev.jsonl ] && echo --corpus ../shared/corpus/roboeval_dev.jsonl) {{ARGS}}

# Grade programs (JSONL: task, program) with RoboEval's own harness, state by state, into OUT.
roboeval-harness IN OUT *ARGS: roboeval-checkouts
    [ -x {{target}}/roboeval-py/bin/python ] || python3 -m venv {{target}}/roboeval-py
    {{target}}/roboeval-py/bin/python -m pip install --quiet --disable-pip-version-check numpy pandas
    PATH="$(realpath {{target}}/roboeval-py/bin):$PATH" python dev/roboeval/harness.py --benchmark {{benchmarks}}/robo-instruct {{IN}} {{OUT}} {{ARGS}}

# Under target/benchmarks unless ROBOSIM_BENCHMARKS says where.
# Check out ut-amrl/robo-instruct (RoboEval as the paper ran it) and ut-amrl/codebotler (ablations).
roboeval-checkouts:
    #!/usr/bin/env bash
    set -euo pipefail
    clone() {
        [ -d "{{benchmarks}}/$1/.git" ] || git clone --quiet --no-checkout "https://github.com/ut-amrl/$1" "{{benchmarks}}/$1"
        git -C "{{benchmarks}}/$1" -c advice.detachedHead=false checkout --quiet "$2"
    }
    mkdir -p {{benchmarks}}
    clone robo-instruct {{robo_instruct_commit}}
    clone codebotler {{codebotler_commit}}

# Another build of robosim (BASE, a binary) against this one: speed and identical results.
# Taking turns: programs/s on the dev corpus (10 runs each) and grade time on RoboEval's; exit 1
# when any verdict or grade record differs (benches/compare_builds.py).
bench-compare BASE *ARGS: build
    python3 benches/compare_builds.py {{BASE}} {{robosim}} {{ARGS}}

# The machine's drift cannot touch this one: the instructions (host and guest, user space) of
# verifying the dev corpus's first PROGRAMS programs in one job, counted by valgrind (Debian's
# package). A change's effect, repeatable to 0.1 %; the kernel's share (memory resets, faults)
# is not counted. BIN: another build to count instead.
bench-instructions PROGRAMS="150" BIN=robosim: build
    #!/usr/bin/env bash
    set -euo pipefail
    dir={{target}}/bench-instructions; mkdir -p "$dir"
    head -n {{PROGRAMS}} ../shared/corpus/dev.jsonl > "$dir/slice.jsonl"
    # Exit 1 is verify-batch's for rejected programs; anything else (no valgrind) fails here.
    valgrind --tool=callgrind --log-file="$dir/valgrind.log" --callgrind-out-file="$dir/callgrind.out" \
        {{BIN}} verify-batch "$dir/slice.jsonl" --out "$dir/verdicts.jsonl" --no-accepted -j 1 >/dev/null 2>&1 || [ $? -eq 1 ]
    grep -E "I +refs" "$dir/valgrind.log"
    echo "profile: callgrind_annotate $dir/callgrind.out (the guest's code shows as ???: addresses)"

# verify-batch on the dev corpus (repeated TIMES times): programs/s, paths/s, peak RSS.
bench-corpus TIMES="1" *ARGS: build
    mkdir -p target/bench-corpus
    for i in $(seq {{TIMES}}); do cat ../shared/corpus/dev.jsonl; done > target/bench-corpus/corpus.jsonl
    /usr/bin/time -f "peak RSS: %M KiB, wall: %e s" {{robosim}} verify-batch target/bench-corpus/corpus.jsonl --no-accepted --jobs 2 {{ARGS}} || [ $? -eq 1 ]

# The limits a hostile input must stay within (see README, Resource bounds): CPU and peak RSS of
# each hostile completion graded alone (both trace readings), of the whole set with 1 and 2
# jobs, of verify-batch on 100 programs flooding their verdicts, and of 600 ordinary programs
# alone and after a deep recursion.
bench-hostile: build
    #!/usr/bin/env bash
    set -euo pipefail
    dir={{target}}/bench-hostile; rm -rf "$dir"; mkdir -p "$dir"
    measure() { /usr/bin/time -f "%U %S %M" -o "$dir/time" "$@" > /dev/null 2>&1 || true; read user sys rss < <(tail -1 "$dir/time"); echo "$(awk "BEGIN { print $user + $sys }") s CPU, $((rss / 1024)) MiB"; }
    while IFS= read -r line; do
        id=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["id"])' "$line")
        echo "$line" > "$dir/one.jsonl"
        for trace in printed calls; do
            echo "$id ($trace): $(measure {{robosim}} grade seeds/roboeval "$dir/one.jsonl" --out "$dir/one.grades.jsonl" --jobs 1 --trace $trace)"
        done
    done < tests/fixtures/hostile/completions.jsonl
    for i in $(seq 10); do cat tests/fixtures/hostile/completions.jsonl; done > "$dir/all.jsonl"
    for jobs in 1 2; do echo "10 x the set, --jobs $jobs: $(measure {{robosim}} grade seeds/roboeval "$dir/all.jsonl" --out "$dir/all.grades.jsonl" --jobs $jobs --trace calls)"; done
    python3 -c 'import json; [print(json.dumps({"id": "n%d" % i, "instruction": "x", "program": "def task_program():\n    # variant %d\n    say([[[[%d] * 25] * 25] * 25] * 25)\n" % (i, i % 10)})) for i in range(100)]' > "$dir/nested.jsonl"
    echo "verify-batch, 100 nested-list programs, --jobs 2: $(measure {{robosim}} verify-batch "$dir/nested.jsonl" --out "$dir/nested.verdicts.jsonl" --no-accepted --jobs 2), $(stat -c %s "$dir/nested.verdicts.jsonl") bytes of verdicts"
    # A program that writes much of its instance's memory (a deep recursion's stack) must not
    # slow the programs after it (vendor/README.md: a slot releases its pages every 128 resets).
    head -n 600 ../shared/corpus/dev.jsonl > "$dir/600.jsonl"
    python3 -c 'import json,sys; print(json.dumps({"id": "deep", "instruction": "x", "program": open(sys.argv[1]).read()}))' tests/fixtures/programs/recursion.py | cat - "$dir/600.jsonl" > "$dir/after.jsonl"
    echo "verify-batch, the dev corpus's first 600 programs, --jobs 1: $(measure {{robosim}} verify-batch "$dir/600.jsonl" --out "$dir/600.verdicts.jsonl" --no-accepted --jobs 1); after a deep recursion: $(measure {{robosim}} verify-batch "$dir/after.jsonl" --out "$dir/after.verdicts.jsonl" --no-accepted --jobs 1)"

# Criterion benchmarks: per-run latency and fuel, module load.
bench: build
    {{cargo}} bench --bench sandbox

# The generation pipeline's programs/align/export stages on the dev corpus, served by a scripted
# stand-in for a model (examples/corpus_llm.rs): tasks/s and acceptance with real programs.
bench-pipeline *ARGS: build
    rm -rf target/bench-pipeline && mkdir -p target/bench-pipeline
    {{target}}/release/examples/corpus_llm ../shared/corpus/dev.jsonl target/bench-pipeline/out > target/bench-pipeline/url & \
    trap "kill $! 2>/dev/null" EXIT; \
    until [ -s target/bench-pipeline/url ]; do sleep 0.1; done; \
    /usr/bin/time -f "peak RSS: %M KiB, wall: %e s" {{robosim}} pipeline target/bench-pipeline/out \
        --stages programs,align,export --model corpus --base-url "$(cat target/bench-pipeline/url)" {{ARGS}}

# Grading speed: the 6,639 labelled programs of the RoboEval corpus on RoboEval's 20 tasks (16,339
# state runs and the ablations'), 2 worker processes: wall time and peak RSS.
bench-grade *ARGS: build
    mkdir -p target/bench-grade
    /usr/bin/time -f "peak RSS: %M KiB (largest process), wall: %e s" {{robosim}} grade seeds/roboeval ../shared/corpus/roboeval_dev.jsonl --out target/bench-grade/grades.jsonl --jobs 2 {{ARGS}} | tail -2 || [ $? -eq 1 ]

# The same on robosim's example tasks: data/completions.jsonl repeated TIMES times.
bench-grade-examples TIMES="100" *ARGS: build
    mkdir -p target/bench-grade
    for i in $(seq {{TIMES}}); do cat data/completions.jsonl; done > target/bench-grade/completions.jsonl
    /usr/bin/time -f "peak RSS: %M KiB (largest process), wall: %e s" {{robosim}} grade seeds/examples target/bench-grade/completions.jsonl --jobs 2 {{ARGS}} | tail -3 || [ $? -eq 1 ]
