//! Relays on a real PostgreSQL (a throwaway cluster per test, on loopback, as this process's
//! child): documents survive a restart, two relays share a document live, `kill -9` of a relay
//! loses nothing, a database that goes away or refuses writes is reported by `/healthz` and
//! loses nothing, and the JS automerge-repo clients sync across two such relays.

mod support;

use moot_relay::ThrowawayPostgres;
use moot_sync::Event;
use support::{Client, RelayProcess, RunningRelay, new_doc, publish_new, temp};

fn postgres(name: &str) -> ThrowawayPostgres {
    ThrowawayPostgres::start(name)
        .expect("a throwaway PostgreSQL starts (apt-get install postgresql)")
}

async fn relay_on(root: &std::path::Path, url: &str) -> RunningRelay {
    let url = url.to_owned();
    RunningRelay::start(root, move |c| c.database_url = Some(url)).await
}

fn healthy(r: &str) -> bool {
    r.starts_with("HTTP/1.1 200") && r.ends_with("ok")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn documents_survive_a_restart_on_postgres() {
    let pg = postgres("restart");
    let root = temp("pg-restart");
    let relay = relay_on(&root.join("a"), &pg.url()).await;
    let id = new_doc(31);
    let mut alice = Client::connect(relay.addr, "alice").await;
    publish_new(&mut alice, id, "stored in PostgreSQL").await;
    alice.edit(id, "minutes", "we agreed").await;
    drop(alice);
    relay.stop().await;
    // Nothing under the data folder holds the document: it is in the database.
    assert!(!root.join("a/data/documents").exists());
    let rows = pg
        .sql(&format!(
            "SELECT count(*) FROM moot_chunks WHERE doc = '{id}'"
        ))
        .unwrap();
    assert_ne!(rows, "0", "the document's chunks are in the database");

    // Another relay, with an empty data folder, on the same database.
    let relay = relay_on(&root.join("b"), &pg.url()).await;
    let mut bob = Client::connect(relay.addr, "bob").await;
    assert_eq!(bob.fetch(id).await, Event::DocumentChanged(id));
    bob.wait_for_value(id, "minutes", "we agreed").await;
    assert_eq!(
        bob.value(id, "title").as_deref(),
        Some("stored in PostgreSQL")
    );
    let metrics = relay.metrics().await;
    assert!(metrics.contains("\"documents\":1"), "{metrics}");
    assert!(metrics.contains("\"database_statements\":"), "{metrics}");
    relay.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_relays_on_one_database_share_a_document_live() {
    let pg = postgres("live");
    let root = temp("pg-live");
    let a = relay_on(&root.join("a"), &pg.url()).await;
    let b = relay_on(&root.join("b"), &pg.url()).await;
    let id = new_doc(32);
    let mut alice = Client::connect(a.addr, "alice").await;
    publish_new(&mut alice, id, "one workspace, two relays").await;

    let mut bob = Client::connect(b.addr, "bob").await;
    assert_eq!(bob.fetch(id).await, Event::DocumentChanged(id));
    bob.wait_for_value(id, "title", "one workspace, two relays")
        .await;
    // Live both ways, each edit through the other relay.
    for round in 0..5 {
        alice.edit(id, "from-alice", &format!("edit {round}")).await;
        bob.wait_for_value(id, "from-alice", &format!("edit {round}"))
            .await;
        bob.edit(id, "from-bob", &format!("reply {round}")).await;
        alice
            .wait_for_value(id, "from-bob", &format!("reply {round}"))
            .await;
    }
    let metrics = b.metrics().await;
    assert!(
        !metrics.contains("\"database_notifications\":0"),
        "relay B loaded what relay A stored: {metrics}"
    );
    a.stop().await;
    b.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_of_a_relay_mid_sync_loses_nothing() {
    let pg = postgres("kill");
    let root = temp("pg-kill");
    let mut a = RelayProcess::start(&root.join("a"), &["--database-url", &pg.url()]).await;
    let b = RelayProcess::start(&root.join("b"), &["--database-url", &pg.url()]).await;
    let id = new_doc(33);
    let mut alice = Client::connect(a.addr, "alice").await;
    publish_new(&mut alice, id, "kill -9").await;
    let mut bob = Client::connect(b.addr, "bob").await;
    assert_eq!(bob.fetch(id).await, Event::DocumentChanged(id));
    for n in 0..10 {
        alice.edit(id, &format!("line-{n}"), "written via A").await;
    }
    bob.wait_for_value(id, "line-9", "written via A").await;

    // Mid-sync: edits on their way to A when it dies.
    for n in 10..20 {
        use automerge::transaction::Transactable;
        let doc = alice.docs.get_mut(&id).unwrap();
        doc.put(automerge::ROOT, format!("line-{n}"), "written via A")
            .unwrap();
        doc.commit();
        let frames = alice.conn.sync_document(id, doc);
        alice.send(frames).await;
    }
    a.child.start_kill().unwrap();
    a.child.wait().await.unwrap();

    // Alice's app reconnects to the other relay and carries on there.
    let mut doc = alice.docs.remove(&id).unwrap();
    let mut alice = Client::connect(b.addr, "alice").await;
    use automerge::transaction::Transactable;
    doc.put(automerge::ROOT, "after", "the kill").unwrap();
    doc.commit();
    alice.docs.insert(id, doc);
    alice.publish(id).await;
    bob.wait_for_value(id, "after", "the kill").await;
    for n in 0..20 {
        assert_eq!(
            bob.value(id, &format!("line-{n}")).as_deref(),
            Some("written via A"),
            "line {n}"
        );
    }
    drop((alice, bob));
    // And a newcomer on a third relay, after B stopped, gets all of it from the database.
    b.stop().await;
    let c = RelayProcess::start(&root.join("c"), &["--database-url", &pg.url()]).await;
    let mut carol = Client::connect(c.addr, "carol").await;
    assert_eq!(carol.fetch(id).await, Event::DocumentChanged(id));
    carol.wait_for_value(id, "after", "the kill").await;
    for n in 0..20 {
        assert_eq!(
            carol.value(id, &format!("line-{n}")).as_deref(),
            Some("written via A")
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_database_fails_healthz_and_loses_nothing() {
    let mut pg = postgres("lost");
    let root = temp("pg-lost");
    let relay = relay_on(&root.join("a"), &pg.url()).await;
    relay
        .wait_for("/healthz", "healthy at start", healthy)
        .await;
    let id = new_doc(34);
    let mut alice = Client::connect(relay.addr, "alice").await;
    publish_new(&mut alice, id, "the database goes away").await;

    pg.pause().unwrap();
    alice
        .send_edit(id, "minutes", "typed while the database was away")
        .await;
    relay
        .wait_for("/healthz", "healthz fails while writes are held", |r| {
            r.starts_with("HTTP/1.1 503") && r.contains("storage failing")
        })
        .await;
    pg.resume().unwrap();
    // Acknowledged once it is stored.
    alice.settle(id).await;
    relay
        .wait_for("/healthz", "healthy once the database is back", healthy)
        .await;
    let metrics = relay.metrics().await;
    assert!(!metrics.contains("\"storage_failures\":0"), "{metrics}");
    drop(alice);
    relay.stop().await;

    let relay = relay_on(&root.join("b"), &pg.url()).await;
    let mut bob = Client::connect(relay.addr, "bob").await;
    assert_eq!(bob.fetch(id).await, Event::DocumentChanged(id));
    bob.wait_for_value(id, "minutes", "typed while the database was away")
        .await;
    relay.stop().await;
}

/// A database that refuses writes (here made read-only; a full disk fails the same
/// statements): the relay holds the writes, `/healthz` says so, and they land afterwards.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_that_refuses_writes_fails_healthz_and_loses_nothing() {
    let pg = postgres("readonly");
    let root = temp("pg-readonly");
    let relay = relay_on(&root.join("a"), &pg.url()).await;
    let id = new_doc(35);
    let mut alice = Client::connect(relay.addr, "alice").await;
    publish_new(&mut alice, id, "the database refuses").await;

    let drop_sessions = "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
                         WHERE pid <> pg_backend_pid() AND datname = 'postgres'";
    pg.sql("ALTER DATABASE postgres SET default_transaction_read_only = on")
        .unwrap();
    pg.sql(drop_sessions).unwrap();
    alice
        .send_edit(id, "minutes", "typed while it refused")
        .await;
    relay
        .wait_for("/healthz", "healthz fails while writes are refused", |r| {
            r.starts_with("HTTP/1.1 503") && r.contains("storage failing")
        })
        .await;
    pg.sql(
        "BEGIN READ WRITE; \
         ALTER DATABASE postgres SET default_transaction_read_only = off; COMMIT",
    )
    .unwrap();
    pg.sql(drop_sessions).unwrap();
    alice.settle(id).await;
    relay
        .wait_for("/healthz", "healthy once writes are taken", healthy)
        .await;
    drop(alice);
    relay.stop().await;
    let relay = relay_on(&root.join("b"), &pg.url()).await;
    let mut bob = Client::connect(relay.addr, "bob").await;
    assert_eq!(bob.fetch(id).await, Event::DocumentChanged(id));
    bob.wait_for_value(id, "minutes", "typed while it refused")
        .await;
    relay.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_relay_without_its_database_refuses_to_start() {
    let pg = postgres("absent");
    let url = pg.url();
    drop(pg);
    let root = temp("pg-absent");
    let dist = root.join("dist");
    std::fs::create_dir_all(&dist).unwrap();
    std::fs::write(dist.join("index.html"), "<!doctype html>").unwrap();
    let mut config = moot_relay::Config::local(dist, root.join("data"));
    config.database_url = Some(url);
    let err = match moot_relay::Relay::start(config).await {
        Ok(_) => panic!("a relay started without its database"),
        Err(err) => err.to_string(),
    };
    assert!(err.contains("cannot reach the database"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn js_clients_sync_across_two_relays_on_postgres() {
    let pg = postgres("js");
    let root = temp("pg-js");
    let a = relay_on(&root.join("a"), &pg.url()).await;
    let b = relay_on(&root.join("b"), &pg.url()).await;
    let line = support::node(
        "two_js_clients.mjs",
        &[
            &format!("ws://{}/sync", a.addr),
            &format!("ws://{}/sync", b.addr),
        ],
    )
    .await;
    let result: serde_json::Value =
        serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line}"));
    assert_eq!(result["title"], "created by JS client A");
    assert_eq!(result["editedBy"], "JS client B");
    a.stop().await;
    b.stop().await;
}

/// The relay acknowledges a change (its sync reply holds the change in its heads) only once it
/// is stored: with the database away the write is held and nothing is acknowledged, so a relay
/// killed then has lost nothing it acknowledged; once stored, acknowledged means kept.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_relay_acknowledges_only_what_it_has_stored() {
    let mut pg = postgres("ack");
    let root = temp("pg-ack");
    let flags = ["--database-url".to_owned(), pg.url()];
    let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
    let mut relay = RelayProcess::start(&root.join("a"), &flags).await;
    let id = new_doc(36);
    let mut alice = Client::connect(relay.addr, "alice").await;
    publish_new(&mut alice, id, "acknowledged means stored").await;

    pg.pause().unwrap();
    alice
        .send_edit(id, "minutes", "sent while the database is away")
        .await;
    // The relay has it and is holding its write.
    relay
        .wait_for("/healthz", "the relay holds the write", |r| {
            r.starts_with("HTTP/1.1 503") && r.contains("storage failing")
        })
        .await;
    relay.child.start_kill().unwrap();
    relay.child.wait().await.unwrap();
    // Everything the relay sent before it died.
    while let Some(Ok(msg)) = futures::StreamExt::next(&mut alice.ws).await {
        if let tokio_tungstenite::tungstenite::Message::Binary(frame) = msg {
            let _ = alice.conn.receive(&frame, &mut alice.docs);
        }
    }
    let heads = alice.docs.get_mut(&id).unwrap().get_heads();
    assert!(
        !alice.conn.is_synced(&id, &heads),
        "the relay acknowledged a change it had not stored"
    );

    // With the database back, a new relay: alice's app sends it again, and now it is kept.
    pg.resume().unwrap();
    let doc = alice.docs.remove(&id).unwrap();
    let relay = RelayProcess::start(&root.join("b"), &flags).await;
    let mut alice = Client::connect(relay.addr, "alice").await;
    alice.docs.insert(id, doc);
    alice.publish(id).await;
    drop(alice);
    let mut relay = relay;
    relay.child.start_kill().unwrap();
    relay.child.wait().await.unwrap();
    let relay = RelayProcess::start(&root.join("c"), &flags).await;
    let mut bob = Client::connect(relay.addr, "bob").await;
    assert_eq!(bob.fetch(id).await, Event::DocumentChanged(id));
    bob.wait_for_value(id, "minutes", "sent while the database is away")
        .await;
    relay.stop().await;
}

/// A client of relay B asks for a workspace before anyone stored it (B answers unavailable);
/// when it is then created through relay A, B loads it and sends it on without being asked
/// again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_document_asked_for_on_one_relay_before_another_stored_it_arrives() {
    let pg = postgres("early");
    let root = temp("pg-early");
    let a = relay_on(&root.join("a"), &pg.url()).await;
    let b = relay_on(&root.join("b"), &pg.url()).await;
    let id = new_doc(37);
    let mut bob = Client::connect(b.addr, "bob").await;
    assert_eq!(bob.fetch(id).await, Event::Unavailable(id));
    let mut alice = Client::connect(a.addr, "alice").await;
    publish_new(&mut alice, id, "created after bob asked").await;
    bob.docs.entry(id).or_default();
    bob.wait_for_value(id, "title", "created after bob asked")
        .await;
    alice.edit(id, "minutes", "and live from then on").await;
    bob.wait_for_value(id, "minutes", "and live from then on")
        .await;
    a.stop().await;
    b.stop().await;
}

/// Relays started together on a new database all start (they would race on creating the
/// tables), and a database error reads as PostgreSQL's own words.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn relays_started_together_on_a_new_database_all_start() {
    let pg = postgres("together");
    let root = temp("pg-together");
    let url = pg.url();
    let folders: Vec<_> = ["a", "b", "c", "d"].map(|f| root.join(f)).into();
    let (a, b, c, d) = tokio::join!(
        relay_on(&folders[0], &url),
        relay_on(&folders[1], &url),
        relay_on(&folders[2], &url),
        relay_on(&folders[3], &url),
    );
    for relay in [a, b, c, d] {
        relay.stop().await;
    }
    let dist = root.join("a/dist");
    let mut config = moot_relay::Config::local(dist, root.join("e/data"));
    config.database_url = Some(url.replace("/postgres", "/no_such_database"));
    let err = match moot_relay::Relay::start(config).await {
        Ok(_) => panic!("a relay started on a database that does not exist"),
        Err(err) => err.to_string(),
    };
    assert!(err.contains("no_such_database"), "{err}");
}

/// Every database connection of both relays is cut (as a database failover does): relay B
/// listens again, reads again what its clients follow (notifications sent meanwhile are gone),
/// and an edit through relay A still reaches B's client.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn relays_that_lost_their_database_connections_catch_up() {
    let pg = postgres("cut");
    let root = temp("pg-cut");
    let a = relay_on(&root.join("a"), &pg.url()).await;
    let b = relay_on(&root.join("b"), &pg.url()).await;
    let id = new_doc(38);
    let mut alice = Client::connect(a.addr, "alice").await;
    publish_new(&mut alice, id, "before the cut").await;
    let mut bob = Client::connect(b.addr, "bob").await;
    assert_eq!(bob.fetch(id).await, Event::DocumentChanged(id));
    bob.wait_for_value(id, "title", "before the cut").await;

    let cut = pg
        .sql(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity \
             WHERE pid <> pg_backend_pid() AND datname = 'postgres'",
        )
        .unwrap();
    assert_ne!(cut, "0", "the relays' connections were cut");
    alice.edit(id, "minutes", "written after the cut").await;
    bob.wait_for_value(id, "minutes", "written after the cut")
        .await;
    bob.edit(id, "reply", "and back").await;
    alice.wait_for_value(id, "reply", "and back").await;
    a.stop().await;
    b.stop().await;
}
