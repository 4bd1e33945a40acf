//! History: every change, grouped by person and by burst of work, told in words; named
//! versions of a review document; a redline between two versions; restoring one.
//!
//! Who made a change: in a private workspace the device key its actor is bound to (verified);
//! otherwise what the change says (`"<what> by <person>"`, the message every operation
//! writes), as unverified as a name in an open workspace. When: the author's clock, for
//! display and grouping only. Grouping is a pure function of the changes, so every peer that
//! holds the same changes shows the same groups.

use std::collections::{BTreeMap, BTreeSet};

use automerge::{
    ChangeHash, ObjId, ObjType, Prop, ROOT, ReadDoc, Value, transaction::Transactable,
};
use serde::{Deserialize, Serialize};

use crate::search::{Area, Place};
use crate::tolerant::read_str;
use crate::{Ctx, ModelError, Workspace};

/// The prefix that makes a version's target an agenda item's minutes.
pub const MINUTES: &str = "minutes:";

/// Changes by one person less than this far apart are one burst of work.
pub const BURST_SECS: i64 = 10 * 60;

/// Changes of one kind read to say which items a group touched (the newest ones).
const TOLD: usize = 4;

/// The separator between what a change did and who did it, in its message.
const BY: &str = " by ";

/// A change's message: what it did, and the person it says did it.
pub fn message(label: &str, person: &str) -> String {
    format!("{label}{BY}{person}")
}

pub(crate) fn split_message(m: &str) -> (&str, Option<&str>) {
    match m.rsplit_once(BY) {
        Some((label, person)) if !person.is_empty() && !person.contains(' ') => {
            (label, Some(person))
        }
        _ => (m, None),
    }
}

/// The page a kind of change belongs to.
pub fn label_area(label: &str) -> Option<Area> {
    Some(match label {
        "write minutes" | "add agenda item" | "rename agenda item" | "remove agenda item"
        | "reorder agenda" | "add action point" | "edit action point" | "add work session"
        | "rename session" | "reschedule session" | "edit invitation" | "set action done"
        | "restore minutes" => Area::Agenda,
        "add workstream" | "add workstream item" | "comment on workstream item" => {
            Area::Workstreams
        }
        "edit text" | "comment" | "reply" | "tag thread" | "resolve thread" | "add document"
        | "name a version" | "restore a version" => Area::CodeOfConduct,
        "open a decision"
        | "vote"
        | "delegate"
        | "close a decision"
        | "delegate on a topic"
        | "write a decision's outcome" => Area::Decisions,
        "propose member"
        | "act on proposal"
        | "add to roster"
        | "add tier"
        | "rename tier"
        | "change tier policy"
        | "default tiers"
        | "creator joins the roster" => Area::Members,
        _ => return None,
    })
}

/// One burst of work by one person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    /// The person id the changes name ("" when they name none).
    pub person: String,
    /// Whether a device key vouches for `person` (private workspaces).
    pub verified: bool,
    /// First and last change, in seconds since the epoch by the author's clock.
    pub from: i64,
    pub to: i64,
    /// What the changes did, each with how many times, in the order first done.
    pub labels: Vec<(String, usize)>,
    pub areas: BTreeSet<Area>,
    /// The group's changes, oldest first.
    pub changes: Vec<ChangeHash>,
}

impl Group {
    /// A key that names the group the same on every peer.
    pub fn key(&self) -> String {
        self.changes
            .last()
            .map(ToString::to_string)
            .unwrap_or_default()
    }
}

/// What one kind of change in a group touched, in words, and where to open it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Touch {
    pub words: String,
    pub place: Option<Place>,
}

/// A named version of a review document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Version {
    #[serde(skip)]
    pub id: String,
    pub document: String,
    pub name: String,
    pub heads: Vec<String>,
    pub by: String,
    pub at: String,
    /// The decision that put this version to the group, when a decision named it.
    #[serde(skip)]
    pub decision: Option<String>,
}

/// One run of a redline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mark {
    Same,
    Inserted,
    Deleted,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Run {
    pub mark: Mark,
    pub text: String,
}

const MAX_VERSION_NAME: usize = 200;
const MAX_VERSIONS: usize = 1000;

/// `“s”` on one line, shortened to 48 chars.
pub(crate) fn quote(s: &str) -> String {
    let one_line = s.replace(['\n', '\r'], " ");
    let short: String = one_line.chars().take(48).collect();
    if one_line.chars().count() > 48 {
        format!("“{short}…”")
    } else {
        format!("“{short}”")
    }
}

fn parse_heads(heads: &[String]) -> Result<Vec<ChangeHash>, ModelError> {
    heads
        .iter()
        .map(|h| {
            h.parse()
                .map_err(|_| ModelError::Corrupt(format!("bad change hash {h}")))
        })
        .collect()
}

