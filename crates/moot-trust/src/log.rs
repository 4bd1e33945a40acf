//! One private workspace's sealed log: the statements (a [`Roster`]), every envelope of
//! changes by (actor, range), and the newest client-made snapshot. The relay keeps one per
//! workspace it serves and every client keeps one beside its document; what a holder of a
//! version vector lacks is `since(vector)`, so a relay serves a newcomer and a reconnect
//! without reading a word and without any peer online.

use std::collections::BTreeMap;

use sha2::{Digest, Sha256};

use crate::sealed::{Header, Kind, Sealed};
use crate::statement::{Roster, Signed};
use crate::{Level, TrustError};

/// actor → the last sequence number held with none missing before it.
pub type Vector = BTreeMap<Vec<u8>, u64>;

/// The actors a snapshot holds changes of, as signed in its header.
pub fn covers_hash(covers: &Vector) -> [u8; 32] {
    let mut h = Sha256::new();
    for (actor, seq) in covers {
        h.update((actor.len() as u64).to_be_bytes());
        h.update(actor);
        h.update(seq.to_be_bytes());
    }
    h.finalize().into()
}

/// A sealed snapshot and what it covers (the cover is signed: its hash is the header's
/// `last_hash`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Snapshot {
    pub sealed: Sealed,
    pub covers: Vector,
}

/// What adding an envelope did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Added {
    /// New: store it and hand it on.
    New(Header),
    /// Held already (the same actor's range, or older).
    Known,
}

/// One thing a log took, as it is written to storage and read back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Record {
    Statement(Signed),
    Envelope(Sealed),
    Snapshot(Snapshot),
}

impl Record {
    /// CBOR `[tag, …]`; records are written one after another (a CBOR sequence).
    pub fn encode(&self) -> Vec<u8> {
        let mut e = crate::cbor::encoder();
        match self {
            Record::Statement(s) => crate::cbor::done(
                e.array(2)
                    .and_then(|e| e.u8(0))
                    .and_then(|e| e.bytes(&s.encode())),
            ),
            Record::Envelope(s) => crate::cbor::done(
                e.array(2)
                    .and_then(|e| e.u8(1))
                    .and_then(|e| e.bytes(&s.encode())),
            ),
            Record::Snapshot(s) => {
                let message = crate::wire::Message::Snapshot(s.clone()).encode();
                crate::cbor::done(
                    e.array(2)
                        .and_then(|e| e.u8(2))
                        .and_then(|e| e.bytes(&message)),
                )
            }
        }
        e.into_writer()
    }

    /// Reads the records of a stored sequence, and how many bytes they took: a torn write at
    /// the end (a crash mid-append) is where reading stops.
    pub fn decode_all(bytes: &[u8], max: usize) -> (Vec<Record>, usize) {
        let mut d = minicbor::Decoder::new(bytes);
        let mut out = Vec::new();
        let mut good = 0;
        while d.position() < bytes.len() {
            let record = (|| {
                if d.array().ok()?? != 2 {
                    return None;
                }
                let tag = d.u8().ok()?;
                let body = d.bytes().ok()?;
                match tag {
                    0 => Signed::decode(body).ok().map(Record::Statement),
                    1 => Sealed::decode(body, max).ok().map(Record::Envelope),
                    2 => match crate::wire::Message::decode(body, max).ok()? {
                        crate::wire::Message::Snapshot(s) => Some(Record::Snapshot(s)),
                        _ => None,
                    },
                    _ => None,
                }
            })();
            match record {
                Some(r) => {
                    out.push(r);
                    good = d.position();
                }
                None => break,
            }
        }
        (out, good)
    }
}

#[derive(Clone, Debug)]
struct Entry {
    last: u64,
    sealed: Sealed,
}

/// A client's verdict on the content of an envelope (a relay, which cannot read it, says
/// `Take` to everything the roster allows).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Applied: add it.
    Take,
    /// It needs changes not here yet (another actor's): hold it and ask again later.
    Later,
    /// Refused, for every peer alike.
    Refuse(TrustError),
}

/// Envelopes held for `Later`, at most.
pub const MAX_WAITING: usize = 4096;

