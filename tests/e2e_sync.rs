//! End to end in two real Chromium sessions (separate profiles) through the real relay: a
//! session link joins the workspace, and a comment made in one appears in the other.
#![cfg(not(target_arch = "wasm32"))]

mod support;

use support::{
    Harness,
    pages::{
        Agenda, Review, Start, all_texts, click, code, eventually, text, wait_for_service_worker,
    },
    screenshot, testid, wait_for,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_link_joins_and_comments_appear_in_the_other_browser() {
    let harness = Harness::start().await;
    let ada = harness.browser().await;
    let bea = harness.browser().await;

    let ada_shell = Start::demo_as(&ada, &harness.base_url, "Ada").await;
    eventually("Ada is up to date with the relay", || async {
        ada_shell.sync_state().await == "Up to date"
    })
    .await;
    // What the relay's storage has is remembered for the next connection.
    eventually("the relay's sync state is saved in IndexedDB", || async {
        let script = "const done = arguments[0]; const r = indexedDB.open('automerge'); \
            r.onsuccess = () => { const q = r.result.transaction('documents').objectStore('documents').getAllKeys(); \
            q.onsuccess = () => done(q.result.filter(k => k[1] === 'sync-state').length); q.onerror = () => done(-1); }; r.onerror = () => done(-1);";
        ada.execute_async(script, vec![]).await.unwrap().as_i64().unwrap_or(0) >= 1
    })
    .await;
    click(&ada, "share-toggle").await;
    let link = wait_for(&ada, &testid("share-link"))
        .await
        .prop("value")
        .await
        .unwrap()
        .unwrap();
    assert!(
        link.contains("#/w/automerge:") && link.contains("?relay=ws"),
        "{link}"
    );
    let qr = wait_for(&ada, "[data-testid=\"share-qr\"] path")
        .await
        .attr("d")
        .await
        .unwrap()
        .unwrap_or_default();
    assert!(qr.len() > 1000, "the QR code has modules");
    screenshot(&ada, "share").await;

    // Bea has never seen the workspace: the link fetches it from the relay.
    let bea_shell = Start::join_as(&bea, &harness.base_url, "Bea", &link).await;
    assert_eq!(bea_shell.workspace_name().await, "IOPA Governance");
    assert_eq!(
        text(&bea, &testid("session-utc")).await,
        "2025-12-20 14:00 UTC"
    );
    eventually("Bea is up to date", || async {
        bea_shell.sync_state().await == "Up to date"
    })
    .await;

    // Presence: each sees the other is here now.
    eventually("Ada sees Bea is here", || async {
        all_texts(&ada, &testid("here-now"))
            .await
            .iter()
            .any(|t| t.contains("Bea"))
    })
    .await;
    eventually("Bea sees Ada is here", || async {
        all_texts(&bea, &testid("here-now"))
            .await
            .iter()
            .any(|t| t.contains("Ada"))
    })
    .await;

    // Bea comments on the draft; Ada sees it live, within a second (timed in the pages: the
    // submit in Bea's, the comment on screen in Ada's; one machine, one clock).
    bea_shell.go("nav-coc", "coc-page").await;
    ada_shell.go("nav-coc", "coc-page").await;
    bea.execute(
        "document.addEventListener('submit', () => { window.__sent = performance.timeOrigin + performance.now(); }, true);",
        vec![],
    )
    .await
    .unwrap();
    ada.execute(
        r#"const body = arguments[0];
           const seen = () => [...document.querySelectorAll('[data-testid="comment-body"]')].some(e => e.textContent === body);
           const watch = new MutationObserver(() => {
             if (!window.__seen && seen()) { window.__seen = performance.timeOrigin + performance.now(); watch.disconnect(); }
           });
           watch.observe(document.body, { childList: true, subtree: true, characterData: true });"#,
        vec!["Bea was here: who keeps the written record?".into()],
    )
    .await
    .unwrap();
    Review { client: &bea }
        .comment(
            "Be open.",
            "Bea was here: who keeps the written record?",
            true,
        )
        .await;
    let ada_review = Review { client: &ada };
    eventually("Bea's comment appears for Ada", || async {
        ada_review
            .comment_bodies()
            .await
            .contains(&"Bea was here: who keeps the written record?".to_owned())
    })
    .await;
    let sent = bea
        .execute("return window.__sent", vec![])
        .await
        .unwrap()
        .as_f64()
        .unwrap();
    let seen = ada
        .execute("return window.__seen", vec![])
        .await
        .unwrap()
        .as_f64()
        .unwrap();
    println!(
        "Bea's comment on Ada's screen {:.0} ms after Bea sent it",
        seen - sent
    );
    assert!(
        seen - sent < 1000.0,
        "the comment took {:.0} ms to appear",
        seen - sent
    );
    // And back: Ada replies, Bea sees the reply.
    ada_review
        .in_thread(
            "Bea was here",
            "reply-input",
            "Ada: the facilitator, for now.",
            "reply-submit",
        )
        .await;
    let bea_review = Review { client: &bea };
    eventually("Ada's reply appears for Bea", || async {
        bea_review
            .comment_bodies()
            .await
            .contains(&"Ada: the facilitator, for now.".to_owned())
    })
    .await;
    screenshot(&bea, "sync-second-browser").await;

    // Outside a test's own network namespace the browsers have no UDP (see the harness): an
    // invitation offers no candidate, so nothing links over this machine's interfaces.
    click(&ada, "direct-toggle").await;
    click(&ada, "direct-invite").await;
    let invitation = code(&ada, "direct-invitation", "moot-offer:").await;
    let sdp = moot_sync::direct::Invitation::parse_offer(&invitation)
        .unwrap()
        .signal
        .sdp
        .unwrap();
    assert!(sdp.starts_with("v=0"), "{sdp}");
    assert!(!sdp.contains("a=candidate"), "{sdp}");
    assert!(all_texts(&ada, &testid("direct-status")).await.is_empty());

    // Bea has the link but is no member: how people become members is not hers to change.
    bea_shell.go("nav-members", "members-page").await;
    support::pages::click(&bea, "tiers-toggle").await;
    let tiers = all_texts(&bea, &testid("tier")).await;
    assert!(!tiers.is_empty() && tiers.iter().all(|t| !t.is_empty()));
    assert_eq!(
        all_texts(&bea, &testid("tier-members-only")).await.len(),
        tiers.len(),
        "{tiers:?}"
    );
    assert!(all_texts(&bea, ".tier-edit").await.is_empty());
    harness.close(ada).await;
    harness.close(bea).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_or_unknown_link_gets_a_clear_message() {
    let harness = Harness::start().await;
    let browser = harness.browser().await;
    let start = Start::open(&browser, &harness.base_url).await;
    start.set_name("Cy").await;
    browser
        .goto(&format!(
            "{}#/w/automerge:not-a-real-id/agenda?relay=ws%3A%2F%2F127.0.0.1%3A9%2Fsync",
            harness.base_url
        ))
        .await
        .unwrap();
    let failed = text(&browser, &testid("workspace-failed")).await;
    assert!(failed.contains("not a valid workspace id"), "{failed}");
    let known = browser
        .execute(
            "return localStorage.getItem('moot.workspaces') ?? ''",
            vec![],
        )
        .await
        .unwrap();
    assert!(
        !known.as_str().unwrap().contains("127.0.0.1:9"),
        "a link with a bad id records no relay: {known}"
    );
    let unknown = moot_sync::DocumentId::from_bytes([42; 16]);
    browser
        .goto(&format!(
            "{}#/w/{}/agenda",
            harness.base_url,
            unknown.to_url()
        ))
        .await
        .unwrap();
    let missing = text(&browser, &testid("workspace-missing")).await;
    assert!(
        missing.contains("relay does not have this workspace"),
        "{missing}"
    );
    harness.close(browser).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tabs_sync_through_a_broadcast_channel_with_the_relay_down() {
    let mut harness = Harness::start().await;
    let browser = harness.browser().await;
    let shell = Start::demo_as(&browser, &harness.base_url, "Ada").await;
    shell.wait_saved().await;
    wait_for_service_worker(&browser).await;
    let url = browser.current_url().await.unwrap().to_string();
    let first = browser.window().await.unwrap();

    harness.stop_relay().await;
    let second = browser.new_window(true).await.unwrap();
    browser.switch_to_window(second.handle).await.unwrap();
    browser.goto(&url).await.unwrap();
    wait_for(&browser, &testid("session")).await;
    eventually("the tabs see each other", || async {
        text(&browser, &testid("tab-count"))
            .await
            .contains("1 other tab")
    })
    .await;
    let agenda = support::pages::Agenda { client: &browser };
    agenda.add_item("From the second tab").await;

    browser.switch_to_window(first).await.unwrap();
    let agenda = support::pages::Agenda { client: &browser };
    eventually("the first tab shows the second tab's item", || async {
        agenda
            .agenda_titles()
            .await
            .contains(&"From the second tab".to_owned())
    })
    .await;
    assert_eq!(shell.sync_state().await, "Offline", "no relay was involved");
    harness.close(browser).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_browsers_edit_while_the_relay_is_down_and_converge_when_it_returns() {
    let mut harness = Harness::start().await;
    let ada = harness.browser().await;
    let bea = harness.browser().await;
    let ada_shell = Start::demo_as(&ada, &harness.base_url, "Ada").await;
    let link = ada_shell.share_link().await;
    let bea_shell = Start::join_as(&bea, &harness.base_url, "Bea", &link).await;
    eventually("Bea is up to date", || async {
        bea_shell.sync_state().await == "Up to date"
    })
    .await;

    harness.stop_relay().await;
    eventually("Ada sees the relay is gone", || async {
        ada_shell.sync_state().await != "Up to date"
    })
    .await;
    let ada_agenda = support::pages::Agenda { client: &ada };
    let bea_agenda = support::pages::Agenda { client: &bea };
    ada_agenda.add_item("Ada, offline").await;
    bea_agenda.add_item("Bea, offline").await;
    ada_shell.wait_saved().await;
    bea_shell.wait_saved().await;
    eventually("Ada sees her change waiting for the relay", || async {
        all_texts(&ada, &testid("unsynced"))
            .await
            .iter()
            .any(|t| t.contains("1 change not yet on the relay"))
    })
    .await;

    harness.restart_relay().await;
    for (who, agenda) in [("Ada", &ada_agenda), ("Bea", &bea_agenda)] {
        eventually(&format!("{who} has both offline items"), || async {
            let titles = agenda.agenda_titles().await;
            titles.contains(&"Ada, offline".to_owned())
                && titles.contains(&"Bea, offline".to_owned())
        })
        .await;
    }
    eventually("nothing waits for the relay any more", || async {
        all_texts(&ada, &testid("unsynced")).await.is_empty()
    })
    .await;
    screenshot(&ada, "sync-converged").await;
    harness.close(ada).await;
    harness.close(bea).await;
}

/// A link naming another relay for a workspace this device already syncs asks first (A1).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_link_never_moves_a_known_workspace_to_another_relay_without_asking() {
    let harness = Harness::start().await;
    let ada = harness.browser().await;
    let shell = Start::demo_as(&ada, &harness.base_url, "Ada").await;
    let link = shell.share_link().await;
    let ours = link.split("?relay=").nth(1).unwrap().to_owned();
    let id = link
        .split("#/w/")
        .nth(1)
        .unwrap()
        .split('?')
        .next()
        .unwrap()
        .to_owned();
    let elsewhere = "ws%3A%2F%2F127.0.0.1%3A9%2Fsync";
    let hostile = format!("{}#/w/{id}/agenda?relay={elsewhere}", harness.base_url);

    ada.goto(&hostile).await.unwrap();
    let offer = text(&ada, &testid("relay-offer")).await;
    assert!(offer.contains("ws://127.0.0.1:9/sync"), "{offer}");
    assert_eq!(
        shell.sync_state().await,
        "Up to date",
        "still on its own relay"
    );
    click(&ada, "relay-keep").await;
    eventually(
        "the question is gone and the address names no relay",
        || async {
            let url = ada.current_url().await.unwrap().to_string();
            all_texts(&ada, &testid("relay-offer")).await.is_empty() && !url.contains("relay=")
        },
    )
    .await;
    // Kept, also after a reload: Share still names the workspace's own relay.
    ada.refresh().await.unwrap();
    let again = shell.share_link().await;
    assert!(again.ends_with(&format!("?relay={ours}")), "{again}");
    click(&ada, "share-toggle").await;

    // Asked again, and this time the person agrees: the workspace moves.
    ada.goto(&hostile).await.unwrap();
    click(&ada, "relay-switch").await;
    eventually("the workspace syncs through the other relay", || async {
        shell.sync_state().await != "Up to date"
    })
    .await;
    click(&ada, "share-toggle").await;
    let moved = wait_for(&ada, &testid("share-link"))
        .await
        .prop("value")
        .await
        .unwrap()
        .unwrap();
    assert!(moved.ends_with(&format!("?relay={elsewhere}")), "{moved}");
    // Nothing listens on port 9: the browser reports the refused connections it was told to make.
    harness
        .close_allowing(ada, &["ws://127.0.0.1:9/sync"])
        .await;
}

/// A peer on the relay that sends whatever frames a test gives it (a native moot-sync client).
struct Scripted {
    ws: tokio_tungstenite::WebSocketStream<
        tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>,
    >,
    conn: moot_sync::Connection,
    relay: String,
}

impl Scripted {
    /// Joins the relay and opens workspace `id` on it.
    async fn join(relay_url: &str, id: moot_sync::DocumentId) -> Self {
        use futures::{SinkExt, StreamExt};
        let (mut ws, _) = tokio_tungstenite::connect_async(relay_url).await.unwrap();
        let (mut conn, join) =
            moot_sync::Connection::dial("scripted", moot_sync::PeerMetadata::default(), "s1");
        ws.send(join.into()).await.unwrap();
        let mut doc = automerge::AutoCommit::new();
        let mut asked = false;
        let deadline = tokio::time::Instant::now() + support::DEADLINE;
        loop {
            let frame = tokio::time::timeout_at(deadline, ws.next())
                .await
                .expect("the relay answers")
                .unwrap()
                .unwrap();
            let (out, events) = conn
                .receive(
                    &frame.into_data(),
                    &mut moot_sync::Single { id, doc: &mut doc },
                )
                .unwrap();
            for f in out {
                ws.send(f.into()).await.unwrap();
            }
            if !asked && conn.remote().is_some() {
                asked = true;
                for f in conn.request_document(id, &mut doc) {
                    ws.send(f.into()).await.unwrap();
                }
            }
            if events
                .iter()
                .any(|e| matches!(e, moot_sync::Event::DocumentChanged(_)))
            {
                let relay = conn.remote().unwrap().peer_id.clone();
                return Self { ws, conn, relay };
            }
        }
    }

    async fn ephemeral(&mut self, id: moot_sync::DocumentId, count: u64, data: Vec<u8>) {
        use futures::SinkExt;
        let frame = moot_sync::Message::Ephemeral {
            sender_id: "scripted".into(),
            target_id: self.relay.clone(),
            document_id: id,
            session_id: "s1".into(),
            count,
            data,
        }
        .encode();
        self.ws.send(frame.into()).await.unwrap();
    }
}

/// Audit A4: anyone on the relay could get a direct link to every open tab (16 at once, with
/// made-up page ids). Offers now wait for the person, one per sender, and take no link slot.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offers_through_the_relay_wait_for_the_person_one_per_sender() {
    let harness = Harness::start().await;
    let ada = harness.browser().await;
    let shell = Start::demo_as(&ada, &harness.base_url, "Ada").await;
    let link = shell.share_link().await;
    click(&ada, "share-toggle").await;
    let relay = link
        .split("?relay=")
        .nth(1)
        .unwrap()
        .replace("%3A", ":")
        .replace("%2F", "/");
    let id: moot_sync::DocumentId = link
        .split("#/w/automerge:")
        .nth(1)
        .unwrap()
        .split('?')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let mut evil = Scripted::join(&relay, id).await;
    for n in 0..16u64 {
        let offer = moot_sync::direct::Signal {
            kind: moot_sync::direct::SignalKind::Offer,
            from: format!("0000-forged-{n:02}"),
            to: None,
            name: format!("Mallory {n}"),
            sdp: Some("v=0\r\n".into()),
        };
        evil.ephemeral(id, n + 1, offer.encode()).await;
    }
    eventually("Ada is asked about one offer", || async {
        all_texts(&ada, &testid("direct-offer")).await.len() == 1
    })
    .await;
    let offers = all_texts(&ada, &testid("direct-offer")).await;
    assert!(offers[0].contains("Mallory"), "{offers:?}");
    assert!(
        all_texts(&ada, &testid("direct-link")).await.is_empty(),
        "no link was made without her"
    );
    // Declined: gone, and that sender's next offers are not shown.
    click(&ada, "direct-offer-decline").await;
    let again = moot_sync::direct::Signal {
        kind: moot_sync::direct::SignalKind::Offer,
        from: "0000-forged-again".into(),
        to: None,
        name: "Mallory again".into(),
        sdp: Some("v=0\r\n".into()),
    };
    evil.ephemeral(id, 100, again.encode()).await;
    // Ada's own invitation still works: no slot was taken.
    click(&ada, "direct-toggle").await;
    click(&ada, "direct-invite").await;
    code(&ada, "direct-invitation", "moot-offer:").await;
    assert!(all_texts(&ada, &testid("direct-offer")).await.is_empty());
    let _ = &evil.conn;
    harness.close(ada).await;
}

/// How many performance entries named `name` the page holds (the app's marks).
async fn marks(client: &fantoccini::Client, name: &str) -> u64 {
    client
        .execute(
            "return performance.getEntriesByName(arguments[0]).length",
            vec![name.into()],
        )
        .await
        .unwrap()
        .as_u64()
        .unwrap_or(0)
}

/// A view re-reads only the part of the workspace a change wrote to: a peer's edit of the
/// draft re-reads nothing of the agenda someone else has open; an agenda item does.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_peer_s_draft_edit_re_reads_no_agenda_and_an_agenda_edit_does() {
    let harness = Harness::start().await;
    let ada = harness.browser().await;
    let bea = harness.browser().await;
    let ada_shell = Start::demo_as(&ada, &harness.base_url, "Ada").await;
    ada_shell.until_up_to_date("Ada").await;
    let link = ada_shell.share_link().await;
    let bea_shell = Start::join_as(&bea, &harness.base_url, "Bea", &link).await;
    bea_shell.go("nav-agenda", "agenda-page").await;
    bea_shell.until_up_to_date("Bea").await;
    let (reads, arrived) = (
        marks(&bea, "moot:agenda-read").await,
        marks(&bea, "moot:remote-change").await,
    );
    assert!(reads > 0, "the agenda was read to be shown");

    ada_shell.go("nav-coc", "coc-page").await;
    let review = Review { client: &ada };
    let draft = review.draft().await;
    review.edit_draft(&format!("{draft} One more rule.")).await;
    ada_shell.until_up_to_date("Ada").await;
    eventually("Bea took Ada's edit of the draft", || async {
        marks(&bea, "moot:remote-change").await > arrived
    })
    .await;
    bea_shell.until_up_to_date("Bea").await;
    assert_eq!(
        marks(&bea, "moot:agenda-read").await,
        reads,
        "a draft edit re-read the agenda"
    );

    ada_shell.go("nav-agenda", "agenda-page").await;
    Agenda { client: &ada }.add_item("From Ada").await;
    let bea_agenda = Agenda { client: &bea };
    eventually("Bea sees Ada's agenda item", || async {
        bea_agenda
            .agenda_titles()
            .await
            .iter()
            .any(|t| t == "From Ada")
    })
    .await;
    assert!(marks(&bea, "moot:agenda-read").await > reads);
    harness.close(ada).await;
    harness.close(bea).await;
}
