//! What is new for a person since they last looked, from the document alone.
//!
//! A device keeps the heads it had when its person last looked (per page, and for the "new
//! since your last visit" list). Everything written after those heads is new: the ops of the
//! changes that are not ancestors of them ([`Since`], from change metadata only, no decoding).
//! An item is new when the op that made it is: a comment's map, a proposal's map, a decision's
//! map, an owner written into an action point, the `@` that starts a mention in minutes.
//!
//! Nothing here trusts a peer's clock: newness is causal (after the seen heads or not); times
//! shown are the items' own words, for display only.

use std::collections::{BTreeSet, HashMap};

use automerge::{ActorId, AutoCommit, ChangeHash, ObjId, ObjType, ROOT, ReadDoc, Value};

use crate::history::quote;
use crate::search::{Area, Place};
use crate::tolerant::read_str;
use crate::trust::maps;
use crate::{Workspace, agenda};

/// The ops written after a set of heads, as counter ranges per actor.
#[derive(Debug, Default)]
pub struct Since {
    ranges: HashMap<ActorId, Vec<(u64, u64)>>,
}

impl Since {
    /// Nothing was written after the heads.
    pub fn is_empty(&self) -> bool {
        self.ranges.is_empty()
    }

    /// Whether the op that made `id` was written after the heads.
    pub fn is_new(&self, id: &ObjId) -> bool {
        match id {
            ObjId::Root => false,
            ObjId::Id(counter, actor, _) => self
                .ranges
                .get(actor)
                .is_some_and(|r| r.iter().any(|(lo, hi)| (*lo..=*hi).contains(counter))),
        }
    }

    /// The op's actor, if it is new and not `mine`.
    fn is_new_by_other(&self, id: &ObjId, mine: &ActorId) -> bool {
        matches!(id, ObjId::Id(_, actor, _) if actor != mine) && self.is_new(id)
    }
}

/// What a news item is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum NewsKind {
    /// A reply in a thread I wrote in, or a comment on my workstream item.
    Reply,
    /// `@my name` in a comment, an act's comment or minutes.
    Mention,
    Proposal,
    /// I was made an owner of an action point.
    ActionPoint,
    /// A decision was opened.
    Decision,
}

impl NewsKind {
    pub fn label(self) -> &'static str {
        match self {
            NewsKind::Reply => "Reply",
            NewsKind::Mention => "Mention",
            NewsKind::Proposal => "Proposal",
            NewsKind::ActionPoint => "Action point",
            NewsKind::Decision => "Decision",
        }
    }
}

/// One thing that is new for me.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct News {
    pub kind: NewsKind,
    /// Stable across peers and versions: what a device remembers as seen.
    pub key: String,
    pub place: Place,
    /// In words: "Andrew replied on “after a ratified decision”".
    pub what: String,
    /// The words themselves (a reply's body, a proposal's statement), shortened.
    pub excerpt: String,
    /// When, as the item says (RFC 3339), or empty.
    pub at: String,
}

const EXCERPT: usize = 140;

fn excerpt(s: &str) -> String {
    let s = s.replace(['\n', '\r'], " ");
    let mut out: String = s.chars().take(EXCERPT).collect();
    if s.chars().count() > EXCERPT {
        out.push('…');
    }
    out
}

/// Where `text` mentions a person called `name`: `@` + the full name, or `@` + its first word,
/// case-insensitive, not followed by a letter or digit. Char offsets of each `@`.
pub fn mentions(text: &str, name: &str) -> Vec<usize> {
    let name = name.trim();
    if name.is_empty() {
        return Vec::new();
    }
    let fold = |s: &str| -> Vec<char> { s.chars().flat_map(char::to_lowercase).collect() };
    let mut needles = vec![fold(name)];
    if let Some(first) = name.split_whitespace().next()
        && first != name
    {
        needles.push(fold(first));
    }
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    for (i, c) in chars.iter().enumerate() {
        if *c != '@' || (i > 0 && chars[i - 1].is_alphanumeric()) {
            continue;
        }
        let hit = needles.iter().any(|n| {
            let mut j = i + 1;
            for want in n {
                let Some(got) = chars.get(j) else {
                    return false;
                };
                // Compare one char's lowercase to one needle char (names are mostly one char
                // per lowercase char; others simply do not match).
                if got.to_lowercase().next() != Some(*want) {
                    return false;
                }
                j += 1;
            }
            !chars.get(j).is_some_and(|c| c.is_alphanumeric())
        });
        if hit {
            out.push(i);
        }
    }
    out
}

