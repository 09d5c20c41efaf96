//! The layers of src/ (docs/architecture.md): a module may use only modules of the layers
//! below its own. Reads every `crate::` path in the code (comments skipped) of each
//! top-level module and fails on an import that runs sideways or back up, on a path through
//! a crate-root re-export (`crate::Error`: name the module), and on a top-level module that
//! is not in the table.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

/// Top layer first. Keep in step with docs/architecture.md.
const LAYERS: &[&[&str]] = &[
    &["fuzz"],
    &["ffi"],
    &["plan"],
    &["client"],
    &["auth"],
    &["tokens"],
    &["api", "signature"],
    &["transport", "retry", "validate"],
    &["error"],
    &["ratelimit"],
    &["quota"],
    &["cancel", "clock", "form", "secret"],
];

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|l| l.contains(&module))
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The code of a file without its comment lines and trailing comments.
fn code(text: &str) -> String {
    let mut out = String::new();
    for line in text.lines() {
        let t = line.trim_start();
        if t.starts_with("//") {
            continue;
        }
        let line = match line.find(" // ") {
            Some(i) => &line[..i],
            None => line,
        };
        out.push_str(line);
        out.push('\n');
    }
    out
}

fn ident(s: &str) -> &str {
    let end = s
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(s.len());
    &s[..end]
}

/// The first segment of every `crate::` path in `code` (each item of a `crate::{...}` group).
fn crate_paths(code: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = code;
    while let Some(i) = rest.find("crate::") {
        rest = &rest[i + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let mut depth = 1;
            let mut start = 0;
            for (j, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    ',' if depth == 1 => {}
                    _ => continue,
                }
                if depth == 0 || (depth == 1 && c == ',') {
                    let item = group[start..j].trim();
                    if !item.is_empty() {
                        out.push(ident(item).to_owned());
                    }
                    start = j + 1;
                }
                if depth == 0 {
                    break;
                }
            }
        } else {
            out.push(ident(rest).to_owned());
        }
    }
    out
}

#[test]
fn no_module_imports_its_own_layer_or_one_above() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files.sort();
    let mut problems = BTreeSet::new();
    for f in &files {
        let rel = f.strip_prefix(&src).unwrap().to_string_lossy().into_owned();
        if rel == "lib.rs" {
            continue;
        }
        let module = rel.split('/').next().unwrap().trim_end_matches(".rs");
        let Some(own) = layer_of(module) else {
            problems.insert(format!(
                "src/{rel}: module `{module}` is in no layer of tests/layers.rs"
            ));
            continue;
        };
        let text = fs::read_to_string(f).unwrap();
        let code = code(&text);
        if code.contains("super::super::") {
            problems.insert(format!(
                "src/{rel}: `super::super::` (name the module: crate::...)"
            ));
        }
        for used in crate_paths(&code) {
            if used == module || used == "self" {
                continue;
            }
            match layer_of(&used) {
                Some(l) if l > own => {}
                Some(_) => {
                    problems.insert(format!(
                        "src/{rel}: `{module}` uses `crate::{used}`, a layer at or above its own"
                    ));
                }
                None => {
                    problems.insert(format!("src/{rel}: `crate::{used}` is not a module of a layer (name the module the item is in)"));
                }
            }
        }
    }
    assert!(
        problems.is_empty(),
        "layer violations:\n{}",
        problems.into_iter().collect::<Vec<_>>().join("\n")
    );
}

#[test]
fn every_top_level_module_is_in_a_layer() {
    let lib = fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("src/lib.rs")).unwrap();
    let mut missing = Vec::new();
    for line in code(&lib).lines() {
        let t = line.trim();
        let Some(rest) = t
            .strip_prefix("pub mod ")
            .or_else(|| t.strip_prefix("mod "))
        else {
            continue;
        };
        let name = ident(rest);
        if layer_of(name).is_none() {
            missing.push(name.to_owned());
        }
    }
    assert!(
        missing.is_empty(),
        "modules in no layer of tests/layers.rs: {missing:?}"
    );
}

#[test]
fn the_path_reader_sees_groups_and_nested_groups() {
    let code = "use crate::{api::{self, x}, error::Error};\nlet e = crate::ratelimit::RateLimit::default();";
    assert_eq!(crate_paths(code), ["api", "error", "ratelimit"]);
}
