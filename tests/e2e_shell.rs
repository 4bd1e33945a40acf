//! End to end in real Chromium: the app served by the real relay shows the moot shell.
#![cfg(not(target_arch = "wasm32"))]

mod support;

use support::{Harness, pages::Shell, screenshot};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_shell_shows_workspace_navigation_and_sync_status() {
    let harness = Harness::start().await;
    let browser = harness.browser().await;
    let shell = Shell::open(&browser, &harness.base_url).await;

    assert_eq!(shell.workspace_name().await, "IOPA Governance");
    assert_eq!(shell.nav_labels().await, ["Agenda", "Code of Conduct", "Members"]);
    assert_eq!(shell.sync_state().await, "Offline");
    assert_eq!(shell.current_nav().await, "Agenda");
    screenshot(&browser, "shell-agenda").await;

    assert_eq!(shell.go("nav-coc", "coc-page").await, "Code of Conduct");
    assert_eq!(shell.current_nav().await, "Code of Conduct");
    assert_eq!(shell.go("nav-members", "members-page").await, "Members");
    assert_eq!(browser.current_url().await.unwrap().fragment(), Some("/members"));
    screenshot(&browser, "shell-members").await;

    browser.close().await.unwrap();
}
