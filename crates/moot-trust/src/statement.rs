//! Signed statements about who may write a private workspace, readable by a relay that cannot
//! read the workspace: the genesis (the verifying key of each writing level), enrolments (a
//! device key joins at a level, signed by that level's key from a link) and removals (an admin
//! refuses a device's further changes). A `Roster` is what a set of statements grants; it does
//! not depend on the order they arrived in, so the relay and every peer agree.

use std::collections::BTreeMap;

use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};

use crate::TrustError;
use crate::cbor::{Reader, done, encoder};
use crate::device::{ACTOR_LEN, key_of_actor};
use crate::level::{Level, Link, discovery};

const VERSION: u64 = 1;
/// Actors a removal may keep changes of.
pub const MAX_KEPT: usize = 1024;
/// Statements one workspace may hold (each person's device enrols once).
pub const MAX_STATEMENTS: usize = 4096;
/// The largest encoded signed statement (a removal keeping `MAX_KEPT` actors, a rotation
/// sealed to `MAX_REKEYED` devices).
pub const MAX_SIGNED: usize = 64 * 1024;
/// Devices one rotation may seal the new keys to.
pub const MAX_REKEYED: usize = 400;
/// The largest sealed secret in a rotation (a seed sealed to a device key is 104 bytes).
const MAX_SEALED_SECRET: usize = 128;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Statement {
    /// The workspace's first statement, signed by the admin key: the keys of the other writing
    /// levels, and the salt the discovery id is made with.
    Genesis {
        discovery: [u8; 16],
        salt: [u8; 16],
        admin: [u8; 32],
        edit: [u8; 32],
        comment: [u8; 32],
    },
    /// `device` may write at `level`: signed by the key of that level or a higher one.
    Enrol {
        discovery: [u8; 16],
        device: [u8; 32],
        level: Level,
    },
    /// `device` may write no more, except the changes of `keep` (actor, last sequence number)
    /// the admin had seen: signed by the admin key or an admin device.
    Remove {
        discovery: [u8; 16],
        device: [u8; 32],
        keep: Vec<(Vec<u8>, u64)>,
    },
    /// The keys rotate to `epoch` (after a removal): the verifying keys of its edit and
    /// comment levels, the previous epoch's read seed sealed under this one's (so whoever
    /// reads this epoch reads what came before), and for each device that stays, the seed of
    /// its level in this epoch sealed to its own key (empty for an admin device, which
    /// derives it). Signed by the admin key. An enrolment signed by an older epoch's key
    /// counts only for a device the next epoch's rotation lists: the links a removed person
    /// holds enrol nobody after it.
    Rekey {
        discovery: [u8; 16],
        epoch: u32,
        edit: [u8; 32],
        comment: [u8; 32],
        previous: Vec<u8>,
        devices: Vec<([u8; 32], Level, Vec<u8>)>,
    },
}

impl Statement {
    pub fn discovery(&self) -> &[u8; 16] {
        match self {
            Statement::Genesis { discovery, .. }
            | Statement::Enrol { discovery, .. }
            | Statement::Remove { discovery, .. }
            | Statement::Rekey { discovery, .. } => discovery,
        }
    }

    /// The genesis of a new workspace, from its admin link.
    pub fn genesis(link: &Link) -> Option<Statement> {
        let key = |l| Some(link.secret.at(l)?.verifying_key()?.to_bytes());
        Some(Statement::Genesis {
            discovery: link.discovery(),
            salt: link.secret.read().salt,
            admin: key(Level::Admin)?,
            edit: key(Level::Edit)?,
            comment: key(Level::Comment)?,
        })
    }

