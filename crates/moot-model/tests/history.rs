//! History: changes grouped by person and burst and told in words; named versions; the
//! redline between two versions; restore.

use automerge::ActorId;
use moot_model::history::{BURST_SECS, Mark, Run};
use moot_model::schema::{Candidate, CandidateKind};
use moot_model::search::Area;
use moot_model::{Ctx, Workspace};

const T0: &str = "2026-12-01T10:00:00Z";
const T1: &str = "2026-12-01T10:03:00Z";
const T2: &str = "2026-12-01T11:00:00Z";
const T3: &str = "2026-12-01T11:04:00Z";

fn ctx(person: &'static str, at: &'static str) -> Ctx<'static> {
    Ctx::new(person, at)
}

fn runs(r: &[Run]) -> Vec<(Mark, &str)> {
    r.iter().map(|r| (r.mark, r.text.as_str())).collect()
}

fn setup() -> (Workspace, String) {
    let mut ws = Workspace::create(ctx("ada", T0), "IOPA", "Ada", 1).unwrap();
    ws.set_person_name(ctx("bea", T0), "bea", "Bea").unwrap();
    let draft = ws.documents().unwrap()[0].id.clone();
    ws.replace_text(ctx("ada", T0), &draft, "Be kind. Be open.")
        .unwrap();
    (ws, draft)
}

#[test]
fn changes_group_by_person_and_burst_newest_first_and_say_what_they_touched() {
    let (mut ws, draft) = setup();
    let session = ws
        .add_session(
            ctx("ada", T1),
            "Work session 3",
            "2026-12-02T15:00:00Z",
            60,
            "",
        )
        .unwrap();
    let item = ws
        .add_agenda_item(ctx("ada", T1), &session, None, "Membership")
        .unwrap();
    ws.set_minutes(ctx("ada", T1), &session, &item, "Notes")
        .unwrap();
    // Bea, an hour later, on another device.
    let mut bea = ws.clone();
    bea.doc_mut().set_actor(ActorId::random());
    let thread = bea
        .add_comment(ctx("bea", T2), &draft, 0, 8, "Kind to whom?", &[])
        .unwrap();
    bea.reply(ctx("bea", T3), &draft, &thread, "To everyone.")
        .unwrap();
    let tier = bea.tiers().unwrap()[0].id.clone();
    let p = bea
        .propose(
            ctx("bea", T3),
            Candidate {
                kind: CandidateKind::Individual,
                name: "Open Hardware Makers".into(),
                size: None,
                person: None,
            },
            &tier,
            "",
        )
        .unwrap();
    ws.merge(&mut bea).unwrap();
    ws.endorse(ctx("ada", T3), &p, "Yes").unwrap();

    let groups = ws.history();
    let who: Vec<(&str, i64)> = groups.iter().map(|g| (g.person.as_str(), g.to)).collect();
    let t = |s| moot_model::time::parse_instant("t", s).unwrap();
    // Ada's endorsement at T3 is a burst of its own (an hour after her last change); Bea's
    // name, written at T0, is hers.
    let mut last = who[..2].to_vec();
    last.sort();
    assert_eq!(last, vec![("ada", t(T3)), ("bea", t(T3))], "{groups:#?}");
    assert_eq!(who[2..], [("ada", t(T1)), ("bea", t(T0))], "{groups:#?}");
    assert!(t(T2) - t(T1) > BURST_SECS);
    let at = |p: &str| groups.iter().position(|g| g.person == p).unwrap();
    let bea_group = &groups[at("bea")];
    assert!(!bea_group.verified);
    assert_eq!(
        bea_group.areas.iter().copied().collect::<Vec<_>>(),
        vec![Area::CodeOfConduct, Area::Members]
    );
    let mut words: Vec<String> = ws
        .describe(bea_group)
        .into_iter()
        .map(|t| t.words)
        .collect();
    words.sort();
    assert_eq!(
        words,
        vec![
            "commented on “Be kind.”",
            "proposed Open Hardware Makers",
            "replied to “Be kind.”",
        ]
    );
    let ada_now: Vec<_> = ws.describe(&groups[at("ada")]);
    assert_eq!(ada_now[0].words, "endorsed Open Hardware Makers");
    assert_eq!(
        ada_now[0].place.as_ref().unwrap().anchor,
        format!("proposal-{p}")
    );
    let first: Vec<String> = ws
        .describe(&groups[2])
        .into_iter()
        .map(|t| t.words)
        .collect();
    assert!(
        first.contains(&"wrote minutes on “Membership”".to_owned()),
        "{first:?}"
    );
    assert!(
        first.contains(&"added “Membership” to the agenda".to_owned()),
        "{first:?}"
    );
    assert!(
        first.contains(&"edited “Code of Conduct (draft)”".to_owned()),
        "{first:?}"
    );

    // Every peer holding the same changes groups them the same.
    let mut other = Workspace::load(&ws.save(), 2).unwrap();
    assert_eq!(other.history(), groups);
}

