//! End to end in real Chromium: the app served by the real relay shows the moot shell.
#![cfg(not(target_arch = "wasm32"))]

mod support;

use support::{
    Harness,
    pages::{Shell, Start},
    screenshot,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_shell_shows_workspace_navigation_and_status() {
    let harness = Harness::start().await;
    let browser = harness.browser().await;
    let start = Start::open(&browser, &harness.base_url).await;
    let shell = Shell { client: &browser };
    assert_eq!(shell.workspace_name().await, "moot");
    assert_eq!(shell.sync_state().await, "Offline");
    screenshot(&browser, "start").await;

    start.set_name("Ada").await;
    start.create("Test group").await;
    assert_eq!(shell.workspace_name().await, "Test group");
    assert_eq!(
        shell.nav_labels().await,
        ["Agenda", "Workstreams", "Code of Conduct", "Members"]
    );
    assert_eq!(shell.current_nav().await, "Agenda");
    shell.wait_saved().await;

    assert_eq!(
        shell.go("nav-coc", "coc-page").await,
        "Code of Conduct (draft)"
    );
    assert_eq!(shell.current_nav().await, "Code of Conduct");
    assert_eq!(shell.go("nav-members", "members-page").await, "Members");
    assert!(
        browser
            .current_url()
            .await
            .unwrap()
            .fragment()
            .unwrap()
            .ends_with("/members")
    );
    browser.close().await.unwrap();
}
