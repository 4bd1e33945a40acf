//! The automerge-repo network protocol v1 for moot: CBOR messages and per-peer sync sessions,
//! sans-IO (bytes in, bytes out).
