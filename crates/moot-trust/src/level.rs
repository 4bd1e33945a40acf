//! Access levels and the secrets that grant them. A workspace starts from one random admin
//! seed; each level below is a one-way hash of the one above (admin → edit → comment → read),
//! so a link holder derives every lower level and never a higher one. Each writing level has
//! its own Ed25519 key; the read level holds what seals and opens the content and the salt of
//! the id a relay knows the workspace by.

use ed25519_dalek::{SigningKey, VerifyingKey};
use sha2::{Digest, Sha512};
use zeroize::Zeroize;

use crate::TrustError;

/// What a link, or a device enrolled through it, may do. Ordered: each level may do what the
/// ones below it may.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    /// Open and read everything; write nothing.
    Read = 0,
    /// Read, and start and reply to comment threads.
    Comment = 1,
    /// Read and write the content.
    Edit = 2,
    /// Edit, and manage levels and people (enrol and remove devices).
    Admin = 3,
}

impl Level {
    pub const ALL: [Level; 4] = [Level::Read, Level::Comment, Level::Edit, Level::Admin];

    pub fn from_u8(n: u8) -> Option<Level> {
        Self::ALL.get(usize::from(n)).copied()
    }

    pub fn name(self) -> &'static str {
        match self {
            Level::Read => "read",
            Level::Comment => "comment",
            Level::Edit => "edit",
            Level::Admin => "admin",
        }
    }

    /// The level one step down, `None` below read.
    pub fn below(self) -> Option<Level> {
        Self::from_u8((self as u8).checked_sub(1)?)
    }

    /// Whether this level signs anything (every level but read).
    pub fn writes(self) -> bool {
        self > Level::Read
    }
}

impl core::fmt::Display for Level {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.name())
    }
}

/// SHA-512 over a domain label and the inputs, each length-prefixed so no two input lists hash
/// alike.
pub(crate) fn derive(label: &str, inputs: &[&[u8]]) -> [u8; 64] {
    let mut h = Sha512::new();
    h.update(b"moot/v1/");
    h.update((label.len() as u64).to_be_bytes());
    h.update(label.as_bytes());
    for input in inputs {
        h.update((input.len() as u64).to_be_bytes());
        h.update(input);
    }
    h.finalize().into()
}

pub(crate) fn first<const N: usize>(wide: [u8; 64]) -> [u8; N] {
    let mut out = [0u8; N];
    out.copy_from_slice(&wide[..N]);
    out
}

/// The seed of one level. Never leaves the device except inside a link the person shares.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret {
    level: Level,
    seed: [u8; 32],
}

impl Drop for Secret {
    fn drop(&mut self) {
        self.seed.zeroize();
    }
}

impl core::fmt::Debug for Secret {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "Secret({})", self.level)
    }
}

impl Secret {
    /// A new workspace's admin secret from 32 random bytes.
    pub fn admin(random: [u8; 32]) -> Self {
        Self {
            level: Level::Admin,
            seed: random,
        }
    }

    pub(crate) fn from_parts(level: Level, seed: [u8; 32]) -> Self {
        Self { level, seed }
    }

    pub fn level(&self) -> Level {
        self.level
    }

    /// The secret of `level`, derived downwards; `None` for a level above this one.
    pub fn at(&self, level: Level) -> Option<Secret> {
        if level > self.level {
            return None;
        }
        let mut s = self.clone();
        while s.level > level {
            let below = s.level.below()?;
            s = Secret {
                level: below,
                seed: first(derive(below.name(), &[&s.seed])),
            };
        }
        Some(s)
    }

    /// This level's signing key; `None` for read, which signs nothing.
    pub fn signing_key(&self) -> Option<SigningKey> {
        self.level.writes().then(|| {
            let mut seed = first::<32>(derive("sign", &[self.level.name().as_bytes(), &self.seed]));
            let key = SigningKey::from_bytes(&seed);
            seed.zeroize();
            key
        })
    }

    /// The public half of this level's key.
    pub fn verifying_key(&self) -> Option<VerifyingKey> {
        self.signing_key().map(|k| k.verifying_key())
    }

