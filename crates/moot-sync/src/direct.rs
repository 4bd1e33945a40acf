//! What a direct (WebRTC) link needs beyond the automerge-repo messages it carries, sans-IO:
//!
//! - [`Signal`]: the ephemeral payload that sets a link up through a relay (`hello`, `offer`,
//!   `answer`), a CBOR map `{moot-rtc, from, to?, name, sdp?}` next to presence in the same
//!   ephemeral messages. Peers that do not know it ignore it.
//! - [`Invitation`]: the same offer or answer as a text to copy, paste or scan when there is no
//!   relay at all: `moot-offer:` / `moot-answer:` and the bs58check of `{w: workspace, s: signal}`,
//!   so a code cut short or mistyped is refused instead of half-read.
//! - [`split`] and [`Joiner`]: a data channel message is at most 256 KiB in Chromium, a sync
//!   message can be many megabytes; frames travel as pieces with a one-byte header.

use minicbor::{Decoder, Encoder};

use crate::DocumentId;

/// Longest endpoint id, name and session description a signal may carry.
const MAX_ID: usize = 64;
const MAX_NAME: usize = 200;
const MAX_SDP: usize = 32 * 1024;
/// The longest code [`Invitation::parse`] decodes (base58 decoding is quadratic in length). A
/// description with a dozen candidates makes a code of 2–4 K characters.
pub const MAX_CODE_CHARS: usize = 16 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignalKind {
    /// "I am here and can link directly": sent to everyone in the workspace.
    Hello,
    Offer,
    Answer,
}

impl SignalKind {
    fn as_str(self) -> &'static str {
        match self {
            SignalKind::Hello => "hello",
            SignalKind::Offer => "offer",
            SignalKind::Answer => "answer",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        match s {
            "hello" => Some(SignalKind::Hello),
            "offer" => Some(SignalKind::Offer),
            "answer" => Some(SignalKind::Answer),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signal {
    pub kind: SignalKind,
    /// The sender's endpoint: one per open page.
    pub from: String,
    /// The endpoint it is for; `None` for everyone (a hello, an invitation).
    pub to: Option<String>,
    /// The sender's display name.
    pub name: String,
    /// The WebRTC session description, with its candidates (offers and answers).
    pub sdp: Option<String>,
}

impl Signal {
    pub fn encode(&self) -> Vec<u8> {
        let n = 3 + u64::from(self.to.is_some()) + u64::from(self.sdp.is_some());
        let mut e = Encoder::new(Vec::new());
        e.map(n)
            .and_then(|e| e.str("moot-rtc")?.str(self.kind.as_str()))
            .and_then(|e| e.str("from")?.str(&self.from))
            .and_then(|e| e.str("name")?.str(&self.name))
            .expect("writing to a Vec cannot fail");
        if let Some(to) = &self.to {
            e.str("to").and_then(|e| e.str(to)).expect("infallible");
        }
        if let Some(sdp) = &self.sdp {
            e.str("sdp").and_then(|e| e.str(sdp)).expect("infallible");
        }
        e.into_writer()
    }

    /// `None` for anything that is not a well-formed signal (presence, another app's data).
    pub fn decode(bytes: &[u8]) -> Option<Self> {
        let (mut kind, mut from, mut to, mut name, mut sdp) = (None, None, None, None, None);
        crate::presence::read_fields(bytes, |key, d| {
            let slot = match key {
                "moot-rtc" => {
                    kind = Some(SignalKind::parse(d.str().ok()?)?);
                    return Some(true);
                }
                "from" => &mut from,
                "to" => &mut to,
                "name" => &mut name,
                "sdp" => &mut sdp,
                _ => return Some(false),
            };
            *slot = Some(d.str().ok()?.to_owned());
            Some(true)
        })?;
        let signal = Signal {
            kind: kind?,
            from: from?,
            to,
            name: name.unwrap_or_default(),
            sdp,
        };
        let id_ok = |s: &str| !s.is_empty() && s.len() <= MAX_ID;
        let fits = id_ok(&signal.from)
            && signal.to.as_deref().is_none_or(id_ok)
            && signal.name.len() <= MAX_NAME
            && signal.sdp.as_ref().is_none_or(|s| s.len() <= MAX_SDP)
            && (signal.kind == SignalKind::Hello) == signal.sdp.is_none();
        fits.then_some(signal)
    }
}

/// Why a pasted code was refused: each says what to do about it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvitationError {
    #[error(
        "this is not a moot connection code: it should start with “moot-offer:” or “moot-answer:”"
    )]
    NotACode,
    #[error("this code is damaged or cut short: copy all of it again")]
    Damaged,
    #[error("this is far longer than any moot connection code")]
    TooLong,
    #[error("this is an invitation, not an answer: give it to the other person to answer")]
    NotAnAnswer,
    #[error("this is an answer, not an invitation: paste it where you created the invitation")]
    NotAnOffer,
}

