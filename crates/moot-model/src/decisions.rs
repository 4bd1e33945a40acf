//! Decisions the group votes on, tallied the same by every peer with no clock and no server.
//!
//! Stored under the root map `decisions`, one map per decision:
//!
//! - `rules`: the frozen rules as one JSON string, written in the change that makes the
//!   decision. They are read *at that change* ([`Automerge::get_at`] at its hash), so nothing
//!   written later — by anyone — moves the goalposts. The electorate (person → weight) is in
//!   them, taken from the derived membership when the decision opens.
//! - `ballots`, `delegations`, `closes`: one slot per person (`ballots[voter]`), each value one
//!   JSON string, so a ballot is one op: it is atomic, it can be traced to the key that wrote it
//!   (private workspaces), and changing it overwrites the slot while automerge keeps the old
//!   value in history. Of concurrent values in one slot, the newest (by op id, as automerge
//!   picks) written by the slot owner's own key counts; values written by other keys are shown
//!   as forged and never counted.
//! - `outcome`: the words a person writes once it is closed.
//!
//! A close is a change, not a time: the tally counts exactly the ballots and delegations that
//! causally precede the effective close (the document read at the close's change). The chair
//! may close at any time; anyone in the electorate once the advisory closing time has passed
//! on their own clock. Of several closes, one that follows another counts for nothing; of
//! concurrent ones the chair's wins, then the smallest change hash.
//!
//! Topic delegations ("for every decision on this workstream") live in the root map
//! `delegations`, one slot per person holding topic → delegate; a decision that allows
//! delegation reads them at its close, and a delegation made on the decision itself wins.

use std::collections::{BTreeMap, BTreeSet};

use automerge::{
    ChangeHash, ObjId, ObjType, ROOT, ReadDoc, ScalarValue, Value, transaction::Transactable,
};
use serde::{Deserialize, Serialize};

use crate::tally::{self, Choice, Counting, Method, Tally};
use crate::{ModelError, Status, Workspace, schema::CandidateKind, time, workspace::Ctx};

/// The pseudo-tier of the roster's standing members, for choosing an electorate.
pub const ROSTER: &str = "roster";
/// Longest rules (JSON) a peer may write; a larger value is unreadable, not a hang.
const MAX_RULES: usize = 1_000_000;
const MAX_SLOT: usize = 40_000;
const MAX_OPTIONS: usize = 20;
const MAX_QUESTION: usize = 500;

/// What a decision is about, linked both ways.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Subject {
    AgendaItem {
        session: String,
        item: String,
    },
    /// "Adopt this wording": a Code of Conduct thread, with the document's version.
    Thread {
        document: String,
        thread: String,
        quote: String,
        heads: Vec<String>,
    },
    /// Adopting a document as it stands: the version (heads) it ratifies.
    Document {
        document: String,
        heads: Vec<String>,
    },
}

/// The rules, frozen when the decision opens.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rules {
    pub question: String,
    #[serde(default)]
    pub details: String,
    /// Majority and ranked choice; empty for consent.
    #[serde(default)]
    pub options: Vec<String>,
    pub method: Method,
    pub quorum_percent: u8,
    /// The tiers whose members make the electorate ([`ROSTER`] for standing members).
    #[serde(default)]
    pub tiers: Vec<String>,
    /// Person → weight.
    pub electorate: BTreeMap<String, u64>,
    pub chair: String,
    /// Advisory: after it, anyone in the electorate may close.
    #[serde(default)]
    pub closes_at: Option<String>,
    /// A workstream id: topic delegations for it apply.
    #[serde(default)]
    pub topic: Option<String>,
    /// Whether members may delegate their vote.
    #[serde(default)]
    pub delegation: bool,
    #[serde(default)]
    pub subject: Option<Subject>,
    /// Ballots sealed to this key until the chair closes the decision.
    #[serde(default)]
    pub hidden: Option<HiddenKey>,
    pub opened_by: String,
    pub opened_at: String,
}

