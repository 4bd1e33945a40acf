//! Attribution in a private workspace (actors bound to device keys): an act or a comment "by
//! Anna" counts as Anna's only when Anna's key wrote it — a forged endorsement is not counted,
//! an overwritten one stops counting, a forged comment is marked.

use automerge::{ActorId, ReadDoc, transaction::Transactable};
use moot_model::schema::{Candidate, CandidateKind};
use moot_model::{Ctx, Status, Workspace};
use moot_trust::{DeviceKey, person_id};

const T: &str = "2026-12-01T10:00:00Z";

struct Who {
    actor: ActorId,
    person: String,
}

fn who(seed: u8) -> Who {
    let key = DeviceKey::from_seed([seed; 32]);
    Who {
        actor: ActorId::from(key.actor([seed; 8])),
        person: person_id(&key.public()),
    }
}

/// Acts as `as_person` from `writer`'s device (a forger passes someone else's person id).
fn ctx(ws: &mut Workspace, writer: &Who, as_person: &str) -> Ctx<'static> {
    ws.doc_mut().set_actor(writer.actor.clone());
    Ctx::new(Box::leak(as_person.to_owned().into_boxed_str()), T)
}

#[test]
fn acts_count_only_when_the_named_person_s_key_wrote_them() {
    let (anna, bob, carol, mallory) = (who(1), who(2), who(3), who(4));
    let mut ws = Workspace::create_as(
        anna.actor.clone(),
        Ctx::new(&anna.person, T),
        "Open Hardware",
        "Anna",
        1,
    )
    .unwrap();
    let c = ctx(&mut ws, &bob, &bob.person);
    ws.set_person_name(c, &bob.person, "Bob").unwrap();
    let c = ctx(&mut ws, &carol, &carol.person);
    ws.set_person_name(c, &carol.person, "Carol").unwrap();
    let c = ctx(&mut ws, &anna, &anna.person);
    ws.add_to_roster(c, &bob.person).unwrap();
    let active = ws.tiers().unwrap()[2].id.clone();
    let c = ctx(&mut ws, &carol, &carol.person);
    let candidate = Candidate {
        kind: CandidateKind::Individual,
        name: "Carol".into(),
        size: None,
        person: Some(carol.person.clone()),
    };
    let proposal = ws
        .propose(c, candidate, &active, "I maintain the wiki")
        .unwrap();

    // Mallory writes endorsements "by" Anna and Bob from her own device.
    let c = ctx(&mut ws, &mallory, &anna.person);
    ws.endorse(c, &proposal, "").unwrap();
    let c = ctx(&mut ws, &mallory, &bob.person);
    ws.endorse(c, &proposal, "").unwrap();
    let view = ws.proposal(&proposal).unwrap();
    assert_eq!((view.endorsements, view.status), (0, Status::Pending));
    assert_eq!(ws.forged_acts().len(), 2);
    // Shown as such, beside the acts that count.
    assert_eq!(view.forged.len(), 2);
    assert!(view.proposal.acts.is_empty());

    // Anna's and Bob's own endorsements count.
    let c = ctx(&mut ws, &anna, &anna.person);
    ws.endorse(c, &proposal, "").unwrap();
    let c = ctx(&mut ws, &bob, &bob.person);
    ws.endorse(c, &proposal, "").unwrap();
    let view = ws.proposal(&proposal).unwrap();
    assert_eq!((view.endorsements, view.status), (2, Status::Approved));

    // Mallory turns Anna's endorsement into an objection in place: it is no longer Anna's,
    // and counts neither way.
    ws.doc_mut().set_actor(mallory.actor.clone());
    let (_, proposals) = ws.doc().get(automerge::ROOT, "proposals").unwrap().unwrap();
    let (_, p) = ws.doc().get(&proposals, 0).unwrap().unwrap();
    let (_, acts) = ws.doc().get(&p, "acts").unwrap().unwrap();
    let anna_act = (0..ws.doc().length(&acts))
        .map(|i| ws.doc().get(&acts, i).unwrap().unwrap().1)
        .find(|a| {
            let by = ws.doc().get(a, "by").unwrap().unwrap();
            by.0.as_str() == Some(anna.person.as_str())
                && by.1.to_string().ends_with(&anna.actor.to_hex_string())
        })
        .expect("Anna's act");
    let kind = ws.doc().get(&anna_act, "kind").unwrap().unwrap().0;
    assert_eq!(kind.as_str(), Some("Endorse"));
    ws.doc_mut().put(&anna_act, "kind", "Object").unwrap();
    ws.doc_mut().commit();
    let view = ws.proposal(&proposal).unwrap();
    assert_eq!((view.endorsements, view.status), (1, Status::Pending));
}