    pub fn encode(&self) -> Vec<u8> {
        let mut e = encoder();
        match self {
            Statement::Genesis {
                discovery,
                salt,
                admin,
                edit,
                comment,
            } => done(
                e.array(7)
                    .and_then(|e| e.u64(VERSION))
                    .and_then(|e| e.u8(0))
                    .and_then(|e| e.bytes(discovery))
                    .and_then(|e| e.bytes(salt))
                    .and_then(|e| e.bytes(admin))
                    .and_then(|e| e.bytes(edit))
                    .and_then(|e| e.bytes(comment)),
            ),
            Statement::Enrol {
                discovery,
                device,
                level,
            } => done(
                e.array(5)
                    .and_then(|e| e.u64(VERSION))
                    .and_then(|e| e.u8(1))
                    .and_then(|e| e.bytes(discovery))
                    .and_then(|e| e.bytes(device))
                    .and_then(|e| e.u8(*level as u8)),
            ),
            Statement::Remove {
                discovery,
                device,
                keep,
            } => {
                done(
                    e.array(5)
                        .and_then(|e| e.u64(VERSION))
                        .and_then(|e| e.u8(2))
                        .and_then(|e| e.bytes(discovery))
                        .and_then(|e| e.bytes(device))
                        .and_then(|e| e.array(keep.len() as u64)),
                );
                for (actor, seq) in keep {
                    done(
                        e.array(2)
                            .and_then(|e| e.bytes(actor))
                            .and_then(|e| e.u64(*seq)),
                    );
                }
            }
            Statement::Rekey {
                discovery,
                epoch,
                edit,
                comment,
                previous,
                devices,
            } => {
                done(
                    e.array(8)
                        .and_then(|e| e.u64(VERSION))
                        .and_then(|e| e.u8(3))
                        .and_then(|e| e.bytes(discovery))
                        .and_then(|e| e.u32(*epoch))
                        .and_then(|e| e.bytes(edit))
                        .and_then(|e| e.bytes(comment))
                        .and_then(|e| e.bytes(previous))
                        .and_then(|e| e.array(devices.len() as u64)),
                );
                for (device, level, sealed) in devices {
                    done(
                        e.array(3)
                            .and_then(|e| e.bytes(device))
                            .and_then(|e| e.u8(*level as u8))
                            .and_then(|e| e.bytes(sealed)),
                    );
                }
            }
        }
        e.into_writer()
    }

    pub fn decode(bytes: &[u8]) -> Result<Statement, TrustError> {
        let kind = {
            let mut d = minicbor::Decoder::new(bytes);
            let _ = d.array();
            let _ = d.u64();
            d.u8().map_err(|_| TrustError::Malformed("statement"))?
        };
        let len = match kind {
            0 => 7,
            1 | 2 => 5,
            3 => 8,
            _ => return Err(TrustError::Malformed("statement")),
        };
        let mut r = Reader::array(bytes, len, "statement")?;
        if r.u64()? != VERSION {
            return Err(TrustError::Newer);
        }
        r.u8()?;
        let discovery = r.fixed()?;
        let st = match kind {
            0 => Statement::Genesis {
                discovery,
                salt: r.fixed()?,
                admin: r.fixed()?,
                edit: r.fixed()?,
                comment: r.fixed()?,
            },
            1 => Statement::Enrol {
                discovery,
                device: r.fixed()?,
                level: Level::from_u8(r.u8()?).ok_or(r.bad())?,
            },
            3 => {
                let epoch = u32::try_from(r.u64()?).map_err(|_| r.bad())?;
                if epoch == 0 {
                    return Err(r.bad());
                }
                let edit = r.fixed()?;
                let comment = r.fixed()?;
                let previous = r.bytes(crate::level::PREVIOUS_LEN)?.to_vec();
                let n = r.array_len()?;
                if n > MAX_REKEYED as u64 {
                    return Err(r.bad());
                }
                let mut devices = Vec::new();
                for _ in 0..n {
                    if r.array_len()? != 3 {
                        return Err(r.bad());
                    }
                    let device = r.fixed()?;
                    let level = Level::from_u8(r.u8()?).ok_or(r.bad())?;
                    devices.push((device, level, r.bytes(MAX_SEALED_SECRET)?.to_vec()));
                }
                Statement::Rekey {
                    discovery,
                    epoch,
                    edit,
                    comment,
                    previous,
                    devices,
                }
            }
            _ => {
                let device = r.fixed()?;
                let mut keep = Vec::new();
                let n = r.array_len()?;
                if n > MAX_KEPT as u64 {
                    return Err(r.bad());
                }
                for _ in 0..n {
                    if r.array_len()? != 2 {
                        return Err(r.bad());
                    }
                    let actor = r.bytes(ACTOR_LEN)?.to_vec();
                    keep.push((actor, r.u64()?));
                }
                Statement::Remove {
                    discovery,
                    device,
                    keep,
                }
            }
        };
        r.end()?;
        Ok(st)
    }

