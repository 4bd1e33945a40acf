//! Key rotation after a removal. An admin signs a [`Statement::Rekey`] for the next epoch: its
//! edit and comment keys, the previous epoch's read seed sealed under the new one, and for each
//! device that stays, the seed of its level sealed to its own key. From then on everything is
//! sealed under the new epoch's key, which a removed device (and a holder of an old link) does
//! not have; what it already held stays readable to it.

use std::collections::BTreeMap;

use crate::hidden::{open_secret_as_device, seal_secret_to_device};
use crate::level::{Level, Link, SealKey, Secret, open_previous, seal_previous};
use crate::statement::{MAX_REKEYED, Roster, Statement};
use crate::{DeviceKey, TrustError, VerifyingKey};

/// The rotation to the epoch after the roster's newest, made with the admin link, sealed to
/// every enrolled device not removed (`random` gives fresh randomness for each seal).
pub fn rotation(
    admin: &Link,
    roster: &Roster,
    mut random: impl FnMut() -> [u8; 32],
) -> Result<Statement, TrustError> {
    if admin.level() != Level::Admin {
        return Err(TrustError::NotAllowed(
            "only the admin key rotates the keys",
        ));
    }
    let epoch = roster
        .epoch()
        .max(admin.epoch())
        .checked_add(1)
        .ok_or(TrustError::TooLarge)?;
    let next = admin.secret.in_epoch(epoch).expect("admin");
    let before = admin.secret.in_epoch(epoch - 1).expect("admin");
    let discovery = admin.discovery();
    let nonce = |r: [u8; 32]| -> [u8; 24] { r[..24].try_into().expect("24 of 32") };
    let previous = seal_previous(&next, &before, &discovery, nonce(random()));
    let mut devices = Vec::new();
    for (device, level, removed) in roster.devices() {
        if removed {
            continue;
        }
        let sealed = match level {
            Level::Admin | Level::Read => Vec::new(),
            Level::Comment | Level::Edit => {
                let key = VerifyingKey::from_bytes(&device)
                    .map_err(|_| TrustError::Malformed("device key"))?;
                let secret = next.at(level).expect("below admin");
                seal_secret_to_device(secret.seed(), &key, random(), nonce(random()))
                    .ok_or(TrustError::Malformed("device key"))?
            }
        };
        devices.push((device, level, sealed));
    }
    if devices.len() > MAX_REKEYED {
        return Err(TrustError::TooLarge);
    }
    let key = |l| {
        next.at(l)
            .and_then(|s| s.verifying_key())
            .expect("writing level")
            .to_bytes()
    };
    Ok(Statement::Rekey {
        discovery,
        epoch,
        edit: key(Level::Edit),
        comment: key(Level::Comment),
        previous,
        devices,
    })
}

/// This device's link moved to the newest epoch the roster gave it, or `None` if it holds
/// that one already (or was given none: removed, or joined after the rotation with an old
/// link). A sealed secret that does not make the rotation's key is ignored.
pub fn rotated_link(link: &Link, device: &DeviceKey, roster: &Roster) -> Option<Link> {
    if link.level() == Level::Admin {
        let epoch = roster.epoch();
        return (epoch > link.epoch()).then(|| Link {
            secret: link.secret.in_epoch(epoch).expect("admin"),
            admin: link.admin,
        });
    }
    let (epoch, level, sealed) = roster.rotation_for(device.public().as_bytes())?;
    if epoch <= link.epoch() || !matches!(level, Level::Comment | Level::Edit) {
        return None;
    }
    let seed = open_secret_as_device(device, sealed)?;
    let secret = Secret::from_parts(level, epoch, seed, *link.secret.origin());
    let key = secret.verifying_key()?.to_bytes();
    roster.is_level_key(&key, level, epoch).then_some(Link {
        secret,
        admin: link.admin,
    })
}

/// The sealing key of every epoch `link` reads: its own and, through the rotations' sealed
/// read seeds, each one before it.
pub fn seal_keys(link: &Link, roster: &Roster) -> BTreeMap<u32, SealKey> {
    let mut keys = BTreeMap::new();
    if link.level() == Level::Admin {
        for epoch in 0..=link.epoch() {
            let s = link.secret.in_epoch(epoch).expect("admin");
            keys.insert(epoch, s.read().seal);
        }
        return keys;
    }
    let discovery = link.discovery();
    let mut read = link
        .secret
        .at(Level::Read)
        .expect("read is the lowest level");
    loop {
        keys.insert(read.epoch(), read.read().seal);
        if read.epoch() == 0 {
            break;
        }
        let Some(previous) = roster
            .previous(read.epoch())
            .find_map(|sealed| open_previous(&read, sealed, &discovery))
        else {
            break;
        };
        read = previous;
    }
    keys
}
