//! Generates the C header with cbindgen into $OUT_DIR/xfollow.h (and into
//! include/xfollow.h when XFOLLOW_UPDATE_HEADER=1, which `make header` sets), and gives the
//! shared library its soname.

use std::env;
use std::fmt::Write;
use std::fs;
use std::path::{Path, PathBuf};

// The error code table (src/error/codes.rs) as (code, C name, C doc) rows.
macro_rules! error_codes {
    ($($code:literal, $kind:ident, $c_name:ident, $text:literal, $doc:literal, $c_doc:literal;)*) => {
        const CODES: &[(i32, &str, &str)] = &[$(($code, stringify!($c_name), $c_doc)),*];
    };
}
include!("src/error/codes.rs");

/// The header's `X_SUCCESS` and `X_ERR_*` defines, documented as cbindgen documents items:
/// cbindgen does not expand the macro that makes the Rust constants.
fn code_defines() -> String {
    let mut out = String::from("\n/* x_result codes (src/error/codes.rs) */\n");
    let rows = std::iter::once((0, "X_SUCCESS", "Success.")).chain(CODES.iter().copied());
    for (code, name, doc) in rows {
        out.push_str("\n/**\n");
        for line in doc.lines() {
            let _ = writeln!(out, " * {}", line.trim());
        }
        let _ = writeln!(out, " */\n#define {name} {code}");
    }
    out
}

/// The preamble's list of opaque types: every `castable!` declaration of src/ffi (the handle
/// table), one line each, by name.
fn opaque_types(ffi: &Path) -> String {
    let mut types = Vec::new();
    let mut files: Vec<_> = fs::read_dir(ffi)
        .expect("src/ffi")
        .map(|e| e.expect("src/ffi entry").path())
        .collect();
    files.sort();
    for f in files {
        let text = fs::read_to_string(&f).expect("an ffi source file");
        let mut rest = text.as_str();
        while let Some(i) = rest.find("castable! {") {
            rest = &rest[i + "castable! {".len()..];
            let block = &rest[..rest.find('}').expect("castable! block end")];
            for line in block.lines() {
                // Only C types: the tests declare handle types of their own.
                let line = line.trim();
                if !line.starts_with("x_") {
                    continue;
                }
                if let Some((name, tail)) = line.split_once(" => ") {
                    let kind = tail.trim_end_matches(';').rsplit(", ").next().unwrap_or("");
                    types.push((name.to_owned(), kind.to_owned()));
                }
            }
        }
    }
    types.sort();
    types
        .iter()
        .map(|(name, kind)| match kind.as_str() {
            "Exclusive" => {
                format!(" *     {name}: its setters take it exclusively, one thread at a time")
            }
            "Lent" => {
                format!(" *     {name}: lent to a callback, valid while it runs; never freed")
            }
            _ => format!(" *     {name}"),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn main() {
    println!("cargo:rerun-if-changed=src/ffi");
    println!("cargo:rerun-if-changed=src/error/codes.rs");
    println!("cargo:rerun-if-changed=cbindgen.toml");
    println!("cargo:rerun-if-env-changed=XFOLLOW_UPDATE_HEADER");
    println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libxfollow.so.0");

    let crate_dir = PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR"));
    let out = PathBuf::from(env::var("OUT_DIR").expect("OUT_DIR")).join("xfollow.h");
    let mut config = cbindgen::Config::from_file(crate_dir.join("cbindgen.toml"))
        .expect("cbindgen.toml is readable");
    config.after_includes = Some(code_defines());
    if let Some(h) = &config.header {
        let types = opaque_types(&crate_dir.join("src").join("ffi"));
        config.header = Some(h.replace("@OPAQUE_TYPES@", &types));
    }
    // Only src/ffi is the C ABI: parsing from its root keeps the rest of the crate's public
    // items (constants of the quota and token modules, say) out of the header.
    let bindings = cbindgen::Builder::new()
        .with_src(crate_dir.join("src").join("ffi").join("mod.rs"))
        .with_config(config)
        .generate()
        .expect("cbindgen could not generate the header");
    bindings.write_to_file(&out);
    if env::var("XFOLLOW_UPDATE_HEADER").as_deref() == Ok("1") {
        bindings.write_to_file(crate_dir.join("include").join("xfollow.h"));
    }
}
