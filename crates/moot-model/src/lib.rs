//! The moot workspace document: schema and operations on one automerge document, no I/O.