impl Workspace {
    /// Every change, grouped by person and burst, newest group first.
    pub fn history(&mut self) -> Vec<Group> {
        struct Item {
            /// Within one actor, its sequence number: ties of the clock keep that actor's
            /// causal order, and every peer sorts the same.
            seq: u64,
            actor: Vec<u8>,
            hash: ChangeHash,
            at: i64,
            label: String,
            person: String,
            verified: bool,
        }
        let metas: Vec<(ChangeHash, i64, Option<String>, automerge::ActorId, u64)> = self
            .doc_mut()
            .get_changes_meta(&[])
            .into_iter()
            .map(|m| {
                (
                    m.hash,
                    m.timestamp,
                    m.message.map(|s| s.into_owned()),
                    m.actor.into_owned(),
                    m.seq,
                )
            })
            .collect();
        let mut verified_of: BTreeMap<Vec<u8>, Option<String>> = BTreeMap::new();
        let mut by_person: BTreeMap<(String, bool), Vec<Item>> = BTreeMap::new();
        for (hash, at, msg, actor, seq) in metas {
            let msg = msg.unwrap_or_default();
            let (label, claimed) = split_message(&msg);
            let claimed = claimed.unwrap_or("").to_owned();
            // A device key binds its actor to a person: that person, if the claim is theirs.
            let bytes = actor.to_bytes().to_vec();
            let key_person = verified_of
                .entry(bytes.clone())
                .or_insert_with(|| {
                    let key = moot_trust::key_of_actor(&bytes)?;
                    Some(moot_trust::person_id(&key))
                })
                .clone();
            let (person, verified) = match key_person {
                Some(own) if own == claimed => (claimed, true),
                Some(own) => {
                    let key = moot_trust::key_of_actor(&bytes);
                    let second = key.is_some_and(|k| {
                        !claimed.is_empty()
                            && crate::trust::keys_of(self.doc(), &claimed).contains(&k)
                    });
                    if second { (claimed, true) } else { (own, true) }
                }
                None => (claimed, false),
            };
            by_person
                .entry((person.clone(), verified))
                .or_default()
                .push(Item {
                    seq,
                    actor: bytes.clone(),
                    hash,
                    at,
                    label: label.to_owned(),
                    person,
                    verified,
                });
        }
        let mut groups = Vec::new();
        for (_, mut items) in by_person {
            items.sort_by(|a, b| (a.at, a.seq, &a.actor).cmp(&(b.at, b.seq, &b.actor)));
            let mut current: Option<Group> = None;
            for it in items {
                let extend = current.as_ref().is_some_and(|g| it.at - g.to <= BURST_SECS);
                if !extend && let Some(g) = current.take() {
                    groups.push(g);
                }
                let g = current.get_or_insert_with(|| Group {
                    person: it.person.clone(),
                    verified: it.verified,
                    from: it.at,
                    to: it.at,
                    labels: Vec::new(),
                    areas: BTreeSet::new(),
                    changes: Vec::new(),
                });
                g.to = it.at;
                g.changes.push(it.hash);
                if let Some(a) = label_area(&it.label) {
                    g.areas.insert(a);
                }
                match g.labels.iter_mut().find(|(l, _)| *l == it.label) {
                    Some((_, n)) => *n += 1,
                    None => g.labels.push((it.label, 1)),
                }
            }
            if let Some(g) = current {
                groups.push(g);
            }
        }
        groups.sort_by_cached_key(|g| std::cmp::Reverse((g.to, g.key())));
        groups
    }

    /// What each kind of change in `group` touched, in words (read from the newest change of
    /// that kind: decoding every keystroke is not needed to say "wrote minutes on …").
    pub fn describe(&mut self, group: &Group) -> Vec<Touch> {
        // Each kind of change, in the order first done, with its changes newest first.
        let mut by_label: Vec<(String, Vec<ChangeHash>)> = Vec::new();
        for hash in &group.changes {
            let Some(meta) = self.doc_mut().get_change_meta_by_hash(hash) else {
                continue;
            };
            let msg = meta.message.map(|m| m.into_owned()).unwrap_or_default();
            let label = split_message(&msg).0.to_owned();
            match by_label.iter_mut().find(|(l, _)| *l == label) {
                Some((_, hashes)) => hashes.insert(0, *hash),
                None => by_label.push((label, vec![*hash])),
            }
        }
        let mut out = Vec::new();
        for (label, hashes) in by_label {
            // The items the newest few touched: "wrote minutes on A", "… on B".
            let mut touches: Vec<Touch> = Vec::new();
            for hash in hashes.iter().take(TOLD) {
                let Some(change) = self.doc_mut().get_change_by_hash(hash) else {
                    continue;
                };
                let touch = self.touch_of(&label, &change);
                if !touches.contains(&touch) {
                    touches.push(touch);
                }
            }
            if let [one] = touches.as_mut_slice()
                && hashes.len() > 1
                && !matches!(label.as_str(), "edit text" | "write minutes")
            {
                one.words = format!("{} ({}×)", one.words, hashes.len());
            }
            for t in touches {
                if !out.contains(&t) {
                    out.push(t);
                }
            }
        }
        out
    }

