//! Two connections wired back to back in memory: for tests and benchmarks that count what
//! the protocol sends, with no sockets in the way.

use std::collections::VecDeque;

use crate::{Connection, Documents, SyncError};

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
    use std::collections::BTreeMap;
    let meta = |name: &str| crate::PeerMetadata {
        storage_id: Some(format!("storage-{name}")),
        is_ephemeral: Some(false),
    };
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
