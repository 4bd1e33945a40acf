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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn moot_workspace_syncs_through_a_js_sync_server_and_js_reads_its_agenda() {
    let mut server = tokio::process::Command::new("node")
        .arg(interop_dir().join("sync_server.mjs"))
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
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));

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
