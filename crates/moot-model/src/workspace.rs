//! [`Workspace`]: one automerge document and every operation on it.
//!
//! Each operation validates first, then changes the document in one automerge change (one
//! commit, with the actor's time); on any error the pending change is rolled back, so a
//! rejected operation leaves the document exactly as it was.

use automerge::{
    AutoCommit, ChangeHash, ObjId, ObjType, ROOT, ReadDoc,
    transaction::{CommitOptions, Transactable},
};
use autosurgeon::{Hydrate, Reconcile, hydrate_prop, reconcile_prop};

use crate::{ModelError, schema::*, time};

/// The schema this code writes. Documents with a higher number are refused, not misread.
pub const SCHEMA_VERSION: u64 = 1;

pub(crate) const MAX_NAME: usize = 200;
pub(crate) const MAX_BODY: usize = 20_000;
/// A document under review may hold a long paste (a whole charter), not unbounded text.
pub(crate) const MAX_DOCUMENT: usize = 2_000_000;

/// Who acts and when: the person's id and an RFC 3339 instant, both supplied by the caller
/// (the model reads no clock).
#[derive(Debug, Clone, Copy)]
pub struct Ctx<'a> {
    pub person: &'a str,
    pub at: &'a str,
}

impl<'a> Ctx<'a> {
    pub fn new(person: &'a str, at: &'a str) -> Self {
        Self { person, at }
    }
}

/// Makes ids that are unique per workspace handle without reading randomness: the caller
/// seeds it (the app from the browser's crypto, tests from their seed); the actor id
/// separates devices.
#[derive(Debug, Clone)]
struct IdGen {
    state: u64,
}

impl IdGen {
    fn next(&mut self, actor: &[u8]) -> String {
        // splitmix64 over seed + counter, then mixed with the actor.
        self.state = self.state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.state;
        for &b in actor.iter().take(16) {
            z = (z ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        format!("{:016x}", z ^ (z >> 31))
    }
}

/// A workspace: the automerge document plus the operations that keep it valid.
#[derive(Debug, Clone)]
pub struct Workspace {
    doc: AutoCommit,
    ids: IdGen,
    /// Cursor ops already checked to lie in (or outside) a text object: (object, counter,
    /// actor) → inside. See `review.rs`.
    checked_cursors: CursorChecks,
    /// The changes that wrote decision acts (see `acts.rs`).
    acts: crate::acts::Acts,
    /// Decisions' electorates checked at their openings: opening change → how it differs.
    pub(crate) electorates: Electorates,
    /// Decisions' rules as their opening changes wrote them: opening change → rules, op.
    pub(crate) rules: std::cell::RefCell<
        std::collections::HashMap<ChangeHash, (crate::decisions::Rules, automerge::ObjId)>,
    >,
}

pub(crate) type Electorates = std::cell::RefCell<
    std::collections::HashMap<ChangeHash, Option<crate::decisions::ElectorateDiff>>,
>;

pub(crate) type CursorChecks = std::cell::RefCell<CursorCheck>;

/// What checking cursors learnt (see `review.rs`).
#[derive(Debug, Clone, Default)]
pub(crate) struct CursorCheck {
    /// (text object, counter, actor) → whether that op is an insert into that text.
    pub known: std::collections::HashMap<(String, u64, automerge::ActorId), bool>,
    /// While placing threads: change → (start op, the object each op inserts into).
    pub changes:
        std::collections::HashMap<ChangeHash, (u64, Vec<Option<(u64, automerge::ActorId)>>)>,
}

pub(crate) fn nonempty(field: &'static str, value: &str, max: usize) -> Result<String, ModelError> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Err(ModelError::Empty { field });
    }
    let len = trimmed.chars().count();
    if len > max {
        return Err(ModelError::TooLong { field, len, max });
    }
    Ok(trimmed.to_owned())
}

pub(crate) fn bounded(field: &'static str, value: &str, max: usize) -> Result<String, ModelError> {
    let len = value.chars().count();
    if len > max {
        return Err(ModelError::TooLong { field, len, max });
    }
    Ok(value.to_owned())
}

pub(crate) fn unknown_id(kind: &'static str, id: &str) -> ModelError {
    ModelError::Unknown {
        kind,
        id: id.to_owned(),
    }
}

impl Workspace {
    /// A new, empty workspace with the default tiers and an empty Code of Conduct draft.
    pub fn create(
        ctx: Ctx<'_>,
        name: &str,
        creator_name: &str,
        id_seed: u64,
    ) -> Result<Self, ModelError> {
        Self::create_as(
            automerge::ActorId::random(),
            ctx,
            name,
            creator_name,
            id_seed,
        )
    }