/// What someone asks for when opening a decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDecision {
    pub question: String,
    pub details: String,
    pub options: Vec<String>,
    pub method: Method,
    pub quorum_percent: u8,
    pub tiers: Vec<String>,
    pub chair: String,
    pub closes_at: Option<String>,
    pub topic: Option<String>,
    pub delegation: bool,
    pub subject: Option<Subject>,
    /// Hide ballots until close (the chair must be the one opening it).
    pub hidden: Option<HiddenKey>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct BallotValue {
    /// The choice in the clear (a decision whose ballots are not hidden).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    choice: Option<Choice>,
    /// Hex of the choice sealed to the decision's key (hidden until close).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    sealed: Option<String>,
    at: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct DelegationValue {
    /// `None`: "I vote myself" (overrides a topic delegation).
    to: Option<String>,
    at: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct CloseValue {
    at: String,
    /// Hex of the decision secret, revealed by the chair (ballots hidden until close).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    reveal: Option<String>,
}

/// Ballots hidden until close: the decision's X25519 public key, and the public salt the
/// chair's device derives its secret from (`moot_trust::decision_secret`). Hex.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HiddenKey {
    pub public: String,
    pub salt: String,
    /// The secret sealed to each other device of the chair's (device code → hex), so any of
    /// them can close it.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub devices: BTreeMap<String, String>,
}

impl HiddenKey {
    pub fn new(public: &[u8; 32], salt: &[u8; 16]) -> Self {
        HiddenKey {
            public: to_hex(public),
            salt: to_hex(salt),
            devices: BTreeMap::new(),
        }
    }

    /// With the secret sealed to the chair's other devices (device code → sealed bytes).
    pub fn for_devices(mut self, sealed: BTreeMap<String, Vec<u8>>) -> Self {
        self.devices = sealed.into_iter().map(|(d, b)| (d, to_hex(&b))).collect();
        self
    }

    pub fn public_key(&self) -> Option<[u8; 32]> {
        from_hex(&self.public)?.try_into().ok()
    }

    pub fn salt_bytes(&self) -> Option<[u8; 16]> {
        from_hex(&self.salt)?.try_into().ok()
    }
}

fn to_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn from_hex(s: &str) -> Option<Vec<u8>> {
    crate::tolerant::hex(s, MAX_SLOT)
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct OutcomeValue {
    text: String,
    by: String,
    at: String,
}

/// What became of one person's current ballot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BallotState {
    /// Counted (or, while open, would be).
    Counted,
    /// Cast (or changed) after the close: shown, never counted.
    Late,
    /// Written in their name by a key that is not theirs: shown, never counted.
    Forged,
    /// From someone outside the frozen electorate.
    Outside,
    /// Not a valid ballot for this decision's method.
    Invalid,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BallotLine {
    pub voter: String,
    pub choice: Option<Choice>,
    pub at: String,
    pub state: BallotState,
    /// Another key deleted or wrote over it; it was read back from the voter's own change.
    pub restored: bool,
}

/// One of a voter's ballots in the order they cast them: the history of their changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PastBallot {
    /// `None` while ballots are sealed.
    pub choice: Option<Choice>,
    pub at: String,
    pub state: PastState,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PastState {
    /// The one that counts (or, while open, would).
    Counted,
    /// Changed before the close.
    Replaced,
    /// Cast after the close.
    Late,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Closed {
    pub by: String,
    pub at: String,
    /// The close's change: the tally reads the document there.
    pub hash: String,
    /// Another key deleted or wrote over it; it was read back from the closer's own change.
    pub restored: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub text: String,
    pub by: String,
    pub at: String,
    /// Written in `by`'s name by another key.
    pub forged: bool,
}

/// How a decision's frozen electorate differs from the membership when it opened.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ElectorateDiff {
    /// In the rules, but not members of its tiers then.
    pub added: Vec<String>,
    /// Members of its tiers then, left out of the rules.
    pub left_out: Vec<String>,
}

/// A decision as read: rules, state, and the tally every peer computes the same.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecisionView {
    pub id: String,
    pub rules: Rules,
    pub closed: Option<Closed>,
    /// At the close, or provisional while open.
    pub tally: Tally,
    /// Every current ballot with what became of it (the counted ones are in `tally`).
    pub ballots: Vec<BallotLine>,
    /// Delegations in force for the tally (voter → delegate), the decision's own first.
    pub delegations: BTreeMap<String, String>,
    pub outcome: Option<Outcome>,
    /// Every counted ballot was written by its voter's own key (a private workspace). In an
    /// open workspace nothing is signed and the page says so.
    pub verified: bool,
    /// The rules were not written by the key of the person they name as opener.
    pub forged: bool,
    /// Another key deleted or wrote over an act that counts here (a ballot, delegation or
    /// close); it was read back from its author's own change (private workspaces).
    pub restored: bool,
    /// The electorate in its rules is not the one the membership gave when it opened (read
    /// at the opening change's parents): nothing is adopted.
    pub electorate: Option<ElectorateDiff>,
    /// Ballots are hidden and the chair has not revealed them yet: the tally counts who
    /// took part, not how.
    pub sealed: bool,
}

impl DecisionView {
    pub fn is_open(&self) -> bool {
        self.closed.is_none()
    }

    /// The option chosen or consent given (`Some(None)` for consent), if adopted.
    pub fn adopted(&self) -> Option<Option<usize>> {
        if self.sealed {
            return None;
        }
        match self.tally.outcome {
            tally::Outcome::Adopted { option } if !self.forged && self.electorate.is_none() => {
                Some(option)
            }
            _ => None,
        }
    }

    /// The count in words: "3 consent, 1 objection, 0 abstain; 4 of 5 took part".
    pub fn summary(&self) -> String {
        let t = &self.tally;
        if self.sealed {
            return format!(
                "{} of {} took part (quorum {}); how each voted is sealed until the close",
                t.took_part, t.electorate, t.quorum_needed
            );
        }
        let c = |i: usize| t.counts.get(i).copied().unwrap_or(0);
        let counts = match self.rules.method {
            Method::Consent => format!(
                "{} consent, {} objection{}, {} abstain",
                c(0),
                c(1),
                if c(1) == 1 { "" } else { "s" },
                c(2)
            ),
            Method::Majority { .. } | Method::Ranked { .. } => {
                // Ranked choice: the last round's count.
                let last: Vec<u64> = match t.rounds.last() {
                    Some(r) => r.iter().map(|v| v.unwrap_or(0)).collect(),
                    None => t.counts.clone(),
                };
                let mut parts: Vec<String> = self
                    .rules
                    .options
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| {
                        t.rounds
                            .last()
                            .is_none_or(|r| r.get(*i).is_some_and(Option::is_some))
                    })
                    .map(|(i, o)| format!("{o} {}", last.get(i).copied().unwrap_or(0)))
                    .collect();
                parts.push(format!("abstain {}", c(self.rules.options.len())));
                let mut s = parts.join(", ");
                if t.rounds.len() > 1 {
                    s.push_str(&format!(" after {} rounds", t.rounds.len()));
                }
                s
            }
        };
        format!(
            "{counts}; {} of {} took part (quorum {})",
            t.took_part, t.electorate, t.quorum_needed
        )
    }

    /// Outcome in words: "Adopted", "Adopted: Option", "Not adopted: no quorum (…)".
    pub fn outcome_label(&self) -> String {
        if self.forged {
            return "Not counted: its rules were forged".into();
        }
        if self.electorate.is_some() {
            return "Not counted: its electorate is not the membership when it opened".into();
        }
        if self.sealed {
            return "Ballots hidden until the chair closes it".into();
        }
        let provisional = if self.is_open() { " (so far)" } else { "" };
        match &self.tally.outcome {
            tally::Outcome::Adopted { option: None } => format!("Adopted by consent{provisional}"),
            tally::Outcome::Adopted { option: Some(i) } => format!(
                "Adopted: {}{provisional}",
                self.rules
                    .options
                    .get(*i)
                    .map(String::as_str)
                    .unwrap_or("?")
            ),
            tally::Outcome::NotAdopted(why) => {
                let why = match why {
                    tally::Failure::NoQuorum { needed, took_part } => {
                        format!("no quorum ({took_part} of {needed} needed took part)")
                    }
                    tally::Failure::Objected { weight } => {
                        format!("{weight} objection{}", if *weight == 1 { "" } else { "s" })
                    }
                    tally::Failure::BelowThreshold => match self.rules.method {
                        Method::Majority { threshold } => {
                            format!("no option reached {}", threshold.label())
                        }
                        _ => "below the threshold".into(),
                    },
                    tally::Failure::Tie => "a tie".into(),
                    tally::Failure::NoVotes => "no votes".into(),
                };
                format!("Not adopted{provisional}: {why}")
            }
        }
    }
}

/// Writes `value` at `obj[key]` as a new op, even if an equal value is there: automerge skips
/// a put of the value already there, and one forged in my name with the same words must not
/// stand in for my own, so the key is cleared first.
fn put_fresh(
    doc: &mut automerge::AutoCommit,
    obj: &ObjId,
    key: &str,
    value: String,
) -> Result<(), ModelError> {
    if doc.get(obj, key)?.is_some() {
        doc.delete(obj, key)?;
    }
    doc.put(obj, key, value)?;
    Ok(())
}

/// A slot's value, written as JSON.
fn json(value: &impl Serialize) -> Result<String, ModelError> {
    serde_json::to_string(value).map_err(|e| ModelError::Corrupt(e.to_string()))
}

fn json_slot<T: for<'de> Deserialize<'de>>(value: &Value<'_>) -> Option<T> {
    match value {
        Value::Scalar(s) => match s.as_ref() {
            ScalarValue::Str(s) if s.len() <= MAX_RULES => serde_json::from_str(s).ok(),
            _ => None,
        },
        _ => None,
    }
}

/// Op ids sort as automerge orders them (counter, then actor).
fn op_order(id: &str) -> (u64, &str) {
    match id.split_once('@') {
        Some((c, a)) => (c.parse().unwrap_or(0), a),
        None => (0, id),
    }
}

/// Whether the op `id` (`counter@actor`) was written by one of `owner`'s keys: `None` if
/// nothing there is signed (an open workspace's actor).
fn by_owner(doc: &impl autosurgeon::ReadDoc, id: &str, owner: &str) -> Option<bool> {
    let key = crate::trust::key_of_op(id)?;
    Some(crate::trust::keys_of(doc, owner).contains(&key))
}

/// Which op a slot's value came from.
#[derive(Debug, Clone)]
struct Pick {
    id: String,
    /// The change that wrote it, when known from history (else found from the op).
    change: Option<ChangeHash>,
    obj: Option<ObjId>,
}