    pub fn sign(&self, key: &SigningKey) -> Signed {
        let statement = self.encode();
        let signature = key.sign(&signed_message(&statement)).to_bytes();
        Signed {
            statement,
            signer: key.verifying_key().to_bytes(),
            signature,
        }
    }
}

fn signed_message(statement: &[u8]) -> Vec<u8> {
    let mut m = b"moot/v1/statement\0".to_vec();
    m.extend_from_slice(statement);
    m
}

/// A statement with its signer and signature, as it travels and is stored.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Signed {
    pub statement: Vec<u8>,
    pub signer: [u8; 32],
    pub signature: [u8; 64],
}

impl Signed {
    pub fn encode(&self) -> Vec<u8> {
        let mut e = encoder();
        done(
            e.array(3)
                .and_then(|e| e.bytes(&self.statement))
                .and_then(|e| e.bytes(&self.signer))
                .and_then(|e| e.bytes(&self.signature)),
        );
        e.into_writer()
    }

    pub fn decode(bytes: &[u8]) -> Result<Signed, TrustError> {
        if bytes.len() > MAX_SIGNED {
            return Err(TrustError::TooLarge);
        }
        let mut r = Reader::array(bytes, 3, "signed statement")?;
        let signed = Signed {
            statement: r.bytes(MAX_SIGNED)?.to_vec(),
            signer: r.fixed()?,
            signature: r.fixed()?,
        };
        r.end()?;
        Ok(signed)
    }

    /// The statement, if its signature is good (who may sign it is the roster's question).
    pub fn verify(&self) -> Result<Statement, TrustError> {
        let key = VerifyingKey::from_bytes(&self.signer).map_err(|_| TrustError::BadSignature)?;
        key.verify_strict(
            &signed_message(&self.statement),
            &Signature::from_bytes(&self.signature),
        )
        .map_err(|_| TrustError::BadSignature)?;
        Statement::decode(&self.statement)
    }
}

/// One rotation as the roster keeps it.
#[derive(Clone, Debug)]
struct Rotation {
    edit: [u8; 32],
    comment: [u8; 32],
    previous: Vec<u8>,
    devices: BTreeMap<[u8; 32], (Level, Vec<u8>)>,
}

/// What a set of statements grants in one workspace.
#[derive(Clone, Debug, Default)]
pub struct Roster {
    discovery: [u8; 16],
    statements: BTreeMap<Signed, Statement>,
    /// The verifying keys of admin, edit and comment, once a genesis is known.
    keys: Option<[[u8; 32]; 3]>,
    enrolled: BTreeMap<[u8; 32], Level>,
    /// The rotations the admin key signed, by epoch (honest ones of one epoch agree on its
    /// keys; each lists the devices it kept).
    rotations: BTreeMap<u32, Vec<Rotation>>,
    /// Removed devices: actor → last sequence number kept (absent: nothing kept).
    removed: BTreeMap<[u8; 32], BTreeMap<Vec<u8>, u64>>,
    /// Devices the admin key itself removed: their removals of others do not count.
    removed_by_key: std::collections::BTreeSet<[u8; 32]>,
}

impl Roster {
    pub fn new(discovery: [u8; 16]) -> Self {
        Self {
            discovery,
            ..Self::default()
        }
    }

    pub fn discovery(&self) -> &[u8; 16] {
        &self.discovery
    }

    /// How many statements are held.
    pub fn len(&self) -> usize {
        self.statements.len()
    }

    pub fn is_empty(&self) -> bool {
        self.statements.is_empty()
    }

