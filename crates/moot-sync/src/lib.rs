//! The automerge-repo network protocol v1 for moot: CBOR messages and document ids, sans-IO
//! (bytes in, bytes out). The browser app, the relay's load generator and tests each drive it
//! with their own I/O.
//!
//! ```
//! use moot_sync::{DocumentId, Message};
//!
//! let doc = DocumentId::from_bytes([7; 16]);
//! let url = doc.to_url();
//! assert_eq!(DocumentId::from_url(&url).unwrap(), doc);
//!
//! let msg = Message::Sync { sender_id: "a".into(), target_id: "b".into(), document_id: doc, data: vec![1, 2, 3] };
//! let frame = msg.encode();
//! assert_eq!(Message::decode(&frame).unwrap(), msg);
//! ```

pub mod backoff;
pub mod chunks;
mod connection;
pub mod direct;
mod document_id;
pub mod loopback;
mod message;
mod presence;
pub mod rebase;
pub mod sealed;

pub use connection::{
    Connection, Documents, Event, MAX_EPHEMERAL_SENDERS, Output, Remote, Single, SyncError,
};
pub use document_id::{DocumentId, DocumentIdError, MAX_ID_CHARS};
pub use message::{
    DecodeError, Envelope, MAX_ERROR_LEN, MAX_FRAME, MAX_ID_LEN, MAX_VERSIONS, Message,
    PROTOCOL_VERSION, PeerMetadata, check_envelope, read_envelope,
};
pub use presence::Presence;
