//! A device's own key, and how automerge actor ids are bound to it. Each tab writes under its
//! own actor (two tabs must never share a sequence of changes), and every such actor is the
//! device's public key followed by 8 bytes of the tab's choosing: so anyone can read which key
//! must have signed a change from its actor id alone, with no statement to look up.

use ed25519_dalek::{SigningKey, VerifyingKey};

/// Length of an actor id bound to a key: 32 bytes of key, 8 of tab.
pub const ACTOR_LEN: usize = 40;

/// The private key of this device. Made once, kept on the device, never sent.
pub struct DeviceKey(SigningKey);

impl core::fmt::Debug for DeviceKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "DeviceKey({})", short(&self.public()))
    }
}

impl DeviceKey {
    /// A device key from 32 random bytes (the caller's randomness: the browser's
    /// `crypto.getRandomValues`, the OS elsewhere).
    pub fn from_seed(seed: [u8; 32]) -> Self {
        Self(SigningKey::from_bytes(&seed))
    }

    /// The seed, to store on this device.
    pub fn to_seed(&self) -> [u8; 32] {
        self.0.to_bytes()
    }

    pub fn public(&self) -> VerifyingKey {
        self.0.verifying_key()
    }

    pub fn signing(&self) -> &SigningKey {
        &self.0
    }

    /// The actor id for a tab of this device.
    pub fn actor(&self, tab: [u8; 8]) -> Vec<u8> {
        actor_for(&self.public(), tab)
    }
}

pub fn actor_for(key: &VerifyingKey, tab: [u8; 8]) -> Vec<u8> {
    let mut actor = Vec::with_capacity(ACTOR_LEN);
    actor.extend_from_slice(key.as_bytes());
    actor.extend_from_slice(&tab);
    actor
}

/// The key an actor id is bound to; `None` for an actor not made this way (every actor of an
/// open workspace, or of another automerge client), whose changes no key vouches for.
pub fn key_of_actor(actor: &[u8]) -> Option<VerifyingKey> {
    if actor.len() != ACTOR_LEN {
        return None;
    }
    VerifyingKey::from_bytes(actor[..32].try_into().ok()?).ok()
}

/// A key as people may compare it: the first 8 base58 digits of its bytes.
pub fn short(key: &VerifyingKey) -> String {
    bs58::encode(key.as_bytes())
        .into_string()
        .chars()
        .take(8)
        .collect()
}

/// The person id a key stands for in a private workspace: whoever holds the key writes as
/// this person, and nobody else can.
pub fn person_id(key: &VerifyingKey) -> String {
    format!("key-{}", bs58::encode(key.as_bytes()).into_string())
}

/// The key a person id made by [`person_id`] stands for.
pub fn key_of_person(person: &str) -> Option<VerifyingKey> {
    let text = person.strip_prefix("key-")?;
    // 32 bytes are at most 44 base58 digits; refuse long input before decoding (quadratic).
    if text.len() > 50 {
        return None;
    }
    key_of_code(text)
}

/// A device's key as a code to type or paste (its public key in base58).
pub fn device_code(key: &VerifyingKey) -> String {
    bs58::encode(key.as_bytes()).into_string()
}

/// The key a [`device_code`] names.
pub fn key_of_code(code: &str) -> Option<VerifyingKey> {
    let code = code.trim();
    if code.len() > 50 {
        return None;
    }
    let bytes = bs58::decode(code).into_vec().ok()?;
    VerifyingKey::from_bytes(bytes.as_slice().try_into().ok()?).ok()
}
