//! Property test: 3–5 peers apply random operations concurrently and sync in random order with
//! automerge's sync protocol; all end with identical heads and identical state, nothing lost.
//!
//! 256 cases by default; `PROPTEST_CASES` and `PROPTEST_SEED` (a u64) override.
#![cfg(not(target_arch = "wasm32"))]

use std::collections::BTreeSet;

use automerge::sync::{self, SyncDoc};
use moot_model::{
    Ctx, Placement, Workspace,
    schema::{Approval, Candidate, CandidateKind},
};
use proptest::{
    prelude::*,
    test_runner::{Config, RngAlgorithm, TestRng, TestRunner},
};

const AT: &str = "2025-12-20T14:00:00Z";

#[derive(Debug, Clone)]
enum Op {
    Comment {
        start: u16,
        len: u8,
        body: String,
    },
    Reply {
        thread: u8,
        body: String,
    },
    Resolve {
        thread: u8,
        resolved: bool,
    },
    Splice {
        pos: u16,
        delete: u8,
        insert: String,
    },
    AgendaItem {
        title: String,
    },
    Minutes {
        item: u8,
        text: String,
    },
    ActionPoint {
        text: String,
        done: bool,
    },
    Propose {
        name: String,
    },
    Endorse {
        proposal: u8,
    },
    /// Up, down, in or out (audit M6: a move must never lose what is typed meanwhile).
    MoveItem {
        item: u8,
        how: u8,
    },
    /// An item and a sub-point of it in one go (so moves have trees to carry).
    SubPoint {
        item: u8,
        title: String,
    },
}

fn op() -> impl Strategy<Value = Op> {
    let word = "[a-z]{1,8}";
    prop_oneof![
        (any::<u16>(), 1u8..20, word).prop_map(|(start, len, body)| Op::Comment {
            start,
            len,
            body
        }),
        (any::<u8>(), word).prop_map(|(thread, body)| Op::Reply { thread, body }),
        (any::<u8>(), any::<bool>())
            .prop_map(|(thread, resolved)| Op::Resolve { thread, resolved }),
        (any::<u16>(), 0u8..6, "[a-z ]{0,6}").prop_map(|(pos, delete, insert)| Op::Splice {
            pos,
            delete,
            insert
        }),
        word.prop_map(|title| Op::AgendaItem { title }),
        (any::<u8>(), 0u8..4).prop_map(|(item, how)| Op::MoveItem { item, how }),
        (any::<u8>(), 0u8..4).prop_map(|(item, how)| Op::MoveItem { item, how }),
        (any::<u8>(), word).prop_map(|(item, title)| Op::SubPoint { item, title }),
        (any::<u8>(), "[a-z ]{0,12}").prop_map(|(item, text)| Op::Minutes { item, text }),
        (word, any::<bool>()).prop_map(|(text, done)| Op::ActionPoint { text, done }),
        word.prop_map(|name| Op::Propose { name }),
        any::<u8>().prop_map(|proposal| Op::Endorse { proposal }),
    ]
}

struct Peer {
    ws: Workspace,
    person: String,
    /// What this peer itself created, which must survive every merge.
    made: BTreeSet<String>,
    /// The last minutes this peer wrote on each agenda item.
    minuted: std::collections::BTreeMap<String, String>,
}

/// Every agenda item of the first session, depth first, with its minutes.
fn agenda_items(ws: &Workspace) -> Vec<(String, String)> {
    fn walk(items: &[moot_model::schema::AgendaItem], out: &mut Vec<(String, String)>) {
        for item in items {
            out.push((item.id.clone(), item.minutes.as_str().to_owned()));
            walk(&item.children, out);
        }
    }
    let mut out = Vec::new();
    walk(&ws.sessions().unwrap()[0].agenda, &mut out);
    out
}