/// Where comments hang (a thread, a workstream item) and how news of them reads.
struct On<'a> {
    comments: &'a ObjId,
    place: Place,
    /// The thing commented on, quoted.
    what: String,
    /// "replied on", "commented on".
    replied: &'static str,
    /// Whether I am in it from the start (my own item).
    involved: bool,
}

fn text(doc: &AutoCommit, obj: &ObjId, prop: &str) -> String {
    read_str(doc, obj, prop).unwrap_or_default()
}

/// The root property an op's object hangs under, as the page that shows it.
fn area_of_root(key: &str) -> Option<Area> {
    match key {
        "sessions" => Some(Area::Agenda),
        "workstreams" => Some(Area::Workstreams),
        "documents" => Some(Area::CodeOfConduct),
        "decisions" | "delegations" => Some(Area::Decisions),
        "proposals" | "roster" | "tiers" => Some(Area::Members),
        _ => None,
    }
}

/// A part of the workspace a view reads: a page's area, or the people (names, devices), which
/// every page shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Part {
    Area(Area),
    People,
}

impl Part {
    /// Every part: what a view that reads the whole workspace depends on.
    pub const ALL: [Part; 6] = [
        Part::Area(Area::Agenda),
        Part::Area(Area::Workstreams),
        Part::Area(Area::CodeOfConduct),
        Part::Area(Area::Decisions),
        Part::Area(Area::Members),
        Part::People,
    ];

    /// Its place in [`Part::ALL`].
    pub fn index(self) -> usize {
        Part::ALL
            .iter()
            .position(|p| *p == self)
            .expect("every part is in ALL")
    }
}

/// The part a root property holds; `None` for one no part holds alone (the workspace's name,
/// its schema version, anything unknown): a change to it touches everything.
fn part_of_root(key: &str) -> Option<Part> {
    match key {
        "people" => Some(Part::People),
        "versions" => Some(Part::Area(Area::CodeOfConduct)),
        k => area_of_root(k).map(Part::Area),
    }
}

/// Calls `f` with the root property each op of `changes` writes under (`None`: a list at the
/// root, or an object this document cannot place), until `f` says stop.
fn roots_written(
    doc: &AutoCommit,
    changes: &[automerge::Change],
    mut f: impl FnMut(Option<&str>) -> bool,
) {
    let mut cache: HashMap<String, Option<String>> = HashMap::new();
    for change in changes {
        for op in change.decode().operations {
            let key = match &op.obj {
                automerge::legacy::ObjectId::Root => match &op.key {
                    automerge::legacy::Key::Map(k) => Some(k.to_string()),
                    automerge::legacy::Key::Seq(_) => None,
                },
                obj => cache
                    .entry(obj.to_string())
                    .or_insert_with_key(|s| {
                        let id = doc.import_obj(s).ok()?;
                        match doc.parents(&id).ok()?.last()?.prop {
                            automerge::Prop::Map(k) => Some(k),
                            automerge::Prop::Seq(_) => None,
                        }
                    })
                    .clone(),
            };
            if !f(key.as_deref()) {
                return;
            }
        }
    }
}