    /// Every statement held, to hand to a peer or a newcomer, in the order a relay can check
    /// them: the genesis, rotations, removals by the admin key (an enrolment by a link the keys
    /// rotated away from counts for a device they name), enrolments, removals by admin devices.
    pub fn statements(&self) -> impl Iterator<Item = &Signed> {
        let rank = move |signed: &Signed, s: &Statement| match s {
            Statement::Genesis { .. } => 0,
            Statement::Rekey { .. } => 1,
            Statement::Remove { .. } if self.level_key(&signed.signer).is_some() => 2,
            Statement::Enrol { .. } => 3,
            Statement::Remove { .. } => 4,
        };
        (0..5).flat_map(move |r| {
            self.statements
                .iter()
                .filter(move |(signed, s)| rank(signed, s) == r)
                .map(|(signed, _)| signed)
        })
    }

    /// A digest of every statement held (SHA-256 over their encodings, in the order they are
    /// kept): two rosters with the same digest hold the same statements.
    pub fn digest(&self) -> [u8; 32] {
        use sha2::Digest;
        let mut h = sha2::Sha256::new();
        for signed in self.statements.keys() {
            let bytes = signed.encode();
            h.update((bytes.len() as u64).to_be_bytes());
            h.update(&bytes);
        }
        h.finalize().into()
    }

    pub fn has_genesis(&self) -> bool {
        self.keys.is_some()
    }

    /// Adds a statement a peer received: `Ok(true)` if it is new, `Ok(false)` if held already.
    /// One that grants nothing yet (a removal signed by a device whose enrolment has not
    /// arrived) is held all the same and counts once it does, so what a roster grants never
    /// depends on arrival order. A relay calls [`Roster::check`] first.
    pub fn add(&mut self, signed: Signed) -> Result<bool, TrustError> {
        if self.statements.contains_key(&signed) {
            return Ok(false);
        }
        let statement = self.verify(&signed)?;
        if self.statements.len() >= MAX_STATEMENTS {
            return Err(TrustError::TooLarge);
        }
        self.statements.insert(signed, statement);
        self.derive();
        Ok(true)
    }

    /// Whether a statement grants something now: what a relay asks before it stores and
    /// forwards one (clients send them in the order of [`Roster::statements`], so an honest
    /// one never fails this), so nobody fills its disk with statements that grant nothing.
    pub fn check(&self, signed: &Signed) -> Result<Statement, TrustError> {
        let statement = self.verify(signed)?;
        if let Statement::Genesis { .. } = statement {
            return Ok(statement);
        }
        if self.keys.is_none() {
            return Err(TrustError::NotAllowed(
                "a statement before the workspace's genesis",
            ));
        }
        if !self.grants(signed, &statement) {
            return Err(TrustError::NotAllowed(match statement {
                Statement::Enrol { .. } => {
                    "an enrolment not signed by a key of that level, or by a link the keys rotated away from"
                }
                Statement::Rekey { .. } => "a rotation not signed by the admin key",
                _ => "a removal not signed by an admin",
            }));
        }
        Ok(statement)
    }

    fn verify(&self, signed: &Signed) -> Result<Statement, TrustError> {
        let statement = signed.verify()?;
        if statement.discovery() != &self.discovery {
            return Err(TrustError::OtherWorkspace);
        }
        if let Statement::Genesis { salt, admin, .. } = &statement {
            let key = VerifyingKey::from_bytes(admin).map_err(|_| TrustError::BadSignature)?;
            if signed.signer != *admin || discovery(&key, salt) != self.discovery {
                return Err(TrustError::NotAllowed(
                    "a genesis not made by this workspace's admin",
                ));
            }
        }
        Ok(statement)
    }

