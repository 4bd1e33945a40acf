//! The app's ephemeral payload for presence: who is in the workspace right now. CBOR map
//! `{person, name}`; unknown keys are ignored so richer presence (cursors) can be added.

use minicbor::{Decoder, Encoder, data::Type};

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
        let mut d = Decoder::new(bytes);
        let n = d.map().ok()??;
        let (mut person, mut name) = (None, None);
        for _ in 0..n {
            if d.datatype().ok()? != Type::String {
                d.skip().ok()?;
                d.skip().ok()?;
                continue;
            }
            match d.str().ok()? {
                "person" => person = Some(d.str().ok()?.to_owned()),
                "name" => name = Some(d.str().ok()?.to_owned()),
                _ => d.skip().ok()?,
            }
        }
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
