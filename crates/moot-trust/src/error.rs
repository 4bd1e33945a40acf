use thiserror::Error;

/// Why a link, a statement or an envelope was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TrustError {
    #[error("not a valid link: {0}")]
    BadLink(&'static str),
    #[error("malformed {0}")]
    Malformed(&'static str),
    #[error("made by a newer version of moot")]
    Newer,
    #[error("the signature does not match")]
    BadSignature,
    #[error("the author's actor id is not bound to a key")]
    UnboundActor,
    #[error("not allowed: {0}")]
    NotAllowed(&'static str),
    #[error("this belongs to another workspace")]
    OtherWorkspace,
    #[error("too large")]
    TooLarge,
    #[error(
        "changes from {first} on, but {have} is the last one held: the ones between are missing"
    )]
    Gap { have: u64, first: u64 },
    #[error("refused: {0}")]
    Refused(String),
    #[error("cannot open: not sealed with this workspace's key")]
    CannotOpen,
    #[error(
        "sealed with the keys of epoch {0}, which this device does not hold: it was removed, or its link is from before the keys rotated"
    )]
    NoKey(u32),
}