impl Pick {
    fn hash(&self, doc: &automerge::AutoCommit) -> Option<ChangeHash> {
        self.change
            .or_else(|| self.obj.as_ref().and_then(|o| doc.hash_for_opid(o)))
    }
}

/// One person's slot: the value that counts (and its op), and values forged in their name.
struct Slot<T> {
    value: Option<(T, Pick)>,
    unreadable: bool,
    forged: Vec<(T, Pick)>,
    /// The value that counts is no longer in the document: another key deleted it or wrote
    /// over it, and it was read back from its owner's own change.
    restored: bool,
}

/// One slot: of the values its owner's keys wrote, the newest (by op id, as automerge
/// orders concurrent values). `values` are what the document holds there now (or at the
/// close); `history` what acts' changes wrote there (`acts.rs`). In a private workspace an
/// owner's own write counts even where another key deleted it or wrote over it later: any
/// writer can delete a key, nobody can delete a signed change. Values by other keys are
/// forged. In an open workspace nothing is signed, and the document as it stands counts.
fn slot<T: for<'de> Deserialize<'de>>(
    doc: &impl autosurgeon::ReadDoc,
    values: Vec<(Value<'_>, ObjId)>,
    history: &[&crate::acts::Write],
    owner: &str,
) -> Slot<T> {
    let mut out = Slot {
        value: None,
        unreadable: false,
        forged: Vec::new(),
        restored: false,
    };
    let mut genuine: Vec<(Option<T>, Pick, bool)> = Vec::new();
    for (value, id) in values {
        let parsed = json_slot::<T>(&value);
        let text = id.to_string();
        let pick = Pick {
            id: text.clone(),
            change: None,
            obj: Some(id),
        };
        if by_owner(doc, &text, owner) == Some(false) {
            out.forged.extend(parsed.map(|p| (p, pick)));
        } else {
            genuine.push((parsed, pick, true));
        }
    }
    for w in history {
        let Some(value) = &w.value else { continue };
        if by_owner(doc, &w.id, owner) != Some(true) || genuine.iter().any(|(_, p, _)| p.id == w.id)
        {
            continue;
        }
        let parsed = if value.len() <= MAX_SLOT {
            serde_json::from_str(value).ok()
        } else {
            None
        };
        let pick = Pick {
            id: w.id.clone(),
            change: Some(w.change),
            obj: None,
        };
        genuine.push((parsed, pick, false));
    }
    genuine.sort_by(|(_, a, _), (_, b, _)| op_order(&a.id).cmp(&op_order(&b.id)));
    match genuine.pop() {
        Some((Some(v), pick, visible)) => {
            out.value = Some((v, pick));
            out.restored = !visible;
        }
        Some((None, _, _)) => out.unreadable = true,
        None => {}
    }
    out
}

/// Every slot of the map `map` (at `heads`, or now) with all conflicting values, and what
/// acts wrote there (before the close: in `past`), including slots no longer in the map.
/// One pass over the map; only a slot with concurrent values is read again.
#[allow(clippy::type_complexity)]
fn slots<'a>(
    doc: &impl ReadDoc,
    map: &ObjId,
    heads: Option<&[ChangeHash]>,
    acts: &'a crate::acts::Index,
    past: Option<&crate::acts::Hashes>,
) -> Vec<(
    String,
    Vec<(Value<'static>, ObjId)>,
    Vec<&'a crate::acts::Write>,
)> {
    let items = match heads {
        Some(h) => doc.map_range_at(map, .., h),
        None => doc.map_range(map, ..),
    };
    let history = acts.keys_of(&map.to_string());
    let written = |key: &str| -> Vec<&'a crate::acts::Write> {
        history
            .and_then(|h| h.get(key))
            .map(|ws| {
                ws.iter()
                    .filter(|w| past.is_none_or(|p| p.contains(&w.change)))
                    .collect()
            })
            .unwrap_or_default()
    };
    let mut out: Vec<_> = items
        .filter(|item| item.key.len() <= 200)
        .map(|item| {
            let key = item.key.to_string();
            let values = if item.conflict {
                match heads {
                    Some(h) => doc.get_all_at(map, key.as_str(), h),
                    None => doc.get_all(map, key.as_str()),
                }
                .unwrap_or_default()
                .into_iter()
                .map(|(v, id)| (v.into_owned(), id))
                .collect()
            } else {
                let id = item.id();
                vec![(item.value.into_value(), id)]
            };
            let w = written(&key);
            (key, values, w)
        })
        .collect();
    if let Some(history) = history {
        let present: BTreeSet<String> = out.iter().map(|(k, _, _)| k.clone()).collect();
        for key in history.keys() {
            if !present.contains(key) {
                let w = written(key);
                if !w.is_empty() {
                    out.push((key.clone(), Vec::new(), w));
                }
            }
        }
    }
    out
}

/// What a slot holds now (or at the close), and what acts wrote there.
type SlotValues<'a> = (Vec<(Value<'static>, ObjId)>, Vec<&'a crate::acts::Write>);

/// A write read as a ballot, parsed once per write.
fn ballot_of(w: &crate::acts::Write) -> Option<&BallotValue> {
    w.ballot
        .get_or_init(|| {
            let v = w.value.as_deref()?;
            if v.len() > MAX_SLOT {
                return None;
            }
            serde_json::from_str(v).ok()
        })
        .as_ref()
}

/// A decision's map `name` (`ballots`, `delegations`, `closes`): the one its opening change
/// made, whatever was put under that name later.
fn sub_map(doc: &impl ReadDoc, decision: &ObjId, made: ChangeHash, name: &str) -> Option<ObjId> {
    match doc.get_at(decision, name, &[made]) {
        Ok(Some((Value::Object(ObjType::Map), m))) => Some(m),
        _ => None,
    }
}

/// The maps at `obj[prop]`: all of them, if concurrent peers each made one (nothing written
/// into the map that lost is hidden).
fn all_maps(doc: &impl ReadDoc, obj: &ObjId, prop: &str) -> Vec<ObjId> {
    doc.get_all(obj, prop)
        .unwrap_or_default()
        .into_iter()
        .filter_map(|(v, id)| matches!(v, Value::Object(ObjType::Map)).then_some(id))
        .collect()
}

/// The maps that were at the root's `prop` when an act wrote into them, beside the ones there
/// now: a root map replaced later hides no act written into it.
fn root_maps(
    doc: &automerge::AutoCommit,
    prop: &str,
    acts: &crate::acts::Index,
    label: usize,
) -> Vec<ObjId> {
    let mut maps = all_maps(doc, &ROOT, prop);
    let mut checked: BTreeSet<String> = maps.iter().map(ToString::to_string).collect();
    for (obj, change) in acts.objects_written(label) {
        if !checked.insert(obj.to_owned()) {
            continue;
        }
        let was_there = doc
            .get_all_at(&ROOT, prop, &[change])
            .unwrap_or_default()
            .into_iter()
            .find(|(v, id)| matches!(v, Value::Object(ObjType::Map)) && id.to_string() == obj);
        if let Some((_, id)) = was_there {
            maps.push(id);
        }
    }
    maps
}

impl Workspace {
    /// The electorate of members in `tiers` now (person → weight 1): the roster's standing
    /// members for [`ROSTER`], and individuals approved into a chosen tier.
    pub fn electorate(&self, tiers: &[String]) -> Result<BTreeMap<String, u64>, ModelError> {
        electorate_in(self.doc(), tiers)
    }