fn apply(peer: &mut Peer, op: &Op, draft: &str, session: &str, tier: &str) {
    let ctx = Ctx::new(&peer.person, AT);
    let ws = &mut peer.ws;
    let made = match op {
        Op::Comment { start, len, body } => {
            let n = ws.document_text(draft).unwrap().chars().count();
            if n < 2 {
                return;
            }
            let s = *start as usize % (n - 1);
            let e = (s + *len as usize).min(n);
            Some(ws.add_comment(ctx, draft, s, e, body, &[]).unwrap())
        }
        Op::Reply { thread, body } => {
            let threads = ws.threads(draft).unwrap();
            (!threads.is_empty()).then(|| {
                ws.reply(
                    ctx,
                    draft,
                    &threads[*thread as usize % threads.len()].thread.id,
                    body,
                )
                .unwrap()
            })
        }
        Op::Resolve { thread, resolved } => {
            let threads = ws.threads(draft).unwrap();
            if !threads.is_empty() {
                ws.set_resolved(
                    ctx,
                    draft,
                    &threads[*thread as usize % threads.len()].thread.id,
                    *resolved,
                )
                .unwrap();
            }
            None
        }
        Op::Splice {
            pos,
            delete,
            insert,
        } => {
            let n = ws.document_text(draft).unwrap().chars().count();
            let p = *pos as usize % (n + 1);
            let d = (*delete as usize).min(n - p);
            ws.splice_text(ctx, draft, p, d, insert).unwrap();
            None
        }
        Op::AgendaItem { title } => Some(ws.add_agenda_item(ctx, session, None, title).unwrap()),
        Op::Minutes { item, text } => {
            let items = agenda_items(ws);
            if !items.is_empty() {
                let id = items[*item as usize % items.len()].0.clone();
                ws.set_minutes(ctx, session, &id, text).unwrap();
                peer.minuted.insert(id, text.clone());
            }
            None
        }
        Op::MoveItem { item, how } => {
            let items = agenda_items(ws);
            if !items.is_empty() {
                let id = &items[*item as usize % items.len()].0;
                let how = [
                    moot_model::Move::Up,
                    moot_model::Move::Down,
                    moot_model::Move::Indent,
                    moot_model::Move::Outdent,
                ][*how as usize % 4];
                // Not every move is possible (the first item cannot go up): refused, not lost.
                let _ = ws.move_agenda_item(ctx, session, id, how);
            }
            None
        }
        Op::SubPoint { item, title } => {
            let items = agenda_items(ws);
            (!items.is_empty()).then(|| {
                let parent = items[*item as usize % items.len()].0.clone();
                ws.add_agenda_item(ctx, session, Some(&parent), title)
                    .unwrap()
            })
        }
        Op::ActionPoint { text, done } => {
            let id = ws
                .add_action_point(
                    ctx,
                    session,
                    text,
                    &[peer.person.clone()],
                    Some("2026-01-17"),
                    None,
                )
                .unwrap();
            ws.set_action_done(ctx, session, &id, *done).unwrap();
            Some(id)
        }
        Op::Propose { name } => {
            let c = Candidate {
                kind: CandidateKind::Individual,
                name: name.clone(),
                size: None,
                person: None,
            };
            Some(ws.propose(ctx, c, tier, "").unwrap())
        }
        Op::Endorse { proposal } => {
            let m = ws.membership().unwrap();
            let open: Vec<_> = m
                .proposals
                .iter()
                .filter(|p| !p.proposal.acts.iter().any(|a| a.by == peer.person))
                .map(|p| p.proposal.id.clone())
                .collect();
            (!open.is_empty()).then(|| {
                ws.endorse(ctx, &open[*proposal as usize % open.len()], "yes")
                    .unwrap()
            })
        }
    };
    peer.made.extend(made);
}

/// Runs automerge's sync protocol between two peers until neither has anything to send.
fn sync_pair(a: &mut Workspace, b: &mut Workspace) {
    let (mut sa, mut sb) = (sync::State::new(), sync::State::new());
    for _ in 0..32 {
        let ma = a.doc_mut().sync().generate_sync_message(&mut sa);
        let mb = b.doc_mut().sync().generate_sync_message(&mut sb);
        if ma.is_none() && mb.is_none() {
            return;
        }
        // Round trip through the wire encoding, as peers do.
        if let Some(m) = ma {
            let m = sync::Message::decode(&m.encode()).unwrap();
            b.doc_mut().sync().receive_sync_message(&mut sb, m).unwrap();
        }
        if let Some(m) = mb {
            let m = sync::Message::decode(&m.encode()).unwrap();
            a.doc_mut().sync().receive_sync_message(&mut sa, m).unwrap();
        }
    }
    panic!("sync did not finish in 32 rounds");
}

