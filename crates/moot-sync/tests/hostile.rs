//! What a hostile peer or link can send: every field it chooses is bounded before it costs
//! time or memory (audit C1–C4).
#![cfg(not(target_arch = "wasm32"))]

mod common;

use automerge::AutoCommit;
use common::{bomb, frame};
use moot_sync::direct::{Invitation, InvitationError, Joiner, MAX_FRAME, PIECE, PieceError};
use moot_sync::{
    Connection, DecodeError, DocumentId, DocumentIdError, Event, MAX_ID_CHARS, MAX_ID_LEN, Message,
    PeerMetadata, Single, SyncError,
};

fn doc() -> DocumentId {
    DocumentId::from_bytes(*b"0123456789abcdef")
}

#[test]
fn long_ids_and_codes_are_refused_before_decoding() {
    // bs58 decoding is quadratic: 2 MB of '2' would take hours. Refused unread, so at once.
    let huge = "2".repeat(2_000_000);
    assert_eq!(
        DocumentId::parse(&huge),
        Err(DocumentIdError::TooLong(2_000_000))
    );
    assert!(DocumentId::from_url(&format!("automerge:{huge}")).is_err());
    assert!(DocumentId::parse(&"2".repeat(MAX_ID_CHARS + 1)).is_err());
    // The longest real id still parses.
    let id = DocumentId::from_bytes([255; 16]).to_string();
    assert!(id.len() <= MAX_ID_CHARS);
    assert_eq!(DocumentId::parse(&id).unwrap().to_string(), id);

    for code in [
        format!("moot-offer:{huge}"),
        format!("moot-answer:{huge}"),
        format!("http://x/#/connect/moot-offer:{}", "2".repeat(20_000)),
        format!("moot-offer:{}", " ".repeat(3_000_000)),
    ] {
        assert_eq!(Invitation::parse(&code), Err(InvitationError::TooLong));
    }
}

#[test]
fn a_small_frame_cannot_ask_for_much_memory() {
    // 50 000 empty version strings in 50 KB of frame: refused, not a 600 KB Vec (or, from a
    // 256 MiB direct-link frame, gigabytes).
    let versions = frame(|e| {
        e.map(3).unwrap();
        e.str("type").unwrap().str("join").unwrap();
        e.str("senderId").unwrap().str("a").unwrap();
        e.str("supportedProtocolVersions").unwrap();
        e.array(50_000).unwrap();
        for _ in 0..50_000 {
            e.str("").unwrap();
        }
    });
    assert!(matches!(
        Message::decode(&versions),
        Err(DecodeError::TooLong {
            field: "supportedProtocolVersions",
            ..
        })
    ));
    // The same as an indefinite array.
    let indefinite = frame(|e| {
        e.map(3).unwrap();
        e.str("type").unwrap().str("join").unwrap();
        e.str("senderId").unwrap().str("a").unwrap();
        e.str("supportedProtocolVersions").unwrap();
        e.begin_array().unwrap();
        for _ in 0..50_000 {
            e.str("").unwrap();
        }
        e.end().unwrap();
    });
    assert!(matches!(
        Message::decode(&indefinite),
        Err(DecodeError::TooLong { .. })
    ));

    // Ids a peer picks are bounded: they key tables (de-duplication, presence).
    let long = "s".repeat(MAX_ID_LEN + 1);
    for field in ["senderId", "targetId", "sessionId"] {
        let f = frame(|e| {
            e.map(7).unwrap();
            e.str("type").unwrap().str("ephemeral").unwrap();
            for key in ["senderId", "targetId", "sessionId"] {
                e.str(key).unwrap();
                e.str(if key == field { &long } else { "x" }).unwrap();
            }
            e.str("documentId")
                .unwrap()
                .str(&doc().to_string())
                .unwrap();
            e.str("count").unwrap().u64(1).unwrap();
            e.str("data").unwrap().bytes(&[1]).unwrap();
        });
        assert!(
            matches!(Message::decode(&f), Err(DecodeError::TooLong { field: f, .. }) if f == field),
            "{field}"
        );
    }
    let long_doc = frame(|e| {
        e.map(5).unwrap();
        e.str("type").unwrap().str("sync").unwrap();
        e.str("senderId").unwrap().str("a").unwrap();
        e.str("targetId").unwrap().str("b").unwrap();
        e.str("documentId")
            .unwrap()
            .str(&"2".repeat(1_000_000))
            .unwrap();
        e.str("data").unwrap().bytes(&[1]).unwrap();
    });
    assert!(matches!(
        Message::decode(&long_doc),
        Err(DecodeError::TooLong {
            field: "documentId",
            ..
        })
    ));
}

