//! Embeds the pure-Python standard library modules listed in `stdlib.txt`, and sets the
//! guest's stack size.

use std::{env, fmt::Write as _, fs, path::Path};

fn main() {
    // RustPython recurses on the native stack once per Python frame; 1 MiB (the default)
    // overflows long before Python's recursion limit turns deep recursion into RecursionError.
    println!("cargo:rustc-link-arg=-zstack-size=16777216");
    println!("cargo:rerun-if-changed=stdlib.txt");

    let lib = Path::new(rustpython_pylib::LIB_PATH);
    let list = fs::read_to_string("stdlib.txt").expect("read stdlib.txt");
    let mut table =
        String::from("/// (module name, is a package, source)\npub static MODULES: &[(&str, bool, &str)] = &[\n");
    for name in list.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')) {
        let file = lib.join(format!("{name}.py"));
        let dir = lib.join(name);
        if file.is_file() {
            push(&mut table, name, false, &file);
        } else if dir.join("__init__.py").is_file() {
            let mut files: Vec<_> = fs::read_dir(&dir)
                .expect("read package")
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "py"))
                .collect();
            files.sort();
            for path in files {
                let stem = path.file_stem().and_then(|s| s.to_str()).expect("utf-8 name");
                if stem == "__init__" {
                    push(&mut table, name, true, &path);
                } else if stem != "__main__" {
                    push(&mut table, &format!("{name}.{stem}"), false, &path);
                }
            }
        } else {
            panic!("stdlib.txt names {name}, which is not in {}", lib.display());
        }
    }
    table.push_str("];\n");
    let out = Path::new(&env::var("OUT_DIR").expect("OUT_DIR")).join("stdlib.rs");
    fs::write(out, table).expect("write stdlib.rs");
}

fn push(table: &mut String, module: &str, package: bool, path: &Path) {
    println!("cargo:rerun-if-changed={}", path.display());
    writeln!(table, "    ({module:?}, {package}, include_str!({:?})),", path.display().to_string())
        .expect("write to string");
}
