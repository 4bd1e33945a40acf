//! Every operation and every error: a rejected operation leaves the document unchanged.

use moot_model::{
    Ctx, ModelError, Move, Placement, Status, Workspace,
    schema::{Approval, Candidate, CandidateKind, ItemKind, ObjectionRule},
};

const T: &str = "2025-12-01T10:00:00Z";
const ADA: &str = "ada";
const BEA: &str = "bea";
const CY: &str = "cy";

fn ada() -> Ctx<'static> {
    Ctx::new(ADA, T)
}

fn fresh() -> Workspace {
    let mut ws = Workspace::create(ada(), "Test group", "Ada", 1).unwrap();
    ws.set_person_name(ada(), BEA, "Bea").unwrap();
    ws.set_person_name(ada(), CY, "Cy").unwrap();
    ws
}

/// Runs a failing operation and checks the error and that nothing changed.
fn rejects<T: std::fmt::Debug>(
    ws: &mut Workspace,
    op: impl FnOnce(&mut Workspace) -> Result<T, ModelError>,
    check: impl Fn(&ModelError) -> bool,
) {
    let heads = ws.heads();
    let before = ws.state().unwrap();
    let err = op(ws).expect_err("operation should be rejected");
    assert!(check(&err), "unexpected error: {err:?}");
    assert!(!err.to_string().is_empty());
    assert_eq!(
        ws.heads(),
        heads,
        "a rejected operation must not change the document ({err})"
    );
    assert_eq!(ws.state().unwrap(), before);
}

fn draft(ws: &Workspace) -> String {
    ws.documents().unwrap()[0].id.clone()
}

#[test]
fn create_sets_defaults() {
    let ws = fresh();
    let state = ws.state().unwrap();
    assert_eq!(state.name, "Test group");
    assert_eq!(state.schema_version, moot_model::SCHEMA_VERSION);
    assert_eq!(state.people["ada"].name, "Ada");
    assert_eq!(state.roster, ["ada"]);
    let names: Vec<_> = state.tiers.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(
        names,
        ["Community member", "Member", "Active", "Reputational"]
    );
    assert!(
        state
            .tiers
            .iter()
            .any(|t| t.approval == Approval::SelfCertification)
    );
    assert!(
        state
            .tiers
            .iter()
            .any(|t| matches!(t.approval, Approval::Ratification { .. }))
    );
    assert_eq!(state.documents.len(), 1);
    assert!(Workspace::create(ada(), "  ", "Ada", 1).is_err());
    assert!(matches!(
        Workspace::create(Ctx::new(ADA, "yesterday"), "x", "Ada", 1),
        Err(ModelError::BadDate { .. })
    ));
}

#[test]
fn workspace_and_people() {
    let mut ws = fresh();
    ws.rename(ada(), "Renamed").unwrap();
    ws.set_description(ada(), "About us").unwrap();
    ws.set_person_name(ada(), BEA, "Beatrice").unwrap();
    assert_eq!(ws.person_name(BEA), "Beatrice");
    assert_eq!(ws.person_name("nobody"), "nobody");
    let s = ws.state().unwrap();
    assert_eq!(
        (s.name.as_str(), s.description.as_str()),
        ("Renamed", "About us")
    );
    rejects(
        &mut ws,
        |ws| ws.rename(ada(), ""),
        |e| matches!(e, ModelError::Empty { .. }),
    );
    rejects(
        &mut ws,
        |ws| ws.rename(ada(), &"x".repeat(201)),
        |e| matches!(e, ModelError::TooLong { .. }),
    );
    rejects(
        &mut ws,
        |ws| ws.set_person_name(ada(), BEA, " "),
        |e| matches!(e, ModelError::Empty { .. }),
    );
    rejects(
        &mut ws,
        |ws| ws.rename(Ctx::new(ADA, "2025-13-01T00:00:00Z"), "x"),
        |e| matches!(e, ModelError::BadDate { .. }),
    );
}

