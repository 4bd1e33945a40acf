//! Documents under review and their comment threads, anchored to passages of the text.
//!
//! Positions are counted in Unicode scalar values (Rust `char`s). An anchor holds automerge
//! cursors so the passage follows concurrent and offline edits: one on its first character
//! (moving forward if deleted), one on its last character (moving backward) and one on the
//! character after it (moving forward). The passage ends at whichever end comes first, so text
//! typed just after it, or a replaced neighbour, never joins it. When the start meets the end,
//! every character of the passage was deleted and the thread is *orphaned*: still listed, with
//! its original quote and the heads it was made at. If the cursors belong to another text
//! object (the text was replaced wholesale, e.g. by another client), the quote with its prefix
//! and suffix is searched for instead.

use automerge::{ObjId, ReadDoc, transaction::Transactable};
use autosurgeon::Text;

use crate::{
    ModelError, Workspace,
    defaults::OPERATIONAL_QUESTION,
    schema::*,
    workspace::{Ctx, MAX_BODY, MAX_DOCUMENT, MAX_NAME, nonempty, unknown_id},
};

const CONTEXT_CHARS: usize = 32;
const END: &str = "end";
const MAX_TAG: usize = 60;

/// Where a thread's passage is in the current text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Placement {
    /// `start..end` in chars of the current text.
    Anchored { start: usize, end: usize },
    /// Every character of the passage was deleted.
    Orphaned,
}

/// A thread as the review page shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct ThreadView {
    pub thread: Thread,
    pub placement: Placement,
}

impl ThreadView {
    pub fn is_orphaned(&self) -> bool {
        self.placement == Placement::Orphaned
    }
}

fn clean_tags(tags: &[String]) -> Result<Vec<String>, ModelError> {
    let mut out: Vec<String> = Vec::new();
    for tag in tags {
        let tag = nonempty("tag", &tag.to_lowercase(), MAX_TAG)?;
        if !out.contains(&tag) {
            out.push(tag);
        }
    }
    // The tag the group asked reviewers to focus on always comes first.
    out.sort_by_key(|t| t != OPERATIONAL_QUESTION);
    Ok(out)
}

fn char_slice(chars: &[char], start: usize, end: usize) -> String {
    chars[start.min(chars.len())..end.min(chars.len())]
        .iter()
        .collect()
}

/// The op a cursor string names, if it is one in automerge's form (`<counter>@<actor hex>`,
/// `-` first for a cursor that moves backward). Anything else is refused here, unread by
/// automerge (whose parser slices the string by bytes).
fn op_cursor(s: &str) -> Option<(u64, automerge::ActorId)> {
    let body = s.strip_prefix('-').unwrap_or(s);
    let (ctr, actor) = body.split_once('@')?;
    let hex = |s: &str| s.bytes().all(|b| b.is_ascii_hexdigit());
    if ctr.is_empty()
        || ctr.len() > 10
        || !ctr.bytes().all(|b| b.is_ascii_digit())
        || actor.is_empty()
        || actor.len() > 64
        || actor.len() % 2 != 0
        || !hex(actor)
    {
        return None;
    }
    // automerge keeps counters as u32 in its columns: a larger one would name another op.
    let ctr: u64 = ctr
        .parse()
        .ok()
        .filter(|&c| c > 0 && c <= u64::from(u32::MAX))?;
    Some((ctr, automerge::ActorId::try_from(actor).ok()?))
}

/// Every start of `pattern` in `text`, in linear time (Knuth–Morris–Pratt): the quote is a
/// peer's, and a naive search of a crafted one (`a…ab` in `a…a`) costs text × quote.
fn occurrences<'a>(text: &'a [char], pattern: &'a [char]) -> impl Iterator<Item = usize> + 'a {
    let mut fail = vec![0usize; pattern.len()];
    let mut k = 0;
    for i in 1..pattern.len() {
        while k > 0 && pattern[i] != pattern[k] {
            k = fail[k - 1];
        }
        if pattern[i] == pattern[k] {
            k += 1;
        }
        fail[i] = k;
    }
    let mut k = 0;
    text.iter().enumerate().filter_map(move |(i, c)| {
        while k > 0 && *c != pattern[k] {
            k = fail[k - 1];
        }
        if *c == pattern[k] {
            k += 1;
        }
        (k == pattern.len()).then(|| {
            k = fail[k - 1];
            i + 1 - pattern.len()
        })
    })
}

