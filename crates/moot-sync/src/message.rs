//! automerge-repo protocol v1 messages: one CBOR map per frame, string keys, byte strings.
//!
//! Decoding is strict about what it needs (types, required fields, non-empty `data`) and
//! lenient about what it does not (unknown keys are skipped), so newer peers can add fields.

use minicbor::{Decoder, Encoder, data::Type};

use crate::DocumentId;

pub const PROTOCOL_VERSION: &str = "1";

/// What a peer says about itself in `join` and `peer`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PeerMetadata {
    pub storage_id: Option<String>,
    pub is_ephemeral: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    Join {
        sender_id: String,
        peer_metadata: PeerMetadata,
        supported_protocol_versions: Vec<String>,
    },
    Peer {
        sender_id: String,
        target_id: String,
        peer_metadata: PeerMetadata,
        selected_protocol_version: String,
    },
    Leave {
        sender_id: String,
    },
    Error {
        sender_id: String,
        target_id: Option<String>,
        message: String,
    },
    /// The first sync message from a peer that does not have the document.
    Request {
        sender_id: String,
        target_id: String,
        document_id: DocumentId,
        data: Vec<u8>,
    },
    Sync {
        sender_id: String,
        target_id: String,
        document_id: DocumentId,
        data: Vec<u8>,
    },
    DocUnavailable {
        sender_id: String,
        target_id: String,
        document_id: DocumentId,
    },
    /// Application payload (CBOR) not stored in the document: presence, cursors.
    Ephemeral {
        sender_id: String,
        target_id: String,
        document_id: DocumentId,
        session_id: String,
        count: u64,
        data: Vec<u8>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("malformed CBOR: {0}")]
    Cbor(String),
    #[error("a message must be a CBOR map")]
    NotAMap,
    #[error("message has no type")]
    NoType,
    #[error("unknown message type {0:?}")]
    UnknownType(String),
    #[error("{kind} message is missing {field}")]
    Missing {
        kind: &'static str,
        field: &'static str,
    },
    #[error("{kind} message has an empty data field")]
    EmptyData { kind: &'static str },
    #[error("bad document id: {0}")]
    DocumentId(#[from] crate::DocumentIdError),
    #[error("{0} bytes after the message")]
    TrailingBytes(usize),
    #[error("{field} is longer than {max}")]
    TooLong { field: &'static str, max: usize },
    #[error("bad sync data: {0}")]
    SyncData(#[from] crate::chunks::InflateError),
}

/// The largest frame any transport accepts (relay socket, direct link, tab channel), in
/// bytes: a peer cannot make a tab or the relay buffer and decode more than this at once.
pub const MAX_FRAME: usize = 64 * 1024 * 1024;

/// The longest peer id, session id or protocol version a message may carry (automerge-repo's
/// are a few dozen characters). Bounded so that a peer cannot make every table keyed by them
/// (ephemeral de-duplication, presence) as large as a frame.
pub const MAX_ID_LEN: usize = 256;
/// The longest `error` message text kept.
pub const MAX_ERROR_LEN: usize = 4096;
/// At most this many `supportedProtocolVersions` (an empty string is one byte of CBOR and a
/// dozen of memory: an unbounded list lets a small frame take gigabytes).
pub const MAX_VERSIONS: u64 = 16;

/// Checks a frame's envelope without reading its message: one CBOR map whose id fields are
/// text within the limits [`Message::decode`] applies, and nothing after it. For a relay that
/// hands frames to another implementation (samod, which base58-decodes `documentId` in time
/// quadratic in its length under a repo-wide lock): message types it does not know pass.
///
/// The automerge sync message inside a `sync` or `request` frame is checked too: its changes
/// must inflate to at most [`crate::chunks::MAX_INFLATED`] bytes (automerge inflates with no
/// limit).
pub fn check_envelope(frame: &[u8]) -> Result<(), DecodeError> {
    read_envelope(frame)?.check_data()
}

/// What [`read_envelope`] read of a frame: its type, the ids a relay keeps tables by, and its
/// `data`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Envelope<'a> {
    pub kind: Option<&'a str>,
    pub document_id: Option<&'a str>,
    pub session_id: Option<&'a str>,
    /// Who the frame says sent it (a relay holds a connection to the peer it joined as).
    pub sender_id: Option<&'a str>,
    pub data: Option<&'a [u8]>,
}

impl Envelope<'_> {
    /// The automerge sync message of a `sync` or `request` frame, if this is one.
    pub fn sync_data(&self) -> Option<&[u8]> {
        matches!(self.kind, Some("sync" | "request"))
            .then_some(self.data)
            .flatten()
    }

    /// The rest of [`check_envelope`]: sync data must not inflate past
    /// [`crate::chunks::MAX_INFLATED`] (costly for a large frame: a relay may run it off its
    /// async workers).
    pub fn check_data(&self) -> Result<(), DecodeError> {
        if let Some(data) = self.sync_data() {
            crate::chunks::check_sync_message(data, crate::chunks::MAX_INFLATED)?;
        }
        Ok(())
    }
}

/// [`check_envelope`] without the sync data check ([`Envelope::check_data`]), returning what
/// it read.
pub fn read_envelope(frame: &[u8]) -> Result<Envelope<'_>, DecodeError> {
    let mut envelope = Envelope::default();
    read_map(frame, |key, d| match (key, id_limit(key)) {
        (_, Some((field, max))) => {
            let value = bounded_str(d, field, max)?;
            match key {
                "documentId" => envelope.document_id = Some(value),
                "sessionId" => envelope.session_id = Some(value),
                "senderId" => envelope.sender_id = Some(value),
                _ => {}
            }
            Ok(true)
        }
        ("type", None) if d.datatype()? == Type::String => {
            envelope.kind = Some(bounded_str(d, "type", MAX_ID_LEN)?);
            Ok(true)
        }
        ("data", None) if d.datatype()? == Type::Bytes => {
            envelope.data = Some(d.bytes()?);
            Ok(true)
        }
        _ => Ok(false),
    })?;
    Ok(envelope)
}

