//! Two connections wired back to back in memory: for tests and benchmarks that count what
//! the protocol sends, with no sockets in the way.

use std::collections::{BTreeMap, VecDeque};

use automerge::AutoCommit;

use crate::{Connection, DocumentId, Documents, SyncError};

fn meta(name: &str) -> crate::PeerMetadata {
    crate::PeerMetadata {
        storage_id: Some(format!("storage-{name}")),
        is_ephemeral: Some(false),
    }
}

/// What one exchange to quiet cost.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Exchange {
    /// Bytes of the frames the dialer (`a`) sent.
    pub sent_a: usize,
    /// Bytes of the frames the acceptor (`b`) sent.
    pub sent_b: usize,
    /// Times the frames went a → b and back.
    pub round_trips: usize,
}

impl Exchange {
    pub fn total(&self) -> usize {
        self.sent_a + self.sent_b
    }
}

/// Delivers `first` (frames from `a`, such as its `join`) to `b`, and every answer back and
/// forth, until neither side has anything to send.
pub fn exchange(
    a: &mut Connection,
    b: &mut Connection,
    docs_a: &mut impl Documents,
    docs_b: &mut impl Documents,
    first: Vec<Vec<u8>>,
) -> Result<Exchange, SyncError> {
    let mut cost = Exchange::default();
    let mut to_b: VecDeque<Vec<u8>> = first.into();
    let mut to_a: VecDeque<Vec<u8>> = VecDeque::new();
    while !to_a.is_empty() || !to_b.is_empty() {
        cost.round_trips += 1;
        while let Some(frame) = to_b.pop_front() {
            cost.sent_a += frame.len();
            to_a.extend(b.receive(&frame, docs_b)?.0);
        }
        while let Some(frame) = to_a.pop_front() {
            cost.sent_b += frame.len();
            to_b.extend(a.receive(&frame, docs_a)?.0);
        }
    }
    Ok(cost)
}

/// A peer holding nothing fetches document `id` from a host that has `doc`: the cost of the
/// request and answers (not the handshake before them), and what the newcomer ended with.
pub fn fetch(
    id: crate::DocumentId,
    doc: &automerge::AutoCommit,
) -> Result<(Exchange, automerge::AutoCommit), SyncError> {
    let mut have = BTreeMap::from([(id, doc.clone())]);
    let mut want = BTreeMap::new();
    let (mut newcomer, join) = Connection::dial("newcomer", meta("newcomer"), "1");
    let mut host = Connection::accept("host", meta("host"), "1");
    exchange(&mut newcomer, &mut host, &mut want, &mut have, vec![join])?;
    let mut empty = automerge::AutoCommit::new();
    let request = newcomer.request_document(id, &mut empty);
    want.insert(id, empty);
    let cost = exchange(&mut newcomer, &mut host, &mut want, &mut have, request)?;
    let got = want.remove(&id).unwrap_or_default();
    Ok((cost, got))
}

/// What [`reconnect`] found.
#[derive(Debug)]
pub struct Reconnect {
    /// The sync after the second handshake (the handshake is not sync cost: the app opens one
    /// per connection).
    pub cost: Exchange,
    /// Bytes of the changes made offline, as automerge stores them.
    pub offline_bytes: usize,
    pub a: AutoCommit,
    pub b: AutoCommit,
}

/// Two peers holding `a` and `b` of document `id` sync to quiet and keep what each knows of the
/// other (as the app keeps its relay's); `offline` changes `a` meanwhile; then they reconnect,
/// each restoring what it kept.
pub fn reconnect<E: From<SyncError>>(
    id: DocumentId,
    a: AutoCommit,
    b: AutoCommit,
    offline: impl FnOnce(&mut AutoCommit) -> Result<(), E>,
) -> Result<Reconnect, E> {
    let mut docs_a = BTreeMap::from([(id, a)]);
    let mut docs_b = BTreeMap::from([(id, b)]);
    let saved = {
        let (mut a, join) = Connection::dial("a", meta("a"), "1");
        let mut b = Connection::accept("b", meta("b"), "1");
        let first = docs_a
            .get_mut(&id)
            .map(|doc| a.sync_document(id, doc))
            .unwrap_or_default();
        exchange(
            &mut a,
            &mut b,
            &mut docs_a,
            &mut docs_b,
            [vec![join], first].concat(),
        )?;
        (a.sync_state(&id), b.sync_state(&id))
    };

    let doc = docs_a.get_mut(&id).expect("a's document");
    let before = doc.get_heads();
    offline(doc)?;
    let offline_bytes = doc
        .get_changes(&before)
        .iter()
        .map(|c| c.raw_bytes().len())
        .sum();

    let (mut a, join) = Connection::dial("a", meta("a"), "2");
    let mut b = Connection::accept("b", meta("b"), "2");
    if let (Some(sa), Some(sb)) = &saved {
        a.restore_sync_state(id, sa)?;
        b.restore_sync_state(id, sb)?;
    }
    exchange(&mut a, &mut b, &mut docs_a, &mut docs_b, vec![join])?;
    let first = docs_a
        .get_mut(&id)
        .map(|doc| a.sync_document(id, doc))
        .unwrap_or_default();
    let cost = exchange(&mut a, &mut b, &mut docs_a, &mut docs_b, first)?;
    Ok(Reconnect {
        cost,
        offline_bytes,
        a: docs_a.remove(&id).unwrap_or_default(),
        b: docs_b.remove(&id).unwrap_or_default(),
    })
}