#[derive(Clone, Debug)]
pub struct Log {
    roster: Roster,
    /// Envelopes that wait for another actor's changes, or for their own actor's earlier ones.
    waiting: Vec<Sealed>,
    /// actor → first sequence number → envelope.
    envelopes: BTreeMap<Vec<u8>, BTreeMap<u64, Entry>>,
    vector: Vector,
    snapshot: Option<Snapshot>,
    bytes: usize,
    /// What was taken since the last [`Log::take_journal`]: what to write to storage.
    journal: Vec<Record>,
    /// Envelope signatures checked (what a hostile order could make expensive).
    checks: u64,
}

impl Log {
    pub fn new(discovery: [u8; 16]) -> Self {
        Self {
            roster: Roster::new(discovery),
            envelopes: BTreeMap::new(),
            vector: Vector::new(),
            waiting: Vec::new(),
            snapshot: None,
            bytes: 0,
            journal: Vec::new(),
            checks: 0,
        }
    }

    pub fn discovery(&self) -> &[u8; 16] {
        self.roster.discovery()
    }

    pub fn roster(&self) -> &Roster {
        &self.roster
    }

    pub fn roster_mut(&mut self) -> &mut Roster {
        &mut self.roster
    }

    pub fn vector(&self) -> &Vector {
        &self.vector
    }

    pub fn snapshot(&self) -> Option<&Snapshot> {
        self.snapshot.as_ref()
    }

    /// Bytes of envelopes and snapshot held (what a quota counts).
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    pub fn envelope_count(&self) -> usize {
        self.envelopes.values().map(BTreeMap::len).sum()
    }

    /// Adds an envelope of changes. It must be signed by its actor's key, enrolled at a
    /// writing level and not removed before its last change, and continue that actor's run
    /// (a gap is refused: nobody could be served the missing part).
    pub fn add(&mut self, sealed: Sealed) -> Result<Added, TrustError> {
        let Some((header, _)) = self.precheck(&sealed)? else {
            return Ok(Added::Known);
        };
        Ok(self.insert(sealed, header))
    }

    /// Takes an envelope `precheck` passed.
    fn insert(&mut self, sealed: Sealed, header: Header) -> Added {
        self.bytes += sealed.body.len() + sealed.certificate.header.len() + 64;
        self.vector.insert(header.actor.clone(), header.last);
        self.journal.push(Record::Envelope(sealed.clone()));
        self.envelopes
            .entry(header.actor.clone())
            .or_default()
            .insert(
                header.first,
                Entry {
                    last: header.last,
                    sealed,
                },
            );
        Added::New(header)
    }

    /// Offers envelopes whose content `judge` checks (and applies), holding those it cannot
    /// judge yet and those whose actor's earlier envelopes are still missing, and retrying them
    /// whenever one is taken. Returns the headers taken and what was refused.
    pub fn offer(
        &mut self,
        envelopes: Vec<Sealed>,
        judge: impl FnMut(&Sealed, &Header, Level) -> Verdict,
    ) -> (Vec<Header>, Vec<TrustError>) {
        self.offer_as(envelopes, judge, false)
    }