#[test]
fn a_named_version_reads_back_and_diffs_against_hand_checked_texts() {
    let (mut ws, draft) = setup();
    let v1 = ws.name_version(ctx("ada", T1), &draft, "Sent out").unwrap();
    ws.replace_text(
        ctx("ada", T2),
        &draft,
        "Be kind. Be open to everyone. Zoë agrees.",
    )
    .unwrap();
    ws.splice_text(ctx("ada", T2), &draft, 0, 2, "Stay")
        .unwrap();
    let versions = ws.versions(&draft);
    assert_eq!(versions.len(), 1);
    assert_eq!(
        (versions[0].id.as_str(), versions[0].name.as_str()),
        (v1.as_str(), "Sent out")
    );
    let heads = versions[0].heads.clone();
    assert_eq!(
        ws.text_at_version(&draft, Some(&heads)).unwrap(),
        "Be kind. Be open."
    );
    let red = ws.redline(&draft, &heads, None).unwrap();
    let of = |m: Mark| -> Vec<&str> {
        red.iter()
            .filter(|r| r.mark == m)
            .map(|r| r.text.as_str())
            .collect()
    };
    assert_eq!(of(Mark::Deleted), vec!["Be"], "{:?}", runs(&red));
    assert_eq!(
        of(Mark::Inserted),
        vec!["Stay", " to everyone. Zoë agrees"],
        "{:?}",
        runs(&red)
    );
    assert_eq!(
        of(Mark::Same),
        vec![" kind. Be open", "."],
        "{:?}",
        runs(&red)
    );
    // Keeping the kept and inserted runs gives the new text; kept and deleted the old.
    let new: String = red
        .iter()
        .filter(|r| r.mark != Mark::Deleted)
        .map(|r| r.text.as_str())
        .collect();
    let old: String = red
        .iter()
        .filter(|r| r.mark != Mark::Inserted)
        .map(|r| r.text.as_str())
        .collect();
    assert_eq!(new, "Stay kind. Be open to everyone. Zoë agrees.");
    assert_eq!(old, "Be kind. Be open.");
}

#[test]
fn restore_is_a_new_change_after_which_the_redline_is_empty() {
    let (mut ws, draft) = setup();
    ws.name_version(ctx("ada", T1), &draft, "v1").unwrap();
    let heads = ws.versions(&draft)[0].heads.clone();
    ws.replace_text(ctx("bea", T2), &draft, "Be rude.").unwrap();
    let before = ws.history().len();
    ws.restore_version(ctx("ada", T3), &draft, &heads).unwrap();
    assert_eq!(ws.document_text(&draft).unwrap(), "Be kind. Be open.");
    let red = ws.redline(&draft, &heads, None).unwrap();
    assert!(red.iter().all(|r| r.mark == Mark::Same), "{red:#?}");
    // The restore is in History; the rude edit is still there too.
    let groups = ws.history();
    assert_eq!(groups.len(), before + 1);
    assert_eq!(groups[0].labels, vec![("restore a version".to_owned(), 1)]);
    assert_eq!(
        ws.describe(&groups[0])[0].words,
        "restored a version of “Code of Conduct (draft)”"
    );
}

