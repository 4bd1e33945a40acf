//! What's new: what others wrote after a device's seen heads, read as news for one person
//! (replies, mentions, proposals, action points, decisions) and as the pages it touched.

use automerge::{ActorId, ChangeHash, ROOT, ReadDoc, transaction::Transactable};
use moot_model::decisions::{NewDecision, ROSTER};
use moot_model::news::{NewsKind, mentions};
use moot_model::schema::{Candidate, CandidateKind, ItemKind};
use moot_model::search::Area;
use moot_model::tally::Method;
use moot_model::{Ctx, Workspace};

const T0: &str = "2026-12-01T10:00:00Z";
const T1: &str = "2026-12-01T11:00:00Z";
const T2: &str = "2026-12-01T12:00:00Z";

fn ctx(person: &'static str, at: &'static str) -> Ctx<'static> {
    Ctx::new(person, at)
}

/// Ada's workspace with Bea on the roster, a session with one item, Ada's thread and Ada's
/// workstream item; and Bea's copy of it (her own actor).
struct Group {
    ada: Workspace,
    bea: Workspace,
    draft: String,
    session: String,
    item: String,
    ada_thread: String,
    workstream: String,
    ws_item: String,
}

fn group() -> Group {
    let mut ada = Workspace::create(ctx("ada", T0), "IOPA", "Ada Lovelace", 1).unwrap();
    ada.set_person_name(ctx("bea", T0), "bea", "Bea").unwrap();
    ada.add_to_roster(ctx("ada", T0), "bea").unwrap();
    let draft = ada.documents().unwrap()[0].id.clone();
    ada.replace_text(ctx("ada", T0), &draft, "Be kind. Be open. Decide together.")
        .unwrap();
    let ada_thread = ada
        .add_comment(
            ctx("ada", T0),
            &draft,
            0,
            8,
            "Who decides what kind means?",
            &[],
        )
        .unwrap();
    let session = ada
        .add_session(
            ctx("ada", T0),
            "Work session 3",
            "2026-12-02T15:00:00Z",
            60,
            "",
        )
        .unwrap();
    let item = ada
        .add_agenda_item(ctx("ada", T0), &session, None, "Membership")
        .unwrap();
    let workstream = ada
        .add_workstream(ctx("ada", T0), "Decision making", "How we decide")
        .unwrap();
    let ws_item = ada
        .add_workstream_item(
            ctx("ada", T0),
            &workstream,
            ItemKind::KeyQuestion,
            "Direct or representative?",
        )
        .unwrap();
    let mut bea = ada.clone();
    bea.doc_mut().set_actor(ActorId::random());
    Group {
        ada,
        bea,
        draft,
        session,
        item,
        ada_thread,
        workstream,
        ws_item,
    }
}

fn heads(ws: &mut Workspace) -> Vec<ChangeHash> {
    ws.heads()
}

#[test]
fn mentions_match_the_name_or_its_first_word_and_nothing_longer() {
    let name = "Ada Lovelace";
    assert_eq!(mentions("ask @Ada, then @ada lovelace.", name), vec![4, 15]);
    assert_eq!(mentions("@ADA LOVELACE", name), vec![0]);
    // Part of a longer word, an e-mail address, a bare @, another person.
    assert!(mentions("@Adam and mail@ada and @ and @Bea", name).is_empty());
    assert_eq!(mentions("für @Zoë!", "Zoë"), vec![4]);
    assert!(mentions("@Zoe", "Zoë").is_empty());
    assert!(mentions("@anyone", "  ").is_empty());
}

#[test]
fn nothing_is_new_at_the_heads_a_device_has_seen() {
    let mut g = group();
    let seen = heads(&mut g.ada);
    assert!(g.ada.since(&seen).is_empty());
    assert!(g.ada.news(&seen, "ada").is_empty());
    assert!(g.ada.activity(&seen).is_empty());
}