    fn touch_of(&self, label: &str, change: &automerge::Change) -> Touch {
        let doc = self.doc();
        // The objects the change wrote into, in op order, each looked at once (a typing
        // change writes many ops into one text): the first that sits under an item names it.
        // Inserts into a list name only the list: the ops inside the new item name it, so
        // lists are looked at only when nothing else names an item.
        let mut seen = std::collections::HashSet::new();
        let mut lists = Vec::new();
        let mut what = None;
        for op in change.decode().operations {
            if op.obj == automerge::legacy::ObjectId::Root {
                continue;
            }
            let key = op.obj.to_string();
            if !seen.insert(key.clone()) {
                continue;
            }
            let Ok(id) = doc.import_obj(&key) else {
                continue;
            };
            if matches!(doc.object_type(&id), Ok(ObjType::List)) {
                lists.push(id);
                continue;
            }
            if let Some(found) = self.item_words(label, &id) {
                what = Some(found);
                break;
            }
        }
        if what.is_none() {
            what = lists.iter().find_map(|o| self.item_words(label, o));
        }
        match what {
            Some((words, place)) => Touch { words, place },
            None => Touch {
                words: past(label).to_owned(),
                place: label_area(label).map(|area| Place {
                    area,
                    anchor: String::new(),
                    decision: None,
                }),
            },
        }
    }

    /// The item an object sits in (itself or its nearest container with an id), in words
    /// fitting `label`.
    fn item_words(&self, label: &str, obj: &ObjId) -> Option<(String, Option<Place>)> {
        let doc = self.doc();
        let path = doc.parents(obj).ok()?.path();
        // The chain of objects from the root's child down to `obj`, each with the list or
        // map key it sits under.
        let mut chain: Vec<(ObjId, String)> = Vec::new();
        let mut under = String::new();
        for (i, (_, prop)) in path.iter().enumerate() {
            match prop {
                Prop::Map(k) => under = k.clone(),
                Prop::Seq(_) => {}
            }
            let child = path
                .get(i + 1)
                .map(|(o, _)| o.clone())
                .unwrap_or_else(|| obj.clone());
            chain.push((child, under.clone()));
        }
        let root = match path.first() {
            Some((_, Prop::Map(k))) => k.clone(),
            _ => return None,
        };
        let place = |area: Area, anchor: String| {
            Some(Place {
                area,
                anchor,
                decision: None,
            })
        };
        // The innermost map that has an id, with the key of the list it is in.
        let inner = |keys: &[&str]| {
            chain.iter().rev().find(|(o, k)| {
                keys.contains(&k.as_str())
                    && matches!(doc.object_type(o), Ok(ObjType::Map))
                    && read_str(doc, o, "id").is_some()
            })
        };
        match root.as_str() {
            "sessions" => {
                if let Some((item, _)) = inner(&["agenda", "children"]) {
                    let id = read_str(doc, item, "id")?;
                    let title = quote(&read_str(doc, item, "title").unwrap_or_default());
                    let words = match label {
                        "write minutes" => format!("wrote minutes on {title}"),
                        "restore minutes" => format!("restored the minutes of {title}"),
                        "add agenda item" => format!("added {title} to the agenda"),
                        "rename agenda item" => format!("renamed an agenda item to {title}"),
                        "remove agenda item" => format!("removed {title} from the agenda"),
                        "reorder agenda" => format!("moved {title} in the agenda"),
                        _ => format!("{label}: {title}"),
                    };
                    let anchor = if matches!(label, "write minutes" | "restore minutes") {
                        "minutes"
                    } else {
                        "title"
                    };
                    return Some((words, place(Area::Agenda, format!("{anchor}-{id}"))));
                }
                if let Some((ap, _)) = inner(&["action_points"]) {
                    let id = read_str(doc, ap, "id")?;
                    let text = quote(&read_str(doc, ap, "text").unwrap_or_default());
                    let words = match label {
                        "add action point" => format!("added the action point {text}"),
                        _ => format!("changed the action point {text}"),
                    };
                    return Some((words, place(Area::Agenda, format!("action-{id}"))));
                }
                let (session, _) = inner(&["sessions"])?;
                let id = read_str(doc, session, "id")?;
                let title = quote(&read_str(doc, session, "title").unwrap_or_default());
                let words = match label {
                    "add work session" => format!("added the work session {title}"),
                    "edit invitation" => format!("wrote the invitation of {title}"),
                    _ => format!("{label}: {title}"),
                };
                Some((words, place(Area::Agenda, format!("session-{id}"))))
            }
            "workstreams" => {
                let (item, _) = inner(&["items"])?;
                let id = read_str(doc, item, "id")?;
                let text = quote(&read_str(doc, item, "text").unwrap_or_default());
                let words = match label {
                    "comment on workstream item" => format!("commented on {text}"),
                    "add workstream item" => format!("added {text}"),
                    _ => format!("{label}: {text}"),
                };
                Some((words, place(Area::Workstreams, format!("ws-item-{id}"))))
            }
            "documents" => {
                if let Some((thread, _)) = inner(&["threads"]) {
                    let id = read_str(doc, thread, "id")?;
                    let q = match doc.get(thread, "anchor") {
                        Ok(Some((Value::Object(ObjType::Map), a))) => {
                            quote(&read_str(doc, &a, "quote").unwrap_or_default())
                        }
                        _ => "“”".into(),
                    };
                    let words = match label {
                        "reply" => format!("replied to {q}"),
                        "comment" => format!("commented on {q}"),
                        "tag thread" => format!("tagged the thread on {q}"),
                        "resolve thread" => format!("resolved the thread on {q}"),
                        _ => format!("{label}: {q}"),
                    };
                    return Some((words, place(Area::CodeOfConduct, format!("thread-{id}"))));
                }
                let (d, _) = inner(&["documents"])?;
                let title = quote(&read_str(doc, d, "title").unwrap_or_default());
                let words = match label {
                    "edit text" => format!("edited {title}"),
                    "restore a version" => format!("restored a version of {title}"),
                    _ => format!("{label}: {title}"),
                };
                Some((words, place(Area::CodeOfConduct, "draft-text".into())))
            }
            "proposals" => {
                let (p, _) = inner(&["proposals"])?;
                let id = read_str(doc, p, "id")?;
                let name = match doc.get(p, "candidate") {
                    Ok(Some((Value::Object(ObjType::Map), c))) => {
                        read_str(doc, &c, "name").unwrap_or_default()
                    }
                    _ => String::new(),
                };
                let words = match (label, inner(&["acts"])) {
                    ("act on proposal", Some((act, _))) => {
                        let kind = read_str(doc, act, "kind").unwrap_or_default();
                        let verb = match kind.as_str() {
                            "Endorse" => "endorsed",
                            "Object" => "objected to",
                            "SelfCertify" => "self-certified",
                            "Withdraw" => "withdrew",
                            _ => "acted on",
                        };
                        format!("{verb} {name}")
                    }
                    ("propose member", _) => format!("proposed {name}"),
                    _ => format!("{label}: {name}"),
                };
                Some((words, place(Area::Members, format!("proposal-{id}"))))
            }
            "decisions" => {
                // decisions map → decision map (keyed by its id).
                let (decision, id) = match (path.get(1), chain.get(1)) {
                    (Some((_, Prop::Map(id))), Some((d, _))) => (d.clone(), id.clone()),
                    _ => return None,
                };
                let (rules, _) = self.rules_of(&id, &decision).ok()?;
                let q = quote(&rules.question);
                let words = match label {
                    "open a decision" => format!("opened the decision {q}"),
                    "vote" => format!("voted on {q}"),
                    "delegate" => format!("delegated their vote on {q}"),
                    "close a decision" => format!("closed {q}"),
                    "write a decision's outcome" => format!("wrote the outcome of {q}"),
                    _ => format!("{label}: {q}"),
                };
                Some((
                    words,
                    Some(Place {
                        area: Area::Decisions,
                        anchor: format!("decision-{id}"),
                        decision: Some(id),
                    }),
                ))
            }
            _ => None,
        }
    }

