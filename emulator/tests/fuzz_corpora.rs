//! Replays every committed fuzz input of the emulator's targets (fuzz/seeds, fuzz/corpus,
//! fuzz/artifacts and fuzz/regressions of the repository) through the functions the fuzz
//! targets call, on stable. A target without seeds or corpus fails.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

/// A fuzz target: its name and the function it runs.
type Target = (&'static str, fn(&[u8]));

const TARGETS: [Target; 2] = [
    ("emulator_request", xfollow_emulator::fuzz::request),
    (
        "emulator_oauth_header",
        xfollow_emulator::fuzz::oauth_header,
    ),
];

fn files(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut v: Vec<PathBuf> = entries
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .collect();
    v.sort();
    v
}

#[test]
fn every_committed_input_replays_without_a_panic() {
    // The fuzz crate is at the repository's root, beside this package.
    let fuzz = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz");
    for (target, run) in TARGETS {
        assert!(
            !files(&fuzz.join("seeds").join(target)).is_empty(),
            "fuzz/seeds/{target} is missing or empty"
        );
        assert!(
            !files(&fuzz.join("corpus").join(target)).is_empty(),
            "fuzz/corpus/{target} is missing or empty"
        );
        let mut failed = Vec::new();
        for kind in ["seeds", "corpus", "artifacts", "regressions"] {
            for path in files(&fuzz.join(kind).join(target)) {
                let data = std::fs::read(&path).unwrap();
                if catch_unwind(AssertUnwindSafe(|| run(&data))).is_err() {
                    failed.push(path.display().to_string());
                }
            }
        }
        assert!(failed.is_empty(), "{target}: inputs panic: {failed:?}");
    }
}