    /// [`Self::create`] under a given actor id (a private workspace's, bound to a device key).
    pub fn create_as(
        actor: automerge::ActorId,
        ctx: Ctx<'_>,
        name: &str,
        creator_name: &str,
        id_seed: u64,
    ) -> Result<Self, ModelError> {
        let name = nonempty("workspace name", name, MAX_NAME)?;
        time::parse_instant("time", ctx.at)?;
        let mut ws = Self {
            doc: AutoCommit::new().with_actor(actor),
            ids: IdGen { state: id_seed },
            checked_cursors: CursorChecks::default(),
            acts: Default::default(),
            electorates: Default::default(),
            rules: Default::default(),
        };
        let state = WorkspaceDoc {
            schema_version: SCHEMA_VERSION,
            name,
            ..WorkspaceDoc::default()
        };
        autosurgeon::reconcile(&mut ws.doc, &state)?;
        // Made now so that no two peers make them concurrently later (see `decisions.rs`).
        ws.doc.put_object(ROOT, "decisions", ObjType::Map)?;
        ws.doc.put_object(ROOT, "delegations", ObjType::Map)?;
        ws.commit(ctx, "create workspace");
        ws.set_person_name(ctx, ctx.person, creator_name)?;
        ws.edit(
            ctx,
            "default tiers",
            "tiers",
            |tiers: &mut Vec<Tier>, ids| {
                *tiers = crate::defaults::tiers(ids);
                Ok(())
            },
        )?;
        let creator = ctx.person.to_owned();
        ws.edit(
            ctx,
            "creator joins the roster",
            "roster",
            |roster: &mut Vec<String>, _| {
                roster.push(creator);
                Ok(())
            },
        )?;
        ws.add_document(ctx, "Code of Conduct (draft)", "")?;
        Ok(ws)
    }

    /// Opens a saved workspace, migrating older schemas and refusing newer ones.
    pub fn load(bytes: &[u8], id_seed: u64) -> Result<Self, ModelError> {
        let doc = AutoCommit::load(bytes).map_err(|e| ModelError::Corrupt(e.to_string()))?;
        Self::from_doc(doc, id_seed)
    }

    /// Wraps a document received from elsewhere (sync, import), with the same checks as `load`.
    pub fn from_doc(doc: AutoCommit, id_seed: u64) -> Result<Self, ModelError> {
        let mut ws = Self {
            doc,
            ids: IdGen { state: id_seed },
            checked_cursors: CursorChecks::default(),
            acts: Default::default(),
            electorates: Default::default(),
            rules: Default::default(),
        };
        crate::migrate::upgrade(&mut ws)?;
        Ok(ws)
    }

    /// A past version of the workspace, to read: no checks, no migration (nothing is written).
    pub(crate) fn past(doc: AutoCommit) -> Self {
        Self {
            doc,
            ids: IdGen { state: 0 },
            checked_cursors: CursorChecks::default(),
            acts: Default::default(),
            electorates: Default::default(),
            rules: Default::default(),
        }
    }

    /// Opens a document from this device's own storage: upgraded like [`Self::from_doc`], but
    /// not hydrated whole first. What is stored here was checked when it arrived (creation,
    /// import, fetch) and has since changed only by operations and sync, like the open
    /// document; skipping the full read keeps opening a large workspace fast.
    pub fn from_stored(doc: AutoCommit, id_seed: u64) -> Result<Self, ModelError> {
        let mut ws = Self {
            doc,
            ids: IdGen { state: id_seed },
            checked_cursors: CursorChecks::default(),
            acts: Default::default(),
            electorates: Default::default(),
            rules: Default::default(),
        };
        crate::migrate::upgrade_version(&mut ws)?;
        Ok(ws)
    }

