//! Document ids: bs58check of 16 random bytes; URLs `automerge:<id>`.

use std::fmt;

const URL_PREFIX: &str = "automerge:";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DocumentId([u8; 16]);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DocumentIdError {
    #[error("not an automerge URL (expected automerge:<id>): {0}")]
    NotAnAutomergeUrl(String),
    #[error("not a valid document id (bad base58 or checksum): {0}")]
    BadEncoding(String),
    #[error("a document id has 16 bytes, this one has {0}")]
    WrongLength(usize),
    #[error("not a document id: {0} characters, at most {MAX_ID_CHARS}")]
    TooLong(usize),
}

/// The longest text [`DocumentId::parse`] decodes: the bs58check of 16 bytes plus a 4-byte
/// checksum is at most 28 characters; a little slack, nothing near a frame's size.
pub const MAX_ID_CHARS: usize = 40;

impl DocumentId {
    /// The caller supplies the 16 random bytes (this crate reads no randomness).
    pub fn from_bytes(bytes: [u8; 16]) -> Self {
        Self(bytes)
    }

    /// For constants.
    pub const fn from_bytes_const(bytes: [u8; 16]) -> Self {
        Self(bytes)
    }

    pub fn as_bytes(&self) -> &[u8; 16] {
        &self.0
    }

    /// Parses the bs58check form, e.g. `4NMNnkMhL8jXrdJ9jamS58PAVdXu`. Anything longer than
    /// [`MAX_ID_CHARS`] is refused before decoding: base58 decoding is quadratic in the length,
    /// and a peer or a link chooses it.
    pub fn parse(s: &str) -> Result<Self, DocumentIdError> {
        let s = s.trim();
        if s.len() > MAX_ID_CHARS {
            return Err(DocumentIdError::TooLong(s.len()));
        }
        let bytes = bs58::decode(s)
            .with_check(None)
            .into_vec()
            .map_err(|_| DocumentIdError::BadEncoding(s.to_owned()))?;
        let array: [u8; 16] = bytes
            .as_slice()
            .try_into()
            .map_err(|_| DocumentIdError::WrongLength(bytes.len()))?;
        Ok(Self(array))
    }

    /// Parses `automerge:<id>` (a trailing `#heads` part, as automerge-repo allows, is ignored).
    pub fn from_url(url: &str) -> Result<Self, DocumentIdError> {
        let id = url
            .trim()
            .strip_prefix(URL_PREFIX)
            .ok_or_else(|| DocumentIdError::NotAnAutomergeUrl(url.to_owned()))?;
        Self::parse(id.split('#').next().unwrap_or(id))
    }

    pub fn to_url(&self) -> String {
        format!("{URL_PREFIX}{self}")
    }
}

impl fmt::Display for DocumentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&bs58::encode(self.0).with_check().into_string())
    }
}

impl std::str::FromStr for DocumentId {
    type Err = DocumentIdError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}
