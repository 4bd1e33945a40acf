//! P9: private workspaces (#13), measured natively beside the open workspace and Secsync's
//! figures: opening one with 10,000 changes from this device and as a newcomer through a relay
//! that cannot read (with the client-made snapshot, and with per-change envelopes only), and
//! the bytes a relay stores (compacted under the admin's snapshot) and a newcomer receives.

use std::time::{Duration, Instant};

use anyhow::{Result, ensure};
use automerge::AutoCommit;
use moot_model::{Ctx, Workspace, trust::comment_rule};
use moot_sync::sealed::Replica;
use moot_trust::{DeviceKey, Exchange, Level, Link, Log, Message, Record, Relay, person_id};

use crate::report::{Row, bytes, ms};

const CHANGES: usize = 10_000;
const AT: &str = "2026-12-01T10:00:00Z";

/// A private workspace made by one device with `CHANGES` keystrokes in the draft, each sealed
/// as its own envelope (as the app seals each act), and the relay log that took them.
struct Made {
    admin: Link,
    replica: Replica,
    relay: Log,
    /// What the device stores: the document and its log records.
    saved: Vec<u8>,
    records: Vec<Record>,
}

fn nonce(n: usize) -> [u8; 24] {
    let mut out = [7u8; 24];
    out[..8].copy_from_slice(&(n as u64).to_le_bytes());
    out
}

/// Keystrokes as (position, characters deleted, text inserted).
type Edit = (usize, usize, String);

/// `CHANGES` keystrokes of one "x" each, typed at the end.
fn xs() -> Vec<Edit> {
    (0..CHANGES).map(|i| (i, 0, "x".to_owned())).collect()
}

