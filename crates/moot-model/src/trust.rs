//! What a commenter may write in a private workspace, decided per change from the change and
//! the objects it names (whose place in the document is fixed when they are made), so every
//! peer reaches the same verdict whatever else it holds:
//!
//! - a new thread in a review document's `threads`, a new comment in a thread's or a
//!   workstream item's `comments` (an insert of a new map, overwriting nothing);
//! - their own entry in `people` (under the person id of their key);
//! - anything inside objects that changes by their own key made (the thread, its anchor, the
//!   comment, their person entry).
//!
//! - their own slot in a decision (`ballots`, `delegations`, `closes` under their person id)
//!   and in the topic `delegations`: commenters who are in the electorate vote.
//!
//! Nothing else: no edit of the text, of someone else's comment, of a thread's resolution, of
//! the agenda, the roster or a proposal.

use automerge::legacy::{Key, ObjectId, OpType};
use automerge::{Automerge, Change, Prop, ReadDoc};
use moot_trust::{VerifyingKey, key_of_actor, person_id};

fn own(actor: &automerge::ActorId, author: &VerifyingKey) -> bool {
    key_of_actor(actor.to_bytes()).as_ref() == Some(author)
}

/// Where an object sits: the property names from the root, `None` for list positions.
fn place(doc: &Automerge, counter: u64, actor: &automerge::ActorId) -> Option<Vec<Option<String>>> {
    let (obj, _) = doc.import(&format!("{counter}@{actor}")).ok()?;
    let path = doc.parents(&obj).ok()?.path();
    Some(
        path.into_iter()
            .map(|(_, prop)| match prop {
                Prop::Map(k) => Some(k),
                Prop::Seq(_) => None,
            })
            .collect(),
    )
}

fn is(place: &[Option<String>], shape: &[Option<&str>]) -> bool {
    place.len() == shape.len() && place.iter().zip(shape).all(|(p, s)| p.as_deref() == *s)
}

/// The comment rule of `moot_sync::sealed`: `Err` says why a commenter's change is refused.
pub fn comment_rule(doc: &Automerge, change: &Change, author: &VerifyingKey) -> Result<(), String> {
    let me = person_id(author);
    for op in change.decode().operations {
        let ObjectId::Id(obj) = &op.obj else {
            return Err("a commenter wrote at the top of the workspace".into());
        };
        if own(obj.actor(), author) {
            continue;
        }
        let Some(place) = place(doc, obj.counter(), obj.actor()) else {
            return Err("a commenter wrote into an object that is not there".into());
        };
        let new_map = matches!(op.action, OpType::Make(automerge::ObjType::Map));
        let threads = is(&place, &[Some("documents"), None, Some("threads")]);
        let replies = is(
            &place,
            &[
                Some("documents"),
                None,
                Some("threads"),
                None,
                Some("comments"),
            ],
        ) || is(
            &place,
            &[
                Some("workstreams"),
                None,
                Some("items"),
                None,
                Some("comments"),
            ],
        );
        if (threads || replies) && op.insert && op.pred.is_empty() && new_map {
            continue;
        }
        // Their own slot in a decision (ballot, delegation, close) or in the topic
        // delegations: one string value under their person id.
        let own_slot = matches!(&op.key, Key::Map(k) if k.as_str() == me)
            && !op.insert
            && matches!(
                op.action,
                OpType::Put(automerge::ScalarValue::Str(_)) | OpType::Delete
            )
            && (is(&place, &[Some("delegations")])
                || (place.len() == 3
                    && place[0].as_deref() == Some("decisions")
                    && place[1].is_some()
                    && matches!(
                        place[2].as_deref(),
                        Some("ballots" | "delegations" | "closes")
                    )));
        if own_slot {
            continue;
        }
        let person = is(&place, &[Some("people")])
            && matches!(&op.key, Key::Map(k) if k.as_str() == me)
            && new_map
            && op.pred.iter().all(|p| own(p.actor(), author));
        if person {
            continue;
        }
        return Err("a commenter may only add comments and threads".into());
    }
    Ok(())
}

