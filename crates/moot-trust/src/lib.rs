//! Keys, access levels and sealed envelopes for moot's private workspaces, sans-IO: bytes and
//! the caller's randomness in, bytes out; the same code in the browser and the relay.
//!
//! - [`Link`]: a level's secret (admin → edit → comment → read, each a one-way hash of the one
//!   above) and the admin's public key, as text for a URL fragment.
//! - [`DeviceKey`]: a device's own Ed25519 key; its tabs' automerge actor ids are bound to it.
//! - [`Statement`] / [`Roster`]: the genesis, enrolments and removals, and what they grant.
//! - [`Sealed`]: an encrypted, signed envelope a relay checks without reading.
//!
//! ```
//! use moot_trust::{DeviceKey, Draft, Kind, Level, Link, Roster, Sealed, Statement};
//!
//! let admin = Link::new([7; 32]);
//! let comment = Link::decode(&admin.at(Level::Comment).unwrap().encode()).unwrap();
//! assert!(comment.at(Level::Edit).is_none());
//!
//! // The workspace's roster, as a relay and every peer keeps it.
//! let mut roster = Roster::new(admin.discovery());
//! let genesis = Statement::genesis(&admin).unwrap();
//! roster.add(genesis.sign(&admin.secret.signing_key().unwrap())).unwrap();
//!
//! // A device enrols itself with the comment link's key, then signs with its own.
//! let device = DeviceKey::from_seed([9; 32]);
//! let enrol = Statement::Enrol {
//!     discovery: comment.discovery(),
//!     device: device.public().to_bytes(),
//!     level: Level::Comment,
//! };
//! roster.add(enrol.sign(&comment.secret.signing_key().unwrap())).unwrap();
//! let actor = device.actor([1; 8]);
//! assert_eq!(roster.accepts(&actor, 1), Some(Level::Comment));
//!
//! let draft = Draft { kind: Kind::Changes, discovery: comment.discovery(), actor: &actor,
//!     first: 1, last: 1, last_hash: [0; 32], epoch: 0 };
//! let key = comment.secret.read().seal;
//! let sealed = Sealed::seal(draft, b"a change", &key, &device, [3; 24]).unwrap();
//! sealed.verify().unwrap(); // what the relay can check
//! assert_eq!(sealed.open(&key).unwrap().1, b"a change"); // what a reader can do
//! ```

mod cbor;
mod device;
mod error;
mod exchange;
mod hidden;
mod level;
mod log;
mod rotate;
mod sealed;
mod statement;
mod wire;

pub use device::{
    ACTOR_LEN, DeviceKey, actor_for, device_code, key_of_actor, key_of_code, key_of_person,
    person_id, short,
};
pub use ed25519_dalek::{SigningKey, VerifyingKey};
pub use error::TrustError;
pub use exchange::{Exchange, FRAME_BUDGET, Judge, Outcome, Relay};
pub use hidden::{
    HIDDEN_OVERHEAD, decision_public, decision_secret, open_ballot, open_secret_as_device,
    seal_ballot, seal_secret_to_device,
};
pub use level::{Level, Link, ReadKeys, SealKey, Secret, discovery};
pub use log::{Added, Log, MAX_WAITING, Record, Snapshot, Vector, Verdict, covers_hash};
pub use rotate::{rotated_link, rotation, seal_keys};
pub use sealed::{Certificate, Draft, Header, Kind, Sealed};
pub use statement::{MAX_KEPT, MAX_REKEYED, MAX_SIGNED, MAX_STATEMENTS, Roster, Signed, Statement};
pub use wire::{MAX_ACTORS, Message};
