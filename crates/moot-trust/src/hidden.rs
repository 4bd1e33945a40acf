//! Ballots hidden until a decision closes: each ballot is sealed to the decision's X25519
//! public key (an ephemeral key per ballot, XChaCha20-Poly1305), and the chair reveals the
//! secret key in the change that closes it. That keeps early results from swaying anyone; it
//! is not anonymity (every ballot is in its voter's slot, and after the close everyone reads
//! them all; the chair can read them early).
//!
//! The chair's device derives the decision's secret from its own device seed and a public
//! salt written in the rules, so it needs no storage. The chair's other devices (those their
//! key had added when the decision opened) each get the secret sealed to their device key,
//! read as X25519 (`seal_secret_to_device`), so any of them can close it.

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use curve25519_dalek::montgomery::MontgomeryPoint;
use sha2::{Digest, Sha256, Sha512};

/// Bytes a sealed ballot adds to its plain text: ephemeral key, nonce, tag.
pub const HIDDEN_OVERHEAD: usize = 32 + 24 + 16;

/// The decision secret of a device seed and a salt (the chair's device, any time).
pub fn decision_secret(device_seed: &[u8; 32], salt: &[u8; 16]) -> [u8; 32] {
    let mut h = Sha512::new();
    h.update(b"moot-decision-key/1");
    h.update(device_seed);
    h.update(salt);
    let out = h.finalize();
    let mut secret = [0u8; 32];
    secret.copy_from_slice(&out[..32]);
    secret
}

/// The public key of a decision secret.
pub fn decision_public(secret: &[u8; 32]) -> [u8; 32] {
    MontgomeryPoint::mul_base_clamped(*secret).to_bytes()
}

fn key(shared: &[u8; 32], ephemeral: &[u8; 32], to: &[u8; 32]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(b"moot-hidden-ballot/1");
    h.update(shared);
    h.update(ephemeral);
    h.update(to);
    h.finalize().into()
}

/// Seals `plain` to the decision key `to`, with the caller's randomness (`ephemeral` secret,
/// `nonce`): ephemeral public key ‖ nonce ‖ ciphertext. `None` for a key that is not a usable
/// point (its shared secret would be zero).
pub fn seal_ballot(
    to: &[u8; 32],
    plain: &[u8],
    ephemeral: [u8; 32],
    nonce: [u8; 24],
) -> Option<Vec<u8>> {
    let eph_public = MontgomeryPoint::mul_base_clamped(ephemeral).to_bytes();
    let shared = MontgomeryPoint(*to).mul_clamped(ephemeral).to_bytes();
    if shared == [0; 32] {
        return None;
    }
    let body = XChaCha20Poly1305::new(&key(&shared, &eph_public, to).into())
        .encrypt(
            &XNonce::from(nonce),
            Payload {
                msg: plain,
                aad: to,
            },
        )
        .ok()?;
    let mut out = Vec::with_capacity(HIDDEN_OVERHEAD + plain.len());
    out.extend_from_slice(&eph_public);
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&body);
    Some(out)
}

/// Opens a sealed ballot with the decision secret; `None` if it was not sealed to it or was
/// changed.
pub fn open_ballot(secret: &[u8; 32], sealed: &[u8]) -> Option<Vec<u8>> {
    if sealed.len() < HIDDEN_OVERHEAD {
        return None;
    }
    let to = decision_public(secret);
    let eph_public: [u8; 32] = sealed[..32].try_into().ok()?;
    let nonce: [u8; 24] = sealed[32..56].try_into().ok()?;
    let shared = MontgomeryPoint(eph_public).mul_clamped(*secret).to_bytes();
    if shared == [0; 32] {
        return None;
    }
    XChaCha20Poly1305::new(&key(&shared, &eph_public, &to).into())
        .decrypt(
            &XNonce::from(nonce),
            Payload {
                msg: &sealed[56..],
                aad: &to,
            },
        )
        .ok()
}

/// The decision secret sealed to another device of the chair's: its Ed25519 key read as an
/// X25519 key (the birational map every Ed25519 key has; the device's secret scalar opens it).
pub fn seal_secret_to_device(
    secret: &[u8; 32],
    device: &ed25519_dalek::VerifyingKey,
    ephemeral: [u8; 32],
    nonce: [u8; 24],
) -> Option<Vec<u8>> {
    seal_ballot(&device.to_montgomery().to_bytes(), secret, ephemeral, nonce)
}

/// The decision secret a device's sealed copy holds; `None` if it was not sealed to this
/// device or was changed.
pub fn open_secret_as_device(device: &crate::DeviceKey, sealed: &[u8]) -> Option<[u8; 32]> {
    open_ballot(&device.signing().to_scalar_bytes(), sealed)?
        .try_into()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn another_device_of_the_chair_opens_the_secret_sealed_to_it_only() {
        let secret = decision_secret(&[7; 32], &[1; 16]);
        let other = crate::DeviceKey::from_seed([8; 32]);
        let sealed = seal_secret_to_device(&secret, &other.public(), [9; 32], [3; 24]).unwrap();
        assert_eq!(open_secret_as_device(&other, &sealed), Some(secret));
        assert!(!sealed.windows(8).any(|w| w == &secret[..8]));
        assert_eq!(
            open_secret_as_device(&crate::DeviceKey::from_seed([6; 32]), &sealed),
            None
        );
        let mut bad = sealed.clone();
        bad[60] ^= 1;
        assert_eq!(open_secret_as_device(&other, &bad), None);
    }

    #[test]
    fn a_ballot_opens_with_the_decision_secret_only() {
        let secret = decision_secret(&[7; 32], &[1; 16]);
        let public = decision_public(&secret);
        let sealed = seal_ballot(&public, b"{\"kind\":\"consent\"}", [9; 32], [3; 24]).unwrap();
        assert!(!sealed.windows(7).any(|w| w == b"consent"));
        assert_eq!(
            open_ballot(&secret, &sealed).unwrap(),
            b"{\"kind\":\"consent\"}"
        );
        // Another salt, another device: another secret.
        assert!(open_ballot(&decision_secret(&[7; 32], &[2; 16]), &sealed).is_none());
        assert!(open_ballot(&decision_secret(&[8; 32], &[1; 16]), &sealed).is_none());
        // Changed, cut or empty: refused, no panic.
        let mut bad = sealed.clone();
        *bad.last_mut().unwrap() ^= 1;
        assert!(open_ballot(&secret, &bad).is_none());
        assert!(open_ballot(&secret, &sealed[..40]).is_none());
        assert!(open_ballot(&secret, &[]).is_none());
        // A low-order "key" (zero) seals nothing.
        assert!(seal_ballot(&[0; 32], b"x", [9; 32], [3; 24]).is_none());
    }
}