/// The key an object or op id's actor is bound to (`None` for an actor of an open workspace).
pub(crate) fn key_of_id(id: &automerge::ObjId) -> Option<VerifyingKey> {
    key_of_op(&id.to_string())
}

/// The key an op id (`counter@actor`) is bound to.
pub(crate) fn key_of_op(text: &str) -> Option<VerifyingKey> {
    // Most actors of an open workspace are shorter than a key's: no need to look further.
    if text.len() <= 2 * moot_trust::ACTOR_LEN {
        return None;
    }
    let (_, actor) = text.split_once('@')?;
    if actor.len() != 2 * moot_trust::ACTOR_LEN {
        return None;
    }
    key_of_actor(&crate::tolerant::hex(actor, moot_trust::ACTOR_LEN)?)
}

/// Whether `obj` claims to be written by `claimed` but was not: in a private workspace (its
/// objects are made by actors bound to keys) an object counts as `claimed`'s only if their
/// key made it and wrote each of `fields` as they stand now. Objects of an open workspace
/// are never "forged": nothing there is signed (the app says "not verified").
pub(crate) fn forged(
    doc: &impl autosurgeon::ReadDoc,
    obj: &automerge::ObjId,
    claimed: &str,
    fields: &[&str],
) -> bool {
    let Some(maker) = key_of_id(obj) else {
        return false;
    };
    let keys = keys_of(doc, claimed);
    if !keys.contains(&maker) {
        return true;
    }
    fields.iter().any(|f| match doc.get(obj, *f) {
        Ok(Some((_, id))) => !key_of_id(&id).is_some_and(|k| keys.contains(&k)),
        _ => false,
    })
}

/// The keys that write as `person`: the key their id stands for, and the devices that key
/// added to their entry in `people` (`devices`, written by that key itself; no one else's
/// additions count, so nobody can add a device to someone else).
pub fn keys_of(doc: &impl autosurgeon::ReadDoc, person: &str) -> Vec<VerifyingKey> {
    use automerge::{ObjType, Value};
    let Some(own) = moot_trust::key_of_person(person) else {
        return Vec::new();
    };
    let mut keys = vec![own];
    let Ok(Some((Value::Object(ObjType::Map), people))) = doc.get(&automerge::ROOT, "people")
    else {
        return keys;
    };
    let Ok(Some((Value::Object(ObjType::Map), entry))) = doc.get(&people, person) else {
        return keys;
    };
    let Ok(Some((Value::Object(ObjType::List), list))) = doc.get(&entry, "devices") else {
        return keys;
    };
    for i in 0..doc.length(&list).min(64) {
        if let Ok(Some((Value::Scalar(s), id))) = doc.get(&list, i)
            && key_of_id(&id) == Some(own)
            && let Some(code) = s.as_str()
            && let Some(key) = moot_trust::key_of_code(code)
            && !keys.contains(&key)
        {
            keys.push(key);
        }
    }
    keys
}

/// The elements of the list at `obj[prop]` that are maps.
pub(crate) fn maps(
    doc: &impl autosurgeon::ReadDoc,
    obj: &automerge::ObjId,
    prop: &str,
) -> Vec<automerge::ObjId> {
    let Ok(Some((automerge::Value::Object(automerge::ObjType::List), list))) = doc.get(obj, prop)
    else {
        return Vec::new();
    };
    (0..doc.length(&list))
        .filter_map(|i| match doc.get(&list, i) {
            Ok(Some((automerge::Value::Object(automerge::ObjType::Map), m))) => Some(m),
            _ => None,
        })
        .collect()
}

impl crate::Workspace {
    /// The acts on proposals whose attribution is forged (see [`forged`]), as values: they
    /// are not counted. A value that a genuine act also has is not among them (a forged copy
    /// of a genuine act changes nothing; an id alone must not let a forger cancel one).
    pub fn forged_acts(&self) -> Vec<crate::schema::Act> {
        forged_acts_in(self.doc())
    }

