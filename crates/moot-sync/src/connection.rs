//! One connection to one remote peer, sans-IO: frames in, frames and events out.
//!
//! Works as the dialing side (sends `join`, waits for `peer`) or the accepting side (answers a
//! `join` with `peer`), so the same code serves a relay connection, a browser tab and a direct
//! peer. Each document synced over the connection has an automerge `sync::State`; its
//! persistent part can be saved keyed by the remote's storage id, so a reconnect sends only
//! what changed instead of a full Bloom-filter exchange.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use automerge::{
    AutoCommit,
    sync::{self, SyncDoc},
};

use crate::{DecodeError, DocumentId, Message, PROTOCOL_VERSION, PeerMetadata};

/// Where this connection's peer keeps its documents.
pub trait Documents {
    /// The document, if this peer has it.
    fn get_mut(&mut self, id: &DocumentId) -> Option<&mut AutoCommit>;
    /// An empty document to receive `id` into (called when the remote sends a document we
    /// asked for).
    fn create(&mut self, id: &DocumentId) -> &mut AutoCommit;
}

impl Documents for HashMap<DocumentId, AutoCommit> {
    fn get_mut(&mut self, id: &DocumentId) -> Option<&mut AutoCommit> {
        HashMap::get_mut(self, id)
    }
    fn create(&mut self, id: &DocumentId) -> &mut AutoCommit {
        self.entry(*id).or_default()
    }
}

impl Documents for BTreeMap<DocumentId, AutoCommit> {
    fn get_mut(&mut self, id: &DocumentId) -> Option<&mut AutoCommit> {
        BTreeMap::get_mut(self, id)
    }
    fn create(&mut self, id: &DocumentId) -> &mut AutoCommit {
        self.entry(*id).or_default()
    }
}

/// A single document (a peer that has one workspace open, or is fetching one).
pub struct Single<'a> {
    pub id: DocumentId,
    pub doc: &'a mut AutoCommit,
}