#[test]
fn unknown_versions_and_bad_names_get_clear_errors() {
    let (mut ws, draft) = setup();
    assert!(ws.name_version(ctx("ada", T1), &draft, "  ").is_err());
    assert!(ws.name_version(ctx("ada", T1), "nope", "v").is_err());
    let stranger = vec!["00".repeat(32)];
    assert!(ws.text_at_version(&draft, Some(&stranger)).is_err());
    assert!(ws.redline(&draft, &stranger, None).is_err());
    assert!(
        ws.restore_version(ctx("ada", T1), &draft, &["zz".into()])
            .is_err()
    );
}

#[test]
fn membership_replays_at_any_point_as_it_was_derived_then() {
    use moot_model::schema::Approval;
    let mut ws = Workspace::create(ctx("ada", T0), "IOPA", "Ada", 1).unwrap();
    ws.set_person_name(ctx("bea", T0), "bea", "Bea").unwrap();
    ws.set_person_name(ctx("cai", T0), "cai", "Cai").unwrap();
    let tiers = ws.tiers().unwrap();
    let selfcert = tiers
        .iter()
        .find(|t| t.approval == Approval::SelfCertification)
        .map(|t| t.id.clone());
    let ratified = tiers
        .iter()
        .find(|t| t.approval != Approval::SelfCertification)
        .map(|t| t.id.clone())
        .unwrap();
    let mut points = Vec::new();
    let mut record = |ws: &mut Workspace| {
        let heads = ws.heads();
        let m = ws.membership().unwrap();
        let by_tier = ws.members_by_tier().unwrap();
        points.push((heads, m, by_tier));
    };
    record(&mut ws);
    let person = |name: &str, who: &str| Candidate {
        kind: CandidateKind::Individual,
        name: name.into(),
        size: None,
        person: Some(who.into()),
    };
    let bea = ws
        .propose(
            ctx("bea", T1),
            person("Bea", "bea"),
            &ratified,
            "Bea has joined every session.",
        )
        .unwrap();
    record(&mut ws);
    ws.endorse(ctx("ada", T1), &bea, "Yes").unwrap();
    record(&mut ws);
    if let Some(tier) = &selfcert {
        let cai = ws
            .propose(ctx("cai", T2), person("Cai", "cai"), tier, "")
            .unwrap();
        ws.self_certify(ctx("cai", T2), &cai, "I make open hardware.")
            .unwrap();
    }
    record(&mut ws);
    ws.withdraw(ctx("bea", T3), &bea, "").unwrap();
    record(&mut ws);
    for (i, (heads, membership, by_tier)) in points.iter().enumerate() {
        let past = ws.at(heads).unwrap();
        assert_eq!(&past.membership().unwrap(), membership, "point {i}");
        assert_eq!(&past.members_by_tier().unwrap(), by_tier, "point {i}");
    }
    // By the clock: everything stamped by T1 is the state after Ada's endorsement.
    let t = |s| moot_model::time::parse_instant("t", s).unwrap();
    let heads = ws.heads_at_time(t(T1));
    assert_eq!(ws.at(&heads).unwrap().membership().unwrap(), points[2].1);
    assert!(ws.heads_at_time(t(T0) - 1).is_empty());
    assert_eq!(ws.heads_at_time(t(T3)), ws.heads());
}

#[test]
fn an_orphaned_thread_opens_on_the_text_it_was_made_on_with_its_passage() {
    let (mut ws, draft) = setup();
    ws.replace_text(ctx("ada", T1), &draft, "Intro. Be kind. Zoë says: be open.")
        .unwrap();
    let thread = ws
        .add_comment(ctx("bea", T1), &draft, 26, 33, "Open to whom?", &[])
        .unwrap();
    // The passage goes: the thread is orphaned.
    ws.replace_text(ctx("ada", T2), &draft, "Intro. Be kind.")
        .unwrap();
    let view = ws
        .threads(&draft)
        .unwrap()
        .into_iter()
        .find(|t| t.thread.id == thread)
        .unwrap();
    assert!(view.is_orphaned());
    let (text, range) = ws.thread_origin(&draft, &thread).unwrap();
    assert_eq!(text, "Intro. Be kind. Zoë says: be open.");
    let (s, e) = range.unwrap();
    assert_eq!(
        text.chars().skip(s).take(e - s).collect::<String>(),
        "be open"
    );
    assert!(ws.thread_origin(&draft, "nope").is_err());
}

