//! Several moot-sync peers on a simulated network that drops, duplicates, reorders and
//! disconnects: after the faults stop and links reconnect, every peer has every change.
//! And: a reconnect with persisted sync state sends little more than the new changes.
#![cfg(not(target_arch = "wasm32"))]

use std::collections::{BTreeMap, VecDeque};

use automerge::{AutoCommit, ObjType, ROOT, ReadDoc, transaction::Transactable};
use moot_sync::{
    Connection, DocumentId, Event, PeerMetadata, SyncError,
    loopback::{Exchange, Reconnect, fetch, reconnect},
};

/// A small deterministic PRNG (xorshift64*) so failures replay from the printed seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

const DOC: DocumentId = DocumentId::from_bytes_const([5; 16]);

struct Peer {
    name: String,
    docs: BTreeMap<DocumentId, AutoCommit>,
}

/// A link between peers `a` (dialer) and `b` (acceptor) with a queue each way.
struct Link {
    a: usize,
    b: usize,
    conn_a: Connection,
    conn_b: Connection,
    to_b: VecDeque<Vec<u8>>,
    to_a: VecDeque<Vec<u8>>,
}

impl Link {
    fn open(peers: &mut [Peer], a: usize, b: usize, generation: u32) -> Self {
        let meta = |p: &Peer| PeerMetadata {
            storage_id: Some(format!("storage-{}", p.name)),
            is_ephemeral: Some(false),
        };
        let (mut conn_a, join) =
            Connection::dial(&peers[a].name, meta(&peers[a]), &format!("s{generation}"));
        let conn_b = Connection::accept(&peers[b].name, meta(&peers[b]), &format!("s{generation}"));
        // The dialer opens the document's exchange once connected.
        if let Some(doc) = peers[a].docs.get_mut(&DOC) {
            assert!(
                conn_a.sync_document(DOC, doc).is_empty(),
                "nothing is sent before the handshake"
            );
        }
        Link {
            a,
            b,
            conn_a,
            conn_b,
            to_b: VecDeque::from([join]),
            to_a: VecDeque::new(),
        }
    }

    /// Delivers message `i` of one direction. A protocol error (a reordered or lost handshake)
    /// is returned: the caller drops the link and redials, as a real transport does.
    fn deliver(
        &mut self,
        peers: &mut [Peer],
        to_b: bool,
        i: usize,
    ) -> Result<(), moot_sync::SyncError> {
        let queue = if to_b { &mut self.to_b } else { &mut self.to_a };
        let Some(frame) = queue.remove(i) else {
            return Ok(());
        };
        let (conn, peer) = if to_b {
            (&mut self.conn_b, self.b)
        } else {
            (&mut self.conn_a, self.a)
        };
        let (out, events) = conn.receive(&frame, &mut peers[peer].docs)?;
        if to_b {
            self.to_a.extend(out)
        } else {
            self.to_b.extend(out)
        }
        // The acceptor starts syncing once it has answered the join (after `peer`).
        if to_b
            && events.iter().any(|e| matches!(e, Event::Connected(_)))
            && let Some(doc) = peers[peer].docs.get_mut(&DOC)
        {
            let more = conn.sync_document(DOC, doc);
            self.to_a.extend(more);
        }
        Ok(())
    }

    fn push_local(&mut self, peers: &mut [Peer], peer: usize) {
        if peer == self.a {
            if let Some(doc) = peers[peer].docs.get_mut(&DOC) {
                let out = self.conn_a.sync_document(DOC, doc);
                self.to_b.extend(out);
            }
        } else if peer == self.b
            && let Some(doc) = peers[peer].docs.get_mut(&DOC)
            && self.conn_b.is_connected()
        {
            let out = self.conn_b.sync_document(DOC, doc);
            self.to_a.extend(out);
        }
    }

    fn quiet(&self) -> bool {
        self.to_a.is_empty() && self.to_b.is_empty()
    }
}

