//! The demo workspace from the seed minutes, and the exports built from it.

use moot_model::{
    ANDREW, ANNA, Ctx, DEMO_SESSION_START, OPERATIONAL_QUESTION, Workspace, demo_workspace,
    schema::Approval,
};

fn demo() -> Workspace {
    demo_workspace(Ctx::new("me", "2025-12-01T09:00:00Z"), "Me", 11).unwrap()
}

#[test]
fn demo_holds_the_seed_session() {
    let ws = demo();
    let state = ws.state().unwrap();
    assert_eq!(state.name, "IOPA Governance");
    let session = &state.sessions[0];
    assert_eq!(session.start, DEMO_SESSION_START);
    assert_eq!(session.start, "2025-12-20T14:00:00Z");
    assert!(
        session
            .invitation
            .as_str()
            .contains("1400UTC on December 20th")
    );
    let top: Vec<_> = session.agenda.iter().map(|i| i.title.as_str()).collect();
    assert_eq!(
        top,
        ["Welcome", "Discussion points", "Action points summary"]
    );
    let sub: Vec<_> = session.agenda[1]
        .children
        .iter()
        .map(|i| i.title.as_str())
        .collect();
    assert_eq!(
        sub,
        ["Decision making", "Membership", "Foundational documents"]
    );
    assert!(
        session.agenda[1].children[0]
            .minutes
            .as_str()
            .contains("Direct or Representative Democracy?")
    );
    assert!(
        session.agenda[1].children[1]
            .minutes
            .as_str()
            .contains("self-certification vs. ratification")
    );

    assert_eq!(session.action_points.len(), 3);
    let owners: Vec<_> = session
        .action_points
        .iter()
        .map(|a| a.owners.clone())
        .collect();
    assert_eq!(
        owners,
        [
            vec![ANNA.to_owned()],
            vec!["all".to_owned()],
            vec![ANNA.to_owned(), ANDREW.to_owned()]
        ]
    );
    assert_eq!(session.action_points[0].due.as_deref(), Some("2026-01-17"));
    assert_eq!(ws.person_name(ANNA), "Anna");

    let names: Vec<_> = state.workstreams.iter().map(|w| w.name.as_str()).collect();
    assert_eq!(names, ["Decision making", "Membership"]);

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
    assert_eq!(state.proposals.len(), 1);

    let draft = &state.documents[0];
    let threads = ws.threads(&draft.id).unwrap();
    assert!(threads.len() >= 3);
    assert!(
        threads
            .iter()
            .any(|t| t.thread.tags.first().map(String::as_str) == Some(OPERATIONAL_QUESTION))
    );
    assert!(threads.iter().all(|t| !t.is_orphaned()));
    assert!(
        threads.iter().any(|t| t.thread.comments.len() == 2),
        "one thread has a reply"
    );
}

#[test]
fn minutes_export_as_markdown() {
    let ws = demo();
    let session = ws.sessions().unwrap()[0].id.clone();
    let md = ws.minutes_markdown(&session).unwrap();
    assert!(md.starts_with("# IOPA Governance work session\n"), "{md}");
    assert!(md.contains("2025-12-20 14:00:00 UTC, 90 minutes"), "{md}");
    assert!(md.contains("### 1 Welcome"), "{md}");
    assert!(md.contains("#### 2.1 Decision making"), "{md}");
    assert!(md.contains("### 3 Action points summary"), "{md}");
    assert!(
        md.contains("- [ ] **Anna**: Schedule a 90 minute call"),
        "{md}"
    );
    assert!(
        md.contains("- [ ] **Anna, Andrew**: Find any past document"),
        "{md}"
    );
    assert!(md.contains("**All**: Review the Code of Conduct"), "{md}");
}

#[test]
fn session_exports_as_icalendar() {
    let ws = demo();
    let session = ws.sessions().unwrap()[0].id.clone();
    let ics = ws.session_ics(&session, "2025-12-01T09:30:00Z").unwrap();
    assert!(
        ics.starts_with("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n"),
        "{ics}"
    );
    assert!(ics.contains("\r\nDTSTART:20251220T140000Z\r\n"), "{ics}");
    assert!(ics.contains("\r\nDTEND:20251220T153000Z\r\n"), "{ics}");
    assert!(ics.contains("\r\nDTSTAMP:20251201T093000Z\r\n"), "{ics}");
    assert!(ics.contains(&format!("UID:{session}@moot")));
    assert!(ics.ends_with("END:VEVENT\r\nEND:VCALENDAR\r\n"));
    assert!(ics.split("\r\n").all(|l| l.len() <= 75), "lines are folded");
    let unfolded = ics.replace("\r\n ", "");
    assert!(unfolded.contains("DESCRIPTION:The next work session will be at 1400UTC on December 20th.\\nWhy you should join"), "{unfolded}");
    assert!(ws.session_ics("nope", "2025-12-01T09:30:00Z").is_err());
    assert!(ws.session_ics(&session, "now").is_err());
}

