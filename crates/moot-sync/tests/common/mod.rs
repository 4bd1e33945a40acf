//! Shared by the moot-sync integration tests.
#![allow(dead_code)] // each test file uses a different part

use minicbor::Encoder;

/// A frame written by hand, CBOR item by item (for frames the codec would never write).
pub fn frame(build: impl FnOnce(&mut Encoder<Vec<u8>>)) -> Vec<u8> {
    let mut e = Encoder::new(Vec::new());
    build(&mut e);
    e.into_writer()
}

/// A decompression bomb: one compressed change chunk (automerge chunk type 2) whose raw deflate
/// body inflates to `inflated` zero bytes, plus that chunk inside an automerge sync message.
pub fn bomb(inflated: usize) -> (Vec<u8>, Vec<u8>) {
    use std::io::Write;
    let mut deflater = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
    let zeros = vec![0u8; 1 << 20];
    for _ in 0..inflated / zeros.len() {
        deflater.write_all(&zeros).unwrap();
    }
    let body = deflater.finish().unwrap();
    let mut chunk = vec![0x85, 0x6f, 0x4a, 0x83, 0, 0, 0, 0, 2];
    let mut n = body.len();
    loop {
        let byte = (n & 0x7f) as u8;
        n >>= 7;
        chunk.push(if n == 0 { byte } else { byte | 0x80 });
        if n == 0 {
            break;
        }
    }
    chunk.extend(body);
    let message = automerge::sync::Message {
        heads: vec![],
        need: vec![],
        have: vec![],
        changes: vec![chunk.clone()].into(),
        flags: None,
        version: automerge::sync::MessageVersion::V1,
    };
    (chunk, message.encode())
}

/// A `request` frame whose `documentId` is `n` characters (samod would base58-decode it).
pub fn long_id_frame(n: usize) -> Vec<u8> {
    frame(|e| {
        e.map(5).unwrap();
        e.str("type").unwrap().str("request").unwrap();
        e.str("senderId").unwrap().str("x").unwrap();
        e.str("targetId").unwrap().str("y").unwrap();
        e.str("documentId").unwrap().str(&"2".repeat(n)).unwrap();
        e.str("data").unwrap().bytes(&[0]).unwrap();
    })
}
