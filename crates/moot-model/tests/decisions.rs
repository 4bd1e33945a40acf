//! Decisions: each method against worked examples, the rules that make every peer tally the
//! same (frozen rules and electorate, close as a change, late ballots, concurrent closes,
//! delegation chains), hostile slots, signed ballots — and a property test that random
//! decisions delivered in 1,000 random orders tally the same on every replica.

use std::collections::BTreeMap;

use automerge::{ActorId, ReadDoc, transaction::Transactable};
use moot_model::decisions::{BallotState, NewDecision, ROSTER, Subject};
use moot_model::tally::{self, Choice, Counting, Failure, Method, Outcome, Threshold, TieRule};
use moot_model::{Ctx, Workspace};

const T0: &str = "2026-12-01T10:00:00Z";
const T1: &str = "2026-12-01T11:00:00Z";
const T2: &str = "2026-12-01T12:00:00Z";

fn electorate(n: usize) -> BTreeMap<String, u64> {
    (0..n).map(|i| (format!("v{i:03}"), 1)).collect()
}

fn rules(method: Method, options: usize, quorum: u8, e: &BTreeMap<String, u64>) -> Counting<'_> {
    Counting {
        method,
        options,
        quorum_percent: quorum,
        electorate: e,
        delegation: true,
    }
}

/// Wikipedia's instant-runoff example (Tennessee's capital): Memphis 42, Nashville 26,
/// Chattanooga 15, Knoxville 17. Chattanooga goes first, its votes go to Knoxville; then
/// Nashville, whose votes go on to Knoxville, which wins 58 to 42.
#[test]
fn ranked_choice_counts_the_tennessee_example_with_eliminations() {
    let (m, n, c, k) = (0, 1, 2, 3);
    let e = electorate(100);
    let mut ballots = BTreeMap::new();
    for (i, voter) in e.keys().enumerate() {
        let order = match i {
            0..42 => vec![m, n, c, k],
            42..68 => vec![n, c, k, m],
            68..83 => vec![c, k, n, m],
            _ => vec![k, c, n, m],
        };
        ballots.insert(voter.clone(), Choice::Ranking { order });
    }
    let t = tally::count(
        rules(
            Method::Ranked {
                ties: TieRule::PriorRounds,
            },
            4,
            50,
            &e,
        ),
        &ballots,
        &BTreeMap::new(),
    );
    assert_eq!(
        t.rounds,
        vec![
            vec![Some(42), Some(26), Some(15), Some(17)],
            vec![Some(42), Some(26), None, Some(32)],
            vec![Some(42), None, None, Some(58)],
        ]
    );
    assert_eq!(t.outcome, Outcome::Adopted { option: Some(k) });
    assert_eq!(t.counts, vec![42, 26, 15, 17, 0]);
}

#[test]
fn ranked_ties_follow_the_written_rule() {
    // Round 1: A 3, B 2, C 2. B and C share the fewest and there is no earlier round, so
    // under either rule the one listed last (C) goes; its votes make B the winner.
    let e = electorate(7);
    let voters: Vec<String> = e.keys().cloned().collect();
    let mut ballots = BTreeMap::new();
    for (i, order) in [
        vec![0, 1],
        vec![0, 1],
        vec![0, 2],
        vec![1, 2],
        vec![1, 0],
        vec![2, 1],
        vec![2, 1],
    ]
    .into_iter()
    .enumerate()
    {
        ballots.insert(voters[i].clone(), Choice::Ranking { order });
    }
    for ties in [TieRule::PriorRounds, TieRule::ListedLast] {
        let t = tally::count(
            rules(Method::Ranked { ties }, 3, 0, &e),
            &ballots,
            &BTreeMap::new(),
        );
        assert_eq!(t.rounds[1][2], None, "{ties:?}: C, listed last, goes first");
        assert_eq!(t.outcome, Outcome::Adopted { option: Some(1) }, "{ties:?}");
    }

    // Round 1: A 5, B 2, C 3, D 1. D goes, its vote moves to B: A 5, B 3, C 3. B and C
    // tie; round 1 had B fewer, so under "prior rounds" B goes; under "listed last", C.
    let e = electorate(11);
    let voters: Vec<String> = e.keys().cloned().collect();
    let mut ballots = BTreeMap::new();
    let mut orders = vec![vec![0]; 5];
    orders.extend([vec![1], vec![1], vec![2], vec![2], vec![2], vec![3, 1]]);
    for (i, order) in orders.into_iter().enumerate() {
        ballots.insert(voters[i].clone(), Choice::Ranking { order });
    }
    let prior = tally::count(
        rules(
            Method::Ranked {
                ties: TieRule::PriorRounds,
            },
            4,
            0,
            &e,
        ),
        &ballots,
        &BTreeMap::new(),
    );
    // Round 2: A 5, B 3, C 3; round 1 had B 2 < C 3, so B goes.
    assert_eq!(prior.rounds[1], vec![Some(5), Some(3), Some(3), None]);
    assert_eq!(prior.rounds[2][1], None);
    let listed = tally::count(
        rules(
            Method::Ranked {
                ties: TieRule::ListedLast,
            },
            4,
            0,
            &e,
        ),
        &ballots,
        &BTreeMap::new(),
    );
    assert_eq!(listed.rounds[2][2], None, "listed last: C goes");
}

#[test]
fn consent_with_one_objection_is_not_adopted_and_silence_is_consent() {
    let e = electorate(5);
    let voters: Vec<String> = e.keys().cloned().collect();
    let mut ballots: BTreeMap<String, Choice> = voters[..3]
        .iter()
        .map(|v| (v.clone(), Choice::Consent))
        .collect();
    let consent = rules(Method::Consent, 0, 40, &e);
    let t = tally::count(consent, &ballots, &BTreeMap::new());
    assert_eq!(t.outcome, Outcome::Adopted { option: None });
    ballots.insert(
        voters[3].clone(),
        Choice::Object {
            reason: "stewards are not defined".into(),
        },
    );
    let t = tally::count(consent, &ballots, &BTreeMap::new());
    assert_eq!(
        t.outcome,
        Outcome::NotAdopted(Failure::Objected { weight: 1 })
    );
    assert_eq!(t.counts, vec![3, 1, 0]);
}