/// An offer or answer for a direct link, with the workspace it is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invitation {
    pub workspace: DocumentId,
    pub signal: Signal,
    /// The workspace is private: the link carries the sealed protocol (`moot_trust::Exchange`),
    /// and only someone who already holds the workspace's link can answer it usefully.
    pub sealed: bool,
}

impl Invitation {
    /// The code to copy or show as a QR code.
    pub fn to_text(&self) -> String {
        let mut e = Encoder::new(Vec::new());
        e.map(2 + u64::from(self.sealed))
            .and_then(|e| e.str("w")?.bytes(self.workspace.as_bytes()))
            .and_then(|e| e.str("s")?.bytes(&self.signal.encode()))
            .expect("writing to a Vec cannot fail");
        // Written only when set: an open workspace's code is what it always was.
        if self.sealed {
            e.str("p")
                .and_then(|e| e.bool(true))
                .expect("writing to a Vec cannot fail");
        }
        let prefix = match self.signal.kind {
            SignalKind::Answer => "moot-answer:",
            _ => "moot-offer:",
        };
        format!(
            "{prefix}{}",
            bs58::encode(e.into_writer()).with_check().into_string()
        )
    }

    /// Reads a pasted code, or a link that carries one (`…#/connect/moot-offer:…`, as the QR
    /// codes do); white space and line breaks are ignored.
    pub fn parse(text: &str) -> Result<Self, InvitationError> {
        // A code is decoded in time quadratic in its length: refuse a long one unread.
        if text.len() > MAX_CODE_CHARS * 2 {
            return Err(InvitationError::TooLong);
        }
        let text: String = text.chars().filter(|c| !c.is_whitespace()).collect();
        let start = ["moot-offer:", "moot-answer:"]
            .iter()
            .filter_map(|p| text.find(p))
            .min()
            .unwrap_or(0);
        let text = &text[start..];
        let (body, answer) = if let Some(b) = text.strip_prefix("moot-offer:") {
            (b, false)
        } else if let Some(b) = text.strip_prefix("moot-answer:") {
            (b, true)
        } else {
            return Err(InvitationError::NotACode);
        };
        if body.len() > MAX_CODE_CHARS {
            return Err(InvitationError::TooLong);
        }
        let bytes = bs58::decode(body)
            .with_check(None)
            .into_vec()
            .map_err(|_| InvitationError::Damaged)?;
        let mut d = Decoder::new(&bytes);
        let (mut workspace, mut signal, mut sealed) = (None, None, false);
        let n = d.map().ok().flatten().ok_or(InvitationError::Damaged)?;
        for _ in 0..n {
            match d.str().map_err(|_| InvitationError::Damaged)? {
                "w" => {
                    let b: [u8; 16] = d
                        .bytes()
                        .ok()
                        .and_then(|b| b.try_into().ok())
                        .ok_or(InvitationError::Damaged)?;
                    workspace = Some(DocumentId::from_bytes(b));
                }
                "s" => {
                    signal = d.bytes().ok().and_then(Signal::decode);
                }
                "p" => sealed = d.bool().map_err(|_| InvitationError::Damaged)?,
                _ => d.skip().map_err(|_| InvitationError::Damaged)?,
            }
        }
        let invitation = Invitation {
            workspace: workspace.ok_or(InvitationError::Damaged)?,
            signal: signal.ok_or(InvitationError::Damaged)?,
            sealed,
        };
        match (invitation.signal.kind, answer) {
            (SignalKind::Offer, false) | (SignalKind::Answer, true) => Ok(invitation),
            _ => Err(InvitationError::Damaged),
        }
    }

