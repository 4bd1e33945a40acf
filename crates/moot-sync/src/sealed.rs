//! A private workspace on a client: its automerge document beside its sealed log. This tab's
//! new changes are sealed into envelopes signed by the device key; envelopes and snapshots from
//! anywhere (a relay, a tab, a direct link) are opened, checked and applied whole or not at all.
//! Every peer checks the same way, so every peer refuses the same changes:
//!
//! - each change in an envelope is by the envelope's actor, in sequence, and the last one is
//!   the one the author signed;
//! - the author's key is enrolled at a writing level and not removed before that change;
//! - a commenter's changes pass the workspace's comment rule (given by the caller: the schema
//!   knows what a thread is).
//!
//! A snapshot holds a whole document and, per actor, the certificate of its latest envelope:
//! since every change of an actor is in the history of its next one, that one signature
//! vouches for all of them.

use std::collections::BTreeMap;

use automerge::{AutoCommit, Automerge, Change, ChangeHash, ReadDoc};
use minicbor::{Decoder, Encoder};
use moot_trust::{
    Certificate, DeviceKey, Draft, Header, Judge, Kind, Level, Link, Log, Roster, SealKey, Sealed,
    Snapshot, TrustError, Verdict, covers_hash, key_of_actor,
};

use crate::chunks::{MAX_INFLATED, check};

/// Changes one envelope may hold.
pub const MAX_CHANGES: u64 = 100_000;

/// The comment rule: whether a change by a commenter (whose key is given) may be applied to
/// `doc`, which holds every change it depends on. Must depend only on the change and its
/// history, never on what else a peer happens to hold.
pub type CommentRule = fn(&Automerge, &Change, &moot_trust::VerifyingKey) -> Result<(), String>;

#[derive(Debug, thiserror::Error)]
pub enum SealError {
    #[error(transparent)]
    Trust(#[from] TrustError),
    #[error("this device may not write here: its link only reads, or an admin removed it")]
    ReadOnly,
    #[error("this tab's changes are not in sequence after {0}")]
    OutOfSequence(u64),
    #[error("the document holds other changes than its sealed log: seal before a snapshot")]
    Unsealed,
    #[error(
        "this device lacks the signed proof of some author's latest change: it cannot make a snapshot others would open"
    )]
    Uncertified,
}

/// Encodes changes as the plain body of an envelope: a CBOR array of their bytes.
fn encode_changes<'a>(changes: impl ExactSizeIterator<Item = &'a [u8]>) -> Vec<u8> {
    let mut e = Encoder::new(Vec::new());
    e.array(changes.len() as u64)
        .expect("writing to a Vec cannot fail");
    for c in changes {
        e.bytes(c).expect("writing to a Vec cannot fail");
    }
    e.into_writer()
}

fn decode_list(plain: &[u8], max: u64) -> Result<Vec<&[u8]>, TrustError> {
    let bad = || TrustError::Malformed("envelope body");
    let mut d = Decoder::new(plain);
    let n = d.array().map_err(|_| bad())?.ok_or_else(bad)?;
    if n > max {
        return Err(TrustError::TooLarge);
    }
    let mut out = Vec::with_capacity(n as usize);
    for _ in 0..n {
        out.push(d.bytes().map_err(|_| bad())?);
    }
    if d.position() != plain.len() {
        return Err(bad());
    }
    Ok(out)
}

fn decode_change(bytes: &[u8]) -> Result<Change, TrustError> {
    check(bytes, MAX_INFLATED).map_err(|_| TrustError::TooLarge)?;
    Change::from_bytes(bytes.to_vec()).map_err(|_| TrustError::Malformed("change"))
}

/// Changes a log may hold beyond its snapshot's cover before an editor makes a new one.
pub const SNAPSHOT_EVERY: u64 = 1000;