/// The id fields a peer chooses, with their limits: they key tables (de-duplication,
/// presence), and samod base58-decodes `documentId`.
fn id_limit(key: &str) -> Option<(&'static str, usize)> {
    Some(match key {
        "documentId" => ("documentId", crate::MAX_ID_CHARS),
        "senderId" => ("senderId", MAX_ID_LEN),
        "targetId" => ("targetId", MAX_ID_LEN),
        "sessionId" => ("sessionId", MAX_ID_LEN),
        "selectedProtocolVersion" => ("selectedProtocolVersion", MAX_ID_LEN),
        _ => return None,
    })
}

/// Walks a frame's one CBOR map: `field` gets each string key with the decoder at its value
/// and says whether it read the value (the rest are skipped). Not a map, malformed CBOR or
/// bytes after the map are errors.
fn read_map<'b>(
    frame: &'b [u8],
    mut field: impl FnMut(&'b str, &mut Decoder<'b>) -> Result<bool, DecodeError>,
) -> Result<(), DecodeError> {
    if frame.len() > MAX_FRAME {
        return Err(DecodeError::TooLong {
            field: "frame",
            max: MAX_FRAME,
        });
    }
    let mut d = Decoder::new(frame);
    if d.datatype()? != Type::Map && d.datatype()? != Type::MapIndef {
        return Err(DecodeError::NotAMap);
    }
    let len = d.map()?;
    each(&mut d, len, |d| {
        if d.datatype()? != Type::String {
            d.skip()?;
            d.skip()?;
            return Ok(());
        }
        let key = d.str()?;
        if !field(key, d)? {
            d.skip()?;
        }
        Ok(())
    })?;
    if d.position() != frame.len() {
        return Err(DecodeError::TrailingBytes(frame.len() - d.position()));
    }
    Ok(())
}

