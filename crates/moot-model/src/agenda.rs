//! The rolling agenda: where each item sits is data on the item, never the item's place in a
//! list, so a move changes position and never identity or contents.
//!
//! automerge has no move: moving an element of a list means deleting it and inserting a copy,
//! and minutes typed concurrently into the deleted copy are lost (two concurrent moves leave
//! two items with one id). So each item's object, once made, stays where it was made (new
//! items at the end of the session's `agenda` list; items of older documents wherever they
//! were nested), and its logical place is two scalars on it:
//!
//! - `parent`: the id of the item it is a sub-point of (`""` at the top level);
//! - `order`: a fractional key (`[0-9a-z]*`, compared as strings) among its siblings.
//!
//! A move writes only those scalars (last writer wins, so concurrent moves of one item end in
//! one of the two places); a removal writes `removed: true` on the item and its sub-points, so
//! a sub-point someone adds concurrently is still shown. Reading builds the tree from them:
//! items without `parent`/`order` (older documents) take their physical place; an item whose
//! parent is missing, removed, in a cycle (two concurrent indents) or deeper than
//! [`MAX_DEPTH`] is shown at the top level; the first object with an id wins over copies.

use std::collections::HashMap;

use automerge::{ObjId, ObjType, ScalarValue, Value, transaction::Transactable};
use autosurgeon::{ReadDoc, Text};

use crate::{ModelError, schema::AgendaItem, tolerant::read_str, workspace::unknown_id};

/// Deepest nesting shown; deeper items are shown at the top level.
pub const MAX_DEPTH: usize = 16;
/// Physical nesting read at most this deep (older documents nest; a hostile one may nest 10⁵
/// deep, which a recursive read would overflow the stack on).
const MAX_PHYSICAL_DEPTH: usize = 64;
/// At most this many items are read from one session.
const MAX_ITEMS: usize = 10_000;

const DIGITS: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyz";

fn digit(d: u8) -> Option<u32> {
    DIGITS.iter().position(|&x| x == d).map(|p| p as u32)
}

/// A key strictly between `lo` and `hi` (`hi = None`: no upper bound). Keys are base-36
/// fractions without trailing zeros (David Greenspan's "fractional indexing").
pub(crate) fn key_between(lo: &str, hi: Option<&str>) -> Option<String> {
    let valid = |k: &str| k.bytes().all(|b| digit(b).is_some()) && !k.ends_with('0');
    if !valid(lo) || hi.is_some_and(|h| !valid(h) || h <= lo) {
        return None;
    }
    fn mid(lo: &[u8], hi: Option<&[u8]>) -> Vec<u8> {
        if let Some(hi) = hi {
            let common = (0..)
                .take_while(|&i| i < hi.len() && lo.get(i).copied().unwrap_or(b'0') == hi[i])
                .count();
            if common > 0 {
                let mut out = hi[..common].to_vec();
                out.extend(mid(lo.get(common..).unwrap_or(&[]), Some(&hi[common..])));
                return out;
            }
        }
        let a = lo.first().and_then(|&d| digit(d)).unwrap_or(0);
        let b = hi.map_or(36, |h| digit(h[0]).unwrap_or(36));
        if b - a > 1 {
            vec![DIGITS[((a + b) / 2) as usize]]
        } else if hi.is_some_and(|h| h.len() > 1) {
            vec![hi.expect("checked")[0]]
        } else {
            let mut out = vec![DIGITS[a as usize]];
            out.extend(mid(lo.get(1..).unwrap_or(&[]), None));
            out
        }
    }
    Some(String::from_utf8(mid(lo.as_bytes(), hi.map(str::as_bytes))).expect("ASCII digits"))
}

/// Where one item object says it sits, read field by field (whatever a peer wrote). Its title
/// and minutes are read only when the tree is built for a view: finding an item to change
/// (every keystroke in the minutes) reads no text.
#[derive(Debug, Clone)]
pub(crate) struct Stored {
    pub obj: ObjId,
    pub id: String,
    /// `None`: not written (an older document): the physical parent applies.
    pub parent: Option<String>,
    pub order: Option<String>,
    pub removed: bool,
    /// The id of the item it is physically nested in ("" at the top).
    physical_parent: String,
    /// Its index in the physical traversal (the order of items without `order`).
    physical_index: usize,
}

