//! Sealed envelopes: what a private workspace's changes travel and rest in. The header is
//! public (a relay routes, dedupes and authorises by it), the body is XChaCha20-Poly1305 under
//! the epoch's read key with a random nonce and the header as associated data, and the author's
//! device key signs the header, which holds the body's SHA-256 — so a relay checks a signature
//! without reading a word, and a header with its signature (a certificate) still proves
//! authorship after the body has been merged into a snapshot.

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use ed25519_dalek::{Signature, Signer, Verifier};
use sha2::{Digest, Sha256};

use crate::TrustError;
use crate::cbor::{Reader, done, encoder};
use crate::device::{ACTOR_LEN, DeviceKey, key_of_actor};
use crate::level::SealKey;

const VERSION: u64 = 1;
const HEADER_LEN: usize = 256;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    /// Changes `first..=last` of one actor.
    Changes = 0,
    /// A whole document as one client saw it, with the certificates of what it holds.
    Snapshot = 1,
}

/// The public part of an envelope.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Header {
    pub kind: Kind,
    pub discovery: [u8; 16],
    /// The author's actor id, bound to the key that signs (`device::key_of_actor`).
    pub actor: Vec<u8>,
    /// Sequence numbers of the actor's changes inside (a snapshot: 0 and the count of
    /// changes it holds).
    pub first: u64,
    pub last: u64,
    /// The automerge hash of change `last` (a snapshot: of its first head): with the
    /// signature, it vouches for every change of this actor up to `last`, since each one is in
    /// the history of the next.
    pub last_hash: [u8; 32],
    pub epoch: u32,
    pub nonce: [u8; 24],
    /// SHA-256 of the sealed body.
    pub body: [u8; 32],
}

impl Header {
    fn encode(&self) -> Vec<u8> {
        let mut e = encoder();
        done(
            e.array(10)
                .and_then(|e| e.u64(VERSION))
                .and_then(|e| e.u8(self.kind as u8))
                .and_then(|e| e.bytes(&self.discovery))
                .and_then(|e| e.bytes(&self.actor))
                .and_then(|e| e.u64(self.first))
                .and_then(|e| e.u64(self.last))
                .and_then(|e| e.bytes(&self.last_hash))
                .and_then(|e| e.u32(self.epoch))
                .and_then(|e| e.bytes(&self.nonce))
                .and_then(|e| e.bytes(&self.body)),
        );
        e.into_writer()
    }

    fn decode(bytes: &[u8]) -> Result<Header, TrustError> {
        let mut r = Reader::array(bytes, 10, "envelope header")?;
        if r.u64()? != VERSION {
            return Err(TrustError::Newer);
        }
        let kind = match r.u8()? {
            0 => Kind::Changes,
            1 => Kind::Snapshot,
            _ => return Err(r.bad()),
        };
        let header = Header {
            kind,
            discovery: r.fixed()?,
            actor: r.bytes(ACTOR_LEN)?.to_vec(),
            first: r.u64()?,
            last: r.u64()?,
            last_hash: r.fixed()?,
            epoch: u32::try_from(r.u64()?).map_err(|_| r.bad())?,
            nonce: r.fixed()?,
            body: r.fixed()?,
        };
        r.end()?;
        if header.kind == Kind::Changes && (header.first == 0 || header.first > header.last) {
            return Err(TrustError::Malformed("envelope range"));
        }
        Ok(header)
    }
}

fn signed_message(header: &[u8]) -> Vec<u8> {
    let mut m = b"moot/v1/envelope\0".to_vec();
    m.extend_from_slice(header);
    m
}

/// A header and its signature: proof of who wrote a range of changes, without the changes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Certificate {
    pub header: Vec<u8>,
    pub signature: [u8; 64],
}

impl Certificate {
    /// The header, if its author's key signed it.
    pub fn verify(&self) -> Result<Header, TrustError> {
        if self.header.len() > HEADER_LEN {
            return Err(TrustError::Malformed("envelope header"));
        }
        let header = Header::decode(&self.header)?;
        let key = key_of_actor(&header.actor).ok_or(TrustError::UnboundActor)?;
        key.verify(
            &signed_message(&self.header),
            &Signature::from_bytes(&self.signature),
        )
        .map_err(|_| TrustError::BadSignature)?;
        Ok(header)
    }

    /// The header without checking the signature: for certificates this device checked when
    /// it took them and stored itself.
    pub fn header_unchecked(&self) -> Result<Header, TrustError> {
        Header::decode(&self.header)
    }

    pub fn encode(&self) -> Vec<u8> {
        let mut e = encoder();
        done(
            e.array(2)
                .and_then(|e| e.bytes(&self.header))
                .and_then(|e| e.bytes(&self.signature)),
        );
        e.into_writer()
    }