fn bounded<'b>(
    d: &mut Decoder<'b>,
    field: &'static str,
    max: usize,
) -> Result<String, DecodeError> {
    bounded_str(d, field, max).map(str::to_owned)
}

fn bounded_str<'b>(
    d: &mut Decoder<'b>,
    field: &'static str,
    max: usize,
) -> Result<&'b str, DecodeError> {
    let s = d.str()?;
    if s.len() > max {
        return Err(DecodeError::TooLong { field, max });
    }
    Ok(s)
}

impl From<minicbor::decode::Error> for DecodeError {
    fn from(e: minicbor::decode::Error) -> Self {
        DecodeError::Cbor(e.to_string())
    }
}

impl Message {
    pub fn kind(&self) -> &'static str {
        match self {
            Message::Join { .. } => "join",
            Message::Peer { .. } => "peer",
            Message::Leave { .. } => "leave",
            Message::Error { .. } => "error",
            Message::Request { .. } => "request",
            Message::Sync { .. } => "sync",
            Message::DocUnavailable { .. } => "doc-unavailable",
            Message::Ephemeral { .. } => "ephemeral",
        }
    }

    pub fn sender_id(&self) -> &str {
        match self {
            Message::Join { sender_id, .. }
            | Message::Peer { sender_id, .. }
            | Message::Leave { sender_id }
            | Message::Error { sender_id, .. }
            | Message::Request { sender_id, .. }
            | Message::Sync { sender_id, .. }
            | Message::DocUnavailable { sender_id, .. }
            | Message::Ephemeral { sender_id, .. } => sender_id,
        }
    }

    /// The CBOR frame for this message.
    pub fn encode(&self) -> Vec<u8> {
        let mut e = Encoder::new(Vec::new());
        self.write(&mut e).expect("writing to a Vec cannot fail");
        e.into_writer()
    }

    fn write(
        &self,
        e: &mut Encoder<Vec<u8>>,
    ) -> Result<(), minicbor::encode::Error<std::convert::Infallible>> {
        let metadata = |e: &mut Encoder<Vec<u8>>,
                        m: &PeerMetadata|
         -> Result<(), minicbor::encode::Error<std::convert::Infallible>> {
            e.map(u64::from(m.storage_id.is_some()) + u64::from(m.is_ephemeral.is_some()))?;
            if let Some(s) = &m.storage_id {
                e.str("storageId")?.str(s)?;
            }
            if let Some(b) = m.is_ephemeral {
                e.str("isEphemeral")?.bool(b)?;
            }
            Ok(())
        };
        match self {
            Message::Join {
                sender_id,
                peer_metadata,
                supported_protocol_versions,
            } => {
                e.map(4)?
                    .str("type")?
                    .str("join")?
                    .str("senderId")?
                    .str(sender_id)?
                    .str("peerMetadata")?;
                metadata(e, peer_metadata)?;
                e.str("supportedProtocolVersions")?
                    .array(supported_protocol_versions.len() as u64)?;
                for v in supported_protocol_versions {
                    e.str(v)?;
                }
            }
            Message::Peer {
                sender_id,
                target_id,
                peer_metadata,
                selected_protocol_version,
            } => {
                e.map(5)?
                    .str("type")?
                    .str("peer")?
                    .str("senderId")?
                    .str(sender_id)?
                    .str("targetId")?
                    .str(target_id)?;
                e.str("peerMetadata")?;
                metadata(e, peer_metadata)?;
                e.str("selectedProtocolVersion")?
                    .str(selected_protocol_version)?;
            }
            Message::Leave { sender_id } => {
                e.map(2)?
                    .str("type")?
                    .str("leave")?
                    .str("senderId")?
                    .str(sender_id)?;
            }
            Message::Error {
                sender_id,
                target_id,
                message,
            } => {
                e.map(3 + u64::from(target_id.is_some()))?
                    .str("type")?
                    .str("error")?
                    .str("senderId")?
                    .str(sender_id)?;
                if let Some(t) = target_id {
                    e.str("targetId")?.str(t)?;
                }
                e.str("message")?.str(message)?;
            }
            Message::Request {
                sender_id,
                target_id,
                document_id,
                data,
            }
            | Message::Sync {
                sender_id,
                target_id,
                document_id,
                data,
            } => {
                e.map(5)?
                    .str("type")?
                    .str(self.kind())?
                    .str("senderId")?
                    .str(sender_id)?
                    .str("targetId")?
                    .str(target_id)?;
                e.str("documentId")?
                    .str(&document_id.to_string())?
                    .str("data")?
                    .bytes(data)?;
            }
            Message::DocUnavailable {
                sender_id,
                target_id,
                document_id,
            } => {
                e.map(4)?
                    .str("type")?
                    .str("doc-unavailable")?
                    .str("senderId")?
                    .str(sender_id)?
                    .str("targetId")?
                    .str(target_id)?;
                e.str("documentId")?.str(&document_id.to_string())?;
            }
            Message::Ephemeral {
                sender_id,
                target_id,
                document_id,
                session_id,
                count,
                data,
            } => {
                e.map(7)?
                    .str("type")?
                    .str("ephemeral")?
                    .str("senderId")?
                    .str(sender_id)?
                    .str("targetId")?
                    .str(target_id)?;
                e.str("documentId")?
                    .str(&document_id.to_string())?
                    .str("sessionId")?
                    .str(session_id)?;
                e.str("count")?.u64(*count)?.str("data")?.bytes(data)?;
            }
        }
        Ok(())
    }

    /// Decodes one frame. Malformed input is an error, never a panic.
    pub fn decode(frame: &[u8]) -> Result<Self, DecodeError> {
        let mut f = Fields::default();
        read_map(frame, |key, d| {
            if let Some((field, max)) = id_limit(key) {
                let value = Some(bounded(d, field, max)?);
                match key {
                    "documentId" => f.document_id = value,
                    "senderId" => f.sender_id = value,
                    "targetId" => f.target_id = value,
                    "sessionId" => f.session_id = value,
                    _ => f.selected = value,
                }
                return Ok(true);
            }
            match key {
                "type" => f.kind = Some(d.str()?.to_owned()),
                "message" => f.message = Some(bounded(d, "message", MAX_ERROR_LEN)?),
                "count" => f.count = Some(d.u64()?),
                "data" => f.data = Some(d.bytes()?.to_vec()),
                "peerMetadata" => f.metadata = Some(decode_metadata(d)?),
                "supportedProtocolVersions" => {
                    let mut versions = Vec::new();
                    let n = d.array()?;
                    each(d, n, |d| {
                        if versions.len() as u64 >= MAX_VERSIONS {
                            return Err(DecodeError::TooLong {
                                field: "supportedProtocolVersions",
                                max: MAX_VERSIONS as usize,
                            });
                        }
                        versions.push(bounded(d, "supportedProtocolVersions", MAX_ID_LEN)?);
                        Ok(())
                    })?;
                    f.versions = Some(versions);
                }
                _ => return Ok(false),
            }
            Ok(true)
        })?;
        f.into_message()
    }
}