#[test]
fn quorum_and_threshold_count_against_the_electorate_not_the_ballots() {
    let e = electorate(10);
    let voters: Vec<String> = e.keys().cloned().collect();
    let yes = |n: usize| -> BTreeMap<String, Choice> {
        voters[..n]
            .iter()
            .map(|v| (v.clone(), Choice::Option { option: 0 }))
            .collect()
    };
    // Quorum 50% of 10 is 5: four ballots, all "for", are not enough.
    let simple = rules(
        Method::Majority {
            threshold: Threshold::Simple,
        },
        2,
        50,
        &e,
    );
    let t = tally::count(simple, &yes(4), &BTreeMap::new());
    assert_eq!(
        t.outcome,
        Outcome::NotAdopted(Failure::NoQuorum {
            needed: 5,
            took_part: 4
        })
    );
    // Quorum 0: five "for" of ten is not more than half of the electorate.
    let simple0 = rules(
        Method::Majority {
            threshold: Threshold::Simple,
        },
        2,
        0,
        &e,
    );
    assert_eq!(
        tally::count(simple0, &yes(5), &BTreeMap::new()).outcome,
        Outcome::NotAdopted(Failure::BelowThreshold)
    );
    assert_eq!(
        tally::count(simple0, &yes(6), &BTreeMap::new()).outcome,
        Outcome::Adopted { option: Some(0) }
    );
    // Two thirds of 10: 7 is enough, 6 is not; abstentions take part and support nothing.
    let two = rules(
        Method::Majority {
            threshold: Threshold::TwoThirds,
        },
        2,
        80,
        &e,
    );
    let mut b = yes(6);
    b.insert(voters[9].clone(), Choice::Abstain);
    b.insert(voters[8].clone(), Choice::Abstain);
    let t = tally::count(two, &b, &BTreeMap::new());
    assert_eq!(
        (t.took_part, t.outcome.clone()),
        (8, Outcome::NotAdopted(Failure::BelowThreshold))
    );
    b.insert(voters[7].clone(), Choice::Option { option: 0 });
    assert_eq!(
        tally::count(two, &b, &BTreeMap::new()).outcome,
        Outcome::Adopted { option: Some(0) }
    );
}

#[test]
fn delegation_follows_chains_stops_at_loops_and_a_direct_ballot_wins() {
    let e = electorate(6);
    let v: Vec<String> = e.keys().cloned().collect();
    let ballots: BTreeMap<String, Choice> = [
        (v[0].clone(), Choice::Option { option: 0 }),
        (v[3].clone(), Choice::Option { option: 1 }),
    ]
    .into();
    let delegations: BTreeMap<String, String> = [
        (v[1].clone(), v[2].clone()),
        (v[2].clone(), v[0].clone()),
        // A direct ballot wins over the voter's own delegation.
        (v[3].clone(), v[0].clone()),
        // A loop with no vote in it.
        (v[4].clone(), v[5].clone()),
        (v[5].clone(), v[4].clone()),
    ]
    .into();
    let t = tally::count(
        rules(
            Method::Majority {
                threshold: Threshold::Simple,
            },
            2,
            0,
            &e,
        ),
        &ballots,
        &delegations,
    );
    let line = |i: usize| t.voters.iter().find(|l| l.voter == v[i]).unwrap();
    assert_eq!(
        line(1).chain,
        vec![v[1].clone(), v[2].clone(), v[0].clone()]
    );
    assert_eq!(line(3).chain, vec![v[3].clone()]);
    assert_eq!(line(4).chain, Vec::<String>::new());
    assert_eq!(line(4).note, "delegations form a loop with no vote in it");
    assert_eq!(t.carried[&v[0]], 3);
    assert_eq!(t.carried[&v[3]], 1);
    assert_eq!(t.counts, vec![3, 1, 0]);
    // Without delegation, only direct ballots count.
    let mut no = rules(Method::Consent, 0, 0, &e);
    no.delegation = false;
    let consent: BTreeMap<String, Choice> = [(v[0].clone(), Choice::Consent)].into();
    assert_eq!(tally::count(no, &consent, &delegations).took_part, 1);
}

// ---- In the document ----

fn ctx(person: &'static str, at: &'static str) -> Ctx<'static> {
    Ctx::new(person, at)
}

/// A workspace whose roster is ada, bea, cai, dov.
fn group() -> Workspace {
    let mut ws = Workspace::create(ctx("ada", T0), "IOPA", "Ada", 1).unwrap();
    for (p, name) in [("bea", "Bea"), ("cai", "Cai"), ("dov", "Dov")] {
        ws.set_person_name(ctx(p, T0), p, name).unwrap();
        ws.add_to_roster(ctx("ada", T0), p).unwrap();
    }
    ws
}

/// Another peer's copy (its own actor).
fn fork(ws: &Workspace) -> Workspace {
    let mut copy = ws.clone();
    copy.doc_mut().set_actor(ActorId::random());
    copy
}

fn consent_decision(chair: &str, closes_at: Option<&str>) -> NewDecision {
    NewDecision {
        question: "Adopt the Code of Conduct v1".into(),
        details: String::new(),
        options: Vec::new(),
        method: Method::Consent,
        quorum_percent: 50,
        tiers: vec![ROSTER.into()],
        chair: chair.into(),
        closes_at: closes_at.map(str::to_owned),
        topic: None,
        delegation: false,
        subject: None,
        hidden: None,
    }
}

fn state_of(ws: &Workspace, id: &str, voter: &str) -> Vec<BallotState> {
    ws.decision(id)
        .unwrap()
        .ballots
        .iter()
        .filter(|b| b.voter == voter)
        .map(|b| b.state)
        .collect()
}

