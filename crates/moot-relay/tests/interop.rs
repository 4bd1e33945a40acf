//! Interop with the real automerge-repo npm packages (pinned in tests/interop/package.json,
//! installed by `cargo xtask test` into the folder named by MOOT_INTEROP_DIR):
//! JS clients sync through moot-relay, and moot-sync syncs a moot workspace through a JS
//! automerge-repo sync server that a JS client then reads.

mod support;

use std::process::Stdio;

use automerge::AutoCommit;
use support::{Client, DEADLINE, RunningRelay, interop_dir, node, temp};
use tokio::io::{AsyncBufReadExt, BufReader};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn js_clients_create_find_and_edit_through_moot_relay() {
    let root = temp("interop-relay");
    let relay = RunningRelay::start(&root, |_| {}).await;
    let line = node(
        "two_js_clients.mjs",
        &[&format!("ws://{}/sync", relay.addr)],
    )
    .await;
    let result: serde_json::Value =
        serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line}"));
    assert_eq!(result["title"], "created by JS client A");
    assert_eq!(result["editedBy"], "JS client B");
    assert!(result["url"].as_str().unwrap().starts_with("automerge:"));
    // The document is stored by the relay.
    let metrics = relay.metrics().await;
    relay.stop().await;
    assert!(metrics.contains("\"documents\":1"), "{metrics}");
}

/// The JS automerge-repo sync server (`sync_server.mjs` with `args`) and its address.
async fn js_server(args: &[&std::ffi::OsStr]) -> (tokio::process::Child, std::net::SocketAddr) {
    let mut server = tokio::process::Command::new("node")
        .arg(interop_dir().join("sync_server.mjs"))
        .args(args)
        .current_dir(interop_dir())
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("node starts");
    let mut lines = BufReader::new(server.stdout.take().unwrap()).lines();
    let line = tokio::time::timeout(DEADLINE, lines.next_line())
        .await
        .expect("JS sync server starts")
        .unwrap()
        .unwrap();
    let port: u16 = line
        .strip_prefix("listening ")
        .expect(&line)
        .parse()
        .unwrap();
    (server, std::net::SocketAddr::from(([127, 0, 0, 1], port)))
}

/// The bench's JS anchor with storage: the sync server on its NodeFS adapter serves a
/// moot-sync client and writes the document under its folder.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_js_sync_server_on_nodefs_storage_serves_and_stores_a_moot_document() {
    let data = temp("interop-nodefs").join("js-data");
    let (mut server, addr) = js_server(&["--data".as_ref(), data.as_os_str()]).await;
    let id = moot_sync::DocumentId::from_bytes(*b"moot-interop-002");
    let mut client = Client::connect(addr, "moot-client").await;
    support::publish_new(&mut client, id, "kept by NodeFS").await;
    client.edit(id, "minutes", "written twice").await;
    let mut reader = Client::connect(addr, "moot-reader").await;
    assert_eq!(
        reader.fetch(id).await,
        moot_sync::Event::DocumentChanged(id)
    );
    reader.wait_for_value(id, "minutes", "written twice").await;
    // NodeFS writes a folder per document (after a short debounce).
    support::eventually("NodeFS stores the document", || {
        match std::fs::read_dir(&data).map_or(0, |d| d.count()) {
            n if n >= 2 => Ok(()),
            n => Err(format!("{n} entries under its folder")),
        }
    })
    .await;
    server.kill().await.ok();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn moot_workspace_syncs_through_a_js_sync_server_and_js_reads_its_agenda() {
    let (mut server, addr) = js_server(&[]).await;

    // moot's demo workspace, published by a moot-sync client.
    let mut ws =
        moot_model::demo_workspace(moot_model::Ctx::new("me", "2025-12-01T09:00:00Z"), "Me", 3)
            .unwrap();
    let id = moot_sync::DocumentId::from_bytes(*b"moot-interop-001");
    let mut client = Client::connect(addr, "moot-client").await;
    client
        .docs
        .insert(id, AutoCommit::load(&ws.save()).unwrap());
    client.publish(id).await;

    let line = node(
        "read_workspace.mjs",
        &[&format!("ws://{addr}"), &id.to_url()],
    )
    .await;
    let read: serde_json::Value =
        serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line}"));
    assert_eq!(read["name"], "IOPA Governance");
    assert_eq!(read["start"], "2025-12-20T14:00:00Z");
    assert_eq!(
        read["agenda"],
        serde_json::json!(["Welcome", "Discussion points", "Action points summary"])
    );
    assert_eq!(
        read["subpoints"],
        serde_json::json!(["Decision making", "Membership", "Foundational documents"])
    );
    assert_eq!(read["actions"].as_array().unwrap().len(), 3);
    server.kill().await.ok();
}