    // ----- named versions -------------------------------------------------------------------

    /// Names the current version of a review document; its id.
    pub fn name_version(
        &mut self,
        ctx: Ctx<'_>,
        document: &str,
        name: &str,
    ) -> Result<String, ModelError> {
        let name = name.trim();
        if name.is_empty() {
            return Err(ModelError::Empty {
                field: "version name",
            });
        }
        if name.chars().count() > MAX_VERSION_NAME {
            return Err(ModelError::TooLong {
                field: "version name",
                len: name.chars().count(),
                max: MAX_VERSION_NAME,
            });
        }
        self.target_obj(document)?;
        if self.versions(document).len() >= MAX_VERSIONS {
            return Err(ModelError::NotAllowed(format!(
                "a document keeps at most {MAX_VERSIONS} named versions"
            )));
        }
        let heads: Vec<String> = self.heads().iter().map(ToString::to_string).collect();
        let version = Version {
            id: String::new(),
            document: document.to_owned(),
            name: name.to_owned(),
            heads,
            by: ctx.person.to_owned(),
            at: ctx.at.to_owned(),
            decision: None,
        };
        let json =
            serde_json::to_string(&version).map_err(|e| ModelError::Corrupt(e.to_string()))?;
        let id = self.next_id();
        self.change(ctx, "name a version", |ws| {
            let map = match ws.doc().get(ROOT, "versions")? {
                Some((Value::Object(ObjType::Map), m)) => m,
                _ => ws.doc_mut().put_object(ROOT, "versions", ObjType::Map)?,
            };
            ws.doc_mut().put(&map, id.as_str(), json)?;
            Ok(())
        })?;
        Ok(id)
    }