#[test]
fn the_tally_counts_exactly_the_ballots_before_the_close() {
    let mut ws = group();
    let d = ws
        .open_decision(ctx("ada", T0), consent_decision("ada", None))
        .unwrap();
    ws.vote(ctx("bea", T0), &d, Choice::Consent).unwrap();
    ws.vote(ctx("cai", T0), &d, Choice::Abstain).unwrap();
    // Cai changes their ballot: the last one counts.
    ws.vote(ctx("cai", T0), &d, Choice::Consent).unwrap();
    // Bea's offline copy: she will object after the close, without having seen it.
    let mut bea = fork(&ws);
    ws.close_decision(ctx("ada", T1), &d).unwrap();
    bea.vote(
        ctx("bea", T2),
        &d,
        Choice::Object {
            reason: "too late, but I mean it".into(),
        },
    )
    .unwrap();
    ws.merge(&mut bea).unwrap();
    let view = ws.decision(&d).unwrap();
    assert_eq!(view.closed.as_ref().unwrap().by, "ada");
    assert_eq!(view.tally.counts, vec![2, 0, 0]);
    assert_eq!(view.tally.outcome, Outcome::Adopted { option: None });
    assert_eq!(state_of(&ws, &d, "bea"), vec![BallotState::Late]);
    assert_eq!(state_of(&ws, &d, "cai"), vec![BallotState::Counted]);
    assert!(!view.verified, "an open workspace's ballots are not signed");
    // Closed: no more ballots, no second close.
    assert!(ws.vote(ctx("dov", T2), &d, Choice::Consent).is_err());
    assert!(ws.close_decision(ctx("ada", T2), &d).is_err());
    // The outcome in words, once closed.
    ws.set_outcome(ctx("ada", T2), &d, "Adopted; published on the wiki.")
        .unwrap();
    assert_eq!(
        ws.decision(&d).unwrap().outcome.unwrap().text,
        "Adopted; published on the wiki."
    );
}