#[test]
fn a_decision_on_the_draft_names_the_version_it_put_to_the_group() {
    use moot_model::decisions::{NewDecision, ROSTER, Subject};
    let (mut ws, draft) = setup();
    let heads: Vec<String> = ws.heads().iter().map(ToString::to_string).collect();
    let id = ws
        .open_decision(
            ctx("ada", T1),
            NewDecision {
                question: "Adopt the Code of Conduct v1".into(),
                details: String::new(),
                options: Vec::new(),
                method: moot_model::tally::Method::Consent,
                quorum_percent: 50,
                tiers: vec![ROSTER.into()],
                chair: "ada".into(),
                closes_at: None,
                topic: None,
                delegation: false,
                subject: Some(Subject::Document {
                    document: draft.clone(),
                    heads: heads.clone(),
                }),
                hidden: None,
            },
        )
        .unwrap();
    ws.replace_text(ctx("ada", T2), &draft, "Be kind.").unwrap();
    let versions = ws.versions(&draft);
    assert_eq!(versions.len(), 1);
    assert_eq!(
        versions[0].name,
        "Put to decision: “Adopt the Code of Conduct v1”"
    );
    assert_eq!(versions[0].decision.as_deref(), Some(id.as_str()));
    assert_eq!(
        ws.text_at_version(&draft, Some(&versions[0].heads))
            .unwrap(),
        "Be kind. Be open."
    );
}

#[test]
fn minutes_restore_to_any_point_and_the_restore_is_in_history() {
    let mut ws = Workspace::create(ctx("ada", T0), "IOPA", "Ada", 1).unwrap();
    let session = ws
        .add_session(
            ctx("ada", T0),
            "Work session 3",
            "2026-12-02T15:00:00Z",
            60,
            "",
        )
        .unwrap();
    let item = ws
        .add_agenda_item(ctx("ada", T0), &session, None, "Membership")
        .unwrap();
    ws.set_minutes(
        ctx("ada", T1),
        &session,
        &item,
        "Agreed: two tiers. Zoë objects.",
    )
    .unwrap();
    let then = ws.heads();
    ws.set_minutes(ctx("bea", T2), &session, &item, "Nothing agreed.")
        .unwrap();
    assert_eq!(
        ws.minutes_at(&item, &then).unwrap(),
        "Agreed: two tiers. Zoë objects."
    );
    ws.restore_minutes(ctx("ada", T3), &item, &then).unwrap();
    let now = ws.sessions().unwrap()[0].agenda[0]
        .minutes
        .as_str()
        .to_owned();
    assert_eq!(now, "Agreed: two tiers. Zoë objects.");
    let groups = ws.history();
    assert_eq!(
        ws.describe(&groups[0])[0].words,
        "restored the minutes of “Membership”"
    );
    // Before the item existed there were no minutes to restore.
    let mut fresh = Workspace::create(ctx("ada", T0), "IOPA", "Ada", 1).unwrap();
    let early = fresh.heads();
    let s = fresh
        .add_session(ctx("ada", T1), "S", "2026-12-02T15:00:00Z", 60, "")
        .unwrap();
    let i = fresh
        .add_agenda_item(ctx("ada", T1), &s, None, "Late")
        .unwrap();
    assert!(fresh.restore_minutes(ctx("ada", T2), &i, &early).is_err());
    assert!(
        fresh
            .restore_minutes(ctx("ada", T2), "nope", &early)
            .is_err()
    );
}