    /// The named versions of a document whose heads this document holds, oldest first.
    pub fn versions(&self, document: &str) -> Vec<Version> {
        let doc = self.doc();
        let mut out: Vec<Version> = doc
            .get_all(ROOT, "versions")
            .unwrap_or_default()
            .into_iter()
            .filter_map(|(v, m)| matches!(v, Value::Object(ObjType::Map)).then_some(m))
            .flat_map(|m| {
                doc.map_range(&m, ..)
                    .filter_map(|item| {
                        let automerge::ValueRef::Scalar(automerge::ScalarValueRef::Str(s)) =
                            &item.value
                        else {
                            return None;
                        };
                        let mut v: Version = serde_json::from_str(s.as_ref()).ok()?;
                        v.id = item.key.to_string();
                        Some(v)
                    })
                    .collect::<Vec<_>>()
            })
            .filter(|v| v.document == document && parse_heads(&v.heads).is_ok())
            .collect();
        // A decision on the document as it stands names the version it put to the group.
        for (id, rules, _) in self.decision_texts() {
            if let Some(crate::decisions::Subject::Document { document: d, heads }) = &rules.subject
                && d == document
                && !heads.is_empty()
                && parse_heads(heads).is_ok()
            {
                out.push(Version {
                    id: format!("decision:{id}"),
                    document: d.clone(),
                    name: format!("Put to decision: {}", quote(&rules.question)),
                    heads: heads.clone(),
                    by: rules.opened_by.clone(),
                    at: rules.opened_at.clone(),
                    decision: Some(id),
                });
            }
        }
        out.sort_by(|a, b| (a.at.as_str(), a.id.as_str()).cmp(&(b.at.as_str(), b.id.as_str())));
        out.dedup_by(|a, b| a.id == b.id);
        out
    }

    /// A document's text at `heads` (`None`: now), checking the heads first.
    pub fn text_at_version(
        &mut self,
        document: &str,
        heads: Option<&[String]>,
    ) -> Result<String, ModelError> {
        let obj = self.target_obj(document)?;
        match heads {
            None => Ok(self.doc().text(&obj)?),
            Some(h) => {
                let heads = parse_heads(h)?;
                if !self.knows(&heads) {
                    return Err(ModelError::NotAllowed(
                        "this version is not on this device yet".into(),
                    ));
                }
                Ok(self.doc().text_at(&obj, &heads)?)
            }
        }
    }

    /// The redline from version `before` to `after` (`None`: now) of a document: runs of
    /// text kept, inserted and deleted.
    pub fn redline(
        &mut self,
        document: &str,
        before: &[String],
        after: Option<&[String]>,
    ) -> Result<Vec<Run>, ModelError> {
        let obj = self.target_obj(document)?;
        let from = parse_heads(before)?;
        let to = match after {
            Some(a) => parse_heads(a)?,
            None => self.heads(),
        };
        if !self.knows(&from) || !self.knows(&to) {
            return Err(ModelError::NotAllowed(
                "this version is not on this device yet".into(),
            ));
        }
        let old: Vec<char> = self.doc().text_at(&obj, &from)?.chars().collect();
        let patches = self.doc_mut().diff_obj(&obj, &from, &to, true)?;
        // The redline as runs; positions in patches count kept and inserted chars.
        let mut runs: Vec<(Mark, Vec<char>)> = vec![(Mark::Same, old)];
        for p in patches {
            match p.action {
                automerge::PatchAction::SpliceText { index, value, .. } => {
                    let text: Vec<char> = value.make_string().chars().collect();
                    insert_at(&mut runs, index, text);
                }
                automerge::PatchAction::DeleteSeq { index, length } => {
                    delete_at(&mut runs, index, length);
                }
                _ => {}
            }
        }
        let runs = settle(runs);
        let mut out: Vec<Run> = Vec::new();
        for (mark, chars) in runs {
            if chars.is_empty() {
                continue;
            }
            let text: String = chars.into_iter().collect();
            match out.last_mut() {
                Some(r) if r.mark == mark => r.text.push_str(&text),
                _ => out.push(Run { mark, text }),
            }
        }
        Ok(out)
    }

    /// Makes a document's text equal to a version's: one new change, nothing rewritten.
    pub fn restore_version(
        &mut self,
        ctx: Ctx<'_>,
        document: &str,
        heads: &[String],
    ) -> Result<(), ModelError> {
        let text = self.text_at_version(document, Some(heads))?;
        let obj = self.target_obj(document)?;
        if self.doc().text(&obj)? == text {
            return Ok(());
        }
        let label = if document.starts_with(MINUTES) {
            "restore minutes"
        } else {
            "restore a version"
        };
        self.change(ctx, label, |ws| {
            ws.doc_mut().update_text(&obj, &text)?;
            Ok(())
        })
    }
}

