//! The document store in real IndexedDB (headless Chromium): incremental chunks, compaction into
//! a snapshot, reload equality, and compaction never deleting a chunk this tab did not load.
#![cfg(target_arch = "wasm32")]

use automerge::{AutoCommit, ROOT, ReadDoc, transaction::Transactable};
use moot::storage::{ChunkStore, DocStorage};
use wasm_bindgen_test::*;

mod wasm_console;

use wasm_console::Console;

wasm_bindgen_test_configure!(run_in_browser);

async fn keys(store: &ChunkStore, doc: &str) -> Vec<Vec<String>> {
    store
        .load_prefix(doc)
        .await
        .unwrap()
        .into_iter()
        .map(|(k, _)| k)
        .collect()
}

fn edit(doc: &mut AutoCommit, i: usize) {
    doc.put(ROOT, format!("k{i}"), i as i64).unwrap();
    doc.commit();
}

#[wasm_bindgen_test]
async fn chunks_compact_into_a_snapshot_and_reload_equal() {
    let console = Console::watch();
    let store = ChunkStore::open("moot-test-compaction").await.unwrap();
    let storage = DocStorage::new(store.clone(), "docA");
    let mut doc = AutoCommit::new();
    for i in 0..40 {
        edit(&mut doc, i);
        let chunk = storage
            .next_chunk(&mut doc)
            .expect("a change makes a chunk");
        storage.write(chunk).await.unwrap();
    }
    assert!(
        storage.next_chunk(&mut doc).is_none(),
        "nothing new, nothing to write"
    );
    let stored = keys(&store, "docA").await;
    let snapshots = stored.iter().filter(|k| k[1] == "snapshot").count();
    let incrementals = stored.iter().filter(|k| k[1] == "incremental").count();
    assert_eq!(snapshots, 1, "{stored:?}");
    assert!(
        incrementals < 32,
        "compaction removed covered chunks: {stored:?}"
    );
    assert!(
        stored
            .iter()
            .all(|k| k.len() == 3 && k[0] == "docA" && k[2].len() == 64),
        "automerge-repo key layout: {stored:?}"
    );

    let reloaded = DocStorage::new(store, "docA")
        .load()
        .await
        .unwrap()
        .expect("stored");
    assert_eq!(reloaded.unreadable, 0);
    assert_eq!(reloaded.doc.clone().get_heads(), doc.get_heads());
    assert_eq!(
        reloaded.doc.get(ROOT, "k39").unwrap().unwrap().0.to_i64(),
        Some(39)
    );
    console.assert_clean();
}

#[wasm_bindgen_test]
async fn compaction_keeps_chunks_another_tab_wrote() {
    let console = Console::watch();
    let store = ChunkStore::open("moot-test-two-tabs").await.unwrap();
    let tab1 = DocStorage::new(store.clone(), "docB");
    let mut doc1 = AutoCommit::new();
    edit(&mut doc1, 0);
    tab1.write(tab1.snapshot(&mut doc1)).await.unwrap();

    // Another tab loads, then writes a change tab 1 has never seen.
    let tab2 = DocStorage::new(store.clone(), "docB");
    let mut doc2 = tab2.load().await.unwrap().unwrap().doc;
    doc2.put(ROOT, "from-tab-2", "keep me").unwrap();
    doc2.commit();
    tab2.write(tab2.next_chunk(&mut doc2).unwrap())
        .await
        .unwrap();

    // Tab 1 compacts everything it knows: tab 2's chunk must survive.
    edit(&mut doc1, 1);
    tab1.write(tab1.snapshot(&mut doc1)).await.unwrap();
    let fresh = DocStorage::new(store, "docB")
        .load()
        .await
        .unwrap()
        .unwrap()
        .doc;
    assert_eq!(
        fresh
            .get(ROOT, "from-tab-2")
            .unwrap()
            .unwrap()
            .0
            .into_string()
            .unwrap(),
        "keep me"
    );
    assert!(fresh.get(ROOT, "k1").unwrap().is_some());
    console.assert_clean();
}

#[wasm_bindgen_test]
async fn a_corrupt_chunk_is_skipped_and_kept() {
    let console = Console::watch();
    let store = ChunkStore::open("moot-test-corrupt").await.unwrap();
    let storage = DocStorage::new(store.clone(), "docC");
    let mut doc = AutoCommit::new();
    edit(&mut doc, 7);
    storage.write(storage.snapshot(&mut doc)).await.unwrap();
    store
        .put(
            &["docC", "incremental", "garbage"],
            b"\x00\x01 not automerge",
        )
        .await
        .unwrap();
    let loaded = DocStorage::new(store.clone(), "docC")
        .load()
        .await
        .unwrap()
        .unwrap();
    assert_eq!(loaded.unreadable, 1);
    assert_eq!(
        loaded.doc.get(ROOT, "k7").unwrap().unwrap().0.to_i64(),
        Some(7)
    );
    assert_eq!(
        store
            .get(&["docC", "incremental", "garbage"])
            .await
            .unwrap()
            .as_deref(),
        Some(&b"\x00\x01 not automerge"[..]),
        "nothing is deleted"
    );
    console.assert_clean();
}

