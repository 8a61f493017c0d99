//! Builds the Python guest (`guest/`, RustPython) for wasm32-wasip1 and hands its bytes
//! and hash to the crate. Users never build the guest by hand.
//!
//! The guest always builds in release mode (RustPython unoptimised is ~20× slower) into its
//! own target directory, `<target>/guest`, so it does not fight the outer build for locks.
//! Set `ROBOSIM_GUEST_WASM=/path/to/robosim_guest.wasm` to use a prebuilt guest instead.

use std::{
    env, fs,
    path::{Path, PathBuf},
    process::Command,
};

use sha2::{Digest, Sha256};

/// Variables (by prefix) that set up the host's build and must not reach the guest's.
const HOST_ONLY: &[&str] = &[
    "CC",
    "CXX",
    "AR",
    "CFLAGS",
    "CXXFLAGS",
    "CPPFLAGS",
    "LDFLAGS",
    "TARGET_",
    "HOST_",
    "CARGO_TARGET_",
    "CARGO_PROFILE_",
];

fn main() {
    println!("cargo:rerun-if-env-changed=ROBOSIM_GUEST_WASM");
    let wasm = match env::var_os("ROBOSIM_GUEST_WASM") {
        Some(path) => {
            println!("cargo:rerun-if-changed={}", Path::new(&path).display());
            PathBuf::from(path)
        }
        None => build_guest(),
    };
    let bytes = fs::read(&wasm).unwrap_or_else(|e| panic!("reading the guest {}: {e}", wasm.display()));
    let out = PathBuf::from(env::var_os("OUT_DIR").expect("OUT_DIR")).join("robosim_guest.wasm");
    fs::write(&out, &bytes).expect("copy the guest into OUT_DIR");
    let hash: String = Sha256::digest(&bytes).iter().map(|b| format!("{b:02x}")).collect();
    println!("cargo:rustc-env=ROBOSIM_GUEST_SHA256={hash}");
}

fn build_guest() -> PathBuf {
    let manifest = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR"));
    let workspace = manifest.join("../..").canonicalize().expect("workspace root");
    for watched in [
        "guest/src",
        "guest/python",
        "guest/Cargo.toml",
        "guest/build.rs",
        "guest/stdlib.txt",
        "crates/robosim-protocol/src",
        "crates/robosim-source/src",
        "Cargo.lock",
    ] {
        println!("cargo:rerun-if-changed={}", workspace.join(watched).display());
    }
    let target_dir =
        env::var_os("CARGO_TARGET_DIR").map_or_else(|| workspace.join("target"), PathBuf::from).join("guest");
    let cargo = env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(cargo);
    command
        .current_dir(&workspace)
        .args(["build", "--profile", "guest", "--locked", "--target", "wasm32-wasip1", "-p", "robosim-guest"])
        // RustPython's parser pins declare Rust 1.96 but build with 1.95 (README, "Building").
        .arg("--ignore-rust-version")
        .arg("--target-dir")
        .arg(&target_dir);
    // Flags meant for the host build must not leak into the wasm build.
    for var in [
        "RUSTFLAGS",
        "CARGO_ENCODED_RUSTFLAGS",
        "CARGO_BUILD_RUSTFLAGS",
        "CARGO_BUILD_TARGET",
        "CARGO_TARGET_DIR",
        "RUSTC_WORKSPACE_WRAPPER",
        "CARGO_LLVM_COV",
    ] {
        command.env_remove(var);
    }
    // So are C compilers, archivers and linkers set for the host's target (maturin --zig sets
    // zig for them), and profile settings (the guest's profile is the manifest's
    // `[profile.guest]`): a guest built otherwise is another guest, with other fuel counts,
    // and every verdict must be the same from every build.
    for (name, _) in env::vars_os() {
        let name = name.to_string_lossy();
        let host_only = HOST_ONLY.iter().any(|prefix| name.starts_with(prefix)) || name == "RUSTC_WRAPPER";
        if host_only {
            command.env_remove(name.as_ref());
        }
    }
    let status = command.status().expect("running cargo to build the guest");
    assert!(
        status.success(),
        "building the Python guest for wasm32-wasip1 failed ({status}); is the target installed? \
         `rustup target add wasm32-wasip1`"
    );
    target_dir.join("wasm32-wasip1/guest/robosim_guest.wasm")
}