    /// Ids of the comments in review document `document` whose attribution is forged: shown
    /// as such.
    pub fn forged_comments(&self, document: &str) -> std::collections::BTreeSet<String> {
        let doc = self.doc();
        let mut out = std::collections::BTreeSet::new();
        let Some(review) = maps(doc, &automerge::ROOT, "documents")
            .into_iter()
            .find(|d| crate::tolerant::read_str(doc, d, "id").as_deref() == Some(document))
        else {
            return out;
        };
        for thread in maps(doc, &review, "threads") {
            for comment in maps(doc, &thread, "comments") {
                let author = crate::tolerant::read_str(doc, &comment, "author").unwrap_or_default();
                if forged(doc, &comment, &author, &["author", "body"]) {
                    out.insert(crate::tolerant::read_str(doc, &comment, "id").unwrap_or_default());
                }
            }
        }
        out
    }
}

impl crate::Workspace {
    /// Adds a device to my entry in `people`, by its code: from then on what that device's
    /// key writes in my name counts as mine. Only my own key's additions count.
    pub fn add_device(&mut self, ctx: crate::Ctx<'_>, code: &str) -> Result<(), crate::ModelError> {
        use automerge::{ObjType, Value, transaction::Transactable};
        let key = moot_trust::key_of_code(code).ok_or_else(|| {
            crate::ModelError::NotAllowed(
                "that is not a device code (copy it from the other device)".into(),
            )
        })?;
        let code = moot_trust::device_code(&key);
        if keys_of(self.doc(), ctx.person).contains(&key) {
            return Ok(());
        }
        self.change(ctx, "add a device", |ws| {
            let doc = ws.doc_mut();
            let Some((Value::Object(ObjType::Map), people)) = doc.get(automerge::ROOT, "people")?
            else {
                return Err(crate::ModelError::NotAllowed("set your name first".into()));
            };
            let Some((Value::Object(ObjType::Map), entry)) = doc.get(&people, ctx.person)? else {
                return Err(crate::ModelError::NotAllowed("set your name first".into()));
            };
            let list = match doc.get(&entry, "devices")? {
                Some((Value::Object(ObjType::List), list)) => list,
                _ => doc.put_object(&entry, "devices", ObjType::List)?,
            };
            let len = doc.length(&list);
            doc.insert(&list, len, code.as_str())?;
            Ok(())
        })
    }

    /// The device codes that write as `person` (their own key first).
    pub fn devices_of(&self, person: &str) -> Vec<String> {
        keys_of(self.doc(), person)
            .iter()
            .map(moot_trust::device_code)
            .collect()
    }
}

/// [`crate::Workspace::forged_acts`] of any reader (the document now, or at some heads).
pub(crate) fn forged_acts_in(doc: &impl autosurgeon::ReadDoc) -> Vec<crate::schema::Act> {
    use autosurgeon::Hydrate;
    let acts: Vec<(automerge::ObjId, bool)> = maps(doc, &automerge::ROOT, "proposals")
        .iter()
        .flat_map(|p| maps(doc, p, "acts"))
        .map(|act| {
            let by = crate::tolerant::read_str(doc, &act, "by").unwrap_or_default();
            let f = forged(doc, &act, &by, &["by", "kind"]);
            (act, f)
        })
        .collect();
    // The usual case (an open workspace, or nobody forging): nothing more to read.
    if !acts.iter().any(|(_, f)| *f) {
        return Vec::new();
    }
    let (mut forged_acts, mut genuine) = (Vec::new(), Vec::new());
    for (act, f) in acts {
        let Ok(value) = crate::schema::Act::hydrate_map(doc, &act) else {
            continue;
        };
        if f {
            forged_acts.push(value);
        } else {
            genuine.push(value);
        }
    }
    forged_acts.retain(|a| !genuine.contains(a));
    forged_acts
}