    /// The index of decision acts, up to date with the document.
    pub(crate) fn acts(&self) -> std::cell::RefMut<'_, crate::acts::Index> {
        let mut acts = self.acts.borrow_mut();
        acts.update(&self.doc);
        acts
    }

    /// Brings the index of decision acts up to date from change metadata: cheaper than the
    /// walk a read does after a large sync (the app calls it when a workspace opens and after
    /// changes from outside).
    pub fn index_acts(&mut self) {
        self.acts.get_mut().update_mut(&mut self.doc);
    }

    pub(crate) fn checked_cursors(&self) -> &CursorChecks {
        &self.checked_cursors
    }

    /// The automerge document (for sync, storage and export).
    pub fn doc(&self) -> &AutoCommit {
        &self.doc
    }

    /// Mutable access for sync and storage; callers must not write schema data through it.
    pub fn doc_mut(&mut self) -> &mut AutoCommit {
        &mut self.doc
    }

    /// The automerge document, giving the workspace up.
    pub fn into_doc(self) -> AutoCommit {
        self.doc
    }

    pub fn save(&mut self) -> Vec<u8> {
        self.doc.save()
    }

    pub fn heads(&mut self) -> Vec<ChangeHash> {
        self.doc.get_heads()
    }

    /// Merges another copy of the same workspace into this one.
    pub fn merge(&mut self, other: &mut Workspace) -> Result<(), ModelError> {
        self.doc.merge(&mut other.doc)?;
        Ok(())
    }

    /// The whole workspace as plain Rust values.
    pub fn state(&self) -> Result<WorkspaceDoc, ModelError> {
        Ok(autosurgeon::hydrate(&self.doc)?)
    }

    fn commit(&mut self, ctx: Ctx<'_>, message: &str) {
        let time = time::parse_instant("time", ctx.at).unwrap_or(0);
        self.doc.commit_with(
            CommitOptions::default()
                // Who, for History (as unverified as a name in an open workspace).
                .with_message(crate::history::message(message, ctx.person))
                .with_time(time),
        );
    }

    /// Runs `f` as one change: committed if it succeeds, rolled back if it fails.
    pub(crate) fn change<R>(
        &mut self,
        ctx: Ctx<'_>,
        message: &str,
        f: impl FnOnce(&mut Self) -> Result<R, ModelError>,
    ) -> Result<R, ModelError> {
        time::parse_instant("time", ctx.at)?;
        // Anything pending belongs to an earlier caller: keep it as its own change.
        self.doc.commit();
        match f(self) {
            Ok(r) => {
                self.commit(ctx, message);
                Ok(r)
            }
            Err(e) => {
                self.doc.rollback();
                Err(e)
            }
        }
    }

