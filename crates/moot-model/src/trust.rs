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
