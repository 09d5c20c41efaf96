//! Replays every committed fuzz input of the library's targets (fuzz/seeds, fuzz/corpus,
//! fuzz/artifacts and fuzz/regressions) through the same functions the fuzz targets call,
//! on stable: an input that once crashed stays fixed. A target without seeds or corpus fails.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

/// A fuzz target: its name and the function it runs.
type Target = (&'static str, fn(&[u8]));

const TARGETS: [Target; 10] = [
    ("framing", xfollow::fuzz::framing),
    ("gzip", xfollow::fuzz::gzip),
    ("rate_limit", xfollow::fuzz::rate_limit),
    ("follow", xfollow::fuzz::follow),
    ("users", xfollow::fuzz::users),
    ("pages", xfollow::fuzz::pages),
    ("api_error", xfollow::fuzz::api_error),
    ("token_answer", xfollow::fuzz::token_answer),
    ("token_store", xfollow::fuzz::token_store),
    ("redirect_request", xfollow::fuzz::redirect_request),
];

/// The files of `dir` (none when it does not exist).
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

fn replay(target: &str, run: fn(&[u8])) {
    let fuzz = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    let seeds = files(&fuzz.join("seeds").join(target));
    let corpus = files(&fuzz.join("corpus").join(target));
    assert!(!seeds.is_empty(), "fuzz/seeds/{target} is missing or empty");
    assert!(
        !corpus.is_empty(),
        "fuzz/corpus/{target} is missing or empty"
    );
    let mut failed = Vec::new();
    let mut n = 0;
    for kind in ["seeds", "corpus", "artifacts", "regressions"] {
        for path in files(&fuzz.join(kind).join(target)) {
            let data = std::fs::read(&path).unwrap();
            n += 1;
            if catch_unwind(AssertUnwindSafe(|| run(&data))).is_err() {
                failed.push(path.strip_prefix(&fuzz).unwrap().display().to_string());
            }
        }
    }
    assert!(
        failed.is_empty(),
        "{target}: {} of {n} inputs panic: {failed:?}",
        failed.len()
    );
}

#[test]
fn every_committed_input_replays_without_a_panic() {
    for (target, run) in TARGETS {
        replay(target, run);
    }
}

/// Every target of fuzz/Cargo.toml that runs a library function is replayed here.
#[test]
fn every_library_target_is_replayed() {
    let manifest =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/Cargo.toml"))
            .unwrap();
    let mut declared: Vec<&str> = manifest
        .lines()
        .filter_map(|l| l.strip_prefix("name = \""))
        .filter_map(|l| l.strip_suffix('"'))
        .filter(|n| *n != "xfollow-fuzz" && !n.starts_with("emulator_"))
        .collect();
    declared.sort();
    let mut replayed: Vec<&str> = TARGETS.iter().map(|(t, _)| *t).collect();
    replayed.sort();
    assert_eq!(declared, replayed);
}
