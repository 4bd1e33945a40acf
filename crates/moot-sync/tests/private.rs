//! A private workspace end to end, with the real model and automerge: an admin creates it, a
//! relay that cannot read stores and serves it, a commenter comments, and forged writes —
//! a commenter's edit of the draft, a change under someone else's actor, a snapshot holding
//! unsigned changes — are refused by every peer alike.

use std::collections::VecDeque;

use moot_model::{Ctx, Workspace, trust::comment_rule};
use moot_sync::sealed::{Replica, SealError};
use moot_trust::*;

const T: &str = "2026-12-01T10:00:00Z";

struct Peer {
    r: Replica,
    person: String,
    nonce: u64,
}

impl Peer {
    /// A device joining with `link` (its workspace comes from the relay).
    fn join(admin: &Link, level: Level, seed: u8) -> Peer {
        let device = DeviceKey::from_seed([seed; 32]);
        let person = person_id(&device.public());
        let r = Replica::join(admin.at(level).unwrap(), device, [seed; 8], comment_rule);
        Peer {
            r,
            person,
            nonce: 0,
        }
    }

    /// Acts on the workspace as this peer's person.
    fn act<R>(&mut self, f: impl FnOnce(&mut Workspace, Ctx<'_>) -> R) -> R {
        let doc = std::mem::take(&mut self.r.doc);
        let mut ws = Workspace::from_doc(doc, 1).unwrap();
        let person = self.person.clone();
        let r = f(&mut ws, Ctx::new(&person, T));
        self.r.doc = ws.into_doc();
        r
    }

    fn text(&mut self, d: &str) -> Option<String> {
        let doc = self.r.doc.clone();
        Workspace::from_doc(doc, 1).ok()?.document_text(d).ok()
    }

    fn seal(&mut self) -> Result<Option<Sealed>, SealError> {
        self.nonce += 1;
        let mut nonce = [0; 24];
        nonce[..8].copy_from_slice(&self.nonce.to_le_bytes());
        nonce[8] = self.person.as_bytes()[5];
        self.r.seal(nonce)
    }

    fn receive(&mut self, ex: &mut Exchange, m: Message) -> Outcome {
        self.r.receive(ex, m)
    }
}

/// One connection between a peer and the relay, carried through the frames' encoding until
/// quiet. Returns what the peer refused.
fn sync(relay: &mut Log, peer: &mut Peer) -> Vec<TrustError> {
    sync_acked(relay, peer).0
}

/// [`sync`], with what the relay acknowledged holding.
fn sync_acked(relay: &mut Log, peer: &mut Peer) -> (Vec<TrustError>, Vector) {
    let (mut rx, mut px) = (Exchange::new(), Exchange::new());
    let mut to_relay: VecDeque<Message> = VecDeque::from([px.hello(&peer.r.log)]);
    let mut to_peer = VecDeque::new();
    let mut refused = Vec::new();
    let wire = |m: Message| Message::decode(&m.encode(), 64 << 20).unwrap();
    for _ in 0..10_000 {
        if let Some(m) = to_relay.pop_front() {
            let out = rx.receive(relay, wire(m), &mut Relay);
            assert!(
                out.refused.is_empty(),
                "the relay refused {:?}",
                out.refused
            );
            to_peer.extend(out.send);
        } else if let Some(m) = to_peer.pop_front() {
            let out = peer.receive(&mut px, wire(m));
            refused.extend(out.refused);
            to_relay.extend(out.send);
        } else {
            assert!(px.is_synced(&peer.r.log) || !refused.is_empty() || peer.r.log.waiting() > 0);
            return (refused, px.acked().clone());
        }
    }
    panic!("never quiet");
}

fn admin_peer(admin: &Link) -> Peer {
    let device = DeviceKey::from_seed([1; 32]);
    let person = person_id(&device.public());
    let mut r = Replica::found(admin.clone(), device, [1; 8], comment_rule);
    let actor = r.doc.get_actor().clone();
    r.doc = Workspace::create_as(actor, Ctx::new(&person, T), "IOPA Governance", "Anna", 1)
        .unwrap()
        .into_doc();
    Peer {
        r,
        person,
        nonce: 0,
    }
}

fn draft(p: &mut Peer) -> String {
    p.act(|ws, _| ws.documents().unwrap()[0].id.clone())
}

/// Anna founds the workspace with `text` as its draft, sealed and on the relay: the admin
/// link, the relay's log, Anna, and the draft's id.
fn founded_with(text: &str) -> (Link, Log, Peer, String) {
    let admin = Link::new([7; 32]);
    let mut relay = Log::new(admin.discovery());
    let mut anna = admin_peer(&admin);
    let d = draft(&mut anna);
    anna.act(|ws, me| ws.replace_text(me, &d, text)).unwrap();
    anna.seal().unwrap().unwrap();
    assert!(sync(&mut relay, &mut anna).is_empty());
    (admin, relay, anna, d)
}

#[test]
fn a_commenter_comments_and_nothing_else_and_the_relay_reads_nothing() {
    let (admin, mut relay, mut anna, d) = founded_with("Stewards meet monthly. Be kind.");

    // The relay holds envelopes and statements, and no word of the workspace.
    let mut stored = Vec::new();
    for s in relay.since(&Vector::new()).1 {
        stored.extend(s.encode());
    }
    for s in relay.statements() {
        stored.extend(s.encode());
    }
    for word in [&b"Stewards"[..], b"IOPA", b"Anna", b"Code of Conduct"] {
        assert!(!stored.windows(word.len()).any(|w| w == word));
    }

    // Bob has a comment link and has never met Anna.
    let mut bob = Peer::join(&admin, Level::Comment, 2);
    assert!(sync(&mut relay, &mut bob).is_empty());
    assert_eq!(bob.text(&d).unwrap(), "Stewards meet monthly. Be kind.");
    let thread = bob.act(|ws, me| {
        ws.set_person_name(me, me.person, "Bob").unwrap();
        ws.add_comment(me, &d, 0, 8, "Who are the stewards?", &[])
            .unwrap()
    });
    bob.seal().unwrap().unwrap();
    assert!(sync(&mut relay, &mut bob).is_empty());
    assert!(sync(&mut relay, &mut anna).is_empty());
    let threads = anna.act(|ws, _| ws.threads(&d).unwrap());
    assert_eq!(threads.len(), 1);
    assert_eq!(threads[0].thread.id, thread);
    anna.act(|ws, me| ws.reply(me, &d, &thread, "The tier of that name."))
        .unwrap();
    anna.seal().unwrap();
    sync(&mut relay, &mut anna);
    assert!(sync(&mut relay, &mut bob).is_empty());
    bob.act(|ws, me| ws.reply(me, &d, &thread, "Thanks!"))
        .unwrap();
    bob.seal().unwrap().unwrap();
    sync(&mut relay, &mut bob);

    // Bob edits the draft with his comment link: the relay takes it (it cannot read), every
    // peer refuses it, and his later changes are blocked behind it.
    bob.act(|ws, me| ws.replace_text(me, &d, "Bob rules."))
        .unwrap();
    bob.seal().unwrap().unwrap();
    bob.act(|ws, me| ws.reply(me, &d, &thread, "after"))
        .unwrap();
    bob.seal().unwrap().unwrap();
    sync(&mut relay, &mut bob);
    let refused = sync(&mut relay, &mut anna);
    assert_eq!(
        refused,
        vec![TrustError::Refused(
            "a commenter may only add comments and threads".into()
        )]
    );
    assert_eq!(anna.text(&d).unwrap(), "Stewards meet monthly. Be kind.");
    let comments = anna.act(|ws, _| ws.threads(&d).unwrap()[0].thread.comments.len());
    assert_eq!(comments, 3);
    assert_eq!(anna.r.log.waiting(), 1);

    // Carol, a newcomer with an edit link, reaches the same verdict from the relay alone.
    let mut carol = Peer::join(&admin, Level::Edit, 3);
    let refused = sync(&mut relay, &mut carol);
    assert_eq!(refused.len(), 1);
    assert_eq!(carol.text(&d).unwrap(), "Stewards meet monthly. Be kind.");
    assert_eq!(carol.r.doc.get_heads(), anna.r.doc.get_heads());

    // A read link writes nothing.
    let mut reader = Peer::join(&admin, Level::Read, 4);
    sync(&mut relay, &mut reader);
    reader
        .act(|ws, me| ws.set_person_name(me, me.person, "Reader"))
        .unwrap();
    assert!(matches!(reader.seal(), Err(SealError::ReadOnly)));
}

#[test]
fn a_newcomer_opens_a_snapshot_and_unsigned_changes_in_one_are_refused() {
    let admin = Link::new([7; 32]);
    let mut relay = Log::new(admin.discovery());
    let mut anna = admin_peer(&admin);
    let d = draft(&mut anna);
    for i in 0..30 {
        anna.act(|ws, me| ws.splice_text(me, &d, i, 0, "a"))
            .unwrap();
        anna.seal().unwrap();
    }
    sync(&mut relay, &mut anna);
    let snapshot = anna.r.snapshot([42; 24]).unwrap();
    assert_eq!(relay.add_snapshot(snapshot), Ok(true));
    anna.act(|ws, me| ws.splice_text(me, &d, 0, 0, "b"))
        .unwrap();
    anna.seal().unwrap();
    sync(&mut relay, &mut anna);

    // Editors make one every SNAPSHOT_EVERY changes; commenters never.
    assert!(!moot_sync::sealed::wants_snapshot(
        &anna.r.log,
        Level::Admin
    ));
    assert!(!moot_sync::sealed::wants_snapshot(
        &carol_like_log(&anna),
        Level::Comment
    ));

    // The newcomer gets the snapshot and one envelope after it, not 33 envelopes.
    let (snap, tail) = relay.since(&Vector::new());
    assert!(snap.is_some());
    assert_eq!(tail.len(), 1);
    let mut carol = Peer::join(&admin, Level::Edit, 3);
    assert!(sync(&mut relay, &mut carol).is_empty());
    assert_eq!(carol.text(&d).unwrap(), format!("b{}", "a".repeat(30)));
    assert_eq!(carol.r.log.vector(), anna.r.log.vector());
    assert_eq!(carol.r.doc.get_heads(), anna.r.doc.get_heads());

    // Dave, an editor, writes a change under Anna's actor and snapshots it: a newcomer refuses
    // the snapshot — nobody signed that change.
    let mut dave = Peer::join(&admin, Level::Edit, 5);
    sync(&mut relay, &mut dave);
    let anna_actor = anna.r.doc.get_actor().clone();
    let mut forged = dave.r.doc.fork().with_actor(anna_actor);
    {
        let mut w = Workspace::from_doc(forged, 9).unwrap();
        w.splice_text(Ctx::new("x", T), &d, 0, 0, "FORGED ")
            .unwrap();
        forged = w.into_doc();
    }
    dave.r.doc.merge(&mut forged).unwrap();
    // An honest device would not make it (its log does not hold that change, nor a
    // certificate of it); Dave seals one by hand, with every real certificate there is.
    assert!(matches!(
        dave.r.snapshot([43; 24]),
        Err(SealError::Unsealed)
    ));
    let bad = forged_snapshot(&mut dave, relay.latest().cloned().collect());
    let mut newcomer = Peer::join(&admin, Level::Read, 6);
    let mut ex = Exchange::new();
    // The newcomer knows the roster (as it would from the relay's statements first).
    for s in relay.statements() {
        newcomer.r.log.roster_mut().add(s.clone()).unwrap();
    }
    let out = newcomer.receive(&mut ex, Message::Snapshot(bad));
    assert!(
        matches!(&out.refused[..], [TrustError::NotAllowed(_)]),
        "{:?}",
        out.refused
    );
    assert_eq!(newcomer.text(&d), None);
}

#[test]
fn under_an_admin_s_snapshot_the_relay_drops_what_it_covers_and_everyone_still_converges() {
    let admin = Link::new([7; 32]);
    let mut relay = Log::new(admin.discovery());
    let mut anna = admin_peer(&admin);
    let d = draft(&mut anna);
    let type_at = |p: &mut Peer, text: &str| {
        for (i, c) in text.chars().enumerate() {
            let s = c.to_string();
            p.act(|ws, me| ws.splice_text(me, &d, i, 0, &s)).unwrap();
            p.seal().unwrap();
        }
    };
    type_at(&mut anna, "Stewards meet monthly.");
    assert!(sync(&mut relay, &mut anna).is_empty());
    let mut bob = Peer::join(&admin, Level::Edit, 2);
    let mut carol = Peer::join(&admin, Level::Comment, 3);
    assert!(sync(&mut relay, &mut bob).is_empty());
    assert!(sync(&mut relay, &mut carol).is_empty());
    carol
        .act(|ws, me| ws.add_comment(me, &d, 0, 8, "Who are they?", &[]))
        .unwrap();
    carol.seal().unwrap().unwrap();
    assert!(sync(&mut relay, &mut carol).is_empty());
    // Bob writes offline; Anna goes on and makes a snapshot of everything the relay holds.
    type_at(&mut bob, "Bob: ");
    type_at(&mut anna, "Agenda: ");
    assert!(sync(&mut relay, &mut anna).is_empty());
    let before = relay.envelope_count();
    // A snapshot holding a change not sealed yet would be refused by every newcomer, and the
    // relay would keep no other copy of what it covers: not made.
    anna.act(|ws, me| ws.splice_text(me, &d, 0, 0, "#"))
        .unwrap();
    assert!(matches!(
        anna.r.snapshot([41; 24]),
        Err(SealError::Unsealed)
    ));
    anna.seal().unwrap().unwrap();
    assert!(sync(&mut relay, &mut anna).is_empty());
    let snapshot = anna.r.snapshot([42; 24]).unwrap();
    assert_eq!(relay.add_snapshot(snapshot), Ok(true));
    assert!(relay.compact() > 0);
    assert_eq!(relay.envelope_count(), 0, "of {before}");

    // Bob, holding part of it and changes of his own, is served the snapshot and sends his.
    assert!(sync(&mut relay, &mut bob).is_empty());
    assert!(sync(&mut relay, &mut anna).is_empty());
    assert_eq!(bob.r.doc.get_heads(), anna.r.doc.get_heads());
    assert_eq!(bob.r.log.vector(), relay.vector());
    let text = anna.text(&d).unwrap();
    assert!(
        text.contains("Bob: ") && text.contains("Agenda: "),
        "{text}"
    );

    // A newcomer, from the relay's records loaded again after a restart, gets all of it and
    // takes Carol's comment (checked against the snapshot itself).
    let mut again = Log::new(admin.discovery());
    again.replay(relay.records());
    assert_eq!(again.vector(), relay.vector());
    assert_eq!(again.envelope_count(), relay.envelope_count());
    let mut dave = Peer::join(&admin, Level::Read, 4);
    assert!(sync(&mut again, &mut dave).is_empty());
    assert_eq!(dave.r.doc.get_heads(), anna.r.doc.get_heads());
    assert_eq!(dave.text(&d), Some(text));
    assert_eq!(dave.act(|ws, _| ws.threads(&d).unwrap().len()), 1);
}

/// What a hostile editor can seal: `p`'s whole document as a snapshot, claiming to cover what
/// it holds, with `certificates` (the honest path refuses to make one it cannot vouch for).
fn forged_snapshot(p: &mut Peer, certificates: Vec<Certificate>) -> Snapshot {
    let mut covers = Vector::new();
    for m in p.r.doc.get_changes_meta(&[]) {
        let slot = covers.entry(m.actor.to_bytes().to_vec()).or_insert(0);
        *slot = (*slot).max(m.seq);
    }
    let mut e = minicbor::Encoder::new(Vec::new());
    e.array(2).unwrap().bytes(&p.r.doc.save()).unwrap();
    e.array(certificates.len() as u64).unwrap();
    for c in &certificates {
        e.bytes(&c.encode()).unwrap();
    }
    let actor = p.r.doc.get_actor().to_bytes().to_vec();
    let draft = Draft {
        kind: Kind::Snapshot,
        discovery: p.r.private.link.discovery(),
        actor: &actor,
        first: 0,
        last: covers.values().sum(),
        last_hash: covers_hash(&covers),
        epoch: p.r.private.link.epoch(),
    };
    let key = p.r.private.link.secret.read().seal;
    let sealed = Sealed::seal(
        draft,
        &e.into_writer(),
        &key,
        p.r.private.device(),
        [44; 24],
    )
    .unwrap();
    Snapshot { sealed, covers }
}

/// `p` as the app opens it again after a reload: its document and log from storage, a new
/// tab's actor, the certificates remembered from what the log holds.
fn reload(p: Peer, seed: u8, tab: u8) -> Peer {
    let records = p.r.log.records();
    let saved = p.r.doc.clone().save();
    let device = DeviceKey::from_seed([seed; 32]);
    let mut r = Replica::join(p.r.private.link.clone(), device, [tab; 8], comment_rule);
    r.log = Log::new(p.r.log.discovery().to_owned());
    r.log.restore(records);
    let actor = r.doc.get_actor().clone();
    r.doc = automerge::AutoCommit::load(&saved)
        .unwrap()
        .with_actor(actor);
    r.private.start_at(r.doc.get_heads());
    r.private.remember_log(&r.log);
    Peer {
        r,
        person: p.person,
        nonce: p.nonce + 50,
    }
}

#[test]
fn a_device_that_joined_from_a_snapshot_makes_snapshots_newcomers_open_after_a_reload() {
    let (admin, mut relay, mut anna, d) = founded_with("Stewards meet monthly.");
    let snapshot = anna.r.snapshot([42; 24]).unwrap();
    assert_eq!(relay.add_snapshot(snapshot), Ok(true));
    relay.compact();

    // Bob, an editor, joins from Anna's snapshot, then reloads the page.
    let mut bob = Peer::join(&admin, Level::Edit, 2);
    assert!(sync(&mut relay, &mut bob).is_empty());
    let mut bob = reload(bob, 2, 12);
    bob.act(|ws, me| ws.splice_text(me, &d, 0, 0, "Bob: "))
        .unwrap();
    bob.seal().unwrap().unwrap();
    assert!(sync(&mut relay, &mut bob).is_empty());
    // His snapshot vouches for Anna's changes too (her certificate came in hers).
    let snapshot = bob.r.snapshot([43; 24]).unwrap();
    assert_eq!(relay.add_snapshot(snapshot), Ok(true));
    let mut carol = Peer::join(&admin, Level::Read, 3);
    assert!(sync(&mut relay, &mut carol).is_empty());
    assert_eq!(carol.text(&d).unwrap(), "Bob: Stewards meet monthly.");
    assert_eq!(carol.r.doc.get_heads(), bob.r.doc.get_heads());
}

/// Two peers' logs synced directly (two tabs, or a direct link) until quiet; what each
/// refused.
fn between(a: &mut Peer, b: &mut Peer) -> Vec<TrustError> {
    let (mut ax, mut bx) = (Exchange::new(), Exchange::new());
    let mut to_b: VecDeque<Message> = VecDeque::from([ax.hello(&a.r.log)]);
    let mut to_a: VecDeque<Message> = VecDeque::from([bx.hello(&b.r.log)]);
    let mut refused = Vec::new();
    let wire = |m: Message| Message::decode(&m.encode(), 64 << 20).unwrap();
    for _ in 0..10_000 {
        if let Some(m) = to_b.pop_front() {
            let out = b.receive(&mut bx, wire(m));
            refused.extend(out.refused);
            to_a.extend(out.send);
        } else if let Some(m) = to_a.pop_front() {
            let out = a.receive(&mut ax, wire(m));
            refused.extend(out.refused);
            to_b.extend(out.send);
        } else {
            return refused;
        }
    }
    panic!("never quiet");
}

/// What a stored log weighs (the app writes `records()` as one CBOR sequence).
fn stored_bytes(log: &Log) -> usize {
    log.records().iter().map(|r| r.encode().len()).sum()
}

#[test]
fn a_device_s_own_snapshot_compacts_its_stored_log_and_nothing_is_lost_to_anyone() {
    let (admin, mut relay, mut anna, d) = founded_with("Stewards meet monthly.");
    // Bob, an editor (the relay keeps his snapshots whole: it compacts under an admin's only).
    let mut bob = Peer::join(&admin, Level::Edit, 2);
    assert!(sync(&mut relay, &mut bob).is_empty());
    let every = moot_sync::sealed::SNAPSHOT_EVERY as usize;
    let sum = |v: &Vector| v.values().sum::<u64>() as usize;
    // Bob types a keystroke a change, sealing each, and makes a snapshot when one is due;
    // Anna takes the first 300 from him directly; the relay acknowledges the first 700.
    let (mut snapshots, mut biggest, mut acked) = (0, 0, Vector::new());
    for i in 0..every + 40 {
        bob.act(|ws, me| ws.splice_text(me, &d, 0, 0, &(i % 10).to_string()))
            .unwrap();
        bob.seal().unwrap().unwrap();
        biggest = biggest.max(stored_bytes(&bob.r.log));
        if bob.r.snapshot_if_due([i as u8; 24]).unwrap().is_some() {
            snapshots += 1;
        }
        if i == 300 {
            assert!(between(&mut anna, &mut bob).is_empty());
        }
        if i == 700 {
            let (refused, a) = sync_acked(&mut relay, &mut bob);
            assert!(refused.is_empty());
            acked = a;
        }
    }
    assert_eq!(snapshots, 1, "one snapshot per {every} changes");
    let at_700 = sum(bob.r.log.vector()) - every - 40 + 701;
    assert_eq!(sum(&acked), at_700);
    // Under his own snapshot Bob drops only what the relay acknowledged holding.
    let before = bob.r.log.envelope_count();
    assert!(
        !bob.r.private.compact(&mut bob.r.log, &acked, 1000),
        "fewer than asked"
    );
    assert!(bob.r.private.compact(&mut bob.r.log, &acked, 100));
    assert_eq!(bob.r.log.envelope_count(), every + 40 - 701, "of {before}");
    assert_eq!(bob.r.log.compactable(&acked), 0);
    // The relay then takes the rest as envelopes, without a gap, and his snapshot; once it
    // acknowledges them Bob keeps his snapshot and the few dozen changes after it.
    let (refused, acked) = sync_acked(&mut relay, &mut bob);
    assert!(refused.is_empty());
    assert_eq!(relay.vector(), bob.r.log.vector());
    assert_eq!(relay.envelope_count(), 1 + every + 40, "every run whole");
    let snapshot = bob.r.log.snapshot().unwrap().clone();
    assert_eq!(relay.add_snapshot(snapshot), Ok(true));
    assert_eq!(relay.compact(), 0, "an editor's snapshot compacts no relay");
    assert!(bob.r.private.compact(&mut bob.r.log, &acked, 100));
    let covered = sum(&bob.r.log.snapshot().unwrap().covers);
    assert_eq!(
        bob.r.log.envelope_count(),
        sum(bob.r.log.vector()) - covered
    );
    assert!(bob.r.log.envelope_count() < 50);
    let stored = stored_bytes(&bob.r.log);
    assert!(
        stored * 4 < biggest,
        "stored {stored} B after compaction, {biggest} B before"
    );
    // A snapshot some other editor made is not this device's to vouch for.
    assert!(!anna.r.private.made_here(&bob.r.log));

    // Anna, holding 300 of them and a change of her own, is served the snapshot and the rest.
    anna.act(|ws, me| ws.splice_text(me, &d, 0, 0, "Anna: "))
        .unwrap();
    anna.seal().unwrap().unwrap();
    assert!(between(&mut anna, &mut bob).is_empty());
    assert_eq!(anna.r.doc.get_heads(), bob.r.doc.get_heads());
    assert_eq!(anna.r.log.vector(), bob.r.log.vector());

    // Bob reloads from his compacted store and types on: his next snapshot (his certificates
    // kept in the stored one) opens for a newcomer from the relay.
    let mut bob = reload(bob, 2, 22);
    assert_eq!(bob.r.log.vector(), anna.r.log.vector());
    for i in 0..every {
        bob.act(|ws, me| ws.splice_text(me, &d, 0, 0, "+")).unwrap();
        bob.seal().unwrap().unwrap();
        if bob
            .r
            .snapshot_if_due([(i % 200) as u8 + 50; 24])
            .unwrap()
            .is_some()
        {
            snapshots += 1;
        }
    }
    assert_eq!(snapshots, 2);
    let (refused, acked) = sync_acked(&mut relay, &mut bob);
    assert!(refused.is_empty());
    assert!(bob.r.private.compact(&mut bob.r.log, &acked, 100));
    let mut carol = Peer::join(&admin, Level::Read, 3);
    assert!(sync(&mut relay, &mut carol).is_empty());
    assert_eq!(carol.r.doc.get_heads(), bob.r.doc.get_heads());
    let text = carol.text(&d).unwrap();
    assert!(text.starts_with('+') && text.contains("Anna: ") && text.ends_with("monthly."));
    // And Anna, who missed the second thousand, converges with Bob directly.
    assert!(between(&mut anna, &mut bob).is_empty());
    assert_eq!(anna.text(&d), Some(text));
}

/// A log holding more than SNAPSHOT_EVERY changes beyond any snapshot.
fn carol_like_log(anna: &Peer) -> Log {
    let mut log = anna.r.log.clone();
    let mut v = log.vector().clone();
    for seq in v.values_mut() {
        *seq += moot_sync::sealed::SNAPSHOT_EVERY;
    }
    log.adopt(&v);
    assert!(moot_sync::sealed::wants_snapshot(&log, Level::Edit));
    log
}

#[test]
fn a_sealed_file_carries_the_workspace_and_no_word() {
    let admin = Link::new([7; 32]);
    let mut anna = admin_peer(&admin);
    let d = draft(&mut anna);
    anna.act(|ws, me| ws.replace_text(me, &d, "Stewards meet monthly."))
        .unwrap();
    anna.seal().unwrap();
    for (i, c) in " Minutes by rota.".chars().enumerate() {
        let at = "Stewards meet monthly.".len() + i;
        anna.act(|ws, me| ws.splice_text(me, &d, at, 0, &c.to_string()))
            .unwrap();
        anna.seal().unwrap();
    }
    let every = moot_sync::sealed::export(&anna.r.log, None);
    // An editor's export carries a snapshot made for it, not every keystroke.
    let fresh = anna.r.snapshot([40; 24]).unwrap();
    let file = moot_sync::sealed::export(&anna.r.log, Some(&fresh));
    assert!(
        file.len() * 3 < every.len(),
        "{} vs {}",
        file.len(),
        every.len()
    );
    assert!(file.starts_with(moot_sync::sealed::FILE_MAGIC));
    for word in [
        &b"Stewards"[..],
        b"IOPA",
        b"Anna",
        &[0x85, 0x6f, 0x4a, 0x83],
    ] {
        assert!(!file.windows(word.len()).any(|w| w == word));
    }
    // Someone holding the read link takes it in, checked like anything that arrives.
    let mut carol = Peer::join(&admin, Level::Read, 3);
    let Replica {
        doc, log, private, ..
    } = &mut carol.r;
    let got = moot_sync::sealed::import(&file, log, private, doc, comment_rule).unwrap();
    assert!(got.snapshot && got.refused.is_empty(), "{got:?}");
    assert_eq!(
        carol.text(&d).unwrap(),
        "Stewards meet monthly. Minutes by rota."
    );
    assert_eq!(carol.r.doc.get_heads(), anna.r.doc.get_heads());
    assert_eq!(carol.r.log.vector(), anna.r.log.vector());
    // A reader cannot make one: its export passes on the snapshot it holds and what came after.
    anna.act(|ws, me| ws.splice_text(me, &d, 0, 0, "Note: "))
        .unwrap();
    anna.seal().unwrap();
    let got = {
        let later = moot_sync::sealed::export(&anna.r.log, None);
        let Replica {
            doc, log, private, ..
        } = &mut carol.r;
        moot_sync::sealed::import(&later, log, private, doc, comment_rule).unwrap()
    };
    assert_eq!(got.envelopes, 1, "only what Carol lacked is new: {got:?}");
    let theirs = moot_sync::sealed::export(&carol.r.log, None);
    let mut fred = Peer::join(&admin, Level::Read, 6);
    let Replica {
        doc, log, private, ..
    } = &mut fred.r;
    let got = moot_sync::sealed::import(&theirs, log, private, doc, comment_rule).unwrap();
    assert!(got.refused.is_empty(), "{got:?}");
    assert_eq!(fred.r.doc.get_heads(), anna.r.doc.get_heads());
    // Cut short, or another workspace's: refused whole.
    let mut dave = Peer::join(&admin, Level::Read, 4);
    let Replica {
        doc, log, private, ..
    } = &mut dave.r;
    let cut = &file[..file.len() - 10];
    assert!(moot_sync::sealed::import(cut, log, private, doc, comment_rule).is_err());
    let other = Link::new([8; 32]);
    let stranger = admin_peer(&other);
    let theirs = moot_sync::sealed::export(&stranger.r.log, None);
    let mut eve = Peer::join(&admin, Level::Read, 5);
    let Replica {
        doc, log, private, ..
    } = &mut eve.r;
    assert!(moot_sync::sealed::import(&theirs, log, private, doc, comment_rule).is_err());
    assert!(moot_sync::sealed::import(b"not a file", log, private, doc, comment_rule).is_err());
}

#[test]
fn after_a_removal_the_keys_rotate_and_the_removed_device_reads_nothing_new() {
    let (admin, mut relay, mut anna, d) = founded_with("Stewards meet monthly.");
    let mut bob = Peer::join(&admin, Level::Edit, 2);
    let mut carol = Peer::join(&admin, Level::Comment, 3);
    assert!(sync(&mut relay, &mut bob).is_empty());
    assert!(sync(&mut relay, &mut carol).is_empty());
    bob.act(|ws, me| ws.splice_text(me, &d, 0, 0, "Bob: "))
        .unwrap();
    bob.seal().unwrap().unwrap();
    sync(&mut relay, &mut bob);
    sync(&mut relay, &mut anna);

    // Anna removes Bob: the keys rotate, and Anna seals under the new ones.
    let bob_device = bob.r.private.device().public().to_bytes();
    let mut n = 100u8;
    let Replica { log, private, .. } = &mut anna.r;
    private
        .remove_device(log, bob_device, || {
            n += 1;
            [n; 32]
        })
        .unwrap();
    assert_eq!(anna.r.private.link.epoch(), 1);
    anna.act(|ws, me| ws.replace_text(me, &d, "Stewards meet weekly, without Bob."))
        .unwrap();
    anna.seal().unwrap().unwrap();
    assert!(sync(&mut relay, &mut anna).is_empty());

    // Bob's replica gets the envelope (the relay cannot tell) and cannot open it: held, and
    // counted, and not a word of it in his document.
    assert!(sync(&mut relay, &mut bob).is_empty());
    assert!(bob.r.private.unreadable() > 0);
    assert_eq!(bob.r.private.link.epoch(), 0);
    assert_eq!(bob.text(&d).unwrap(), "Bob: Stewards meet monthly.");
    // What he writes now is refused by the relay (it knows the removal).
    bob.act(|ws, me| ws.splice_text(me, &d, 0, 0, "Still here. "))
        .unwrap();
    if let Ok(Some(sealed)) = bob.seal() {
        assert!(relay.add(sealed).is_err());
    }

    // Carol follows the rotation: her link moves to epoch 1 (the app stores it) and she reads.
    assert!(sync(&mut relay, &mut carol).is_empty());
    assert!(carol.r.private.take_rotated());
    assert_eq!(carol.r.private.link.epoch(), 1);
    assert_eq!(carol.r.private.link.level(), Level::Comment);
    assert_eq!(carol.r.private.unreadable(), 0);
    assert_eq!(
        carol.text(&d).unwrap(),
        "Stewards meet weekly, without Bob."
    );
    // Her comments under the new keys reach Anna.
    carol
        .act(|ws, me| ws.add_comment(me, &d, 0, 8, "Weekly is a lot.", &[]))
        .unwrap();
    carol.seal().unwrap().unwrap();
    assert!(sync(&mut relay, &mut carol).is_empty());
    assert!(sync(&mut relay, &mut anna).is_empty());
    assert_eq!(anna.act(|ws, _| ws.threads(&d).unwrap().len()), 1);

    // A newcomer with a link of the new epoch reads everything, from before and after.
    let current = anna.r.private.link.clone();
    let mut dave = Peer::join(&current, Level::Read, 4);
    assert!(sync(&mut relay, &mut dave).is_empty());
    assert_eq!(dave.r.private.unreadable(), 0);
    assert_eq!(dave.text(&d).unwrap(), "Stewards meet weekly, without Bob.");
    assert_eq!(dave.r.doc.get_heads(), anna.r.doc.get_heads());
    // Someone holding the old read link gets the envelopes and opens only the old ones.
    let mut eve = Peer::join(&admin, Level::Read, 5);
    assert!(sync(&mut relay, &mut eve).is_empty());
    assert!(eve.r.private.unreadable() > 0);
    assert_ne!(
        eve.text(&d).as_deref(),
        Some("Stewards meet weekly, without Bob.")
    );

    // Only an admin removes, and not itself.
    let Replica { log, private, .. } = &mut carol.r;
    assert!(private.remove_device(log, bob_device, || [9; 32]).is_err());
    let anna_device = anna.r.private.device().public().to_bytes();
    let Replica { log, private, .. } = &mut anna.r;
    assert!(private.remove_device(log, anna_device, || [9; 32]).is_err());
}

#[test]
fn two_admins_removing_concurrently_rotate_again_and_neither_removed_device_reads_on() {
    let (admin, mut relay, mut anna, d) = founded_with("Stewards meet monthly.");
    let mut amir = Peer::join(&admin, Level::Admin, 6);
    let mut bob = Peer::join(&admin, Level::Edit, 2);
    let mut carol = Peer::join(&admin, Level::Edit, 3);
    let mut dave = Peer::join(&admin, Level::Comment, 4);
    for p in [&mut amir, &mut bob, &mut carol, &mut dave] {
        assert!(sync(&mut relay, p).is_empty());
    }
    // Both admins know every device.
    assert!(sync(&mut relay, &mut anna).is_empty());
    assert!(sync(&mut relay, &mut amir).is_empty());
    assert!(!relay.roster().reaches_removed());

    // Concurrently, neither hearing of the other: Anna removes Bob, Amir removes Carol. Both
    // rotate to epoch 1 with the same keys, each sealed to the devices it kept.
    let device = |p: &Peer| p.r.private.device().public().to_bytes();
    let (bob_device, carol_device) = (device(&bob), device(&carol));
    let mut n = 100u8;
    let mut random = move || {
        n = n.wrapping_add(1);
        [n; 32]
    };
    let Replica { log, private, .. } = &mut anna.r;
    private.remove_device(log, bob_device, &mut random).unwrap();
    let Replica { log, private, .. } = &mut amir.r;
    private
        .remove_device(log, carol_device, &mut random)
        .unwrap();
    assert!(sync(&mut relay, &mut anna).is_empty());
    assert!(sync(&mut relay, &mut amir).is_empty());
    // Each removed device was kept by the other admin's rotation: epoch 1 reaches both.
    assert!(relay.roster().reaches_removed());
    assert!(sync(&mut relay, &mut bob).is_empty());
    assert_eq!(bob.r.private.link.epoch(), 1, "Amir's rotation kept Bob");

    // Anna, hearing of both, rotates again; once is enough, and only an admin does.
    assert!(sync(&mut relay, &mut anna).is_empty());
    let Replica { log, private, .. } = &mut anna.r;
    assert!(
        private
            .rotate_if_removed_can_read(log, &mut random)
            .unwrap()
    );
    assert_eq!(anna.r.private.link.epoch(), 2);
    assert!(!anna.r.log.roster().reaches_removed());
    let Replica { log, private, .. } = &mut anna.r;
    assert!(
        !private
            .rotate_if_removed_can_read(log, &mut random)
            .unwrap()
    );
    anna.act(|ws, me| ws.replace_text(me, &d, "Stewards meet weekly, without Bob or Carol."))
        .unwrap();
    anna.seal().unwrap().unwrap();
    assert!(sync(&mut relay, &mut anna).is_empty());

    // Neither removed device opens it; Dave (kept) and Amir (admin) follow to epoch 2 and read.
    for (who, p) in [("Bob", &mut bob), ("Carol", &mut carol)] {
        assert!(sync(&mut relay, p).is_empty());
        assert!(p.r.private.link.epoch() < 2, "{who} was given epoch 2");
        assert!(p.r.private.unreadable() > 0, "{who} holds it unread");
        assert_ne!(
            p.text(&d).as_deref(),
            Some("Stewards meet weekly, without Bob or Carol."),
            "{who} reads what came after the removal"
        );
    }
    for (who, p) in [("Dave", &mut dave), ("Amir", &mut amir)] {
        assert!(sync(&mut relay, p).is_empty());
        assert_eq!(p.r.private.link.epoch(), 2, "{who} follows");
        assert_eq!(
            p.text(&d).as_deref(),
            Some("Stewards meet weekly, without Bob or Carol.")
        );
    }
    let Replica { log, private, .. } = &mut amir.r;
    assert!(
        !private
            .rotate_if_removed_can_read(log, &mut random)
            .unwrap()
    );
    let Replica { log, private, .. } = &mut dave.r;
    assert!(
        !private
            .rotate_if_removed_can_read(log, &mut random)
            .unwrap()
    );
}
