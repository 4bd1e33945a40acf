//! Every parser of a code or id a person or a link hands the app.
#![no_main]
use libfuzzer_sys::fuzz_target;
use moot_sync::{DocumentId, direct::Invitation};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(id) = DocumentId::parse(text) {
        assert_eq!(DocumentId::parse(&id.to_string()).unwrap(), id);
    }
    let _ = DocumentId::from_url(text);
    let _ = Invitation::parse(text);
    let _ = Invitation::parse_offer(text);
    let _ = Invitation::parse_answer(text);
});