/// Whether a device writing at `level` should make a snapshot for newcomers now: it may
/// (editors and admins), and the log holds [`SNAPSHOT_EVERY`] changes the newest snapshot does
/// not cover.
pub fn wants_snapshot(log: &Log, level: Level) -> bool {
    let covered: u64 = log.snapshot().map_or(0, |s| s.covers.values().sum());
    let held: u64 = log.vector().values().sum();
    level >= Level::Edit && held.saturating_sub(covered) >= SNAPSHOT_EVERY
}

/// This device in one private workspace: its link, its key, and what it has sealed.
pub struct Private {
    pub link: Link,
    device: DeviceKey,
    /// The latest certificate per actor, from envelopes and snapshots taken: what a snapshot
    /// made here carries.
    certificates: BTreeMap<Vec<u8>, Certificate>,
    /// The last sequence number each remembered certificate covers.
    latest_seq: BTreeMap<Vec<u8>, u64>,
    /// The document's heads when this tab last sealed (what was added since holds its new
    /// changes).
    sealed_heads: Vec<ChangeHash>,
    /// The sealing key of every epoch this device reads (its link's and, through the
    /// rotations, each one before it).
    keys: BTreeMap<u32, SealKey>,
    /// The roster's statement count `keys` was made for.
    keys_for: Option<usize>,
    /// Set when a rotation moved `link` to a newer epoch: the caller stores the new link.
    rotated: bool,
    /// Envelopes held back because they are sealed under an epoch this device has no key
    /// for: (actor, first sequence number).
    unreadable: std::collections::BTreeSet<(Vec<u8>, u64)>,
}

impl Private {
    pub fn new(link: Link, device: DeviceKey) -> Self {
        // What the link alone opens; `follow` adds what the roster's rotations seal to it.
        let keys = moot_trust::seal_keys(&link, &Roster::new(link.discovery()));
        Self {
            link,
            device,
            certificates: BTreeMap::new(),
            latest_seq: BTreeMap::new(),
            sealed_heads: Vec::new(),
            keys,
            keys_for: None,
            rotated: false,
            unreadable: Default::default(),
        }
    }

    /// Follows the rotations `roster` knows: moves the link to the newest epoch sealed to this
    /// device (setting [`Private::take_rotated`]) and learns every epoch's key it may read.
    pub fn follow(&mut self, roster: &Roster) {
        let count = roster.len();
        if self.keys_for == Some(count) {
            return;
        }
        if let Some(link) = moot_trust::rotated_link(&self.link, &self.device, roster) {
            self.link = link;
            self.rotated = true;
        }
        self.keys = moot_trust::seal_keys(&self.link, roster);
        self.keys_for = Some(count);
    }

    /// As an admin, removes `device` and rotates the keys: its changes this log holds stay
    /// (the removal keeps them), its later ones are refused by the relay and every peer that
    /// knows the removal, and what is sealed from now on is under the next epoch's keys, sealed
    /// to every device that stays (`random` gives fresh randomness for each seal). This device
    /// moves to the new epoch at once.
    pub fn remove_device(
        &mut self,
        log: &mut Log,
        device: [u8; 32],
        random: impl FnMut() -> [u8; 32],
    ) -> Result<(), TrustError> {
        let admin = self
            .link
            .at(Level::Admin)
            .ok_or(TrustError::NotAllowed("only an admin removes devices"))?;
        let key = admin
            .secret
            .signing_key()
            .ok_or(TrustError::NotAllowed("only an admin removes devices"))?;
        if device == self.device.public().to_bytes() {
            return Err(TrustError::NotAllowed("a device does not remove itself"));
        }
        let keep = log
            .vector()
            .iter()
            .filter(|(actor, _)| actor.get(..32) == Some(device.as_slice()))
            .map(|(actor, seq)| (actor.clone(), *seq))
            .collect();
        let removal = moot_trust::Statement::Remove {
            discovery: *log.discovery(),
            device,
            keep,
        };
        log.add_statement(removal.sign(&key), true)?;
        let rekey = moot_trust::rotation(&admin, log.roster(), random)?;
        log.add_statement(rekey.sign(&key), true)?;
        self.follow(log.roster());
        Ok(())
    }