/// Per numbered section ("3. Be open." starts section "3"), the chars inserted and deleted,
/// for the sections a redline changes; text before the first number is section "".
pub fn redline_summary(runs: &[Run]) -> Vec<(String, usize, usize)> {
    let mut out: Vec<(String, usize, usize)> = Vec::new();
    let mut section = String::new();
    let mut line_start = true;
    let mut line = String::new();
    for run in runs {
        for c in run.text.chars() {
            if line_start && run.mark != Mark::Deleted {
                line.clear();
            }
            if run.mark != Mark::Deleted {
                line.push(c);
                // "12." at a line's start names the section.
                if c == '.'
                    && line.len() > 1
                    && line[..line.len() - 1].chars().all(|d| d.is_ascii_digit())
                {
                    section = line[..line.len() - 1].to_owned();
                }
                line_start = c == '\n';
            }
            if run.mark == Mark::Same {
                continue;
            }
            if out.last().is_none_or(|(s, _, _)| *s != section) {
                out.push((section.clone(), 0, 0));
            }
            let last = out.last_mut().expect("pushed");
            match run.mark {
                Mark::Inserted => last.1 += 1,
                Mark::Deleted => last.2 += 1,
                Mark::Same => {}
            }
        }
    }
    out
}

/// Where the visible position `at` (kept and inserted chars) falls: (run, offset in run).
fn locate(runs: &[(Mark, Vec<char>)], at: usize) -> (usize, usize) {
    let mut left = at;
    for (i, (mark, chars)) in runs.iter().enumerate() {
        if *mark == Mark::Deleted {
            continue;
        }
        if left <= chars.len() {
            return (i, left);
        }
        left -= chars.len();
    }
    (runs.len(), 0)
}

fn insert_at(runs: &mut Vec<(Mark, Vec<char>)>, at: usize, text: Vec<char>) {
    let (i, off) = locate(runs, at);
    if i >= runs.len() {
        runs.push((Mark::Inserted, text));
        return;
    }
    let (mark, chars) = &mut runs[i];
    let tail = chars.split_off(off);
    let mark = *mark;
    runs.insert(i + 1, (Mark::Inserted, text));
    runs.insert(i + 2, (mark, tail));
}

fn delete_at(runs: &mut Vec<(Mark, Vec<char>)>, at: usize, mut len: usize) {
    while len > 0 {
        let (mut i, mut off) = locate(runs, at);
        // The first visible char at `at`: past the end of a run, or past deleted runs.
        while i < runs.len() && (runs[i].0 == Mark::Deleted || off >= runs[i].1.len()) {
            if runs[i].0 != Mark::Deleted {
                off = 0;
            }
            i += 1;
        }
        if i >= runs.len() {
            break;
        }
        let mark = runs[i].0;
        let mut gone = runs[i].1.split_off(off);
        let here = gone.len().min(len);
        let rest = gone.split_off(here);
        let mut k = i + 1;
        // Inserted text deleted again simply vanishes.
        if mark == Mark::Same {
            runs.insert(k, (Mark::Deleted, gone));
            k += 1;
        }
        runs.insert(k, (mark, rest));
        len -= here;
    }
    runs.retain(|(_, c)| !c.is_empty());
}

/// What a change did, when no item names it.
fn past(label: &str) -> &str {
    match label {
        "" => "changed something",
        "name a version" => "named a version",
        "set display name" => "set their name",
        "create workspace" => "created the workspace",
        "rename workspace" => "renamed the workspace",
        "describe workspace" => "described the workspace",
        "add to roster" => "added someone to the roster",
        "add a device" => "added a device",
        "add tier" => "added a tier",
        "rename tier" => "renamed a tier",
        "change tier policy" => "changed a tier's policy",
        "delegate on a topic" => "delegated on a topic",
        other => other,
    }
}

/// Text that was deleted and inserted again beside it (a restore writes new characters for
/// old words) is kept text: for each deleted run next to an inserted one, their common start
/// and end become kept.
fn settle(runs: Vec<(Mark, Vec<char>)>) -> Vec<(Mark, Vec<char>)> {
    let runs: Vec<(Mark, Vec<char>)> = runs.into_iter().filter(|(_, c)| !c.is_empty()).collect();
    let mut out: Vec<(Mark, Vec<char>)> = Vec::new();
    let mut i = 0;
    while i < runs.len() {
        let pair = runs.get(i + 1).filter(|(m, _)| {
            matches!(
                (runs[i].0, *m),
                (Mark::Deleted, Mark::Inserted) | (Mark::Inserted, Mark::Deleted)
            )
        });
        let Some((second, b)) = pair else {
            out.push(runs[i].clone());
            i += 1;
            continue;
        };
        let (first, a) = (&runs[i].0, &runs[i].1);
        let pre = a.iter().zip(b).take_while(|(x, y)| x == y).count();
        let suf = a[pre..]
            .iter()
            .rev()
            .zip(b[pre..].iter().rev())
            .take_while(|(x, y)| x == y)
            .count();
        out.push((Mark::Same, a[..pre].to_vec()));
        out.push((*first, a[pre..a.len() - suf].to_vec()));
        out.push((*second, b[pre..b.len() - suf].to_vec()));
        out.push((Mark::Same, a[a.len() - suf..].to_vec()));
        i += 2;
    }
    out.retain(|(_, c)| !c.is_empty());
    out
}

