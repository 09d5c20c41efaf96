//! Generates the C header with cbindgen into $OUT_DIR/xfollow.h (and into
//! include/xfollow.h when XFOLLOW_UPDATE_HEADER=1, which `make header` sets), and gives the
//! shared library its soname.

use std::env;
use std::path::PathBuf;

fn main() {
    println!("cargo:rerun-if-changed=src/ffi");
    println!("cargo:rerun-if-changed=cbindgen.toml");
    println!("cargo:rerun-if-env-changed=XFOLLOW_UPDATE_HEADER");
    println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libxfollow.so.0");

    let crate_dir = PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR"));
    let out = PathBuf::from(env::var("OUT_DIR").expect("OUT_DIR")).join("xfollow.h");
    let config = cbindgen::Config::from_file(crate_dir.join("cbindgen.toml"))
        .expect("cbindgen.toml is readable");
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