    /// Parses a code that must be an invitation (an offer).
    pub fn parse_offer(text: &str) -> Result<Self, InvitationError> {
        let i = Self::parse(text)?;
        if i.signal.kind == SignalKind::Answer {
            return Err(InvitationError::NotAnOffer);
        }
        Ok(i)
    }

    /// Parses a code that must be an answer.
    pub fn parse_answer(text: &str) -> Result<Self, InvitationError> {
        let i = Self::parse(text)?;
        if i.signal.kind != SignalKind::Answer {
            return Err(InvitationError::NotAnAnswer);
        }
        Ok(i)
    }
}

/// Largest piece sent on a data channel (Chromium's limit is 256 KiB).
pub const PIECE: usize = 64 * 1024;
/// Largest frame a [`Joiner`] puts back together (every transport's limit).
pub use crate::message::MAX_FRAME;

const MORE: u8 = 0;
const LAST: u8 = 1;

/// Cuts a frame into data channel messages of at most [`PIECE`] bytes, header included.
pub fn split(frame: &[u8]) -> Vec<Vec<u8>> {
    let body = PIECE - 1;
    let n = frame.len().div_ceil(body).max(1);
    (0..n)
        .map(|i| {
            let part = &frame[i * body..frame.len().min((i + 1) * body)];
            let mut piece = Vec::with_capacity(part.len() + 1);
            piece.push(if i + 1 == n { LAST } else { MORE });
            piece.extend_from_slice(part);
            piece
        })
        .collect()
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PieceError {
    #[error("an empty or unknown data channel piece")]
    Malformed,
    #[error("a frame over {MAX_FRAME} bytes")]
    TooLarge,
}

/// Puts frames back together from the pieces of [`split`], in order.
#[derive(Debug, Default)]
pub struct Joiner {
    partial: Vec<u8>,
}

impl Joiner {
    /// Bytes of a frame still being put together.
    pub fn buffered(&self) -> usize {
        self.partial.len()
    }

    /// The whole frame when `piece` was its last.
    pub fn push(&mut self, piece: &[u8]) -> Result<Option<Vec<u8>>, PieceError> {
        let (&flag, body) = piece.split_first().ok_or(PieceError::Malformed)?;
        if self.partial.len() + body.len() > MAX_FRAME {
            self.partial = Vec::new();
            return Err(PieceError::TooLarge);
        }
        match flag {
            MORE => {
                self.partial.extend_from_slice(body);
                Ok(None)
            }
            LAST => {
                self.partial.extend_from_slice(body);
                Ok(Some(std::mem::take(&mut self.partial)))
            }
            _ => {
                self.partial = Vec::new();
                Err(PieceError::Malformed)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn offer() -> Signal {
        Signal {
            kind: SignalKind::Offer,
            from: "e1".into(),
            to: None,
            name: "Ada".into(),
            sdp: Some("v=0\r\na=candidate:1 1 udp 1 10.0.0.1 5000 typ host\r\n".into()),
        }
    }

    #[test]
    fn signals_round_trip_and_others_are_ignored() {
        let hello = Signal {
            kind: SignalKind::Hello,
            from: "e1".into(),
            to: None,
            name: "Ada".into(),
            sdp: None,
        };
        let answer = Signal {
            kind: SignalKind::Answer,
            to: Some("e2".into()),
            ..offer()
        };
        for s in [hello.clone(), offer(), answer] {
            assert_eq!(Signal::decode(&s.encode()), Some(s));
        }
        let presence = crate::Presence {
            person: "p".into(),
            name: "Ada".into(),
        };
        assert_eq!(Signal::decode(&presence.encode()), None);
        assert_eq!(Signal::decode(b"junk"), None);
        // An offer without its description, a hello with one: refused.
        let mut bad = offer();
        bad.sdp = None;
        assert_eq!(Signal::decode(&bad.encode()), None);
        let mut bad = hello;
        bad.from = "x".repeat(MAX_ID + 1);
        assert_eq!(Signal::decode(&bad.encode()), None);
    }

    #[test]
    fn codes_round_trip_and_damage_is_named() {
        let invitation = Invitation {
            workspace: DocumentId::from_bytes([9; 16]),
            signal: offer(),
            sealed: false,
        };
        let text = invitation.to_text();
        assert!(text.starts_with("moot-offer:"));
        // Pasted with line breaks and spaces, as mail and chat wrap it.
        let wrapped = format!(
            "  {}\n{}  ",
            &text[..text.len() / 2],
            &text[text.len() / 2..]
        );
        assert_eq!(Invitation::parse_offer(&wrapped), Ok(invitation.clone()));
        let link = format!("http://10.0.0.1:8080/#/connect/{text}");
        assert_eq!(Invitation::parse_offer(&link), Ok(invitation.clone()));
        assert_eq!(
            Invitation::parse_answer(&text),
            Err(InvitationError::NotAnAnswer)
        );
        assert_eq!(
            Invitation::parse_offer(&text[..text.len() - 3]),
            Err(InvitationError::Damaged)
        );
        assert_eq!(
            Invitation::parse_offer("hello"),
            Err(InvitationError::NotACode)
        );
        let answer = Invitation {
            signal: Signal {
                kind: SignalKind::Answer,
                to: Some("e0".into()),
                ..offer()
            },
            ..invitation
        };
        let text = answer.to_text();
        assert!(text.starts_with("moot-answer:"));
        assert_eq!(Invitation::parse_answer(&text), Ok(answer));
        assert_eq!(
            Invitation::parse_offer(&text),
            Err(InvitationError::NotAnOffer)
        );
        // An answer's body under the offer's prefix is not taken at its word.
        let swapped = text.replace("moot-answer:", "moot-offer:");
        assert_eq!(
            Invitation::parse_offer(&swapped),
            Err(InvitationError::Damaged)
        );
    }

    #[test]
    fn a_private_workspace_code_says_so_and_an_open_one_is_unchanged() {
        let open = Invitation {
            workspace: DocumentId::from_bytes([9; 16]),
            signal: offer(),
            sealed: false,
        };
        let sealed = Invitation {
            sealed: true,
            ..open.clone()
        };
        assert_ne!(open.to_text(), sealed.to_text());
        assert_eq!(Invitation::parse_offer(&sealed.to_text()), Ok(sealed));
        // The open code carries exactly the two fields it always had.
        let body = open.to_text().trim_start_matches("moot-offer:").to_owned();
        let bytes = bs58::decode(body).with_check(None).into_vec().unwrap();
        assert_eq!(Decoder::new(&bytes).map().unwrap(), Some(2));
        // A flag that is not a boolean is damage, not a guess.
        let mut e = Encoder::new(Vec::new());
        e.map(3)
            .and_then(|e| e.str("w")?.bytes(&[9; 16]))
            .and_then(|e| e.str("s")?.bytes(&offer().encode()))
            .and_then(|e| e.str("p")?.str("yes"))
            .unwrap();
        let text = format!(
            "moot-offer:{}",
            bs58::encode(e.into_writer()).with_check().into_string()
        );
        assert_eq!(
            Invitation::parse_offer(&text),
            Err(InvitationError::Damaged)
        );
    }

    #[test]
    fn frames_survive_being_cut_into_pieces() {
        for len in [0, 1, PIECE - 2, PIECE - 1, PIECE, 3 * PIECE + 17] {
            let frame: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
            let pieces = split(&frame);
            assert!(pieces.iter().all(|p| p.len() <= PIECE));
            let mut joiner = Joiner::default();
            let mut out = Vec::new();
            for p in &pieces {
                if let Some(f) = joiner.push(p).unwrap() {
                    out.push(f);
                }
            }
            assert_eq!(out, vec![frame], "length {len}");
        }
        let mut joiner = Joiner::default();
        assert_eq!(joiner.push(&[]), Err(PieceError::Malformed));
        assert_eq!(joiner.push(&[7, 1, 2]), Err(PieceError::Malformed));
        // After a bad piece the next frame still reads.
        assert_eq!(joiner.push(&[LAST, 5]), Ok(Some(vec![5])));
    }
}