    fn offer_as(
        &mut self,
        envelopes: Vec<Sealed>,
        mut judge: impl FnMut(&Sealed, &Header, Level) -> Verdict,
        trusted: bool,
    ) -> (Vec<Header>, Vec<TrustError>) {
        let (mut taken, mut refused) = (Vec::new(), Vec::new());
        for sealed in envelopes {
            if self.waiting.len() >= MAX_WAITING {
                refused.push(TrustError::TooLarge);
                break;
            }
            self.waiting.push(sealed);
        }
        loop {
            let mut progress = false;
            let mut waiting = std::mem::take(&mut self.waiting);
            // Each actor's runs in sequence, so one pass takes a run however it arrived (a
            // peer sending them backwards would otherwise cost a pass, and a signature check
            // of everything still waiting, per envelope).
            waiting.sort_by_cached_key(|s| {
                s.header_unchecked()
                    .map(|h| (h.actor, h.first))
                    .unwrap_or_default()
            });
            for sealed in waiting {
                // Held already, or not next in its actor's run: no signature check yet.
                if let Ok(h) = sealed.header_unchecked() {
                    let have = self.vector.get(&h.actor).copied().unwrap_or(0);
                    if h.kind == Kind::Changes && h.last <= have {
                        continue;
                    }
                    if h.kind == Kind::Changes && h.first > have + 1 {
                        self.waiting.push(sealed);
                        continue;
                    }
                }
                if !trusted {
                    self.checks += 1;
                }
                let (header, level) = match self.precheck_as(&sealed, trusted) {
                    Ok(Some(h)) => h,
                    Ok(None) => continue,
                    Err(TrustError::Gap { .. }) => {
                        self.waiting.push(sealed);
                        continue;
                    }
                    Err(e) => {
                        refused.push(e);
                        continue;
                    }
                };
                match judge(&sealed, &header, level) {
                    Verdict::Take => {
                        if let Added::New(h) = self.insert(sealed, header) {
                            taken.push(h);
                            progress = true;
                        }
                    }
                    Verdict::Later => self.waiting.push(sealed),
                    Verdict::Refuse(e) => refused.push(e),
                }
            }
            if !progress {
                break;
            }
        }
        (taken, refused)
    }

    /// How many envelope signatures [`Log::offer`] has checked.
    pub fn checks(&self) -> u64 {
        self.checks
    }

    /// Envelopes waiting (for changes of other actors, or earlier ones of their own).
    pub fn waiting(&self) -> usize {
        self.waiting.len()
    }

    /// What `add` would say before its content is judged, with the author's level:
    /// `Ok(None)` if held already.
    fn precheck(&self, sealed: &Sealed) -> Result<Option<(Header, Level)>, TrustError> {
        self.precheck_as(sealed, false)
    }

    fn precheck_as(
        &self,
        sealed: &Sealed,
        trusted: bool,
    ) -> Result<Option<(Header, Level)>, TrustError> {
        let header = if trusted {
            sealed.header_unchecked()?
        } else {
            sealed.verify()?
        };
        if &header.discovery != self.discovery() {
            return Err(TrustError::OtherWorkspace);
        }
        if header.kind != Kind::Changes {
            return Err(TrustError::Malformed("envelope kind"));
        }
        if header.epoch > self.roster.epoch() {
            return Err(TrustError::NotAllowed(
                "sealed with the key of an epoch no rotation made",
            ));
        }
        let Some(level) = self.roster.accepts(&header.actor, header.last) else {
            return Err(TrustError::NotAllowed(
                "changes by a key that may not write",
            ));
        };
        let have = self.vector.get(&header.actor).copied().unwrap_or(0);
        if header.last <= have {
            return Ok(None);
        }
        if header.first != have + 1 {
            return Err(TrustError::Gap {
                have,
                first: header.first,
            });
        }
        Ok(Some((header, level)))
    }

    /// A client that opened a snapshot and checked what it holds holds its cover (a relay,
    /// which cannot check, never adopts one: it serves the envelopes it has).
    pub fn adopt(&mut self, covers: &Vector) {
        for (actor, seq) in covers {
            let slot = self.vector.entry(actor.clone()).or_insert(0);
            *slot = (*slot).max(*seq);
        }
    }

    /// Keeps a snapshot if it covers more changes than the one held. Made by an editor or an
    /// admin (a commenter's would be served to every newcomer); what it holds is checked by
    /// whoever opens it.
    pub fn add_snapshot(&mut self, snapshot: Snapshot) -> Result<bool, TrustError> {
        self.check_snapshot(&snapshot)?;
        let count = |c: &Vector| c.values().sum::<u64>();
        if let Some(old) = &self.snapshot
            && count(&old.covers) >= count(&snapshot.covers)
        {
            return Ok(false);
        }
        let size = |s: &Snapshot| s.sealed.body.len() + s.sealed.certificate.header.len() + 64;
        if let Some(old) = &self.snapshot {
            self.bytes -= size(old);
        }
        self.bytes += size(&snapshot);
        self.journal.push(Record::Snapshot(snapshot.clone()));
        self.snapshot = Some(snapshot);
        Ok(true)
    }