fn joined() -> Connection {
    let mut conn = Connection::accept("relay", PeerMetadata::default(), "s0");
    let join = Message::Join {
        sender_id: "peer".into(),
        peer_metadata: PeerMetadata::default(),
        supported_protocol_versions: vec!["1".into()],
    };
    let mut d = AutoCommit::new();
    conn.receive(
        &join.encode(),
        &mut Single {
            id: doc(),
            doc: &mut d,
        },
    )
    .unwrap();
    conn
}

fn ephemeral(sender: &str, session: &str, count: u64) -> Vec<u8> {
    Message::Ephemeral {
        sender_id: sender.into(),
        target_id: "relay".into(),
        document_id: doc(),
        session_id: session.into(),
        count,
        data: vec![1],
    }
    .encode()
}

#[test]
fn ephemeral_messages_need_a_handshake_and_their_table_stays_bounded() {
    let mut d = AutoCommit::new();
    let mut docs = Single {
        id: doc(),
        doc: &mut d,
    };
    let mut fresh = Connection::accept("relay", PeerMetadata::default(), "s0");
    assert!(matches!(
        fresh.receive(&ephemeral("peer", "a", 1), &mut docs),
        Err(SyncError::Protocol(_))
    ));

    let mut conn = joined();
    let delivered = |out: moot_sync::Output| {
        out.1
            .iter()
            .filter(|e| matches!(e, Event::Ephemeral { .. }))
            .count()
    };
    // A flood of fresh session ids: each is delivered once, and memory stays bounded (the
    // table is cleared when full, so an old sender's repeat gets through once more at most).
    for i in 0..10 * moot_sync::MAX_EPHEMERAL_SENDERS {
        let out = conn
            .receive(&ephemeral("peer", &format!("s{i}"), 1), &mut docs)
            .unwrap();
        assert_eq!(delivered(out), 1);
    }
    assert!(conn.ephemeral_senders() <= moot_sync::MAX_EPHEMERAL_SENDERS);
    // De-duplication still works for a live sender.
    assert_eq!(
        delivered(
            conn.receive(&ephemeral("peer", "live", 5), &mut docs)
                .unwrap()
        ),
        1
    );
    assert_eq!(
        delivered(
            conn.receive(&ephemeral("peer", "live", 5), &mut docs)
                .unwrap()
        ),
        0
    );
}

#[test]
fn a_direct_link_cannot_buffer_more_than_one_frame_limit() {
    let mut joiner = Joiner::default();
    let piece: Vec<u8> = std::iter::once(0u8) // MORE
        .chain(std::iter::repeat_n(7u8, PIECE - 1))
        .collect();
    let mut refused = None;
    for i in 0..(MAX_FRAME / (PIECE - 1) + 2) {
        if let Err(e) = joiner.push(&piece) {
            refused = Some((i, e));
            break;
        }
    }
    let (at, error) = refused.expect("the joiner refuses a frame over the limit");
    assert_eq!(error, PieceError::TooLarge);
    assert_eq!(at, MAX_FRAME / (PIECE - 1));
    assert!(joiner.buffered() == 0, "the partial frame is dropped");
    // The link still works after the refusal.
    assert_eq!(joiner.push(&[1, 5]), Ok(Some(vec![5])));
}

/// A valid join padded with an unknown byte-string field to exactly `len` bytes.
fn join_of_len(len: usize) -> Vec<u8> {
    let mut f = frame(|e| {
        e.map(4).unwrap();
        e.str("type").unwrap().str("join").unwrap();
        e.str("senderId").unwrap().str("a").unwrap();
        e.str("supportedProtocolVersions").unwrap();
        e.array(1).unwrap().str("1").unwrap();
        e.str("pad").unwrap();
    });
    let pad = len - f.len() - 5;
    f.push(0x5a); // CBOR byte string with a 4-byte length
    f.extend_from_slice(&u32::try_from(pad).unwrap().to_be_bytes());
    f.resize(len, 0);
    f
}

#[test]
fn a_frame_over_the_limit_is_refused_by_every_transport() {
    // Refused whole, before any field is read, by the codec, the relay's envelope check and a
    // connection (relay socket, tab channel, direct link all go through `receive`).
    let big = join_of_len(MAX_FRAME + 1);
    let too_long = DecodeError::TooLong {
        field: "frame",
        max: MAX_FRAME,
    };
    assert_eq!(Message::decode(&big).unwrap_err(), too_long);
    assert_eq!(moot_sync::check_envelope(&big).unwrap_err(), too_long);
    let mut relay = Connection::accept("relay", PeerMetadata::default(), "s");
    let mut workspace = AutoCommit::new();
    let err = relay
        .receive(
            &big,
            &mut Single {
                id: doc(),
                doc: &mut workspace,
            },
        )
        .unwrap_err();
    assert!(matches!(
        err,
        SyncError::Decode(DecodeError::TooLong { field: "frame", .. })
    ));
    // At the limit it is an ordinary join.
    let at_limit = join_of_len(MAX_FRAME);
    assert!(matches!(
        Message::decode(&at_limit),
        Ok(Message::Join { .. })
    ));
    assert!(moot_sync::check_envelope(&at_limit).is_ok());
}

