//! End to end in real Chromium: the app served by the real relay shows the moot shell.
#![cfg(not(target_arch = "wasm32"))]

mod support;

use support::{
    DEADLINE, Harness, console_errors,
    pages::{Shell, Start},
    screenshot,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_shell_shows_workspace_navigation_and_status() {
    let harness = Harness::start().await;
    let browser = harness.browser().await;
    let start = Start::open(&browser, &harness.base_url).await;
    let shell = Shell { client: &browser };
    // The start page: no "moot moot" in the header, no "Offline" while the relay is up.
    assert_eq!(shell.workspace_name().await, "Workspaces");
    assert_eq!(shell.sync_state().await, "No workspace open");
    screenshot(&browser, "start").await;

    start.set_name("Ada").await;
    start.create("Test group").await;
    assert_eq!(shell.workspace_name().await, "Test group");
    assert_eq!(
        shell.nav_labels().await,
        [
            "Agenda",
            "Workstreams",
            "Code of Conduct",
            "Decisions",
            "Members",
            "History"
        ]
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
    harness.close(browser).await;
}

/// The console check every browser test ends with sees each kind of error the browser reports.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_console_check_sees_errors_exceptions_rejections_and_csp_violations() {
    let harness = Harness::start().await;
    let browser = harness.browser().await;
    Start::open(&browser, &harness.base_url).await;
    harness.check_console(&browser).await;
    let meta = browser
        .execute(
            "return document.querySelector('meta[http-equiv=\"Content-Security-Policy\"]')?.content ?? ''",
            vec![],
        )
        .await
        .unwrap();
    assert!(
        meta.as_str()
            .unwrap()
            .contains("connect-src 'self' ws: wss:"),
        "index.html carries the policy for static hosts: {meta}"
    );
    browser
        .execute(
            "console.error('probe: console error');
             setTimeout(() => { throw new Error('probe: uncaught'); });
             Promise.reject(new Error('probe: rejected'));
             document.body.setAttribute('style', 'outline: 1px solid red');
             fetch('http://example.invalid/').catch(() => {});",
            vec![],
        )
        .await
        .unwrap();
    let mut seen = Vec::new();
    // The last two are the CSP at work: no inline style, no connection to a web address.
    let kinds = [
        "probe: console error",
        "probe: uncaught",
        "probe: rejected",
        "Applying inline style violates",
        "Connecting to 'http://example.invalid/' violates",
    ];
    let start = std::time::Instant::now();
    while !kinds
        .iter()
        .all(|k| seen.iter().any(|e: &String| e.contains(k)))
    {
        assert!(
            start.elapsed() < DEADLINE,
            "the browser reported only {seen:?}"
        );
        seen.extend(console_errors(&browser).await);
    }
    assert_eq!(
        harness.unexpected(seen.clone(), &[]).len(),
        seen.len(),
        "none of them is excused: {seen:?}"
    );
    assert!(
        harness
            .unexpected(seen, &["probe:", "Content Security Policy"])
            .is_empty()
    );
    harness.close(browser).await;
}