    /// What a snapshot must be before anyone opens it: signed, for this workspace, its cover
    /// the one signed, and made by an editor or an admin.
    pub fn check_snapshot(&self, snapshot: &Snapshot) -> Result<(), TrustError> {
        let header = snapshot.sealed.verify()?;
        if &header.discovery != self.discovery() {
            return Err(TrustError::OtherWorkspace);
        }
        if header.kind != Kind::Snapshot || header.last_hash != covers_hash(&snapshot.covers) {
            return Err(TrustError::Malformed("snapshot"));
        }
        if header.epoch > self.roster.epoch() {
            return Err(TrustError::NotAllowed(
                "sealed with the key of an epoch no rotation made",
            ));
        }
        if self
            .roster
            .accepts(&header.actor, header.last)
            .is_none_or(|l| l < Level::Edit)
        {
            return Err(TrustError::NotAllowed("a snapshot not made by an editor"));
        }
        Ok(())
    }

    /// Whether the snapshot held was made by an admin device: only then does [`Log::compact`]
    /// drop what it covers. A relay cannot read a snapshot's body; an editor's that held other
    /// than it says would, compacted, lose the history it covers for every newcomer, while an
    /// admin can already remove everyone (SECURITY.md).
    pub fn compacts(&self) -> bool {
        self.snapshot.as_ref().is_some_and(|s| {
            s.sealed
                .header_unchecked()
                .is_ok_and(|h| self.roster.accepts(&h.actor, h.last) == Some(Level::Admin))
        })
    }

    /// Under an admin's snapshot, drops every envelope it covers (those reaching past its
    /// cover stay) and counts the cover as held: a newcomer and anyone holding less than what
    /// is left is served the snapshot. Returns the bytes dropped.
    pub fn compact(&mut self) -> usize {
        if !self.compacts() {
            return 0;
        }
        self.drop_covered(None)
    }

    /// Drops the envelopes the held snapshot covers, whoever made it, but only those `acked`
    /// holds too: for a client whose own document the snapshot was made from (its body is
    /// known good), with its relay's acknowledged vector, so that its stored log stays one
    /// snapshot and what came after instead of an envelope per keystroke, while the relay
    /// (which keeps an editor's snapshot without dropping anything) still holds every run
    /// without a gap. A relay calls [`Log::compact`]. Returns the bytes dropped.
    pub fn compact_held(&mut self, acked: &Vector) -> usize {
        self.drop_covered(Some(acked))
    }

    /// How many envelopes [`Log::compact_held`] would drop.
    pub fn compactable(&self, acked: &Vector) -> usize {
        let Some(snapshot) = &self.snapshot else {
            return 0;
        };
        snapshot
            .covers
            .iter()
            .filter_map(|(actor, seq)| {
                let limit = (*seq).min(acked.get(actor).copied().unwrap_or(0));
                let runs = self.envelopes.get(actor)?;
                Some(runs.values().filter(|e| e.last <= limit).count())
            })
            .sum()
    }

    fn drop_covered(&mut self, within: Option<&Vector>) -> usize {
        let Some(snapshot) = &self.snapshot else {
            return 0;
        };
        let covers = snapshot.covers.clone();
        let mut dropped = 0;
        for (actor, seq) in &covers {
            let limit = match within {
                Some(v) => (*seq).min(v.get(actor).copied().unwrap_or(0)),
                None => *seq,
            };
            let Some(runs) = self.envelopes.get_mut(actor) else {
                continue;
            };
            runs.retain(|_, e| {
                let keep = e.last > limit;
                if !keep {
                    dropped += e.sealed.body.len() + e.sealed.certificate.header.len() + 64;
                }
                keep
            });
            if runs.is_empty() {
                self.envelopes.remove(actor);
            }
        }
        self.bytes -= dropped;
        self.adopt(&covers);
        dropped
    }

    /// Whether the envelopes held continue `actor`'s run after `have`.
    fn continues(&self, actor: &[u8], have: u64) -> bool {
        self.envelopes.get(actor).is_some_and(|runs| {
            runs.range(..=have + 1)
                .next_back()
                .is_some_and(|(_, e)| e.last > have)
        })
    }

