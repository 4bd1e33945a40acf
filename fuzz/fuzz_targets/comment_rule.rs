//! The comment rule on a hostile change: any bytes automerge parses as a change, judged against
//! a real workspace as a commenter's. A verdict, never a panic.
#![no_main]
use libfuzzer_sys::fuzz_target;
use moot_model::{Ctx, Workspace};

fuzz_target!(|data: &[u8]| {
    if moot_sync::chunks::check(data, 1 << 20).is_err() {
        return;
    }
    let Ok(change) = automerge::Change::from_bytes(data.to_vec()) else {
        return;
    };
    let ctx = Ctx::new("p0", "2025-12-20T14:00:00Z");
    let mut ws = Workspace::create(ctx, "Fuzz", "P0", 1).unwrap();
    let d = ws.documents().unwrap()[0].id.clone();
    ws.replace_text(ctx, &d, "Be kind.").unwrap();
    let _ = ws.add_comment(ctx, &d, 0, 2, "hm", &[]);
    let key = moot_trust::DeviceKey::from_seed([3; 32]).public();
    let mut doc = ws.into_doc();
    let _ = moot_model::trust::comment_rule(doc.document(), &change, &key);
});
