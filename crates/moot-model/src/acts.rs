//! The history of decision acts, read from the changes themselves.
//!
//! Any writer can delete a key of an automerge document or write over it, so a ballot, a
//! delegation or a close read from the document as it stands is only as safe as the least
//! careful editor. The changes that wrote them cannot be deleted: in a private workspace each
//! is signed by its author's key. This index keeps, for every change whose message names a
//! decision act (`"vote by …"`, [`LABELS`]), the string values it put into maps and the maps
//! it made, with their op ids; the decision reader takes a person's slot from their own
//! writes, whatever another key did to it later (see `decisions.rs`). It also keeps every
//! change's dependencies, so "was this written before that close" is a walk in memory.
//!
//! The index grows with the document: with `&mut` access from change metadata (cheap; only
//! changes named like acts are decoded), and with `&self` (a read after a sync that wrote
//! through `doc_mut`) by walking back from the heads to what it has seen.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use automerge::legacy::{Key, ObjectId, OpType};
use automerge::{AutoCommit, Change, ChangeHash, ObjType, ReadDoc, ScalarValue};

/// The kinds of change (their messages' labels) that write decision acts.
pub(crate) const LABELS: [&str; 5] = [
    "open a decision",
    "vote",
    "delegate",
    "close a decision",
    "delegate on a topic",
];

pub(crate) const OPEN: usize = 0;
pub(crate) const TOPIC: usize = 4;

/// Writes kept from one change: an honest act writes one or two; the rest of a hostile change
/// named like an act is not read.
const MAX_WRITES: usize = 64;
/// Longest value kept (a slot's limit in `decisions.rs`; longer ones are unreadable anyway).
const MAX_VALUE: usize = 40_000;
const MAX_KEY: usize = 200;

/// One value an act's change put into a map (or a map it made there).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Write {
    pub change: ChangeHash,
    /// The label of the change's message (an index into [`LABELS`]).
    pub label: usize,
    /// The op's id, as automerge prints it (`counter@actor`).
    pub id: String,
    pub counter: u64,
    pub actor: String,
    /// A string put; `None` for a map made under the key.
    pub value: Option<String>,
    /// The value read as a ballot, once (a write never changes; a tally reads every voter's).
    pub ballot: std::sync::OnceLock<Option<crate::decisions::BallotValue>>,
}

impl Write {
    /// Op ids sort as automerge orders them (counter, then actor).
    pub fn order(&self) -> (u64, &str) {
        (self.counter, self.actor.as_str())
    }
}

/// Change hashes are SHA-256: their first eight bytes are as good a hash as any, and far
/// cheaper than SipHash over all 32 (a tally asks "before the close?" once per ballot).
#[derive(Default, Clone, Copy)]
pub(crate) struct HashPrefix(u64);

impl std::hash::Hasher for HashPrefix {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8).take(1) {
            let mut b = [0u8; 8];
            b[..chunk.len()].copy_from_slice(chunk);
            self.0 ^= u64::from_le_bytes(b);
        }
    }
}

/// A set of change hashes, hashed by their prefix.
pub(crate) type Hashes = HashSet<ChangeHash, std::hash::BuildHasherDefault<HashPrefix>>;

#[derive(Debug, Clone, Default)]
pub(crate) struct Index {
    heads: Vec<ChangeHash>,
    deps: HashMap<ChangeHash, Vec<ChangeHash>, std::hash::BuildHasherDefault<HashPrefix>>,
    /// Object written into (`counter@actor`) → key → writes, oldest change first.
    writes: HashMap<String, BTreeMap<String, Vec<Write>>>,
    /// A close's change → every change in its past (and itself).
    pasts: HashMap<ChangeHash, Arc<Hashes>>,
    /// Per label, each object its changes wrote into → the first such change (so a read
    /// need not walk every ballot to find the maps acts of one kind wrote into).
    objects: [BTreeMap<String, ChangeHash>; LABELS.len()],
}

pub(crate) type Acts = std::cell::RefCell<Index>;

fn label_of(message: Option<&str>) -> Option<usize> {
    let label = crate::history::split_message(message?).0;
    LABELS.iter().position(|l| *l == label)
}