#[test]
fn sessions_agenda_and_minutes() {
    let mut ws = fresh();
    let s = ws
        .add_session(
            ada(),
            "Work session",
            "2025-12-20T15:00:00+01:00",
            90,
            "Join us",
        )
        .unwrap();
    assert_eq!(
        ws.sessions().unwrap()[0].start,
        "2025-12-20T14:00:00Z",
        "stored in UTC"
    );
    let a = ws.add_agenda_item(ada(), &s, None, "Welcome").unwrap();
    let b = ws.add_agenda_item(ada(), &s, None, "Discussion").unwrap();
    let b1 = ws
        .add_agenda_item(ada(), &s, Some(&b), "Decision making")
        .unwrap();
    ws.set_minutes(ada(), &s, &b1, "We talked.").unwrap();
    ws.rename_agenda_item(ada(), &s, &a, "Welcome!").unwrap();
    ws.move_agenda_item(ada(), &s, &b, Move::Up).unwrap();
    ws.set_invitation(ada(), &s, "Join us, please").unwrap();
    ws.reschedule(ada(), &s, "2025-12-21T14:00:00Z", 60)
        .unwrap();
    ws.rename_session(ada(), &s, "Governance reboot session")
        .unwrap();
    assert_eq!(ws.sessions().unwrap()[0].title, "Governance reboot session");
    rejects(
        &mut ws,
        |ws| ws.rename_session(ada(), &s, "  "),
        |e| matches!(e, ModelError::Empty { .. }),
    );
    rejects(
        &mut ws,
        |ws| ws.rename_session(ada(), "nope", "x"),
        |e| matches!(e, ModelError::Unknown { .. }),
    );
    let session = &ws.sessions().unwrap()[0];
    assert_eq!(session.agenda[0].id, b);
    assert_eq!(session.agenda[0].children[0].minutes.as_str(), "We talked.");
    assert_eq!(session.agenda[1].title, "Welcome!");
    assert_eq!(session.invitation.as_str(), "Join us, please");
    assert_eq!(
        (session.start.as_str(), session.duration_minutes),
        ("2025-12-21T14:00:00Z", 60)
    );
    // Non-ASCII minutes and invitations, edited twice (a regression: byte vs char offsets).
    ws.set_minutes(ada(), &s, &b1, "Décision — «direct» or representative? 🗳")
        .unwrap();
    ws.set_minutes(
        ada(),
        &s,
        &b1,
        "Décision — «direct» or representative? 🗳 Both.",
    )
    .unwrap();
    ws.set_invitation(ada(), &s, "Réunion à 14:00 UTC — bienvenue")
        .unwrap();
    let session = &ws.sessions().unwrap()[0];
    assert_eq!(
        session.agenda[0].children[0].minutes.as_str(),
        "Décision — «direct» or representative? 🗳 Both."
    );
    assert_eq!(
        session.invitation.as_str(),
        "Réunion à 14:00 UTC — bienvenue"
    );
    ws.remove_agenda_item(ada(), &s, &b1).unwrap();
    assert!(ws.sessions().unwrap()[0].agenda[0].children.is_empty());

    rejects(
        &mut ws,
        |ws| ws.add_session(ada(), "", "2025-12-20T14:00:00Z", 60, ""),
        |e| matches!(e, ModelError::Empty { .. }),
    );
    rejects(
        &mut ws,
        |ws| ws.add_session(ada(), "x", "20 Dec 2pm", 60, ""),
        |e| matches!(e, ModelError::BadDate { .. }),
    );
    rejects(
        &mut ws,
        |ws| ws.add_session(ada(), "x", "2025-12-20T14:00:00Z", 0, ""),
        |e| matches!(e, ModelError::NotAllowed(_)),
    );
    rejects(
        &mut ws,
        |ws| ws.add_agenda_item(ada(), "nope", None, "x"),
        |e| {
            matches!(
                e,
                ModelError::Unknown {
                    kind: "work session",
                    ..
                }
            )
        },
    );
    rejects(
        &mut ws,
        |ws| ws.add_agenda_item(ada(), &s, Some("nope"), "x"),
        |e| {
            matches!(
                e,
                ModelError::Unknown {
                    kind: "agenda item",
                    ..
                }
            )
        },
    );
    rejects(
        &mut ws,
        |ws| ws.add_agenda_item(ada(), &s, None, " "),
        |e| matches!(e, ModelError::Empty { .. }),
    );
    rejects(
        &mut ws,
        |ws| ws.set_minutes(ada(), &s, "nope", "x"),
        |e| matches!(e, ModelError::Unknown { .. }),
    );
    rejects(
        &mut ws,
        |ws| ws.move_agenda_item(ada(), &s, &b, Move::Up),
        |e| matches!(e, ModelError::NotAllowed(_)),
    );
    rejects(
        &mut ws,
        |ws| ws.reschedule(ada(), &s, "2025-12-21", 60),
        |e| matches!(e, ModelError::BadDate { .. }),
    );
}

