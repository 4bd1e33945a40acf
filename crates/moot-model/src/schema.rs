//! The shape of a workspace document, as autosurgeon structs.
//!
//! Collections whose order matters are lists with a `#[key]` id (concurrent inserts merge,
//! edits find their item by id); people are a map by id. Text that people edit together is
//! automerge Text. Nothing here is derived: statuses and positions are computed on read.

use std::collections::BTreeMap;

use autosurgeon::{Hydrate, Reconcile, Text};

/// The document root.
#[derive(Debug, Clone, PartialEq, Reconcile, Hydrate, Default)]
pub struct WorkspaceDoc {
    pub schema_version: u64,
    #[autosurgeon(hydrate = "crate::tolerant::string")]
    pub name: String,
    #[autosurgeon(hydrate = "crate::tolerant::string")]
    pub description: String,
    pub people: BTreeMap<String, Person>,
    /// Person ids of the group's standing members (those who may ratify from the start).
    pub roster: Vec<String>,
    pub tiers: Vec<Tier>,
    pub sessions: Vec<WorkSession>,
    pub workstreams: Vec<Workstream>,
    pub documents: Vec<ReviewDocument>,
    pub proposals: Vec<Proposal>,
}

#[derive(Debug, Clone, PartialEq, Reconcile, Hydrate)]
pub struct Person {
    pub id: String,
    #[autosurgeon(hydrate = "crate::tolerant::string")]
    pub name: String,
    #[autosurgeon(hydrate = "crate::tolerant::string")]
    pub created_at: String,
}

/// A membership tier (circle) and how candidates for it are approved.
#[derive(Debug, Clone, PartialEq, Reconcile, Hydrate)]
pub struct Tier {
    #[key]
    pub id: String,
    #[autosurgeon(hydrate = "crate::tolerant::string")]
    pub name: String,
    pub approval: Approval,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Reconcile, Hydrate)]
pub enum Approval {
    /// The applicant attests (e.g. to the Code of Conduct); no one else needs to act.
    SelfCertification,
    /// `endorsements` distinct members must endorse; `objections` says what an objection does.
    Ratification {
        endorsements: u64,
        objections: ObjectionRule,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Reconcile, Hydrate)]
pub enum ObjectionRule {
    /// Any objection from a member rejects the proposal.
    Veto,
    /// Each objection cancels one endorsement; as many objections as needed endorsements reject.
    Subtract,
    /// Objections are recorded and shown, but do not change the outcome.
    Record,
}

#[derive(Debug, Clone, PartialEq, Reconcile, Hydrate)]
pub struct WorkSession {
    #[key]
    pub id: String,
    #[autosurgeon(hydrate = "crate::tolerant::string")]
    pub title: String,
    /// RFC 3339, UTC (`2025-12-20T14:00:00Z`).
    #[autosurgeon(hydrate = "crate::tolerant::string")]
    pub start: String,
    pub duration_minutes: u64,
    pub invitation: Text,
    /// The agenda as a tree, derived on read from where each item says it sits (see
    /// `agenda.rs`: a move never rewrites an item).
    #[autosurgeon(with = "crate::agenda::field")]
    pub agenda: Vec<AgendaItem>,
    pub action_points: Vec<ActionPoint>,
}

/// A numbered agenda item as read; `children` are its sub-points (numbering is derived from
/// order). Stored flat, each item with its `parent` and `order` (see `agenda.rs`).
#[derive(Debug, Clone, PartialEq, Reconcile, Hydrate)]
pub struct AgendaItem {
    #[key]
    pub id: String,
    #[autosurgeon(hydrate = "crate::tolerant::string")]
    pub title: String,
    pub minutes: Text,
    pub children: Vec<AgendaItem>,
}

#[derive(Debug, Clone, PartialEq, Reconcile, Hydrate)]
pub struct ActionPoint {
    #[key]
    pub id: String,
    #[autosurgeon(hydrate = "crate::tolerant::string")]
    pub text: String,
    /// Person ids, or the word `all` for the whole group.
    pub owners: Vec<String>,
    /// `YYYY-MM-DD`, if set.
    #[autosurgeon(hydrate = "crate::tolerant::opt_string")]
    pub due: Option<String>,
    pub done: bool,
    #[autosurgeon(hydrate = "crate::tolerant::opt_string")]
    pub agenda_item: Option<String>,
    #[autosurgeon(hydrate = "crate::tolerant::string")]
    pub created_by: String,
    #[autosurgeon(hydrate = "crate::tolerant::string")]
    pub created_at: String,
}

#[derive(Debug, Clone, PartialEq, Reconcile, Hydrate)]
pub struct Workstream {
    #[key]
    pub id: String,
    #[autosurgeon(hydrate = "crate::tolerant::string")]
    pub name: String,
    #[autosurgeon(hydrate = "crate::tolerant::string")]
    pub scope: String,
    pub items: Vec<WorkstreamItem>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Reconcile, Hydrate)]
pub enum ItemKind {
    KeyQuestion,
    FoodForThought,
    FirstIdea,
}

#[derive(Debug, Clone, PartialEq, Reconcile, Hydrate)]
pub struct WorkstreamItem {
    #[key]
    pub id: String,
    pub kind: ItemKind,
    #[autosurgeon(hydrate = "crate::tolerant::string")]
    pub text: String,
    #[autosurgeon(hydrate = "crate::tolerant::string")]
    pub author: String,
    #[autosurgeon(hydrate = "crate::tolerant::string")]
    pub created_at: String,
    pub comments: Vec<Comment>,
}