    /// How the electorate `rules` froze differs from the one of its tiers derived from the
    /// document just before the change `made` that opened it (`None`: it does not). Read at
    /// those heads, not from a fork (which would replay the whole history), and kept per
    /// opening (the rules are read at that change, so they never change).
    fn electorate_check(&self, made: ChangeHash, rules: &Rules) -> Option<ElectorateDiff> {
        if let Some(e) = self.electorates.borrow().get(&made) {
            return e.clone();
        }
        let deps = ReadDoc::get_change_by_hash(self.doc(), &made).map(|c| c.deps().to_vec());
        let derived = deps.and_then(|heads| {
            electorate_in(&crate::at::At::new(self.doc(), &heads), &rules.tiers).ok()
        });
        let diff = match derived {
            Some(derived) if derived == rules.electorate => None,
            Some(derived) => Some(ElectorateDiff {
                added: rules
                    .electorate
                    .keys()
                    .filter(|p| !derived.contains_key(*p))
                    .cloned()
                    .collect(),
                left_out: derived
                    .keys()
                    .filter(|p| !rules.electorate.contains_key(*p))
                    .cloned()
                    .collect(),
            }),
            None => Some(ElectorateDiff::default()),
        };
        self.electorates.borrow_mut().insert(made, diff.clone());
        diff
    }

    fn decisions_map(&mut self) -> Result<ObjId, ModelError> {
        Ok(match self.doc().get(ROOT, "decisions")? {
            Some((Value::Object(ObjType::Map), id)) => id,
            _ => self.doc_mut().put_object(ROOT, "decisions", ObjType::Map)?,
        })
    }

    /// The decision map with id `id` (in any of concurrently made `decisions` maps).
    fn decision_obj(&self, id: &str) -> Option<ObjId> {
        self.decision_objs()
            .into_iter()
            .find_map(|(k, d)| (k == id).then_some(d))
    }

