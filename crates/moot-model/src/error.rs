//! What can go wrong with an operation; each leaves the document unchanged.

/// A rejected operation or an unreadable document. Messages are for people.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ModelError {
    #[error("{field} must not be empty")]
    Empty { field: &'static str },
    #[error("{field} is too long ({len} characters, at most {max})")]
    TooLong {
        field: &'static str,
        len: usize,
        max: usize,
    },
    #[error("no {kind} with id {id}")]
    Unknown { kind: &'static str, id: String },
    #[error("{person} is not a member, so cannot {act}")]
    NotAMember { person: String, act: &'static str },
    #[error("{person} has already {act} this proposal")]
    AlreadyActed { person: String, act: &'static str },
    #[error("{0}")]
    NotAllowed(String),
    #[error("range {start}..{end} is outside the text (length {len})")]
    RangeOutsideText {
        start: usize,
        end: usize,
        len: usize,
    },
    #[error("{field} \"{value}\" is not a valid {expected}")]
    BadDate {
        field: &'static str,
        value: String,
        expected: &'static str,
    },
    #[error(
        "this workspace was written by a newer version of moot (schema {found}, this app reads up to {supported}); please update the app"
    )]
    NewerSchema { found: u64, supported: u64 },
    #[error("not a moot workspace: {0}")]
    NotAWorkspace(String),
    #[error("cannot read the document: {0}")]
    Corrupt(String),
}

impl From<automerge::AutomergeError> for ModelError {
    fn from(err: automerge::AutomergeError) -> Self {
        ModelError::Corrupt(err.to_string())
    }
}

impl From<autosurgeon::HydrateError> for ModelError {
    fn from(err: autosurgeon::HydrateError) -> Self {
        ModelError::NotAWorkspace(err.to_string())
    }
}

impl From<autosurgeon::ReconcileError> for ModelError {
    fn from(err: autosurgeon::ReconcileError) -> Self {
        ModelError::Corrupt(err.to_string())
    }
}