impl Index {
    /// Brings the index up to `doc`'s heads, with `&mut` access: from change metadata, decoding
    /// only the changes named like acts.
    pub fn update_mut(&mut self, doc: &mut AutoCommit) {
        let heads = doc.get_heads();
        if heads == self.heads {
            return;
        }
        // A document replaced by one that lacks what was seen: start again.
        if self
            .heads
            .iter()
            .any(|h| doc.get_change_meta_by_hash(h).is_none())
        {
            *self = Index::default();
        }
        let known = self.heads.clone();
        let metas: Vec<(ChangeHash, Vec<ChangeHash>, Option<usize>)> = doc
            .get_changes_meta(&known)
            .into_iter()
            .map(|m| (m.hash, m.deps, label_of(m.message.as_deref())))
            .collect();
        for (hash, deps, label) in metas {
            if self.deps.insert(hash, deps).is_some() {
                continue;
            }
            if let Some(label) = label
                && let Some(change) = ReadDoc::get_change_by_hash(doc, &hash)
            {
                self.take(&change, label);
            }
        }
        self.heads = heads;
    }

    /// Brings the index up to `doc`'s heads with shared access: walks back from the heads to
    /// the changes already seen (after a sync, a few).
    pub fn update(&mut self, doc: &AutoCommit) {
        let heads = automerge::transaction::Transactable::base_heads(doc);
        if heads == self.heads {
            return;
        }
        let mut stack: Vec<ChangeHash> = heads
            .iter()
            .filter(|h| !self.deps.contains_key(h))
            .copied()
            .collect();
        while let Some(hash) = stack.pop() {
            if self.deps.contains_key(&hash) {
                continue;
            }
            let Some(change) = ReadDoc::get_change_by_hash(doc, &hash) else {
                continue;
            };
            let deps = change.deps().to_vec();
            stack.extend(deps.iter().filter(|d| !self.deps.contains_key(d)));
            self.deps.insert(hash, deps);
            if let Some(label) = label_of(change.message()) {
                self.take(&change, label);
            }
        }
        self.heads = heads;
    }

    fn take(&mut self, change: &Change, label: usize) {
        let actor = change.actor_id().to_hex_string();
        let start = change.start_op().get();
        let mut kept = 0;
        for (i, op) in change.decode().operations.into_iter().enumerate() {
            let ObjectId::Id(obj) = &op.obj else {
                continue;
            };
            let Key::Map(key) = &op.key else {
                continue;
            };
            let value = match &op.action {
                OpType::Put(ScalarValue::Str(s)) if s.len() <= MAX_VALUE => Some(s.to_string()),
                OpType::Make(ObjType::Map) => None,
                _ => continue,
            };
            if key.len() > MAX_KEY || op.insert {
                continue;
            }
            kept += 1;
            if kept > MAX_WRITES {
                break;
            }
            let counter = start + i as u64;
            self.objects[label]
                .entry(obj.to_string())
                .or_insert(change.hash());
            self.writes
                .entry(obj.to_string())
                .or_default()
                .entry(key.to_string())
                .or_default()
                .push(Write {
                    change: change.hash(),
                    label,
                    id: format!("{counter}@{actor}"),
                    counter,
                    actor: actor.clone(),
                    value,
                    ballot: Default::default(),
                });
        }
    }

    /// Every key of `obj` some act wrote, with its writes.
    pub fn keys_of(&self, obj: &str) -> Option<&BTreeMap<String, Vec<Write>>> {
        self.writes.get(obj)
    }

    /// The writes into `obj[key]`.
    pub fn writes(&self, obj: &str, key: &str) -> &[Write] {
        self.writes
            .get(obj)
            .and_then(|k| k.get(key))
            .map(Vec::as_slice)
            .unwrap_or_default()
    }

    /// Each object that changes labelled `label` wrote into, with the first such change.
    pub fn objects_written(&self, label: usize) -> impl Iterator<Item = (&str, ChangeHash)> {
        self.objects[label].iter().map(|(o, h)| (o.as_str(), *h))
    }

    /// `close` and every change in its past.
    pub fn past(&mut self, close: ChangeHash) -> Arc<Hashes> {
        if let Some(p) = self.pasts.get(&close) {
            return p.clone();
        }
        let mut seen = Hashes::default();
        let mut stack = vec![close];
        while let Some(h) = stack.pop() {
            if seen.insert(h)
                && let Some(deps) = self.deps.get(&h)
            {
                stack.extend(deps.iter().filter(|d| !seen.contains(d)));
            }
        }
        let seen = Arc::new(seen);
        self.pasts.insert(close, seen.clone());
        seen
    }
}