// ----- the past ---------------------------------------------------------------------------

impl Workspace {
    /// The heads of everything written by `t` (seconds, by the authors' clocks): the changes
    /// stamped at or before it, with every change they depend on.
    pub fn heads_at_time(&mut self, t: i64) -> Vec<ChangeHash> {
        let metas: Vec<(ChangeHash, i64, Vec<ChangeHash>)> = self
            .doc_mut()
            .get_changes_meta(&[])
            .into_iter()
            .map(|m| (m.hash, m.timestamp, m.deps))
            .collect();
        let deps: BTreeMap<ChangeHash, Vec<ChangeHash>> =
            metas.iter().map(|(h, _, d)| (*h, d.clone())).collect();
        let mut set: BTreeSet<ChangeHash> = BTreeSet::new();
        let mut stack: Vec<ChangeHash> = metas
            .iter()
            .filter(|(_, at, _)| *at <= t)
            .map(|(h, _, _)| *h)
            .collect();
        while let Some(h) = stack.pop() {
            if set.insert(h)
                && let Some(d) = deps.get(&h)
            {
                stack.extend(d.iter().copied());
            }
        }
        let depended: BTreeSet<ChangeHash> = set
            .iter()
            .flat_map(|h| deps.get(h).into_iter().flatten().copied())
            .collect();
        set.difference(&depended).copied().collect()
    }

    /// The workspace as it was at `heads`, to read (never written, never migrated).
    pub fn at(&mut self, heads: &[ChangeHash]) -> Result<Workspace, ModelError> {
        if !self.knows(heads) {
            return Err(ModelError::NotAllowed(
                "this version is not on this device yet".into(),
            ));
        }
        let doc = self.doc_mut().fork_at(heads)?;
        Ok(Workspace::past(doc))
    }

    /// The text a thread was made on (the version its anchor names), and where its passage
    /// sits in it (chars), found by the words around it.
    pub fn thread_origin(
        &mut self,
        document: &str,
        thread: &str,
    ) -> Result<(String, Option<(usize, usize)>), ModelError> {
        let view = self
            .threads(document)?
            .into_iter()
            .find(|t| t.thread.id == thread)
            .ok_or_else(|| crate::workspace::unknown_id("thread", thread))?;
        let a = view.thread.anchor;
        if a.heads.is_empty() {
            return Err(ModelError::NotAllowed(
                "this thread does not say which version it was made on".into(),
            ));
        }
        let text = self.text_at_version(document, Some(&a.heads))?;
        let whole = format!("{}{}{}", a.prefix, a.quote, a.suffix);
        let byte = if a.quote.is_empty() {
            None
        } else {
            text.find(&whole)
                .map(|b| b + a.prefix.len())
                .or_else(|| text.find(&a.quote))
        };
        let range = byte.map(|b| {
            let start = text[..b].chars().count();
            (start, start + a.quote.chars().count())
        });
        Ok((text, range))
    }
}

// ----- minutes ----------------------------------------------------------------------------

impl Workspace {
    /// The minutes (a Text object) of the agenda item `item`, in whichever session holds it.
    fn minutes_obj(&self, item: &str) -> Result<ObjId, ModelError> {
        let doc = self.doc();
        for s in crate::trust::maps(doc, &ROOT, "sessions") {
            for stored in crate::agenda::stored_items(doc, &s) {
                if stored.id == item
                    && let Ok(Some((Value::Object(ObjType::Text), minutes))) =
                        doc.get(&stored.obj, "minutes")
                {
                    return Ok(minutes);
                }
            }
        }
        Err(crate::workspace::unknown_id("agenda item", item))
    }

    /// What a version's target is called: the document's title, or "Minutes of “item”".
    pub fn target_title(&self, target: &str) -> Result<String, ModelError> {
        if let Some(item) = target.strip_prefix(MINUTES) {
            let doc = self.doc();
            for s in crate::trust::maps(doc, &ROOT, "sessions") {
                for stored in crate::agenda::stored_items(doc, &s) {
                    if stored.id == item {
                        let title = read_str(doc, &stored.obj, "title").unwrap_or_default();
                        return Ok(format!("Minutes of {}", quote(&title)));
                    }
                }
            }
            return Err(crate::workspace::unknown_id("agenda item", item));
        }
        self.document_titles()?
            .into_iter()
            .find(|(id, _)| id == target)
            .map(|(_, t)| t)
            .ok_or_else(|| crate::workspace::unknown_id("document", target))
    }

    /// The text a version names: a review document (its id), or an agenda item's minutes
    /// (`minutes:<item id>`).
    fn target_obj(&self, target: &str) -> Result<ObjId, ModelError> {
        match target.strip_prefix(MINUTES) {
            Some(item) => self.minutes_obj(item),
            None => self.text_obj(target),
        }
    }