fn all_ids(ws: &Workspace) -> BTreeSet<String> {
    let json = ws.to_json().unwrap();
    let value: serde_json::Value = serde_json::from_str(&json).unwrap();
    let mut ids = BTreeSet::new();
    fn walk(v: &serde_json::Value, ids: &mut BTreeSet<String>) {
        match v {
            serde_json::Value::Object(m) => {
                if let Some(serde_json::Value::String(id)) = m.get("id") {
                    ids.insert(id.clone());
                }
                m.values().for_each(|v| walk(v, ids));
            }
            serde_json::Value::Array(a) => a.iter().for_each(|v| walk(v, ids)),
            _ => {}
        }
    }
    walk(&value, &mut ids);
    ids
}

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(256)
}

fn runner() -> TestRunner {
    let seed: u64 = std::env::var("PROPTEST_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0x6d6f_6f74);
    let mut bytes = [0u8; 32];
    bytes[..8].copy_from_slice(&seed.to_le_bytes());
    eprintln!("convergence: {} cases, PROPTEST_SEED={seed}", cases());
    TestRunner::new_with_rng(
        Config {
            cases: cases(),
            failure_persistence: None,
            ..Config::default()
        },
        TestRng::from_seed(RngAlgorithm::ChaCha, &bytes),
    )
}

/// The workspace every peer starts from: a draft with text, a session with an agenda item, a
/// ratified tier, and `n` people on the roster. Its bytes, and the draft, session and tier ids.
fn founded(n: usize) -> (Vec<u8>, String, String, String) {
    let founder = Ctx::new("p0", AT);
    let mut base = Workspace::create(founder, "Prop", "P0", 1).unwrap();
    let draft = base.documents().unwrap()[0].id.clone();
    base.replace_text(
        founder,
        &draft,
        "The quick brown fox jumps over the lazy dog.",
    )
    .unwrap();
    let session = base.add_session(founder, "S", AT, 60, "").unwrap();
    base.add_agenda_item(founder, &session, None, "first")
        .unwrap();
    let tier = base
        .add_tier(
            founder,
            "Ratified",
            Approval::Ratification {
                endorsements: 2,
                objections: moot_model::schema::ObjectionRule::Subtract,
            },
        )
        .unwrap();
    for i in 1..n {
        base.set_person_name(founder, &format!("p{i}"), &format!("P{i}"))
            .unwrap();
        base.add_to_roster(founder, &format!("p{i}")).unwrap();
    }
    (base.save(), draft, session, tier)
}

/// `n` peers loaded from `bytes`, each with its own actor and person.
fn honest_peers(n: usize, bytes: &[u8]) -> Vec<Peer> {
    (0..n)
        .map(|i| {
            let mut ws = Workspace::load(bytes, 1000 + i as u64).unwrap();
            ws.doc_mut()
                .set_actor(automerge::ActorId::from(vec![i as u8 + 1; 16]));
            Peer {
                ws,
                person: format!("p{i}"),
                made: BTreeSet::new(),
                minuted: Default::default(),
            }
        })
        .collect()
}

#[test]
fn peers_converge_after_random_concurrent_operations() {
    let scenario = (
        3usize..=5,
        prop::collection::vec((any::<u8>(), op()), 1..24),
        prop::collection::vec((any::<u8>(), any::<u8>()), 1..12),
    );
    runner()
        .run(&scenario, |(n, ops, sync_order)| {
            let (bytes, draft, session, tier) = founded(n);
            let mut peers = honest_peers(n, &bytes);

            // Interleave: operations on random peers, with random partial syncs in between.
            let mut syncs = sync_order.iter().cycle();
            for (k, (who, op)) in ops.iter().enumerate() {
                apply(&mut peers[*who as usize % n], op, &draft, &session, &tier);
                if k % 3 == 2 {
                    let &(a, b) = syncs.next().unwrap();
                    let (a, b) = (a as usize % n, b as usize % n);
                    if a != b {
                        let (x, y) = if a < b { (a, b) } else { (b, a) };
                        let (left, right) = peers.split_at_mut(y);
                        sync_pair(&mut left[x].ws, &mut right[0].ws);
                    }
                }
            }
            // Then everyone syncs: a chain forward, then backward, reaches everyone.
            for i in (0..n - 1).chain((0..n - 1).rev()) {
                let (left, right) = peers.split_at_mut(i + 1);
                sync_pair(&mut left[i].ws, &mut right[0].ws);
            }

            let heads0 = peers[0].ws.heads();
            let state0 = peers[0].ws.state().unwrap();
            let membership0 = peers[0].ws.membership().unwrap();
            let ids0 = all_ids(&peers[0].ws);
            let text = peers[0].ws.document_text(&draft).unwrap();
            // No item is lost or doubled by concurrent moves, and minutes typed on an item
            // while others moved it are still on it.
            let agenda = agenda_items(&peers[0].ws);
            let unique: BTreeSet<&String> = agenda.iter().map(|(id, _)| id).collect();
            prop_assert_eq!(unique.len(), agenda.len(), "an agenda item appears twice");
            // Minutes only one peer wrote on an item (nobody else overwrote them) must be there,
            // whatever moves happened meanwhile.
            for p in &peers {
                for (id, text) in &p.minuted {
                    let others = peers
                        .iter()
                        .any(|q| q.person != p.person && q.minuted.contains_key(id));
                    if others || text.trim().is_empty() {
                        continue;
                    }
                    let minutes = agenda
                        .iter()
                        .find(|(i, _)| i == id)
                        .map(|(_, m)| m.as_str());
                    prop_assert_eq!(
                        minutes,
                        Some(text.as_str()),
                        "{}'s minutes on {} were lost",
                        &p.person,
                        id
                    );
                }
            }
            for p in &mut peers {
                prop_assert_eq!(p.ws.heads(), heads0.clone());
                prop_assert_eq!(p.ws.state().unwrap(), state0.clone());
                prop_assert_eq!(p.ws.membership().unwrap(), membership0.clone());
                for id in &p.made {
                    prop_assert!(ids0.contains(id), "{} lost {}", p.person, id);
                }
            }
            for v in peers[0].ws.threads(&draft).unwrap() {
                if let Placement::Anchored { start, end } = v.placement {
                    prop_assert!(start < end && end <= text.chars().count());
                }
            }
            // Save → load round trip equals the original.
            let reloaded = Workspace::load(&peers[0].ws.save(), 9).unwrap();
            prop_assert_eq!(reloaded.state().unwrap(), state0);
            Ok(())
        })
        .unwrap();
}

/// What a hostile peer writes with raw automerge ops, under its own actor.
#[derive(Debug, Clone)]
enum Evil {
    /// A title written as automerge Text (JS automerge 3's default for strings).
    TextTitle { item: u8 },
    /// An endorsement "by" an honest member, written by the adversary.
    ForgedAct { proposal: u8, as_member: u8 },
    /// A second agenda item object with the id of an existing one.
    DuplicateItem { item: u8 },
    /// An item made its own parent, or a sub-point's parent.
    Cycle { item: u8, other: u8 },
    /// A comment thread whose anchor cursors are garbage.
    GarbageAnchor { which: u8 },
    /// A number where a string belongs.
    WrongScalar { item: u8 },
    /// A tier whose approval is garbage, and a number on the roster.
    BadTier,
}

fn evil() -> impl Strategy<Value = Evil> {
    prop_oneof![
        any::<u8>().prop_map(|item| Evil::TextTitle { item }),
        (any::<u8>(), any::<u8>()).prop_map(|(proposal, as_member)| Evil::ForgedAct {
            proposal,
            as_member
        }),
        any::<u8>().prop_map(|item| Evil::DuplicateItem { item }),
        (any::<u8>(), any::<u8>()).prop_map(|(item, other)| Evil::Cycle { item, other }),
        any::<u8>().prop_map(|which| Evil::GarbageAnchor { which }),
        any::<u8>().prop_map(|item| Evil::WrongScalar { item }),
        Just(Evil::BadTier),
    ]
}

/// The adversary's raw writes (any that do not fit the document's current shape are skipped).
fn apply_evil(doc: &mut automerge::AutoCommit, op: &Evil, n_people: usize) {
    use automerge::{ObjType, ROOT, ReadDoc, transaction::Transactable};
    let obj = |doc: &automerge::AutoCommit, at: &automerge::ObjId, prop: automerge::Prop| {
        doc.get(at, prop).ok().flatten().map(|(_, id)| id)
    };
    let Some(sessions) = obj(doc, &ROOT, "sessions".into()) else {
        return;
    };
    let Some(session) = obj(doc, &sessions, 0.into()) else {
        return;
    };
    let agenda = obj(doc, &session, "agenda".into());
    let item_at = |doc: &automerge::AutoCommit, k: u8| {
        let agenda = agenda.clone()?;
        let n = doc.length(&agenda);
        (n > 0)
            .then(|| obj(doc, &agenda, (k as usize % n).into()))
            .flatten()
    };
    match op {
        Evil::BadTier => {
            if let (Some(tiers), Some(roster)) = (
                obj(doc, &ROOT, "tiers".into()),
                obj(doc, &ROOT, "roster".into()),
            ) {
                let n = doc.length(&tiers);
                let tier = doc.insert_object(&tiers, n, ObjType::Map).unwrap();
                doc.put(&tier, "id", "evil-tier").unwrap();
                doc.put(&tier, "name", "Open door").unwrap();
                doc.put(&tier, "approval", "anything goes").unwrap();
                let n = doc.length(&roster);
                doc.insert(&roster, n, 7).unwrap();
            }
        }
        Evil::TextTitle { item } => {
            if let Some(item) = item_at(doc, *item) {
                let t = doc.put_object(&item, "title", ObjType::Text).unwrap();
                doc.splice_text(&t, 0, 0, "retitled as Text").unwrap();
            }
        }
        Evil::WrongScalar { item } => {
            if let Some(item) = item_at(doc, *item) {
                doc.put(&item, "title", 42).unwrap();
                doc.put(&item, "order", 7).unwrap();
            }
        }
        Evil::DuplicateItem { item } => {
            if let (Some(source), Some(agenda)) = (item_at(doc, *item), agenda.clone()) {
                let id = doc
                    .get(&source, "id")
                    .ok()
                    .flatten()
                    .and_then(|(v, _)| v.into_string().ok());
                if let Some(id) = id {
                    let n = doc.length(&agenda);
                    let copy = doc.insert_object(&agenda, n, ObjType::Map).unwrap();
                    doc.put(&copy, "id", id).unwrap();
                    doc.put(&copy, "title", "impostor").unwrap();
                    doc.put_object(&copy, "minutes", ObjType::Text).unwrap();
                    doc.put_object(&copy, "children", ObjType::List).unwrap();
                }
            }
        }
        Evil::Cycle { item, other } => {
            if let (Some(a), Some(b)) = (item_at(doc, *item), item_at(doc, *other)) {
                let id_of = |doc: &automerge::AutoCommit, o: &automerge::ObjId| {
                    doc.get(o, "id")
                        .ok()
                        .flatten()
                        .and_then(|(v, _)| v.into_string().ok())
                };
                if let (Some(ia), Some(ib)) = (id_of(doc, &a), id_of(doc, &b)) {
                    doc.put(&a, "parent", ib).unwrap();
                    doc.put(&b, "parent", ia).unwrap();
                }
            }
        }
        Evil::GarbageAnchor { which } => {
            let Some(documents) = obj(doc, &ROOT, "documents".into()) else {
                return;
            };
            let Some(document) = obj(doc, &documents, 0.into()) else {
                return;
            };
            let Some(threads) = obj(doc, &document, "threads".into()) else {
                return;
            };
            let n = doc.length(&threads);
            let thread = doc.insert_object(&threads, n, ObjType::Map).unwrap();
            doc.put(&thread, "id", format!("evil-{which}")).unwrap();
            let anchor = doc.put_object(&thread, "anchor", ObjType::Map).unwrap();
            let garbage = ["", "é", "-1@zz", "4294967296@00", "1@"];
            doc.put(&anchor, "text", "fox").unwrap();
            doc.put(&anchor, "start", garbage[*which as usize % 5])
                .unwrap();
            doc.put(&anchor, "end", garbage[(*which as usize + 1) % 5])
                .unwrap();
            doc.put(&anchor, "last", "").unwrap();
            doc.put_object(&thread, "comments", ObjType::List).unwrap();
            doc.put_object(&thread, "tags", ObjType::List).unwrap();
            doc.put(&thread, "resolved", false).unwrap();
        }
        Evil::ForgedAct {
            proposal,
            as_member,
        } => {
            let Some(proposals) = obj(doc, &ROOT, "proposals".into()) else {
                return;
            };
            let n = doc.length(&proposals);
            if n == 0 {
                return;
            }
            let Some(p) = obj(doc, &proposals, (*proposal as usize % n).into()) else {
                return;
            };
            let Some(acts) = obj(doc, &p, "acts".into()) else {
                return;
            };
            let len = doc.length(&acts);
            let act = doc.insert_object(&acts, len, ObjType::Map).unwrap();
            doc.put(&act, "id", format!("forged-{len}")).unwrap();
            doc.put(&act, "kind", "endorse").unwrap();
            doc.put(&act, "by", format!("p{}", *as_member as usize % n_people))
                .unwrap();
            doc.put(&act, "at", AT).unwrap();
            doc.put(&act, "comment", "").unwrap();
        }
    }
    doc.commit();
}

/// An adversary among the peers writes wrong types, forged acts, duplicate ids, parent cycles
/// and garbage anchors with raw automerge ops. Every honest peer still converges, reads every
/// view without error or panic, keeps every id it created, and shows each agenda item once.
#[test]
fn an_adversary_cannot_make_honest_peers_lose_work_or_crash() {
    let scenario = (
        3usize..=4,
        prop::collection::vec((any::<u8>(), op()), 1..16),
        prop::collection::vec(evil(), 1..8),
        prop::collection::vec((any::<u8>(), any::<u8>()), 1..8),
    );
    runner()
        .run(&scenario, |(n, ops, evils, sync_order)| {
            let (bytes, draft, session, tier) = founded(n);
            let mut peers = honest_peers(n, &bytes);
            let mut adversary = Workspace::load(&bytes, 666).unwrap();
            adversary
                .doc_mut()
                .set_actor(automerge::ActorId::from(vec![0xee; 16]));

            let mut syncs = sync_order.iter().cycle();
            let mut evils = evils.iter().cycle();
            for (k, (who, op)) in ops.iter().enumerate() {
                apply(&mut peers[*who as usize % n], op, &draft, &session, &tier);
                // The adversary learns the latest from someone, writes, and passes it on.
                let &(a, b) = syncs.next().unwrap();
                let (a, b) = (a as usize % n, b as usize % n);
                sync_pair(&mut adversary, &mut peers[a].ws);
                apply_evil(adversary.doc_mut(), evils.next().unwrap(), n);
                sync_pair(&mut adversary, &mut peers[b].ws);
                if k % 2 == 1 && a != b {
                    let (x, y) = if a < b { (a, b) } else { (b, a) };
                    let (left, right) = peers.split_at_mut(y);
                    sync_pair(&mut left[x].ws, &mut right[0].ws);
                }
            }
            sync_pair(&mut adversary, &mut peers[0].ws);
            for i in (0..n - 1).chain((0..n - 1).rev()) {
                let (left, right) = peers.split_at_mut(i + 1);
                sync_pair(&mut left[i].ws, &mut right[0].ws);
            }

            let heads0 = peers[0].ws.heads();
            let ids0 = all_ids(&peers[0].ws);
            let agenda = agenda_items(&peers[0].ws);
            let unique: BTreeSet<&String> = agenda.iter().map(|(id, _)| id).collect();
            prop_assert_eq!(unique.len(), agenda.len(), "an agenda item shows twice");
            for p in &mut peers {
                prop_assert_eq!(p.ws.heads(), heads0.clone());
                prop_assert!(p.ws.sessions().is_ok());
                prop_assert!(p.ws.threads(&draft).is_ok());
                prop_assert!(p.ws.membership().is_ok());
                prop_assert!(p.ws.to_json().is_ok());
                prop_assert!(p.ws.minutes_markdown(&session).is_ok());
                for id in &p.made {
                    prop_assert!(ids0.contains(id), "{} lost {}", p.person, id);
                }
            }
            Ok(())
        })
        .unwrap();
}
