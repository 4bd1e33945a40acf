//! Property test: a decision, then random ballots, changed ballots, delegations, closes, late
//! ballots and membership changes on 3–5 replicas that sync now and then; the changes they
//! made are delivered to fresh copies in 1,000 random orders in all (`ORDERS` per case), and
//! every copy shows the same decision: the same tally, outcome, per-voter weights and chains;
//! no voter counted twice; nobody outside the frozen electorate counted.
//!
//! 32 cases by default; `PROPTEST_CASES` and `PROPTEST_SEED` (a u64) override.
#![cfg(not(target_arch = "wasm32"))]

use automerge::{ActorId, AutoCommit};
use moot_model::decisions::{NewDecision, ROSTER};
use moot_model::tally::{Choice, Method, Threshold, TieRule};
use moot_model::{Ctx, Workspace};
use proptest::{
    prelude::*,
    test_runner::{Config, RngAlgorithm, TestRng, TestRunner},
};

const PEOPLE: [&str; 6] = ["p0", "p1", "p2", "p3", "p4", "p5"];
const T0: &str = "2026-12-01T10:00:00Z";
const T1: &str = "2026-12-01T11:00:00Z";
const ORDERS: usize = 1000;
/// The chair's decision secret when ballots are hidden.
const SECRET: [u8; 32] = [42; 32];

/// How many cases had a close, a late ballot, a delegated vote, hidden ballots revealed: the
/// property must have been tried on each.
static SEEN: [std::sync::atomic::AtomicUsize; 4] =
    [const { std::sync::atomic::AtomicUsize::new(0) }; 4];

#[derive(Debug, Clone)]
enum Step {
    /// Replica `r` votes (or changes its vote) for `pick`.
    Vote {
        r: usize,
        pick: u8,
    },
    Delegate {
        r: usize,
        to: Option<usize>,
    },
    /// The chair (replica 0) closes; any other replica closes after the closing time.
    Close {
        r: usize,
    },
    /// Replica `a` takes in everything replica `b` has.
    Sync {
        a: usize,
        b: usize,
    },
    /// Someone joins the roster after the decision opened: changes nothing for it.
    Join {
        r: usize,
        who: usize,
    },
}

fn step(n: usize) -> impl Strategy<Value = Step> {
    prop_oneof![
        3 => (0..n, any::<u8>()).prop_map(|(r, pick)| Step::Vote { r, pick }),
        3 => (0..n, proptest::option::weighted(0.8, 0..n)).prop_map(|(r, to)| Step::Delegate { r, to }),
        1 => (0..n).prop_map(|r| Step::Close { r }),
        2 => (0..n, 0..n).prop_map(|(a, b)| Step::Sync { a, b }),
        1 => (0..n, 0..PEOPLE.len()).prop_map(|(r, who)| Step::Join { r, who }),
    ]
}

#[derive(Debug, Clone)]
struct Case {
    replicas: usize,
    method: u8,
    quorum: u8,
    delegation: bool,
    steps: Vec<Step>,
    /// Whether the decision has a closing time (passed by the time anyone acts), so that
    /// anyone in the electorate may close it, or only the chair may.
    anyone_closes: bool,
    /// Ballots hidden until the chair closes (then only the chair closes).
    hidden: bool,
    order_seed: u64,
}

fn case() -> impl Strategy<Value = Case> {
    (3usize..=5).prop_flat_map(|n| {
        (
            Just(n),
            0u8..3,
            0u8..=100,
            any::<bool>(),
            proptest::collection::vec(step(n), 10..50),
            (any::<bool>(), any::<bool>()),
            any::<u64>(),
        )
            .prop_map(
                |(
                    replicas,
                    method,
                    quorum,
                    delegation,
                    steps,
                    (anyone_closes, hidden),
                    order_seed,
                )| Case {
                    replicas,
                    method,
                    quorum,
                    delegation,
                    steps,
                    anyone_closes,
                    hidden,
                    order_seed,
                },
            )
    })
}