    /// Opens a decision: validates, freezes the rules and the electorate, and returns its id.
    pub fn open_decision(&mut self, ctx: Ctx<'_>, new: NewDecision) -> Result<String, ModelError> {
        self.require_member(ctx.person, "open a decision")?;
        let question = crate::workspace::nonempty("question", &new.question, MAX_QUESTION)?;
        let details =
            crate::workspace::bounded("details", &new.details, crate::workspace::MAX_BODY)?;
        let options: Vec<String> = match new.method {
            Method::Consent => Vec::new(),
            _ => new
                .options
                .iter()
                .map(|o| crate::workspace::nonempty("option", o, crate::workspace::MAX_NAME))
                .collect::<Result<_, _>>()?,
        };
        if new.method != Method::Consent {
            if options.len() < 2 || options.len() > MAX_OPTIONS {
                return Err(ModelError::NotAllowed(format!(
                    "a vote needs between 2 and {MAX_OPTIONS} options"
                )));
            }
            if options.iter().collect::<BTreeSet<_>>().len() != options.len() {
                return Err(ModelError::NotAllowed(
                    "two options have the same words".into(),
                ));
            }
        }
        if let Method::Majority {
            threshold: tally::Threshold::Percent { percent },
        } = new.method
            && !(1..=100).contains(&percent)
        {
            return Err(ModelError::NotAllowed(
                "a threshold is between 1% and 100%".into(),
            ));
        }
        if new.quorum_percent > 100 {
            return Err(ModelError::NotAllowed(
                "a quorum is between 0% and 100%".into(),
            ));
        }
        if let Some(h) = &new.hidden {
            if new.chair != ctx.person {
                return Err(ModelError::NotAllowed(
                    "to hide ballots until the close, chair it yourself: only the chair's device can reveal them".into(),
                ));
            }
            if h.public_key().is_none() || h.salt_bytes().is_none() {
                return Err(ModelError::NotAllowed("that is not a decision key".into()));
            }
        }
        let electorate = self.electorate(&new.tiers)?;
        if electorate.is_empty() {
            return Err(ModelError::NotAllowed(
                "nobody is in the chosen tiers, so nobody could vote".into(),
            ));
        }
        if !electorate.contains_key(&new.chair) && new.chair != ctx.person {
            return Err(ModelError::NotAllowed(
                "the chair must be in the electorate or be the one opening it".into(),
            ));
        }
        let closes_at = match new.closes_at.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(t) => Some(time::format_instant(time::parse_instant(
                "closing time",
                t,
            )?)),
        };
        if let Some(topic) = &new.topic
            && !self.workstreams()?.iter().any(|w| &w.id == topic)
        {
            return Err(crate::workspace::unknown_id("workstream", topic));
        }
        let now: Vec<String> = self.heads().iter().map(ChangeHash::to_string).collect();
        let subject = match new.subject {
            Some(Subject::AgendaItem { session, item }) => {
                let s = self
                    .sessions()?
                    .into_iter()
                    .find(|s| s.id == session)
                    .ok_or_else(|| crate::workspace::unknown_id("work session", &session))?;
                if !contains(&s.agenda, &item) {
                    return Err(crate::workspace::unknown_id("agenda item", &item));
                }
                Some(Subject::AgendaItem { session, item })
            }
            Some(Subject::Thread {
                document, thread, ..
            }) => {
                let view = self
                    .threads(&document)?
                    .into_iter()
                    .find(|t| t.thread.id == thread)
                    .ok_or_else(|| crate::workspace::unknown_id("thread", &thread))?;
                Some(Subject::Thread {
                    document,
                    thread,
                    quote: view.thread.anchor.quote,
                    heads: now.clone(),
                })
            }
            Some(Subject::Document { document, .. }) => {
                if !self.documents()?.iter().any(|d| d.id == document) {
                    return Err(crate::workspace::unknown_id("document", &document));
                }
                Some(Subject::Document {
                    document,
                    heads: now.clone(),
                })
            }
            None => None,
        };
        let rules = Rules {
            question,
            details,
            options,
            method: new.method,
            quorum_percent: new.quorum_percent,
            tiers: new.tiers,
            electorate,
            chair: new.chair,
            closes_at,
            topic: new.topic,
            delegation: new.delegation,
            subject,
            hidden: new.hidden,
            opened_by: ctx.person.to_owned(),
            opened_at: ctx.at.to_owned(),
        };
        let json = json(&rules)?;
        if json.len() > MAX_RULES {
            return Err(ModelError::NotAllowed(
                "this electorate is too large".into(),
            ));
        }
        let id = self.next_id();
        self.change(ctx, "open a decision", |ws| {
            let decisions = ws.decisions_map()?;
            if ws.doc().get(ROOT, "delegations")?.is_none() {
                ws.doc_mut().put_object(ROOT, "delegations", ObjType::Map)?;
            }
            let doc = ws.doc_mut();
            let d = doc.put_object(&decisions, id.as_str(), ObjType::Map)?;
            doc.put(&d, "rules", json)?;
            for slots in ["ballots", "delegations", "closes"] {
                doc.put_object(&d, slots, ObjType::Map)?;
            }
            Ok(())
        })?;
        Ok(id)
    }

    /// What an operation on a decision needs: its rules, whether it is open, its object —
    /// without counting it (a ballot must not cost a tally).
    fn open_rules(&self, id: &str) -> Result<(Rules, bool, ObjId), ModelError> {
        let obj = self
            .decision_obj(id)
            .ok_or_else(|| crate::workspace::unknown_id("decision", id))?;
        let (rules, _) = self.rules_of(id, &obj)?;
        let made = self
            .doc()
            .hash_for_opid(&obj)
            .ok_or_else(|| ModelError::NotAWorkspace(format!("decision {id} cannot be read")))?;
        let open = self
            .effective_close(&mut self.acts(), &obj, made, &rules)
            .is_none();
        Ok((rules, open, obj))
    }

    /// The rules as the opening change wrote them, and the op that wrote them.
    pub(crate) fn rules_of(&self, id: &str, obj: &ObjId) -> Result<(Rules, ObjId), ModelError> {
        let doc = self.doc();
        let unreadable = || ModelError::NotAWorkspace(format!("decision {id} cannot be read"));
        let made = doc.hash_for_opid(obj).ok_or_else(unreadable)?;
        // Read at the opening change, so they never change: parsed once (an electorate of a
        // thousand is a large JSON string, and every ballot asks for the rules).
        if let Some(known) = self.rules.borrow().get(&made) {
            return Ok(known.clone());
        }
        let (value, rules_id) = doc.get_at(obj, "rules", &[made])?.ok_or_else(unreadable)?;
        let rules: Rules = json_slot(&value).ok_or_else(unreadable)?;
        self.rules
            .borrow_mut()
            .insert(made, (rules.clone(), rules_id.clone()));
        Ok((rules, rules_id))
    }

    fn put_slot(
        &mut self,
        ctx: Ctx<'_>,
        message: &str,
        decision: &ObjId,
        map: &str,
        json: String,
    ) -> Result<(), ModelError> {
        if json.len() > MAX_SLOT {
            return Err(ModelError::TooLong {
                field: "ballot",
                len: json.len(),
                max: MAX_SLOT,
            });
        }
        let made = self.doc().hash_for_opid(decision);
        let slots = made
            .and_then(|made| sub_map(self.doc(), decision, made, map))
            .ok_or_else(|| ModelError::NotAllowed("this decision cannot be read".into()))?;
        self.change(ctx, message, |ws| {
            put_fresh(ws.doc_mut(), &slots, ctx.person, json)?;
            Ok(())
        })
    }

    /// Casts (or changes) `ctx.person`'s ballot.
    pub fn vote(&mut self, ctx: Ctx<'_>, decision: &str, choice: Choice) -> Result<(), ModelError> {
        let (rules, open, obj) = self.open_rules(decision)?;
        if rules.hidden.is_some() {
            return Err(ModelError::NotAllowed(
                "this decision hides ballots until the close: seal the ballot".into(),
            ));
        }
        let choice = check_ballot(&rules, open, ctx.person, choice)?;
        let json = json(&BallotValue {
            choice: Some(choice),
            sealed: None,
            at: ctx.at.to_owned(),
        })?;
        self.put_slot(ctx, "vote", &obj, "ballots", json)
    }

    /// Casts a ballot of a decision whose ballots are hidden until close: sealed to its key
    /// with the caller's randomness (an ephemeral secret and a nonce).
    pub fn vote_hidden(
        &mut self,
        ctx: Ctx<'_>,
        decision: &str,
        choice: Choice,
        ephemeral: [u8; 32],
        nonce: [u8; 24],
    ) -> Result<(), ModelError> {
        let (rules, open, obj) = self.open_rules(decision)?;
        let Some(key) = rules.hidden.as_ref().and_then(HiddenKey::public_key) else {
            return Err(ModelError::NotAllowed(
                "this decision's ballots are not hidden".into(),
            ));
        };
        let choice = check_ballot(&rules, open, ctx.person, choice)?;
        let plain = serde_json::to_vec(&choice).map_err(|e| ModelError::Corrupt(e.to_string()))?;
        let sealed = moot_trust::seal_ballot(&key, &plain, ephemeral, nonce)
            .ok_or_else(|| ModelError::NotAllowed("that is not a decision key".into()))?;
        let json = json(&BallotValue {
            choice: None,
            sealed: Some(to_hex(&sealed)),
            at: ctx.at.to_owned(),
        })?;
        self.put_slot(ctx, "vote", &obj, "ballots", json)
    }

    /// Delegates `ctx.person`'s vote on this decision to `to` (`None`: I vote myself, whatever
    /// my topic delegation says).
    pub fn delegate(
        &mut self,
        ctx: Ctx<'_>,
        decision: &str,
        to: Option<&str>,
    ) -> Result<(), ModelError> {
        let (rules, open, obj) = self.open_rules(decision)?;
        if !open {
            return Err(ModelError::NotAllowed("this decision is closed".into()));
        }
        if !rules.delegation {
            return Err(ModelError::NotAllowed(
                "this decision does not take delegations".into(),
            ));
        }
        if !rules.electorate.contains_key(ctx.person) {
            return Err(ModelError::NotAllowed(
                "you are not in this decision's electorate".into(),
            ));
        }
        if let Some(to) = to {
            if to == ctx.person {
                return Err(ModelError::NotAllowed(
                    "you cannot delegate to yourself".into(),
                ));
            }
            if !rules.electorate.contains_key(to) {
                return Err(ModelError::NotAllowed(
                    "you can delegate only to someone in the electorate".into(),
                ));
            }
        }
        let json = json(&DelegationValue {
            to: to.map(str::to_owned),
            at: ctx.at.to_owned(),
        })?;
        self.put_slot(ctx, "delegate", &obj, "delegations", json)
    }

    /// `ctx.person`'s standing delegations, topic (workstream id) → delegate.
    pub fn topic_delegations(&self, person: &str) -> BTreeMap<String, String> {
        // Their one slot, not everyone's (a workstream card asks on every change), in every
        // map that holds topic delegations (the same ones the tally reads).
        let acts = self.acts();
        let doc = self.doc();
        let mut values = Vec::new();
        let mut history = Vec::new();
        for map in root_maps(doc, "delegations", &acts, crate::acts::TOPIC) {
            values.extend(
                doc.get_all(&map, person)
                    .unwrap_or_default()
                    .into_iter()
                    .map(|(v, id)| (v.into_owned(), id)),
            );
            history.extend(acts.writes(&map.to_string(), person).iter());
        }
        slot::<BTreeMap<String, String>>(doc, values, &history, person)
            .value
            .map(|(v, _)| v)
            .unwrap_or_default()
    }

    /// Everyone's topic delegations at `heads` (or now), from every map that holds them.
    fn topic_delegations_at(
        &self,
        acts: &mut crate::acts::Index,
        heads: Option<&[ChangeHash]>,
    ) -> BTreeMap<String, BTreeMap<String, String>> {
        let doc = self.doc();
        let past = heads.and_then(|h| h.first()).map(|h| acts.past(*h));
        let acts: &crate::acts::Index = acts;
        let mut by_person: BTreeMap<String, SlotValues<'_>> = BTreeMap::new();
        for map in root_maps(doc, "delegations", acts, crate::acts::TOPIC) {
            for (person, values, history) in slots(doc, &map, heads, acts, past.as_deref()) {
                let entry = by_person.entry(person).or_default();
                entry.0.extend(values);
                entry.1.extend(history);
            }
        }
        by_person
            .into_iter()
            .filter_map(|(person, (values, history))| {
                let s = slot::<BTreeMap<String, String>>(doc, values, &history, &person);
                s.value.map(|(v, _)| (person, v))
            })
            .collect()
    }

    /// Delegates `ctx.person`'s vote on every decision on workstream `topic` (that takes
    /// delegations) to `to`, or stops doing so (`None`).
    pub fn delegate_topic(
        &mut self,
        ctx: Ctx<'_>,
        topic: &str,
        to: Option<&str>,
    ) -> Result<(), ModelError> {
        if !self.workstreams()?.iter().any(|w| w.id == topic) {
            return Err(crate::workspace::unknown_id("workstream", topic));
        }
        let members = self.membership()?.members;
        if !members.contains(ctx.person) {
            return Err(ModelError::NotAllowed("only members may delegate".into()));
        }
        let mut mine = self.topic_delegations(ctx.person);
        match to {
            Some(to) if to == ctx.person => {
                return Err(ModelError::NotAllowed(
                    "you cannot delegate to yourself".into(),
                ));
            }
            Some(to) if !members.contains(to) => {
                return Err(ModelError::NotAllowed(
                    "you can delegate only to a member".into(),
                ));
            }
            Some(to) => {
                mine.insert(topic.to_owned(), to.to_owned());
            }
            None => {
                mine.remove(topic);
            }
        }
        let json = json(&mine)?;
        self.change(ctx, "delegate on a topic", |ws| {
            let map = match ws.doc().get(ROOT, "delegations")? {
                Some((Value::Object(ObjType::Map), m)) => m,
                _ => ws.doc_mut().put_object(ROOT, "delegations", ObjType::Map)?,
            };
            put_fresh(ws.doc_mut(), &map, ctx.person, json)?;
            Ok(())
        })
    }

    /// Closes the decision: the chair at any time, anyone in the electorate once the closing
    /// time has passed on their clock (`ctx.at`).
    pub fn close_decision(&mut self, ctx: Ctx<'_>, decision: &str) -> Result<(), ModelError> {
        let (rules, open, obj) = self.open_rules(decision)?;
        if !open {
            return Err(ModelError::NotAllowed(
                "this decision is already closed".into(),
            ));
        }
        if rules.hidden.is_some() {
            return Err(ModelError::NotAllowed(
                "only the chair closes it, revealing the ballots".into(),
            ));
        }
        if !may_close(&rules, ctx.person, ctx.at) {
            return Err(ModelError::NotAllowed(match &rules.closes_at {
                Some(t) => format!("only the chair may close it before {t}"),
                None => "only the chair may close it".into(),
            }));
        }
        let json = json(&CloseValue {
            at: ctx.at.to_owned(),
            reveal: None,
        })?;
        self.put_slot(ctx, "close a decision", &obj, "closes", json)
    }

    /// The chair closes a decision whose ballots are hidden, revealing its secret: from then
    /// on everyone reads every ballot and counts them.
    pub fn close_hidden(
        &mut self,
        ctx: Ctx<'_>,
        decision: &str,
        secret: [u8; 32],
    ) -> Result<(), ModelError> {
        let (rules, open, obj) = self.open_rules(decision)?;
        if !open {
            return Err(ModelError::NotAllowed(
                "this decision is already closed".into(),
            ));
        }
        let Some(public) = rules.hidden.as_ref().and_then(HiddenKey::public_key) else {
            return Err(ModelError::NotAllowed(
                "this decision's ballots are not hidden".into(),
            ));
        };
        if ctx.person != rules.chair {
            return Err(ModelError::NotAllowed("only the chair may close it".into()));
        }
        if moot_trust::decision_public(&secret) != public {
            return Err(ModelError::NotAllowed(
                "this device does not hold the decision's key: close it from a device the chair had when it opened".into(),
            ));
        }
        let json = json(&CloseValue {
            at: ctx.at.to_owned(),
            reveal: Some(to_hex(&secret)),
        })?;
        self.put_slot(ctx, "close a decision", &obj, "closes", json)
    }

    /// The secret of decision `id`'s hidden ballots as `device` holds it: derived from its seed
    /// (the device that opened it) or opened from the copy sealed to it (another device the
    /// chair had then). `None` if this device holds neither.
    pub fn decision_secret_for(
        &self,
        id: &str,
        device: &moot_trust::DeviceKey,
    ) -> Option<[u8; 32]> {
        let obj = self.decision_obj(id)?;
        let (rules, _) = self.rules_of(id, &obj).ok()?;
        let hidden = rules.hidden?;
        let public = hidden.public_key()?;
        let derived = moot_trust::decision_secret(&device.to_seed(), &hidden.salt_bytes()?);
        if moot_trust::decision_public(&derived) == public {
            return Some(derived);
        }
        let sealed = from_hex(
            hidden
                .devices
                .get(&moot_trust::device_code(&device.public()))?,
        )?;
        let secret = moot_trust::open_secret_as_device(device, &sealed)?;
        (moot_trust::decision_public(&secret) == public).then_some(secret)
    }

    /// Writes the outcome in words (once closed).
    pub fn set_outcome(
        &mut self,
        ctx: Ctx<'_>,
        decision: &str,
        text: &str,
    ) -> Result<(), ModelError> {
        let (_, open, obj) = self.open_rules(decision)?;
        if open {
            return Err(ModelError::NotAllowed("close the decision first".into()));
        }
        let text = crate::workspace::nonempty("outcome", text, crate::workspace::MAX_BODY)?;
        let json = json(&OutcomeValue {
            text,
            by: ctx.person.to_owned(),
            at: ctx.at.to_owned(),
        })?;
        self.change(ctx, "write a decision's outcome", |ws| {
            put_fresh(ws.doc_mut(), &obj, "outcome", json)?;
            Ok(())
        })
    }

    /// Every readable decision, oldest first.
    pub fn decisions(&self) -> Vec<DecisionView> {
        let mut out: Vec<DecisionView> = self
            .decision_objs()
            .into_iter()
            .filter_map(|(id, obj)| self.read_decision(&id, &obj, false).ok().map(|(v, _)| v))
            .collect();
        out.sort_by(|a, b| {
            (a.rules.opened_at.as_str(), a.id.as_str())
                .cmp(&(b.rules.opened_at.as_str(), b.id.as_str()))
        });
        out.dedup_by(|a, b| a.id == b.id);
        out
    }

    /// Every decision map, by id (in any of concurrently made `decisions` maps, and any
    /// that another key deleted: a decision, once opened, is never removed).
    pub(crate) fn decision_objs(&self) -> Vec<(String, ObjId)> {
        let acts = self.acts();
        let doc = self.doc();
        let mut out: Vec<(String, ObjId)> = Vec::new();
        let mut seen: BTreeSet<String> = BTreeSet::new();
        for m in root_maps(doc, "decisions", &acts, crate::acts::OPEN) {
            for k in doc.keys(&m) {
                if let Ok(Some((Value::Object(ObjType::Map), d))) = doc.get(&m, k.as_str())
                    && seen.insert(d.to_string())
                {
                    out.push((k, d));
                }
            }
            // Decisions made in this map whose key another key deleted or wrote over.
            for (key, writes) in acts.keys_of(&m.to_string()).into_iter().flatten() {
                for w in writes
                    .iter()
                    .filter(|w| w.label == crate::acts::OPEN && w.value.is_none())
                {
                    if seen.contains(&w.id) {
                        continue;
                    }
                    if let Ok(d) = doc.import_obj(&w.id)
                        && matches!(doc.object_type(&d), Ok(ObjType::Map))
                    {
                        seen.insert(w.id.clone());
                        out.push((key.clone(), d));
                    }
                }
            }
        }
        out
    }

    /// Each readable decision's id, frozen rules and outcome words, without counting it (what
    /// search reads).
    pub(crate) fn decision_texts(&self) -> Vec<(String, Rules, Option<String>)> {
        let doc = self.doc();
        self.decision_objs()
            .into_iter()
            .filter_map(|(id, obj)| {
                let (rules, _) = self.rules_of(&id, &obj).ok()?;
                let outcome = doc
                    .get(&obj, "outcome")
                    .ok()
                    .flatten()
                    .and_then(|(v, _)| json_slot::<OutcomeValue>(&v))
                    .map(|o| o.text);
                Some((id, rules, outcome))
            })
            .collect()
    }

    pub fn decision(&self, id: &str) -> Result<DecisionView, ModelError> {
        let obj = self
            .decision_obj(id)
            .ok_or_else(|| crate::workspace::unknown_id("decision", id))?;
        self.read_decision(id, &obj, false).map(|(view, _)| view)
    }

    /// Each voter of decision `id` who changed their ballot: every ballot they cast, oldest
    /// first, with what became of it (#14: the history of a voter's changes is kept). Read on
    /// its own, when a page shows it: a tally does not need it.
    pub fn ballot_history(
        &self,
        id: &str,
    ) -> Result<BTreeMap<String, Vec<PastBallot>>, ModelError> {
        let obj = self
            .decision_obj(id)
            .ok_or_else(|| crate::workspace::unknown_id("decision", id))?;
        self.read_decision(id, &obj, true)
            .map(|(_, history)| history)
    }

    /// The decision, and (`with_history`) each voter's ballot history.
    #[allow(clippy::type_complexity)]
    fn read_decision(
        &self,
        id: &str,
        obj: &ObjId,
        with_history: bool,
    ) -> Result<(DecisionView, BTreeMap<String, Vec<PastBallot>>), ModelError> {
        let doc = self.doc();
        let (rules, rules_id) = self.rules_of(id, obj)?;
        let rules_id = rules_id.to_string();
        let forged = by_owner(doc, &rules_id, &rules.opened_by) == Some(false);
        let made = doc
            .hash_for_opid(obj)
            .ok_or_else(|| ModelError::NotAWorkspace(format!("decision {id} cannot be read")))?;
        // The electorate it froze must be the one the membership gave when it opened.
        let electorate = self.electorate_check(made, &rules);
        let mut acts = self.acts();

        let closed = self.effective_close(&mut acts, obj, made, &rules);
        let heads: Option<Vec<ChangeHash>> = closed.as_ref().map(|(_, h, _)| vec![*h]);
        let at = heads.as_deref();
        let past = closed.as_ref().map(|(_, h, _)| acts.past(*h));
        let secret = closed.as_ref().and_then(|(_, _, r)| *r);
        let hidden = rules.hidden.is_some();
        // Ballots hidden and not yet revealed: counted for taking part, not for what.
        let sealed = hidden && secret.is_none();
        // What a ballot says: in the clear, or opened with the revealed secret.
        let choice_of = |b: &BallotValue| -> Option<Choice> {
            match (hidden, secret) {
                (false, _) => b.choice.clone(),
                (true, Some(secret)) => {
                    let bytes = from_hex(b.sealed.as_deref()?)?;
                    let plain = moot_trust::open_ballot(&secret, &bytes)?;
                    serde_json::from_slice(&plain).ok()
                }
                (true, None) => b.sealed.as_ref().map(|_| Choice::Abstain),
            }
        };

        let method = rules.method;
        let n_options = rules.options.len();
        let ballots_map = sub_map(doc, obj, made, "ballots");
        // Topic delegations at the close (read before the slots borrow the index).
        let topics = match (&rules.topic, rules.delegation) {
            (Some(_), true) => self.topic_delegations_at(&mut acts, at),
            _ => BTreeMap::new(),
        };
        let acts: &crate::acts::Index = &acts;
        // Ballots that count: at the close (or now).
        let mut counted: BTreeMap<String, Choice> = BTreeMap::new();
        // Voter → the op of their counted ballot.
        let mut counted_ids: BTreeMap<String, String> = BTreeMap::new();
        let parse = |heads: Option<&[ChangeHash]>,
                     past: Option<&crate::acts::Hashes>|
         -> Vec<(String, Slot<BallotValue>, Vec<&crate::acts::Write>)> {
            let Some(map) = &ballots_map else {
                return Vec::new();
            };
            slots(doc, map, heads, acts, past)
                .into_iter()
                .map(|(voter, values, history)| {
                    let s = slot::<BallotValue>(doc, values, &history, &voter);
                    (voter, s, history)
                })
                .collect()
        };
        let now = parse(None, None);
        let at_close = at.map(|h| parse(Some(h), past.as_deref()));
        // Signed: the rules and every counted ballot by their person's own key.
        let mut signed = by_owner(doc, &rules_id, &rules.opened_by) == Some(true);
        let mut restored = false;
        for (voter, s, _) in at_close.as_ref().unwrap_or(&now) {
            if let Some((b, pick)) = &s.value
                && rules.electorate.contains_key(voter)
                && let Some(choice) = choice_of(b)
                && choice.fits(method, n_options)
            {
                signed &= by_owner(doc, &pick.id, voter) == Some(true);
                restored |= s.restored;
                counted.insert(voter.clone(), choice);
                counted_ids.insert(voter.clone(), pick.id.clone());
            }
        }
        // Every current ballot, with what became of it, and each voter's earlier ones.
        let mut ballots = Vec::new();
        let mut history: BTreeMap<String, Vec<PastBallot>> = BTreeMap::new();
        for (voter, s, writes) in now {
            let counted_id = counted_ids.get(&voter).map(String::as_str);
            for (b, _) in s.forged {
                ballots.push(BallotLine {
                    voter: voter.clone(),
                    choice: if sealed { None } else { choice_of(&b) },
                    at: b.at,
                    state: BallotState::Forged,
                    restored: false,
                });
            }
            if s.unreadable {
                ballots.push(BallotLine {
                    voter: voter.clone(),
                    choice: None,
                    at: String::new(),
                    state: BallotState::Invalid,
                    restored: false,
                });
            }
            // Their own writes, oldest first: what they chose, and what became of each.
            if with_history {
                let mut own: Vec<(&crate::acts::Write, &BallotValue)> = writes
                    .iter()
                    .filter(|w| by_owner(doc, &w.id, &voter) != Some(false))
                    .filter_map(|w| Some((*w, ballot_of(w)?)))
                    .collect();
                own.sort_by(|(a, _), (b, _)| a.order().cmp(&b.order()));
                if own.len() > 1 {
                    let line = own
                        .into_iter()
                        .map(|(w, b)| PastBallot {
                            choice: if sealed { None } else { choice_of(b) },
                            at: b.at.clone(),
                            state: if counted_id == Some(w.id.as_str()) {
                                PastState::Counted
                            } else if past.as_ref().is_some_and(|p| !p.contains(&w.change)) {
                                PastState::Late
                            } else {
                                PastState::Replaced
                            },
                        })
                        .collect();
                    history.insert(voter.clone(), line);
                }
            }
            if let Some((b, pick)) = s.value {
                let choice = choice_of(&b);
                let state = if !rules.electorate.contains_key(&voter) {
                    BallotState::Outside
                } else if counted_id == Some(pick.id.as_str()) {
                    BallotState::Counted
                } else if choice.as_ref().is_none_or(|c| !c.fits(method, n_options)) {
                    BallotState::Invalid
                } else {
                    BallotState::Late
                };
                ballots.push(BallotLine {
                    voter: voter.clone(),
                    choice: if sealed { None } else { choice },
                    at: b.at,
                    state,
                    restored: s.restored,
                });
            }
        }
        // Delegations in force: topic ones first, the decision's own override them.
        let mut delegations: BTreeMap<String, String> = BTreeMap::new();
        if rules.delegation {
            if let Some(topic) = &rules.topic {
                for (person, topics) in topics {
                    if let Some(to) = topics.get(topic) {
                        delegations.insert(person, to.clone());
                    }
                }
            }
            if let Some(map) = sub_map(doc, obj, made, "delegations") {
                for (voter, values, history) in slots(doc, &map, at, acts, past.as_deref()) {
                    let s = slot::<DelegationValue>(doc, values, &history, &voter);
                    if let Some((d, _)) = s.value {
                        restored |= s.restored;
                        match d.to {
                            Some(to) => delegations.insert(voter, to),
                            None => delegations.remove(&voter),
                        };
                    }
                }
            }
        }
        let tally = tally::count(
            Counting {
                method,
                options: n_options,
                quorum_percent: rules.quorum_percent,
                electorate: &rules.electorate,
                delegation: rules.delegation,
            },
            &counted,
            &delegations,
        );
        let outcome = doc.get(obj, "outcome").ok().flatten().and_then(|(v, oid)| {
            let o: OutcomeValue = json_slot(&v)?;
            let forged = by_owner(doc, &oid.to_string(), &o.by) == Some(false);
            Some(Outcome {
                text: o.text,
                by: o.by,
                at: o.at,
                forged,
            })
        });
        let mut tally = tally;
        if sealed {
            // Who took part is known; what they chose is not: no choice is shown.
            for line in &mut tally.voters {
                line.choice = None;
            }
        }
        restored |= closed.as_ref().is_some_and(|(c, _, _)| c.restored);
        let view = DecisionView {
            id: id.to_owned(),
            closed: closed.map(|(c, _, _)| c),
            sealed,
            tally,
            ballots,
            delegations,
            outcome,
            verified: signed,
            forged,
            restored,
            electorate,
            rules,
        };
        Ok((view, history))
    }

    /// The close that counts, if any, and its change.
    fn effective_close(
        &self,
        acts: &mut crate::acts::Index,
        obj: &ObjId,
        made: ChangeHash,
        rules: &Rules,
    ) -> Option<(Closed, ChangeHash, Option<[u8; 32]>)> {
        let doc = self.doc();
        struct Candidate {
            by: String,
            at: String,
            id: String,
            hash: ChangeHash,
            reveal: Option<[u8; 32]>,
            restored: bool,
        }
        let hidden = rules.hidden.as_ref().and_then(HiddenKey::public_key);
        let closes = sub_map(doc, obj, made, "closes")?;
        let candidates: Vec<Candidate> = slots(doc, &closes, None, acts, None)
            .into_iter()
            .take(256)
            .filter_map(|(by, values, history)| {
                let s = slot::<CloseValue>(doc, values, &history, &by);
                let restored = s.restored;
                let (value, pick) = s.value?;
                if !may_close(rules, &by, &value.at) {
                    return None;
                }
                // Hidden ballots: a close counts only with the secret of the decision's key.
                let reveal: Option<[u8; 32]> = match (&rules.hidden, hidden) {
                    (None, _) => None,
                    (Some(_), None) => return None,
                    (Some(_), Some(public)) => {
                        let secret: [u8; 32] =
                            from_hex(value.reveal.as_deref()?)?.try_into().ok()?;
                        if moot_trust::decision_public(&secret) != public {
                            return None;
                        }
                        Some(secret)
                    }
                };
                let hash = pick.hash(doc)?;
                Some(Candidate {
                    by,
                    at: value.at,
                    id: pick.id,
                    hash,
                    reveal,
                    restored,
                })
            })
            .collect();
        // A close that saw another valid close came too late to count.
        let pasts: Vec<_> = candidates.iter().map(|c| acts.past(c.hash)).collect();
        let first: Vec<&Candidate> = candidates
            .iter()
            .zip(&pasts)
            .filter(|(b, past_b)| {
                !candidates
                    .iter()
                    .any(|a| a.id != b.id && a.hash != b.hash && past_b.contains(&a.hash))
            })
            .map(|(b, _)| b)
            .collect();
        let chosen = first.iter().min_by_key(|c| (c.by != rules.chair, c.hash))?;
        Some((
            Closed {
                by: chosen.by.clone(),
                at: chosen.at.clone(),
                hash: chosen.hash.to_string(),
                restored: chosen.restored,
            },
            chosen.hash,
            chosen.reveal,
        ))
    }
}

