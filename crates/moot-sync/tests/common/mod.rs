//! Shared by the moot-sync integration tests.

use minicbor::Encoder;

/// A frame written by hand, CBOR item by item (for frames the codec would never write).
pub fn frame(build: impl FnOnce(&mut Encoder<Vec<u8>>)) -> Vec<u8> {
    let mut e = Encoder::new(Vec::new());
    build(&mut e);
    e.into_writer()
}
