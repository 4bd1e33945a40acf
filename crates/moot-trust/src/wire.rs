//! The sealed protocol: what two holders of a workspace's [`Log`] say to each other, the same
//! between a client and a relay, two tabs, or two browsers on a direct link. Each says `Hello`
//! with what it holds; each answers with what the other lacks; then each pushes what it gets.
//! Frames are CBOR arrays `[version, tag, …]`.

use crate::TrustError;
use crate::cbor::{Reader, done, encoder};
use crate::device::ACTOR_LEN;
use crate::log::{Snapshot, Vector};
use crate::sealed::{Certificate, Sealed};
use crate::statement::{MAX_SIGNED, MAX_STATEMENTS, Signed};

const VERSION: u64 = 1;
/// Actors one vector may name (each tab of each device that ever wrote is one).
pub const MAX_ACTORS: usize = 65_536;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Message {
    /// Which workspace, what the sender holds, how many statements, and the digest of the
    /// statements ([`crate::Roster::digest`]; `None` from a peer older than it): a remote whose
    /// count and digest match holds the same statements, and none are sent. Counts alone
    /// match for two rosters that each took a different concurrent statement.
    Hello {
        discovery: [u8; 16],
        vector: Vector,
        statements: u64,
        roster: Option<[u8; 32]>,
    },
    Statements(Vec<Signed>),
    Envelopes(Vec<Sealed>),
    Snapshot(Snapshot),
    /// What the sender holds: all of it in answer to a hello (after what it sent in answer),
    /// the actors it just took in answer to envelopes, nothing in answer to statements; and
    /// how many statements it holds.
    Synced {
        vector: Vector,
        statements: u64,
    },
    /// Something the sender would not take, and why (shown to the person, never acted on).
    Refused {
        reason: String,
    },
}

fn encode_vector(e: &mut minicbor::Encoder<Vec<u8>>, v: &Vector) {
    done(e.array(v.len() as u64));
    for (actor, seq) in v {
        done(
            e.array(2)
                .and_then(|e| e.bytes(actor))
                .and_then(|e| e.u64(*seq)),
        );
    }
}

fn decode_vector(r: &mut Reader<'_>) -> Result<Vector, TrustError> {
    let n = r.array_len()?;
    if n > MAX_ACTORS as u64 {
        return Err(TrustError::TooLarge);
    }
    let mut v = Vector::new();
    for _ in 0..n {
        if r.array_len()? != 2 {
            return Err(r.bad());
        }
        let actor = r.bytes(ACTOR_LEN)?.to_vec();
        v.insert(actor, r.u64()?);
    }
    Ok(v)
}

fn encode_sealed(e: &mut minicbor::Encoder<Vec<u8>>, s: &Sealed) {
    done(
        e.array(3)
            .and_then(|e| e.bytes(&s.certificate.header))
            .and_then(|e| e.bytes(&s.certificate.signature))
            .and_then(|e| e.bytes(&s.body)),
    );
}

fn decode_sealed(r: &mut Reader<'_>, max: usize) -> Result<Sealed, TrustError> {
    if r.array_len()? != 3 {
        return Err(r.bad());
    }
    Ok(Sealed {
        certificate: Certificate {
            header: r.bytes(256)?.to_vec(),
            signature: r.fixed()?,
        },
        body: r.bytes(max)?.to_vec(),
    })
}

impl Message {
    pub fn encode(&self) -> Vec<u8> {
        let mut e = encoder();
        let (tag, len) = match self {
            Message::Hello { roster, .. } => (0u8, 5 + u64::from(roster.is_some())),
            Message::Statements(_) => (1, 3),
            Message::Envelopes(_) => (2, 3),
            Message::Snapshot(_) => (3, 4),
            Message::Synced { .. } => (4, 4),
            Message::Refused { .. } => (5, 3),
        };
        done(
            e.array(len)
                .and_then(|e| e.u64(VERSION))
                .and_then(|e| e.u8(tag)),
        );
        match self {
            Message::Hello {
                discovery,
                vector,
                statements,
                roster,
            } => {
                done(e.bytes(discovery));
                encode_vector(&mut e, vector);
                done(e.u64(*statements));
                if let Some(digest) = roster {
                    done(e.bytes(digest));
                }
            }
            Message::Statements(list) => {
                done(e.array(list.len() as u64));
                for s in list {
                    done(e.bytes(&s.encode()));
                }
            }
            Message::Envelopes(list) => {
                done(e.array(list.len() as u64));
                for s in list {
                    encode_sealed(&mut e, s);
                }
            }
            Message::Snapshot(s) => {
                encode_sealed(&mut e, &s.sealed);
                encode_vector(&mut e, &s.covers);
            }
            Message::Synced { vector, statements } => {
                encode_vector(&mut e, vector);
                done(e.u64(*statements));
            }
            Message::Refused { reason } => done(e.str(reason)),
        }
        e.into_writer()
    }

    /// Reads one frame of at most `max` bytes (a transport's frame limit).
    pub fn decode(bytes: &[u8], max: usize) -> Result<Message, TrustError> {
        if bytes.len() > max {
            return Err(TrustError::TooLarge);
        }
        let (tag, items) = {
            let mut d = minicbor::Decoder::new(bytes);
            let items = d.array().ok().flatten();
            match d.u64() {
                Ok(VERSION) => {}
                Ok(_) => return Err(TrustError::Newer),
                Err(_) => return Err(TrustError::Malformed("message")),
            }
            (d.u8().map_err(|_| TrustError::Malformed("message"))?, items)
        };
        let len = match tag {
            // A hello with the roster's digest, or one from a peer older than it.
            0 if items == Some(6) => 6,
            0 => 5,
            1..=2 | 5 => 3,
            3 | 4 => 4,
            _ => return Err(TrustError::Malformed("message")),
        };
        let mut r = Reader::array(bytes, len, "message")?;
        r.u64()?;
        r.u8()?;
        let message = match tag {
            0 => Message::Hello {
                discovery: r.fixed()?,
                vector: decode_vector(&mut r)?,
                statements: r.u64()?,
                roster: if len == 6 { Some(r.fixed()?) } else { None },
            },
            1 => {
                let n = r.array_len()?;
                if n > MAX_STATEMENTS as u64 {
                    return Err(TrustError::TooLarge);
                }
                let mut list = Vec::new();
                for _ in 0..n {
                    list.push(Signed::decode(r.bytes(MAX_SIGNED)?)?);
                }
                Message::Statements(list)
            }
            2 => {
                let n = r.array_len()?;
                // Every envelope is at least its header and signature.
                if n > (max / 64) as u64 {
                    return Err(TrustError::TooLarge);
                }
                let mut list = Vec::new();
                for _ in 0..n {
                    list.push(decode_sealed(&mut r, max)?);
                }
                Message::Envelopes(list)
            }
            3 => Message::Snapshot(Snapshot {
                sealed: decode_sealed(&mut r, max)?,
                covers: decode_vector(&mut r)?,
            }),
            4 => Message::Synced {
                vector: decode_vector(&mut r)?,
                statements: r.u64()?,
            },
            _ => {
                let reason = r.str(1024)?.to_owned();
                Message::Refused { reason }
            }
        };
        r.end()?;
        Ok(message)
    }
}