#[test]
fn action_points() {
    let mut ws = fresh();
    let s = ws
        .add_session(ada(), "Work session", "2025-12-20T14:00:00Z", 60, "")
        .unwrap();
    let item = ws
        .add_agenda_item(ada(), &s, None, "Action points summary")
        .unwrap();
    let a = ws
        .add_action_point(
            ada(),
            &s,
            "Schedule a call",
            &[BEA.into()],
            Some("2026-01-17"),
            Some(&item),
        )
        .unwrap();
    let ap = &ws.sessions().unwrap()[0].action_points[0];
    assert!(ap.is_owned_by(BEA) && !ap.is_owned_by(ADA));
    assert!(ap.is_overdue("2026-01-18") && !ap.is_overdue("2026-01-17"));
    ws.set_action_done(ada(), &s, &a, true).unwrap();
    assert!(!ws.sessions().unwrap()[0].action_points[0].is_overdue("2027-01-01"));
    ws.edit_action_point(
        ada(),
        &s,
        &a,
        "Schedule a 90 minute call",
        &["all".into()],
        None,
    )
    .unwrap();
    let ap = &ws.sessions().unwrap()[0].action_points[0];
    assert!(ap.is_owned_by(CY) && ap.due.is_none() && ap.done);

    rejects(
        &mut ws,
        |ws| ws.add_action_point(ada(), &s, "x", &[BEA.into()], Some("17/01/2026"), None),
        |e| {
            matches!(
                e,
                ModelError::BadDate {
                    field: "due date",
                    ..
                }
            )
        },
    );
    rejects(
        &mut ws,
        |ws| ws.add_action_point(ada(), &s, "x", &[BEA.into()], Some("2026-02-30"), None),
        |e| matches!(e, ModelError::BadDate { .. }),
    );
    rejects(
        &mut ws,
        |ws| ws.add_action_point(ada(), &s, "", &[BEA.into()], None, None),
        |e| matches!(e, ModelError::Empty { .. }),
    );
    rejects(
        &mut ws,
        |ws| ws.add_action_point(ada(), &s, "x", &[" ".into()], None, None),
        |e| matches!(e, ModelError::Empty { field: "owners" }),
    );
    rejects(
        &mut ws,
        |ws| ws.add_action_point(ada(), &s, "x", &[BEA.into()], None, Some("nope")),
        |e| matches!(e, ModelError::Unknown { .. }),
    );
    rejects(
        &mut ws,
        |ws| ws.set_action_done(ada(), &s, "nope", true),
        |e| {
            matches!(
                e,
                ModelError::Unknown {
                    kind: "action point",
                    ..
                }
            )
        },
    );
}

#[test]
fn workstreams() {
    let mut ws = fresh();
    let w = ws
        .add_workstream(ada(), "Membership", "Who can join")
        .unwrap();
    let i = ws
        .add_workstream_item(
            ada(),
            &w,
            ItemKind::KeyQuestion,
            "Self-certification or ratification?",
        )
        .unwrap();
    ws.comment_workstream_item(Ctx::new(BEA, T), &w, &i, "Both, per tier.")
        .unwrap();
    let stream = &ws.workstreams().unwrap()[0];
    assert_eq!(stream.items[0].kind, ItemKind::KeyQuestion);
    assert_eq!(stream.items[0].comments[0].author, BEA);
    rejects(
        &mut ws,
        |ws| ws.add_workstream(ada(), "", ""),
        |e| matches!(e, ModelError::Empty { .. }),
    );
    rejects(
        &mut ws,
        |ws| ws.add_workstream_item(ada(), "nope", ItemKind::FirstIdea, "x"),
        |e| matches!(e, ModelError::Unknown { .. }),
    );
    rejects(
        &mut ws,
        |ws| ws.comment_workstream_item(ada(), &w, &i, "  "),
        |e| matches!(e, ModelError::Empty { .. }),
    );
    rejects(
        &mut ws,
        |ws| ws.comment_workstream_item(ada(), &w, "nope", "x"),
        |e| matches!(e, ModelError::Unknown { .. }),
    );
}

#[test]
fn comments_replies_resolve_and_tags() {
    let mut ws = fresh();
    let d = draft(&ws);
    ws.replace_text(ada(), &d, "Be kind. Report problems to the stewards.")
        .unwrap();
    let t = ws
        .add_comment(
            ada(),
            &d,
            9,
            24,
            "Which problems?",
            &["Operational question".into()],
        )
        .unwrap();
    ws.reply(Ctx::new(BEA, T), &d, &t, "Any breach.").unwrap();
    ws.set_resolved(Ctx::new(BEA, T), &d, &t, true).unwrap();
    let view = &ws.threads(&d).unwrap()[0];
    assert_eq!(view.placement, Placement::Anchored { start: 9, end: 24 });
    assert_eq!(view.thread.anchor.quote, "Report problems");
    assert_eq!(view.thread.comments.len(), 2);
    assert_eq!(view.thread.tags, ["operational question"]);
    assert!(view.thread.resolved && view.thread.resolved_by.as_deref() == Some(BEA));
    ws.set_resolved(ada(), &d, &t, false).unwrap();
    ws.set_tags(
        ada(),
        &d,
        &t,
        &["wording".into(), "operational question".into()],
    )
    .unwrap();
    let view = &ws.threads(&d).unwrap()[0];
    assert!(!view.thread.resolved && view.thread.resolved_by.is_none());
    assert_eq!(view.thread.tags, ["operational question", "wording"]);

    rejects(
        &mut ws,
        |ws| ws.add_comment(ada(), &d, 0, 5, "", &[]),
        |e| matches!(e, ModelError::Empty { .. }),
    );
    rejects(
        &mut ws,
        |ws| ws.add_comment(ada(), &d, 30, 99, "x", &[]),
        |e| matches!(e, ModelError::RangeOutsideText { len: 41, .. }),
    );
    rejects(
        &mut ws,
        |ws| ws.add_comment(ada(), &d, 5, 5, "x", &[]),
        |e| matches!(e, ModelError::RangeOutsideText { .. }),
    );
    rejects(
        &mut ws,
        |ws| ws.add_comment(ada(), "nope", 0, 1, "x", &[]),
        |e| {
            matches!(
                e,
                ModelError::Unknown {
                    kind: "document",
                    ..
                }
            )
        },
    );
    rejects(
        &mut ws,
        |ws| ws.reply(ada(), &d, "nope", "x"),
        |e| {
            matches!(
                e,
                ModelError::Unknown {
                    kind: "comment thread",
                    ..
                }
            )
        },
    );
    rejects(
        &mut ws,
        |ws| ws.reply(ada(), &d, &t, &"x".repeat(20_001)),
        |e| matches!(e, ModelError::TooLong { .. }),
    );
    rejects(
        &mut ws,
        |ws| ws.splice_text(ada(), &d, 40, 5, "x"),
        |e| matches!(e, ModelError::RangeOutsideText { .. }),
    );
    rejects(
        &mut ws,
        |ws| ws.add_document(ada(), "", ""),
        |e| matches!(e, ModelError::Empty { .. }),
    );
}