#[test]
fn rules_and_electorate_are_frozen_at_open() {
    let mut ws = group();
    let d = ws
        .open_decision(ctx("ada", T0), consent_decision("ada", None))
        .unwrap();
    // Membership changes after open change nothing.
    ws.set_person_name(ctx("eve", T0), "eve", "Eve").unwrap();
    ws.add_to_roster(ctx("ada", T0), "eve").unwrap();
    assert!(ws.vote(ctx("eve", T1), &d, Choice::Consent).is_err());
    // A peer that rewrites the rules in place moves nothing: they are read at the opening.
    let before = ws.decision(&d).unwrap().rules;
    let obj = {
        let doc = ws.doc();
        let (_, decisions) = doc.get(automerge::ROOT, "decisions").unwrap().unwrap();
        doc.get(&decisions, d.as_str()).unwrap().unwrap().1
    };
    let mut forged = before.clone();
    forged.electorate.insert("eve".into(), 1000);
    forged.quorum_percent = 0;
    ws.doc_mut()
        .put(&obj, "rules", serde_json::to_string(&forged).unwrap())
        .unwrap();
    ws.doc_mut().commit();
    assert_eq!(ws.decision(&d).unwrap().rules, before);
    // Eve's ballot written straight into the document is outside the electorate.
    let (_, ballots) = ws.doc().get(&obj, "ballots").unwrap().unwrap();
    ws.doc_mut()
        .put(&ballots, "eve", r#"{"choice":{"kind":"consent"},"at":"x"}"#)
        .unwrap();
    ws.doc_mut().commit();
    let view = ws.decision(&d).unwrap();
    assert_eq!(state_of(&ws, &d, "eve"), vec![BallotState::Outside]);
    assert_eq!(view.tally.took_part, 0);
}

#[test]
fn who_may_close_and_which_close_counts() {
    let mut ws = group();
    let d = ws
        .open_decision(
            ctx("ada", T0),
            consent_decision("ada", Some("2026-12-01T11:30:00Z")),
        )
        .unwrap();
    // Before the closing time only the chair may close; after it anyone in the electorate.
    assert!(ws.close_decision(ctx("bea", T1), &d).is_err());
    let mut chair = fork(&ws);
    let mut cai = fork(&ws);
    ws.vote(ctx("bea", T0), &d, Choice::Consent).unwrap();
    cai.vote(ctx("dov", T1), &d, Choice::Consent).unwrap();
    cai.close_decision(ctx("cai", T2), &d).unwrap();
    ws.merge(&mut cai).unwrap();
    assert_eq!(ws.decision(&d).unwrap().closed.unwrap().by, "cai");
    // A concurrent close by the chair wins, whatever order the copies merge in.
    chair.close_decision(ctx("ada", T1), &d).unwrap();
    let mut other = fork(&chair);
    ws.merge(&mut chair).unwrap();
    other.merge(&mut ws.clone()).unwrap();
    let (a, b) = (ws.decision(&d).unwrap(), other.decision(&d).unwrap());
    assert_eq!(a.closed.as_ref().unwrap().by, "ada");
    assert_eq!(a, b);
    // The chair's copy saw neither ballot when it closed: both are late.
    assert_eq!(a.tally.took_part, 0);
    assert_eq!(state_of(&ws, &d, "bea"), vec![BallotState::Late]);
    // A close after another close counts for nothing: closed by ada stays.
    let mut late = fork(&ws);
    let (_, decisions) = late
        .doc()
        .get(automerge::ROOT, "decisions")
        .unwrap()
        .unwrap();
    let (_, obj) = late.doc().get(&decisions, d.as_str()).unwrap().unwrap();
    let (_, closes) = late.doc().get(&obj, "closes").unwrap().unwrap();
    late.doc_mut()
        .put(&closes, "dov", r#"{"at":"2026-12-02T00:00:00Z"}"#)
        .unwrap();
    late.doc_mut().commit();
    assert_eq!(late.decision(&d).unwrap().closed.unwrap().by, "ada");
}

#[test]
fn hostile_slots_are_shown_as_invalid_and_hide_nothing() {
    let mut ws = group();
    let mut d2 = consent_decision("ada", None);
    d2.method = Method::Majority {
        threshold: Threshold::Simple,
    };
    d2.options = vec!["For".into(), "Against".into()];
    let d = ws.open_decision(ctx("ada", T0), d2).unwrap();
    ws.vote(ctx("bea", T0), &d, Choice::Option { option: 0 })
        .unwrap();
    let (_, decisions) = ws.doc().get(automerge::ROOT, "decisions").unwrap().unwrap();
    let (_, obj) = ws.doc().get(&decisions, d.as_str()).unwrap().unwrap();
    let (_, ballots) = ws.doc().get(&obj, "ballots").unwrap().unwrap();
    let doc = ws.doc_mut();
    doc.put(
        &ballots,
        "cai",
        r#"{"choice":{"kind":"option","option":99},"at":""}"#,
    )
    .unwrap();
    doc.put(&ballots, "dov", "not json at all").unwrap();
    doc.put_object(&ballots, "ada", automerge::ObjType::List)
        .unwrap();
    doc.put(&obj, "outcome", 7).unwrap();
    // A second decisions map made concurrently elsewhere hides nothing.
    doc.commit();
    let view = ws.decision(&d).unwrap();
    assert_eq!(view.tally.counts, vec![1, 0, 0]);
    assert_eq!(state_of(&ws, &d, "cai"), vec![BallotState::Invalid]);
    assert_eq!(state_of(&ws, &d, "dov"), vec![BallotState::Invalid]);
    assert!(view.outcome.is_none());
    assert_eq!(ws.decisions().len(), 1);
    // An unreadable decision next to it does not hide it.
    ws.doc_mut().put(&decisions, "junk", "x").unwrap();
    let junk = ws
        .doc_mut()
        .put_object(&decisions, "junk2", automerge::ObjType::Map)
        .unwrap();
    ws.doc_mut().put(&junk, "rules", "{").unwrap();
    ws.doc_mut().commit();
    assert_eq!(ws.decisions().len(), 1);
}

#[test]
fn concurrently_made_decision_maps_hide_no_decision() {
    // An old document without `decisions`: two peers each open one, offline.
    let mut a = group();
    a.doc_mut().delete(automerge::ROOT, "decisions").unwrap();
    a.doc_mut().commit();
    let mut b = fork(&a);
    let d1 = a
        .open_decision(ctx("ada", T0), consent_decision("ada", None))
        .unwrap();
    let d2 = b
        .open_decision(ctx("bea", T0), consent_decision("bea", None))
        .unwrap();
    a.merge(&mut b).unwrap();
    let ids: Vec<String> = a.decisions().into_iter().map(|d| d.id).collect();
    assert!(ids.contains(&d1) && ids.contains(&d2), "{ids:?}");
    // And both can still be voted on.
    a.vote(ctx("cai", T1), &d1, Choice::Consent).unwrap();
    a.vote(ctx("cai", T1), &d2, Choice::Consent).unwrap();
}

#[test]
fn decisions_link_to_their_subject_and_record_the_version() {
    let mut ws = group();
    let draft = ws.documents().unwrap()[0].id.clone();
    ws.replace_text(ctx("ada", T0), &draft, "Be kind. Be open.")
        .unwrap();
    let mut new = consent_decision("ada", None);
    new.subject = Some(Subject::Document {
        document: draft.clone(),
        heads: Vec::new(),
    });
    let d = ws.open_decision(ctx("ada", T0), new).unwrap();
    ws.replace_text(ctx("bea", T1), &draft, "Be kind. Be open. Be brief.")
        .unwrap();
    let view = ws.decision(&d).unwrap();
    let Some(Subject::Document { heads, .. }) = &view.rules.subject else {
        panic!("no subject")
    };
    assert_eq!(ws.text_at(&draft, heads).unwrap(), "Be kind. Be open.");
    // A subject that is not there is refused.
    let mut bad = consent_decision("ada", None);
    bad.subject = Some(Subject::AgendaItem {
        session: "nope".into(),
        item: "nope".into(),
    });
    assert!(ws.open_decision(ctx("ada", T0), bad).is_err());
    // Not a member: refused.
    assert!(
        ws.open_decision(ctx("zed", T0), consent_decision("zed", None))
            .is_err()
    );
}

#[test]
fn topic_delegations_apply_and_the_decision_s_own_overrides_them() {
    let mut ws = group();
    let topic = ws
        .add_workstream(
            ctx("ada", T0),
            "Decision-making",
            "direct or representative?",
        )
        .unwrap();
    let mut new = consent_decision("ada", None);
    new.delegation = true;
    new.topic = Some(topic.clone());
    new.quorum_percent = 100;
    ws.delegate_topic(ctx("bea", T0), &topic, Some("ada"))
        .unwrap();
    ws.delegate_topic(ctx("cai", T0), &topic, Some("bea"))
        .unwrap();
    let d = ws.open_decision(ctx("ada", T0), new).unwrap();
    ws.vote(ctx("ada", T1), &d, Choice::Consent).unwrap();
    ws.vote(ctx("dov", T1), &d, Choice::Consent).unwrap();
    let view = ws.decision(&d).unwrap();
    assert_eq!(view.tally.carried["ada"], 3);
    assert_eq!(view.tally.outcome, Outcome::Adopted { option: None });
    let cai = view.tally.voters.iter().find(|l| l.voter == "cai").unwrap();
    assert_eq!(cai.chain, vec!["cai", "bea", "ada"]);
    // Cai takes their vote back on this decision alone.
    ws.delegate(ctx("cai", T1), &d, None).unwrap();
    let view = ws.decision(&d).unwrap();
    assert_eq!(view.tally.carried["ada"], 2);
    assert!(matches!(
        view.tally.outcome,
        Outcome::NotAdopted(Failure::NoQuorum { .. })
    ));
    assert_eq!(ws.topic_delegations("bea")[&topic], "ada");
    // Bea delegates this one decision to Dov instead.
    ws.delegate(ctx("bea", T1), &d, Some("dov")).unwrap();
    let view = ws.decision(&d).unwrap();
    let bea = view.tally.voters.iter().find(|l| l.voter == "bea").unwrap();
    assert_eq!(bea.chain, vec!["bea", "dov"]);
    assert_eq!(view.tally.carried["dov"], 2);
}

// ---- Signed ballots (a private workspace: actors bound to keys) ----

struct Who {
    actor: ActorId,
    person: String,
}

fn who(seed: u8) -> Who {
    let key = moot_trust::DeviceKey::from_seed([seed; 32]);
    Who {
        actor: ActorId::from(key.actor([seed; 8])),
        person: moot_trust::person_id(&key.public()),
    }
}

/// A private workspace of Anna's with Bob on the roster, each writing with their own key.
fn private_pair(anna: &Who, bob: &Who) -> Workspace {
    let mut ws = Workspace::create_as(
        anna.actor.clone(),
        Ctx::new(&anna.person, T0),
        "Private",
        "Anna",
        1,
    )
    .unwrap();
    let c = as_(&mut ws, bob, &bob.person);
    ws.set_person_name(c, &bob.person, "Bob").unwrap();
    let c = as_(&mut ws, anna, &anna.person);
    ws.add_to_roster(c, &bob.person).unwrap();
    ws
}

fn as_(ws: &mut Workspace, writer: &Who, person: &str) -> Ctx<'static> {
    ws.doc_mut().set_actor(writer.actor.clone());
    Ctx::new(Box::leak(person.to_owned().into_boxed_str()), T0)
}

#[test]
fn a_ballot_counts_only_when_the_voter_s_key_wrote_it() {
    let (anna, bob, mallory) = (who(1), who(2), who(3));
    let mut ws = private_pair(&anna, &bob);
    let mut new = consent_decision(&anna.person, None);
    new.quorum_percent = 100;
    let c = as_(&mut ws, &anna, &anna.person);
    let d = ws.open_decision(c, new).unwrap();
    // Mallory writes an objection "by" Bob, and a consent "by" Anna.
    let c = as_(&mut ws, &mallory, &bob.person);
    ws.vote(
        c,
        &d,
        Choice::Object {
            reason: "forged".into(),
        },
    )
    .unwrap();
    let c = as_(&mut ws, &mallory, &anna.person);
    ws.vote(c, &d, Choice::Consent).unwrap();
    let view = ws.decision(&d).unwrap();
    assert_eq!(view.tally.took_part, 0);
    assert!(view.ballots.iter().all(|b| b.state == BallotState::Forged));
    // Their own ballots count, and the tally says they are signed.
    let c = as_(&mut ws, &bob, &bob.person);
    ws.vote(c, &d, Choice::Consent).unwrap();
    let c = as_(&mut ws, &anna, &anna.person);
    ws.vote(c, &d, Choice::Consent).unwrap();
    let view = ws.decision(&d).unwrap();
    assert_eq!(
        view.tally.outcome,
        Outcome::Adopted { option: None },
        "{:?}",
        view.ballots
    );
    assert!(view.verified);
    // A forged close "by" the chair does not close it.
    let c = as_(&mut ws, &mallory, &anna.person);
    ws.close_decision(c, &d).unwrap();
    assert!(ws.decision(&d).unwrap().closed.is_none());
    // Rules forged in someone's name are marked and adopt nothing.
    let c = as_(&mut ws, &mallory, &anna.person);
    let f = ws.open_decision(c, consent_decision(&anna.person, None));
    // Mallory is not a member (her person id is Anna's here, so the model lets her try).
    let f = f.unwrap();
    let view = ws.decision(&f).unwrap();
    assert!(view.forged && view.adopted().is_none());
}

#[test]
fn a_commenter_may_write_their_own_slots_and_no_one_else_s() {
    let (anna, bob) = (who(1), who(2));
    let mut ws = private_pair(&anna, &bob);
    let c = as_(&mut ws, &anna, &anna.person);
    let d = ws
        .open_decision(c, consent_decision(&anna.person, None))
        .unwrap();
    let bob_key = moot_trust::DeviceKey::from_seed([2; 32]).public();
    let check = |ws: &mut Workspace| {
        let change = ws.doc_mut().get_last_local_change().unwrap();
        moot_model::trust::comment_rule(ws.doc_mut().document(), &change, &bob_key)
    };
    let c = as_(&mut ws, &bob, &bob.person);
    ws.vote(c, &d, Choice::Consent).unwrap();
    assert_eq!(check(&mut ws), Ok(()));
    // Changing it clears the slot and writes it again: still only Bob's own slot.
    let c = as_(&mut ws, &bob, &bob.person);
    ws.vote(c, &d, Choice::Abstain).unwrap();
    assert_eq!(check(&mut ws), Ok(()));
    let c = as_(&mut ws, &bob, &bob.person);
    ws.close_decision(c, &d).ok();
    let c = as_(&mut ws, &bob, &anna.person);
    ws.vote(c, &d, Choice::Consent).unwrap();
    assert!(check(&mut ws).is_err(), "Anna's slot is not Bob's");
    let c = as_(&mut ws, &bob, &anna.person);
    ws.set_outcome(c, &d, "x").ok();
    let c = as_(&mut ws, &bob, &bob.person);
    assert!(
        ws.open_decision(c, consent_decision(&bob.person, None))
            .is_ok()
            && check(&mut ws).is_err(),
        "a commenter opens no decision"
    );
}

#[test]
fn the_minutes_carry_the_resolution_under_its_agenda_item() {
    let mut ws = group();
    let s = ws
        .add_session(ctx("ada", T0), "Work session", T0, 90, "")
        .unwrap();
    let item = ws
        .add_agenda_item(ctx("ada", T0), &s, None, "Code of Conduct")
        .unwrap();
    let mut new = consent_decision("ada", None);
    new.subject = Some(Subject::AgendaItem {
        session: s.clone(),
        item: item.clone(),
    });
    let d = ws.open_decision(ctx("ada", T0), new).unwrap();
    ws.vote(ctx("bea", T0), &d, Choice::Consent).unwrap();
    ws.vote(ctx("cai", T0), &d, Choice::Consent).unwrap();
    ws.close_decision(ctx("ada", T1), &d).unwrap();
    ws.set_outcome(ctx("ada", T1), &d, "Adopted <b>v1</b>.")
        .unwrap();
    let md = ws.minutes_markdown(&s).unwrap();
    assert!(
        md.contains(
            "### 1 Code of Conduct\n\n**Resolution:** Adopt the Code of Conduct v1 — Adopted by consent. \
             2 consent, 0 objections, 0 abstain; 2 of 4 took part (quorum 2)\n\n> Adopted &lt;b&gt;v1&lt;/b&gt;."
        ),
        "{md}"
    );
}

/// The rule as the page explains it, step by step: a direct ballot; else follow the chain to
/// the first member who voted; a loop, a step outside the electorate or an end with no vote
/// counts for nothing.
fn naive(
    e: &BTreeMap<String, u64>,
    ballots: &BTreeMap<String, Choice>,
    delegations: &BTreeMap<String, String>,
    voter: &str,
) -> (Vec<String>, &'static str) {
    if ballots.contains_key(voter) {
        return (vec![voter.to_owned()], "");
    }
    let mut chain = vec![voter.to_owned()];
    loop {
        let at = chain.last().unwrap().clone();
        let Some(next) = delegations.get(&at) else {
            return (
                Vec::new(),
                if chain.len() == 1 {
                    "did not vote"
                } else {
                    "delegated, but nobody along the chain voted"
                },
            );
        };
        if !e.contains_key(next) {
            return (Vec::new(), "delegated to someone outside the electorate");
        }
        if chain.contains(next) {
            return (Vec::new(), "delegations form a loop with no vote in it");
        }
        chain.push(next.clone());
        if ballots.contains_key(next) {
            return (chain, "");
        }
    }
}

proptest::proptest! {
    #[test]
    fn delegation_resolves_as_the_rule_says(
        n in 1usize..14,
        voted in proptest::collection::vec(proptest::bool::weighted(0.3), 14),
        targets in proptest::collection::vec(proptest::option::of(0usize..16), 14),
    ) {
        let e = electorate(n);
        let names: Vec<String> = e.keys().cloned().collect();
        let name = |i: usize| if i < n { names[i].clone() } else { format!("outsider{i}") };
        let ballots: BTreeMap<String, Choice> =
            (0..n).filter(|i| voted[*i]).map(|i| (name(i), Choice::Consent)).collect();
        let delegations: BTreeMap<String, String> = (0..n)
            .filter_map(|i| targets[i].filter(|t| *t != i).map(|t| (name(i), name(t))))
            .collect();
        let t = tally::count(rules(Method::Consent, 0, 0, &e), &ballots, &delegations);
        for line in &t.voters {
            let (chain, note) = naive(&e, &ballots, &delegations, &line.voter);
            proptest::prop_assert_eq!(&line.chain, &chain, "{}", line.voter);
            proptest::prop_assert_eq!(line.note, note, "{}", line.voter);
        }
    }
}

#[test]
fn hidden_ballots_are_sealed_until_the_chair_reveals_them() {
    let mut ws = group();
    let salt = [5u8; 16];
    let secret = moot_trust::decision_secret(&[9; 32], &salt);
    let mut new = consent_decision("ada", None);
    new.hidden = Some(moot_model::decisions::HiddenKey::new(
        &moot_trust::decision_public(&secret),
        &salt,
    ));
    // Only the chair's device can reveal them: someone else may not chair it.
    let mut other_chair = new.clone();
    other_chair.chair = "bea".into();
    assert!(ws.open_decision(ctx("ada", T0), other_chair).is_err());
    let d = ws.open_decision(ctx("ada", T0), new).unwrap();
    // A plain ballot is refused; sealed ones are taken.
    assert!(ws.vote(ctx("bea", T0), &d, Choice::Consent).is_err());
    ws.vote_hidden(ctx("bea", T0), &d, Choice::Consent, [1; 32], [1; 24])
        .unwrap();
    ws.vote_hidden(
        ctx("cai", T0),
        &d,
        Choice::Object {
            reason: "quietly".into(),
        },
        [2; 32],
        [2; 24],
    )
    .unwrap();
    // Nobody reads them before the close: not in the document, not in the view.
    let json = ws.to_json().unwrap();
    assert!(json.contains("sealed") && !json.contains("quietly"));
    let view = ws.decision(&d).unwrap();
    assert!(view.sealed);
    assert_eq!(view.tally.took_part, 2);
    assert!(view.ballots.iter().all(|b| b.choice.is_none()));
    assert!(view.tally.voters.iter().all(|l| l.choice.is_none()));
    assert_eq!(
        view.outcome_label(),
        "Ballots hidden until the chair closes it"
    );
    assert!(view.adopted().is_none());
    // Nobody but the chair closes it, and only with the right secret.
    assert!(ws.close_decision(ctx("ada", T1), &d).is_err());
    assert!(ws.close_hidden(ctx("bea", T1), &d, secret).is_err());
    assert!(ws.close_hidden(ctx("ada", T1), &d, [3; 32]).is_err());
    // A close written with a wrong secret straight into the document counts for nothing.
    let (_, decisions) = ws.doc().get(automerge::ROOT, "decisions").unwrap().unwrap();
    let (_, obj) = ws.doc().get(&decisions, d.as_str()).unwrap().unwrap();
    let (_, closes) = ws.doc().get(&obj, "closes").unwrap().unwrap();
    let wrong = format!(r#"{{"at":"{T1}","reveal":"{}"}}"#, "00".repeat(32));
    let mut copy = fork(&ws);
    copy.doc_mut().put(&closes, "ada", wrong).unwrap();
    copy.doc_mut().commit();
    assert!(copy.decision(&d).unwrap().closed.is_none());
    // The chair reveals: everyone counts the same, one objection.
    ws.close_hidden(ctx("ada", T1), &d, secret).unwrap();
    let view = ws.decision(&d).unwrap();
    assert!(!view.sealed);
    assert_eq!(view.tally.counts, vec![1, 1, 0]);
    assert_eq!(
        view.tally.outcome,
        Outcome::NotAdopted(Failure::Objected { weight: 1 })
    );
    let mut other = Workspace::load(&ws.save(), 9).unwrap();
    assert_eq!(other.decision(&d).unwrap(), view);
    // A ballot after the reveal is late, and was never secret.
    assert!(
        other
            .vote_hidden(ctx("dov", T2), &d, Choice::Consent, [4; 32], [4; 24])
            .is_err()
    );
}

// ---- Acts another key deleted or wrote over (#14: every word kept) ----

/// The object at `path` from the root (map keys).
fn obj_at(ws: &Workspace, path: &[&str]) -> automerge::ObjId {
    let mut obj = automerge::ROOT;
    for p in path {
        obj = ws.doc().get(&obj, *p).unwrap().unwrap().1;
    }
    obj
}

/// Mallory, an editor, writes straight into the document (as any client could).
fn as_mallory(ws: &mut Workspace, mallory: &Who, f: impl FnOnce(&mut automerge::AutoCommit)) {
    ws.doc_mut().set_actor(mallory.actor.clone());
    f(ws.doc_mut());
    ws.doc_mut().commit_with(
        automerge::transaction::CommitOptions::default()
            .with_message(moot_model::history::message("edit text", &mallory.person)),
    );
}

#[test]
fn another_key_that_deletes_or_writes_over_an_act_changes_nothing() {
    let (anna, bob, mallory) = (who(1), who(2), who(3));
    let mut ws = private_pair(&anna, &bob);
    let mut new = consent_decision(&anna.person, None);
    new.quorum_percent = 100;
    new.delegation = true;
    let c = as_(&mut ws, &anna, &anna.person);
    let d = ws.open_decision(c, new).unwrap();
    let c = as_(&mut ws, &bob, &bob.person);
    ws.vote(
        c,
        &d,
        Choice::Object {
            reason: "not yet".into(),
        },
    )
    .unwrap();
    let c = as_(&mut ws, &anna, &anna.person);
    ws.vote(c, &d, Choice::Consent).unwrap();
    let objected = |ws: &Workspace| {
        let view = ws.decision(&d).unwrap();
        (
            view.tally.outcome.clone(),
            view.tally.took_part,
            view.restored,
        )
    };
    assert_eq!(
        objected(&ws),
        (
            Outcome::NotAdopted(Failure::Objected { weight: 1 }),
            2,
            false
        )
    );
    // Mallory deletes Bob's objection.
    let ballots = obj_at(&ws, &["decisions", &d, "ballots"]);
    as_mallory(&mut ws, &mallory, |doc| {
        doc.delete(&ballots, bob.person.as_str()).unwrap()
    });
    assert_eq!(
        objected(&ws),
        (
            Outcome::NotAdopted(Failure::Objected { weight: 1 }),
            2,
            true
        )
    );
    let line = ws
        .decision(&d)
        .unwrap()
        .ballots
        .into_iter()
        .find(|b| b.voter == bob.person)
        .unwrap();
    assert!(line.restored && line.state == BallotState::Counted);
    // She writes a consent over it (not beside it: she has seen it).
    as_mallory(&mut ws, &mallory, |doc| {
        doc.put(
            &ballots,
            bob.person.as_str(),
            r#"{"choice":{"kind":"consent"},"at":"2026-12-01T10:00:00Z"}"#,
        )
        .unwrap()
    });
    assert_eq!(
        objected(&ws).0,
        Outcome::NotAdopted(Failure::Objected { weight: 1 })
    );
    assert!(
        state_of(&ws, &d, &bob.person).contains(&BallotState::Forged),
        "her consent is shown as not Bob's"
    );
    // She replaces the decision's ballots map with an empty one.
    let decision = obj_at(&ws, &["decisions", &d]);
    as_mallory(&mut ws, &mallory, |doc| {
        doc.put_object(&decision, "ballots", automerge::ObjType::Map)
            .unwrap();
    });
    assert_eq!(objected(&ws).1, 2);
    // Bob takes his objection back himself: that counts (his own change).
    let c = as_(&mut ws, &bob, &bob.person);
    ws.vote(c, &d, Choice::Consent).unwrap();
    assert_eq!(objected(&ws).0, Outcome::Adopted { option: None });
    // The chair closes; Mallory deletes the close, then the whole decision.
    let c = as_(&mut ws, &anna, &anna.person);
    ws.close_decision(c, &d).unwrap();
    let closes = obj_at(&ws, &["decisions", &d, "closes"]);
    as_mallory(&mut ws, &mallory, |doc| {
        doc.delete(&closes, anna.person.as_str()).unwrap()
    });
    let view = ws.decision(&d).unwrap();
    assert!(view.closed.as_ref().is_some_and(|c| c.restored));
    assert_eq!(view.tally.outcome, Outcome::Adopted { option: None });
    let decisions = obj_at(&ws, &["decisions"]);
    as_mallory(&mut ws, &mallory, |doc| {
        doc.delete(&decisions, d.as_str()).unwrap()
    });
    assert_eq!(ws.decisions().len(), 1, "a decision once opened stays");
    assert!(ws.decision(&d).unwrap().closed.is_some());
    // A peer that receives all of it reads the same (the index is built from the changes).
    let mut other = Workspace::load(&ws.save(), 2).unwrap();
    let (a, b) = (ws.decision(&d).unwrap(), other.decision(&d).unwrap());
    assert_eq!(
        (a.tally, a.closed, a.ballots),
        (b.tally, b.closed, b.ballots)
    );
    other.index_acts();
    assert_eq!(other.decisions().len(), 1);
}

#[test]
fn a_delegation_another_key_deleted_still_counts() {
    let (anna, bob, mallory) = (who(1), who(2), who(3));
    let mut ws = private_pair(&anna, &bob);
    let c = as_(&mut ws, &anna, &anna.person);
    let topic = ws
        .add_workstream(c, "Decision-making", "direct or representative?")
        .unwrap();
    let mut new = consent_decision(&anna.person, None);
    new.delegation = true;
    new.topic = Some(topic.clone());
    new.quorum_percent = 100;
    let c = as_(&mut ws, &bob, &bob.person);
    ws.delegate_topic(c, &topic, Some(&anna.person)).unwrap();
    let c = as_(&mut ws, &anna, &anna.person);
    let d = ws.open_decision(c, new).unwrap();
    let c = as_(&mut ws, &anna, &anna.person);
    ws.vote(c, &d, Choice::Consent).unwrap();
    assert_eq!(ws.decision(&d).unwrap().tally.carried[&anna.person], 2);
    // Mallory deletes Bob's topic delegation, then replaces the whole map.
    let map = obj_at(&ws, &["delegations"]);
    as_mallory(&mut ws, &mallory, |doc| {
        doc.delete(&map, bob.person.as_str()).unwrap()
    });
    assert_eq!(ws.decision(&d).unwrap().tally.carried[&anna.person], 2);
    as_mallory(&mut ws, &mallory, |doc| {
        doc.put_object(automerge::ROOT, "delegations", automerge::ObjType::Map)
            .unwrap();
    });
    let view = ws.decision(&d).unwrap();
    assert_eq!(view.tally.carried[&anna.person], 2);
    assert_eq!(view.tally.outcome, Outcome::Adopted { option: None });
    assert_eq!(ws.topic_delegations(&bob.person)[&topic], anna.person);
}

#[test]
fn topic_delegations_in_concurrently_made_maps_all_count() {
    let mut ws = group();
    let topic = ws
        .add_workstream(ctx("ada", T0), "Decision-making", "")
        .unwrap();
    // An older document, made before the map existed: two peers each make one.
    ws.doc_mut().delete(automerge::ROOT, "delegations").unwrap();
    ws.doc_mut().commit();
    let mut other = fork(&ws);
    ws.delegate_topic(ctx("bea", T0), &topic, Some("ada"))
        .unwrap();
    other
        .delegate_topic(ctx("cai", T0), &topic, Some("ada"))
        .unwrap();
    ws.merge(&mut other).unwrap();
    assert_eq!(ws.topic_delegations("bea")[&topic], "ada");
    assert_eq!(ws.topic_delegations("cai")[&topic], "ada");
    let mut new = consent_decision("ada", None);
    new.delegation = true;
    new.topic = Some(topic);
    let d = ws.open_decision(ctx("ada", T1), new).unwrap();
    ws.vote(ctx("ada", T1), &d, Choice::Consent).unwrap();
    assert_eq!(ws.decision(&d).unwrap().tally.carried["ada"], 3);
}

#[test]
fn a_voter_s_earlier_ballots_are_kept_in_order_with_what_became_of_each() {
    use moot_model::decisions::PastState;
    let mut ws = group();
    let d = ws
        .open_decision(ctx("ada", T0), consent_decision("ada", None))
        .unwrap();
    ws.vote(ctx("bea", T0), &d, Choice::Consent).unwrap();
    ws.vote(ctx("bea", T0), &d, Choice::Abstain).unwrap();
    ws.vote(
        ctx("bea", T1),
        &d,
        Choice::Object {
            reason: "one more pass".into(),
        },
    )
    .unwrap();
    ws.vote(ctx("cai", T0), &d, Choice::Consent).unwrap();
    let mut bea = fork(&ws);
    ws.close_decision(ctx("ada", T1), &d).unwrap();
    bea.vote(ctx("bea", T2), &d, Choice::Consent).unwrap();
    ws.merge(&mut bea).unwrap();
    let view = ws.decision(&d).unwrap();
    let history = ws.ballot_history(&d).unwrap();
    let past: Vec<(Option<Choice>, PastState)> = history["bea"]
        .iter()
        .map(|p| (p.choice.clone(), p.state))
        .collect();
    assert_eq!(
        past,
        vec![
            (Some(Choice::Consent), PastState::Replaced),
            (Some(Choice::Abstain), PastState::Replaced),
            (
                Some(Choice::Object {
                    reason: "one more pass".into()
                }),
                PastState::Counted
            ),
            (Some(Choice::Consent), PastState::Late),
        ]
    );
    assert!(
        !history.contains_key("cai"),
        "one ballot: nothing more to show"
    );
    // Counted: her objection (the one before the close).
    assert_eq!(view.tally.counts, vec![1, 1, 0]);
}

#[test]
fn an_electorate_other_than_the_membership_at_opening_adopts_nothing() {
    use moot_model::decisions::ElectorateDiff;
    let mut ws = group();
    let d = ws
        .open_decision(ctx("ada", T0), consent_decision("ada", None))
        .unwrap();
    // Members who join later change nothing: the check reads the opening's parents.
    ws.set_person_name(ctx("eve", T1), "eve", "Eve").unwrap();
    ws.add_to_roster(ctx("ada", T1), "eve").unwrap();
    for p in ["ada", "bea", "cai", "dov"] {
        ws.vote(ctx(p, T1), &d, Choice::Consent).unwrap();
    }
    let view = ws.decision(&d).unwrap();
    assert_eq!(view.electorate, None);
    assert_eq!(view.adopted(), Some(None));
    // A client that writes its own electorate: Mal in, Dov out (and Eve, a member by now,
    // left out too).
    let mut rules = view.rules.clone();
    rules.electorate.remove("dov");
    rules.electorate.insert("mal".into(), 1);
    let json = serde_json::to_string(&rules).unwrap();
    let decisions = ws
        .doc()
        .get(automerge::ROOT, "decisions")
        .unwrap()
        .unwrap()
        .1;
    let doc = ws.doc_mut();
    let h = doc
        .put_object(&decisions, "hostile", automerge::ObjType::Map)
        .unwrap();
    doc.put(&h, "rules", json).unwrap();
    for m in ["ballots", "delegations", "closes"] {
        doc.put_object(&h, m, automerge::ObjType::Map).unwrap();
    }
    doc.commit_with(
        automerge::transaction::CommitOptions::default()
            .with_message(moot_model::history::message("open a decision", "ada")),
    );
    for p in ["ada", "bea", "cai", "mal"] {
        ws.vote(ctx(p, T1), "hostile", Choice::Consent).unwrap();
    }
    let view = ws.decision("hostile").unwrap();
    assert_eq!(
        view.electorate,
        Some(ElectorateDiff {
            added: vec!["mal".into()],
            left_out: vec!["dov".into(), "eve".into()],
        })
    );
    assert_eq!(view.adopted(), None);
    assert!(view.outcome_label().starts_with("Not counted"));
    // The honest one still stands.
    assert_eq!(ws.decision(&d).unwrap().adopted(), Some(None));
}

#[test]
fn another_device_of_the_chair_closes_a_hidden_decision() {
    use std::collections::BTreeMap;
    let (anna, bob) = (who(1), who(2));
    let mut ws = private_pair(&anna, &bob);
    // Anna's second device (seed 11), added by her first.
    let second = moot_trust::DeviceKey::from_seed([11; 32]);
    let second_actor = ActorId::from(second.actor([11; 8]));
    let c = as_(&mut ws, &anna, &anna.person);
    ws.add_device(c, &moot_trust::device_code(&second.public()))
        .unwrap();
    // Her first device opens it, sealing the secret to the second.
    let first = moot_trust::DeviceKey::from_seed([1; 32]);
    let salt = [5u8; 16];
    let secret = moot_trust::decision_secret(&first.to_seed(), &salt);
    let sealed: BTreeMap<String, Vec<u8>> = [(
        moot_trust::device_code(&second.public()),
        moot_trust::seal_secret_to_device(&secret, &second.public(), [3; 32], [3; 24]).unwrap(),
    )]
    .into();
    let mut new = consent_decision(&anna.person, None);
    new.hidden = Some(
        moot_model::decisions::HiddenKey::new(&moot_trust::decision_public(&secret), &salt)
            .for_devices(sealed),
    );
    let c = as_(&mut ws, &anna, &anna.person);
    let d = ws.open_decision(c, new).unwrap();
    let c = as_(&mut ws, &bob, &bob.person);
    ws.vote_hidden(c, &d, Choice::Consent, [4; 32], [4; 24])
        .unwrap();
    // Each of her devices holds the secret; a device she never had does not.
    assert_eq!(ws.decision_secret_for(&d, &first), Some(secret));
    assert_eq!(ws.decision_secret_for(&d, &second), Some(secret));
    assert_eq!(
        ws.decision_secret_for(&d, &moot_trust::DeviceKey::from_seed([12; 32])),
        None
    );
    // The second device closes it, and everyone reads Bob's consent.
    ws.doc_mut().set_actor(second_actor);
    let got = ws.decision_secret_for(&d, &second).unwrap();
    ws.close_hidden(Ctx::new(&anna.person, T1), &d, got)
        .unwrap();
    let view = ws.decision(&d).unwrap();
    assert!(!view.sealed && view.closed.is_some());
    assert_eq!(view.tally.counts, vec![1, 0, 0]);
    assert!(
        view.verified,
        "her second device's close and Bob's ballot are signed"
    );
}
