//! The message codec: every message round-trips; malformed frames are typed errors, never panics.
#![cfg(not(target_arch = "wasm32"))]

mod common;

use common::frame;
use minicbor::Encoder;
use moot_sync::{DecodeError, DocumentId, DocumentIdError, Message, PeerMetadata};
use proptest::prelude::*;

fn doc() -> DocumentId {
    DocumentId::from_bytes(*b"0123456789abcdef")
}

fn all_messages() -> Vec<Message> {
    let meta = PeerMetadata {
        storage_id: Some("storage-1".into()),
        is_ephemeral: Some(false),
    };
    vec![
        Message::Join {
            sender_id: "a".into(),
            peer_metadata: meta.clone(),
            supported_protocol_versions: vec!["1".into()],
        },
        Message::Join {
            sender_id: "a".into(),
            peer_metadata: PeerMetadata::default(),
            supported_protocol_versions: vec![],
        },
        Message::Peer {
            sender_id: "s".into(),
            target_id: "a".into(),
            peer_metadata: meta,
            selected_protocol_version: "1".into(),
        },
        Message::Leave {
            sender_id: "a".into(),
        },
        Message::Error {
            sender_id: "s".into(),
            target_id: Some("a".into()),
            message: "unsupported protocol version".into(),
        },
        Message::Error {
            sender_id: "s".into(),
            target_id: None,
            message: "bye".into(),
        },
        Message::Request {
            sender_id: "a".into(),
            target_id: "s".into(),
            document_id: doc(),
            data: vec![0x42, 1, 2],
        },
        Message::Sync {
            sender_id: "a".into(),
            target_id: "s".into(),
            document_id: doc(),
            data: vec![0x42; 1000],
        },
        Message::DocUnavailable {
            sender_id: "s".into(),
            target_id: "a".into(),
            document_id: doc(),
        },
        Message::Ephemeral {
            sender_id: "a".into(),
            target_id: "s".into(),
            document_id: doc(),
            session_id: "x1".into(),
            count: 7,
            data: vec![0xa0],
        },
    ]
}

#[test]
fn every_message_round_trips() {
    for msg in all_messages() {
        let frame = msg.encode();
        assert_eq!(Message::decode(&frame).unwrap(), msg, "{}", msg.kind());
    }
}

#[test]
fn frames_match_the_automerge_repo_wire_shape() {
    let frame = Message::Sync {
        sender_id: "a".into(),
        target_id: "s".into(),
        document_id: doc(),
        data: vec![9],
    }
    .encode();
    // A definite-length map of five text keys; data is an untagged byte string.
    assert_eq!(frame[0], 0xa5);
    let text = String::from_utf8_lossy(&frame);
    for key in ["type", "sync", "senderId", "targetId", "documentId", "data"] {
        assert!(text.contains(key), "{key}");
    }
    assert!(frame.ends_with(&[0x41, 9]), "data is a 1-byte byte string");
    assert!(!frame.contains(&0xd8), "no CBOR tags");
}

#[test]
fn unknown_keys_are_skipped_and_indefinite_lengths_read() {
    let mut e = Encoder::new(Vec::new());
    e.begin_map().unwrap();
    e.str("type").unwrap().str("leave").unwrap();
    e.str("futureField")
        .unwrap()
        .array(2)
        .unwrap()
        .u8(1)
        .unwrap()
        .str("x")
        .unwrap();
    e.u32(12).unwrap().str("non-string key").unwrap();
    e.str("senderId").unwrap().str("peer-9").unwrap();
    e.end().unwrap();
    assert_eq!(
        Message::decode(&e.into_writer()).unwrap(),
        Message::Leave {
            sender_id: "peer-9".into()
        }
    );
}