#[test]
fn hostile_text_is_stored_verbatim() {
    let mut ws = fresh();
    let d = draft(&ws);
    ws.replace_text(ada(), &d, "text").unwrap();
    let xss = "<img src=x onerror=alert(1)>";
    let t = ws.add_comment(ada(), &d, 0, 4, xss, &[]).unwrap();
    assert_eq!(ws.threads(&d).unwrap()[0].thread.comments[0].body, xss);
    assert_eq!(ws.threads(&d).unwrap()[0].thread.id, t);
    // A one-megabyte paste is accepted; the document limit is enforced beyond that.
    let paste = "a".repeat(1_000_000);
    ws.splice_text(ada(), &d, 4, 0, &paste).unwrap();
    assert_eq!(ws.document_text(&d).unwrap().len(), 1_000_004);
    rejects(
        &mut ws,
        |ws| ws.splice_text(ada(), &d, 0, 0, &"b".repeat(1_000_000)),
        |e| matches!(e, ModelError::TooLong { .. }),
    );
}

#[test]
fn anchors_follow_edits_and_orphan_when_deleted() {
    let mut ws = fresh();
    let d = draft(&ws);
    let text = "Intro. Be kind to everyone. Outro.";
    ws.replace_text(ada(), &d, text).unwrap();
    let t = ws.add_comment(ada(), &d, 7, 27, "Too vague", &[]).unwrap();
    let quote = |ws: &Workspace| {
        let v = ws
            .threads(&d)
            .unwrap()
            .into_iter()
            .find(|v| v.thread.id == t)
            .unwrap();
        match v.placement {
            Placement::Anchored { start, end } => Some(
                ws.document_text(&d)
                    .unwrap()
                    .chars()
                    .skip(start)
                    .take(end - start)
                    .collect::<String>(),
            ),
            Placement::Orphaned => None,
        }
    };
    assert_eq!(quote(&ws).as_deref(), Some("Be kind to everyone."));
    ws.splice_text(ada(), &d, 0, 0, "Preface! ").unwrap(); // before
    assert_eq!(quote(&ws).as_deref(), Some("Be kind to everyone."));
    ws.splice_text(ada(), &d, 24, 0, "very ").unwrap(); // inside: "Be kind to " → "Be kind very to"
    assert_eq!(quote(&ws).as_deref(), Some("Be kind very to everyone."));
    ws.splice_text(ada(), &d, 41, 1, "!").unwrap(); // the character after the passage
    assert_eq!(quote(&ws).as_deref(), Some("Be kind very to everyone."));

    // Concurrent, offline edits on two copies, merged.
    let mut other = Workspace::load(&ws.save(), 99).unwrap();
    ws.splice_text(ada(), &d, 0, 9, "").unwrap();
    other
        .splice_text(Ctx::new(BEA, T), &d, 24, 4, "really")
        .unwrap(); // "very" → "really"
    ws.merge(&mut other).unwrap();
    assert_eq!(quote(&ws).as_deref(), Some("Be kind really to everyone."));

    // Delete the whole passage: orphaned, still listed with its original words and heads.
    let len = ws.threads(&d).unwrap()[0].clone();
    let Placement::Anchored { start, end } = len.placement else {
        panic!()
    };
    ws.splice_text(ada(), &d, start, end - start, "").unwrap();
    let views = ws.threads(&d).unwrap();
    assert_eq!(views.len(), 1);
    assert!(views[0].is_orphaned());
    assert_eq!(views[0].thread.anchor.quote, "Be kind to everyone.");
    assert_eq!(ws.text_at(&d, &views[0].thread.anchor.heads).unwrap(), text);
}

#[test]
fn anchor_falls_back_to_quote_when_text_is_replaced_wholesale() {
    use automerge::{ObjType, ROOT, ReadDoc, transaction::Transactable};
    let mut ws = fresh();
    let d = draft(&ws);
    ws.replace_text(ada(), &d, "Alpha. Be kind. Omega.")
        .unwrap();
    ws.add_comment(ada(), &d, 7, 15, "Nice", &[]).unwrap();
    // Another client replaces the text object itself (as a naive JS writer might).
    let doc = ws.doc_mut();
    let (_, docs) = doc.get(ROOT, "documents").unwrap().unwrap();
    let (_, first) = doc.get(&docs, 0).unwrap().unwrap();
    let text = doc.put_object(&first, "text", ObjType::Text).unwrap();
    doc.splice_text(&text, 0, 0, "New intro. Be kind. Omega.")
        .unwrap();
    doc.commit();
    assert_eq!(
        ws.threads(&d).unwrap()[0].placement,
        Placement::Anchored { start: 11, end: 19 }
    );
}