    /// As an admin, rotates the keys again if a removed device can still read the newest
    /// epoch ([`Roster::reaches_removed`]: two admin devices removed two people concurrently,
    /// each rotation sealing to the other's). `Ok(true)` if it signed a rotation (the caller
    /// stores and sends it); anyone else, or a roster that needs none: `Ok(false)`.
    pub fn rotate_if_removed_can_read(
        &mut self,
        log: &mut Log,
        random: impl FnMut() -> [u8; 32],
    ) -> Result<bool, TrustError> {
        let Some(admin) = self.link.at(Level::Admin) else {
            return Ok(false);
        };
        let Some(key) = admin.secret.signing_key() else {
            return Ok(false);
        };
        if !log.roster().reaches_removed() {
            return Ok(false);
        }
        let rekey = moot_trust::rotation(&admin, log.roster(), random)?;
        log.add_statement(rekey.sign(&key), true)?;
        self.follow(log.roster());
        Ok(true)
    }

    /// Whether a rotation moved this device's link to a newer epoch since the last call (the
    /// caller stores [`Private::link`] then).
    pub fn take_rotated(&mut self) -> bool {
        std::mem::take(&mut self.rotated)
    }

    /// How many envelopes this device holds back because they are sealed under keys it does
    /// not have (it was removed, or its link is from before a rotation).
    pub fn unreadable(&self) -> usize {
        self.unreadable.len()
    }

    pub fn device(&self) -> &DeviceKey {
        &self.device
    }

    /// This tab's changes start after `heads` (a fresh actor on an opened document): sealing
    /// looks only at what was added since.
    pub fn start_at(&mut self, heads: Vec<ChangeHash>) {
        self.sealed_heads = heads;
    }

    /// Remembers the certificates of every envelope a restored log holds, and follows its
    /// rotations.
    pub fn remember_log(&mut self, log: &Log) {
        self.follow(log.roster());
        for c in log.latest() {
            self.remember(c.clone());
        }
        // An actor whose changes are all in the snapshot has its certificate only there (a
        // device that joined from one would otherwise make snapshots nobody opens).
        // Checked when it was taken, and stored by this device: not checked again.
        if let Some(snapshot) = log.snapshot()
            && let Ok(header) = snapshot.sealed.header_unchecked()
            && let Some(key) = self.keys.get(&header.epoch)
            && let Ok(plain) = snapshot.sealed.open_verified(&header, key)
            && let Ok((_, certs)) = snapshot_body(&plain, &self.link.discovery(), false)
        {
            for (h, c) in certs.into_values() {
                self.remember_verified(&h, c);
            }
        }
    }

    /// Remembers the certificate of an envelope whose header was verified.
    pub fn remember_verified(&mut self, header: &Header, certificate: Certificate) {
        let newer = self
            .latest_seq
            .get(&header.actor)
            .is_none_or(|last| *last < header.last);
        if newer {
            self.latest_seq.insert(header.actor.clone(), header.last);
            self.certificates.insert(header.actor.clone(), certificate);
        }
    }

    /// Remembers the certificate of an envelope taken (by [`Private::judge`] or sealed here).
    pub fn remember(&mut self, certificate: Certificate) {
        if let Ok(h) = certificate.verify() {
            self.remember_verified(&h, certificate);
        }
    }

