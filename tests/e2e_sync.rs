//! End to end in two real Chromium sessions (separate profiles) through the real relay: a
//! session link joins the workspace, and a comment made in one appears in the other.
#![cfg(not(target_arch = "wasm32"))]

mod support;

use fantoccini::Locator;
use support::{
    Harness,
    pages::{Review, Shell, Start, click, eventually, text},
    screenshot, testid, wait_for,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_link_joins_and_comments_appear_in_the_other_browser() {
    let harness = Harness::start().await;
    let ada = harness.browser().await;
    let bea = harness.browser().await;

    let start = Start::open(&ada, &harness.base_url).await;
    start.set_name("Ada").await;
    start.open_demo().await;
    let ada_shell = Shell { client: &ada };
    eventually("Ada is up to date with the relay", || async { ada_shell.sync_state().await == "Up to date" }).await;
    click(&ada, "share-toggle").await;
    let link = wait_for(&ada, &testid("share-link")).await.prop("value").await.unwrap().unwrap();
    assert!(link.contains("#/w/automerge:") && link.contains("?relay=ws"), "{link}");

    // Bea has never seen the workspace: the link fetches it from the relay.
    let start = Start::open(&bea, &harness.base_url).await;
    start.set_name("Bea").await;
    bea.goto(&link).await.unwrap();
    wait_for(&bea, &testid("session")).await;
    let bea_shell = Shell { client: &bea };
    assert_eq!(bea_shell.workspace_name().await, "IOPA Governance");
    assert_eq!(text(&bea, &testid("session-utc")).await, "2025-12-20 14:00 UTC");
    eventually("Bea is up to date", || async { bea_shell.sync_state().await == "Up to date" }).await;

    // Bea comments on the draft; Ada sees it live.
    bea_shell.go("nav-coc", "coc-page").await;
    ada_shell.go("nav-coc", "coc-page").await;
    Review { client: &bea }.comment("Be open.", "Bea was here: who keeps the written record?", true).await;
    let ada_review = Review { client: &ada };
    eventually("Bea's comment appears for Ada", || async {
        ada_review.comment_bodies().await.contains(&"Bea was here: who keeps the written record?".to_owned())
    })
    .await;
    // And back: Ada replies, Bea sees the reply.
    let thread = ada.find(Locator::XPath("//li[@data-testid='thread'][.//span[contains(., 'Bea was here')]]")).await.unwrap();
    thread.find(Locator::Css(&testid("reply-input"))).await.unwrap().send_keys("Ada: the facilitator, for now.").await.unwrap();
    thread.find(Locator::Css(&testid("reply-submit"))).await.unwrap().click().await.unwrap();
    let bea_review = Review { client: &bea };
    eventually("Ada's reply appears for Bea", || async { bea_review.comment_bodies().await.contains(&"Ada: the facilitator, for now.".to_owned()) }).await;
    screenshot(&bea, "sync-second-browser").await;
    ada.close().await.unwrap();
    bea.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_or_unknown_link_gets_a_clear_message() {
    let harness = Harness::start().await;
    let browser = harness.browser().await;
    let start = Start::open(&browser, &harness.base_url).await;
    start.set_name("Cy").await;
    browser.goto(&format!("{}#/w/automerge:not-a-real-id/agenda", harness.base_url)).await.unwrap();
    let failed = text(&browser, &testid("workspace-failed")).await;
    assert!(failed.contains("not a valid workspace id"), "{failed}");
    let unknown = moot_sync::DocumentId::from_bytes([42; 16]);
    browser.goto(&format!("{}#/w/{}/agenda", harness.base_url, unknown.to_url())).await.unwrap();
    let missing = text(&browser, &testid("workspace-missing")).await;
    assert!(missing.contains("relay does not have this workspace"), "{missing}");
    browser.close().await.unwrap();
}
