//! `xfollow plan list`: every plan of the store (given, else the default one) with its
//! counts, then, without `--store`, the plans created in stores of their own.

use std::collections::BTreeMap;

use xfollow::plan::PlanStore;
use xfollow::Secret;

use super::{failure, stores};
use crate::failure::{Exit, Failure};
use crate::output::Out;

pub fn run(out: Out, given: Option<&Secret>) -> Result<Exit, Failure> {
    let url = stores::url(given, None)?;
    let store = stores::open(&url)?;
    let names = store
        .plans()
        .map_err(|e| failure(&format!("--store {}", xfollow::redact_userinfo(&url)), e))?;
    for n in &names {
        show(out, &store, &url, n)?;
    }
    if given.is_none() {
        // Remembered plans elsewhere, grouped by store so that each is opened once.
        let mut by_store: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (name, u) in stores::load()?.stores {
            if u != url {
                by_store.entry(u).or_default().push(name);
            }
        }
        for (u, names) in by_store {
            let other = stores::open(&u)?;
            let present = other
                .plans()
                .map_err(|e| failure(&format!("--store {}", xfollow::redact_userinfo(&u)), e))?;
            for n in names.iter().filter(|n| present.contains(n)) {
                show(out, &other, &u, n)?;
            }
        }
    }
    Ok(Exit::Ok)
}

fn show(out: Out, store: &PlanStore, url: &str, name: &str) -> Result<(), Failure> {
    let plan = store
        .plan(name)
        .map_err(|e| failure(&format!("plan {name}"), e))?;
    let (line, v) = super::summary(&plan, url)?;
    out.emit(&line, v);
    Ok(())
}