/// Finds `quote` in `text`, preferring the occurrence whose surroundings match best.
fn find_quote(text: &[char], anchor: &Anchor) -> Option<(usize, usize)> {
    let quote: Vec<char> = anchor.quote.chars().collect();
    if quote.is_empty() || quote.len() > text.len() {
        return None;
    }
    // Only the context an anchor is made with counts (a peer may write more).
    let prefix: Vec<char> = anchor.prefix.chars().rev().take(CONTEXT_CHARS).collect();
    let suffix: Vec<char> = anchor.suffix.chars().take(CONTEXT_CHARS).collect();
    let score = |at: usize| {
        let before = prefix
            .iter()
            .zip(text[..at].iter().rev())
            .take_while(|(a, b)| a == b)
            .count();
        let after = suffix
            .iter()
            .zip(text[at + quote.len()..].iter())
            .take_while(|(a, b)| a == b)
            .count();
        before + after
    };
    occurrences(text, &quote)
        .max_by_key(|&i| (score(i), std::cmp::Reverse(i)))
        .map(|i| (i, i + quote.len()))
}

impl Workspace {
    /// Adds a document under review (the Code of Conduct draft is one).
    pub fn add_document(
        &mut self,
        ctx: Ctx<'_>,
        title: &str,
        text: &str,
    ) -> Result<String, ModelError> {
        let title = nonempty("document title", title, MAX_NAME)?;
        check_document_len(text.chars().count())?;
        self.edit(
            ctx,
            "add document",
            "documents",
            |docs: &mut Vec<ReviewDocument>, ids| {
                let id = ids.next();
                docs.push(ReviewDocument {
                    id: id.clone(),
                    title,
                    text: Text::with_value(text),
                    threads: Vec::new(),
                });
                Ok(id)
            },
        )
    }

    /// Every readable document under review (one with wrong types is skipped, not fatal).
    pub fn documents(&self) -> Result<Vec<ReviewDocument>, ModelError> {
        Ok(crate::tolerant::list(self.doc(), &automerge::ROOT, "documents")?.0)
    }

    /// Each document's id and title, without reading its text and threads (what a view needs
    /// on every change, cheaply, however long the text).
    pub fn document_titles(&self) -> Result<Vec<(String, String)>, ModelError> {
        let Some((_, list)) = self.doc().get(automerge::ROOT, "documents")? else {
            return Ok(Vec::new());
        };
        let mut out = Vec::new();
        for i in 0..self.doc().length(&list) {
            if let Some((_, item)) = self.doc().get(&list, i)? {
                let id: String = autosurgeon::hydrate_prop(self.doc(), &item, "id")?;
                let title: String = autosurgeon::hydrate_prop(self.doc(), &item, "title")?;
                out.push((id, title));
            }
        }
        Ok(out)
    }

    /// The current text of a document.
    pub fn document_text(&self, document: &str) -> Result<String, ModelError> {
        let obj = self.text_obj(document)?;
        Ok(self.doc().text(&obj)?)
    }

    /// Replaces the whole text, writing only what differs (so anchors in unchanged parts hold).
    ///
    /// A pure insertion or deletion (typing, a paste) is found in linear time from the common
    /// prefix and suffix; anything else goes through automerge's diff, which keeps every
    /// unchanged passage between two edits in place.
    pub fn replace_text(
        &mut self,
        ctx: Ctx<'_>,
        document: &str,
        text: &str,
    ) -> Result<(), ModelError> {
        let obj = self.text_obj(document)?;
        check_document_len(text.chars().count())?;
        let edit = TextEdit::between(&self.doc().text(&obj)?, text);
        if edit.is_empty() {
            return Ok(());
        }
        self.change(ctx, "edit text", |ws| {
            if edit.removed == 0 || edit.inserted.is_empty() {
                ws.doc_mut()
                    .splice_text(&obj, edit.at, edit.removed as isize, &edit.inserted)?;
            } else {
                ws.doc_mut().update_text(&obj, text)?;
            }
            Ok(())
        })
    }

    /// Removes `removed` chars at `at` and inserts `insert` there, as one change: one
    /// keystroke, or one piece of a long paste.
    pub fn splice_text(
        &mut self,
        ctx: Ctx<'_>,
        document: &str,
        at: usize,
        removed: usize,
        insert: &str,
    ) -> Result<(), ModelError> {
        let obj = self.text_obj(document)?;
        let len = self.doc().length(&obj);
        if at.checked_add(removed).is_none_or(|end| end > len) {
            return Err(ModelError::RangeOutsideText {
                start: at,
                end: at.saturating_add(removed),
                len,
            });
        }
        check_document_len(len - removed + insert.chars().count())?;
        if removed == 0 && insert.is_empty() {
            return Ok(());
        }
        self.change(ctx, "edit text", |ws| {
            ws.doc_mut()
                .splice_text(&obj, at, removed as isize, insert)?;
            Ok(())
        })
    }

