//! What a private workspace takes from anyone: the sealed protocol's frames, signed statements,
//! envelopes, stored records, links, and a sealed file imported into a replica. Errors only,
//! never a panic.
#![no_main]
use libfuzzer_sys::fuzz_target;
use moot_trust::{Certificate, Link, Message, Record, Sealed, Signed, Statement};

fuzz_target!(|data: &[u8]| {
    let _ = Message::decode(data, 1 << 20);
    let _ = Signed::decode(data).map(|s| s.verify());
    let _ = Statement::decode(data);
    let _ = Sealed::decode(data, 1 << 20).map(|s| s.verify());
    let _ = Certificate::decode(data).map(|c| c.verify());
    let _ = Record::decode_all(data, 1 << 20);
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = Link::decode(text);
    }
    // A sealed file into a replica of a workspace (with its magic, so the records are read).
    let admin = Link::new([7; 32]);
    let mut r = moot_sync::sealed::Replica::found(
        admin,
        moot_trust::DeviceKey::from_seed([1; 32]),
        [1; 8],
        moot_model::trust::comment_rule,
    );
    let mut file = moot_sync::sealed::FILE_MAGIC.to_vec();
    file.extend_from_slice(data);
    let moot_sync::sealed::Replica {
        doc, log, private, ..
    } = &mut r;
    let _ = moot_sync::sealed::import(&file, log, private, doc, moot_model::trust::comment_rule);
});