#[test]
fn workspace_exports_as_json_and_binary() {
    let mut ws = demo();
    let json: serde_json::Value = serde_json::from_str(&ws.to_json().unwrap()).unwrap();
    assert_eq!(json["name"], "IOPA Governance");
    assert_eq!(json["sessions"][0]["start"], "2025-12-20T14:00:00Z");
    assert!(
        json["documents"][0]["text"]
            .as_str()
            .unwrap()
            .contains("Code of Conduct")
    );
    let bytes = ws.save();
    assert_eq!(
        &bytes[..4],
        &[0x85, 0x6f, 0x4a, 0x83],
        "automerge magic bytes"
    );
    assert_eq!(
        Workspace::load(&bytes, 1).unwrap().state().unwrap(),
        ws.state().unwrap()
    );
}

#[test]
fn the_demo_attributes_the_seed_s_words_to_the_task_force_not_to_whoever_opens_it() {
    let me = moot_model::Ctx::new("opener", "2025-12-20T14:00:00Z");
    let ws = moot_model::demo_workspace(me, "Opener", 3).unwrap();
    for w in ws.workstreams().unwrap() {
        for item in &w.items {
            assert_ne!(item.author, "opener", "{}", item.text);
            for c in &item.comments {
                assert_ne!(c.author, "opener", "{}", c.body);
            }
        }
    }
    for d in ws.documents().unwrap() {
        for t in &d.threads {
            for c in &t.comments {
                assert_ne!(c.author, "opener", "{}", c.body);
            }
        }
    }
}

#[test]
fn members_are_grouped_by_tier_with_how_they_got_in_and_pending_needs_are_said() {
    use moot_model::roster::How;
    use moot_model::schema::{Candidate, CandidateKind};
    let me = moot_model::Ctx::new("ada", "2025-12-20T14:00:00Z");
    let mut ws = moot_model::demo_workspace(me, "Ada", 3).unwrap();
    let tiers = ws.tiers().unwrap();
    let member_tier = tiers
        .iter()
        .find(|t| t.name == "Member")
        .unwrap()
        .id
        .clone();
    let active = tiers
        .iter()
        .find(|t| t.name == "Active")
        .unwrap()
        .id
        .clone();
    let bea = moot_model::Ctx::new("bea", "2025-12-20T15:00:00Z");
    ws.set_person_name(bea, "bea", "Bea").unwrap();
    let person = |p: &str, name: &str| Candidate {
        kind: CandidateKind::Individual,
        name: name.into(),
        size: None,
        person: Some(p.into()),
    };
    let p = ws
        .propose(bea, person("bea", "Bea"), &member_tier, "Hello")
        .unwrap();
    ws.self_certify(bea, &p, "I accept the Code of Conduct.")
        .unwrap();
    let cy = moot_model::Ctx::new("cy", "2025-12-20T15:00:00Z");
    ws.set_person_name(cy, "cy", "Cy").unwrap();
    let q = ws
        .propose(cy, person("cy", "Cy"), &active, "I run the wiki")
        .unwrap();
    ws.endorse(moot_model::Ctx::new("ada", "2025-12-20T16:00:00Z"), &q, "")
        .unwrap();
    ws.endorse(
        moot_model::Ctx::new(moot_model::ANNA, "2025-12-20T17:00:00Z"),
        &q,
        "",
    )
    .unwrap();

    let groups = ws.members_by_tier().unwrap();
    let standing: Vec<&str> = groups[0]
        .members
        .iter()
        .map(|m| m.person.as_str())
        .collect();
    assert_eq!(groups[0].tier, None);
    assert_eq!(standing, ["ada", moot_model::ANNA, moot_model::ANDREW]);
    let of = |name: &str| {
        groups
            .iter()
            .find(|g| g.tier.as_ref().is_some_and(|t| t.name == name))
            .unwrap()
            .members
            .clone()
    };
    assert_eq!(
        of("Member")[0].how,
        How::SelfCertified {
            at: "2025-12-20T15:00:00Z".into()
        }
    );
    assert_eq!(
        of("Active")[0].how,
        How::Ratified {
            by: vec!["ada".to_owned(), moot_model::ANNA.to_owned()],
            at: "2025-12-20T17:00:00Z".into()
        }
    );
    // The demo's pending organisation: 2 endorsements needed under "Active" (subtract rule).
    let pending = ws
        .membership()
        .unwrap()
        .proposals
        .into_iter()
        .find(|v| v.proposal.candidate.name == "Open Hardware Makers")
        .unwrap();
    assert_eq!(
        pending.still_needs(&tiers).as_deref(),
        Some("2 more endorsements (each objection cancels one)")
    );
}