impl Documents for Single<'_> {
    fn get_mut(&mut self, id: &DocumentId) -> Option<&mut AutoCommit> {
        (*id == self.id).then_some(&mut *self.doc)
    }
    fn create(&mut self, _: &DocumentId) -> &mut AutoCommit {
        &mut *self.doc
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Remote {
    pub peer_id: String,
    pub metadata: PeerMetadata,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// The handshake finished.
    Connected(Remote),
    /// Changes from the remote were applied to this document.
    DocumentChanged(DocumentId),
    /// The remote does not have a document we asked for.
    Unavailable(DocumentId),
    /// An ephemeral (not stored) message, already deduplicated.
    Ephemeral {
        document_id: DocumentId,
        sender_id: String,
        data: Vec<u8>,
    },
    /// The remote reported an error and will close.
    RemoteError(String),
    /// The remote said goodbye.
    Left,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SyncError {
    #[error("bad frame: {0}")]
    Decode(#[from] DecodeError),
    #[error("the peer supports none of our protocol versions ({0:?})")]
    UnsupportedVersion(Vec<String>),
    #[error("protocol violation: {0}")]
    Protocol(String),
    #[error("bad sync message for {document}: {reason}")]
    BadSyncMessage {
        document: DocumentId,
        reason: String,
    },
    #[error("bad saved sync state: {0}")]
    BadSyncState(String),
    /// The peer sent a change made under this document's own actor with a sequence number
    /// this device has used too: a forgery (changes are unsigned) that blocks this device's
    /// real changes until they are replayed under a fresh actor ([`crate::rebase::rebase`]).
    #[error("a change in {document} claims this device's change number {seq}")]
    Squatted { document: DocumentId, seq: u64 },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    Dialer,
    Acceptor,
}

#[derive(Default)]
struct DocSync {
    state: sync::State,
    /// We asked for it and it has not arrived (send `request`, not `sync`).
    requested: bool,
    /// This side opens the exchange for it once connected (a restored state alone does not).
    open_on_connect: bool,
    /// The remote asked for it holding nothing: the whole document goes to it without our
    /// "have" summary (a Bloom filter of every change, ~12% of the document, and of no use to
    /// a peer with nothing to offer back).
    remote_is_empty: bool,
}

/// At most this many (sender, session) pairs are remembered for ephemeral de-duplication.
pub const MAX_EPHEMERAL_SENDERS: usize = 1024;

/// One connection's protocol state.
pub struct Connection {
    side: Side,
    our_id: String,
    our_metadata: PeerMetadata,
    remote: Option<Remote>,
    docs: BTreeMap<DocumentId, DocSync>,
    session_id: String,
    ephemeral_sent: u64,
    /// Highest ephemeral count seen per (sender, session): later duplicates are dropped.
    ephemeral_seen: HashMap<(String, String), u64>,
}

/// Frames to send and events to act on, from one call.
pub type Output = (Vec<Vec<u8>>, Vec<Event>);

impl Connection {
    /// The side that opens the connection: returns the `join` frame to send first.
    /// `session_id` identifies this run of the app for ephemeral messages (the caller makes it).
    pub fn dial(our_id: &str, metadata: PeerMetadata, session_id: &str) -> (Self, Vec<u8>) {
        let conn = Self::new(Side::Dialer, our_id, metadata.clone(), session_id);
        let join = Message::Join {
            sender_id: our_id.to_owned(),
            peer_metadata: metadata,
            supported_protocol_versions: vec![PROTOCOL_VERSION.to_owned()],
        };
        (conn, join.encode())
    }

    /// The side that accepts: waits for `join` and answers `peer`.
    pub fn accept(our_id: &str, metadata: PeerMetadata, session_id: &str) -> Self {
        Self::new(Side::Acceptor, our_id, metadata, session_id)
    }

    fn new(side: Side, our_id: &str, our_metadata: PeerMetadata, session_id: &str) -> Self {
        Self {
            side,
            our_id: our_id.to_owned(),
            our_metadata,
            remote: None,
            docs: BTreeMap::new(),
            session_id: session_id.to_owned(),
            ephemeral_sent: 0,
            ephemeral_seen: HashMap::new(),
        }
    }

    pub fn remote(&self) -> Option<&Remote> {
        self.remote.as_ref()
    }

    /// How many (sender, session) pairs ephemeral de-duplication remembers now.
    pub fn ephemeral_senders(&self) -> usize {
        self.ephemeral_seen.len()
    }

    pub fn is_connected(&self) -> bool {
        self.remote.is_some()
    }

    /// Starts syncing `id` (or pushes local changes to it). Returns the frame to send, if any;
    /// before the handshake the document is remembered and synced once connected.
    pub fn sync_document(&mut self, id: DocumentId, doc: &mut AutoCommit) -> Vec<Vec<u8>> {
        self.docs.entry(id).or_default().open_on_connect = true;
        self.generate(id, doc).into_iter().collect()
    }

    /// Asks the remote for a document this peer does not have (`doc` is empty).
    pub fn request_document(&mut self, id: DocumentId, doc: &mut AutoCommit) -> Vec<Vec<u8>> {
        let entry = self.docs.entry(id).or_default();
        entry.requested = true;
        entry.open_on_connect = true;
        self.generate(id, doc).into_iter().collect()
    }

    fn generate(&mut self, id: DocumentId, doc: &mut AutoCommit) -> Option<Vec<u8>> {
        let target_id = self.remote.as_ref()?.peer_id.clone();
        let entry = self.docs.entry(id).or_default();
        let mut message = doc.sync().generate_sync_message(&mut entry.state)?;
        if entry.remote_is_empty
            && matches!(message.version, sync::MessageVersion::V2)
            && !message.changes.is_empty()
        {
            message.have.clear();
            entry.remote_is_empty = false;
        }
        let data = message.encode();
        let sender_id = self.our_id.clone();
        Some(
            if entry.requested {
                Message::Request {
                    sender_id,
                    target_id,
                    document_id: id,
                    data,
                }
            } else {
                Message::Sync {
                    sender_id,
                    target_id,
                    document_id: id,
                    data,
                }
            }
            .encode(),
        )
    }

    /// Handles one frame from the remote.
    pub fn receive(
        &mut self,
        frame: &[u8],
        documents: &mut impl Documents,
    ) -> Result<Output, SyncError> {
        let message = Message::decode(frame)?;
        let is_request = matches!(message, Message::Request { .. });
        let mut out = Vec::new();
        let mut events = Vec::new();
        match message {
            Message::Join {
                sender_id,
                peer_metadata,
                supported_protocol_versions,
            } => {
                if self.remote.as_ref().is_some_and(|r| r.peer_id == sender_id) {
                    return Ok((out, events)); // a repeated join: already answered
                }
                if self.side != Side::Acceptor || self.remote.is_some() {
                    return Err(SyncError::Protocol("unexpected join".into()));
                }
                if !supported_protocol_versions
                    .iter()
                    .any(|v| v == PROTOCOL_VERSION)
                {
                    return Err(SyncError::UnsupportedVersion(supported_protocol_versions));
                }
                out.push(
                    Message::Peer {
                        sender_id: self.our_id.clone(),
                        target_id: sender_id.clone(),
                        peer_metadata: self.our_metadata.clone(),
                        selected_protocol_version: PROTOCOL_VERSION.to_owned(),
                    }
                    .encode(),
                );
                self.connected(
                    Remote {
                        peer_id: sender_id,
                        metadata: peer_metadata,
                    },
                    documents,
                    &mut out,
                    &mut events,
                );
            }
            Message::Peer {
                sender_id,
                peer_metadata,
                selected_protocol_version,
                ..
            } => {
                if self.remote.as_ref().is_some_and(|r| r.peer_id == sender_id) {
                    return Ok((out, events)); // a repeated peer message: already connected
                }
                if self.side != Side::Dialer || self.remote.is_some() {
                    return Err(SyncError::Protocol("unexpected peer message".into()));
                }
                if selected_protocol_version != PROTOCOL_VERSION {
                    return Err(SyncError::UnsupportedVersion(vec![
                        selected_protocol_version,
                    ]));
                }
                self.connected(
                    Remote {
                        peer_id: sender_id,
                        metadata: peer_metadata,
                    },
                    documents,
                    &mut out,
                    &mut events,
                );
            }
            Message::Request {
                sender_id,
                document_id,
                data,
                ..
            }
            | Message::Sync {
                sender_id,
                document_id,
                data,
                ..
            } => {
                self.check_sender(&sender_id)?;
                let sync_message =
                    sync::Message::decode(&data).map_err(|e| SyncError::BadSyncMessage {
                        document: document_id,
                        reason: e.to_string(),
                    })?;
                // automerge would inflate compressed changes with no limit.
                crate::chunks::check_message(&sync_message, crate::chunks::MAX_INFLATED).map_err(
                    |e| SyncError::BadSyncMessage {
                        document: document_id,
                        reason: e.to_string(),
                    },
                )?;
                let requested = self.docs.get(&document_id).is_some_and(|d| d.requested);
                let doc = match documents.get_mut(&document_id) {
                    Some(doc) => doc,
                    None if requested => documents.create(&document_id),
                    // Asked for something we do not have: say so rather than invent it.
                    None if is_request => {
                        out.push(
                            Message::DocUnavailable {
                                sender_id: self.our_id.clone(),
                                target_id: sender_id,
                                document_id,
                            }
                            .encode(),
                        );
                        return Ok((out, events));
                    }
                    // Offered a document nobody here opened: not ours to keep.
                    None => return Ok((out, events)),
                };
                let entry = self.docs.entry(document_id).or_default();
                entry.remote_is_empty = is_request && sync_message.heads.is_empty();
                let before = doc.get_heads();
                let ours = doc.get_actor().clone();
                doc.sync()
                    .receive_sync_message(&mut entry.state, sync_message)
                    .map_err(|e| match e {
                        // Someone published a change as this device (audit M4): the caller
                        // can replay its work under a fresh actor (`crate::rebase`).
                        automerge::AutomergeError::DuplicateSeqNumber(seq, actor)
                            if actor == ours =>
                        {
                            SyncError::Squatted {
                                document: document_id,
                                seq,
                            }
                        }
                        e => SyncError::BadSyncMessage {
                            document: document_id,
                            reason: e.to_string(),
                        },
                    })?;
                if doc.get_heads() != before {
                    entry.requested = false;
                    events.push(Event::DocumentChanged(document_id));
                }
                out.extend(self.generate(document_id, doc));
            }
            Message::DocUnavailable {
                sender_id,
                document_id,
                ..
            } => {
                self.check_sender(&sender_id)?;
                events.push(Event::Unavailable(document_id));
            }
            Message::Ephemeral {
                sender_id,
                document_id,
                session_id,
                count,
                data,
                ..
            } => {
                // Ephemeral messages belong to a connection that has said who it is.
                if self.remote.is_none() {
                    return Err(SyncError::Protocol("ephemeral message before join".into()));
                }
                // The table is keyed by what peers choose: bounded, forgotten whole when full
                // (a duplicate let through after that is harmless: presence is idempotent).
                if self.ephemeral_seen.len() >= MAX_EPHEMERAL_SENDERS
                    && !self
                        .ephemeral_seen
                        .contains_key(&(sender_id.clone(), session_id.clone()))
                {
                    self.ephemeral_seen.clear();
                }
                let last = self
                    .ephemeral_seen
                    .entry((sender_id.clone(), session_id))
                    .or_insert(0);
                if count > *last || (*last == 0 && count == 0) {
                    *last = count.max(*last);
                    events.push(Event::Ephemeral {
                        document_id,
                        sender_id,
                        data,
                    });
                }
            }
            Message::Error { message, .. } => events.push(Event::RemoteError(message)),
            Message::Leave { .. } => events.push(Event::Left),
        }
        Ok((out, events))
    }

    fn check_sender(&self, sender: &str) -> Result<(), SyncError> {
        match &self.remote {
            None => Err(SyncError::Protocol(
                "document message before the handshake".into(),
            )),
            // A relay forwards; automerge-repo servers answer as themselves, so only check
            // that someone is connected.
            Some(_) if sender.is_empty() => Err(SyncError::Protocol("empty senderId".into())),
            Some(_) => Ok(()),
        }
    }

    fn connected(
        &mut self,
        remote: Remote,
        documents: &mut impl Documents,
        out: &mut Vec<Vec<u8>>,
        events: &mut Vec<Event>,
    ) {
        events.push(Event::Connected(remote.clone()));
        self.remote = Some(remote);
        let pending: Vec<DocumentId> = self
            .docs
            .iter()
            .filter(|(_, d)| d.open_on_connect)
            .map(|(id, _)| *id)
            .collect();
        for id in pending {
            let requested = self.docs[&id].requested;
            let doc = match documents.get_mut(&id) {
                Some(doc) => doc,
                None if requested => documents.create(&id),
                None => continue,
            };
            out.extend(self.generate(id, doc));
        }
    }

    /// An ephemeral message to the remote (presence, cursors): `data` is the app's CBOR.
    pub fn ephemeral(&mut self, document_id: DocumentId, data: Vec<u8>) -> Option<Vec<u8>> {
        let target_id = self.remote.as_ref()?.peer_id.clone();
        self.ephemeral_sent += 1;
        Some(
            Message::Ephemeral {
                sender_id: self.our_id.clone(),
                target_id,
                document_id,
                session_id: self.session_id.clone(),
                count: self.ephemeral_sent,
                data,
            }
            .encode(),
        )
    }

    /// The persistent part of the sync state with the remote for `id` (what they have).
    pub fn sync_state(&self, id: &DocumentId) -> Option<Vec<u8>> {
        self.docs.get(id).map(|d| d.state.encode())
    }

    /// Restores a saved sync state (from [`Self::sync_state`] of an earlier connection to the
    /// same remote storage id), so only changes they lack are sent.
    pub fn restore_sync_state(&mut self, id: DocumentId, saved: &[u8]) -> Result<(), SyncError> {
        let state =
            sync::State::decode(saved).map_err(|e| SyncError::BadSyncState(e.to_string()))?;
        self.docs.entry(id).or_default().state = state;
        Ok(())
    }

    /// Whether the remote is known to have exactly `heads` of `id` (everything we have).
    pub fn is_synced(&self, id: &DocumentId, heads: &[automerge::ChangeHash]) -> bool {
        self.docs.get(id).is_some_and(|d| {
            let mut shared = d.state.shared_heads.clone();
            let mut ours = heads.to_vec();
            shared.sort();
            ours.sort();
            shared == ours
        })
    }

    /// The heads the remote is known to have of `id` (from the sync state).
    pub fn shared_heads(&self, id: &DocumentId) -> Option<Vec<automerge::ChangeHash>> {
        self.docs.get(id).map(|d| d.state.shared_heads.clone())
    }

    /// Documents this connection syncs.
    pub fn documents(&self) -> BTreeSet<DocumentId> {
        self.docs.keys().copied().collect()
    }
}