    /// Comments on the passage `start..end` (chars); starts a thread.
    pub fn add_comment(
        &mut self,
        ctx: Ctx<'_>,
        document: &str,
        start: usize,
        end: usize,
        body: &str,
        tags: &[String],
    ) -> Result<String, ModelError> {
        let body = nonempty("comment", body, MAX_BODY)?;
        let tags = clean_tags(tags)?;
        let obj = self.text_obj(document)?;
        let text: Vec<char> = self.doc().text(&obj)?.chars().collect();
        if start >= end || end > text.len() {
            return Err(ModelError::RangeOutsideText {
                start,
                end,
                len: text.len(),
            });
        }
        let anchor = self.make_anchor(&obj, &text, start, end)?;
        let doc_obj = self.document_obj(document)?;
        self.change(ctx, "comment", |ws| {
            let id = ws.next_id();
            let comment = ws.new_comment(ctx, body);
            let thread = Thread {
                id: id.clone(),
                anchor,
                comments: vec![comment],
                tags,
                resolved: false,
                resolved_by: None,
                resolved_at: None,
            };
            ws.append(&doc_obj, "threads", &thread)?;
            Ok(id)
        })
    }

    fn make_anchor(
        &mut self,
        obj: &ObjId,
        text: &[char],
        start: usize,
        end: usize,
    ) -> Result<Anchor, ModelError> {
        let start_cursor = self.doc().get_cursor(obj, start, None)?.to_string();
        let end_cursor = if end == text.len() {
            END.to_owned()
        } else {
            self.doc().get_cursor(obj, end, None)?.to_string()
        };
        let last = self
            .doc()
            .get_cursor_moving(obj, end - 1, None, automerge::MoveCursor::Before)?
            .to_string();
        Ok(Anchor {
            text: obj.to_string(),
            start: start_cursor,
            end: end_cursor,
            last,
            quote: char_slice(text, start, end),
            prefix: char_slice(text, start.saturating_sub(CONTEXT_CHARS), start),
            suffix: char_slice(text, end, end + CONTEXT_CHARS),
            heads: self.heads().iter().map(ToString::to_string).collect(),
        })
    }

    fn document_obj(&self, document: &str) -> Result<ObjId, ModelError> {
        self.list_item(&automerge::ROOT, "documents", document)?
            .ok_or_else(|| unknown_id("document", document))
    }

    fn thread_obj(&self, document: &str, thread_id: &str) -> Result<ObjId, ModelError> {
        let doc = self.document_obj(document)?;
        self.list_item(&doc, "threads", thread_id)?
            .ok_or_else(|| unknown_id("comment thread", thread_id))
    }

    pub fn reply(
        &mut self,
        ctx: Ctx<'_>,
        document: &str,
        thread_id: &str,
        body: &str,
    ) -> Result<String, ModelError> {
        let body = nonempty("reply", body, MAX_BODY)?;
        let obj = self.thread_obj(document, thread_id)?;
        self.change(ctx, "reply", |ws| ws.append_comment(&obj, ctx, body))
    }

    pub fn set_resolved(
        &mut self,
        ctx: Ctx<'_>,
        document: &str,
        thread_id: &str,
        resolved: bool,
    ) -> Result<(), ModelError> {
        let obj = self.thread_obj(document, thread_id)?;
        self.change(
            ctx,
            if resolved {
                "resolve thread"
            } else {
                "reopen thread"
            },
            |ws| {
                let by = resolved.then(|| ctx.person.to_owned());
                let at = resolved.then(|| ctx.at.to_owned());
                autosurgeon::reconcile_prop(ws.doc_mut(), &obj, "resolved", resolved)?;
                autosurgeon::reconcile_prop(ws.doc_mut(), &obj, "resolved_by", by)?;
                autosurgeon::reconcile_prop(ws.doc_mut(), &obj, "resolved_at", at)?;
                Ok(())
            },
        )
    }

    pub fn set_tags(
        &mut self,
        ctx: Ctx<'_>,
        document: &str,
        thread_id: &str,
        tags: &[String],
    ) -> Result<(), ModelError> {
        let tags = clean_tags(tags)?;
        let obj = self.thread_obj(document, thread_id)?;
        self.edit_at(
            ctx,
            "tag thread",
            &obj,
            "tags",
            |current: &mut Vec<String>, _| {
                *current = tags;
                Ok(())
            },
        )
    }