/// Calls `item` once per entry of a map or array whose header (`len`: definite or
/// indefinite) was just read.
fn each<'b>(
    d: &mut Decoder<'b>,
    len: Option<u64>,
    mut item: impl FnMut(&mut Decoder<'b>) -> Result<(), DecodeError>,
) -> Result<(), DecodeError> {
    let mut read = 0u64;
    loop {
        match len {
            Some(n) if read == n => return Ok(()),
            None if d.datatype()? == Type::Break => {
                d.skip()?;
                return Ok(());
            }
            _ => {}
        }
        read += 1;
        item(d)?;
    }
}

fn decode_metadata(d: &mut Decoder<'_>) -> Result<PeerMetadata, DecodeError> {
    let mut m = PeerMetadata::default();
    if d.datatype()? == Type::Null || d.datatype()? == Type::Undefined {
        d.skip()?;
        return Ok(m);
    }
    let len = d.map()?;
    each(d, len, |d| {
        if d.datatype()? != Type::String {
            d.skip()?;
            d.skip()?;
            return Ok(());
        }
        match d.str()? {
            "storageId" if d.datatype()? == Type::String => {
                m.storage_id = Some(bounded(d, "storageId", MAX_ID_LEN)?)
            }
            "isEphemeral" if d.datatype()? == Type::Bool => m.is_ephemeral = Some(d.bool()?),
            _ => d.skip()?,
        }
        Ok(())
    })?;
    Ok(m)
}

