//! Recovery from actor/seq squatting (audit M4).
//!
//! Changes are unsigned: anyone can publish a change under this device's actor id with its next
//! sequence number. automerge then refuses this device's real change with that number
//! (`DuplicateSeqNumber`), every sync message that carries it fails whole, and the real work
//! never leaves the device. [`rebase`] rewrites that work under a fresh actor: the document is
//! forked just before the first squatted change of `actor`, and the effect of everything from
//! there on (the squatted changes and whatever built on them) is replayed as one new change by
//! the fresh actor. Nothing typed is lost; the forged change, when it arrives, merges like any
//! concurrent change. Signed changes (TRUST.md) will make the forgery itself detectable.

use std::collections::{HashMap, HashSet};

use automerge::{
    ActorId, AutoCommit, ChangeHash, ObjId, ObjType, PatchAction, Prop, ReadDoc, Value,
    transaction::Transactable,
};

#[derive(Debug, thiserror::Error)]
pub enum RebaseError {
    #[error("cannot fork the document: {0}")]
    Fork(String),
    #[error("cannot replay the work: {0}")]
    Replay(String),
}

/// `doc` with its changes by `actor` from sequence number `from_seq` on (and every change that
/// depends on them) replayed as one change by `fresh`.
pub fn rebase(
    doc: &mut AutoCommit,
    actor: &ActorId,
    from_seq: u64,
    fresh: ActorId,
) -> Result<AutoCommit, RebaseError> {
    doc.commit();
    let changes = doc.get_changes(&[]);
    let mut moved: HashSet<ChangeHash> = HashSet::new();
    for c in &changes {
        let own = c.actor_id() == actor && c.seq() >= from_seq;
        if own || c.deps().iter().any(|d| moved.contains(d)) {
            moved.insert(c.hash());
        }
    }
    let kept: Vec<_> = changes
        .iter()
        .filter(|c| !moved.contains(&c.hash()))
        .collect();
    let depended: HashSet<ChangeHash> = kept.iter().flat_map(|c| c.deps().to_vec()).collect();
    let base_heads: Vec<ChangeHash> = kept
        .iter()
        .map(|c| c.hash())
        .filter(|h| !depended.contains(h))
        .collect();
    let after = doc.get_heads();
    let patches = doc.diff(&base_heads, &after);
    let mut base = doc
        .fork_at(&base_heads)
        .map_err(|e| RebaseError::Fork(e.to_string()))?;
    base.set_actor(fresh);
    let mut ids: HashMap<ObjId, ObjId> = HashMap::new();
    let replay = |e: automerge::AutomergeError| RebaseError::Replay(e.to_string());
    for patch in patches {
        let obj = ids.get(&patch.obj).cloned().unwrap_or(patch.obj);
        match patch.action {
            PatchAction::PutMap { key, value, .. } => {
                let place = Place::Put(Prop::Map(key));
                write(&mut base, &mut ids, &obj, place, value).map_err(replay)?
            }
            PatchAction::PutSeq { index, value, .. } => {
                let place = Place::Put(Prop::Seq(index));
                write(&mut base, &mut ids, &obj, place, value).map_err(replay)?
            }
            PatchAction::Insert { index, values } => {
                for (i, (value, id, _)) in values.iter().enumerate() {
                    let (place, value) = (Place::Insert(index + i), (value.clone(), id.clone()));
                    write(&mut base, &mut ids, &obj, place, value).map_err(replay)?;
                }
            }
            PatchAction::SpliceText { index, value, .. } => {
                base.splice_text(&obj, index, 0, &value.make_string())
                    .map_err(replay)?;
            }
            PatchAction::Increment { prop, value } => {
                base.increment(&obj, prop, value).map_err(replay)?
            }
            PatchAction::DeleteMap { key } => base.delete(&obj, key.as_str()).map_err(replay)?,
            PatchAction::DeleteSeq { index, length } => {
                if base.object_type(&obj).ok() == Some(ObjType::Text) {
                    base.splice_text(&obj, index, length as isize, "")
                        .map_err(replay)?;
                } else {
                    for _ in 0..length {
                        base.delete(&obj, index).map_err(replay)?;
                    }
                }
            }
            // Conflicts resolve as they stand; marks are not used by moot.
            PatchAction::Conflict { .. } | PatchAction::Mark { .. } => {}
        }
    }
    base.commit();
    Ok(base)
}

/// Where a replayed value goes: a map key or list index it replaces, or a list index it is
/// inserted at.
enum Place {
    Put(Prop),
    Insert(usize),
}

