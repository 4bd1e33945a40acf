//! The relay's default storage on a real folder: a torn tail (a crash mid-append) is cut off
//! and loses nothing acknowledged, superseded records are compacted away, and folders in
//! automerge-repo's one-file-per-chunk layout (earlier relays, NodeFS) are still read.

mod support;

use automerge::{AutoCommit, ROOT, transaction::Transactable};
use moot_sync::Event;
use support::{Client, RunningRelay, new_doc, publish_new, temp};

fn log_of(root: &std::path::Path, id: moot_sync::DocumentId) -> std::path::PathBuf {
    let id = id.to_string();
    root.join("data/documents")
        .join(&id[..2])
        .join(format!("{}.log", &id[2..]))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_torn_tail_is_cut_off_and_nothing_stored_is_lost() {
    let root = temp("log-torn");
    let relay = RunningRelay::start(&root, |_| {}).await;
    let id = new_doc(41);
    let mut alice = Client::connect(relay.addr, "alice").await;
    publish_new(&mut alice, id, "before the crash").await;
    alice.edit(id, "minutes", "stored").await;
    drop(alice);
    relay.stop().await;

    // A crash mid-append leaves half a record at the end.
    let log = log_of(&root, id);
    let whole = std::fs::read(&log).expect("the document's log exists");
    assert!(whole.starts_with(b"MOOTLOG1"));
    let mut torn = whole.clone();
    torn.extend_from_slice(&[7, 0, 0, 0, 200, 0, 0, 0, b'i', b'n']);
    std::fs::write(&log, &torn).unwrap();

    let relay = RunningRelay::start(&root, |_| {}).await;
    let mut bob = Client::connect(relay.addr, "bob").await;
    assert_eq!(bob.fetch(id).await, Event::DocumentChanged(id));
    bob.wait_for_value(id, "minutes", "stored").await;
    // Appending after the torn record must not bury what comes next.
    bob.edit(id, "after", "the restart").await;
    drop(bob);
    relay.stop().await;
    let relay = RunningRelay::start(&root, |_| {}).await;
    let mut carol = Client::connect(relay.addr, "carol").await;
    assert_eq!(carol.fetch(id).await, Event::DocumentChanged(id));
    carol.wait_for_value(id, "after", "the restart").await;
    assert_eq!(
        carol.value(id, "title").as_deref(),
        Some("before the crash")
    );
    relay.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn superseded_records_are_compacted_away() {
    let root = temp("log-compact");
    let relay = RunningRelay::start(&root, |_| {}).await;
    let id = new_doc(42);
    let mut alice = Client::connect(relay.addr, "alice").await;
    // A large first change, then many small ones: samod snapshots the document every so often
    // and deletes the chunks the snapshot holds, each snapshot holding the large text again.
    // (Letters that do not compress: automerge deflates large columns.)
    let mut seed = 12345u64;
    let large: String = (0..40_000)
        .map(|_| {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            char::from(b'a' + (seed >> 59) as u8 % 26)
        })
        .collect();
    publish_new(&mut alice, id, &large).await;
    // Append-only, the log would only grow (by a snapshot of ~25 kB every ten or so edits);
    // compacted, it shrinks now and then and stays bounded.
    let (mut largest, mut last, mut shrank) = (0, 0, false);
    for n in 0..150 {
        alice.edit(id, "n", &n.to_string()).await;
        let size = std::fs::metadata(log_of(&root, id)).map_or(0, |m| m.len());
        shrank |= size < last;
        (largest, last) = (largest.max(size), size);
    }
    drop(alice);
    relay.stop().await;
    assert!(shrank, "the log was compacted at least once");
    assert!(
        largest < 200_000,
        "the log stays bounded: largest {largest} B"
    );
    let relay = RunningRelay::start(&root, |_| {}).await;
    let mut bob = Client::connect(relay.addr, "bob").await;
    assert_eq!(bob.fetch(id).await, Event::DocumentChanged(id));
    bob.wait_for_value(id, "n", "149").await;
    assert_eq!(bob.value(id, "title").map(|t| t.len()), Some(40_000));
    relay.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_folder_in_automerge_repo_layout_is_still_read() {
    let root = temp("log-legacy");
    let id = new_doc(43);
    let mut doc = AutoCommit::new();
    doc.put(ROOT, "title", "stored one file per chunk").unwrap();
    doc.commit();
    let change = doc.get_changes(&[]).pop().unwrap().clone();
    let s = id.to_string();
    let dir = root
        .join("data/documents")
        .join(&s[..2])
        .join(&s[2..])
        .join("incremental");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(change.hash().to_string()), change.raw_bytes()).unwrap();

    let relay = RunningRelay::start(&root, |_| {}).await;
    let mut bob = Client::connect(relay.addr, "bob").await;
    assert_eq!(bob.fetch(id).await, Event::DocumentChanged(id));
    bob.wait_for_value(id, "title", "stored one file per chunk")
        .await;
    bob.edit(id, "minutes", "new, in the log").await;
    let metrics = relay.metrics().await;
    assert!(metrics.contains("\"documents\":1"), "{metrics}");
    drop(bob);
    relay.stop().await;
    let relay = RunningRelay::start(&root, |_| {}).await;
    let mut carol = Client::connect(relay.addr, "carol").await;
    assert_eq!(carol.fetch(id).await, Event::DocumentChanged(id));
    carol.wait_for_value(id, "minutes", "new, in the log").await;
    assert_eq!(
        carol.value(id, "title").as_deref(),
        Some("stored one file per chunk")
    );
    relay.stop().await;
}
