//! The app's ephemeral payload for presence: who is in the workspace right now. CBOR map
//! `{person, name}`; unknown keys are ignored so richer presence (cursors) can be added.

use minicbor::{Decoder, Encoder, data::Type};

/// Reads a CBOR map with string keys, as ephemeral payloads are: `field` gets each key with the
/// decoder at its value and says whether it read it; the other entries are skipped. `None` if
/// the bytes are not such a map, or `field` failed.
pub(crate) fn read_fields<'b>(
    bytes: &'b [u8],
    mut field: impl FnMut(&'b str, &mut Decoder<'b>) -> Option<bool>,
) -> Option<()> {
    let mut d = Decoder::new(bytes);
    let n = d.map().ok()??;
    for _ in 0..n {
        if d.datatype().ok()? != Type::String {
            d.skip().ok()?;
            d.skip().ok()?;
            continue;
        }
        let key = d.str().ok()?;
        if !field(key, &mut d)? {
            d.skip().ok()?;
        }
    }
    Some(())
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Presence {
    pub person: String,
    pub name: String,
}

impl Presence {
    pub fn encode(&self) -> Vec<u8> {
        let mut e = Encoder::new(Vec::new());
        e.map(2)
            .and_then(|e| e.str("person"))
            .and_then(|e| e.str(&self.person))
            .and_then(|e| e.str("name"))
            .and_then(|e| e.str(&self.name))
            .expect("writing to a Vec cannot fail");
        e.into_writer()
    }

    /// `None` for anything that is not a presence payload.
    pub fn decode(bytes: &[u8]) -> Option<Self> {
        let (mut person, mut name) = (None, None);
        read_fields(bytes, |key, d| {
            let slot = match key {
                "person" => &mut person,
                "name" => &mut name,
                _ => return Some(false),
            };
            *slot = Some(d.str().ok()?.to_owned());
            Some(true)
        })?;
        let (person, name) = (person?, name?);
        (!person.is_empty() && person.len() <= 200 && name.len() <= 200)
            .then_some(Self { person, name })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_garbage() {
        let p = Presence {
            person: "person-1".into(),
            name: "Ada".into(),
        };
        assert_eq!(Presence::decode(&p.encode()), Some(p));
        assert_eq!(Presence::decode(b"junk"), None);
        assert_eq!(Presence::decode(&[0xa0]), None);
    }
}
