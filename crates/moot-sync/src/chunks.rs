//! How much automerge data inflates to, found before automerge inflates it.
//!
//! automerge stores a compressed change chunk and a document's compressed columns as raw
//! deflate, and inflates them with `read_to_end` and no limit (automerge 0.12
//! `storage/chunk.rs`, `storage/columns/raw_column.rs`): at about 1000:1, one 64 MiB frame or
//! file could ask for 64 GB. [`check`] walks the chunks (document, change, compressed change,
//! bundle), inflates each compressed part into a counter (nothing is kept) and refuses the
//! whole input once the total passes the limit. Every sync message a peer sends
//! ([`check_sync_message`], used by [`crate::Connection::receive`] and the relay's frame check)
//! and every imported file goes through it before automerge sees them.

use std::io::Read;

/// The most bytes one sync message or one file may inflate to.
pub const MAX_INFLATED: usize = 64 * 1024 * 1024;

const MAGIC: [u8; 4] = [0x85, 0x6f, 0x4a, 0x83];
const HASH_LEN: usize = 32;
/// Bit of a column specification that marks the column as deflated.
const DEFLATE: u64 = 0b1000;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InflateError {
    #[error("not automerge data: {0}")]
    Malformed(&'static str),
    #[error("the data inflates to more than {max} bytes")]
    TooLarge { max: usize },
}

/// Checks an automerge sync message (the `data` of a `sync` or `request` frame): its changes
/// inflate to at most `max` bytes in all.
pub fn check_sync_message(data: &[u8], max: usize) -> Result<(), InflateError> {
    let message = automerge::sync::Message::decode(data)
        .map_err(|_| InflateError::Malformed("not a sync message"))?;
    check_message(&message, max)
}

/// [`check_sync_message`] for a message already decoded (decoding inflates nothing).
pub fn check_message(message: &automerge::sync::Message, max: usize) -> Result<(), InflateError> {
    let mut budget = Budget { left: max, max };
    for chunks in message.changes.iter() {
        walk(chunks, &mut budget)?;
    }
    Ok(())
}

/// Checks concatenated automerge chunks (a saved document, a `.automerge` file): they inflate
/// to at most `max` bytes in all.
pub fn check(bytes: &[u8], max: usize) -> Result<(), InflateError> {
    walk(bytes, &mut Budget { left: max, max })
}

struct Budget {
    left: usize,
    max: usize,
}

impl Budget {
    /// Inflates `deflated` into nothing, counting; fails once the budget is spent.
    fn inflate(&mut self, deflated: &[u8]) -> Result<(), InflateError> {
        let mut inflater = flate2::bufread::DeflateDecoder::new(deflated);
        let mut sink = [0u8; 16 * 1024];
        loop {
            let n = inflater
                .read(&mut sink)
                .map_err(|_| InflateError::Malformed("bad deflate data"))?;
            if n == 0 {
                return Ok(());
            }
            self.left = self
                .left
                .checked_sub(n)
                .ok_or(InflateError::TooLarge { max: self.max })?;
        }
    }
}

fn walk(mut bytes: &[u8], budget: &mut Budget) -> Result<(), InflateError> {
    while !bytes.is_empty() {
        let mut r = Reader(bytes);
        if r.take(4)? != MAGIC {
            return Err(InflateError::Malformed("no chunk magic"));
        }
        r.take(4)?; // checksum
        let kind = r.take(1)?[0];
        let len = r.len()?;
        let body = r.take(len)?;
        match kind {
            0 => document(body, budget)?,
            1 => {} // a change's columns are never deflated (automerge refuses them)
            2 => budget.inflate(body)?,
            3 => bundle(body, budget)?,
            _ => return Err(InflateError::Malformed("unknown chunk type")),
        }
        bytes = r.0;
    }
    Ok(())
}

/// Actors, heads, change and op column metadata, then the column data.
fn document(body: &[u8], budget: &mut Budget) -> Result<(), InflateError> {
    let mut r = Reader(body);
    r.actors()?;
    let heads = r.len()?;
    r.take(
        heads
            .checked_mul(HASH_LEN)
            .ok_or(InflateError::Malformed("too many heads"))?,
    )?;
    let changes = r.columns()?;
    let ops = r.columns()?;
    r.column_data(&changes, budget)?;
    r.column_data(&ops, budget)
}

/// Dependencies, actors, then change and op columns, each metadata followed by its data.
fn bundle(body: &[u8], budget: &mut Budget) -> Result<(), InflateError> {
    let mut r = Reader(body);
    let deps = r.len()?;
    r.take(
        deps.checked_mul(HASH_LEN)
            .ok_or(InflateError::Malformed("too many deps"))?,
    )?;
    r.actors()?;
    let changes = r.columns()?;
    r.column_data(&changes, budget)?;
    let ops = r.columns()?;
    r.column_data(&ops, budget)
}

struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], InflateError> {
        if n > self.0.len() {
            return Err(InflateError::Malformed("truncated"));
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Ok(head)
    }

    fn uleb(&mut self) -> Result<u64, InflateError> {
        let mut value = 0u64;
        let mut shift = 0;
        loop {
            let byte = self.take(1)?[0];
            if shift == 63 && byte > 1 {
                return Err(InflateError::Malformed("number too large"));
            }
            value |= u64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return Ok(value);
            }
            shift += 7;
            if shift > 63 {
                return Err(InflateError::Malformed("number too large"));
            }
        }
    }

    fn len(&mut self) -> Result<usize, InflateError> {
        usize::try_from(self.uleb()?).map_err(|_| InflateError::Malformed("length too large"))
    }

    fn actors(&mut self) -> Result<(), InflateError> {
        for _ in 0..self.len()? {
            let n = self.len()?;
            self.take(n)?;
        }
        Ok(())
    }

    /// Column specifications and lengths; each column's length is at most what is left, so a
    /// count cannot ask for more entries than the bytes could describe.
    fn columns(&mut self) -> Result<Vec<(u64, usize)>, InflateError> {
        let count = self.len()?;
        if count > self.0.len() {
            return Err(InflateError::Malformed("too many columns"));
        }
        let mut columns = Vec::with_capacity(count);
        for _ in 0..count {
            let spec = self.uleb()?;
            let len = self.len()?;
            columns.push((spec, len));
        }
        Ok(columns)
    }

    fn column_data(
        &mut self,
        columns: &[(u64, usize)],
        budget: &mut Budget,
    ) -> Result<(), InflateError> {
        for &(spec, len) in columns {
            let data = self.take(len)?;
            if spec & DEFLATE != 0 {
                budget.inflate(data)?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use automerge::{AutoCommit, ROOT, transaction::Transactable};

    fn big_doc() -> AutoCommit {
        let mut doc = AutoCommit::new();
        let text = doc
            .put_object(ROOT, "text", automerge::ObjType::Text)
            .unwrap();
        doc.splice_text(&text, 0, 0, &"governance ".repeat(20_000))
            .unwrap();
        doc.commit();
        doc
    }

    #[test]
    fn honest_documents_changes_and_sync_messages_pass() {
        let mut doc = big_doc();
        let saved = doc.save();
        check(&saved, MAX_INFLATED).unwrap();
        check(&doc.save_nocompress(), MAX_INFLATED).unwrap();
        for change in doc.get_changes(&[]) {
            check(change.raw_bytes(), MAX_INFLATED).unwrap();
        }
        let mut state = automerge::sync::State::new();
        use automerge::sync::SyncDoc;
        let message = doc.sync().generate_sync_message(&mut state).unwrap();
        check_sync_message(&message.encode(), MAX_INFLATED).unwrap();
    }

    #[test]
    fn a_limit_below_the_inflated_size_refuses_the_document() {
        let mut doc = big_doc();
        let saved = doc.save();
        assert!(saved.len() < 20_000, "the document compresses well");
        assert_eq!(
            check(&saved, 100_000),
            Err(InflateError::TooLarge { max: 100_000 })
        );
    }

    #[test]
    fn garbage_is_malformed_not_a_panic() {
        for bad in [
            &b"\x85\x6f\x4a\x83"[..],
            b"nope",
            b"\x85\x6f\x4a\x83\0\0\0\0\x02\xff\xff",
        ] {
            assert!(matches!(
                check(bad, MAX_INFLATED),
                Err(InflateError::Malformed(_))
            ));
        }
        assert!(check(&[], MAX_INFLATED).is_ok());
    }
}