/// The electorate of members in `tiers` (person → weight 1) as `doc` reads.
fn electorate_in(
    doc: &impl autosurgeon::ReadDoc,
    tiers: &[String],
) -> Result<BTreeMap<String, u64>, ModelError> {
    let membership = crate::membership::membership_in(doc)?;
    let (roster, _) = crate::tolerant::list::<String, _>(doc, &ROOT, "roster")?;
    let mut out = BTreeMap::new();
    if tiers.iter().any(|t| t == ROSTER) {
        for p in roster {
            out.insert(p, 1);
        }
    }
    for view in &membership.proposals {
        if view.status == Status::Approved
            && view.proposal.candidate.kind == CandidateKind::Individual
            && tiers.contains(&view.proposal.tier)
            && let Some(p) = &view.proposal.candidate.person
        {
            out.insert(p.clone(), 1);
        }
    }
    Ok(out)
}

/// What every ballot must be: on an open decision, by a member of its electorate, a choice it
/// takes (an objection with its reason).
fn check_ballot(
    rules: &Rules,
    open: bool,
    person: &str,
    choice: Choice,
) -> Result<Choice, ModelError> {
    if !open {
        return Err(ModelError::NotAllowed("this decision is closed".into()));
    }
    if !rules.electorate.contains_key(person) {
        return Err(ModelError::NotAllowed(
            "you are not in this decision's electorate".into(),
        ));
    }
    let choice = match choice {
        Choice::Object { reason } => Choice::Object {
            reason: crate::workspace::nonempty(
                "objection's reason",
                &reason,
                crate::workspace::MAX_BODY,
            )?,
        },
        other => other,
    };
    if !choice.fits(rules.method, rules.options.len()) {
        return Err(ModelError::NotAllowed(
            "that is not a ballot this decision takes".into(),
        ));
    }
    Ok(choice)
}

fn contains(items: &[crate::schema::AgendaItem], id: &str) -> bool {
    items
        .iter()
        .any(|i| i.id == id || contains(&i.children, id))
}

/// Whether `person` may close a decision with `rules` at `at` (their clock).
pub fn may_close(rules: &Rules, person: &str, at: &str) -> bool {
    if person == rules.chair {
        return true;
    }
    // Only the chair can reveal hidden ballots.
    if rules.hidden.is_some() {
        return false;
    }
    let (Some(closes), Ok(now)) = (&rules.closes_at, time::parse_instant("time", at)) else {
        return false;
    };
    rules.electorate.contains_key(person)
        && time::parse_instant("closing time", closes).is_ok_and(|c| now >= c)
}