    /// The level and epoch a statement signer holds through a link key (the admin key's
    /// epoch is every one: `u32::MAX`).
    fn level_key(&self, signer: &[u8; 32]) -> Option<(Level, u32)> {
        let [admin, edit, comment] = self.keys.as_ref()?;
        if admin == signer {
            return Some((Level::Admin, u32::MAX));
        }
        let found = [(edit, Level::Edit), (comment, Level::Comment)]
            .into_iter()
            .find(|(k, _)| *k == signer)
            .map(|(_, l)| (l, 0));
        found.or_else(|| {
            self.rotations.iter().find_map(|(epoch, rotations)| {
                rotations.iter().find_map(|r| {
                    [(&r.edit, Level::Edit), (&r.comment, Level::Comment)]
                        .into_iter()
                        .find(|(k, _)| *k == signer)
                        .map(|(_, l)| (l, *epoch))
                })
            })
        })
    }

    fn grants(&self, signed: &Signed, statement: &Statement) -> bool {
        match statement {
            Statement::Genesis { .. } => true,
            Statement::Enrol { level, device, .. } => {
                self.level_key(&signed.signer).is_some_and(|(l, epoch)| {
                    l >= *level
                        && (epoch >= self.epoch()
                            || self.listed(epoch + 1, device)
                            || self.removed_by_key.contains(device))
                })
            }
            Statement::Rekey { .. } => {
                self.level_key(&signed.signer).map(|(l, _)| l) == Some(Level::Admin)
            }
            Statement::Remove { .. } => {
                self.level_key(&signed.signer).map(|(l, _)| l) == Some(Level::Admin)
                    || (self.enrolled.get(&signed.signer) == Some(&Level::Admin)
                        && !self.removed_by_key.contains(&signed.signer))
            }
        }
    }

    /// Whether a rotation to `epoch` lists `device` (it kept it).
    fn listed(&self, epoch: u32, device: &[u8; 32]) -> bool {
        self.rotations
            .get(&epoch)
            .is_some_and(|rs| rs.iter().any(|r| r.devices.contains_key(device)))
    }

    /// Whether a removed comment or edit device can read what is sealed under the newest
    /// epoch: a rotation to it sealed that epoch's secret to the device (two admins removing
    /// two devices concurrently each list the other's), or the device enrolled with that
    /// epoch's link and no rotation followed its removal. An admin then rotates again. (A
    /// removed admin device derives every epoch from its link: rotating does not help.)
    pub fn reaches_removed(&self) -> bool {
        let newest = self.epoch();
        let enrolled_in = |device: &[u8; 32]| {
            self.statements.iter().any(|(signed, st)| {
                matches!(st, Statement::Enrol { device: d, .. } if d == device)
                    && self.grants(signed, st)
                    && self.level_key(&signed.signer).map(|(_, e)| e) == Some(newest)
            })
        };
        self.removed.keys().any(|device| {
            matches!(
                self.enrolled.get(device),
                Some(Level::Comment | Level::Edit)
            ) && (self.listed(newest, device) || enrolled_in(device))
        })
    }

    /// The newest key epoch (0 until the first rotation).
    pub fn epoch(&self) -> u32 {
        self.rotations.keys().next_back().copied().unwrap_or(0)
    }

    /// The newest rotation that sealed a secret to `device`: its epoch, the level of the
    /// secret, and the secret sealed to the device's key (empty for an admin device).
    pub fn rotation_for(&self, device: &[u8; 32]) -> Option<(u32, Level, &[u8])> {
        self.rotations.iter().rev().find_map(|(epoch, rs)| {
            rs.iter()
                .find_map(|r| r.devices.get(device))
                .map(|(l, sealed)| (*epoch, *l, sealed.as_slice()))
        })
    }

    /// The previous epoch's read seed as each rotation to `epoch` sealed it.
    pub fn previous(&self, epoch: u32) -> impl Iterator<Item = &[u8]> {
        self.rotations
            .get(&epoch)
            .into_iter()
            .flatten()
            .map(|r| r.previous.as_slice())
    }

    /// Whether `key` is the verifying key of `level` in `epoch` (as the genesis or a rotation
    /// says).
    pub fn is_level_key(&self, key: &[u8; 32], level: Level, epoch: u32) -> bool {
        match self.level_key(key) {
            Some((Level::Admin, _)) => level == Level::Admin,
            Some((l, e)) => l == level && e == epoch,
            None => false,
        }
    }