impl Workspace {
    /// The parts of the workspace the changes after `seen` (heads this document holds) wrote
    /// to, so that a view re-reads only what changed. Everything when more than `max_ops` ops
    /// arrived (a large sync: cheaper to read it all than to place each op), or when one wrote
    /// a root property no part holds alone.
    pub fn touched(&mut self, seen: &[ChangeHash], max_ops: usize) -> BTreeSet<Part> {
        let everything = || Part::ALL.into_iter().collect();
        let known = self.known(seen);
        if known.is_empty() {
            return everything();
        }
        let ops: usize = self
            .doc_mut()
            .get_changes_meta(&known)
            .iter()
            .map(|m| (m.max_op + 1).saturating_sub(m.start_op) as usize)
            .sum();
        if ops > max_ops {
            return everything();
        }
        let changes = self.doc_mut().get_changes(&known);
        let mut out = BTreeSet::new();
        let mut placed = true;
        roots_written(self.doc(), &changes, |key| {
            match key.and_then(part_of_root) {
                Some(p) => {
                    out.insert(p);
                }
                None => placed = false,
            }
            placed
        });
        if placed { out } else { everything() }
    }

    /// Those of `seen` this document holds.
    fn known(&mut self, seen: &[ChangeHash]) -> Vec<ChangeHash> {
        seen.iter()
            .filter(|h| self.doc_mut().get_change_by_hash(h).is_some())
            .copied()
            .collect()
    }
}

impl Workspace {
    /// The ops written after `seen` (heads this document holds; unknown heads are ignored).
    pub fn since(&mut self, seen: &[ChangeHash]) -> Since {
        let known = self.known(seen);
        let mut since = Since::default();
        for meta in self.doc_mut().get_changes_meta(&known) {
            if meta.max_op >= meta.start_op {
                since
                    .ranges
                    .entry(meta.actor.into_owned())
                    .or_default()
                    .push((meta.start_op, meta.max_op));
            }
        }
        since
    }

    /// Whether every head in `seen` is in this document (a device's seen heads are its own, so
    /// an unknown one means the workspace was replaced, e.g. re-imported).
    pub fn knows(&mut self, seen: &[ChangeHash]) -> bool {
        seen.iter()
            .all(|h| self.doc_mut().get_change_by_hash(h).is_some())
    }

    /// The pages that changes written after `seen`, by actors other than this document's own,
    /// touched.
    pub fn activity(&mut self, seen: &[ChangeHash]) -> BTreeSet<Area> {
        let mine = self.doc().get_actor().clone();
        let known = self.known(seen);
        let changes: Vec<_> = self
            .doc_mut()
            .get_changes(&known)
            .into_iter()
            .filter(|c| c.actor_id() != &mine)
            .collect();
        let mut out = BTreeSet::new();
        roots_written(self.doc(), &changes, |key| {
            if let Some(a) = key.and_then(area_of_root) {
                out.insert(a);
            }
            out.len() < Area::ALL.len()
        });
        out
    }

    /// What is new for `me` since `seen`: replies to me, mentions of me, new proposals, action
    /// points I was made an owner of, decisions opened — by others, newest first.
    pub fn news(&mut self, seen: &[ChangeHash], me: &str) -> Vec<News> {
        let since = self.since(seen);
        if since.is_empty() {
            return Vec::new();
        }
        let my_name = self.person_name(me);
        let mine = self.doc().get_actor().clone();
        let mut out = Vec::new();
        self.thread_news(&since, me, &my_name, &mut out);
        self.workstream_news(&since, me, &my_name, &mut out);
        self.proposal_news(&since, me, &my_name, &mut out);
        let mut timed = Vec::new();
        self.session_news(&since, me, &my_name, &mine, &mut out, &mut timed);
        for (i, hash) in timed {
            let meta = self.doc_mut().document().get_change_meta_by_hash(&hash);
            if let Some(t) = meta.map(|m| m.timestamp).filter(|t| *t > 0) {
                out[i].at = crate::time::format_instant(t);
            }
        }
        for (id, obj) in self.decision_objs() {
            if !since.is_new(&obj) {
                continue;
            }
            let Ok((rules, _)) = self.rules_of(&id, &obj) else {
                continue;
            };
            if rules.opened_by != me {
                out.push(News {
                    kind: NewsKind::Decision,
                    key: format!("decision:{id}"),
                    place: Place {
                        area: Area::Decisions,
                        anchor: format!("decision-{id}"),
                        decision: Some(id.clone()),
                    },
                    what: format!(
                        "{} opened a decision: {}",
                        self.person_name(&rules.opened_by),
                        quote(&rules.question)
                    ),
                    excerpt: excerpt(&rules.details),
                    at: rules.opened_at.clone(),
                });
            }
        }
        out.sort_by(|a, b| b.at.cmp(&a.at).then_with(|| a.key.cmp(&b.key)));
        out.dedup_by(|a, b| a.key == b.key);
        out
    }