/// Every item object of a session's agenda, in physical order, iteratively.
pub(crate) fn stored_items(doc: &impl ReadDoc, session: &ObjId) -> Vec<Stored> {
    let mut out = Vec::new();
    let Ok(Some((Value::Object(ObjType::List), top))) = doc.get(session, "agenda") else {
        return out;
    };
    // (list, its owner's id, depth); children are pushed reversed so the walk is pre-order.
    let mut stack = vec![(top, String::new(), 0usize)];
    while let Some((list, owner, depth)) = stack.pop() {
        let mut children = Vec::new();
        for item in doc.list_range(&list, ..) {
            if out.len() >= MAX_ITEMS {
                return out;
            }
            if !matches!(item.value, automerge::ValueRef::Object(ObjType::Map)) {
                continue;
            }
            let obj = item.id();
            let Some(id) = read_str(doc, &obj, "id").filter(|id| !id.is_empty()) else {
                continue;
            };
            let removed = matches!(
                doc.get(&obj, "removed"),
                Ok(Some((Value::Scalar(s), _))) if matches!(s.as_ref(), ScalarValue::Boolean(true))
            );
            if depth < MAX_PHYSICAL_DEPTH
                && let Ok(Some((Value::Object(ObjType::List), kids))) = doc.get(&obj, "children")
            {
                children.push((kids, id.clone(), depth + 1));
            }
            out.push(Stored {
                parent: read_str(doc, &obj, "parent"),
                order: read_str(doc, &obj, "order"),
                removed,
                physical_parent: owner.clone(),
                physical_index: out.len(),
                obj,
                id,
            });
        }
        stack.extend(children.into_iter().rev());
    }
    out
}

/// Where each item sits, after the rules in the module doc.
pub(crate) struct Layout {
    /// The first object of each id, in physical order.
    pub items: Vec<Stored>,
    /// Id → index into `items`.
    index: HashMap<String, usize>,
    /// Each item's effective parent id ("" = top); `None` for a removed item.
    parents: Vec<Option<String>>,
    /// Parent id ("" = top) → child indices into `items`, in order.
    pub children: HashMap<String, Vec<usize>>,
}

/// An item's place: its effective parent, its siblings in order (itself included) and its
/// position among them.
pub(crate) struct Place {
    pub parent: String,
    pub siblings: Vec<usize>,
    pub at: usize,
}

impl Layout {
    pub fn of(doc: &impl ReadDoc, session: &ObjId) -> Self {
        let mut items: Vec<Stored> = Vec::new();
        let mut index = HashMap::new();
        for item in stored_items(doc, session) {
            // The first object with an id wins over copies (older moves made copies).
            if !index.contains_key(&item.id) {
                index.insert(item.id.clone(), items.len());
                items.push(item);
            }
        }
        let parent_of = |i: usize| -> String {
            let it = &items[i];
            it.parent
                .clone()
                .unwrap_or_else(|| it.physical_parent.clone())
        };
        let mut parents = vec![None; items.len()];
        let mut children: HashMap<String, Vec<usize>> = HashMap::new();
        for i in 0..items.len() {
            if items[i].removed {
                continue;
            }
            // Walk up: a missing or removed parent, a cycle or too deep → the top level.
            let mut parent = parent_of(i);
            let mut at = parent.clone();
            let mut depth = 0;
            while !at.is_empty() {
                match index.get(&at) {
                    Some(&p) if !items[p].removed && p != i && depth < MAX_DEPTH => {
                        at = parent_of(p);
                        depth += 1;
                    }
                    _ => {
                        parent = String::new();
                        break;
                    }
                }
            }
            children.entry(parent.clone()).or_default().push(i);
            parents[i] = Some(parent);
        }
        for list in children.values_mut() {
            list.sort_by_cached_key(|&i| {
                (
                    items[i].order.clone().unwrap_or_default(),
                    items[i].physical_index,
                )
            });
        }
        Layout {
            items,
            index,
            parents,
            children,
        }
    }

    /// The item with this id, unless it was removed.
    pub fn find(&self, id: &str) -> Option<usize> {
        self.index
            .get(id)
            .copied()
            .filter(|&i| self.parents[i].is_some())
    }

    /// Where item `i` (not removed) sits now.
    pub fn place_of(&self, i: usize) -> Place {
        let parent = self.parents[i].clone().unwrap_or_default();
        let siblings = self.children.get(&parent).cloned().unwrap_or_default();
        let at = siblings
            .iter()
            .position(|&s| s == i)
            .expect("a laid-out item is among its parent's children");
        Place {
            parent,
            siblings,
            at,
        }
    }

    /// The tree as the views read it (titles and minutes read here, once per item).
    pub fn tree(&self, doc: &impl ReadDoc) -> Vec<AgendaItem> {
        fn build(
            layout: &Layout,
            doc: &impl ReadDoc,
            parent: &str,
            depth: usize,
        ) -> Vec<AgendaItem> {
            let Some(list) = layout.children.get(parent) else {
                return Vec::new();
            };
            list.iter()
                .map(|&i| {
                    let it = &layout.items[i];
                    AgendaItem {
                        id: it.id.clone(),
                        title: read_str(doc, &it.obj, "title").unwrap_or_default(),
                        minutes: Text::with_value(
                            read_str(doc, &it.obj, "minutes").unwrap_or_default(),
                        ),
                        // The layout bounds the depth (MAX_DEPTH), so this recursion too.
                        children: if depth <= MAX_DEPTH {
                            build(layout, doc, &it.id, depth + 1)
                        } else {
                            Vec::new()
                        },
                    }
                })
                .collect()
        }
        build(self, doc, "", 0)
    }