#[derive(Default)]
struct Fields {
    kind: Option<String>,
    sender_id: Option<String>,
    target_id: Option<String>,
    document_id: Option<String>,
    session_id: Option<String>,
    message: Option<String>,
    selected: Option<String>,
    count: Option<u64>,
    data: Option<Vec<u8>>,
    metadata: Option<PeerMetadata>,
    versions: Option<Vec<String>>,
}

impl Fields {
    fn into_message(self) -> Result<Message, DecodeError> {
        let kind = self.kind.ok_or(DecodeError::NoType)?;
        let kind_name: &'static str = match kind.as_str() {
            "join" => "join",
            "peer" => "peer",
            "leave" => "leave",
            "error" => "error",
            "request" => "request",
            "sync" => "sync",
            "doc-unavailable" => "doc-unavailable",
            "ephemeral" => "ephemeral",
            _ => return Err(DecodeError::UnknownType(kind)),
        };
        let need = |v: Option<String>, field: &'static str| {
            v.ok_or(DecodeError::Missing {
                kind: kind_name,
                field,
            })
        };
        let sender_id = need(self.sender_id, "senderId")?;
        let doc = |v: Option<String>| -> Result<DocumentId, DecodeError> {
            Ok(DocumentId::parse(&v.ok_or(DecodeError::Missing {
                kind: kind_name,
                field: "documentId",
            })?)?)
        };
        let data = |v: Option<Vec<u8>>| match v {
            None => Err(DecodeError::Missing {
                kind: kind_name,
                field: "data",
            }),
            Some(d) if d.is_empty() => Err(DecodeError::EmptyData { kind: kind_name }),
            Some(d) => Ok(d),
        };
        Ok(match kind_name {
            "join" => Message::Join {
                sender_id,
                peer_metadata: self.metadata.unwrap_or_default(),
                supported_protocol_versions: self.versions.ok_or(DecodeError::Missing {
                    kind: kind_name,
                    field: "supportedProtocolVersions",
                })?,
            },
            "peer" => Message::Peer {
                sender_id,
                target_id: need(self.target_id, "targetId")?,
                peer_metadata: self.metadata.unwrap_or_default(),
                selected_protocol_version: need(self.selected, "selectedProtocolVersion")?,
            },
            "leave" => Message::Leave { sender_id },
            "error" => Message::Error {
                sender_id,
                target_id: self.target_id,
                message: self.message.unwrap_or_default(),
            },
            "request" => Message::Request {
                sender_id,
                target_id: need(self.target_id, "targetId")?,
                document_id: doc(self.document_id)?,
                data: data(self.data)?,
            },
            "sync" => Message::Sync {
                sender_id,
                target_id: need(self.target_id, "targetId")?,
                document_id: doc(self.document_id)?,
                data: data(self.data)?,
            },
            "doc-unavailable" => Message::DocUnavailable {
                sender_id,
                target_id: need(self.target_id, "targetId")?,
                document_id: doc(self.document_id)?,
            },
            _ => Message::Ephemeral {
                sender_id,
                target_id: need(self.target_id, "targetId")?,
                document_id: doc(self.document_id)?,
                session_id: need(self.session_id, "sessionId")?,
                count: self.count.ok_or(DecodeError::Missing {
                    kind: kind_name,
                    field: "count",
                })?,
                data: data(self.data)?,
            },
        })
    }
}