    /// Seals this tab's changes that the log does not hold yet into one envelope, and takes it
    /// into the log. `None` if there are none.
    pub fn seal(
        &mut self,
        doc: &mut AutoCommit,
        log: &mut Log,
        nonce: [u8; 24],
    ) -> Result<Option<Sealed>, SealError> {
        let actor = doc.get_actor().to_bytes().to_vec();
        let have = log.vector().get(&actor).copied().unwrap_or(0);
        if log.roster().accepts(&actor, have + 1).is_none() {
            return Err(SealError::ReadOnly);
        }
        // This tab's changes after `have`, among what was added since the last seal.
        let me = doc.get_actor().clone();
        let mine: Vec<Change> = doc
            .get_changes(&self.sealed_heads)
            .into_iter()
            .filter(|c| c.actor_id() == &me && c.seq() > have)
            .collect();
        if mine.is_empty() {
            return Ok(None);
        }
        if mine[0].seq() != have + 1 {
            return Err(SealError::OutOfSequence(have));
        }
        let last = mine.last().expect("not empty");
        let draft = Draft {
            kind: Kind::Changes,
            discovery: self.link.discovery(),
            actor: &actor,
            first: have + 1,
            last: last.seq(),
            last_hash: last.hash().0,
            epoch: self.link.epoch(),
        };
        let plain = encode_changes(mine.iter().map(|c| c.raw_bytes()));
        let key = self.link.secret.read().seal;
        let sealed = Sealed::seal(draft, &plain, &key, &self.device, nonce)?;
        log.add(sealed.clone())?;
        self.remember(sealed.certificate.clone());
        self.sealed_heads = doc.get_heads();
        Ok(Some(sealed))
    }

    /// A snapshot of `doc` (which must hold only what `log` holds: seal first, or it is
    /// [`SealError::Unsealed`]), covering the log's vector, with the certificates that vouch
    /// for every change in it.
    pub fn snapshot(
        &self,
        doc: &mut AutoCommit,
        log: &Log,
        nonce: [u8; 24],
    ) -> Result<Snapshot, SealError> {
        let actor = doc.get_actor().to_bytes().to_vec();
        let covers = log.vector().clone();
        // What every newcomer checks (and, under an admin's snapshot, the relay keeps no
        // other copy of): it holds exactly the changes its cover says.
        let mut held = moot_trust::Vector::new();
        for m in doc.get_changes_meta(&[]) {
            let slot = held.entry(m.actor.to_bytes().to_vec()).or_insert(0);
            *slot = (*slot).max(m.seq);
        }
        if held != covers {
            return Err(SealError::Unsealed);
        }
        // And the certificate of every actor's latest change, or no newcomer would open it.
        if covers
            .iter()
            .any(|(actor, seq)| self.latest_seq.get(actor) != Some(seq))
        {
            return Err(SealError::Uncertified);
        }
        let mut e = Encoder::new(Vec::new());
        let certs: Vec<Vec<u8>> = self
            .certificates
            .values()
            .map(Certificate::encode)
            .collect();
        e.array(2)
            .and_then(|e| e.bytes(&doc.save()))
            .and_then(|e| e.array(certs.len() as u64))
            .expect("writing to a Vec cannot fail");
        for c in &certs {
            e.bytes(c).expect("writing to a Vec cannot fail");
        }
        let draft = Draft {
            kind: Kind::Snapshot,
            discovery: self.link.discovery(),
            actor: &actor,
            first: 0,
            last: covers.values().sum(),
            last_hash: covers_hash(&covers),
            epoch: self.link.epoch(),
        };
        let sealed = Sealed::seal(
            draft,
            &e.into_writer(),
            &self.link.secret.read().seal,
            &self.device,
            nonce,
        )?;
        Ok(Snapshot { sealed, covers })
    }

    /// When [`wants_snapshot`]: a snapshot of `doc`, taken into `log` (the caller sends it
    /// to its relay for newcomers and stores it).
    pub fn snapshot_if_due(
        &self,
        doc: &mut AutoCommit,
        log: &mut Log,
        nonce: [u8; 24],
    ) -> Result<Option<Snapshot>, SealError> {
        if !wants_snapshot(log, self.link.level()) {
            return Ok(None);
        }
        let snapshot = self.snapshot(doc, log, nonce)?;
        log.add_snapshot(snapshot.clone())?;
        Ok(Some(snapshot))
    }

    /// Whether the snapshot `log` holds was made by this device (any of its tabs), from its
    /// own document: what it holds is known good.
    pub fn made_here(&self, log: &Log) -> bool {
        log.snapshot().is_some_and(|s| {
            s.sealed
                .header_unchecked()
                .is_ok_and(|h| moot_trust::key_of_actor(&h.actor) == Some(self.device.public()))
        })
    }