    /// Item `i` and every item below it (each item has one effective parent and the layout
    /// has no cycles, so each is listed once).
    pub fn subtree(&self, i: usize) -> Vec<usize> {
        let mut out = vec![i];
        let mut k = 0;
        while k < out.len() {
            if let Some(kids) = self.children.get(&self.items[out[k]].id) {
                out.extend_from_slice(kids);
            }
            k += 1;
        }
        out
    }
}

/// Writes `place` for item `moved` (`place.siblings` is the new sibling list in order, with
/// `moved` at `place.at`): a key between its neighbours, or fresh keys for the whole list when
/// there is no room between them (equal keys from concurrent inserts, or items of an older
/// document that have none).
pub(crate) fn write_place(
    doc: &mut impl Transactable,
    layout: &Layout,
    place: &Place,
    moved: usize,
) -> Result<(), ModelError> {
    let Place {
        parent,
        siblings,
        at,
    } = place;
    let key = |i: usize| layout.items[i].order.clone();
    let lo = if *at == 0 {
        Some(String::new())
    } else {
        key(siblings[at - 1])
    };
    let fits = match (lo, siblings.get(at + 1).map(|&s| key(s))) {
        (Some(lo), None) => key_between(&lo, None),
        (Some(lo), Some(Some(hi))) => key_between(&lo, Some(&hi)),
        _ => None,
    };
    let item = &layout.items[moved];
    doc.put(&item.obj, "parent", parent.as_str())?;
    match fits {
        Some(k) => {
            doc.put(&item.obj, "order", k)?;
        }
        None => {
            let mut k = String::new();
            for &s in siblings {
                k = key_between(&k, None).expect("valid");
                let it = &layout.items[s];
                doc.put(&it.obj, "order", k.as_str())?;
                doc.put(&it.obj, "parent", parent.as_str())?;
            }
        }
    }
    Ok(())
}

/// The key after the last child of `parent` (for a new item).
pub(crate) fn key_after_last(layout: &Layout, parent: &str) -> String {
    let last = layout
        .children
        .get(parent)
        .and_then(|l| {
            l.iter()
                .filter_map(|&i| layout.items[i].order.clone())
                .max()
        })
        .unwrap_or_default();
    key_between(&last, None).expect("a stored key is valid or replaced")
}

pub(crate) fn unknown(id: &str) -> ModelError {
    unknown_id("agenda item", id)
}

/// `WorkSession::agenda`: read as the tree [`Layout`] builds; never written by reconciling a
/// session (items change only through the agenda operations), except that a new session gets
/// its empty list.
pub(crate) mod field {
    use autosurgeon::{HydrateError, Prop, ReadDoc, Reconciler};

    use crate::schema::AgendaItem;

    pub(crate) fn hydrate<D: ReadDoc>(
        doc: &D,
        obj: &automerge::ObjId,
        _prop: Prop<'_>,
    ) -> Result<Vec<AgendaItem>, HydrateError> {
        Ok(super::Layout::of(doc, obj).tree(doc))
    }

    pub(crate) fn reconcile<R: Reconciler>(
        _agenda: &[AgendaItem],
        mut reconciler: R,
    ) -> Result<(), R::Error> {
        reconciler.seq().map(drop)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_fall_strictly_between() {
        let mut keys = vec![String::new()];
        let mut k = String::new();
        for _ in 0..50 {
            k = key_between(&k, None).unwrap();
            keys.push(k.clone());
        }
        assert!(keys.windows(2).all(|w| w[0] < w[1]), "{keys:?}");
        // Repeatedly between two neighbours: always room.
        let (mut lo, hi) = (String::new(), key_between("", None).unwrap());
        for _ in 0..200 {
            let m = key_between(&lo, Some(&hi)).unwrap();
            assert!(lo < m && m < hi, "{lo} {m} {hi}");
            assert!(!m.ends_with('0'));
            lo = m;
        }
        for (lo, hi) in [
            ("", "1"),
            ("1", "2"),
            ("a", "a1"),
            ("az", "b"),
            ("zz", "zzz1"),
        ] {
            let m = key_between(lo, Some(hi)).unwrap();
            assert!(lo < m.as_str() && m.as_str() < hi, "{lo} {m} {hi}");
        }
        assert_eq!(key_between("b", Some("a")), None);
        assert_eq!(key_between("a", Some("a")), None);
        assert_eq!(key_between("A", None), None);
        assert_eq!(key_between("a0", None), None);
    }
}