/// Runs a script in the test page (to make the browser's storage misbehave on purpose).
fn script(js: &str) -> wasm_bindgen::JsValue {
    js_sys::Function::new_no_args(js)
        .call0(&wasm_bindgen::JsValue::NULL)
        .unwrap()
}

#[wasm_bindgen_test]
async fn a_failed_write_is_written_again_by_the_next_one() {
    let console = Console::watch();
    let store = ChunkStore::open("moot-test-failed-write").await.unwrap();
    let storage = DocStorage::new(store.clone(), "docD");
    let mut doc = AutoCommit::new();
    edit(&mut doc, 0);
    storage
        .write(storage.next_chunk(&mut doc).unwrap())
        .await
        .unwrap();

    // The disk is full for one write.
    script(
        "const put = IDBObjectStore.prototype.put;
         IDBObjectStore.prototype.put = function () {
           IDBObjectStore.prototype.put = put;
           throw new DOMException('quota', 'QuotaExceededError');
         };",
    );
    edit(&mut doc, 1);
    let failed = storage.write(storage.next_chunk(&mut doc).unwrap()).await;
    assert!(failed.is_err(), "the write failed");
    assert!(storage.behind(), "what it held is not on disk");

    // Space is back: a retry with no new change, then one more change.
    let retry = storage
        .next_chunk(&mut doc)
        .expect("the failed changes are written again");
    storage.write(retry).await.unwrap();
    assert!(!storage.behind());
    edit(&mut doc, 2);
    storage
        .write(storage.next_chunk(&mut doc).unwrap())
        .await
        .unwrap();

    let reloaded = DocStorage::new(store, "docD")
        .load()
        .await
        .unwrap()
        .unwrap()
        .doc;
    for i in 0..3 {
        assert!(
            reloaded.get(ROOT, format!("k{i}")).unwrap().is_some(),
            "edit {i} survives the reload"
        );
    }
    assert_eq!(reloaded.clone().get_heads(), doc.get_heads());
    console.assert_clean();
}

#[wasm_bindgen_test]
async fn two_failed_writes_from_different_points_are_healed_by_a_snapshot() {
    let console = Console::watch();
    let store = ChunkStore::open("moot-test-failed-twice").await.unwrap();
    let storage = DocStorage::new(store.clone(), "docE");
    let mut doc = AutoCommit::new();
    edit(&mut doc, 0);
    storage
        .write(storage.next_chunk(&mut doc).unwrap())
        .await
        .unwrap();
    // Two chunks taken before either write is known to fail (writes in flight together).
    edit(&mut doc, 1);
    let first = storage.next_chunk(&mut doc).unwrap();
    edit(&mut doc, 2);
    let second = storage.next_chunk(&mut doc).unwrap();
    script(
        "const put = IDBObjectStore.prototype.put; let left = 2;
         IDBObjectStore.prototype.put = function (...args) {
           if (--left === 0) IDBObjectStore.prototype.put = put;
           throw new DOMException('quota', 'QuotaExceededError');
         };",
    );
    assert!(storage.write(first).await.is_err());
    assert!(storage.write(second).await.is_err());
    storage
        .write(storage.next_chunk(&mut doc).unwrap())
        .await
        .unwrap();
    let reloaded = DocStorage::new(store, "docE")
        .load()
        .await
        .unwrap()
        .unwrap()
        .doc;
    assert_eq!(reloaded.clone().get_heads(), doc.get_heads());
    console.assert_clean();
}

#[wasm_bindgen_test]
async fn writes_ask_for_strict_durability() {
    let console = Console::watch();
    script(
        "window.__durability = [];
         const tx = IDBDatabase.prototype.transaction;
         IDBDatabase.prototype.transaction = function (names, mode, options) {
           if (mode === 'readwrite') window.__durability.push(options?.durability ?? 'default');
           return tx.apply(this, arguments);
         };",
    );
    let store = ChunkStore::open("moot-test-durability").await.unwrap();
    store
        .put(&["docF", "snapshot", "x"], b"bytes")
        .await
        .unwrap();
    store.delete(&["docF", "snapshot", "x"]).await.unwrap();
    let seen = script("return window.__durability.join(',')")
        .as_string()
        .unwrap();
    assert_eq!(seen, "strict,strict");
    console.assert_clean();
}