#[test]
fn the_drafts_versions_export_as_markdown_with_their_changes() {
    let (mut ws, draft) = setup();
    ws.name_version(ctx("ada", T1), &draft, "First").unwrap();
    ws.replace_text(ctx("ada", T2), &draft, "Be kind. Be open to all.")
        .unwrap();
    ws.name_version(ctx("ada", T2), &draft, "Second").unwrap();
    ws.replace_text(ctx("ada", T3), &draft, "Be kind.").unwrap();
    let md = ws.versions_markdown(&draft).unwrap();
    assert!(
        md.starts_with("# Code of Conduct (draft): its versions\n\n## First (Ada, "),
        "{md}"
    );
    assert!(
        md.contains("The first named version:\n\nBe kind. Be open.\n"),
        "{md}"
    );
    assert!(md.contains("## Second (Ada, "), "{md}");
    assert!(md.contains("Be kind. Be open{+ to all+}."), "{md}");
    assert!(md.contains("## Now (not named)"), "{md}");
    assert!(md.contains("Be kind.[- Be open to all.-]"), "{md}");
}

#[test]
fn minutes_have_named_versions_too() {
    use moot_model::history::MINUTES;
    let mut ws = Workspace::create(ctx("ada", T0), "IOPA", "Ada", 1).unwrap();
    let session = ws
        .add_session(
            ctx("ada", T0),
            "Work session 3",
            "2026-12-02T15:00:00Z",
            60,
            "",
        )
        .unwrap();
    let item = ws
        .add_agenda_item(ctx("ada", T0), &session, None, "Membership")
        .unwrap();
    ws.set_minutes(ctx("ada", T1), &session, &item, "Two tiers.")
        .unwrap();
    let target = format!("{MINUTES}{item}");
    ws.name_version(ctx("ada", T1), &target, "As read out")
        .unwrap();
    ws.set_minutes(ctx("bea", T2), &session, &item, "Three tiers.")
        .unwrap();
    let v = ws.versions(&target);
    assert_eq!(v.len(), 1);
    assert!(
        ws.versions(&ws.documents().unwrap()[0].id.clone())
            .is_empty()
    );
    let red = ws.redline(&target, &v[0].heads, None).unwrap();
    let keep = |skip: Mark| -> String {
        red.iter()
            .filter(|r| r.mark != skip)
            .map(|r| r.text.as_str())
            .collect()
    };
    assert_eq!(keep(Mark::Inserted), "Two tiers.");
    assert_eq!(keep(Mark::Deleted), "Three tiers.");
    assert!(
        red.iter()
            .any(|r| r.mark == Mark::Same && r.text.contains("tiers."))
    );
    ws.restore_version(ctx("ada", T3), &target, &v[0].heads)
        .unwrap();
    let now = ws.heads();
    assert_eq!(ws.minutes_at(&item, &now).unwrap(), "Two tiers.");
    assert_eq!(ws.target_title(&target).unwrap(), "Minutes of “Membership”");
    let groups = ws.history();
    assert_eq!(
        ws.describe(&groups[0])[0].words,
        "restored the minutes of “Membership”"
    );
}

#[test]
fn a_version_shows_the_threads_and_comments_made_by_then() {
    let (mut ws, draft) = setup();
    let t = ws
        .add_comment(ctx("bea", T1), &draft, 0, 8, "Kind to whom?", &[])
        .unwrap();
    let v = ws.name_version(ctx("ada", T1), &draft, "v").unwrap();
    ws.reply(ctx("ada", T2), &draft, &t, "Everyone.").unwrap();
    ws.add_comment(ctx("ada", T2), &draft, 9, 17, "Later thread", &[])
        .unwrap();
    let heads = ws
        .versions(&draft)
        .into_iter()
        .find(|x| x.id == v)
        .unwrap()
        .heads;
    let then = ws.threads_at_version(&draft, &heads).unwrap();
    assert_eq!(
        then,
        vec![(
            "Be kind.".to_owned(),
            vec![("Bea".to_owned(), "Kind to whom?".to_owned())]
        )]
    );
}
