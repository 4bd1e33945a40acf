//! `Connection::receive` after a real handshake: the input is a run of frames (2-byte length
//! prefixes); each gives output, events or an error, never a panic.
#![no_main]
use automerge::AutoCommit;
use libfuzzer_sys::fuzz_target;
use moot_sync::{Connection, DocumentId, Message, PeerMetadata, Single};

fuzz_target!(|data: &[u8]| {
    let id = DocumentId::from_bytes([7; 16]);
    let mut doc = AutoCommit::new();
    let mut relay = Connection::accept("relay", PeerMetadata::default(), "s");
    let join = Message::Join {
        sender_id: "peer".into(),
        peer_metadata: PeerMetadata::default(),
        supported_protocol_versions: vec!["1".into()],
    };
    relay
        .receive(&join.encode(), &mut Single { id, doc: &mut doc })
        .expect("a join is accepted");
    let mut rest = data;
    while rest.len() >= 2 {
        let n = usize::from(u16::from_le_bytes([rest[0], rest[1]])).min(rest.len() - 2);
        let (frame, tail) = rest[2..].split_at(n);
        let _ = relay.receive(frame, &mut Single { id, doc: &mut doc });
        let _ = relay.sync_document(id, &mut doc);
        rest = tail;
    }
});