fn member_setup() -> (Workspace, String, String) {
    let mut ws = fresh();
    let tiers = ws.tiers().unwrap();
    let self_cert = tiers
        .iter()
        .find(|t| t.approval == Approval::SelfCertification)
        .unwrap()
        .id
        .clone();
    let ratified = ws
        .add_tier(
            ada(),
            "Stewards",
            Approval::Ratification {
                endorsements: 2,
                objections: ObjectionRule::Veto,
            },
        )
        .unwrap();
    ws.add_to_roster(ada(), BEA).unwrap();
    (ws, self_cert, ratified)
}

fn individual(name: &str, person: Option<&str>) -> Candidate {
    Candidate {
        kind: CandidateKind::Individual,
        name: name.into(),
        size: None,
        person: person.map(str::to_owned),
    }
}

#[test]
fn self_certification_approves() {
    let (mut ws, self_cert, ratified) = member_setup();
    let cy = Ctx::new(CY, T);
    let p = ws
        .propose(
            cy,
            individual("Cy", Some(CY)),
            &self_cert,
            "I'd like to join",
        )
        .unwrap();
    assert_eq!(ws.proposal(&p).unwrap().status, Status::Pending);
    rejects(
        &mut ws,
        |ws| ws.self_certify(ada(), &p, "I attest"),
        |e| matches!(e, ModelError::NotAllowed(_)),
    );
    rejects(
        &mut ws,
        |ws| ws.self_certify(cy, &p, " "),
        |e| matches!(e, ModelError::Empty { .. }),
    );
    ws.self_certify(cy, &p, "I have read and accept the Code of Conduct")
        .unwrap();
    assert_eq!(ws.proposal(&p).unwrap().status, Status::Approved);
    assert!(
        ws.membership().unwrap().members.contains(CY),
        "approved individuals become members"
    );
    rejects(
        &mut ws,
        |ws| ws.self_certify(cy, &p, "again"),
        |e| matches!(e, ModelError::AlreadyActed { .. }),
    );
    let q = ws
        .propose(cy, individual("Cy", Some(CY)), &ratified, "")
        .unwrap();
    rejects(
        &mut ws,
        |ws| ws.self_certify(cy, &q, "I attest"),
        |e| matches!(e, ModelError::NotAllowed(m) if m.contains("ratification")),
    );
}

#[test]
fn ratification_needs_n_member_endorsements_and_objections_count() {
    let (mut ws, _, ratified) = member_setup();
    let org = Candidate {
        kind: CandidateKind::Organisation,
        name: "Makers".into(),
        size: Some(12),
        person: None,
    };
    let p = ws
        .propose(ada(), org.clone(), &ratified, "Long-time contributors")
        .unwrap();
    rejects(
        &mut ws,
        |ws| ws.endorse(Ctx::new(CY, T), &p, ""),
        |e| matches!(e, ModelError::NotAMember { .. }),
    );
    ws.endorse(ada(), &p, "Yes").unwrap();
    assert_eq!(ws.proposal(&p).unwrap().status, Status::Pending);
    rejects(
        &mut ws,
        |ws| ws.endorse(ada(), &p, "again"),
        |e| matches!(e, ModelError::AlreadyActed { .. }),
    );
    rejects(
        &mut ws,
        |ws| ws.object(ada(), &p, "changed my mind"),
        |e| matches!(e, ModelError::AlreadyActed { .. }),
    );
    ws.endorse(Ctx::new(BEA, T), &p, "Yes").unwrap();
    let view = ws.proposal(&p).unwrap();
    assert_eq!(
        (view.status, view.endorsements, view.needed),
        (Status::Approved, 2, 2)
    );

    // Veto: one member's objection rejects.
    let q = ws.propose(ada(), org, &ratified, "").unwrap();
    rejects(
        &mut ws,
        |ws| ws.object(Ctx::new(BEA, T), &q, " "),
        |e| matches!(e, ModelError::Empty { .. }),
    );
    ws.object(Ctx::new(BEA, T), &q, "Not yet").unwrap();
    ws.endorse(ada(), &q, "").unwrap();
    assert_eq!(ws.proposal(&q).unwrap().status, Status::Rejected);
    ws.set_tier_policy(
        ada(),
        &ratified,
        Approval::Ratification {
            endorsements: 1,
            objections: ObjectionRule::Record,
        },
    )
    .unwrap();
    assert_eq!(
        ws.proposal(&q).unwrap().status,
        Status::Approved,
        "status follows the policy, never stored"
    );
    ws.set_tier_policy(
        ada(),
        &ratified,
        Approval::Ratification {
            endorsements: 1,
            objections: ObjectionRule::Subtract,
        },
    )
    .unwrap();
    assert_eq!(ws.proposal(&q).unwrap().status, Status::Pending);
    rejects(
        &mut ws,
        |ws| {
            ws.set_tier_policy(
                ada(),
                &ratified,
                Approval::Ratification {
                    endorsements: 0,
                    objections: ObjectionRule::Veto,
                },
            )
        },
        |e| matches!(e, ModelError::NotAllowed(_)),
    );
    rejects(
        &mut ws,
        |ws| ws.set_tier_policy(ada(), "nope", Approval::SelfCertification),
        |e| matches!(e, ModelError::Unknown { .. }),
    );

    // Withdrawal: only proposer or candidate; afterwards nothing more.
    rejects(
        &mut ws,
        |ws| ws.withdraw(Ctx::new(BEA, T), &q, ""),
        |e| matches!(e, ModelError::NotAllowed(_)),
    );
    ws.withdraw(ada(), &q, "Later").unwrap();
    assert_eq!(ws.proposal(&q).unwrap().status, Status::Withdrawn);
    rejects(
        &mut ws,
        |ws| ws.endorse(Ctx::new(BEA, T), &q, ""),
        |e| matches!(e, ModelError::NotAllowed(m) if m.contains("withdrawn")),
    );
}