fn make(edits: &[Edit]) -> Result<Made> {
    let admin = Link::new([42; 32]);
    let device = DeviceKey::from_seed([1; 32]);
    let person = person_id(&device.public());
    let mut replica = Replica::found(admin.clone(), device, [1; 8], comment_rule);
    let actor = replica.doc.get_actor().clone();
    let mut ws = Workspace::create_as(actor, Ctx::new(&person, AT), "Bench", "Anna", 1)?;
    let draft = ws.documents()?[0].id.clone();
    replica.doc = std::mem::take(ws.doc_mut());
    let mut relay = Log::new(admin.discovery());
    for s in replica.log.statements() {
        relay.add_statement(s.clone(), true)?;
    }
    let mut records = replica.log.take_journal();
    let mut ws = Workspace::from_doc(std::mem::take(&mut replica.doc), 2)?;
    for (i, (at, del, text)) in edits.iter().enumerate() {
        ws.splice_text(Ctx::new(&person, AT), &draft, *at, *del, text)?;
        replica.doc = std::mem::take(ws.doc_mut());
        let sealed = replica.seal(nonce(i))?;
        if let Some(s) = sealed {
            relay.add(s)?;
        }
        *ws.doc_mut() = std::mem::take(&mut replica.doc);
    }
    replica.doc = std::mem::take(ws.doc_mut());
    records.extend(replica.log.take_journal());
    let saved = replica.doc.save();
    Ok(Made {
        admin,
        replica,
        relay,
        saved,
        records,
    })
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

/// A newcomer with a read link joins through `relay` (frames through their encoding): how
/// long until it holds everything, and the bytes it received.
fn newcomer(admin: &Link, relay: &mut Log, expect: &AutoCommit) -> Result<(Duration, usize)> {
    let device = DeviceKey::from_seed([9; 32]);
    let started = Instant::now();
    let mut r = Replica::join(
        admin.at(Level::Read).expect("read"),
        device,
        [9; 8],
        comment_rule,
    );
    let (mut rx, mut cx) = (Exchange::new(), Exchange::new());
    let mut to_relay = vec![cx.hello(&r.log)];
    let mut received = 0;
    while !to_relay.is_empty() {
        let mut to_client = Vec::new();
        for m in to_relay.drain(..) {
            let m = Message::decode(&m.encode(), usize::MAX)?;
            to_client.extend(rx.receive(relay, m, &mut Relay).send);
        }
        for m in to_client {
            let frame = m.encode();
            received += frame.len();
            let out = r.receive(&mut cx, Message::decode(&frame, usize::MAX)?);
            ensure!(
                out.refused.is_empty(),
                "the newcomer refused {:?}",
                out.refused
            );
            to_relay.extend(out.send);
        }
    }
    let elapsed = started.elapsed();
    ensure!(
        r.doc.get_heads() == expect.clone().get_heads(),
        "the newcomer has the whole workspace"
    );
    Ok((elapsed, received))
}

pub fn rows(trace: &std::path::Path) -> Vec<Row> {
    match measure(trace) {
        Ok(rows) => rows,
        Err(e) => vec![crate::report::failed("P9", "Private workspace", &e)],
    }
}

/// After the admin's snapshot and the relay's compaction: the bytes of the relay's whole file
/// (statements, snapshot, envelopes left) and of `save()` of the same open document.
fn compacted(made: &mut Made) -> Result<(usize, usize)> {
    let snapshot = made.replica.snapshot(nonce(usize::MAX))?;
    made.relay.add_snapshot(snapshot)?;
    // The device is the workspace's admin: the relay drops every envelope it covers.
    made.relay.compact();
    let stored = made.relay.records().iter().map(|r| r.encode().len()).sum();
    Ok((stored, made.saved.len()))
}

/// The row of a relay's compacted file (`stored`, and `before` it compacted) beside the open
/// document's `save()`.
fn stored_row(label: &str, stored: usize, before: usize, saved: usize) -> Row {
    Row::new("P9", label)
        .moot(format!(
            "{} (before compaction {} of envelopes)",
            bytes(stored),
            bytes(before)
        ))
        .anchor(format!("open workspace save() {}", bytes(saved)))
        .ratio(stored as f64 / saved as f64)
        .target("≤ 1.2× open", stored as f64 <= 1.2 * saved as f64)
}

fn measure(trace: &std::path::Path) -> Result<Vec<Row>> {
    let mut made = make(&xs())?;
    let mut rows = Vec::new();

    // From this device: load the document and restore its log (what opening does, without
    // IndexedDB).
    let device_open = median(
        (0..5)
            .map(|_| {
                let t = Instant::now();
                let doc = AutoCommit::load(&made.saved).expect("loads");
                let mut log = Log::new(made.admin.discovery());
                log.restore(made.records.clone());
                std::hint::black_box((doc, log));
                t.elapsed()
            })
            .collect(),
    );
    rows.push(
        Row::new(
            "P9",
            "Private workspace, 10,000 changes: open from this device",
        )
        .moot(ms(device_open))
        .anchor("Secsync encrypted snapshot 38 ms (M1)")
        .ratio(device_open.as_secs_f64() / 0.038)
        .target("≤ 100 ms", device_open <= Duration::from_millis(100)),
    );

    // The open workspace's newcomer: automerge-repo sync of the same document.
    let id = moot_sync::DocumentId::from_bytes([3; 16]);
    let t = Instant::now();
    let (open_cost, _) = moot_sync::loopback::fetch(id, &made.replica.doc)?;
    let open_join = t.elapsed();

    // Per-change envelopes only.
    let expect = made.replica.doc.clone();
    let (envelopes_join, envelopes_bytes) = newcomer(&made.admin, &mut made.relay, &expect)?;
    let stored_envelopes = made.relay.bytes();
    rows.push(
        Row::new(
            "P9",
            "… as a newcomer through the relay, per-change envelopes only",
        )
        .moot(format!(
            "{} ({} received)",
            ms(envelopes_join),
            bytes(envelopes_bytes)
        ))
        .anchor(format!(
            "open workspace {} ({}); Secsync per-change 1,162 ms",
            ms(open_join),
            bytes(open_cost.total())
        ))
        .ratio(envelopes_join.as_secs_f64() / open_join.as_secs_f64())
        .target(
            "≤ 1.2× open",
            envelopes_join.as_secs_f64() <= 1.2 * open_join.as_secs_f64(),
        ),
    );

    // With the device's snapshot on the relay.
    let (stored, saved) = compacted(&mut made)?;
    let (snap_join, snap_bytes) = newcomer(&made.admin, &mut made.relay, &expect)?;
    rows.push(
        Row::new(
            "P9",
            "… as a newcomer through the relay, with the client's snapshot",
        )
        .moot(format!(
            "{} ({} received)",
            ms(snap_join),
            bytes(snap_bytes)
        ))
        .anchor(format!("open workspace {}", ms(open_join)))
        .ratio(snap_join.as_secs_f64() / open_join.as_secs_f64())
        .target(
            "≤ 1.2× open",
            snap_join.as_secs_f64() <= 1.2 * open_join.as_secs_f64(),
        ),
    );
    rows.push(
        Row::new("P9", "… bytes a newcomer receives (with the snapshot)")
            .moot(bytes(snap_bytes))
            .anchor(format!("open workspace sync {}", bytes(open_cost.total())))
            .ratio(snap_bytes as f64 / open_cost.total() as f64)
            .target(
                "≤ 1.2× open",
                snap_bytes as f64 <= 1.2 * open_cost.total() as f64,
            ),
    );
    rows.push(stored_row(
        "… bytes the relay stores, compacted under the admin's snapshot (its whole file)",
        stored,
        stored_envelopes,
        saved,
    ));
    // The same with real typing (the first edits of the automerge-paper trace): what a
    // private workspace adds (statements, signatures, certificates) is a fixed few hundred
    // bytes, which the 10,000 "x" above (a 1 kB document) make look large.
    let trace: Vec<Edit> = crate::paper_edits(trace)?
        .into_iter()
        .take(CHANGES)
        .collect();
    let mut typed = make(&trace)?;
    let before = typed.relay.bytes();
    let (stored, saved) = compacted(&mut typed)?;
    let expect = typed.replica.doc.clone();
    let (_, received) = newcomer(&typed.admin, &mut typed.relay, &expect)?;
    let id = moot_sync::DocumentId::from_bytes([4; 16]);
    let (open_cost, _) = moot_sync::loopback::fetch(id, &typed.replica.doc)?;
    rows.push(stored_row(
        "… the same typing the automerge-paper trace's first 10,000 edits: relay file, compacted",
        stored,
        before,
        saved,
    ));
    rows.push(
        Row::new("P9", "… and the bytes a newcomer receives")
            .moot(bytes(received))
            .anchor(format!("open workspace sync {}", bytes(open_cost.total())))
            .ratio(received as f64 / open_cost.total() as f64)
            .target(
                "≤ 1.2× open",
                received as f64 <= 1.2 * open_cost.total() as f64,
            ),
    );
    Ok(rows)
}
