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
/// The largest encoded signed statement (a removal keeping `MAX_KEPT` actors).
pub const MAX_SIGNED: usize = 64 * 1024;

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
}

impl Statement {
    pub fn discovery(&self) -> &[u8; 16] {
        match self {
            Statement::Genesis { discovery, .. }
            | Statement::Enrol { discovery, .. }
            | Statement::Remove { discovery, .. } => discovery,
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

/// What a set of statements grants in one workspace.
#[derive(Clone, Debug, Default)]
pub struct Roster {
    discovery: [u8; 16],
    statements: BTreeMap<Signed, Statement>,
    /// The verifying keys of admin, edit and comment, once a genesis is known.
    keys: Option<[[u8; 32]; 3]>,
    enrolled: BTreeMap<[u8; 32], Level>,
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

    /// Every statement held, to hand to a peer or a newcomer, in the order a relay can check
    /// them: the genesis, enrolments, removals by the admin key, removals by admin devices.
    pub fn statements(&self) -> impl Iterator<Item = &Signed> {
        let rank = move |signed: &Signed, s: &Statement| match s {
            Statement::Genesis { .. } => 0,
            Statement::Enrol { .. } => 1,
            Statement::Remove { .. } if self.level_key(&signed.signer).is_some() => 2,
            Statement::Remove { .. } => 3,
        };
        (0..4).flat_map(move |r| {
            self.statements
                .iter()
                .filter(move |(signed, s)| rank(signed, s) == r)
                .map(|(signed, _)| signed)
        })
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
                Statement::Enrol { .. } => "an enrolment not signed by a key of that level",
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

    /// The level a statement signer holds through a link key.
    fn level_key(&self, signer: &[u8; 32]) -> Option<Level> {
        let [admin, edit, comment] = self.keys.as_ref()?;
        [
            (admin, Level::Admin),
            (edit, Level::Edit),
            (comment, Level::Comment),
        ]
        .into_iter()
        .find(|(k, _)| *k == signer)
        .map(|(_, l)| l)
    }

    fn grants(&self, signed: &Signed, statement: &Statement) -> bool {
        match statement {
            Statement::Genesis { .. } => true,
            Statement::Enrol { level, .. } => {
                self.level_key(&signed.signer).is_some_and(|l| l >= *level)
            }
            Statement::Remove { .. } => {
                self.level_key(&signed.signer) == Some(Level::Admin)
                    || (self.enrolled.get(&signed.signer) == Some(&Level::Admin)
                        && !self.removed_by_key.contains(&signed.signer))
            }
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
        self.enrolled.clear();
        self.removed.clear();
        let statements: Vec<(Signed, Statement)> = self
            .statements
            .iter()
            .map(|(a, b)| (a.clone(), b.clone()))
            .collect();
        for (signed, st) in &statements {
            if let Statement::Enrol { device, level, .. } = st
                && self.grants(signed, st)
            {
                let slot = self.enrolled.entry(*device).or_insert(*level);
                *slot = (*slot).max(*level);
            }
        }
        // Removals signed by the admin key first: an admin device it removed removes no one.
        self.removed_by_key.clear();
        for (signed, st) in &statements {
            if let Statement::Remove { device, .. } = st
                && self.level_key(&signed.signer) == Some(Level::Admin)
            {
                self.removed_by_key.insert(*device);
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