#[test]
fn proposal_input_is_validated() {
    let (mut ws, self_cert, _) = member_setup();
    rejects(
        &mut ws,
        |ws| ws.propose(ada(), individual(" ", None), &self_cert, ""),
        |e| matches!(e, ModelError::Empty { .. }),
    );
    rejects(
        &mut ws,
        |ws| ws.propose(ada(), individual("X", None), "nope", ""),
        |e| matches!(e, ModelError::Unknown { kind: "tier", .. }),
    );
    rejects(
        &mut ws,
        |ws| ws.propose(ada(), individual("X", Some("ghost")), &self_cert, ""),
        |e| matches!(e, ModelError::Unknown { kind: "person", .. }),
    );
    let org = Candidate {
        kind: CandidateKind::Organisation,
        name: "Org".into(),
        size: None,
        person: None,
    };
    rejects(
        &mut ws,
        |ws| ws.propose(ada(), org, &self_cert, ""),
        |e| matches!(e, ModelError::NotAllowed(_)),
    );
    rejects(
        &mut ws,
        |ws| ws.endorse(ada(), "nope", ""),
        |e| {
            matches!(
                e,
                ModelError::Unknown {
                    kind: "proposal",
                    ..
                }
            )
        },
    );
    let p = ws
        .propose(ada(), individual("Bea", Some(BEA)), &self_cert, "")
        .unwrap();
    rejects(
        &mut ws,
        |ws| ws.endorse(Ctx::new(BEA, T), &p, ""),
        |e| matches!(e, ModelError::NotAllowed(m) if m.contains("own")),
    );
    rejects(
        &mut ws,
        |ws| ws.add_to_roster(ada(), "ghost"),
        |e| matches!(e, ModelError::Unknown { .. }),
    );
    rejects(
        &mut ws,
        |ws| ws.add_tier(ada(), "", Approval::SelfCertification),
        |e| matches!(e, ModelError::Empty { .. }),
    );
    ws.rename_tier(ada(), &self_cert, "Community").unwrap();
    assert!(ws.tiers().unwrap().iter().any(|t| t.name == "Community"));
}

#[test]
fn save_load_round_trip_and_corrupt_input() {
    let mut ws = fresh();
    let bytes = ws.save();
    let loaded = Workspace::load(&bytes, 5).unwrap();
    assert_eq!(loaded.state().unwrap(), ws.state().unwrap());
    assert!(matches!(
        Workspace::load(&bytes[..bytes.len() / 2], 5),
        Err(ModelError::Corrupt(_))
    ));
    assert!(matches!(
        Workspace::load(b"not automerge", 5),
        Err(ModelError::Corrupt(_))
    ));
    let empty = automerge::AutoCommit::new().save();
    assert!(matches!(
        Workspace::load(&empty, 5),
        Err(ModelError::NotAWorkspace(_))
    ));
}

#[test]
fn newer_schema_is_refused_with_a_message_and_unknown_fields_survive() {
    use automerge::{ROOT, ReadDoc, transaction::Transactable};
    let mut ws = fresh();
    // Another client (say a JS automerge-repo app) adds fields moot does not know.
    ws.doc_mut().put(ROOT, "x-js-app", "keep me").unwrap();
    let d = draft(&ws);
    let (_, docs) = ws.doc().get(ROOT, "documents").unwrap().unwrap();
    let (_, first) = ws.doc().get(&docs, 0).unwrap().unwrap();
    ws.doc_mut().put(&first, "x-reviewers", 3).unwrap();
    ws.doc_mut().commit();
    ws.replace_text(ada(), &d, "Some text").unwrap();
    ws.add_comment(ada(), &d, 0, 4, "ok", &[]).unwrap();
    ws.rename(ada(), "Still here").unwrap();
    let mut reloaded = Workspace::load(&ws.save(), 3).unwrap();
    assert_eq!(
        reloaded
            .doc()
            .get(ROOT, "x-js-app")
            .unwrap()
            .unwrap()
            .0
            .into_string()
            .unwrap(),
        "keep me"
    );
    let (_, first) = reloaded
        .doc()
        .get(
            &reloaded.doc().get(ROOT, "documents").unwrap().unwrap().1,
            0,
        )
        .unwrap()
        .unwrap();
    assert!(reloaded.doc().get(&first, "x-reviewers").unwrap().is_some());
    assert!(reloaded.to_json().unwrap().contains("keep me"));

    reloaded
        .doc_mut()
        .put(ROOT, "schema_version", moot_model::SCHEMA_VERSION + 1)
        .unwrap();
    let err = Workspace::load(&reloaded.save(), 3).unwrap_err();
    assert!(matches!(err, ModelError::NewerSchema { .. }));
    assert!(err.to_string().contains("newer version of moot"), "{err}");
}