/// A foundational document under review (the Code of Conduct draft first).
#[derive(Debug, Clone, PartialEq, Reconcile, Hydrate)]
pub struct ReviewDocument {
    #[key]
    pub id: String,
    #[autosurgeon(hydrate = "crate::tolerant::string")]
    pub title: String,
    pub text: Text,
    pub threads: Vec<Thread>,
}

/// A comment thread anchored to a passage of a document's text.
#[derive(Debug, Clone, PartialEq, Reconcile, Hydrate)]
pub struct Thread {
    #[key]
    pub id: String,
    pub anchor: Anchor,
    pub comments: Vec<Comment>,
    pub tags: Vec<String>,
    pub resolved: bool,
    #[autosurgeon(hydrate = "crate::tolerant::opt_string")]
    pub resolved_by: Option<String>,
    #[autosurgeon(hydrate = "crate::tolerant::opt_string")]
    pub resolved_at: Option<String>,
}

/// Where a thread sits: automerge cursors (follow edits), plus the quoted passage and its
/// context as found at `heads` (fallback, and to show an orphaned thread's original words).
#[derive(Debug, Clone, PartialEq, Eq, Reconcile, Hydrate)]
pub struct Anchor {
    /// The automerge object id of the text the cursors point into.
    #[autosurgeon(hydrate = "crate::tolerant::string")]
    pub text: String,
    /// Cursor on the passage's first character (moves forward if it is deleted).
    #[autosurgeon(hydrate = "crate::tolerant::string")]
    pub start: String,
    /// Cursor on the character after the passage, or `end` when the passage ends the text.
    #[autosurgeon(hydrate = "crate::tolerant::string")]
    pub end: String,
    /// Cursor on the passage's last character (moves backward if it is deleted).
    #[autosurgeon(hydrate = "crate::tolerant::string")]
    pub last: String,
    #[autosurgeon(hydrate = "crate::tolerant::string")]
    pub quote: String,
    #[autosurgeon(hydrate = "crate::tolerant::string")]
    pub prefix: String,
    #[autosurgeon(hydrate = "crate::tolerant::string")]
    pub suffix: String,
    /// Hex change hashes of the document when the thread was made.
    pub heads: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Reconcile, Hydrate)]
pub struct Comment {
    #[key]
    pub id: String,
    #[autosurgeon(hydrate = "crate::tolerant::string")]
    pub author: String,
    #[autosurgeon(hydrate = "crate::tolerant::string")]
    pub created_at: String,
    #[autosurgeon(hydrate = "crate::tolerant::string")]
    pub body: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Reconcile, Hydrate)]
pub enum CandidateKind {
    Individual,
    Organisation,
}

#[derive(Debug, Clone, PartialEq, Reconcile, Hydrate)]
pub struct Candidate {
    pub kind: CandidateKind,
    #[autosurgeon(hydrate = "crate::tolerant::string")]
    pub name: String,
    /// Number of people in the organisation (organisations only).
    pub size: Option<u64>,
    /// The candidate's person id, when they are a person in this workspace.
    #[autosurgeon(hydrate = "crate::tolerant::opt_string")]
    pub person: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Reconcile, Hydrate)]
pub enum ActKind {
    Endorse,
    Object,
    /// The applicant's attestation under a self-certification tier.
    SelfCertify,
    Withdraw,
}

/// One recorded act on a proposal; the proposal's status is derived from these.
#[derive(Debug, Clone, PartialEq, Reconcile, Hydrate)]
pub struct Act {
    #[key]
    pub id: String,
    pub kind: ActKind,
    #[autosurgeon(hydrate = "crate::tolerant::string")]
    pub by: String,
    #[autosurgeon(hydrate = "crate::tolerant::string")]
    pub at: String,
    #[autosurgeon(hydrate = "crate::tolerant::string")]
    pub comment: String,
}

#[derive(Debug, Clone, PartialEq, Reconcile, Hydrate)]
pub struct Proposal {
    #[key]
    pub id: String,
    pub candidate: Candidate,
    #[autosurgeon(hydrate = "crate::tolerant::string")]
    pub tier: String,
    #[autosurgeon(hydrate = "crate::tolerant::string")]
    pub proposer: String,
    #[autosurgeon(hydrate = "crate::tolerant::string")]
    pub statement: String,
    #[autosurgeon(hydrate = "crate::tolerant::string")]
    pub created_at: String,
    pub acts: Vec<Act>,
}

/// A [`Proposal`] as read for display and for deriving membership: an act that cannot be read
/// (a hostile peer's `kind: "endorse"`, say) is left out rather than hiding the proposal, or
/// every proposal. Edits hydrate [`Proposal`] strictly, so they fail rather than delete it.
#[derive(Debug, Clone, PartialEq, Hydrate)]
pub(crate) struct ProposalRead {
    id: String,
    candidate: Candidate,
    #[autosurgeon(hydrate = "crate::tolerant::string")]
    tier: String,
    #[autosurgeon(hydrate = "crate::tolerant::string")]
    proposer: String,
    #[autosurgeon(hydrate = "crate::tolerant::string")]
    statement: String,
    #[autosurgeon(hydrate = "crate::tolerant::string")]
    created_at: String,
    #[autosurgeon(hydrate = "crate::tolerant::items")]
    acts: Vec<Act>,
}

impl From<ProposalRead> for Proposal {
    fn from(p: ProposalRead) -> Self {
        Proposal {
            id: p.id,
            candidate: p.candidate,
            tier: p.tier,
            proposer: p.proposer,
            statement: p.statement,
            created_at: p.created_at,
            acts: p.acts,
        }
    }
}
