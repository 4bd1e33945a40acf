//! Property: in a private workspace, random sequences of signed, forged, late and revoked
//! changes across five peers, delivered in random orders (directly between peers and through a
//! relay that cannot read), leave every honest peer with exactly the same changes and the same
//! state — and none of the forged or revoked ones.
//!
//! Revocation here is what the relay enforces: the admin removes a device after everyone has
//! synced (so the cut covers every change some peer took), tells the relay at once, and from
//! then on the removed device's changes reach others only through the relay. Gossip the admin
//! had not seen when cutting is the case SECURITY.md names: a peer that took a change beyond
//! the cut keeps it, and what it builds on it waits at the others.

use std::collections::VecDeque;

use moot_model::{Ctx, Workspace, trust::comment_rule};
use moot_sync::sealed::Replica;
use moot_trust::{DeviceKey, Exchange, Level, Link, Log, Message, Relay, Statement, person_id};
use proptest::prelude::*;

const T: &str = "2026-12-01T10:00:00Z";
const ANNA: usize = 0;
const MALLORY: usize = 3;
const DAVE: usize = 4;

struct Peer {
    r: Replica,
    person: String,
    nonce: u64,
}

impl Peer {
    fn act(&mut self, f: impl FnOnce(&mut Workspace, Ctx<'_>)) {
        let Ok(mut ws) = Workspace::from_doc(std::mem::take(&mut self.r.doc), 1) else {
            return;
        };
        let person = self.person.clone();
        f(&mut ws, Ctx::new(&person, T));
        self.r.doc = ws.into_doc();
        self.nonce += 1;
        let mut nonce = [0u8; 24];
        nonce[..8].copy_from_slice(&self.nonce.to_le_bytes());
        nonce[8] = self.person.as_bytes()[6];
        let _ = self.r.seal(nonce);
    }

    fn text(&self) -> String {
        Workspace::from_doc(self.r.doc.clone(), 1)
            .ok()
            .and_then(|ws| {
                let d = ws.documents().ok()?[0].id.clone();
                ws.document_text(&d).ok()
            })
            .unwrap_or_default()
    }
}

/// Runs the sealed protocol between two logs (each side's judge given) until quiet.
fn pump(
    a: &mut Log,
    ja: &mut dyn FnMut(&mut Exchange, &mut Log, Message) -> Vec<Message>,
    b: &mut Log,
    jb: &mut dyn FnMut(&mut Exchange, &mut Log, Message) -> Vec<Message>,
) {
    let (mut xa, mut xb) = (Exchange::new(), Exchange::new());
    let mut to_b: VecDeque<Message> = VecDeque::from([xa.hello(a)]);
    let mut to_a: VecDeque<Message> = VecDeque::new();
    for _ in 0..10_000 {
        if let Some(m) = to_b.pop_front() {
            let m = Message::decode(&m.encode(), usize::MAX).unwrap();
            to_a.extend(jb(&mut xb, b, m));
        } else if let Some(m) = to_a.pop_front() {
            let m = Message::decode(&m.encode(), usize::MAX).unwrap();
            to_b.extend(ja(&mut xa, a, m));
        } else {
            return;
        }
    }
    panic!("never quiet");
}

fn with_relay(relay: &mut Log, p: &mut Peer) {
    let Replica {
        doc, log, private, ..
    } = &mut p.r;
    pump(
        log,
        &mut |x, l, m| {
            let mut judge = private.judge(doc, comment_rule);
            x.receive(l, m, &mut judge).send
        },
        relay,
        &mut |x, l, m| x.receive(l, m, &mut Relay).send,
    );
}

fn between(a: &mut Peer, b: &mut Peer) {
    let (ra, rb) = (&mut a.r, &mut b.r);
    let (da, la, pa) = (&mut ra.doc, &mut ra.log, &mut ra.private);
    let (db, lb, pb) = (&mut rb.doc, &mut rb.log, &mut rb.private);
    pump(
        la,
        &mut |x, l, m| x.receive(l, m, &mut pa.judge(da, comment_rule)).send,
        lb,
        &mut |x, l, m| x.receive(l, m, &mut pb.judge(db, comment_rule)).send,
    );
}

#[derive(Debug, Clone)]
enum Op {
    /// An editor (Anna, Bob, Dave) types at the start of the draft.
    Type(usize),
    /// A commenter (Carol, Mallory) comments on the draft's first character.
    Comment(usize),
    /// Mallory, with a comment link, rewrites the draft: refused by everyone.
    Forge,
    /// A peer syncs with the relay.
    Relay(usize),
    /// Two peers sync directly.
    Pair(usize, usize),
    /// Anna removes Dave (once), and tells the relay at once.
    Remove,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => prop::sample::select(vec![0usize, 1, DAVE]).prop_map(Op::Type),
        2 => prop::sample::select(vec![2usize, MALLORY]).prop_map(Op::Comment),
        1 => Just(Op::Forge),
        3 => (0usize..5).prop_map(Op::Relay),
        3 => (0usize..5, 0usize..5).prop_map(|(a, b)| Op::Pair(a, b)),
        1 => Just(Op::Remove),
    ]
}

