//! The direct-link joiner: pieces (1-byte length prefixes, scaled) in any order and size.
#![no_main]
use libfuzzer_sys::fuzz_target;
use moot_sync::direct::Joiner;

fuzz_target!(|data: &[u8]| {
    let mut joiner = Joiner::default();
    let mut rest = data;
    while let Some((&n, tail)) = rest.split_first() {
        let n = usize::from(n).min(tail.len());
        let (piece, tail) = tail.split_at(n);
        let _ = joiner.push(piece);
        rest = tail;
    }
});