    /// Under a snapshot this device made, drops from `log` the envelopes it covers that the
    /// relay acknowledged holding (`acked`; see [`Log::compact_held`]), when at least `min`
    /// would go (a rewrite of the stored log per acknowledgement would cost more than it
    /// saves). Whether anything was dropped: the caller stores the log whole
    /// ([`Log::records`]). Nothing dropped is lost to a tab or a direct link: whoever holds
    /// less than the cover is served the snapshot (`Log::since`).
    pub fn compact(&self, log: &mut Log, acked: &moot_trust::Vector, min: usize) -> bool {
        if !self.made_here(log) || log.compactable(acked) < min.max(1) {
            return false;
        }
        log.compact_held(acked) > 0
    }

    /// The judge that opens, checks and applies what arrives into `doc`.
    pub fn judge<'a>(&'a mut self, doc: &'a mut AutoCommit, rule: CommentRule) -> Opener<'a> {
        Opener {
            private: self,
            doc,
            rule,
            pending: Vec::new(),
            pending_hashes: Default::default(),
        }
    }
}

/// A snapshot's plain body: the saved document, and the certificate of each actor's latest
/// change in it (each checked: signed by its actor's key, of changes in workspace `discovery`).
type Certified = BTreeMap<Vec<u8>, (Header, Certificate)>;

/// `checked`: each certificate's signature is checked (not for a snapshot this device took
/// and stored itself: a workspace with many actors would pay a signature check each on open).
fn snapshot_body<'p>(
    plain: &'p [u8],
    discovery: &[u8; 16],
    checked: bool,
) -> Result<(&'p [u8], Certified), TrustError> {
    let bad = || TrustError::Malformed("snapshot body");
    let mut d = Decoder::new(plain);
    if d.array().map_err(|_| bad())? != Some(2) {
        return Err(bad());
    }
    let bytes = d.bytes().map_err(|_| bad())?;
    let n = d.array().map_err(|_| bad())?.ok_or_else(bad)?;
    if n > moot_trust::MAX_ACTORS as u64 {
        return Err(TrustError::TooLarge);
    }
    let mut certs = BTreeMap::new();
    for _ in 0..n {
        let c = Certificate::decode(d.bytes().map_err(|_| bad())?)?;
        let h = if checked {
            c.verify()?
        } else {
            c.header_unchecked()?
        };
        if h.kind != Kind::Changes || &h.discovery != discovery {
            return Err(bad());
        }
        certs.insert(h.actor.clone(), (h, c));
    }
    if d.position() != plain.len() {
        return Err(bad());
    }
    Ok((bytes, certs))
}

/// Opens envelopes and snapshots into a document.
pub struct Opener<'a> {
    private: &'a mut Private,
    doc: &'a mut AutoCommit,
    rule: CommentRule,
    /// Changes taken but not applied yet: applied in one batch when the message is done
    /// (automerge applies ten thousand changes at once far faster than one by one).
    pending: Vec<Change>,
    pending_hashes: std::collections::HashSet<ChangeHash>,
}

impl Opener<'_> {
    /// The envelope's changes; `header` is the one the log verified.
    fn key(&self, epoch: u32) -> Result<&SealKey, TrustError> {
        self.private
            .keys
            .get(&epoch)
            .ok_or(TrustError::NoKey(epoch))
    }

    fn changes(&self, sealed: &Sealed, header: &Header) -> Result<Vec<Change>, TrustError> {
        let plain = sealed.open_verified(header, self.key(header.epoch)?)?;
        let list = decode_list(&plain, MAX_CHANGES)?;
        if list.len() as u64 != header.last - header.first + 1 {
            return Err(TrustError::Malformed("envelope range"));
        }
        let mut changes = Vec::with_capacity(list.len());
        for (i, bytes) in list.into_iter().enumerate() {
            let change = decode_change(bytes)?;
            if change.actor_id().to_bytes() != header.actor.as_slice()
                || change.seq() != header.first + i as u64
            {
                return Err(TrustError::NotAllowed(
                    "a change not by the envelope's author",
                ));
            }
            changes.push(change);
        }
        if changes.last().map(|c| c.hash().0) != Some(header.last_hash) {
            return Err(TrustError::NotAllowed("changes other than the ones signed"));
        }
        Ok(changes)
    }

    /// Applies what was taken.
    fn flush(&mut self) {
        if self.pending.is_empty() {
            return;
        }
        self.pending_hashes.clear();
        let changes = std::mem::take(&mut self.pending);
        // Every change was checked to be its author's and in sequence, with its history
        // here: automerge refuses a batch only for an author's own equivocation (two changes
        // under one sequence number). Then each change is applied alone, so one author's
        // equivocation costs only that change.
        if self.doc.apply_changes(changes.clone()).is_err() {
            for change in changes {
                let _ = self.doc.apply_changes([change]);
            }
        }
    }
}