    /// What the read level derives: the sealing key of the first epoch, the discovery salt and
    /// the local document id.
    pub fn read(&self) -> ReadKeys {
        let read = self.at(Level::Read).expect("read is the lowest level");
        ReadKeys {
            seal: SealKey(first(derive("seal", &[&read.seed, &0u32.to_be_bytes()]))),
            salt: first(derive("salt", &[&read.seed])),
            document: first(derive("document", &[&read.seed])),
        }
    }
}

/// The XChaCha20-Poly1305 key of one epoch.
#[derive(Clone, PartialEq, Eq)]
pub struct SealKey(pub(crate) [u8; 32]);

impl Drop for SealKey {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl core::fmt::Debug for SealKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("SealKey")
    }
}

#[derive(Clone, Debug)]
pub struct ReadKeys {
    pub seal: SealKey,
    /// Public (it is in the genesis statement): with the admin key it makes the discovery id,
    /// and does not reveal the read seed.
    pub salt: [u8; 16],
    /// The workspace's automerge document id on this device; never sent to a relay.
    pub document: [u8; 16],
}

/// The id a relay knows a private workspace by: it commits to the admin key, so no one can
/// claim a workspace's id with keys of their own, and reveals nothing a link holds.
pub fn discovery(admin: &VerifyingKey, salt: &[u8; 16]) -> [u8; 16] {
    first(derive("discover", &[admin.as_bytes(), salt]))
}

/// A link's secret part: a level's seed and the admin's public key (which a holder below admin
/// cannot derive, and checks the workspace's genesis statement with).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Link {
    pub secret: Secret,
    pub admin: VerifyingKey,
}

const LINK_VERSION: u8 = 1;

impl Link {
    /// The admin link of a new workspace.
    pub fn new(random: [u8; 32]) -> Self {
        let secret = Secret::admin(random);
        let admin = secret.verifying_key().expect("admin writes");
        Self { secret, admin }
    }

    pub fn level(&self) -> Level {
        self.secret.level
    }

    /// The link of a lower level; `None` above this one.
    pub fn at(&self, level: Level) -> Option<Link> {
        Some(Link {
            secret: self.secret.at(level)?,
            admin: self.admin,
        })
    }

    pub fn discovery(&self) -> [u8; 16] {
        discovery(&self.admin, &self.secret.read().salt)
    }

    /// Text for a URL fragment: bs58check of version, level, seed and admin key, so a mistyped
    /// or cut link is detected.
    pub fn encode(&self) -> String {
        let mut raw = Vec::with_capacity(66);
        raw.push(LINK_VERSION);
        raw.push(self.secret.level as u8);
        raw.extend_from_slice(&self.secret.seed);
        raw.extend_from_slice(self.admin.as_bytes());
        let text = bs58::encode(&raw).with_check().into_string();
        raw.zeroize();
        text
    }

    pub fn decode(text: &str) -> Result<Link, TrustError> {
        // 66 bytes + 4 check bytes are at most 96 base58 digits; refuse long input before
        // decoding (bs58 is quadratic).
        if text.len() > 100 {
            return Err(TrustError::BadLink("too long"));
        }
        let mut raw = bs58::decode(text)
            .with_check(None)
            .into_vec()
            .map_err(|_| TrustError::BadLink("damaged or not a moot link"))?;
        let result = (|| {
            if raw.len() != 66 {
                return Err(TrustError::BadLink("wrong length"));
            }
            if raw[0] != LINK_VERSION {
                return Err(TrustError::BadLink("made by a newer moot"));
            }
            let level = Level::from_u8(raw[1]).ok_or(TrustError::BadLink("unknown level"))?;
            let seed: [u8; 32] = raw[2..34].try_into().expect("checked length");
            let admin = VerifyingKey::from_bytes(&raw[34..66].try_into().expect("checked length"))
                .map_err(|_| TrustError::BadLink("not a key"))?;
            let secret = Secret::from_parts(level, seed);
            if level == Level::Admin && secret.verifying_key() != Some(admin) {
                return Err(TrustError::BadLink("admin key does not match its seed"));
            }
            Ok(Link { secret, admin })
        })();
        raw.zeroize();
        result
    }
}