#[test]
fn a_decompression_bomb_is_refused_before_automerge_inflates_it() {
    let (chunk, sync_data) = bomb(256 << 20);
    assert!(chunk.len() < 1 << 20, "{} bytes", chunk.len());
    let too_large = moot_sync::chunks::InflateError::TooLarge {
        max: moot_sync::chunks::MAX_INFLATED,
    };
    // As a file (import) and as a sync message.
    let max = moot_sync::chunks::MAX_INFLATED;
    assert_eq!(
        moot_sync::chunks::check(&chunk, max),
        Err(too_large.clone())
    );
    assert_eq!(
        moot_sync::chunks::check_sync_message(&sync_data, max),
        Err(too_large.clone())
    );
    let frame = Message::Sync {
        sender_id: "peer".into(),
        target_id: "relay".into(),
        document_id: doc(),
        data: sync_data,
    }
    .encode();
    // The relay's check, and a connection (relay socket, tab, direct link).
    assert_eq!(
        moot_sync::check_envelope(&frame),
        Err(DecodeError::SyncData(too_large))
    );
    let mut conn = joined();
    let mut workspace = AutoCommit::new();
    let before = workspace.get_heads();
    let err = conn
        .receive(
            &frame,
            &mut Single {
                id: doc(),
                doc: &mut workspace,
            },
        )
        .unwrap_err();
    assert!(
        matches!(&err, SyncError::BadSyncMessage { reason, .. } if reason.contains("inflates")),
        "{err}"
    );
    assert_eq!(workspace.get_heads(), before, "nothing was applied");
}

/// Audit M4: a change forged under this device's actor and next seq is reported as
/// `Squatted`, and the work rebased under a fresh actor then syncs.
#[test]
fn a_squatted_seq_is_reported_and_rebased_work_syncs() {
    use automerge::{ActorId, ROOT, ReadDoc, transaction::Transactable};
    let me = ActorId::from(vec![1; 16]);
    let mut mine = AutoCommit::new().with_actor(me.clone());
    mine.put(ROOT, "minutes", "agreed").unwrap();
    mine.commit();
    let mut relay_doc = mine.fork().with_actor(ActorId::from(vec![9; 16]));
    mine.put(ROOT, "offline", "typed on the train").unwrap();
    mine.commit();
    let mut evil = relay_doc.fork().with_actor(me.clone());
    evil.put(ROOT, "forged", "by E").unwrap();
    evil.commit();
    relay_doc.merge(&mut evil).unwrap();

    let id = doc();
    let err = pump(id, &mut mine, &mut relay_doc).expect_err("the forged change is refused");
    let SyncError::Squatted { seq, .. } = err else {
        panic!("expected Squatted, got {err}");
    };
    assert_eq!(seq, 2);

    let mut rebased =
        moot_sync::rebase::rebase(&mut mine, &me, seq, ActorId::from(vec![2; 16])).unwrap();
    pump(id, &mut rebased, &mut relay_doc).expect("the rebased work syncs");
    assert_eq!(rebased.get_heads(), relay_doc.get_heads());
    let offline = relay_doc.get(ROOT, "offline").unwrap().unwrap().0;
    assert_eq!(
        offline.as_str(),
        Some("typed on the train"),
        "nothing typed is lost"
    );
}

/// A fresh dialer (with `mine`) and acceptor (with `theirs`) exchange frames until quiet; the
/// acceptor drops frames it refuses, as a relay would. The dialer's first error, if any.
fn pump(id: DocumentId, mine: &mut AutoCommit, theirs: &mut AutoCommit) -> Result<(), SyncError> {
    let (mut dialer, join) = Connection::dial("me", PeerMetadata::default(), "s1");
    let mut relay = Connection::accept("relay", PeerMetadata::default(), "s2");
    let (mut to_relay, mut to_me) = (vec![join], Vec::new());
    for _ in 0..40 {
        for f in std::mem::take(&mut to_relay) {
            if let Ok((out, _)) = relay.receive(&f, &mut Single { id, doc: theirs }) {
                to_me.extend(out);
            }
        }
        for f in std::mem::take(&mut to_me) {
            let (out, events) = dialer.receive(&f, &mut Single { id, doc: mine })?;
            to_relay.extend(out);
            if events.iter().any(|e| matches!(e, Event::Connected(_))) {
                to_relay.extend(dialer.sync_document(id, mine));
            }
        }
        if to_relay.is_empty() && to_me.is_empty() {
            break;
        }
    }
    Ok(())
}