#[test]
fn what_others_wrote_for_me_is_news_and_my_own_acts_are_not() {
    let mut g = group();
    let seen = heads(&mut g.ada);
    let c = |at| ctx("bea", at);
    // For Ada: a reply in her thread, a mention in another thread, a comment on her item,
    // a proposal, a decision, an action point she owns, a mention in minutes.
    g.bea
        .reply(
            c(T1),
            &g.draft,
            &g.ada_thread,
            "The group does, by consent.",
        )
        .unwrap();
    let other = g
        .bea
        .add_comment(c(T1), &g.draft, 9, 17, "@Ada is open enough?", &[])
        .unwrap();
    g.bea
        .comment_workstream_item(c(T1), &g.workstream, &g.ws_item, "Both, by topic.")
        .unwrap();
    let proposal = g
        .bea
        .propose(
            c(T1),
            Candidate {
                kind: CandidateKind::Individual,
                name: "Cai".into(),
                size: None,
                person: None,
            },
            &g.ada.tiers().unwrap()[0].id,
            "Cai has taken part since session 1.",
        )
        .unwrap();
    let decision = g
        .bea
        .open_decision(
            c(T1),
            NewDecision {
                question: "Adopt the Code of Conduct v1".into(),
                details: "As drafted in session 3.".into(),
                options: Vec::new(),
                method: Method::Consent,
                quorum_percent: 50,
                tiers: vec![ROSTER.into()],
                chair: "bea".into(),
                closes_at: None,
                topic: None,
                delegation: false,
                subject: None,
                hidden: None,
            },
        )
        .unwrap();
    let action = g
        .bea
        .add_action_point(
            c(T1),
            &g.session,
            "Draft the tier policy",
            &["ada".to_owned(), "bea".to_owned()],
            None,
            None,
        )
        .unwrap();
    g.bea
        .set_minutes(
            c(T2),
            &g.session,
            &g.item,
            "Agreed: ask @Ada Lovelace about tiers.",
        )
        .unwrap();
    // Not for Ada: Bea's reply in Bea's own thread, an action point Ada does not own.
    g.bea.reply(c(T2), &g.draft, &other, "Or not.").unwrap();
    g.bea
        .add_action_point(
            c(T2),
            &g.session,
            "Book a room",
            &["bea".to_owned()],
            None,
            None,
        )
        .unwrap();
    // Ada's own acts since: never news for Ada.
    g.ada
        .reply(
            ctx("ada", T1),
            &g.draft,
            &g.ada_thread,
            "Ping @Ada Lovelace",
        )
        .unwrap();
    g.ada.merge(&mut g.bea).unwrap();

    let news = g.ada.news(&seen, "ada");
    let kinds: Vec<(NewsKind, &str, &str)> = news
        .iter()
        .map(|n| (n.kind, n.place.anchor.as_str(), n.at.as_str()))
        .collect();
    let thread = format!("thread-{}", g.ada_thread);
    let other_thread = format!("thread-{other}");
    let ws_item = format!("ws-item-{}", g.ws_item);
    let proposal_at = format!("proposal-{proposal}");
    let decision_at = format!("decision-{decision}");
    let action_at = format!("action-{action}");
    let minutes = format!("minutes-{}", g.item);
    // Newest first (minutes at T2, stamped by the change), then by key.
    assert_eq!(news[0].kind, NewsKind::Mention);
    assert_eq!(news[0].place.anchor, minutes);
    assert_eq!(news[0].at, T2);
    let mut rest: Vec<_> = kinds[1..].to_vec();
    rest.sort();
    let mut want = vec![
        (NewsKind::Reply, thread.as_str(), T1),
        (NewsKind::Reply, ws_item.as_str(), T1),
        (NewsKind::Mention, other_thread.as_str(), T1),
        (NewsKind::Proposal, proposal_at.as_str(), T1),
        (NewsKind::ActionPoint, action_at.as_str(), T1),
        (NewsKind::Decision, decision_at.as_str(), T1),
    ];
    want.sort();
    assert_eq!(rest, want, "{news:#?}");
    let reply = news.iter().find(|n| n.place.anchor == thread).unwrap();
    assert_eq!(reply.what, "Bea replied on “Be kind.”");
    assert_eq!(reply.excerpt, "The group does, by consent.");
    assert_eq!(reply.place.area, Area::CodeOfConduct);
    let d = news.iter().find(|n| n.kind == NewsKind::Decision).unwrap();
    assert_eq!(d.place.decision.as_deref(), Some(decision.as_str()));
    assert!(
        d.what.contains("Adopt the Code of Conduct v1"),
        "{}",
        d.what
    );

    // Bea's device sees none of her own words as news for her.
    let bea_news = g.bea.news(&seen, "bea");
    assert!(bea_news.is_empty(), "{bea_news:#?}");

    // Once seen, nothing is new.
    let now = heads(&mut g.ada);
    assert!(g.ada.news(&now, "ada").is_empty());
}