#[test]
fn a_comment_in_someone_else_s_name_is_marked() {
    let (anna, mallory) = (who(1), who(4));
    let mut ws = Workspace::create_as(
        anna.actor.clone(),
        Ctx::new(&anna.person, T),
        "Open Hardware",
        "Anna",
        1,
    )
    .unwrap();
    let d = ws.documents().unwrap()[0].id.clone();
    let c = ctx(&mut ws, &anna, &anna.person);
    ws.replace_text(c, &d, "Be kind. Be open.").unwrap();
    let t = ws.add_comment(c, &d, 0, 8, "Mine", &[]).unwrap();
    let c = ctx(&mut ws, &mallory, &anna.person);
    ws.reply(c, &d, &t, "Not mine at all").unwrap();
    let forged = ws.forged_comments(&d);
    let comments = ws.threads(&d).unwrap()[0].thread.comments.clone();
    assert_eq!(comments.len(), 2);
    assert!(!forged.contains(&comments[0].id));
    assert!(forged.contains(&comments[1].id));
}

#[test]
fn an_open_workspace_forges_nothing_and_counts_as_before() {
    // Random actors: nothing is signed, nothing is "forged" (the app says "not verified").
    let mut ws = Workspace::create(Ctx::new("ada", T), "Open", "Ada", 1).unwrap();
    let d = ws.documents().unwrap()[0].id.clone();
    ws.replace_text(Ctx::new("ada", T), &d, "Hello there")
        .unwrap();
    let t = ws
        .add_comment(Ctx::new("ada", T), &d, 0, 5, "hi", &[])
        .unwrap();
    ws.reply(Ctx::new("bea", T), &d, &t, "as someone").unwrap();
    assert!(ws.forged_comments(&d).is_empty());
    assert!(ws.forged_acts().is_empty());
}

#[test]
fn a_second_device_writes_as_its_person_once_their_first_device_adds_it() {
    let anna = who(1);
    let phone = who(2); // Anna's second device: its own key, writing as Anna.
    let mallory = who(4);
    let mut ws = Workspace::create_as(
        anna.actor.clone(),
        Ctx::new(&anna.person, T),
        "Open Hardware",
        "Anna",
        1,
    )
    .unwrap();
    let d = ws.documents().unwrap()[0].id.clone();
    let c = ctx(&mut ws, &anna, &anna.person);
    ws.replace_text(c, &d, "Be kind. Be open.").unwrap();
    let t = ws.add_comment(c, &d, 0, 8, "From my laptop", &[]).unwrap();

    // Before it is added, the phone's comment "as Anna" is not hers.
    let c = ctx(&mut ws, &phone, &anna.person);
    ws.reply(c, &d, &t, "From my phone, early").unwrap();
    assert_eq!(ws.forged_comments(&d).len(), 1);

    // Someone else cannot add a device to Anna.
    let phone_code = moot_trust::device_code(&DeviceKey::from_seed([2; 32]).public());
    let c = ctx(&mut ws, &mallory, &anna.person);
    ws.add_device(c, &phone_code).unwrap();
    assert_eq!(
        ws.devices_of(&anna.person).len(),
        1,
        "Mallory's addition does not count"
    );

    // Anna's laptop adds it: the phone's comments are hers, before and after.
    let c = ctx(&mut ws, &anna, &anna.person);
    ws.add_device(c, &phone_code).unwrap();
    assert_eq!(ws.devices_of(&anna.person).len(), 2);
    let c = ctx(&mut ws, &phone, &anna.person);
    ws.reply(c, &d, &t, "From my phone").unwrap();
    assert!(ws.forged_comments(&d).is_empty());
    // A code that is not a key is refused.
    let c = ctx(&mut ws, &anna, &anna.person);
    assert!(ws.add_device(c, "not a code").is_err());
    // Renaming herself (or anyone naming someone) keeps her devices.
    let c = ctx(&mut ws, &anna, &anna.person);
    ws.set_person_name(c, &anna.person, "Anna K.").unwrap();
    let c = ctx(&mut ws, &anna, &anna.person);
    ws.set_person_name(c, "someone-else", "Else").unwrap();
    assert_eq!(ws.devices_of(&anna.person).len(), 2);
}