    /// Every thread of a document with where its passage is now, in text order (orphans last).
    pub fn threads(&self, document: &str) -> Result<Vec<ThreadView>, ModelError> {
        let doc_obj = self.document_obj(document)?;
        // A thread a peer wrote with wrong types is skipped; the others are shown.
        let (threads, _unreadable): (Vec<Thread>, _) =
            crate::tolerant::list(self.doc(), &doc_obj, "threads")?;
        let obj = self.text_obj(document)?;
        // The text itself is read only if a thread's cursors fail and its quote must be
        // searched for: placing threads costs the same for a 100k-character draft as for a
        // short one (this runs on every change, every keystroke included).
        let len = self.doc().length(&obj);
        let text = std::cell::OnceCell::new();
        let text = || -> &[char] {
            text.get_or_init(|| {
                self.doc()
                    .text(&obj)
                    .map(|t| t.chars().collect::<Vec<char>>())
                    .unwrap_or_default()
            })
        };
        let mut views: Vec<ThreadView> = threads
            .into_iter()
            .map(|thread| {
                let placement = self.place(&obj, len, &text, &thread.anchor);
                ThreadView { thread, placement }
            })
            .collect();
        // Decoded changes served this call's cursor checks; the answers are kept.
        self.checked_cursors().borrow_mut().changes.clear();
        views.sort_by_key(|v| match v.placement {
            Placement::Anchored { start, end } => (0, start, end),
            Placement::Orphaned => (1, 0, 0),
        });
        Ok(views)
    }

    fn place<'t>(
        &self,
        obj: &ObjId,
        len: usize,
        text: &dyn Fn() -> &'t [char],
        anchor: &Anchor,
    ) -> Placement {
        let position = |cursor: &str| -> Option<usize> {
            if cursor == END {
                return Some(len);
            }
            // A peer wrote this string: automerge 0.12 panics on some malformed cursors and
            // asserts on an op outside the object, so both are checked before it resolves one.
            let (ctr, actor) = op_cursor(cursor)?;
            if !self.cursor_in(obj, ctr, &actor) {
                return None;
            }
            let cursor = automerge::Cursor::try_from(cursor).ok()?;
            self.doc().get_cursor_position(obj, &cursor, None).ok()
        };
        // Cursors of another object must not be resolved here (automerge asserts on them).
        let same_object = anchor.text == obj.to_string();
        let resolved = same_object.then(|| {
            let start = position(&anchor.start)?;
            let end = position(&anchor.end)?.min(position(&anchor.last)? + 1);
            Some((start, end))
        });
        match resolved.flatten() {
            Some((start, end)) if start < end && end <= len => Placement::Anchored { start, end },
            Some(_) => Placement::Orphaned,
            None => match find_quote(text(), anchor) {
                Some((start, end)) => Placement::Anchored { start, end },
                None => Placement::Orphaned,
            },
        }
    }

    /// Whether the op `ctr@actor` is a character of the text `obj` (so a cursor on it can be
    /// resolved without automerge's assertion firing). Read from the change that made the op
    /// (each change decoded once per [`Self::threads`] call: one paste makes the characters of
    /// many anchors); the answer is remembered, since an op never changes object.
    fn cursor_in(&self, obj: &ObjId, ctr: u64, actor: &automerge::ActorId) -> bool {
        use automerge::{ObjId as ExId, legacy};
        let ExId::Id(obj_ctr, obj_actor, _) = obj else {
            return false;
        };
        let key = (obj.to_string(), ctr, actor.clone());
        let mut checks = self.checked_cursors().borrow_mut();
        if let Some(&known) = checks.known.get(&key) {
            return known;
        }
        let op = ExId::Id(ctr, actor.clone(), usize::MAX);
        let Some(hash) = self.doc().hash_for_opid(&op) else {
            return false; // not (yet) in this document: not remembered, it may arrive
        };
        if let std::collections::hash_map::Entry::Vacant(e) = checks.changes.entry(hash) {
            let Some(change) = self.doc().get_change_by_hash(&hash) else {
                return false;
            };
            let change = change.decode();
            let inserts = change
                .operations
                .iter()
                .map(|op| match &op.obj {
                    legacy::ObjectId::Id(legacy::OpId(c, a)) if op.insert => Some((*c, a.clone())),
                    _ => None,
                })
                .collect();
            e.insert((change.start_op.get(), inserts));
        }
        let (start, inserts) = &checks.changes[&hash];
        let found = ctr
            .checked_sub(*start)
            .and_then(|i| inserts.get(usize::try_from(i).ok()?))
            .is_some_and(|o| {
                o.as_ref()
                    .is_some_and(|(c, a)| c == obj_ctr && a == obj_actor)
            });
        checks.known.insert(key, found);
        found
    }

    /// The document's text as it was when a thread was made (to show an orphan in context).
    pub fn text_at(&self, document: &str, heads: &[String]) -> Result<String, ModelError> {
        let obj = self.text_obj(document)?;
        let heads: Vec<automerge::ChangeHash> = heads
            .iter()
            .map(|h| {
                h.parse()
                    .map_err(|_| ModelError::Corrupt(format!("bad change hash {h}")))
            })
            .collect::<Result<_, _>>()?;
        Ok(self.doc().text_at(&obj, &heads)?)
    }
}