#[test]
fn malformed_frames_are_typed_errors() {
    assert!(matches!(Message::decode(&[]), Err(DecodeError::Cbor(_))));
    assert!(matches!(
        Message::decode(b"hello"),
        Err(DecodeError::NotAMap | DecodeError::Cbor(_))
    ));
    assert_eq!(
        Message::decode(&frame(|e| {
            e.array(0).unwrap();
        })),
        Err(DecodeError::NotAMap)
    );
    assert_eq!(
        Message::decode(&frame(|e| {
            e.map(0).unwrap();
        })),
        Err(DecodeError::NoType)
    );
    let unknown = frame(|e| {
        e.map(2)
            .unwrap()
            .str("type")
            .unwrap()
            .str("gossip")
            .unwrap()
            .str("senderId")
            .unwrap()
            .str("a")
            .unwrap();
    });
    assert_eq!(
        Message::decode(&unknown),
        Err(DecodeError::UnknownType("gossip".into()))
    );
    let no_target = frame(|e| {
        e.map(4)
            .unwrap()
            .str("type")
            .unwrap()
            .str("sync")
            .unwrap()
            .str("senderId")
            .unwrap()
            .str("a")
            .unwrap();
        e.str("documentId")
            .unwrap()
            .str(&doc().to_string())
            .unwrap()
            .str("data")
            .unwrap()
            .bytes(&[1])
            .unwrap();
    });
    assert_eq!(
        Message::decode(&no_target),
        Err(DecodeError::Missing {
            kind: "sync",
            field: "targetId"
        })
    );
    let empty = Message::Sync {
        sender_id: "a".into(),
        target_id: "s".into(),
        document_id: doc(),
        data: vec![],
    }
    .encode();
    assert_eq!(
        Message::decode(&empty),
        Err(DecodeError::EmptyData { kind: "sync" })
    );
    let empty_eph = Message::Ephemeral {
        sender_id: "a".into(),
        target_id: "s".into(),
        document_id: doc(),
        session_id: "s".into(),
        count: 1,
        data: vec![],
    }
    .encode();
    assert_eq!(
        Message::decode(&empty_eph),
        Err(DecodeError::EmptyData { kind: "ephemeral" })
    );
    let bad_doc = frame(|e| {
        e.map(4)
            .unwrap()
            .str("type")
            .unwrap()
            .str("doc-unavailable")
            .unwrap()
            .str("senderId")
            .unwrap()
            .str("a")
            .unwrap();
        e.str("targetId")
            .unwrap()
            .str("b")
            .unwrap()
            .str("documentId")
            .unwrap()
            .str("not-base58-0OIl")
            .unwrap();
    });
    assert!(matches!(
        Message::decode(&bad_doc),
        Err(DecodeError::DocumentId(_))
    ));
    let wrong_type = frame(|e| {
        e.map(2)
            .unwrap()
            .str("type")
            .unwrap()
            .u8(3)
            .unwrap()
            .str("senderId")
            .unwrap()
            .str("a")
            .unwrap();
    });
    assert!(matches!(
        Message::decode(&wrong_type),
        Err(DecodeError::Cbor(_))
    ));
    let mut trailing = Message::Leave {
        sender_id: "a".into(),
    }
    .encode();
    trailing.push(0);
    assert_eq!(
        Message::decode(&trailing),
        Err(DecodeError::TrailingBytes(1))
    );
}

#[test]
fn every_truncation_of_every_message_is_an_error() {
    for msg in all_messages() {
        let frame = msg.encode();
        for cut in 0..frame.len() {
            assert!(
                Message::decode(&frame[..cut]).is_err(),
                "{} cut at {cut}",
                msg.kind()
            );
        }
    }
}

#[test]
fn document_ids_and_urls() {
    let id = doc();
    let s = id.to_string();
    assert_eq!(s.parse::<DocumentId>().unwrap(), id);
    assert_eq!(DocumentId::from_url(&format!("automerge:{s}")).unwrap(), id);
    assert_eq!(
        DocumentId::from_url(&format!("automerge:{s}#3abc")).unwrap(),
        id
    );
    assert!(matches!(
        DocumentId::from_url(&s),
        Err(DocumentIdError::NotAnAutomergeUrl(_))
    ));
    // A one-character change breaks the checksum.
    let mut broken: Vec<char> = s.chars().collect();
    broken[3] = if broken[3] == '2' { '3' } else { '2' };
    assert!(matches!(
        DocumentId::parse(&broken.into_iter().collect::<String>()),
        Err(DocumentIdError::BadEncoding(_))
    ));
    let short = bs58::encode([1u8; 8]).with_check().into_string();
    assert_eq!(
        DocumentId::parse(&short),
        Err(DocumentIdError::WrongLength(8))
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn garbage_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
        let _ = Message::decode(&bytes);
    }

    #[test]
    fn mutated_frames_never_panic(i in 0usize..10, pos in any::<prop::sample::Index>(), byte in any::<u8>()) {
        let mut frame = all_messages()[i].encode();
        let p = pos.index(frame.len());
        frame[p] = byte;
        let _ = Message::decode(&frame);
    }
}