impl Judge for Opener<'_> {
    fn envelope(&mut self, sealed: &Sealed, header: &Header, level: Level) -> Verdict {
        let changes = match self.changes(sealed, header) {
            Ok(c) => c,
            // Sealed under keys this device does not have (yet: the rotation may still be on
            // its way; or ever: it was removed). Held, and counted so the page can say so.
            Err(TrustError::NoKey(_)) => {
                self.private
                    .unreadable
                    .insert((header.actor.clone(), header.first));
                return Verdict::Later;
            }
            Err(e) => return Verdict::Refuse(e),
        };
        self.private
            .unreadable
            .remove(&(header.actor.clone(), header.first));
        let inside: std::collections::HashSet<ChangeHash> =
            changes.iter().map(Change::hash).collect();
        let missing = changes.iter().flat_map(|c| c.deps()).any(|d| {
            !inside.contains(d)
                && !self.pending_hashes.contains(d)
                && self.doc.get_change_by_hash(d).is_none()
        });
        if missing {
            return Verdict::Later;
        }
        if level == Level::Comment {
            // The rule reads the objects the change names: the document must hold them.
            self.flush();
            let key = key_of_actor(&header.actor).expect("the roster bound it");
            for change in &changes {
                if let Err(why) = (self.rule)(self.doc.document(), change, &key) {
                    return Verdict::Refuse(TrustError::Refused(why));
                }
            }
        }
        self.pending_hashes.extend(inside);
        self.pending.extend(changes);
        self.private
            .remember_verified(header, sealed.certificate.clone());
        Verdict::Take
    }

    fn finish(&mut self) {
        self.flush();
    }

    fn snapshot(&mut self, snapshot: &Snapshot, roster: &Roster) -> Result<(), TrustError> {
        let header = snapshot.sealed.verify()?;
        let plain = snapshot
            .sealed
            .open_verified(&header, self.key(header.epoch)?)?;
        let (bytes, certs) = snapshot_body(&plain, roster.discovery(), true)?;
        let bad = || TrustError::Malformed("snapshot body");
        check(bytes, MAX_INFLATED).map_err(|_| TrustError::TooLarge)?;
        let mut snap = AutoCommit::load(bytes).map_err(|_| TrustError::Malformed("snapshot"))?;
        // Per actor: the latest change and how many.
        let mut latest: BTreeMap<Vec<u8>, (u64, ChangeHash)> = BTreeMap::new();
        for m in snap.get_changes_meta(&[]) {
            let slot = latest
                .entry(m.actor.to_bytes().to_vec())
                .or_insert((0, m.hash));
            if m.seq > slot.0 {
                *slot = (m.seq, m.hash);
            }
        }
        if latest
            .iter()
            .map(|(a, (s, _))| (a.clone(), *s))
            .collect::<moot_trust::Vector>()
            != snapshot.covers
        {
            return Err(TrustError::NotAllowed(
                "a snapshot that holds other than it says",
            ));
        }
        let mut commenters = Vec::new();
        for (actor, (seq, hash)) in &latest {
            let Some((h, _)) = certs.get(actor) else {
                return Err(TrustError::NotAllowed(
                    "changes in a snapshot nobody signed",
                ));
            };
            if h.last != *seq || h.last_hash != hash.0 {
                return Err(TrustError::NotAllowed(
                    "changes in a snapshot nobody signed",
                ));
            }
            match roster.accepts(actor, *seq) {
                None => {
                    return Err(TrustError::NotAllowed(
                        "changes by a key that may not write",
                    ));
                }
                Some(Level::Comment) => commenters.push(actor.clone()),
                Some(_) => {}
            }
        }
        // A commenter's changes are checked against the snapshot itself: an object's place
        // is fixed when it is made, so the verdict is the one any peer reaches.
        if !commenters.is_empty() {
            let theirs: Vec<(Vec<u8>, ChangeHash)> = snap
                .get_changes_meta(&[])
                .into_iter()
                .map(|m| (m.actor.to_bytes().to_vec(), m.hash))
                .filter(|(actor, _)| commenters.contains(actor))
                .collect();
            let whole = snap.document();
            for (actor, hash) in theirs {
                let key = key_of_actor(&actor).expect("accepted, so bound");
                let change = whole.get_change_by_hash(&hash).ok_or_else(bad)?;
                (self.rule)(whole, &change, &key).map_err(TrustError::Refused)?;
            }
        }
        self.flush();
        if self.doc.get_heads().is_empty() {
            // A newcomer: the snapshot is the document (loading is far faster than merging).
            let actor = self.doc.get_actor().clone();
            *self.doc = snap.with_actor(actor);
        } else {
            self.doc
                .merge(&mut snap)
                .map_err(|e| TrustError::Refused(e.to_string()))?;
        }
        for (_, (_, c)) in certs {
            self.private.remember(c);
        }
        Ok(())
    }

    fn adopts(&self) -> bool {
        true
    }

    fn roster_changed(&mut self, roster: &Roster) {
        self.flush();
        self.private.follow(roster);
    }
}