#[test]
fn pages_with_activity_are_those_others_changed() {
    let mut g = group();
    let seen = heads(&mut g.ada);
    g.bea
        .set_minutes(ctx("bea", T1), &g.session, &g.item, "Notes.")
        .unwrap();
    // Ada's own edit of the draft is not activity for Ada.
    g.ada
        .splice_text(ctx("ada", T1), &g.draft, 0, 0, "Rule one: ")
        .unwrap();
    g.ada.merge(&mut g.bea).unwrap();
    assert_eq!(
        g.ada.activity(&seen).into_iter().collect::<Vec<_>>(),
        vec![Area::Agenda]
    );
    let mid = heads(&mut g.ada);
    g.bea
        .reply(ctx("bea", T2), &g.draft, &g.ada_thread, "Yes.")
        .unwrap();
    g.ada.merge(&mut g.bea).unwrap();
    // From the older heads both pages; from the newer only the review page.
    assert_eq!(
        g.ada.activity(&seen).into_iter().collect::<Vec<_>>(),
        vec![Area::Agenda, Area::CodeOfConduct]
    );
    assert_eq!(
        g.ada.activity(&mid).into_iter().collect::<Vec<_>>(),
        vec![Area::CodeOfConduct]
    );
}

#[test]
fn a_change_touches_the_parts_it_wrote_and_a_large_or_unplaced_one_touches_everything() {
    use moot_model::news::Part;
    let mut g = group();
    let all: Vec<Part> = Part::ALL.to_vec();
    let seen = heads(&mut g.ada);
    let touched = |ws: &mut Workspace, seen: &[ChangeHash]| {
        ws.touched(seen, 1000).into_iter().collect::<Vec<_>>()
    };
    assert_eq!(
        touched(&mut g.ada, &seen),
        Vec::<Part>::new(),
        "nothing since"
    );
    // Minutes typed in a session: the agenda only (own changes count: a view re-reads them).
    g.ada
        .set_minutes(ctx("ada", T1), &g.session, &g.item, "Notes.")
        .unwrap();
    assert_eq!(touched(&mut g.ada, &seen), vec![Part::Area(Area::Agenda)]);
    // A reply from a peer: the review page; a new name: the people.
    let mid = heads(&mut g.ada);
    g.bea
        .reply(ctx("bea", T2), &g.draft, &g.ada_thread, "Yes.")
        .unwrap();
    g.bea
        .set_person_name(ctx("bea", T2), "bea", "Beatrice")
        .unwrap();
    g.ada.merge(&mut g.bea).unwrap();
    assert_eq!(
        touched(&mut g.ada, &mid),
        vec![Part::Area(Area::CodeOfConduct), Part::People]
    );
    // The workspace's name is no part's alone; unknown heads (a first open) and more ops
    // than asked are everything.
    let later = heads(&mut g.ada);
    g.ada.rename(ctx("ada", T2), "IOPA Governance").unwrap();
    assert_eq!(touched(&mut g.ada, &later), all);
    assert_eq!(touched(&mut g.ada, &[]), all);
    assert_eq!(g.ada.touched(&seen, 2).into_iter().collect::<Vec<_>>(), all);
}

#[test]
fn unknown_heads_are_ignored_and_reported() {
    let mut g = group();
    let mut stranger = Workspace::create(ctx("zed", T0), "Other", "Zed", 9).unwrap();
    let foreign = heads(&mut stranger);
    assert!(!g.ada.knows(&foreign));
    let mine = heads(&mut g.ada);
    assert!(g.ada.knows(&mine));
    let mixed: Vec<ChangeHash> = mine.iter().chain(foreign.iter()).copied().collect();
    assert!(g.ada.since(&mixed).is_empty());
}

#[test]
fn a_hostile_peers_odd_values_are_skipped_without_failing() {
    let mut g = group();
    let seen = heads(&mut g.ada);
    let doc = g.bea.doc_mut();
    // Wrong-typed values where news reads: documents as a string, a proposal that is a number,
    // owners as a map.
    let props = match doc.get(ROOT, "proposals").unwrap() {
        Some((_, id)) => id,
        None => panic!("no proposals"),
    };
    doc.insert(&props, 0, 42).unwrap();
    let sessions = doc.get(ROOT, "sessions").unwrap().unwrap().1;
    let s = doc
        .insert_object(&sessions, 0, automerge::ObjType::Map)
        .unwrap();
    doc.put_object(&s, "action_points", automerge::ObjType::Map)
        .unwrap();
    doc.put(ROOT, "workstreams", "not a list").unwrap();
    doc.commit();
    g.bea
        .reply(ctx("bea", T1), &g.draft, &g.ada_thread, "Still counted.")
        .unwrap();
    g.ada.merge(&mut g.bea).unwrap();
    let news = g.ada.news(&seen, "ada");
    assert_eq!(news.len(), 1, "{news:#?}");
    assert_eq!(news[0].kind, NewsKind::Reply);
    assert!(!g.ada.activity(&seen).is_empty());
}