    /// An item's minutes as they were at `heads`.
    pub fn minutes_at(&mut self, item: &str, heads: &[ChangeHash]) -> Result<String, ModelError> {
        let obj = self.minutes_obj(item)?;
        if !self.knows(heads) {
            return Err(ModelError::NotAllowed(
                "this version is not on this device yet".into(),
            ));
        }
        // An item made after those heads had no minutes then (automerge would read "").
        if self.since(heads).is_new(&obj) {
            return Err(ModelError::NotAllowed(
                "this agenda item did not exist yet at that point".into(),
            ));
        }
        Ok(self.doc().text_at(&obj, heads)?)
    }

    /// Makes an item's minutes read as they did at `heads`: one new change.
    pub fn restore_minutes(
        &mut self,
        ctx: Ctx<'_>,
        item: &str,
        heads: &[ChangeHash],
    ) -> Result<(), ModelError> {
        let text = self.minutes_at(item, heads)?;
        let obj = self.minutes_obj(item)?;
        if self.doc().text(&obj)? == text {
            return Ok(());
        }
        self.change(ctx, "restore minutes", |ws| {
            ws.doc_mut().update_text(&obj, &text)?;
            Ok(())
        })
    }

    /// A document's named versions as Markdown: each with what changed since the one before
    /// (`{+inserted+}`, `[-deleted-]`, per numbered section), then the text as it is now.
    pub fn versions_markdown(&mut self, document: &str) -> Result<String, ModelError> {
        let title = self.target_title(document)?;
        let mut out = format!("# {title}: its versions\n\n");
        let versions = self.versions(document);
        let mut previous: Option<Vec<String>> = None;
        for v in &versions {
            let by = self.person_name(&v.by);
            out.push_str(&format!("## {} ({by}, {})\n\n", v.name, v.at));
            match &previous {
                None => {
                    let text = self.text_at_version(document, Some(&v.heads))?;
                    out.push_str(&format!("The first named version:\n\n{text}\n\n"));
                }
                Some(p) => {
                    let runs = self.redline(document, p, Some(&v.heads))?;
                    out.push_str(&redline_markdown(&runs));
                }
            }
            previous = Some(v.heads.clone());
        }
        if let Some(p) = previous {
            let runs = self.redline(document, &p, None)?;
            if runs.iter().any(|r| r.mark != Mark::Same) {
                out.push_str("## Now (not named)\n\n");
                out.push_str(&redline_markdown(&runs));
            }
        }
        Ok(out)
    }
}

fn redline_markdown(runs: &[Run]) -> String {
    let summary = redline_summary(runs);
    if summary.is_empty() {
        return "No changes since the version before.\n\n".into();
    }
    let mut out = String::from("Changed:\n\n");
    for (section, ins, del) in summary {
        let name = if section.is_empty() {
            "before the numbered sections".to_owned()
        } else {
            format!("section {section}")
        };
        out.push_str(&format!("- {name}: {ins} added, {del} removed\n"));
    }
    out.push('\n');
    for r in runs {
        match r.mark {
            Mark::Same => out.push_str(&r.text),
            Mark::Inserted => out.push_str(&format!("{{+{}+}}", r.text)),
            Mark::Deleted => out.push_str(&format!("[-{}-]", r.text)),
        }
    }
    out.push_str("\n\n");
    out
}

impl Workspace {
    /// The threads there were on a document at `heads`: each one's quote and its comments
    /// (author's name, words) made by then — read from the document as it is, leaving out
    /// what was made after (no fork of the whole history).
    pub fn threads_at_version(
        &mut self,
        document: &str,
        heads: &[String],
    ) -> Result<Vec<(String, Vec<(String, String)>)>, ModelError> {
        let heads = parse_heads(heads)?;
        if !self.knows(&heads) {
            return Err(ModelError::NotAllowed(
                "this version is not on this device yet".into(),
            ));
        }
        let since = self.since(&heads);
        let doc = self.doc();
        let mut out = Vec::new();
        for d in crate::trust::maps(doc, &ROOT, "documents") {
            if read_str(doc, &d, "id").as_deref() != Some(document) {
                continue;
            }
            for t in crate::trust::maps(doc, &d, "threads") {
                if since.is_new(&t) {
                    continue;
                }
                let quote = match doc.get(&t, "anchor") {
                    Ok(Some((Value::Object(ObjType::Map), a))) => {
                        read_str(doc, &a, "quote").unwrap_or_default()
                    }
                    _ => String::new(),
                };
                let comments = crate::trust::maps(doc, &t, "comments")
                    .into_iter()
                    .filter(|c| !since.is_new(c))
                    .map(|c| {
                        let author = read_str(doc, &c, "author").unwrap_or_default();
                        (
                            self.person_name(&author),
                            read_str(doc, &c, "body").unwrap_or_default(),
                        )
                    })
                    .collect();
                out.push((quote, comments));
            }
        }
        Ok(out)
    }
}
