//! The committed C header is what cbindgen generates from src/ffi, and its version macros
//! match Cargo.toml.

const GENERATED: &str = include_str!(concat!(env!("OUT_DIR"), "/xfollow.h"));

fn committed() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/include/xfollow.h"))
        .expect("include/xfollow.h")
}

#[test]
fn committed_header_is_fresh() {
    assert!(
        committed() == GENERATED,
        "include/xfollow.h is stale: run `make header` and commit it"
    );
}

fn define(h: &str, name: &str) -> String {
    h.lines()
        .find_map(|l| l.strip_prefix(&format!("#define {name} ")))
        .unwrap_or_else(|| panic!("{name} is not defined"))
        .trim()
        .to_owned()
}

#[test]
fn version_macros_match_cargo_toml() {
    let h = committed();
    let major = env!("CARGO_PKG_VERSION_MAJOR");
    let minor = env!("CARGO_PKG_VERSION_MINOR");
    let patch = env!("CARGO_PKG_VERSION_PATCH");
    assert_eq!(define(&h, "X_VERSION_MAJOR"), major);
    assert_eq!(define(&h, "X_VERSION_MINOR"), minor);
    assert_eq!(define(&h, "X_VERSION_PATCH"), patch);
    let n: u32 = major.parse::<u32>().unwrap() * 10000
        + minor.parse::<u32>().unwrap() * 100
        + patch.parse::<u32>().unwrap();
    assert_eq!(define(&h, "X_VERSION_NUMBER"), n.to_string());
    assert_eq!(xfollow::ffi::x_version_number(), n);
}

#[test]
fn every_item_is_prefixed() {
    let h = committed();
    for line in h.lines() {
        if let Some(rest) = line.strip_prefix("#define ") {
            let name = rest.split_whitespace().next().unwrap();
            assert!(name.starts_with("X_") || name == "XFOLLOW_H", "{line}");
        }
        if let Some(rest) = line
            .strip_prefix("typedef ")
            .and_then(|l| l.split_once("(*"))
        {
            // A function pointer type: `typedef R (*x_name)(...)`.
            let name = rest.1.split(')').next().unwrap();
            assert!(name.starts_with("x_"), "{line}");
            continue;
        }
        if line.contains('(')
            && !line.starts_with(' ')
            && !line.starts_with('#')
            && !line.starts_with("/")
        {
            // A function pointer type: `typedef void (*x_name)(...);`.
            let line = line
                .strip_prefix("typedef ")
                .and_then(|l| l.split_once("(*"))
                .map_or(line, |(_, rest)| rest.split(')').next().unwrap_or(rest));
            let line = &format!("{line}(");
            let name = line
                .split('(')
                .next()
                .unwrap()
                .split_whitespace()
                .last()
                .unwrap()
                .trim_start_matches('*');
            assert!(name.starts_with("x_"), "{line}");
        }
    }
    for needle in ["#ifdef __cplusplus", "extern \"C\" {", "#ifndef XFOLLOW_H"] {
        assert!(h.contains(needle), "missing {needle}");
    }
}