/// The first bytes of a sealed export file.
pub const FILE_MAGIC: &[u8] = b"moot-sealed/1\n";

/// A sealed export file of `log`: only what a relay would hold, never a readable word. What a
/// newcomer would be served: the statements, then `fresh` (a snapshot just made of everything,
/// by a device that may) or else the log's newest snapshot, then the envelopes after its
/// cover — not every keystroke's envelope.
pub fn export(log: &Log, fresh: Option<&Snapshot>) -> Vec<u8> {
    let mut out = FILE_MAGIC.to_vec();
    for s in log.statements() {
        out.extend(moot_trust::Record::Statement(s.clone()).encode());
    }
    let snapshot = fresh.or(log.snapshot());
    let tail = match snapshot {
        Some(s) => {
            out.extend(moot_trust::Record::Snapshot(s.clone()).encode());
            log.since(&s.covers).1
        }
        None => log.since(&moot_trust::Vector::new()).1,
    };
    for e in tail {
        out.extend(moot_trust::Record::Envelope(e.clone()).encode());
    }
    out
}

/// What importing a sealed file brought.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Imported {
    pub envelopes: usize,
    pub statements: usize,
    pub snapshot: bool,
    pub refused: Vec<TrustError>,
}

/// Takes a sealed export file into `log` and `doc`, checked like everything else that arrives
/// (a file of another workspace, or damaged, is refused whole).
pub fn import(
    bytes: &[u8],
    log: &mut Log,
    private: &mut Private,
    doc: &mut AutoCommit,
    rule: CommentRule,
) -> Result<Imported, TrustError> {
    let body = bytes
        .strip_prefix(FILE_MAGIC)
        .ok_or(TrustError::Malformed("sealed file"))?;
    let (records, good) = moot_trust::Record::decode_all(body, crate::MAX_FRAME);
    if good != body.len() {
        return Err(TrustError::Malformed("sealed file (damaged or cut short)"));
    }
    let (mut statements, mut envelopes, mut snapshots) = (Vec::new(), Vec::new(), Vec::new());
    for r in records {
        match r {
            moot_trust::Record::Statement(s) => statements.push(s),
            moot_trust::Record::Envelope(s) => envelopes.push(s),
            moot_trust::Record::Snapshot(s) => snapshots.push(s),
        }
    }
    let mine = log.discovery();
    let other = envelopes
        .iter()
        .filter_map(|e| e.verify().ok())
        .any(|h| &h.discovery != mine)
        || statements
            .iter()
            .filter_map(|s| s.verify().ok())
            .any(|s| s.discovery() != mine)
        || snapshots
            .iter()
            .filter_map(|s| s.sealed.verify().ok())
            .any(|h| &h.discovery != mine);
    if other {
        return Err(TrustError::OtherWorkspace);
    }
    let mut ex = moot_trust::Exchange::new();
    let mut judge = private.judge(doc, rule);
    let mut report = Imported::default();
    let mut messages = vec![moot_trust::Message::Statements(statements)];
    messages.extend(snapshots.into_iter().map(moot_trust::Message::Snapshot));
    messages.push(moot_trust::Message::Envelopes(envelopes));
    for m in messages {
        let out = ex.receive(log, m, &mut judge);
        report.envelopes += out.taken.len();
        report.statements += out.statements;
        report.snapshot |= out.snapshot;
        report.refused.extend(out.refused);
    }
    Ok(report)
}