/// The smallest single edit that turns one text into another: `removed` chars at `at` (a char
/// offset) replaced by `inserted`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextEdit {
    pub at: usize,
    pub removed: usize,
    pub inserted: String,
}

impl TextEdit {
    pub fn between(old: &str, new: &str) -> Self {
        let at = old
            .chars()
            .zip(new.chars())
            .take_while(|(a, b)| a == b)
            .count();
        let (old_rest, new_rest): (Vec<char>, Vec<char>) = (
            old.chars().skip(at).collect(),
            new.chars().skip(at).collect(),
        );
        let suffix = old_rest
            .iter()
            .rev()
            .zip(new_rest.iter().rev())
            .take_while(|(a, b)| a == b)
            .count();
        TextEdit {
            at,
            removed: old_rest.len() - suffix,
            inserted: new_rest[..new_rest.len() - suffix].iter().collect(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.removed == 0 && self.inserted.is_empty()
    }
}

fn check_document_len(len: usize) -> Result<(), ModelError> {
    if len > MAX_DOCUMENT {
        return Err(ModelError::TooLong {
            field: "document",
            len,
            max: MAX_DOCUMENT,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_are_lowercased_deduplicated_and_operational_first() {
        let tags = clean_tags(&[
            "Wording".into(),
            "Operational Question".into(),
            "wording".into(),
        ])
        .unwrap();
        assert_eq!(tags, ["operational question", "wording"]);
        assert!(clean_tags(&["  ".into()]).is_err());
    }

    #[test]
    fn quote_search_prefers_matching_context() {
        let text: Vec<char> = "be kind. be kind, always.".chars().collect();
        let anchor = Anchor {
            text: String::new(),
            start: String::new(),
            end: String::new(),
            last: String::new(),
            quote: "be kind".into(),
            prefix: ". ".into(),
            suffix: ", always".into(),
            heads: vec![],
        };
        assert_eq!(find_quote(&text, &anchor), Some((9, 16)));
        let missing = Anchor {
            quote: "be rude".into(),
            ..anchor
        };
        assert_eq!(find_quote(&text, &missing), None);
    }

    #[test]
    fn quote_search_is_linear_and_finds_every_occurrence() {
        let naive = |t: &[char], p: &[char]| -> Vec<usize> {
            (0..=t.len().saturating_sub(p.len()))
                .filter(|&i| t.len() >= p.len() && t[i..i + p.len()] == *p)
                .collect()
        };
        for (t, p) in [
            ("aaaa", "aa"),
            ("abababa", "aba"),
            ("abcabcabd", "abd"),
            ("éé é", "é"),
            ("ab", "abc"),
            ("x", "x"),
        ] {
            let (t, p): (Vec<char>, Vec<char>) = (t.chars().collect(), p.chars().collect());
            assert_eq!(occurrences(&t, &p).collect::<Vec<_>>(), naive(&t, &p));
        }
        // A crafted quote against a long text: a naive search costs 10¹⁰ comparisons (every
        // keystroke on the review page would freeze for seconds), this one 10⁶.
        let text: Vec<char> = std::iter::repeat_n('a', 500_000).collect();
        let anchor = Anchor {
            text: String::new(),
            start: String::new(),
            end: String::new(),
            last: String::new(),
            quote: "a".repeat(19_999) + "b",
            prefix: "a".repeat(1_000_000),
            suffix: String::new(),
            heads: vec![],
        };
        assert_eq!(find_quote(&text, &anchor), None);
        let anchor = Anchor {
            quote: "a".repeat(20_000),
            ..anchor
        };
        // Context counts up to its 32 characters: the first occurrence with a full prefix wins.
        assert_eq!(find_quote(&text, &anchor), Some((32, 20_032)));
    }
}