    /// Hydrates the root property `prop`, lets `f` edit it, reconciles it back — one change.
    pub(crate) fn edit<T, R>(
        &mut self,
        ctx: Ctx<'_>,
        message: &str,
        prop: &'static str,
        f: impl FnOnce(&mut T, &mut IdSource<'_>) -> Result<R, ModelError>,
    ) -> Result<R, ModelError>
    where
        T: Hydrate + Reconcile,
    {
        self.edit_at(ctx, message, &ROOT, prop, f)
    }

    /// Like [`Self::edit`], for property `prop` of any object: operations touch only the
    /// part of the document they change (one thread, one session), not a whole collection.
    pub(crate) fn edit_at<T, R>(
        &mut self,
        ctx: Ctx<'_>,
        message: &str,
        obj: &ObjId,
        prop: &'static str,
        f: impl FnOnce(&mut T, &mut IdSource<'_>) -> Result<R, ModelError>,
    ) -> Result<R, ModelError>
    where
        T: Hydrate + Reconcile,
    {
        self.change(ctx, message, |ws| {
            let mut value: T = hydrate_prop(&ws.doc, obj, prop)?;
            let actor = ws.doc.get_actor().to_bytes().to_vec();
            let r = f(
                &mut value,
                &mut IdSource {
                    ids: &mut ws.ids,
                    actor: &actor,
                },
            )?;
            reconcile_prop(&mut ws.doc, obj, prop, &value)?;
            Ok(r)
        })
    }

    /// A new comment by `ctx.person`, now, with a fresh id.
    pub(crate) fn new_comment(&mut self, ctx: Ctx<'_>, body: String) -> Comment {
        Comment {
            id: self.next_id(),
            author: ctx.person.to_owned(),
            created_at: ctx.at.to_owned(),
            body,
        }
    }

    /// Appends a new comment to the `comments` list of `obj` (a thread, a workstream item);
    /// returns its id. Call inside [`Self::change`].
    pub(crate) fn append_comment(
        &mut self,
        obj: &ObjId,
        ctx: Ctx<'_>,
        body: String,
    ) -> Result<String, ModelError> {
        let comment = self.new_comment(ctx, body);
        let id = comment.id.clone();
        self.append(obj, "comments", &comment)?;
        Ok(id)
    }

    /// A fresh id, inside or outside an edit.
    pub(crate) fn next_id(&mut self) -> String {
        let actor = self.doc.get_actor().to_bytes().to_vec();
        self.ids.next(&actor)
    }

    /// Appends `value` to the list `obj[prop]` — without reading the list, so adding the
    /// 1000th comment costs what adding the first did. Call inside [`Self::change`].
    pub(crate) fn append<T: Reconcile>(
        &mut self,
        obj: &ObjId,
        prop: &str,
        value: &T,
    ) -> Result<(), ModelError> {
        let list = match self.doc.get(obj, prop)? {
            Some((automerge::Value::Object(ObjType::List), list)) => list,
            // Only documents from other clients can lack a list the schema always creates.
            _ => self.doc.put_object(obj, prop, ObjType::List)?,
        };
        let len = self.doc.length(&list);
        autosurgeon::reconcile_insert(&mut self.doc, list, len, value)?;
        Ok(())
    }

    pub(crate) fn read<T: Hydrate>(&self, prop: &'static str) -> Result<T, ModelError> {
        Ok(hydrate_prop(&self.doc, ROOT, prop)?)
    }

    /// The object of the item with `id` in the list at `parent[prop]`.
    pub(crate) fn list_item(
        &self,
        parent: &ObjId,
        prop: &str,
        id: &str,
    ) -> Result<Option<ObjId>, ModelError> {
        let Some((automerge::Value::Object(ObjType::List), list)) = self.doc.get(parent, prop)?
        else {
            return Ok(None);
        };
        // One pass over the list (indexing each element separately would be quadratic).
        for item in self.doc.list_range(&list, ..) {
            if !matches!(item.value, automerge::ValueRef::Object(ObjType::Map)) {
                continue;
            }
            let obj = item.id();
            if let Some((v, _)) = self.doc.get(&obj, "id")?
                && v.as_str() == Some(id)
            {
                return Ok(Some(obj));
            }
        }
        Ok(None)
    }

    /// The automerge object id of a review document's text.
    pub(crate) fn text_obj(&self, document: &str) -> Result<ObjId, ModelError> {
        let item = self
            .list_item(&ROOT, "documents", document)?
            .ok_or_else(|| unknown_id("document", document))?;
        match self.doc.get(&item, "text")? {
            Some((automerge::Value::Object(ObjType::Text), obj)) => Ok(obj),
            _ => Err(ModelError::NotAWorkspace(format!(
                "document {document} has no text"
            ))),
        }
    }

    /// Sets `obj[prop]` (a Text) to `value`, writing only the difference so concurrent edits
    /// elsewhere in the text merge. (autosurgeon 0.14's `Text::update` counts bytes where
    /// automerge counts characters, so it cannot be used for non-ASCII text.)
    pub(crate) fn update_text(
        &mut self,
        obj: &ObjId,
        prop: &str,
        value: &str,
    ) -> Result<(), ModelError> {
        let text = match self.doc.get(obj, prop)? {
            Some((automerge::Value::Object(ObjType::Text), text)) => text,
            // Missing, or a plain string written by another client: make it Text.
            _ => self.doc.put_object(obj, prop, ObjType::Text)?,
        };
        self.doc.update_text(&text, value)?;
        Ok(())
    }

    // ----- people and workspace -------------------------------------------------------------

    /// Creates the person on first use, or renames them.
    pub fn set_person_name(
        &mut self,
        ctx: Ctx<'_>,
        person: &str,
        name: &str,
    ) -> Result<(), ModelError> {
        let name = nonempty("display name", name, MAX_NAME)?;
        let person = nonempty("person id", person, MAX_NAME)?;
        // Only this person's entry is read and written: naming the 1000th person costs what
        // naming the first did.
        self.change(ctx, "set display name", |ws| {
            let people = match ws.doc.get(ROOT, "people")? {
                Some((automerge::Value::Object(ObjType::Map), people)) => people,
                _ => ws.doc.put_object(ROOT, "people", ObjType::Map)?,
            };
            let existing: Option<Person> = match ws.doc.get(&people, person.as_str())? {
                None => None,
                Some(_) => Some(hydrate_prop(&ws.doc, &people, person.as_str())?),
            };
            let entry = match existing {
                Some(mut p) => {
                    p.name = name;
                    p
                }
                None => Person {
                    id: person.clone(),
                    name,
                    created_at: ctx.at.to_owned(),
                },
            };
            reconcile_prop(&mut ws.doc, &people, person.as_str(), &entry)?;
            Ok(())
        })
    }

    /// The workspace's name (read alone, without hydrating the rest).
    pub fn name(&self) -> Result<String, ModelError> {
        self.read("name")
    }

    pub fn rename(&mut self, ctx: Ctx<'_>, name: &str) -> Result<(), ModelError> {
        let name = nonempty("workspace name", name, MAX_NAME)?;
        self.change(ctx, "rename workspace", |ws| {
            Ok(ws.doc.put(ROOT, "name", name)?)
        })
    }

    pub fn set_description(&mut self, ctx: Ctx<'_>, description: &str) -> Result<(), ModelError> {
        let description = bounded("description", description, MAX_BODY)?;
        self.change(ctx, "describe workspace", |ws| {
            Ok(ws.doc.put(ROOT, "description", description)?)
        })
    }

    /// The person's display name, or their id when they never set one.
    pub fn person_name(&self, person: &str) -> String {
        // Only this person's entry: a page naming 1,000 voters reads 1,000 entries, not the
        // whole map 1,000 times (and one unreadable entry hides no one else's name).
        use automerge::Value;
        let entry = match self.doc.get(ROOT, "people") {
            Ok(Some((Value::Object(ObjType::Map), people))) => {
                match self.doc.get(&people, person) {
                    Ok(Some((Value::Object(ObjType::Map), entry))) => Some(entry),
                    _ => None,
                }
            }
            _ => None,
        };
        entry
            .and_then(|e| crate::tolerant::read_str(&self.doc, &e, "name"))
            .unwrap_or_else(|| person.to_owned())
    }
}

/// Fresh ids inside an [`Workspace::edit`] closure.
pub(crate) struct IdSource<'a> {
    ids: &'a mut IdGen,
    actor: &'a [u8],
}

impl IdSource<'_> {
    pub(crate) fn next(&mut self) -> String {
        self.ids.next(self.actor)
    }
}

pub(crate) fn require<'a, T>(
    items: &'a mut [T],
    id: &str,
    kind: &'static str,
    key: impl Fn(&T) -> &str,
) -> Result<&'a mut T, ModelError> {
    items
        .iter_mut()
        .find(|i| key(i) == id)
        .ok_or_else(|| unknown_id(kind, id))
}
