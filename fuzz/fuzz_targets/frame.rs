//! The frame codec and the relay's envelope check: any bytes give a value or an error.
#![no_main]
use libfuzzer_sys::fuzz_target;
use moot_sync::{Message, read_envelope};

fuzz_target!(|data: &[u8]| {
    let _ = read_envelope(data);
    if let Ok(message) = Message::decode(data) {
        // What decodes re-encodes to something that decodes to the same message.
        let again = Message::decode(&message.encode()).expect("a decoded message re-encodes");
        assert_eq!(again, message);
    }
});
