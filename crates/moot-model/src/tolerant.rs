//! Reading what other clients wrote: a string written as automerge Text (JS automerge 3 does
//! this by default) reads as the string, and one unreadable element of a list is skipped
//! rather than hiding the whole list.

use automerge::{ObjId, ObjType, ScalarValue, Value};
use autosurgeon::{Hydrate, HydrateError, Prop, ReadDoc};

/// The bytes of a hex string a peer wrote (at most `max` bytes); `None` if it is not hex.
pub(crate) fn hex(s: &str, max: usize) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) || s.len() > 2 * max {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

/// `obj[prop]` as a string: a string scalar or a Text object; anything else is `None`.
pub(crate) fn read_str(doc: &impl ReadDoc, obj: &ObjId, prop: &str) -> Option<String> {
    match doc.get(obj, prop).ok()?? {
        (Value::Scalar(s), _) => match s.as_ref() {
            ScalarValue::Str(s) => Some(s.to_string()),
            _ => None,
        },
        (Value::Object(ObjType::Text), text) => doc.text(&text).ok(),
        _ => None,
    }
}

/// A string field: a string scalar or a Text object.
pub(crate) fn string<D: ReadDoc>(
    doc: &D,
    obj: &ObjId,
    prop: Prop<'_>,
) -> Result<String, HydrateError> {
    match doc.get(obj, &prop)? {
        Some((Value::Object(ObjType::Text), text)) => Ok(doc.text(&text)?),
        _ => String::hydrate(doc, obj, prop),
    }
}

/// An optional string field, the same way.
pub(crate) fn opt_string<D: ReadDoc>(
    doc: &D,
    obj: &ObjId,
    prop: Prop<'_>,
) -> Result<Option<String>, HydrateError> {
    match doc.get(obj, &prop)? {
        Some((Value::Object(ObjType::Text), text)) => Ok(Some(doc.text(&text)?)),
        _ => Option::<String>::hydrate(doc, obj, prop),
    }
}

/// The readable elements of the list at `obj[prop]` (missing: empty), and how many were not.
pub(crate) fn list<T: Hydrate, D: ReadDoc>(
    doc: &D,
    obj: &ObjId,
    prop: &str,
) -> Result<(Vec<T>, usize), HydrateError> {
    let Some((Value::Object(ObjType::List), list)) = doc.get(obj, prop)? else {
        return Ok((Vec::new(), 0));
    };
    let (mut out, mut bad) = (Vec::new(), 0);
    for i in 0..doc.length(&list) {
        match T::hydrate(doc, &list, i.into()) {
            Ok(item) => out.push(item),
            Err(_) => bad += 1,
        }
    }
    Ok((out, bad))
}

/// A list field whose unreadable elements are left out (for read-only views: see
/// [`crate::schema::ProposalRead`]).
pub(crate) fn items<T: Hydrate, D: ReadDoc>(
    doc: &D,
    obj: &ObjId,
    prop: Prop<'_>,
) -> Result<Vec<T>, HydrateError> {
    let Some((Value::Object(ObjType::List), list)) = doc.get(obj, &prop)? else {
        return Ok(Vec::new());
    };
    Ok((0..doc.length(&list))
        .filter_map(|i| T::hydrate(doc, &list, i.into()).ok())
        .collect())
}