fn peers(admin: &Link) -> Vec<Peer> {
    let levels = [
        Level::Admin,
        Level::Edit,
        Level::Comment,
        Level::Comment,
        Level::Edit,
    ];
    levels
        .iter()
        .enumerate()
        .map(|(i, level)| {
            let seed = i as u8 + 1;
            let device = DeviceKey::from_seed([seed; 32]);
            let person = person_id(&device.public());
            let link = admin.at(*level).unwrap();
            let r = if i == ANNA {
                Replica::found(link, device, [seed; 8], comment_rule)
            } else {
                Replica::join(link, device, [seed; 8], comment_rule)
            };
            Peer {
                r,
                person,
                nonce: 0,
            }
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn honest_peers_accept_the_same_changes_whatever_the_order(ops in prop::collection::vec(op(), 10..60)) {
        let admin = Link::new([5; 32]);
        let mut relay = Log::new(admin.discovery());
        let mut ps = peers(&admin);
        // Anna makes the workspace, and everyone joins through the relay.
        let actor = ps[ANNA].r.doc.get_actor().clone();
        let person = ps[ANNA].person.clone();
        ps[ANNA].r.doc = Workspace::create_as(actor, Ctx::new(&person, T), "W", "Anna", 1).unwrap().into_doc();
        ps[ANNA].act(|ws, me| { let d = ws.documents().unwrap()[0].id.clone(); ws.replace_text(me, &d, "draft").unwrap(); });
        for p in ps.iter_mut() {
            with_relay(&mut relay, p);
        }
        let mut removed: Option<moot_trust::Vector> = None;
        for op in ops {
            match op {
                Op::Type(i) => ps[i].act(|ws, me| {
                    if let Ok(docs) = ws.documents() {
                        let _ = ws.splice_text(me, &docs[0].id, 0, 0, "t");
                    }
                }),
                Op::Comment(i) => ps[i].act(|ws, me| {
                    if let Ok(docs) = ws.documents() {
                        let _ = ws.add_comment(me, &docs[0].id, 0, 1, "c", &[]);
                    }
                }),
                Op::Forge => ps[MALLORY].act(|ws, me| {
                    if let Ok(docs) = ws.documents() {
                        let _ = ws.replace_text(me, &docs[0].id, "FORGED");
                    }
                }),
                Op::Relay(i) => with_relay(&mut relay, &mut ps[i]),
                Op::Pair(a, b) if a != b => {
                    // After his removal Dave reaches others only through the relay.
                    if removed.is_some() && (a == DAVE || b == DAVE) {
                        continue;
                    }
                    let (lo, hi) = (a.min(b), a.max(b));
                    let (left, right) = ps.split_at_mut(hi);
                    between(&mut left[lo], &mut right[0]);
                }
                Op::Pair(..) => {}
                Op::Remove if removed.is_none() => {
                    // Everyone (Dave too) syncs first: the cut covers what any peer took.
                    for p in ps.iter_mut() {
                        with_relay(&mut relay, p);
                    }
                    with_relay(&mut relay, &mut ps[ANNA]);
                    let dave_key = ps[DAVE].r.private.device().public().to_bytes();
                    let dave_actor = ps[DAVE].r.doc.get_actor().to_bytes().to_vec();
                    let keep = ps[ANNA].r.log.vector().get(&dave_actor).copied().unwrap_or(0);
                    let removal = Statement::Remove {
                        discovery: admin.discovery(),
                        device: dave_key,
                        keep: vec![(dave_actor, keep)],
                    }
                    .sign(&admin.secret.signing_key().unwrap());
                    ps[ANNA].r.log.add_statement(removal, false).unwrap();
                    with_relay(&mut relay, &mut ps[ANNA]);
                    removed = Some(ps[ANNA].r.log.vector().clone());
                }
                Op::Remove => {}
            }
        }
        // Everyone but Dave syncs with the relay until nothing moves.
        for _ in 0..3 {
            for p in ps.iter_mut().take(DAVE) {
                with_relay(&mut relay, p);
            }
        }
        // Honest: Anna, Bob, Carol (Mallory holds her own forgery; Dave is removed).
        let reference = ps[ANNA].r.doc.get_heads();
        for i in 1..MALLORY {
            prop_assert_eq!(ps[i].r.log.vector(), ps[ANNA].r.log.vector(), "peer {}'s log", i);
            prop_assert_eq!(ps[i].r.doc.get_heads(), reference.clone(), "peer {}'s document", i);
            prop_assert_eq!(ps[i].text(), ps[ANNA].text());
        }
        prop_assert!(!ps[ANNA].text().contains("FORGED"));
        if removed.is_some() {
            let dave_actor = ps[DAVE].r.doc.get_actor().to_bytes().to_vec();
            let kept = ps[ANNA].r.log.roster().accepts(&dave_actor, u64::MAX);
            prop_assert_eq!(kept, None);
            let held = ps[ANNA].r.log.vector().get(&dave_actor).copied().unwrap_or(0);
            let dave_wrote = ps[DAVE].r.log.vector().get(&dave_actor).copied().unwrap_or(0);
            prop_assert!(held <= dave_wrote);
            for s in 1..=held {
                prop_assert!(ps[ANNA].r.log.roster().accepts(&dave_actor, s).is_some(), "a revoked change {} was taken", s);
            }
        }
    }
}
