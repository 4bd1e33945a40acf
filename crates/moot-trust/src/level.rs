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

/// The seed of one level in one key epoch. Never leaves the device except inside a link the
/// person shares, or sealed to a device's own key when the keys rotate.
///
/// Epochs: a removal rotates the keys. The admin seed never changes (its public key names the
/// workspace); the edit seed of epoch `n` is a hash of the admin seed and `n`, and each level
/// below is a hash of the one above, as in epoch 0. So a holder of epoch `n`'s edit, comment or
/// read seed derives nothing of epoch `n + 1`. `origin` is epoch 0's read seed, which names the
/// workspace's discovery salt and local document id in every epoch.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret {
    level: Level,
    epoch: u32,
    seed: [u8; 32],
    origin: [u8; 32],
}

impl Drop for Secret {
    fn drop(&mut self) {
        self.seed.zeroize();
        self.origin.zeroize();
    }
}

impl core::fmt::Debug for Secret {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "Secret({}, epoch {})", self.level, self.epoch)
    }
}

/// The seed one level down (`below`) in `epoch`.
fn step(below: Level, seed: &[u8; 32], epoch: u32) -> [u8; 32] {
    if below == Level::Edit && epoch > 0 {
        first(derive(below.name(), &[seed, &epoch.to_be_bytes()]))
    } else {
        first(derive(below.name(), &[seed]))
    }
}

impl Secret {
    /// A new workspace's admin secret from 32 random bytes.
    pub fn admin(random: [u8; 32]) -> Self {
        let mut s = Self {
            level: Level::Admin,
            epoch: 0,
            seed: random,
            origin: [0; 32],
        };
        s.origin = s.at(Level::Read).expect("read is the lowest level").seed;
        s
    }

    pub(crate) fn from_parts(level: Level, epoch: u32, seed: [u8; 32], origin: [u8; 32]) -> Self {
        Self {
            level,
            epoch,
            seed,
            origin,
        }
    }

    pub fn level(&self) -> Level {
        self.level
    }

    /// The key epoch this secret belongs to (0 until the first rotation).
    pub fn epoch(&self) -> u32 {
        self.epoch
    }

    /// The admin secret in another epoch (the admin seed is the same in all of them); `None`
    /// below admin, which derives no other epoch.
    pub fn in_epoch(&self, epoch: u32) -> Option<Secret> {
        (self.level == Level::Admin).then(|| Secret {
            epoch,
            ..self.clone()
        })
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
                epoch: s.epoch,
                seed: step(below, &s.seed, s.epoch),
                origin: s.origin,
            };
        }
        Some(s)
    }

    /// The seed, to seal to a device when the keys rotate.
    pub(crate) fn seed(&self) -> &[u8; 32] {
        &self.seed
    }

    pub(crate) fn origin(&self) -> &[u8; 32] {
        &self.origin
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

    /// What the read level derives: the sealing key of this secret's epoch, and (the same in
    /// every epoch) the discovery salt and the local document id.
    pub fn read(&self) -> ReadKeys {
        let read = self.at(Level::Read).expect("read is the lowest level");
        ReadKeys {
            epoch: read.epoch,
            seal: SealKey(first(derive(
                "seal",
                &[&read.seed, &read.epoch.to_be_bytes()],
            ))),
            salt: first(derive("salt", &[&read.origin])),
            document: first(derive("document", &[&read.origin])),
        }
    }

    /// The key that seals the previous epoch's read seed into this epoch's rotation (so a
    /// holder of this epoch's read seed reads everything written before it).
    fn chain_key(&self) -> [u8; 32] {
        let read = self.at(Level::Read).expect("read is the lowest level");
        first(derive("chain", &[&read.seed, &read.epoch.to_be_bytes()]))
    }
}

/// Bytes of a sealed previous read seed: nonce, seed, tag.
pub(crate) const PREVIOUS_LEN: usize = 24 + 32 + 16;

/// The read seed of the epoch before `next`'s, sealed under `next`'s chain key.
pub(crate) fn seal_previous(
    next: &Secret,
    previous: &Secret,
    discovery: &[u8; 16],
    nonce: [u8; 24],
) -> Vec<u8> {
    use chacha20poly1305::aead::{Aead, KeyInit, Payload};
    let previous = previous.at(Level::Read).expect("read is the lowest level");
    let mut aad = discovery.to_vec();
    aad.extend_from_slice(&next.epoch.to_be_bytes());
    let body = chacha20poly1305::XChaCha20Poly1305::new(&next.chain_key().into())
        .encrypt(
            &chacha20poly1305::XNonce::from(nonce),
            Payload {
                msg: &previous.seed,
                aad: &aad,
            },
        )
        .expect("a 32-byte message always seals");
    let mut out = nonce.to_vec();
    out.extend_from_slice(&body);
    out
}