/// A private workspace on this device, all in one: the document, its sealed log and this
/// device's part in it. What the app and native clients drive for every transport.
pub struct Replica {
    pub doc: AutoCommit,
    pub log: Log,
    pub private: Private,
    pub rule: CommentRule,
}

impl Replica {
    /// A replica joining with `link` (its document comes from others); its own enrolment is
    /// in its log already when `link` can sign one.
    pub fn join(link: Link, device: DeviceKey, tab: [u8; 8], rule: CommentRule) -> Self {
        let mut log = Log::new(link.discovery());
        if let Some(key) = link.secret.signing_key() {
            let enrol = moot_trust::Statement::Enrol {
                discovery: link.discovery(),
                device: device.public().to_bytes(),
                level: link.level(),
            };
            let _ = log.add_statement(enrol.sign(&key), false);
        }
        let doc = AutoCommit::new().with_actor(automerge::ActorId::from(device.actor(tab)));
        Self {
            doc,
            log,
            private: Private::new(link, device),
            rule,
        }
    }

    /// A new private workspace's replica, from its admin link: the genesis and this device's
    /// enrolment as admin are in its log.
    pub fn found(link: Link, device: DeviceKey, tab: [u8; 8], rule: CommentRule) -> Self {
        let mut r = Self::join(link, device, tab, rule);
        if let (Some(genesis), Some(key)) = (
            moot_trust::Statement::genesis(&r.private.link),
            r.private.link.secret.signing_key(),
        ) {
            let _ = r.log.add_statement(genesis.sign(&key), false);
        }
        r
    }

    pub fn level(&self) -> Level {
        self.private.link.level()
    }

    /// Seals this tab's new changes (see [`Private::seal`]).
    pub fn seal(&mut self, nonce: [u8; 24]) -> Result<Option<Sealed>, SealError> {
        self.private.seal(&mut self.doc, &mut self.log, nonce)
    }

    /// A snapshot of what this replica holds (seal first).
    pub fn snapshot(&mut self, nonce: [u8; 24]) -> Result<Snapshot, SealError> {
        self.private.snapshot(&mut self.doc, &self.log, nonce)
    }

    /// A snapshot when one is due, the log compacted under it (see
    /// [`Private::snapshot_if_due`]).
    pub fn snapshot_if_due(&mut self, nonce: [u8; 24]) -> Result<Option<Snapshot>, SealError> {
        self.private
            .snapshot_if_due(&mut self.doc, &mut self.log, nonce)
    }

    /// Takes a message from the remote of `exchange`.
    pub fn receive(
        &mut self,
        exchange: &mut moot_trust::Exchange,
        message: moot_trust::Message,
    ) -> moot_trust::Outcome {
        let rule = self.rule;
        let mut judge = self.private.judge(&mut self.doc, rule);
        exchange.receive(&mut self.log, message, &mut judge)
    }
}
