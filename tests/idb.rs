//! IndexedDB in real headless Chromium: the storage layer the app saves every change with.
#![cfg(target_arch = "wasm32")]

use moot::storage::ChunkStore;
use wasm_bindgen_test::*;

mod wasm_console;

use wasm_console::Console;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
async fn put_then_get_returns_the_same_bytes() {
    let console = Console::watch();
    let store = ChunkStore::open("moot-test-put-get")
        .await
        .expect("open IndexedDB");
    let key = ["3vLmfzZ6vw1Z8xkJ6uYLnEJcdGk5", "incremental", "abc123"];
    let bytes: Vec<u8> = (0..=255u8).cycle().take(10_000).collect();
    store.put(&key, &bytes).await.expect("put");
    assert_eq!(store.get(&key).await.expect("get"), Some(bytes.clone()));

    // A second handle (as after a reload) sees the committed write.
    let reopened = ChunkStore::open("moot-test-put-get").await.expect("reopen");
    assert_eq!(reopened.get(&key).await.unwrap(), Some(bytes));
    console.assert_clean();
}

#[wasm_bindgen_test]
async fn missing_and_deleted_keys_read_as_none() {
    let console = Console::watch();
    let store = ChunkStore::open("moot-test-missing").await.unwrap();
    let key = ["doc", "snapshot", "h1"];
    assert_eq!(store.get(&key).await.unwrap(), None);
    store.put(&key, b"x").await.unwrap();
    store.delete(&key).await.unwrap();
    assert_eq!(store.get(&key).await.unwrap(), None);
    // Keys are whole arrays: a prefix is a different key.
    store.put(&["doc", "snapshot"], b"y").await.unwrap();
    assert_eq!(store.get(&key).await.unwrap(), None);
    console.assert_clean();
}

#[wasm_bindgen_test]
async fn replace_writes_one_record_and_removes_others_in_one_transaction() {
    let console = Console::watch();
    let store = ChunkStore::open("moot-test-replace").await.unwrap();
    store.put(&["ws", "sealed-log", "a"], b"aa").await.unwrap();
    store.put(&["ws", "sealed-log", "b"], b"bb").await.unwrap();
    store.put(&["ws", "sealed-log", "c"], b"cc").await.unwrap();
    let old = [["ws", "sealed-log", "a"], ["ws", "sealed-log", "b"]];
    store
        .replace(&["ws", "sealed-log", "ab"], b"aabb", &old)
        .await
        .unwrap();
    let keys: Vec<String> = store
        .load_prefix("ws")
        .await
        .unwrap()
        .into_iter()
        .map(|(k, _)| k[2].clone())
        .collect();
    assert_eq!(keys, ["ab", "c"], "another tab's record stays");
    console.assert_clean();
}

/// The console watch of these tests sees what the page reports.
#[wasm_bindgen_test]
#[should_panic(expected = "the page reported")]
fn the_console_watch_sees_console_errors() {
    let console = Console::watch();
    web_sys::console::error_1(&"probe: a console error".into());
    console.assert_clean();
}