    /// What a holder of `vector` lacks. A newcomer (an empty vector), and anyone lacking
    /// changes that only the snapshot still holds, gets the snapshot and the envelopes after
    /// its cover; anyone else the envelopes after what it holds.
    pub fn since(&self, vector: &Vector) -> (Option<&Snapshot>, Vec<&Sealed>) {
        let snapshot = self.snapshot.as_ref().filter(|s| {
            vector.is_empty()
                || s.covers.iter().any(|(actor, seq)| {
                    let have = vector.get(actor).copied().unwrap_or(0);
                    have < *seq && !self.continues(actor, have)
                })
        });
        let mut out = Vec::new();
        for (actor, runs) in &self.envelopes {
            let have = vector.get(actor).copied().unwrap_or(0);
            let have = match snapshot {
                Some(s) => have.max(s.covers.get(actor).copied().unwrap_or(0)),
                None => have,
            };
            // Runs are contiguous: start at the one holding `have + 1`.
            let start = runs
                .range(..=have + 1)
                .next_back()
                .filter(|(_, e)| e.last > have)
                .map_or(have + 1, |(first, _)| *first);
            out.extend(runs.range(start..).map(|(_, e)| &e.sealed));
        }
        (snapshot, out)
    }

    /// The certificate of each actor's latest envelope: with a snapshot, proof of who wrote
    /// every change it holds.
    pub fn latest(&self) -> impl Iterator<Item = &crate::Certificate> {
        self.envelopes
            .values()
            .filter_map(|runs| runs.values().next_back())
            .map(|e| &e.sealed.certificate)
    }

    /// Adds a statement (checked first if `strict`, as a relay does), journaled if new.
    pub fn add_statement(&mut self, signed: Signed, strict: bool) -> Result<bool, TrustError> {
        if strict {
            self.roster.check(&signed)?;
        }
        let new = self.roster.add(signed.clone())?;
        if new {
            self.journal.push(Record::Statement(signed));
        }
        Ok(new)
    }

    /// What was taken since the last call, to write to storage in this order.
    pub fn take_journal(&mut self) -> Vec<Record> {
        std::mem::take(&mut self.journal)
    }

    /// Replays a relay's stored records (checked when they were first taken; anything that no
    /// longer fits is skipped), compacting under an admin's snapshot as it goes, journaling
    /// nothing.
    pub fn replay(&mut self, records: Vec<Record>) {
        for record in records {
            let _ = match record {
                Record::Statement(s) => self.roster.add(s).map(|_| ()),
                Record::Envelope(s) => self.add(s).map(|_| ()),
                Record::Snapshot(s) => self.add_snapshot(s).map(|_| {
                    self.compact();
                }),
            };
        }
        self.journal.clear();
    }

    /// Restores a client's stored records in any order (a store may list them by hash): the
    /// snapshots it adopted count as held again, envelopes wait for their predecessors.
    pub fn restore(&mut self, records: Vec<Record>) {
        let mut envelopes = Vec::new();
        for record in records {
            match record {
                Record::Statement(s) => {
                    let _ = self.roster.add(s);
                }
                Record::Snapshot(s) => {
                    let covers = s.covers.clone();
                    if self.add_snapshot(s).is_ok() {
                        self.adopt(&covers);
                    }
                }
                Record::Envelope(s) => envelopes.push(s),
            }
        }
        // Checked when they were taken, stored by this device: not checked again.
        let _ = self.offer_as(envelopes, |_, _, _| Verdict::Take, true);
        self.journal.clear();
    }

    /// Everything held, as records in an order they can be taken back in (statements, the
    /// snapshot, each actor's envelopes in sequence): a sealed export file's content.
    pub fn records(&self) -> Vec<Record> {
        let mut out: Vec<Record> = self.statements().cloned().map(Record::Statement).collect();
        out.extend(self.snapshot.iter().cloned().map(Record::Snapshot));
        for runs in self.envelopes.values() {
            out.extend(runs.values().map(|e| Record::Envelope(e.sealed.clone())));
        }
        out
    }

    /// Statements in the order a relay can check them.
    pub fn statements(&self) -> impl Iterator<Item = &Signed> {
        self.roster.statements()
    }
}