fn edit(peer: &mut Peer, rng: &mut Rng) {
    let doc = peer.docs.get_mut(&DOC).unwrap();
    let text = match doc.get(ROOT, "text").unwrap() {
        Some((_, id)) => id,
        None => doc.put_object(ROOT, "text", ObjType::Text).unwrap(),
    };
    let len = doc.length(&text);
    let pos = rng.below(len + 1);
    doc.splice_text(&text, pos, 0, &peer.name.to_string())
        .unwrap();
    doc.put(ROOT, format!("key-{}", rng.below(8)), rng.next() as i64)
        .unwrap();
    doc.commit();
}

fn seed() -> u64 {
    std::env::var("MOOT_SYNC_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x5eed_1234)
}

#[test]
fn peers_converge_despite_drops_duplicates_reorders_and_disconnects() {
    for round in 0..64u64 {
        let seed = seed().wrapping_add(round.wrapping_mul(0x9e37_79b9));
        let mut rng = Rng(seed | 1);
        let n = 3 + rng.below(3);
        let mut peers: Vec<Peer> = (0..n)
            .map(|i| Peer {
                name: format!("p{i}"),
                docs: BTreeMap::new(),
            })
            .collect();
        let mut origin = AutoCommit::new();
        origin.put(ROOT, "title", "shared").unwrap();
        origin.commit();
        for p in &mut peers {
            p.docs
                .insert(DOC, origin.fork().with_actor(automerge::ActorId::random()));
        }
        let mut generation = 0;
        let mut links: Vec<Link> = Vec::new();
        for a in 0..n {
            for b in a + 1..n {
                links.push(Link::open(&mut peers, a, b, generation));
            }
        }
        for _ in 0..200 {
            let l = rng.below(links.len());
            match rng.below(10) {
                0 | 1 => {
                    let p = rng.below(n);
                    edit(&mut peers[p], &mut rng);
                    for link in &mut links {
                        link.push_local(&mut peers, p);
                    }
                }
                2 => {
                    // Drop a message.
                    let link = &mut links[l];
                    let q = if rng.below(2) == 0 {
                        &mut link.to_a
                    } else {
                        &mut link.to_b
                    };
                    if !q.is_empty() {
                        let i = rng.below(q.len());
                        q.remove(i);
                    }
                }
                3 => {
                    // Duplicate a message.
                    let link = &mut links[l];
                    let q = if rng.below(2) == 0 {
                        &mut link.to_a
                    } else {
                        &mut link.to_b
                    };
                    if !q.is_empty() {
                        let i = rng.below(q.len());
                        let copy = q[i].clone();
                        q.push_back(copy);
                    }
                }
                4 => {
                    // Disconnect and reconnect with fresh sync state.
                    generation += 1;
                    let (a, b) = (links[l].a, links[l].b);
                    links[l] = Link::open(&mut peers, a, b, generation);
                }
                _ => {
                    // Deliver, sometimes out of order.
                    let link = &mut links[l];
                    let to_b = rng.below(2) == 0;
                    let len = if to_b {
                        link.to_b.len()
                    } else {
                        link.to_a.len()
                    };
                    if len > 0 {
                        let i = if rng.below(4) == 0 { rng.below(len) } else { 0 };
                        if link.deliver(&mut peers, to_b, i).is_err() {
                            generation += 1;
                            let (a, b) = (link.a, link.b);
                            *link = Link::open(&mut peers, a, b, generation);
                        }
                    }
                }
            }
        }
        // Faults stop: every link reconnects and runs to quiet, in order, until nothing changes.
        for (i, link) in links.iter_mut().enumerate() {
            generation += 1;
            *link = Link::open(&mut peers, link.a, link.b, generation + i as u32);
        }
        for _pass in 0..n {
            for link in &mut links {
                let mut steps = 0;
                while !link.quiet() {
                    let to_b = !link.to_b.is_empty();
                    link.deliver(&mut peers, to_b, 0)
                        .expect("an ordered, lossless link has no protocol errors");
                    steps += 1;
                    assert!(steps < 10_000, "seed {seed}: link never went quiet");
                }
                let (a, b) = (link.a, link.b);
                link.push_local(&mut peers, a);
                link.push_local(&mut peers, b);
                while !link.quiet() {
                    let to_b = !link.to_b.is_empty();
                    link.deliver(&mut peers, to_b, 0)
                        .expect("an ordered, lossless link has no protocol errors");
                }
            }
        }
        let heads: Vec<_> = peers
            .iter_mut()
            .map(|p| p.docs.get_mut(&DOC).unwrap().get_heads())
            .collect();
        for (i, h) in heads.iter().enumerate() {
            assert_eq!(
                h, &heads[0],
                "seed {seed} (MOOT_SYNC_SEED): peer {i} differs after reconnecting"
            );
        }
        let texts: Vec<String> = peers
            .iter()
            .map(|p| {
                let d = &p.docs[&DOC];
                d.get(ROOT, "text")
                    .unwrap()
                    .map(|(_, t)| d.text(&t).unwrap())
                    .unwrap_or_default()
            })
            .collect();
        assert!(texts.iter().all(|t| t == &texts[0]), "seed {seed}");
    }
}

#[test]
fn reconnect_with_persisted_sync_state_sends_only_what_changed() {
    let mut base = AutoCommit::new();
    let text = base.put_object(ROOT, "text", ObjType::Text).unwrap();
    // A workspace with some history: 2000 edits in 200 changes.
    for i in 0..200 {
        for j in 0..10 {
            base.splice_text(&text, (i * 10 + j) / 2, 0, "x").unwrap();
        }
        base.commit();
    }
    for n in [1usize, 10, 1000] {
        let mut fork = |actor: u8| {
            base.fork()
                .with_actor(automerge::ActorId::from(vec![actor; 16]))
        };
        // Offline edits on A, then a reconnect restoring the saved sync states.
        let Reconnect {
            cost:
                Exchange {
                    sent_a,
                    sent_b,
                    round_trips,
                },
            offline_bytes: raw,
            a,
            b,
        } = reconnect(DOC, fork(1), fork(2), |doc| {
            let text = doc.get(ROOT, "text").unwrap().unwrap().1;
            for i in 0..n {
                doc.splice_text(&text, i % 100, 0, "y").unwrap();
                doc.commit();
            }
            Ok::<_, SyncError>(())
        })
        .unwrap();
        let total = sent_a + sent_b;
        let bound = raw * 11 / 10 + 1024;
        println!(
            "reconnect after {n:>4} offline edits: raw change bytes {raw:>7}, sent {total:>7} (a→b {sent_a}, b→a {sent_b}), bound 1.1×raw+1kB = {bound}, {round_trips} exchanges"
        );
        assert_eq!(a.get_heads_sorted(), b.get_heads_sorted());
        assert!(
            total <= bound,
            "sent {total} bytes for {raw} raw bytes of changes"
        );
    }
}

trait SortedHeads {
    fn get_heads_sorted(&self) -> Vec<automerge::ChangeHash>;
}

impl SortedHeads for AutoCommit {
    fn get_heads_sorted(&self) -> Vec<automerge::ChangeHash> {
        let mut h = self.clone().get_heads();
        h.sort();
        h
    }
}

#[test]
fn a_newcomer_gets_the_whole_document_for_about_its_saved_size() {
    let mut doc = AutoCommit::new();
    let text = doc.put_object(ROOT, "text", ObjType::Text).unwrap();
    let mut rng = Rng(7);
    for i in 0..3000u64 {
        let c = char::from(b'a' + (rng.next() % 26) as u8).to_string();
        doc.splice_text(&text, (rng.next() % (i + 1)) as usize, 0, &c)
            .unwrap();
        doc.commit();
    }
    let saved = doc.save().len();
    let (cost, got) = fetch(DOC, &doc).unwrap();
    println!(
        "newcomer: {} B for a {saved} B document in {} round trips",
        cost.total(),
        cost.round_trips
    );
    assert_eq!(got.get_heads_sorted(), doc.get_heads_sorted());
    // The document once, plus the protocol's framing (ids, heads): not a summary of every change.
    assert!(
        cost.total() * 100 <= saved * 105 + 51_200,
        "{} B sent for {saved} B saved",
        cost.total()
    );
}