/// The read secret of the epoch before `next`'s, from a rotation's sealed copy; `None` if it
/// was not sealed under `next`'s key or was changed.
pub(crate) fn open_previous(next: &Secret, sealed: &[u8], discovery: &[u8; 16]) -> Option<Secret> {
    use chacha20poly1305::aead::{Aead, KeyInit, Payload};
    if sealed.len() != PREVIOUS_LEN || next.epoch == 0 {
        return None;
    }
    let mut aad = discovery.to_vec();
    aad.extend_from_slice(&next.epoch.to_be_bytes());
    let nonce: [u8; 24] = sealed[..24].try_into().ok()?;
    let mut plain = chacha20poly1305::XChaCha20Poly1305::new(&next.chain_key().into())
        .decrypt(
            &chacha20poly1305::XNonce::from(nonce),
            Payload {
                msg: &sealed[24..],
                aad: &aad,
            },
        )
        .ok()?;
    let seed: [u8; 32] = plain.as_slice().try_into().ok()?;
    plain.zeroize();
    Some(Secret::from_parts(
        Level::Read,
        next.epoch - 1,
        seed,
        next.origin,
    ))
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
    /// The epoch `seal` belongs to.
    pub epoch: u32,
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
/// A link of a rotated epoch: it also carries the epoch and epoch 0's read seed.
const LINK_VERSION_EPOCH: u8 = 2;

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

    pub fn epoch(&self) -> u32 {
        self.secret.epoch
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

    /// Text for a URL fragment: bs58check of version, level, (for a rotated epoch: the epoch
    /// and epoch 0's read seed,) seed and admin key, so a mistyped or cut link is detected.
    pub fn encode(&self) -> String {
        let mut raw = Vec::with_capacity(106);
        if self.secret.epoch == 0 {
            raw.push(LINK_VERSION);
            raw.push(self.secret.level as u8);
        } else {
            raw.push(LINK_VERSION_EPOCH);
            raw.push(self.secret.level as u8);
            raw.extend_from_slice(&self.secret.epoch.to_be_bytes());
            raw.extend_from_slice(&self.secret.origin);
        }
        raw.extend_from_slice(&self.secret.seed);
        raw.extend_from_slice(self.admin.as_bytes());
        let text = bs58::encode(&raw).with_check().into_string();
        raw.zeroize();
        text
    }

    pub fn decode(text: &str) -> Result<Link, TrustError> {
        // 102 bytes + 4 check bytes are at most 145 base58 digits; refuse long input before
        // decoding (bs58 is quadratic).
        if text.len() > 150 {
            return Err(TrustError::BadLink("too long"));
        }
        let mut raw = bs58::decode(text)
            .with_check(None)
            .into_vec()
            .map_err(|_| TrustError::BadLink("damaged or not a moot link"))?;
        let result = (|| {
            let (epoch, origin, rest) = match raw.first() {
                Some(&LINK_VERSION) if raw.len() == 66 => (0, None, &raw[2..]),
                Some(&LINK_VERSION_EPOCH) if raw.len() == 102 => {
                    let epoch = u32::from_be_bytes(raw[2..6].try_into().expect("checked length"));
                    if epoch == 0 {
                        return Err(TrustError::BadLink("a rotated link of epoch 0"));
                    }
                    let origin: [u8; 32] = raw[6..38].try_into().expect("checked length");
                    (epoch, Some(origin), &raw[38..])
                }
                Some(&LINK_VERSION) | Some(&LINK_VERSION_EPOCH) => {
                    return Err(TrustError::BadLink("wrong length"));
                }
                _ => return Err(TrustError::BadLink("made by a newer moot")),
            };
            let level = Level::from_u8(raw[1]).ok_or(TrustError::BadLink("unknown level"))?;
            let seed: [u8; 32] = rest[..32].try_into().expect("checked length");
            let admin = VerifyingKey::from_bytes(&rest[32..64].try_into().expect("checked length"))
                .map_err(|_| TrustError::BadLink("not a key"))?;
            let secret = match (level, origin) {
                (Level::Admin, _) => Secret::admin(seed).in_epoch(epoch).expect("admin"),
                (_, Some(origin)) => Secret::from_parts(level, epoch, seed, origin),
                // Epoch 0: the read seed is its own origin, derived from this one.
                (_, None) => {
                    let mut s = Secret::from_parts(level, 0, seed, [0; 32]);
                    s.origin = s.at(Level::Read).expect("read is the lowest level").seed;
                    s
                }
            };
            if level == Level::Admin && secret.verifying_key() != Some(admin) {
                return Err(TrustError::BadLink("admin key does not match its seed"));
            }
            if level == Level::Admin && origin.is_some_and(|o| o != secret.origin) {
                return Err(TrustError::BadLink("admin link of another workspace"));
            }
            Ok(Link { secret, admin })
        })();
        raw.zeroize();
        result
    }
}