#[test]
fn version_zero_documents_are_upgraded() {
    use automerge::{ROOT, transaction::Transactable};
    let mut ws = fresh();
    ws.doc_mut().delete(ROOT, "schema_version").unwrap();
    ws.doc_mut().commit();
    let upgraded = Workspace::load(&ws.save(), 3).unwrap();
    assert_eq!(
        upgraded.state().unwrap().schema_version,
        moot_model::SCHEMA_VERSION
    );
}

#[test]
fn import_merges_a_copy_of_the_same_workspace_and_refuses_others() {
    let mut ws = fresh();
    let d = draft(&ws);
    ws.replace_text(ada(), &d, "Shared text").unwrap();
    let mut theirs = Workspace::load(&ws.save(), 8).unwrap();
    // Both edit apart (offline), then a file travels.
    theirs
        .add_comment(Ctx::new(BEA, T), &d, 0, 6, "From Bea's copy", &[])
        .unwrap();
    ws.rename(ada(), "Renamed by Ada").unwrap();
    let report = ws.import(&theirs.save()).unwrap();
    assert_eq!(report.new_comments, 1);
    assert!(report.new_changes >= 1);
    assert_eq!(
        ws.state().unwrap().name,
        "Renamed by Ada",
        "a merge, never a replacement"
    );
    assert_eq!(ws.threads(&d).unwrap().len(), 1);
    assert_eq!(
        ws.import(&theirs.save()).unwrap(),
        moot_model::ImportReport::default(),
        "importing twice brings nothing"
    );

    let bytes = theirs.save();
    rejects(
        &mut ws,
        |ws| ws.import(&bytes[..bytes.len() - 10]),
        |e| matches!(e, ModelError::Corrupt(_)),
    );
    let mut stranger = Workspace::create(ada(), "Another group", "Ada", 2).unwrap();
    let other_bytes = stranger.save();
    rejects(
        &mut ws,
        |ws| ws.import(&other_bytes),
        |e| matches!(e, ModelError::NotAllowed(m) if m.contains("another workspace")),
    );
}

#[test]
fn splice_text_edits_at_a_place_and_refuses_ranges_outside_the_text() {
    let ctx = Ctx::new("p1", "2026-01-01T00:00:00Z");
    let mut ws = moot_model::demo_workspace(ctx, "Ada", 1).unwrap();
    let doc = ws.documents().unwrap()[0].id.clone();
    let text = ws.document_text(&doc).unwrap();
    let edit = moot_model::TextEdit::between(&text, &format!("Preface. {text}"));
    assert_eq!(
        (edit.at, edit.removed, edit.inserted.as_str()),
        (0, 0, "Preface. ")
    );
    ws.splice_text(ctx, &doc, edit.at, edit.removed, &edit.inserted)
        .unwrap();
    assert_eq!(ws.document_text(&doc).unwrap(), format!("Preface. {text}"));
    let heads = ws.heads();
    let len = text.chars().count() + 9;
    assert!(matches!(
        ws.splice_text(ctx, &doc, len, 1, ""),
        Err(ModelError::RangeOutsideText { .. })
    ));
    assert!(matches!(
        ws.splice_text(ctx, &doc, usize::MAX, 2, "x"),
        Err(ModelError::RangeOutsideText { .. })
    ));
    assert_eq!(ws.heads(), heads, "nothing changed on error");
    ws.splice_text(ctx, &doc, 0, 9, "").unwrap();
    assert_eq!(ws.document_text(&doc).unwrap(), text);
}

#[test]
fn document_titles_match_the_documents() {
    let ctx = Ctx::new("p1", "2026-01-01T00:00:00Z");
    let ws = moot_model::demo_workspace(ctx, "Ada", 1).unwrap();
    let full: Vec<(String, String)> = ws
        .documents()
        .unwrap()
        .into_iter()
        .map(|d| (d.id, d.title))
        .collect();
    assert!(!full.is_empty());
    assert_eq!(ws.document_titles().unwrap(), full);
}