    /// Recomputes what the statements grant. Order-free: the genesis with the smallest bytes
    /// (only the admin can sign a second one), each device's highest enrolment, and every
    /// removal signed by the admin key or by an admin device the admin key did not remove (two
    /// admin devices that remove each other are both removed), each device keeping the least
    /// of what its removals keep.
    fn derive(&mut self) {
        self.keys = self.statements.values().find_map(|s| match s {
            Statement::Genesis {
                admin,
                edit,
                comment,
                ..
            } => Some([*admin, *edit, *comment]),
            _ => None,
        });
        self.rotations.clear();
        let admin = self.keys.map(|[admin, _, _]| admin);
        for (signed, st) in &self.statements {
            if let Statement::Rekey {
                epoch,
                edit,
                comment,
                previous,
                devices,
                ..
            } = st
                && Some(signed.signer) == admin
            {
                self.rotations.entry(*epoch).or_default().push(Rotation {
                    edit: *edit,
                    comment: *comment,
                    previous: previous.clone(),
                    devices: devices
                        .iter()
                        .map(|(d, l, sealed)| (*d, (*l, sealed.clone())))
                        .collect(),
                });
            }
        }
        self.enrolled.clear();
        self.removed.clear();
        let statements: Vec<(Signed, Statement)> = self
            .statements
            .iter()
            .map(|(a, b)| (a.clone(), b.clone()))
            .collect();
        // Removals signed by the admin key first: an admin device it removed removes no one,
        // and a removed device's enrolment by an old link still counts (up to its cut).
        self.removed_by_key.clear();
        for (signed, st) in &statements {
            if let Statement::Remove { device, .. } = st
                && self.level_key(&signed.signer).map(|(l, _)| l) == Some(Level::Admin)
            {
                self.removed_by_key.insert(*device);
            }
        }
        for (signed, st) in &statements {
            if let Statement::Enrol { device, level, .. } = st
                && self.grants(signed, st)
            {
                let slot = self.enrolled.entry(*device).or_insert(*level);
                *slot = (*slot).max(*level);
            }
        }
        let mut removals: BTreeMap<[u8; 32], Vec<BTreeMap<Vec<u8>, u64>>> = BTreeMap::new();
        for (signed, st) in &statements {
            if let Statement::Remove { device, keep, .. } = st
                && self.grants(signed, st)
            {
                removals
                    .entry(*device)
                    .or_default()
                    .push(keep.iter().cloned().collect());
            }
        }
        for (device, keeps) in removals {
            let mut kept: BTreeMap<Vec<u8>, u64> = keeps[0].clone();
            for keep in &keeps[1..] {
                kept.retain(|actor, seq| match keep.get(actor) {
                    Some(other) => {
                        *seq = (*seq).min(*other);
                        true
                    }
                    None => false,
                });
            }
            self.removed.insert(device, kept);
        }
    }

    /// The level a device is enrolled at (removed or not).
    pub fn level_of(&self, device: &[u8; 32]) -> Option<Level> {
        self.enrolled.get(device).copied()
    }

    pub fn is_removed(&self, device: &[u8; 32]) -> bool {
        self.removed.contains_key(device)
    }

    /// The enrolled devices with their level and whether they were removed.
    pub fn devices(&self) -> impl Iterator<Item = ([u8; 32], Level, bool)> + '_ {
        self.enrolled
            .iter()
            .map(|(d, l)| (*d, *l, self.removed.contains_key(d)))
    }

    /// Whether the change `seq` of `actor` may be taken, and at what level its author writes.
    /// `None`: the actor is bound to no key, its key is not enrolled at a writing level, or it
    /// was removed before this change.
    pub fn accepts(&self, actor: &[u8], seq: u64) -> Option<Level> {
        let key = key_of_actor(actor)?.to_bytes();
        let level = self.level_of(&key).filter(|l| l.writes())?;
        match self.removed.get(&key) {
            Some(kept) if kept.get(actor).is_none_or(|last| seq > *last) => None,
            _ => Some(level),
        }
    }
}