    /// Replies and mentions in the review documents' threads.
    fn thread_news(&self, since: &Since, me: &str, my_name: &str, out: &mut Vec<News>) {
        let doc = self.doc();
        for d in maps(doc, &ROOT, "documents") {
            for t in maps(doc, &d, "threads") {
                let quoted = match doc.get(&t, "anchor") {
                    Ok(Some((Value::Object(ObjType::Map), a))) => text(doc, &a, "quote"),
                    _ => String::new(),
                };
                let on = On {
                    comments: &t,
                    place: Place {
                        area: Area::CodeOfConduct,
                        anchor: format!("thread-{}", text(doc, &t, "id")),
                        decision: None,
                    },
                    what: quote(&quoted),
                    replied: "replied on",
                    involved: false,
                };
                self.comment_news(since, me, my_name, on, out);
            }
        }
    }

    /// Comments on my workstream items (or where I commented), and mentions in the others.
    fn workstream_news(&self, since: &Since, me: &str, my_name: &str, out: &mut Vec<News>) {
        let doc = self.doc();
        for w in maps(doc, &ROOT, "workstreams") {
            for item in maps(doc, &w, "items") {
                let on = On {
                    comments: &item,
                    place: Place {
                        area: Area::Workstreams,
                        anchor: format!("ws-item-{}", text(doc, &item, "id")),
                        decision: None,
                    },
                    what: quote(&text(doc, &item, "text")),
                    replied: "commented on",
                    involved: text(doc, &item, "author") == me,
                };
                self.comment_news(since, me, my_name, on, out);
            }
        }
    }

    /// The new comments (by others) under `on.comments` that are for me: a reply once I took
    /// part (or own the item), else a mention.
    fn comment_news(
        &self,
        since: &Since,
        me: &str,
        my_name: &str,
        on: On<'_>,
        out: &mut Vec<News>,
    ) {
        let doc = self.doc();
        let mut involved = on.involved;
        for c in maps(doc, on.comments, "comments") {
            let author = text(doc, &c, "author");
            if author == me {
                involved = true;
                continue;
            }
            if !since.is_new(&c) {
                continue;
            }
            let body = text(doc, &c, "body");
            let mentioned = !mentions(&body, my_name).is_empty();
            if !involved && !mentioned {
                continue;
            }
            let who = self.person_name(&author);
            let (kind, verb) = if involved {
                (NewsKind::Reply, on.replied)
            } else {
                (NewsKind::Mention, "mentioned you on")
            };
            out.push(News {
                kind,
                key: format!("comment:{}", text(doc, &c, "id")),
                place: on.place.clone(),
                what: format!("{who} {verb} {}", on.what),
                excerpt: excerpt(&body),
                at: text(doc, &c, "created_at"),
            });
        }
    }

