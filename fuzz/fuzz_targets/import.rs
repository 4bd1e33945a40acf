//! `.automerge` import as the app does it: the inflation check, then the model's import into
//! an open workspace.
#![no_main]
use libfuzzer_sys::fuzz_target;
use moot_model::{Ctx, Workspace};
use moot_sync::chunks::{MAX_INFLATED, check};

fuzz_target!(|data: &[u8]| {
    if check(data, MAX_INFLATED).is_err() {
        return;
    }
    let ctx = Ctx::new("p0", "2025-12-20T14:00:00Z");
    let mut ws = Workspace::create(ctx, "Fuzz", "P0", 1).unwrap();
    let _ = ws.import(data);
    let _ = ws.sessions();
    let _ = ws.to_json();
});
