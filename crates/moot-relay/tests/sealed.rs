//! `/sealed` on a real socket: a private workspace stored and served by a relay that cannot
//! read it, surviving a restart; writers it was not told of, and garbage, are refused.

#[path = "support/sealed_client.rs"]
mod sealed_client;
mod support;

use futures::SinkExt;
use moot_model::{Ctx, Workspace, trust::comment_rule};
use moot_sync::sealed::Replica;
use moot_trust::{DeviceKey, Level, Link, person_id};
use sealed_client::Client;
use support::{ATTACKER, RunningRelay, closed, socket_at, temp};
use tokio_tungstenite::tungstenite::Message as Ws;

const T: &str = "2026-12-01T10:00:00Z";

fn founder(admin: &Link) -> (Replica, String) {
    let device = DeviceKey::from_seed([1; 32]);
    let person = person_id(&device.public());
    let mut r = Replica::found(admin.clone(), device, [1; 8], comment_rule);
    let actor = r.doc.get_actor().clone();
    r.doc = Workspace::create_as(actor, Ctx::new(&person, T), "Open Hardware", "Anna", 1)
        .unwrap()
        .into_doc();
    (r, person)
}

fn joiner(admin: &Link, level: Level, seed: u8) -> (Replica, String) {
    let device = DeviceKey::from_seed([seed; 32]);
    let person = person_id(&device.public());
    let link = admin.at(level).unwrap();
    (Replica::join(link, device, [seed; 8], comment_rule), person)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_private_workspace_is_served_sealed_and_survives_a_restart() {
    let root = temp("sealed");
    let relay = RunningRelay::start(&root, |_| {}).await;
    let admin = Link::new([7; 32]);
    let (r, person) = founder(&admin);
    let mut anna = Client::connect(relay.addr, r, person).await;
    anna.act(|ws, me| {
        let d = ws.documents().unwrap()[0].id.clone();
        ws.replace_text(me, &d, "Stewards hold the keys; members hold the stewards.")
            .unwrap();
    })
    .await;
    anna.synced().await;

    // Bob comments live while Anna is connected.
    let (r, person) = joiner(&admin, Level::Comment, 2);
    let mut bob = Client::connect(relay.addr, r, person).await;
    bob.synced().await;
    assert_eq!(
        bob.text().as_deref(),
        Some("Stewards hold the keys; members hold the stewards.")
    );
    bob.act(|ws, me| {
        let d = ws.documents().unwrap()[0].id.clone();
        ws.set_person_name(me, me.person, "Bob").unwrap();
        ws.add_comment(me, &d, 0, 8, "Which stewards, exactly?", &[])
            .unwrap();
    })
    .await;
    bob.synced().await;
    anna.until(|c| {
        Workspace::from_doc(c.r.doc.clone(), 1).ok().and_then(|ws| {
            let d = ws.documents().ok()?[0].id.clone();
            Some(ws.threads(&d).ok()?.len())
        }) == Some(1)
    })
    .await;
    relay.stop().await;

    // Nothing readable on the relay's disk: no word, no name, and no automerge chunk (whose
    // magic bytes begin every document and change, compressed or not).
    let disk = sealed_client::all_bytes(&root.join("data").join("sealed"));
    assert!(disk.len() > 1000);
    sealed_client::assert_none_of(
        &[
            &b"Stewards"[..],
            b"stewards",
            b"Open Hardware",
            b"Anna",
            b"Bob",
            b"Which",
            &[0x85, 0x6f, 0x4a, 0x83],
        ],
        &disk,
        "the relay's disk",
    );

    // A crash mid-append left half a record at the end: it is cut off on load.
    let file = std::fs::read_dir(root.join("data").join("sealed"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let good = std::fs::metadata(&file).unwrap().len();
    {
        use std::io::Write;
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(&file)
            .unwrap();
        f.write_all(&[0x82, 0x01, 0x5a, 0x00, 0x01, 0x00, 0x00, 0xde])
            .unwrap();
    }

    // Restarted, with nobody else online, the relay serves a newcomer everything.
    let relay = RunningRelay::start(&root, |_| {}).await;
    let (r, person) = joiner(&admin, Level::Read, 3);
    let mut carol = Client::connect(relay.addr, r, person).await;
    carol.synced().await;
    assert_eq!(carol.r.log.vector(), anna.r.log.vector());
    assert_eq!(carol.r.doc.get_heads(), anna.r.doc.get_heads());
    assert_eq!(
        std::fs::metadata(&file).unwrap().len(),
        good,
        "the torn tail is gone"
    );
    relay.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writers_the_relay_was_not_told_of_and_garbage_are_refused() {
    let root = temp("sealed-refused");
    let relay = RunningRelay::start(&root, |_| {}).await;
    let admin = Link::new([7; 32]);
    let (r, person) = founder(&admin);
    let mut anna = Client::connect(relay.addr, r, person).await;
    anna.act(|ws, me| {
        let d = ws.documents().unwrap()[0].id.clone();
        ws.replace_text(me, &d, "Be kind.").unwrap();
    })
    .await;
    anna.synced().await;

    // Mallory holds the read link and forges an enrolment at edit with her own key.
    let (mut r, person) = joiner(&admin, Level::Read, 4);
    let forged = moot_trust::Statement::Enrol {
        discovery: admin.discovery(),
        device: r.private.device().public().to_bytes(),
        level: Level::Edit,
    }
    .sign(r.private.device().signing());
    r.log.roster_mut().add(forged.clone()).unwrap();
    let mut mallory = Client::connect(relay.addr, r, person).await;
    mallory.until(|c| !c.refused.is_empty()).await;
    assert!(
        mallory.refused[0].contains("enrolment"),
        "{:?}",
        mallory.refused
    );

    // A hello for a workspace nobody stored leaves nothing on disk.
    let (r, person) = joiner(&Link::new([9; 32]), Level::Read, 6);
    let mut nobody = Client::connect(relay.addr, r, person).await;
    nobody.synced().await;
    drop(nobody);
    let files = std::fs::read_dir(root.join("data").join("sealed"))
        .unwrap()
        .count();
    assert_eq!(files, 1, "only Anna's workspace is stored");

    // Garbage in a frame closes that connection (and penalises its address); everyone else
    // carries on.
    let mut raw = socket_at(ATTACKER, relay.addr, "/sealed").await.unwrap();
    raw.send(Ws::Binary(vec![0x9f, 0xff, 0x00].into()))
        .await
        .unwrap();
    closed(&mut raw, "garbage").await;
    let (r, person) = joiner(&admin, Level::Comment, 5);
    let mut dora = Client::connect(relay.addr, r, person).await;
    dora.synced().await;
    assert_eq!(dora.text().as_deref(), Some("Be kind."));
    relay.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_removed_device_s_later_changes_are_refused() {
    let root = temp("sealed-removed");
    let relay = RunningRelay::start(&root, |_| {}).await;
    let admin = Link::new([7; 32]);
    let (r, person) = founder(&admin);
    let mut anna = Client::connect(relay.addr, r, person).await;
    anna.act(|ws, me| {
        let d = ws.documents().unwrap()[0].id.clone();
        ws.replace_text(me, &d, "Be kind.").unwrap();
    })
    .await;
    anna.synced().await;
    let (r, person) = joiner(&admin, Level::Edit, 2);
    let mut bob = Client::connect(relay.addr, r, person).await;
    bob.synced().await;
    bob.act(|ws, me| {
        let d = ws.documents().unwrap()[0].id.clone();
        ws.splice_text(me, &d, 0, 0, "Bob: ").unwrap();
    })
    .await;
    bob.synced().await;
    let bob_key = bob.r.private.device().public().to_bytes();
    let bob_actor = bob.r.doc.get_actor().to_bytes().to_vec();
    let bob_seq = bob.r.log.vector()[&bob_actor];

    // Anna removes Bob, keeping what he wrote so far.
    anna.until(|c| c.r.log.vector().get(&bob_actor) == Some(&bob_seq))
        .await;
    let removal = moot_trust::Statement::Remove {
        discovery: admin.discovery(),
        device: bob_key,
        keep: vec![(bob_actor.clone(), bob_seq)],
    }
    .sign(&admin.secret.signing_key().unwrap());
    // Bob's client will ignore the removal (as a hostile one would): it keeps its log from
    // before.
    let mut stubborn = bob.r.log.clone();
    anna.r.log.add_statement(removal, false).unwrap();
    let push = anna.ex.push(&anna.r.log);
    anna.send(push).await;
    // The relay has it once it reaches Bob's connection.
    bob.until(|c| c.r.log.roster().is_removed(&bob_key)).await;
    assert_eq!(bob.r.log.roster().accepts(&bob_actor, bob_seq + 1), None);
    let doc = std::mem::take(&mut bob.r.doc);
    let mut ws = Workspace::from_doc(doc, 1).unwrap();
    let d = ws.documents().unwrap()[0].id.clone();
    let me = bob.person.clone();
    ws.splice_text(Ctx::new(&me, "2026-12-01T10:00:00Z"), &d, 0, 0, "after ")
        .unwrap();
    bob.r.doc = ws.into_doc();
    // An honest client refuses to seal; the stubborn one seals, and the relay refuses.
    assert!(bob.r.seal([98; 24]).is_err());
    let sealed = bob
        .r
        .private
        .seal(&mut bob.r.doc, &mut stubborn, [99; 24])
        .unwrap()
        .unwrap();
    bob.send(vec![moot_trust::Message::Envelopes(vec![sealed])])
        .await;
    bob.until(|c| c.refused.iter().any(|r| r.contains("may not write")))
        .await;
    // Anna never gets it.
    anna.synced().await;
    assert_eq!(anna.r.log.vector().get(&bob_actor), Some(&bob_seq));
    assert_eq!(anna.text().as_deref(), Some("Bob: Be kind."));
    relay.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_superseded_snapshot_is_dropped_from_the_relay_s_file() {
    let root = temp("sealed-compact");
    let relay = RunningRelay::start(&root, |_| {}).await;
    let admin = Link::new([7; 32]);
    let (r, person) = founder(&admin);
    let mut anna = Client::connect(relay.addr, r, person).await;
    anna.act(|ws, me| {
        let d = ws.documents().unwrap()[0].id.clone();
        ws.replace_text(me, &d, "Draft").unwrap();
    })
    .await;
    anna.synced().await;
    drop(anna);
    // An editor's snapshots compact nothing while the relay runs (an admin's would).
    let (r, person) = joiner(&admin, Level::Edit, 2);
    let mut anna = Client::connect(relay.addr, r, person).await;
    anna.synced().await;
    let snapshots_on_disk = || {
        let dir = root.join("data").join("sealed");
        let bytes = sealed_client::all_bytes(&dir);
        moot_trust::Record::decode_all(&bytes, 1 << 26)
            .0
            .iter()
            .filter(|r| matches!(r, moot_trust::Record::Snapshot(_)))
            .count()
    };
    for round in 0..2u8 {
        for i in 0..5 {
            anna.act(|ws, me| {
                let d = ws.documents().unwrap()[0].id.clone();
                ws.splice_text(me, &d, 0, 0, &format!("{round}{i}"))
                    .unwrap();
            })
            .await;
        }
        anna.synced().await;
        let snapshot = anna.r.snapshot([round + 50; 24]).unwrap();
        // The relay acknowledges a snapshot once it is on disk.
        let acks = anna.ex.acks();
        anna.send(vec![moot_trust::Message::Snapshot(snapshot)])
            .await;
        anna.until(|c| c.ex.acks() > acks).await;
    }
    assert_eq!(snapshots_on_disk(), 2, "both snapshots are stored");
    drop(anna);
    relay.stop().await;

    // Loaded again, the file keeps only the newest snapshot; a newcomer still gets everything.
    let relay = RunningRelay::start(&root, |_| {}).await;
    let (r, person) = joiner(&admin, Level::Read, 3);
    let mut carol = Client::connect(relay.addr, r, person).await;
    carol.synced().await;
    assert_eq!(snapshots_on_disk(), 1);
    assert!(
        carol.text().unwrap().starts_with("14"),
        "{:?}",
        carol.text()
    );
    relay.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn under_an_admin_s_snapshot_the_relay_s_file_drops_the_envelopes_and_a_reconnect_converges()
{
    let root = temp("sealed-admin-compact");
    let relay = RunningRelay::start(&root, |_| {}).await;
    let admin = Link::new([7; 32]);
    let on_disk = || {
        let dir = root.join("data").join("sealed");
        let bytes = sealed_client::all_bytes(&dir);
        let records = moot_trust::Record::decode_all(&bytes, 1 << 26).0;
        let count = |snapshot: bool| {
            records
                .iter()
                .filter(|r| matches!(r, moot_trust::Record::Snapshot(_)) == snapshot)
                .filter(|r| !matches!(r, moot_trust::Record::Statement(_)))
                .count()
        };
        (count(false), count(true))
    };
    let (r, person) = founder(&admin);
    let mut anna = Client::connect(relay.addr, r, person).await;
    let type_in = async |c: &mut Client, text: &str| {
        for ch in text.chars() {
            c.act(|ws, me| {
                let d = ws.documents().unwrap()[0].id.clone();
                let at = ws.document_text(&d).unwrap().chars().count();
                ws.splice_text(me, &d, at, 0, &ch.to_string()).unwrap();
            })
            .await;
        }
        c.synced().await;
    };
    type_in(&mut anna, "Stewards meet ").await;
    let (r, person) = joiner(&admin, Level::Edit, 2);
    let mut bob = Client::connect(relay.addr, r, person).await;
    bob.synced().await;
    // Bob, an editor, makes a snapshot: stored and served, but it drops nothing.
    let acks = bob.ex.acks();
    let snapshot = bob.r.snapshot([60; 24]).unwrap();
    bob.send(vec![moot_trust::Message::Snapshot(snapshot)])
        .await;
    bob.until(|c| c.ex.acks() > acks).await;
    let (envelopes, snapshots) = on_disk();
    assert_eq!(snapshots, 1);
    assert!(envelopes >= 14, "{envelopes}");
    let Client {
        r: bob_r,
        person: bob_person,
        ..
    } = bob;

    // Anna goes on while Bob is away, and her snapshot covers everything.
    type_in(&mut anna, "monthly.").await;
    let acks = anna.ex.acks();
    let snapshot = anna.r.snapshot([61; 24]).unwrap();
    anna.send(vec![moot_trust::Message::Snapshot(snapshot)])
        .await;
    anna.until(|c| c.ex.acks() > acks).await;
    assert_eq!(
        on_disk(),
        (0, 1),
        "the file holds statements and the snapshot"
    );
    let text = anna.text();
    drop(anna);
    relay.stop().await;

    // After a restart, Bob (holding the first part) and a newcomer both get the whole text.
    let relay = RunningRelay::start(&root, |_| {}).await;
    let mut bob = Client::connect(relay.addr, bob_r, bob_person).await;
    bob.synced().await;
    assert_eq!(bob.text(), text);
    assert!(bob.refused.is_empty(), "{:?}", bob.refused);
    type_in(&mut bob, " Bob agrees.").await;
    let (r, person) = joiner(&admin, Level::Read, 3);
    let mut carol = Client::connect(relay.addr, r, person).await;
    carol.synced().await;
    assert_eq!(
        carol.text().as_deref(),
        Some("Stewards meet monthly. Bob agrees.")
    );
    assert_eq!(carol.r.doc.get_heads(), bob.r.doc.get_heads());
    relay.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_rotation_the_relay_refuses_an_enrolment_by_the_old_link() {
    let root = temp("sealed-old-link");
    let relay = RunningRelay::start(&root, |_| {}).await;
    let admin = Link::new([7; 32]);
    let (r, person) = founder(&admin);
    let mut anna = Client::connect(relay.addr, r, person).await;
    anna.synced().await;
    let (r, person) = joiner(&admin, Level::Edit, 2);
    let mut bob = Client::connect(relay.addr, r, person).await;
    bob.synced().await;
    let bob_key = bob.r.private.device().public().to_bytes();
    anna.until(|c| c.r.log.roster().level_of(&bob_key).is_some())
        .await;
    // Anna removes Bob: the keys rotate to epoch 1.
    let mut n = 40u8;
    let moot_sync::sealed::Replica { log, private, .. } = &mut anna.r;
    private
        .remove_device(log, bob_key, || {
            n += 1;
            [n; 32]
        })
        .unwrap();
    let push = anna.ex.push(&anna.r.log);
    anna.send(push).await;
    anna.synced().await;

    // Eve holds the edit link from before the rotation (Bob's, say): the relay refuses her
    // enrolment, so nothing she writes is taken (and no peer counts her).
    let (r, person) = joiner(&admin, Level::Edit, 5);
    let mut eve = Client::connect(relay.addr, r, person).await;
    eve.until(|c| c.refused.iter().any(|r| r.contains("rotated away from")))
        .await;
    let eve_key = eve.r.private.device().public().to_bytes();
    anna.synced().await;
    assert_eq!(anna.r.log.roster().level_of(&eve_key), None);
    assert_ne!(anna.text().as_deref(), Some("Eve was here."));

    // Cy, with the link Anna shares now (epoch 1), enrols and writes.
    let current = anna.r.private.link.clone();
    assert_eq!(current.epoch(), 1);
    let device = DeviceKey::from_seed([6; 32]);
    let person = person_id(&device.public());
    let r = Replica::join(
        current.at(Level::Edit).unwrap(),
        device,
        [6; 8],
        comment_rule,
    );
    let mut cy = Client::connect(relay.addr, r, person).await;
    cy.synced().await;
    assert!(cy.refused.is_empty(), "{:?}", cy.refused);
    let cy_key = cy.r.private.device().public().to_bytes();
    anna.until(|c| c.r.log.roster().level_of(&cy_key) == Some(Level::Edit))
        .await;
    // /metrics counts the one private workspace open (in memory) while its clients are here.
    let metrics = relay.metrics().await;
    assert!(metrics.contains("\"sealed_open\":1"), "{metrics}");
    relay.stop().await;
}