    /// New proposals, and mentions in acts' comments.
    fn proposal_news(&self, since: &Since, me: &str, my_name: &str, out: &mut Vec<News>) {
        let doc = self.doc();
        for p in maps(doc, &ROOT, "proposals") {
            let id = text(doc, &p, "id");
            let name = match doc.get(&p, "candidate") {
                Ok(Some((Value::Object(ObjType::Map), c))) => text(doc, &c, "name"),
                _ => String::new(),
            };
            let place = Place {
                area: Area::Members,
                anchor: format!("proposal-{id}"),
                decision: None,
            };
            let proposer = text(doc, &p, "proposer");
            if since.is_new(&p) && proposer != me {
                out.push(News {
                    kind: NewsKind::Proposal,
                    key: format!("proposal:{id}"),
                    place: place.clone(),
                    what: format!(
                        "{} proposed {} as a member",
                        self.person_name(&proposer),
                        quote(&name)
                    ),
                    excerpt: excerpt(&text(doc, &p, "statement")),
                    at: text(doc, &p, "created_at"),
                });
            }
            for a in maps(doc, &p, "acts") {
                let by = text(doc, &a, "by");
                if by == me || !since.is_new(&a) {
                    continue;
                }
                let comment = text(doc, &a, "comment");
                if mentions(&comment, my_name).is_empty() {
                    continue;
                }
                out.push(News {
                    kind: NewsKind::Mention,
                    key: format!("act:{}", text(doc, &a, "id")),
                    place: place.clone(),
                    what: format!(
                        "{} mentioned you on the proposal of {}",
                        self.person_name(&by),
                        quote(&name)
                    ),
                    excerpt: excerpt(&comment),
                    at: text(doc, &a, "at"),
                });
            }
        }
    }

    /// Action points I was made an owner of, and mentions in minutes.
    fn session_news(
        &self,
        since: &Since,
        me: &str,
        my_name: &str,
        mine: &ActorId,
        out: &mut Vec<News>,
        timed: &mut Vec<(usize, ChangeHash)>,
    ) {
        let doc = self.doc();
        for s in maps(doc, &ROOT, "sessions") {
            let title = text(doc, &s, "title");
            for a in maps(doc, &s, "action_points") {
                let Ok(Some((Value::Object(ObjType::List), owners))) = doc.get(&a, "owners") else {
                    continue;
                };
                let assigned = doc.list_range(&owners, ..).any(|o| {
                    let id = o.id();
                    matches!(o.value, automerge::ValueRef::Scalar(automerge::ScalarValueRef::Str(s)) if s == me)
                        && since.is_new_by_other(&id, mine)
                });
                if !assigned {
                    continue;
                }
                let id = text(doc, &a, "id");
                let what = text(doc, &a, "text");
                out.push(News {
                    kind: NewsKind::ActionPoint,
                    key: format!("action:{id}"),
                    place: Place {
                        area: Area::Agenda,
                        anchor: format!("action-{id}"),
                        decision: None,
                    },
                    what: format!(
                        "You own an action point of {}: {}",
                        quote(&title),
                        quote(&what)
                    ),
                    excerpt: excerpt(&what),
                    at: text(doc, &a, "created_at"),
                });
            }
            for item in agenda::stored_items(doc, &s) {
                let Ok(Some((Value::Object(ObjType::Text), minutes))) =
                    doc.get(&item.obj, "minutes")
                else {
                    continue;
                };
                let Ok(words) = doc.text(&minutes) else {
                    continue;
                };
                for at in mentions(&words, my_name) {
                    let Ok(Some((_, op))) = doc.get(&minutes, at) else {
                        continue;
                    };
                    if !since.is_new_by_other(&op, mine) {
                        continue;
                    }
                    let chars: Vec<char> = words.chars().collect();
                    let from = at.saturating_sub(60);
                    let to = (at + 80).min(chars.len());
                    let mut context: String = chars[from..to].iter().collect();
                    if from > 0 {
                        context.insert(0, '…');
                    }
                    if to < chars.len() {
                        context.push('…');
                    }
                    let item_title = read_str(doc, &item.obj, "title").unwrap_or_default();
                    if let Some(hash) = doc.hash_for_opid(&op) {
                        timed.push((out.len(), hash));
                    }
                    out.push(News {
                        kind: NewsKind::Mention,
                        key: format!("minutes:{}:{op}", item.id),
                        place: Place {
                            area: Area::Agenda,
                            anchor: format!("minutes-{}", item.id),
                            decision: None,
                        },
                        what: format!(
                            "You were mentioned in the minutes of {}",
                            quote(&item_title)
                        ),
                        excerpt: excerpt(&context),
                        at: String::new(),
                    });
                }
            }
        }
    }
}