    pub fn decode(bytes: &[u8]) -> Result<Certificate, TrustError> {
        let mut r = Reader::array(bytes, 2, "certificate")?;
        let c = Certificate {
            header: r.bytes(HEADER_LEN)?.to_vec(),
            signature: r.fixed()?,
        };
        r.end()?;
        Ok(c)
    }
}

/// An envelope as it travels and is stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sealed {
    pub certificate: Certificate,
    pub body: Vec<u8>,
}

/// What the author says about what they seal.
#[derive(Clone, Debug)]
pub struct Draft<'a> {
    pub kind: Kind,
    pub discovery: [u8; 16],
    pub actor: &'a [u8],
    pub first: u64,
    pub last: u64,
    pub last_hash: [u8; 32],
    pub epoch: u32,
}

impl Sealed {
    /// Seals `plain` with `key` and signs it with `author`, whose key `draft.actor` must be
    /// bound to. The nonce is the caller's randomness (24 random bytes: never reused in
    /// practice at this size).
    pub fn seal(
        draft: Draft<'_>,
        plain: &[u8],
        key: &SealKey,
        author: &DeviceKey,
        nonce: [u8; 24],
    ) -> Result<Sealed, TrustError> {
        if key_of_actor(draft.actor) != Some(author.public()) {
            return Err(TrustError::UnboundActor);
        }
        // The associated data is the header with a zero body hash (the hash of the body
        // cannot be inside what the body is sealed under); the signature covers all of it.
        let mut header = Header {
            kind: draft.kind,
            discovery: draft.discovery,
            actor: draft.actor.to_vec(),
            first: draft.first,
            last: draft.last,
            last_hash: draft.last_hash,
            epoch: draft.epoch,
            nonce,
            body: [0; 32],
        };
        let aad = header.encode();
        let body = XChaCha20Poly1305::new(&key.0.into())
            .encrypt(
                &XNonce::from(nonce),
                Payload {
                    msg: plain,
                    aad: &aad,
                },
            )
            .map_err(|_| TrustError::TooLarge)?;
        header.body = Sha256::digest(&body).into();
        let header = header.encode();
        let signature = author.signing().sign(&signed_message(&header)).to_bytes();
        Ok(Sealed {
            certificate: Certificate { header, signature },
            body,
        })
    }

    /// What a relay checks: the header is well formed, signed by its actor's key, and names
    /// this body. Who may write is the roster's question.
    pub fn verify(&self) -> Result<Header, TrustError> {
        let header = self.certificate.verify()?;
        if <[u8; 32]>::from(Sha256::digest(&self.body)) != header.body {
            return Err(TrustError::BadSignature);
        }
        Ok(header)
    }

    /// The plain body, for a holder of the epoch's key.
    pub fn open(&self, key: &SealKey) -> Result<(Header, Vec<u8>), TrustError> {
        let header = self.verify()?;
        let plain = self.open_verified(&header, key)?;
        Ok((header, plain))
    }

    /// The plain body, given the header [`Sealed::verify`] returned (no second signature check).
    pub fn open_verified(&self, header: &Header, key: &SealKey) -> Result<Vec<u8>, TrustError> {
        let header = header.clone();
        let aad = Header {
            body: [0; 32],
            ..header.clone()
        }
        .encode();
        let plain = XChaCha20Poly1305::new(&key.0.into())
            .decrypt(
                &XNonce::from(header.nonce),
                Payload {
                    msg: &self.body,
                    aad: &aad,
                },
            )
            .map_err(|_| TrustError::CannotOpen)?;
        Ok(plain)
    }

    /// The header without checking the signature: for records this device checked when it took
    /// them and stored itself.
    pub fn header_unchecked(&self) -> Result<Header, TrustError> {
        Header::decode(&self.certificate.header)
    }

    pub fn encode(&self) -> Vec<u8> {
        let mut e = encoder();
        done(
            e.array(3)
                .and_then(|e| e.bytes(&self.certificate.header))
                .and_then(|e| e.bytes(&self.certificate.signature))
                .and_then(|e| e.bytes(&self.body)),
        );
        e.into_writer()
    }

    /// Reads an envelope of at most `max` bytes.
    pub fn decode(bytes: &[u8], max: usize) -> Result<Sealed, TrustError> {
        if bytes.len() > max {
            return Err(TrustError::TooLarge);
        }
        let mut r = Reader::array(bytes, 3, "envelope")?;
        let sealed = Sealed {
            certificate: Certificate {
                header: r.bytes(HEADER_LEN)?.to_vec(),
                signature: r.fixed()?,
            },
            body: r.bytes(max)?.to_vec(),
        };
        r.end()?;
        Ok(sealed)
    }
}
