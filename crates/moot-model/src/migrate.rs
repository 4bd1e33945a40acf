//! Schema versions: old documents are upgraded in place, newer ones refused with a message.
//!
//! Version 1 is the first schema. A future version N adds `fn v{N-1}_to_v{N}` here and a
//! line in `upgrade`; each step is one automerge change so every peer can apply it and
//! concurrent upgrades merge to the same result.

use automerge::{ROOT, ReadDoc, ScalarValue, Value, transaction::Transactable};

use crate::{ModelError, Workspace, workspace::SCHEMA_VERSION};

/// Reads the schema version (a number, or a string written by another client).
pub(crate) fn schema_version(ws: &Workspace) -> Result<Option<u64>, ModelError> {
    Ok(match ws.doc().get(ROOT, "schema_version")? {
        None => None,
        Some((Value::Scalar(s), _)) => match s.as_ref() {
            ScalarValue::Uint(v) => Some(*v),
            ScalarValue::Int(v) if *v >= 0 => Some(*v as u64),
            ScalarValue::Str(s) => s.parse().ok(),
            other => {
                return Err(ModelError::NotAWorkspace(format!(
                    "schema_version is {other}"
                )));
            }
        },
        Some((Value::Object(_), _)) => {
            return Err(ModelError::NotAWorkspace(
                "schema_version is an object".into(),
            ));
        }
    })
}

pub(crate) fn upgrade(ws: &mut Workspace) -> Result<(), ModelError> {
    upgrade_version(ws)?;
    // Hydrating proves the shape is readable before the app shows anything.
    ws.state().map(drop)
}

/// Brings the schema to this version (or refuses a newer one), without reading the rest.
pub(crate) fn upgrade_version(ws: &mut Workspace) -> Result<(), ModelError> {
    match schema_version(ws)? {
        None if ws.doc().get(ROOT, "name")?.is_none() => Err(ModelError::NotAWorkspace(
            "the document has no schema_version and no name".into(),
        )),
        // Version 0: early documents without a version field; same shape as version 1.
        None | Some(0) => {
            ws.doc_mut().put(ROOT, "schema_version", SCHEMA_VERSION)?;
            ws.doc_mut().commit();
            Ok(())
        }
        Some(v) if v > SCHEMA_VERSION => Err(ModelError::NewerSchema {
            found: v,
            supported: SCHEMA_VERSION,
        }),
        Some(_) => Ok(()),
    }
}