fn choice(method: Method, pick: u8) -> Choice {
    match method {
        Method::Consent => match pick % 3 {
            0 => Choice::Consent,
            1 => Choice::Object {
                reason: format!("reason {pick}"),
            },
            _ => Choice::Abstain,
        },
        Method::Majority { .. } => match pick % 4 {
            3 => Choice::Abstain,
            o => Choice::Option {
                option: usize::from(o),
            },
        },
        Method::Ranked { .. } => {
            let mut order = vec![0, 1, 2];
            order.rotate_left(usize::from(pick % 3));
            order.truncate(usize::from(pick % 3) + 1);
            Choice::Ranking { order }
        }
    }
}

/// A small deterministic shuffle (splitmix64), so a failing order can be replayed.
fn shuffle<T>(items: &mut [T], mut seed: u64) {
    for i in (1..items.len()).rev() {
        seed = seed.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = seed;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        let j = ((z ^ (z >> 31)) % (i as u64 + 1)) as usize;
        items.swap(i, j);
    }
}

fn run(case: &Case, orders: usize) -> Result<(), TestCaseError> {
    let n = case.replicas;
    let mut base = Workspace::create(Ctx::new(PEOPLE[0], T0), "IOPA", "P0", 1).unwrap();
    for p in &PEOPLE[1..n] {
        base.set_person_name(Ctx::new(p, T0), p, p).unwrap();
        base.add_to_roster(Ctx::new(PEOPLE[0], T0), p).unwrap();
    }
    let method = match case.method {
        0 => Method::Consent,
        1 => Method::Majority {
            threshold: Threshold::Simple,
        },
        _ => Method::Ranked {
            ties: TieRule::PriorRounds,
        },
    };
    let id = base
        .open_decision(
            Ctx::new(PEOPLE[0], T0),
            NewDecision {
                question: "Direct or representative democracy?".into(),
                details: String::new(),
                options: if method == Method::Consent {
                    Vec::new()
                } else {
                    vec!["Direct".into(), "Representative".into(), "Both".into()]
                },
                method,
                quorum_percent: case.quorum,
                tiers: vec![ROSTER.into()],
                chair: PEOPLE[0].into(),
                // Past by T1: anyone in the electorate may close.
                closes_at: case.anyone_closes.then(|| "2026-12-01T10:30:00Z".into()),
                topic: None,
                delegation: case.delegation,
                subject: None,
                hidden: case.hidden.then(|| {
                    moot_model::decisions::HiddenKey::new(
                        &moot_trust::decision_public(&SECRET),
                        &[1; 16],
                    )
                }),
            },
        )
        .unwrap();
    let base_bytes = base.save();
    let base_heads = base.heads();
    let mut replicas: Vec<Workspace> = (0..n)
        .map(|_| {
            let mut ws = Workspace::load(&base_bytes, 2).unwrap();
            ws.doc_mut().set_actor(ActorId::random());
            ws
        })
        .collect();
    for step in &case.steps {
        // Errors are expected (a closed decision refuses ballots): they change nothing.
        match *step {
            Step::Vote { r, pick } if case.hidden => {
                let _ = replicas[r].vote_hidden(
                    Ctx::new(PEOPLE[r], T1),
                    &id,
                    choice(method, pick),
                    [pick; 32],
                    [r as u8; 24],
                );
            }
            Step::Vote { r, pick } => {
                let _ = replicas[r].vote(Ctx::new(PEOPLE[r], T1), &id, choice(method, pick));
            }
            Step::Close { r } if case.hidden => {
                let _ = replicas[r].close_hidden(Ctx::new(PEOPLE[r], T1), &id, SECRET);
            }
            Step::Delegate { r, to } => {
                let _ = replicas[r].delegate(Ctx::new(PEOPLE[r], T1), &id, to.map(|t| PEOPLE[t]));
            }
            Step::Close { r } => {
                let _ = replicas[r].close_decision(Ctx::new(PEOPLE[r], T1), &id);
            }
            Step::Sync { a, b } if a != b => {
                let mut other = replicas[b].clone();
                replicas[a].merge(&mut other).unwrap();
            }
            Step::Sync { .. } => {}
            Step::Join { r, who } => {
                let _ = replicas[r].set_person_name(Ctx::new(PEOPLE[who], T1), PEOPLE[who], "x");
                let _ = replicas[r].add_to_roster(Ctx::new(PEOPLE[0], T1), PEOPLE[who]);
            }
        }
    }
    // Everything every replica made, and the decision as the whole group sees it.
    let mut all = Workspace::load(&base_bytes, 3).unwrap();
    for r in &mut replicas {
        all.merge(r).unwrap();
    }
    let reference = all.decision(&id).unwrap();
    let reference_history = all.ballot_history(&id).unwrap();
    let frozen = base.decision(&id).unwrap().rules;
    prop_assert_eq!(&reference.rules, &frozen, "the rules moved");
    // No voter counted twice, nobody outside the electorate counted.
    let t = &reference.tally;
    prop_assert_eq!(t.voters.len(), frozen.electorate.len());
    prop_assert!(
        t.voters
            .iter()
            .all(|l| frozen.electorate.contains_key(&l.voter))
    );
    prop_assert_eq!(t.carried.values().sum::<u64>(), t.took_part);
    prop_assert!(t.carried.keys().all(|k| frozen.electorate.contains_key(k)));
    for line in &t.voters {
        if let Some(last) = line.chain.last() {
            prop_assert!(line.chain.iter().all(|p| frozen.electorate.contains_key(p)));
            prop_assert!(t.carried.contains_key(last));
        }
    }

    use std::sync::atomic::Ordering::Relaxed;
    if reference.closed.is_some() {
        SEEN[0].fetch_add(1, Relaxed);
    }
    if reference
        .ballots
        .iter()
        .any(|b| b.state == moot_model::decisions::BallotState::Late)
    {
        SEEN[1].fetch_add(1, Relaxed);
    }
    if case.hidden && reference.closed.is_some() && !reference.sealed && t.took_part > 0 {
        SEEN[3].fetch_add(1, Relaxed);
    }
    if t.voters.iter().any(|l| l.chain.len() > 1) {
        SEEN[2].fetch_add(1, Relaxed);
    }

    let changes = all.doc_mut().get_changes(&base_heads);
    for k in 0..orders {
        let mut order = changes.clone();
        shuffle(&mut order, case.order_seed ^ k as u64);
        let mut doc = AutoCommit::load(&base_bytes).unwrap();
        for change in order {
            doc.apply_changes([change]).unwrap();
        }
        let ws = Workspace::from_doc(doc, 4).unwrap();
        let view = ws.decision(&id).unwrap();
        prop_assert_eq!(&view, &reference, "order {} of seed {}", k, case.order_seed);
        prop_assert_eq!(
            &ws.ballot_history(&id).unwrap(),
            &reference_history,
            "ballot history, order {} of seed {}",
            k,
            case.order_seed
        );
    }
    Ok(())
}

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(32)
}

#[test]
fn decisions_tally_the_same_in_every_delivery_order() {
    let seed: u64 = std::env::var("PROPTEST_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0x6465_6369);
    let mut bytes = [0u8; 32];
    bytes[..8].copy_from_slice(&seed.to_le_bytes());
    let cases = cases();
    eprintln!("decisions: {cases} cases, PROPTEST_SEED={seed}");
    let orders = ORDERS.div_ceil(cases as usize);
    let mut runner = TestRunner::new_with_rng(
        Config {
            cases,
            failure_persistence: None,
            ..Config::default()
        },
        TestRng::from_seed(RngAlgorithm::ChaCha, &bytes),
    );
    runner.run(&case(), |c| run(&c, orders)).unwrap();
    let seen: Vec<usize> = SEEN
        .iter()
        .map(|s| s.load(std::sync::atomic::Ordering::Relaxed))
        .collect();
    eprintln!(
        "closed, late ballots, delegated votes, revealed hidden ballots in {seen:?} of {cases} cases"
    );
    assert!(
        seen.iter().all(|s| *s > 0),
        "cases with a close, a late ballot, a delegation, revealed hidden ballots: {seen:?}"
    );
}
