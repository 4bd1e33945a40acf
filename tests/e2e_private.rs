//! A private workspace in real Chromium through the real relay: Ada creates it and shares a
//! comment link and a read link; Bea comments (and cannot edit the draft), Cyd reads (and can
//! neither comment nor edit); the relay's disk holds no readable word.
#![cfg(not(target_arch = "wasm32"))]

#[path = "../crates/moot-relay/tests/support/sealed_client.rs"]
mod sealed_client;
mod support;

use support::{
    Harness,
    pages::{Review, Shell, Start, click, eventually, fill, value},
    testid, wait_for,
};

const DRAFT: &str = "Stewards hold the keys; the members hold the stewards to account.";

async fn level(client: &fantoccini::Client) -> String {
    wait_for(client, &testid("level-note"))
        .await
        .attr("data-level")
        .await
        .unwrap()
        .unwrap_or_default()
}

/// The element with `data-testid=id`, shown or not.
async fn wait_for_present(client: &fantoccini::Client, id: &str) -> fantoccini::elements::Element {
    client
        .wait()
        .at_most(std::time::Duration::from_secs(20))
        .for_element(fantoccini::Locator::Css(&testid(id)))
        .await
        .unwrap_or_else(|e| panic!("no {id}: {e}"))
}

/// The relay's address (it serves the app too).
fn relay_addr(harness: &Harness) -> std::net::SocketAddr {
    harness
        .base_url
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .parse()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_link_does_what_it_says_and_the_relay_reads_nothing() {
    let harness = Harness::start().await;
    let ada = harness.browser().await;
    create_private(&ada, &harness.base_url).await;
    assert_eq!(level(&ada).await, "admin");
    let ada_shell = Shell { client: &ada };
    ada_shell.go("nav-coc", "coc-page").await;
    let ada_review = Review { client: &ada };
    ada_review.edit_draft(DRAFT).await;
    eventually("Ada is up to date with the relay", || async {
        ada_shell.sync_state().await == "Up to date"
    })
    .await;
    click(&ada, "share-toggle").await;
    let comment_link = value(&ada, "share-link-comment").await;
    let read_link = value(&ada, "share-link-read").await;
    assert!(
        comment_link.contains("#/p/") && comment_link.contains("?relay=ws"),
        "{comment_link}"
    );
    assert_ne!(comment_link, read_link);

    // Bea, with the comment link: comments, and the draft is not hers to edit.
    let bea = harness.browser().await;
    let bea_shell = Start::join_private(&bea, &harness.base_url, "Bea", &comment_link).await;
    assert_eq!(level(&bea).await, "comment");
    assert_eq!(bea_shell.workspace_name().await, "Open Hardware Makers");
    bea_shell.go("nav-coc", "coc-page").await;
    let bea_review = Review { client: &bea };
    eventually("Bea has the draft", || async {
        bea_review.draft().await == DRAFT
    })
    .await;
    let readonly = wait_for(&bea, &testid("draft-text"))
        .await
        .prop("readOnly")
        .await
        .unwrap();
    assert_eq!(readonly.as_deref(), Some("true"));
    bea_review
        .comment("Stewards", "Who appoints the stewards?", false)
        .await;
    // Forced past the read-only box, an edit is refused with the reason, and goes nowhere.
    bea_review.edit_draft("Bea rewrote it.").await;
    eventually("Bea is told why", || async {
        support::pages::text(&bea, &testid("error"))
            .await
            .contains("comment link")
    })
    .await;
    eventually("Bea is up to date", || async {
        bea_shell.sync_state().await == "Up to date"
    })
    .await;

    // Ada sees Bea's comment; her draft is as she wrote it.
    eventually("Ada sees Bea's comment", || async {
        ada_review
            .comment_bodies()
            .await
            .iter()
            .any(|b| b.contains("Who appoints"))
    })
    .await;
    assert_eq!(ada_review.draft().await, DRAFT);

    // Mallory, with the same comment link, writes a reply "by Ada" from a client of her own:
    // every peer takes it (a commenter may reply), and Ada's page says Ada did not write it.
    let mut mallory = sealed_client::join_link(relay_addr(&harness), &comment_link, 66).await;
    mallory
        .act(|ws, _| {
            let ada_id = ws
                .state()
                .unwrap()
                .people
                .into_values()
                .find(|p| p.name == "Ada")
                .unwrap()
                .id;
            let d = ws.documents().unwrap()[0].id.clone();
            let thread = ws.threads(&d).unwrap()[0].thread.id.clone();
            ws.reply(
                moot_model::Ctx::new(&ada_id, "2026-12-01T10:00:00Z"),
                &d,
                &thread,
                "Approved, signed Ada",
            )
            .unwrap();
        })
        .await;
    mallory.synced().await;
    eventually(
        "Ada's page marks the reply in her name as not hers",
        || async {
            ada_review
                .comment_bodies()
                .await
                .iter()
                .any(|b| b.contains("signed Ada"))
                && support::pages::all_texts(&ada, &testid("comment-forged"))
                    .await
                    .len()
                    == 1
        },
    )
    .await;

    // Cyd, with the read link: reads both, and can neither comment nor edit.
    let cyd = harness.browser().await;
    let cyd_shell = Start::join_private(&cyd, &harness.base_url, "Cyd", &read_link).await;
    assert_eq!(level(&cyd).await, "read");
    cyd_shell.go("nav-coc", "coc-page").await;
    let cyd_review = Review { client: &cyd };
    eventually("Cyd has the draft and the comment", || async {
        cyd_review.draft().await == DRAFT
            && cyd_review
                .comment_bodies()
                .await
                .iter()
                .any(|b| b.contains("Who appoints"))
    })
    .await;
    let readonly = wait_for(&cyd, &testid("draft-text"))
        .await
        .prop("readOnly")
        .await
        .unwrap();
    assert_eq!(readonly.as_deref(), Some("true"));
    cyd.execute(
        "const t = document.querySelector('[data-testid=\"draft-text\"]'); t.focus(); t.setSelectionRange(0, 8); t.dispatchEvent(new Event('select'));",
        vec![],
    )
    .await
    .unwrap();
    assert!(
        cyd.find(fantoccini::Locator::Css(&testid("comment-form")))
            .await
            .is_err(),
        "a read link offers no comment form"
    );

    // On the review page each level sees only the controls it may use: a commenter replies
    // but neither tags nor resolves; a reader does none of it; neither puts anything to a
    // decision.
    let count = |client: &'_ fantoccini::Client, id: &'static str| {
        let client = client.clone();
        async move {
            client
                .execute(
                    "return document.querySelectorAll(`[data-testid=\"${arguments[0]}\"]`).length",
                    vec![id.into()],
                )
                .await
                .unwrap()
                .as_u64()
                .unwrap()
        }
    };
    eventually("Bea's page lists the thread", || async {
        count(&bea, "thread").await > 0
    })
    .await;
    assert!(count(&bea, "reply-input").await > 0, "a commenter replies");
    for id in [
        "tag-input",
        "resolve-toggle",
        "thread-adopt",
        "coc-propose-decision",
    ] {
        assert_eq!(count(&bea, id).await, 0, "a commenter sees {id}");
    }
    assert!(count(&cyd, "thread").await > 0);
    for id in [
        "reply-input",
        "tag-input",
        "resolve-toggle",
        "thread-adopt",
        "coc-propose-decision",
    ] {
        assert_eq!(count(&cyd, id).await, 0, "a reader sees {id}");
    }

    // The other pages show a read or comment link no control that writes what it may not.
    for (who, client) in [("Bea (comment)", &bea), ("Cyd (read)", &cyd)] {
        Shell { client }.go("nav-agenda", "agenda-page").await;
        let found = client
            .find(fantoccini::Locator::Css(&testid("new-session-form")))
            .await;
        if let Ok(form) = found {
            assert!(
                !form.is_displayed().await.unwrap(),
                "{who} sees the new-session form"
            );
        }
    }
    Shell { client: &ada }.go("nav-agenda", "agenda-page").await;
    assert!(
        wait_for_present(&ada, "new-session-form")
            .await
            .is_displayed()
            .await
            .unwrap()
    );

    // The relay's disk: no word of the workspace, no name anywhere; and where it keeps
    // private workspaces, no automerge chunk (their magic bytes begin every document and
    // change, compressed or not). Elsewhere it keeps only its own health-probe document.
    let disk = sealed_client::all_bytes(&harness.relay_data());
    let sealed = sealed_client::all_bytes(&harness.relay_data().join("sealed"));
    assert!(sealed.len() > 1000, "the relay stored the workspace");
    assert!(
        !sealed.windows(4).any(|w| w == [0x85, 0x6f, 0x4a, 0x83]),
        "an automerge chunk in the clear"
    );
    sealed_client::assert_none_of(
        &[
            &b"Stewards"[..],
            b"Open Hardware",
            b"Ada",
            b"Bea",
            b"Who appoints",
        ],
        &disk,
        "the relay's disk",
    );
    harness.close(ada).await;
    harness.close(bea).await;
    harness.close(cyd).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tabs_sync_a_private_workspace_sealed_with_the_relay_down() {
    let mut harness = Harness::start().await;
    let browser = harness.browser().await;
    create_private(&browser, &harness.base_url).await;
    let shell = Shell { client: &browser };
    // Bea's device is enrolled through the relay (to be removed with it down, below).
    let edit_link = shell.private_link("edit").await;
    let bea = harness.browser().await;
    let bea_shell = Start::join_private(&bea, &harness.base_url, "Bea", &edit_link).await;
    bea_shell.until_up_to_date("Bea").await;
    shell.go("nav-members", "members-page").await;
    eventually("Ada's tab knows Bea's device", || async {
        support::pages::all_texts(&browser, &testid("device"))
            .await
            .len()
            == 2
    })
    .await;
    shell.go("nav-coc", "coc-page").await;
    eventually("up to date with the relay", || async {
        shell.sync_state().await == "Up to date"
    })
    .await;
    let url = browser.current_url().await.unwrap().to_string();
    let first = browser.window().await.unwrap();
    let second = browser.new_window(true).await.unwrap();
    browser
        .switch_to_window(second.handle.clone())
        .await
        .unwrap();
    browser.goto(&url).await.unwrap();
    wait_for(&browser, &testid("coc-page")).await;
    eventually("the tabs see each other", || async {
        support::pages::text(&browser, &testid("tab-count"))
            .await
            .contains("1 other tab")
    })
    .await;
    harness.stop_relay().await;
    let review = Review { client: &browser };
    review.edit_draft(DRAFT).await;

    browser.switch_to_window(first.clone()).await.unwrap();
    let review = Review { client: &browser };
    eventually("the first tab shows the second tab's edit", || async {
        review.draft().await == DRAFT
    })
    .await;
    assert_eq!(shell.sync_state().await, "Offline", "no relay was involved");
    // A removal in one tab is statements only (a removal and a rotation): the other tab takes
    // them over the BroadcastChannel too.
    browser
        .switch_to_window(second.handle.clone())
        .await
        .unwrap();
    shell.go("nav-members", "members-page").await;
    click(&browser, "device-remove").await;
    wait_for(&browser, &testid("device-removed")).await;
    browser.switch_to_window(first.clone()).await.unwrap();
    shell.go("nav-members", "members-page").await;
    eventually("the first tab shows the removal", || async {
        removed_devices(&browser).await == 1
    })
    .await;
    shell.go("nav-coc", "coc-page").await;
    // Reloaded with the relay still down: the workspace and its sealed log come back from
    // this device's storage.
    browser.refresh().await.unwrap();
    assert_eq!(level(&browser).await, "admin");
    eventually("the draft is back after the reload", || async {
        review.draft().await == DRAFT
    })
    .await;
    harness.close(browser).await;
    harness.close(bea).await;
}

/// Ada's browser creates a private workspace and opens it.
async fn create_private(client: &fantoccini::Client, base: &str) {
    let start = Start::open(client, base).await;
    start.set_name("Ada").await;
    start.create_private("Open Hardware Makers").await;
}

/// Ada's browser creates a private workspace with the draft set; its edit link.
/// A private workspace open with nothing to send keeps its relay connection: the relay closes
/// a connection silent for its idle timeout (pings do not count), and the app says it is here
/// more often than that — the sync status never drops to "Offline" while someone reads.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_private_workspace_keeps_its_relay_connection() {
    let harness = Harness::start_configured(|c| c.idle_timeout_secs = 6).await;
    let ada = harness.browser().await;
    create_with_draft(&ada, &harness.base_url).await;
    let shell = Shell { client: &ada };
    shell.until_up_to_date("Ada").await;
    // Every sync status shown from now on, and when watching began.
    ada.execute(
        r#"window.__states = []; window.__since = performance.now();
        const now = () => document.querySelector('[data-testid="sync-state"]')?.textContent;
        let last = now();
        new MutationObserver(() => { const s = now(); if (s !== last) { last = s; window.__states.push(s); } })
            .observe(document.body, { childList: true, subtree: true, characterData: true });"#,
        vec![],
    )
    .await
    .unwrap();
    // Idle for two of the relay's idle timeouts.
    eventually("twelve idle seconds", || async {
        ada.execute("return performance.now() - window.__since", vec![])
            .await
            .unwrap()
            .as_f64()
            .unwrap_or(0.0)
            > 12_500.0
    })
    .await;
    let states = ada.execute("return window.__states", vec![]).await.unwrap();
    assert_eq!(states, serde_json::json!([]), "the sync status changed");
    assert_eq!(shell.sync_state().await, "Up to date");
    harness.close(ada).await;
}

/// The sealed-log records the page's IndexedDB holds, of every workspace.
async fn stored_sealed_log(client: &fantoccini::Client) -> Vec<moot_trust::Record> {
    let script = "const done = arguments[0]; const r = indexedDB.open('automerge');
        r.onsuccess = () => { const q = r.result.transaction('documents').objectStore('documents').getAll();
        q.onsuccess = () => done(q.result.filter(x => x.key[1] === 'sealed-log')
            .map(x => Array.from(x.binary))); q.onerror = () => done([]); };
        r.onerror = () => done([]);";
    let value = client.execute_async(script, vec![]).await.unwrap();
    let mut records = Vec::new();
    for bytes in value.as_array().cloned().unwrap_or_default() {
        let bytes: Vec<u8> = bytes
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|b| b.as_u64())
                    .map(|b| b as u8)
                    .collect()
            })
            .unwrap_or_default();
        records.extend(moot_trust::Record::decode_all(&bytes, 1 << 26).0);
    }
    records
}

