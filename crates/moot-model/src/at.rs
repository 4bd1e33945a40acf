//! The document as it was at some heads, to read through autosurgeon (and moot's tolerant
//! readers) without copying it: every read is automerge's `…_at` at those heads. A fork at
//! the heads would replay the whole history (0.8 s for the automerge-paper draft here); a
//! read at heads costs a clock, which automerge caches.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::ops::RangeBounds;
use std::rc::Rc;

use automerge::{self as am, AutoCommit, AutomergeError, ChangeHash, ObjId, Value};

pub(crate) struct At<'a> {
    doc: &'a AutoCommit,
    heads: &'a [ChangeHash],
    /// Each list and map read so far, whole: one clock per object rather than per element
    /// (a roster of a thousand is read element by element).
    lists: RefCell<HashMap<ObjId, Rc<Vec<Entry<'a>>>>>,
    maps: RefCell<HashMap<ObjId, Rc<BTreeMap<String, Entry<'a>>>>>,
}

type Entry<'a> = (Value<'a>, ObjId);

impl<'a> At<'a> {
    pub fn new(doc: &'a AutoCommit, heads: &'a [ChangeHash]) -> Self {
        At {
            doc,
            heads,
            lists: Default::default(),
            maps: Default::default(),
        }
    }

    fn list(&self, obj: &ObjId) -> Rc<Vec<Entry<'a>>> {
        if let Some(l) = self.lists.borrow().get(obj) {
            return l.clone();
        }
        let doc: &'a AutoCommit = self.doc;
        let items: Vec<Entry<'a>> = am::ReadDoc::list_range_at(doc, obj, .., self.heads)
            .map(|item| {
                let id = item.id();
                (item.value.into_value(), id)
            })
            .collect();
        let items = Rc::new(items);
        self.lists.borrow_mut().insert(obj.clone(), items.clone());
        items
    }

    fn map(&self, obj: &ObjId) -> Rc<BTreeMap<String, Entry<'a>>> {
        if let Some(m) = self.maps.borrow().get(obj) {
            return m.clone();
        }
        let doc: &'a AutoCommit = self.doc;
        let items: BTreeMap<String, Entry<'a>> =
            am::ReadDoc::map_range_at(doc, obj, .., self.heads)
                .map(|item| {
                    let id = item.id();
                    (item.key.to_string(), (item.value.into_value(), id))
                })
                .collect();
        let items = Rc::new(items);
        self.maps.borrow_mut().insert(obj.clone(), items.clone());
        items
    }
}

impl autosurgeon::ReadDoc for At<'_> {
    type Parents<'b>
        = am::Parents<'b>
    where
        Self: 'b;

    fn get_heads(&self) -> Vec<ChangeHash> {
        self.heads.to_vec()
    }

    fn get<P: Into<am::Prop>>(
        &self,
        obj: &ObjId,
        prop: P,
    ) -> Result<Option<(Value<'_>, ObjId)>, AutomergeError> {
        match (prop.into(), am::ReadDoc::object_type(self.doc, obj)) {
            (am::Prop::Seq(i), Ok(am::ObjType::List)) => Ok(self.list(obj).get(i).cloned()),
            (am::Prop::Map(k), Ok(am::ObjType::Map | am::ObjType::Table)) => {
                Ok(self.map(obj).get(k.as_str()).cloned())
            }
            (prop, _) => am::ReadDoc::get_at(self.doc, obj, prop, self.heads),
        }
    }

    fn object_type<O: AsRef<ObjId>>(&self, obj: O) -> Option<am::ObjType> {
        am::ReadDoc::object_type(self.doc, obj).ok()
    }

    fn map_range<'b, O, R>(&'b self, obj: O, range: R) -> am::iter::MapRange<'b>
    where
        R: RangeBounds<String> + 'b,
        O: AsRef<ObjId>,
    {
        am::ReadDoc::map_range_at(self.doc, obj, range, self.heads)
    }

    fn list_range<O: AsRef<ObjId>, R: RangeBounds<usize>>(
        &self,
        obj: O,
        range: R,
    ) -> am::iter::ListRange<'_> {
        am::ReadDoc::list_range_at(self.doc, obj, range, self.heads)
    }

    fn length<O: AsRef<ObjId>>(&self, obj: O) -> usize {
        let obj = obj.as_ref();
        match am::ReadDoc::object_type(self.doc, obj) {
            Ok(am::ObjType::List) => self.list(obj).len(),
            _ => am::ReadDoc::length_at(self.doc, obj, self.heads),
        }
    }

    fn text<O: AsRef<ObjId>>(&self, obj: O) -> Result<String, AutomergeError> {
        am::ReadDoc::text_at(self.doc, obj, self.heads)
    }

    fn parents<O: AsRef<ObjId>>(&self, obj: O) -> Result<Self::Parents<'_>, AutomergeError> {
        am::ReadDoc::parents_at(self.doc, obj, self.heads)
    }

    fn is_empty(&self) -> bool {
        am::ReadDoc::keys_at(self.doc, am::ROOT, self.heads).count() == 0
    }
}