/// Writes one replayed value; an object made anew is remembered under its old id, so the
/// patches inside it find it.
fn write(
    doc: &mut AutoCommit,
    ids: &mut HashMap<ObjId, ObjId>,
    obj: &ObjId,
    place: Place,
    (value, id): (Value<'static>, ObjId),
) -> Result<(), automerge::AutomergeError> {
    match (value, place) {
        (Value::Scalar(s), Place::Put(prop)) => doc.put(obj, prop, s.into_owned()),
        (Value::Scalar(s), Place::Insert(at)) => doc.insert(obj, at, s.into_owned()),
        (Value::Object(kind), place) => {
            let made = match place {
                Place::Put(prop) => doc.put_object(obj, prop, kind)?,
                Place::Insert(at) => doc.insert_object(obj, at, kind)?,
            };
            ids.insert(id, made);
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use automerge::{ROOT, ScalarValue, sync::SyncDoc};

    fn text(doc: &AutoCommit, obj: &ObjId) -> String {
        doc.text(obj).unwrap()
    }

    /// The attack of the audit: A syncs, edits offline, and E publishes a change under A's
    /// actor with A's next seq. A's real edits then cannot be applied anywhere — until A
    /// rebases them under a fresh actor, after which everyone converges with A's words.
    #[test]
    fn squatted_work_is_replayed_under_a_fresh_actor_and_nothing_is_lost() {
        let a_actor = ActorId::from(vec![1; 16]);
        let mut a = AutoCommit::new().with_actor(a_actor.clone());
        let notes = a.put_object(ROOT, "notes", ObjType::Text).unwrap();
        a.splice_text(&notes, 0, 0, "Agreed: ").unwrap();
        let items = a.put_object(ROOT, "items", ObjType::List).unwrap();
        a.insert(&items, 0, "first").unwrap();
        a.commit();
        let mut relay = a.fork().with_actor(ActorId::from(vec![9; 16]));
        let synced_seq = a
            .get_changes(&[])
            .iter()
            .filter(|c| c.actor_id() == &a_actor)
            .count() as u64;

        // A works offline: text, a new nested object, a list item, a counter, a deletion.
        a.splice_text(&notes, 8, 0, "meet monthly").unwrap();
        a.commit();
        let agenda = a.put_object(ROOT, "agenda", ObjType::Map).unwrap();
        a.put(&agenda, "title", "Budget").unwrap();
        let sub = a.put_object(&agenda, "subs", ObjType::List).unwrap();
        a.insert(&sub, 0, "travel").unwrap();
        a.insert(&items, 1, "second").unwrap();
        a.put(ROOT, "votes", ScalarValue::counter(1)).unwrap();
        a.increment(ROOT, "votes", 2).unwrap();
        a.delete(&items, 0).unwrap();
        a.commit();

        // E squats A's next seq on the relay.
        let mut evil = relay.fork().with_actor(a_actor.clone());
        evil.put(ROOT, "forged", "by E").unwrap();
        evil.commit();
        relay.merge(&mut evil).unwrap();

        // A's sync with the relay now fails on the duplicate seq.
        let mut a_state = automerge::sync::State::new();
        let mut r_state = automerge::sync::State::new();
        let failed = (0..8).any(|_| {
            let to_relay = a.sync().generate_sync_message(&mut a_state);
            let to_a = relay.sync().generate_sync_message(&mut r_state);
            let r = to_relay.map(|m| relay.sync().receive_sync_message(&mut r_state, m));
            let s = to_a.map(|m| a.sync().receive_sync_message(&mut a_state, m));
            matches!(r, Some(Err(_))) || matches!(s, Some(Err(_)))
        });
        assert!(failed, "the squatted seq breaks the sync");

        let mut rebased =
            rebase(&mut a, &a_actor, synced_seq + 1, ActorId::from(vec![2; 16])).unwrap();
        let mut rebased_state = automerge::sync::State::new();
        let mut r_state = automerge::sync::State::new();
        for _ in 0..16 {
            let to_relay = rebased.sync().generate_sync_message(&mut rebased_state);
            let to_a = relay.sync().generate_sync_message(&mut r_state);
            if to_relay.is_none() && to_a.is_none() {
                break;
            }
            if let Some(m) = to_relay {
                relay.sync().receive_sync_message(&mut r_state, m).unwrap();
            }
            if let Some(m) = to_a {
                rebased
                    .sync()
                    .receive_sync_message(&mut rebased_state, m)
                    .unwrap();
            }
        }
        assert_eq!(rebased.get_heads(), relay.get_heads(), "they converge");
        for doc in [&rebased, &relay] {
            let notes = doc.get(ROOT, "notes").unwrap().unwrap().1;
            assert_eq!(text(doc, &notes), "Agreed: meet monthly");
            let agenda = doc.get(ROOT, "agenda").unwrap().unwrap().1;
            assert_eq!(
                doc.get(&agenda, "title").unwrap().unwrap().0.as_str(),
                Some("Budget")
            );
            let subs = doc.get(&agenda, "subs").unwrap().unwrap().1;
            assert_eq!(
                doc.get(&subs, 0).unwrap().unwrap().0.as_str(),
                Some("travel")
            );
            let items = doc.get(ROOT, "items").unwrap().unwrap().1;
            assert_eq!(doc.length(&items), 1);
            assert_eq!(
                doc.get(&items, 0).unwrap().unwrap().0.as_str(),
                Some("second")
            );
            let votes = doc.get(ROOT, "votes").unwrap().unwrap().0;
            assert_eq!(
                votes.to_string(),
                "Counter: 3",
                "the counter kept both increments"
            );
            assert_eq!(
                doc.get(ROOT, "forged").unwrap().unwrap().0.as_str(),
                Some("by E")
            );
        }
    }
}
