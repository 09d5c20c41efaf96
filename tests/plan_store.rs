//! Plan stores (`memory:`, `sqlite:PATH`, `redis://`): the same behaviour from every kind,
//! seen from any handle on the same store (issue 14).

mod quota_support;

use quota_support::{RedisServer, TempDir};
use xfollow::plan::{Counts, Intent, PlanError, PlanStore, MAX_NAME_LEN};

const ALICE: &str = "1500000000000000001";
const BOB: &str = "1500000000000000002";

/// Runs `check` on a fresh store of each kind, with a second handle on the same store.
fn each_store(tag: &str, check: impl Fn(&PlanStore, &PlanStore, &str)) {
    let dir = TempDir::new(tag);
    let sqlite = format!("sqlite:{}", dir.path().join("plans.db").display());
    let redis = RedisServer::start();
    for (kind, url) in [
        ("memory", "memory:".to_string()),
        ("sqlite", sqlite),
        ("redis", redis.url()),
    ] {
        let a = PlanStore::open(&url).unwrap();
        let b = PlanStore::open(&url).unwrap();
        // Memory plans are process-wide: a name of their own per test.
        check(&a, &b, &format!("{tag}-{kind}"));
    }
}

#[test]
fn intents_are_kept_once_and_counted_from_any_handle() {
    each_store("plan-dedup", |a, b, name| {
        let plan = a.create(name, ALICE).unwrap();
        assert_eq!(plan.follow(&[BOB, "@carol", BOB]).unwrap(), 2);
        assert_eq!(plan.follow(&["@carol", "42"]).unwrap(), 1);
        assert_eq!(
            plan.unfollow(&[BOB]).unwrap(),
            1,
            "unfollow is another intent"
        );
        let other = b.plan(name).unwrap();
        assert_eq!(other.source_user_id(), ALICE);
        assert_eq!(
            other.status().unwrap(),
            Counts {
                queued: 4,
                ..Counts::default()
            }
        );
        assert_eq!(
            other.dry_run(10).unwrap(),
            [
                Intent::follow(BOB).unwrap(),
                Intent::follow("@carol").unwrap(),
                Intent::follow("42").unwrap(),
                Intent::unfollow(BOB).unwrap(),
            ]
        );
        assert_eq!(other.dry_run(2).unwrap().len(), 2);
        assert_eq!(other.dry_run(0).unwrap(), []);
        assert_eq!(other.intents().unwrap().len(), 4);
        // Creating it again for the same user opens it; for another user is refused.
        assert_eq!(b.create(name, ALICE).unwrap().status().unwrap().queued, 4);
        assert_eq!(b.create(name, BOB).unwrap_err(), PlanError::SourceMismatch);
    });
}

#[test]
fn plans_are_listed_and_dropped() {
    each_store("plan-list", |a, b, name| {
        let one = format!("{name}.1");
        let two = format!("{name}.2");
        a.create(&two, ALICE).unwrap().follow(&[BOB]).unwrap();
        a.create(&one, BOB).unwrap();
        let listed: Vec<String> = b
            .plans()
            .unwrap()
            .into_iter()
            .filter(|p| p.starts_with(name))
            .collect();
        assert_eq!(listed, [one.clone(), two.clone()]);
        assert!(b.drop_plan(&two).unwrap());
        assert!(!b.drop_plan(&two).unwrap());
        assert_eq!(a.plan(&two).unwrap_err(), PlanError::NoSuchPlan);
        // A plan made again under the name starts empty.
        assert_eq!(
            a.create(&two, ALICE).unwrap().status().unwrap(),
            Counts::default()
        );
    });
}

#[test]
fn names_targets_and_sources_are_checked_before_the_store() {
    let s = PlanStore::open("memory:").unwrap();
    for bad in ["", "a b", "a:b", "{x}", "é", &"n".repeat(MAX_NAME_LEN + 1)] {
        assert_eq!(
            s.create(bad, ALICE).unwrap_err(),
            PlanError::InvalidName,
            "{bad:?}"
        );
        assert_eq!(s.plan(bad).unwrap_err(), PlanError::InvalidName);
    }
    assert!(s.create(&"n".repeat(MAX_NAME_LEN), ALICE).is_ok());
    assert_eq!(s.create("ok", "12a").unwrap_err(), PlanError::InvalidSource);
    let p = s.create("checked-targets", ALICE).unwrap();
    for bad in [
        "",
        "bob",
        "@",
        "@bob-x",
        "@sixteen_chars_xx",
        "12345678901234567890",
        "1 2",
    ] {
        assert_eq!(
            p.follow(&[bad]).unwrap_err(),
            PlanError::InvalidTarget,
            "{bad:?}"
        );
    }
    assert_eq!(p.follow(&[BOB, "x"]).unwrap_err(), PlanError::InvalidTarget);
    assert_eq!(
        p.status().unwrap().queued,
        0,
        "nothing of a refused batch is added"
    );
    let e = PlanStore::open("postgres://u:pw@h/db").unwrap_err();
    assert!(matches!(e, PlanError::InvalidUrl(_)));
    assert!(!e.to_string().contains("pw"));
}

/// The bound counts new intents only: adding ones already there to a full plan is no error.
#[test]
fn a_plan_holds_at_most_a_million_intents() {
    let batch: Vec<Intent> = (0..xfollow::plan::MAX_INTENTS)
        .map(|i| Intent::follow(&i.to_string()).unwrap())
        .collect();
    each_store("plan-full", |a, b, name| {
        let p = a.create(name, ALICE).unwrap();
        assert_eq!(p.add(&batch).unwrap(), xfollow::plan::MAX_INTENTS);
        assert_eq!(
            p.follow(&["1", "2"]).unwrap(),
            0,
            "already there: nothing to add"
        );
        assert_eq!(
            p.follow(&["3", "@one_more"]).unwrap_err(),
            PlanError::TooManyIntents
        );
        let other = b.plan(name).unwrap();
        assert_eq!(other.status().unwrap().queued, xfollow::plan::MAX_INTENTS);
        assert_eq!(other.dry_run(1).unwrap(), [Intent::follow("0").unwrap()]);
        assert!(a.drop_plan(name).unwrap());
    });
}