/// Audit M5: a person with the link but no membership cannot rewrite how people become members
/// (then propose and approve themselves); once a member, they can.
#[test]
fn only_members_change_tiers_and_the_roster() {
    let (mut ws, self_cert, ratified) = member_setup();
    let cy = Ctx::new(CY, T);
    let strict = Approval::Ratification {
        endorsements: 1,
        objections: ObjectionRule::Veto,
    };
    let not_allowed =
        |e: &ModelError| matches!(e, ModelError::NotAllowed(m) if m.contains("only members"));
    rejects(
        &mut ws,
        |ws| ws.set_tier_policy(cy, &ratified, Approval::SelfCertification),
        not_allowed,
    );
    rejects(
        &mut ws,
        |ws| ws.add_tier(cy, "Mine", Approval::SelfCertification),
        not_allowed,
    );
    rejects(
        &mut ws,
        |ws| ws.rename_tier(cy, &ratified, "Open door"),
        not_allowed,
    );
    rejects(&mut ws, |ws| ws.add_to_roster(cy, CY), not_allowed);

    // Cy joins through the self-certification tier; now Cy is a member and may.
    let p = ws
        .propose(cy, individual("Cy", Some(CY)), &self_cert, "I agree")
        .unwrap();
    ws.self_certify(cy, &p, "I attest").unwrap();
    assert!(ws.membership().unwrap().members.contains(CY));
    ws.set_tier_policy(cy, &ratified, strict).unwrap();
    ws.rename_tier(cy, &ratified, "Stewards (renamed)").unwrap();
}

/// Audit M8: someone approved after a proposal was made cannot act on it (the act was shown
/// and never counted); members from before can.
#[test]
fn a_later_member_cannot_cast_an_act_that_would_not_count() {
    let (mut ws, self_cert, ratified) = member_setup();
    let earlier = ws
        .propose(ada(), individual("Dee", None), &ratified, "")
        .unwrap();
    let later = Ctx::new(CY, "2030-01-01T00:00:00Z");
    let p = ws
        .propose(later, individual("Cy", Some(CY)), &self_cert, "")
        .unwrap();
    ws.self_certify(later, &p, "I attest").unwrap();
    assert!(ws.membership().unwrap().members.contains(CY));
    rejects(
        &mut ws,
        |ws| ws.endorse(later, &earlier, ""),
        |e| matches!(e, ModelError::NotAllowed(m) if m.contains("would not count")),
    );
    ws.endorse(Ctx::new(BEA, T), &earlier, "").unwrap();
    assert_eq!(ws.proposal(&earlier).unwrap().endorsements, 1);
}

/// Audit M8, second half: an approval stands. An objection after it — refused by the app, or
/// written by a client that did not refuse it — un-approves nobody, and what the new member
/// did since (an endorsement of a later proposal) still counts.
#[test]
fn an_approval_stands_and_a_late_objection_undoes_nothing() {
    use automerge::{ObjType, ROOT, ReadDoc, transaction::Transactable};
    let (mut ws, _, ratified) = member_setup();
    let strict = Approval::Ratification {
        endorsements: 1,
        objections: ObjectionRule::Veto,
    };
    ws.set_tier_policy(ada(), &ratified, strict).unwrap();
    let p = ws
        .propose(ada(), individual("Cy", Some(CY)), &ratified, "")
        .unwrap();
    ws.endorse(ada(), &p, "Welcome").unwrap();
    assert_eq!(ws.proposal(&p).unwrap().status, Status::Approved);
    // Cy, a member now, endorses Dee's later proposal: approved by it.
    let later = Ctx::new(CY, "2030-01-01T00:00:00Z");
    let q = ws
        .propose(later, individual("Dee", None), &ratified, "")
        .unwrap();
    ws.endorse(later, &q, "Yes").unwrap();
    assert_eq!(ws.proposal(&q).unwrap().status, Status::Approved);

    // The app refuses a late objection or withdrawal, saying why.
    for (what, result) in [
        ("object", ws.object(Ctx::new(BEA, T), &p, "Too late?")),
        ("withdraw", ws.withdraw(ada(), &p, "")),
    ] {
        assert!(
            matches!(&result, Err(ModelError::NotAllowed(m)) if m.contains("approval stands")),
            "{what}: {result:?}"
        );
    }
    // One written anyway, after the approval in the list of acts.
    let doc = ws.doc_mut();
    let proposals = doc.get(ROOT, "proposals").unwrap().unwrap().1;
    let at = (0..doc.length(&proposals))
        .map(|i| doc.get(&proposals, i).unwrap().unwrap().1)
        .find(|o| doc.get(o, "id").unwrap().unwrap().0.to_str() == Some(p.as_str()))
        .unwrap();
    let acts = doc.get(&at, "acts").unwrap().unwrap().1;
    let n = doc.length(&acts);
    let act = doc.insert_object(&acts, n, ObjType::Map).unwrap();
    for (k, v) in [
        ("id", "late-1"),
        ("kind", "Object"),
        ("by", BEA),
        ("at", T),
        ("comment", "Late"),
    ] {
        doc.put(&act, k, v).unwrap();
    }
    doc.commit();
    let view = ws.proposal(&p).unwrap();
    assert_eq!((view.status, view.objections), (Status::Approved, 0));
    assert_eq!(
        ws.proposal(&q).unwrap().status,
        Status::Approved,
        "no cascade"
    );
    assert!(ws.membership().unwrap().members.contains(CY));
}