async fn create_with_draft(client: &fantoccini::Client, base: &str) -> String {
    Start::private_with_draft(client, base, DRAFT).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_devices_comment_offline_and_converge_when_the_relay_returns() {
    let mut harness = Harness::start().await;
    let ada = harness.browser().await;
    let bea = harness.browser().await;
    let edit_link = create_with_draft(&ada, &harness.base_url).await;
    let bea_shell = Start::join_private(&bea, &harness.base_url, "Bea", &edit_link).await;
    assert_eq!(level(&bea).await, "edit");
    bea_shell.go("nav-coc", "coc-page").await;
    let (ada_review, bea_review) = (Review { client: &ada }, Review { client: &bea });
    eventually("Bea has the draft", || async {
        bea_review.draft().await == DRAFT
    })
    .await;
    eventually("Bea is up to date", || async {
        bea_shell.sync_state().await == "Up to date"
    })
    .await;

    harness.stop_relay().await;
    let ada_shell = Shell { client: &ada };
    eventually("both see the relay is gone", || async {
        ada_shell.sync_state().await != "Up to date" && bea_shell.sync_state().await != "Up to date"
    })
    .await;
    ada_review.comment("Stewards", "Ada, offline", false).await;
    bea_review.comment("members", "Bea, offline", false).await;

    harness.restart_relay().await;
    for (who, review) in [("Ada", &ada_review), ("Bea", &bea_review)] {
        eventually(&format!("{who} has both offline comments"), || async {
            let bodies = review.comment_bodies().await;
            bodies.iter().any(|b| b == "Ada, offline") && bodies.iter().any(|b| b == "Bea, offline")
        })
        .await;
    }

    // An editor's client proposes itself and writes an endorsement "by Ada": Ada's Members
    // page shows it as not hers, and it is not counted.
    let mut mallory = sealed_client::join_link(relay_addr(&harness), &edit_link, 77).await;
    mallory
        .act(|ws, me| {
            let ada_id = ws
                .state()
                .unwrap()
                .people
                .into_values()
                .find(|p| p.name == "Ada")
                .unwrap()
                .id;
            ws.set_person_name(me, me.person, "Mallory").unwrap();
            let active = ws.tiers().unwrap()[2].id.clone();
            let candidate = moot_model::schema::Candidate {
                kind: moot_model::schema::CandidateKind::Individual,
                name: "Mallory".into(),
                size: None,
                person: Some(me.person.to_owned()),
            };
            let p = ws.propose(me, candidate, &active, "Trust me").unwrap();
            ws.endorse(
                moot_model::Ctx::new(&ada_id, "2026-12-01T10:00:00Z"),
                &p,
                "",
            )
            .unwrap();
        })
        .await;
    mallory.synced().await;
    ada_shell.go("nav-members", "members-page").await;
    eventually(
        "Ada's page shows the endorsement in her name as not hers",
        || async {
            support::pages::all_texts(&ada, &testid("act-forged"))
                .await
                .len()
                == 1
                && support::pages::text(&ada, &testid("proposal-status")).await == "pending"
        },
    )
    .await;
    harness.close(ada).await;
    harness.close(bea).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sealed_file_carries_offline_comments_and_no_word() {
    let mut harness = Harness::start().await;
    let downloads = harness.scratch_dir("ada-downloads");
    let ada = harness.browser_downloading_to(&downloads).await;
    let bea = harness.browser().await;
    let edit_link = create_with_draft(&ada, &harness.base_url).await;
    let bea_shell = Start::join_private(&bea, &harness.base_url, "Bea", &edit_link).await;
    bea_shell.go("nav-coc", "coc-page").await;
    let bea_review = Review { client: &bea };
    eventually("Bea has the draft", || async {
        bea_review.draft().await == DRAFT
    })
    .await;

    harness.stop_relay().await;
    let ada_review = Review { client: &ada };
    ada_review
        .comment("Stewards", "Sent by file, sealed", false)
        .await;
    click(&ada, "share-toggle").await;
    click(&ada, "export").await;
    let exported = || support::downloaded(&downloads, "moot");
    eventually("the sealed export is downloaded", || async {
        exported()
            .and_then(|p| std::fs::read(p).ok())
            .is_some_and(|b| b.starts_with(b"moot-sealed/1\n") && b.len() > 1000)
    })
    .await;
    let file = exported().unwrap();
    let bytes = std::fs::read(&file).unwrap();
    sealed_client::assert_none_of(
        &[
            &b"Stewards"[..],
            b"Sent by file",
            b"Ada",
            b"Open Hardware",
            &[0x85, 0x6f, 0x4a, 0x83],
        ],
        &bytes,
        "the sealed file",
    );

    click(&bea, "share-toggle").await;
    wait_for(&bea, &testid("import-file"))
        .await
        .send_keys(file.to_str().unwrap())
        .await
        .unwrap();
    eventually("Bea is told what arrived", || async {
        support::pages::text(&bea, &testid("notice"))
            .await
            .contains("a sealed snapshot of the workspace and")
    })
    .await;
    eventually("Bea has Ada's offline comment", || async {
        bea_review.has_comment("Sent by file, sealed").await
    })
    .await;
    harness.close(ada).await;
    harness.close(bea).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_removes_a_device_and_its_later_changes_go_nowhere() {
    let harness = Harness::start().await;
    let ada = harness.browser().await;
    let bea = harness.browser().await;
    let edit_link = create_with_draft(&ada, &harness.base_url).await;
    let bea_shell = Start::join_private(&bea, &harness.base_url, "Bea", &edit_link).await;
    bea_shell.go("nav-coc", "coc-page").await;
    let bea_review = Review { client: &bea };
    eventually("Bea has the draft", || async {
        bea_review.draft().await == DRAFT
    })
    .await;
    bea_review.comment("Stewards", "Bea, before", false).await;
    let ada_shell = Shell { client: &ada };
    let ada_review = Review { client: &ada };
    eventually("Ada has Bea's comment", || async {
        ada_review.has_comment("Bea, before").await
    })
    .await;

    ada_shell.go("nav-members", "members-page").await;
    eventually("Ada sees both devices", || async {
        support::pages::all_texts(&ada, &testid("device"))
            .await
            .len()
            == 2
    })
    .await;
    click(&ada, "device-remove").await;
    wait_for(&ada, &testid("device-removed")).await;
    eventually("Ada's removal is on the relay", || async {
        ada_shell.sync_state().await == "Up to date"
    })
    .await;

    // Bea writes on: her device refuses to sign for a workspace that removed it, or the relay
    // refuses it; either way she is told, and nobody gets it.
    bea_review.comment("members", "Bea, after", false).await;
    eventually("Bea is told", || async {
        support::pages::text(&bea, &testid("error"))
            .await
            .contains("removed")
            || bea
                .find(fantoccini::Locator::Css(&testid("relay-refused")))
                .await
                .is_ok()
    })
    .await;
    ada_shell.go("nav-coc", "coc-page").await;
    eventually("Ada is up to date", || async {
        ada_shell.sync_state().await == "Up to date"
    })
    .await;
    let bodies = ada_review.comment_bodies().await;
    assert!(bodies.contains(&"Bea, before".to_owned()), "{bodies:?}");
    assert!(!bodies.contains(&"Bea, after".to_owned()), "{bodies:?}");

    // The keys rotated with the removal: what Ada writes now reaches Bea's device sealed
    // under keys it never got. Bea is told, and never sees the words.
    ada_review
        .comment("Stewards", "Ada, after removal", false)
        .await;
    eventually("Ada's comment is on the relay", || async {
        ada_shell.sync_state().await == "Up to date"
    })
    .await;
    eventually("Bea is told some changes are sealed from her", || async {
        support::pages::text(&bea, &testid("unreadable"))
            .await
            .contains("keys this device does not hold")
    })
    .await;
    let bodies = bea_review.comment_bodies().await;
    assert!(bodies.contains(&"Bea, before".to_owned()), "{bodies:?}");
    assert!(
        !bodies.contains(&"Ada, after removal".to_owned()),
        "{bodies:?}"
    );

    // Ada's device keeps the rotated link: after a reload it still writes and reads.
    ada.refresh().await.expect("reload");
    let ada_shell = Shell { client: &ada };
    ada_shell.go("nav-coc", "coc-page").await;
    eventually("Ada reads her own comment after a reload", || async {
        ada_review.has_comment("Ada, after removal").await
    })
    .await;
    ada_review.comment("Stewards", "Ada, reloaded", false).await;
    eventually("Ada's second comment is on the relay", || async {
        ada_shell.sync_state().await == "Up to date"
    })
    .await;
    let errors = support::pages::all_texts(&ada, &testid("error")).await;
    assert!(
        errors.iter().all(|e| e.is_empty()),
        "Ada's device writes on after the rotation: {errors:?}"
    );

    // The link Ada shares now is of the new keys: a newcomer reads everything, old and new.
    let new_link = Shell { client: &ada }.private_link("edit").await;
    assert_ne!(new_link, edit_link, "the shared link follows the rotation");
    let cy = harness.browser().await;
    let cy_shell = Start::join_private(&cy, &harness.base_url, "Cy", &new_link).await;
    cy_shell.go("nav-coc", "coc-page").await;
    let cy_review = Review { client: &cy };
    eventually(
        "Cy reads what was written before and after the rotation",
        || async {
            let bodies = cy_review.comment_bodies().await;
            ["Bea, before", "Ada, after removal", "Ada, reloaded"]
                .iter()
                .all(|b| bodies.iter().any(|c| c == b))
        },
    )
    .await;
    harness.close(cy).await;
    harness.close(ada).await;
    harness.close(bea).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_device_paired_by_its_code_writes_as_its_person() {
    let harness = Harness::start().await;
    let laptop = harness.browser().await;
    let phone = harness.browser().await;
    create_with_draft(&laptop, &harness.base_url).await;
    let laptop_shell = Shell { client: &laptop };
    laptop_shell.go("nav-members", "members-page").await;
    let pairing = value(&laptop, "pairing-link").await;
    assert!(
        pairing.contains("#/p/") && pairing.contains("as=key-"),
        "{pairing}"
    );

    // The phone opens the pairing link and shows its code.
    let phone_shell = Start::join_private(&phone, &harness.base_url, "Ada", &pairing).await;
    phone_shell.go("nav-members", "members-page").await;
    let code = support::pages::text(&phone, &testid("device-code")).await;
    assert!(code.len() > 40, "{code}");

    // Before the laptop adds it, what the phone writes in Ada's name is not hers.
    phone_shell.go("nav-coc", "coc-page").await;
    let phone_review = Review { client: &phone };
    eventually("the phone has the draft", || async {
        phone_review.draft().await == DRAFT
    })
    .await;
    phone_review
        .comment("Stewards", "From my phone", false)
        .await;
    let laptop_review = Review { client: &laptop };
    laptop_shell.go("nav-coc", "coc-page").await;
    eventually("the laptop marks it as not Ada's yet", || async {
        support::pages::all_texts(&laptop, &testid("comment-forged"))
            .await
            .len()
            == 1
    })
    .await;

    // The laptop adds the phone by its code: the same comment is Ada's now.
    laptop_shell.go("nav-members", "members-page").await;
    fill(&laptop, "device-code-input", &code).await;
    click(&laptop, "device-add").await;
    eventually("the laptop lists two devices", || async {
        support::pages::all_texts(&laptop, &testid("my-device"))
            .await
            .len()
            == 2
    })
    .await;
    laptop_shell.go("nav-coc", "coc-page").await;
    eventually("the phone's comment counts as Ada's", || async {
        laptop_review.has_comment("From my phone").await
            && support::pages::all_texts(&laptop, &testid("comment-forged"))
                .await
                .is_empty()
    })
    .await;
    harness.close(laptop).await;
    harness.close(phone).await;
}

/// A lower link opened on a device that holds a higher one keeps the higher (the admin who
/// clicks her own comment link stays admin).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lower_link_never_replaces_a_higher_one_on_this_device() {
    let harness = Harness::start().await;
    let ada = harness.browser().await;
    create_private(&ada, &harness.base_url).await;
    assert_eq!(level(&ada).await, "admin");
    let shell = Shell { client: &ada };
    eventually("Ada is up to date with the relay", || async {
        shell.sync_state().await == "Up to date"
    })
    .await;
    click(&ada, "share-toggle").await;
    let comment_link = value(&ada, "share-link-comment").await;
    click(&ada, "share-toggle").await;
    ada.goto(&comment_link).await.unwrap();
    wait_for(&ada, &testid("agenda-page")).await;
    assert_eq!(
        level(&ada).await,
        "admin",
        "the comment link did not lower Ada"
    );
    // The link's secret leaves the address bar once it is opened.
    eventually("the address is the workspace's, not the link", || async {
        let hash = ada.execute("return location.hash", vec![]).await.unwrap();
        hash.as_str()
            .is_some_and(|h| h.starts_with("#/w/") && !h.contains("#/p/"))
    })
    .await;
    // And after a reload, from this device's storage.
    ada.refresh().await.unwrap();
    wait_for(&ada, &testid("agenda-page")).await;
    assert_eq!(level(&ada).await, "admin");
    harness.close(ada).await;
}

/// Clicks "Remove" beside the device whose code (as its own Members page shows it) is
/// `device`, on the open Members page.
async fn remove_device(client: &fantoccini::Client, device: &str) {
    let script = "const li = [...document.querySelectorAll('[data-testid=device]')]
            .find(l => l.dataset.device === arguments[0]);
        const button = li && li.querySelector('[data-testid=device-remove]');
        if (button) { button.click(); return true; }
        return false;";
    eventually(&format!("device {device} can be removed"), || async {
        client
            .execute(script, vec![device.into()])
            .await
            .unwrap()
            .as_bool()
            == Some(true)
    })
    .await;
}

/// How many devices the open Members page shows removed.
async fn removed_devices(client: &fantoccini::Client) -> usize {
    support::pages::all_texts(client, &testid("device-removed"))
        .await
        .len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_admins_remove_two_devices_offline_and_neither_reads_what_comes_after() {
    let mut harness = Harness::start().await;
    let ada = harness.browser().await;
    let amir = harness.browser().await;
    let bea = harness.browser().await;
    let cy = harness.browser().await;
    let edit_link = create_with_draft(&ada, &harness.base_url).await;
    let admin_link = Shell { client: &ada }.private_link("admin").await;
    let amir_shell = Start::join_private(&amir, &harness.base_url, "Amir", &admin_link).await;
    assert_eq!(level(&amir).await, "admin");
    let bea_shell = Start::join_private(&bea, &harness.base_url, "Bea", &edit_link).await;
    let cy_shell = Start::join_private(&cy, &harness.base_url, "Cy", &edit_link).await;
    let ada_shell = Shell { client: &ada };
    let mut removed = Vec::new();
    for shell in [&bea_shell, &cy_shell] {
        shell.go("nav-members", "members-page").await;
        let code = support::pages::text(shell.client, &testid("device-code")).await;
        assert!(!code.is_empty());
        removed.push(code);
        shell.go("nav-coc", "coc-page").await;
    }
    for (client, shell) in [(&ada, &ada_shell), (&amir, &amir_shell)] {
        shell.go("nav-members", "members-page").await;
        eventually("each admin sees all four devices", || async {
            support::pages::all_texts(client, &testid("device"))
                .await
                .len()
                == 4
                && shell.sync_state().await == "Up to date"
        })
        .await;
    }

    // With the relay down, neither hearing of the other: Ada removes Bea, Amir removes Cy.
    // Each rotation keeps the device the other removed.
    harness.stop_relay().await;
    eventually("the admins see the relay gone", || async {
        ada_shell.sync_state().await != "Up to date"
            && amir_shell.sync_state().await != "Up to date"
    })
    .await;
    remove_device(&ada, &removed[0]).await;
    remove_device(&amir, &removed[1]).await;
    for client in [&ada, &amir] {
        eventually("one removal each", || async {
            removed_devices(client).await == 1
        })
        .await;
    }

    // Back online, each admin device hears of the other's removal and rotates again, so what
    // Ada writes next reaches neither removed device readable.
    harness.restart_relay().await;
    for client in [&ada, &amir] {
        eventually("each admin knows both removals", || async {
            removed_devices(client).await == 2
        })
        .await;
    }
    eventually("Ada is up to date", || async {
        ada_shell.sync_state().await == "Up to date"
    })
    .await;
    ada_shell.go("nav-coc", "coc-page").await;
    let ada_review = Review { client: &ada };
    ada_review
        .comment("Stewards", "Ada, after both removals", false)
        .await;
    eventually("Ada's comment is on the relay", || async {
        ada_shell.sync_state().await == "Up to date"
    })
    .await;
    amir_shell.go("nav-coc", "coc-page").await;
    let amir_review = Review { client: &amir };
    eventually("Amir (an admin) reads it", || async {
        amir_review.has_comment("Ada, after both removals").await
    })
    .await;
    for (who, client) in [("Bea", &bea), ("Cy", &cy)] {
        eventually(
            &format!("{who} is told some changes are sealed from her"),
            || async {
                support::pages::text(client, &testid("unreadable"))
                    .await
                    .contains("keys this device does not hold")
            },
        )
        .await;
        assert!(
            !Review { client }
                .has_comment("Ada, after both removals")
                .await,
            "{who} reads what was written after her removal"
        );
    }
    let errors = support::pages::all_texts(&ada, &testid("error")).await;
    assert!(errors.iter().all(|e| e.is_empty()), "{errors:?}");
    for client in [ada, amir, bea, cy] {
        harness.close(client).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_thousand_changes_the_admin_s_snapshot_compacts_the_relay_and_a_newcomer_opens_it()
{
    let harness = Harness::start().await;
    let ada = harness.browser().await;
    create_with_draft(&ada, &harness.base_url).await;
    let ada_shell = Shell { client: &ada };
    let read_link = ada_shell.private_link("read").await;
    // A long session: 1,100 edits of the draft, a change each (a snapshot every 1,000).
    ada.execute_async(
        r#"const [base, done] = arguments;
        (async () => {
            const t = document.querySelector('[data-testid="draft-text"]');
            for (let i = 1; i <= 1100; i++) {
                t.value = base + ' ' + i;
                t.dispatchEvent(new Event('change'));
                if (i % 25 === 0) await new Promise(r => setTimeout(r, 0));
            }
            done();
        })();"#,
        vec![DRAFT.into()],
    )
    .await
    .unwrap();
    let last = format!("{DRAFT} 1100");
    let ada_review = Review { client: &ada };
    assert_eq!(ada_review.draft().await, last);
    ada_shell.until_up_to_date("Ada").await;

    // The relay took Ada's snapshot and, she being an admin, dropped what it covers.
    let on_disk = || {
        let bytes = sealed_client::all_bytes(&harness.relay_data().join("sealed"));
        let records = moot_trust::Record::decode_all(&bytes, 1 << 26).0;
        let count = |f: fn(&moot_trust::Record) -> bool| records.iter().filter(|r| f(r)).count();
        (
            count(|r| matches!(r, moot_trust::Record::Envelope(_))),
            count(|r| matches!(r, moot_trust::Record::Snapshot(_))),
        )
    };
    eventually("the relay compacted under Ada's snapshot", || async {
        let (envelopes, snapshots) = on_disk();
        snapshots == 1 && envelopes < 1000
    })
    .await;
    // And Ada's own device, once the relay acknowledged holding it all, keeps her snapshot
    // and what came after it, not an envelope per keystroke.
    let kept = || async {
        let records = stored_sealed_log(&ada).await;
        let count = |f: fn(&moot_trust::Record) -> bool| records.iter().filter(|r| f(r)).count();
        (
            count(|r| matches!(r, moot_trust::Record::Envelope(_))),
            count(|r| matches!(r, moot_trust::Record::Snapshot(_))),
        )
    };
    eventually("Ada's stored sealed log is compacted", || async {
        let (envelopes, snapshots) = kept().await;
        snapshots >= 1 && envelopes < 200
    })
    .await;

    // From that store the page opens again, and writes on.
    ada.refresh().await.unwrap();
    ada_shell.go("nav-coc", "coc-page").await;
    eventually("Ada's draft after a reload", || async {
        ada_review.draft().await == last
    })
    .await;
    let last = format!("{last}, reloaded");
    ada.execute(
        r#"const t = document.querySelector('[data-testid="draft-text"]');
        t.value = arguments[0]; t.dispatchEvent(new Event('change'));"#,
        vec![last.clone().into()],
    )
    .await
    .unwrap();
    ada_shell.until_up_to_date("Ada").await;

    // A newcomer opens it from the snapshot and what came after.
    let bea = harness.browser().await;
    let bea_shell = Start::join_private(&bea, &harness.base_url, "Bea", &read_link).await;
    bea_shell.go("nav-coc", "coc-page").await;
    let bea_review = Review { client: &bea };
    eventually("Bea has Ada's last edit", || async {
        bea_review.draft().await == last
    })
    .await;
    bea_shell.until_up_to_date("Bea").await;
    harness.close(ada).await;
    harness.close(bea).await;
}
