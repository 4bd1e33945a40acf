//! The strict CBOR shapes of everything signed: fixed-length arrays of definite items, so there
//! is one way to read a statement or a header and nothing unread rides along under a signature.

use minicbor::{Decoder, Encoder};

use crate::TrustError;

pub(crate) fn encoder() -> Encoder<Vec<u8>> {
    Encoder::new(Vec::new())
}

/// Writing into a `Vec` cannot fail; this keeps the call sites free of impossible errors.
pub(crate) fn done(
    e: Result<&mut Encoder<Vec<u8>>, minicbor::encode::Error<core::convert::Infallible>>,
) {
    e.expect("writing to a Vec cannot fail");
}

pub(crate) struct Reader<'b> {
    d: Decoder<'b>,
    what: &'static str,
}

impl<'b> Reader<'b> {
    /// Starts reading `bytes` as an array of exactly `len` items.
    pub(crate) fn array(bytes: &'b [u8], len: u64, what: &'static str) -> Result<Self, TrustError> {
        let mut r = Self {
            d: Decoder::new(bytes),
            what,
        };
        match r.d.array() {
            Ok(Some(n)) if n == len => Ok(r),
            _ => Err(r.bad()),
        }
    }

    pub(crate) fn bad(&self) -> TrustError {
        TrustError::Malformed(self.what)
    }

    pub(crate) fn u64(&mut self) -> Result<u64, TrustError> {
        self.d.u64().map_err(|_| self.bad())
    }

    pub(crate) fn u8(&mut self) -> Result<u8, TrustError> {
        self.d.u8().map_err(|_| self.bad())
    }

    /// A nested definite-length array's length.
    pub(crate) fn array_len(&mut self) -> Result<u64, TrustError> {
        match self.d.array() {
            Ok(Some(n)) => Ok(n),
            _ => Err(self.bad()),
        }
    }

    pub(crate) fn bytes(&mut self, max: usize) -> Result<&'b [u8], TrustError> {
        match self.d.bytes() {
            Ok(b) if b.len() <= max => Ok(b),
            _ => Err(self.bad()),
        }
    }

    pub(crate) fn str(&mut self, max: usize) -> Result<&'b str, TrustError> {
        match self.d.str() {
            Ok(s) if s.len() <= max => Ok(s),
            _ => Err(self.bad()),
        }
    }

    pub(crate) fn fixed<const N: usize>(&mut self) -> Result<[u8; N], TrustError> {
        let b = self.bytes(N)?;
        b.try_into().map_err(|_| self.bad())
    }

    /// Ends the read: trailing bytes are an error.
    pub(crate) fn end(self) -> Result<(), TrustError> {
        if self.d.position() == self.d.input().len() {
            Ok(())
        } else {
            Err(self.bad())
        }
    }
}
