//! Accessibility in real Chromium: axe-core (the npm package, pinned in tests/interop) finds
//! no WCAG 2.1 A/AA violation on any page — the start page, every workspace page, and the
//! boxes that open over them (what's new, search results, Share, a decision's form, a
//! version's redline).
#![cfg(not(target_arch = "wasm32"))]

mod support;

use fantoccini::Client;
use support::{
    Harness,
    pages::{Start, click, eventually, fill},
    testid, wait_for,
};

fn axe_source() -> String {
    let dir = std::env::var_os("MOOT_INTEROP_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/interop"));
    let path = dir.join("node_modules/axe-core/axe.min.js");
    std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (cargo xtask test installs axe-core)",
            path.display()
        )
    })
}

/// axe's WCAG 2.1 A and AA violations on the page as it is now, one line each.
async fn violations(client: &Client, source: &str) -> Vec<String> {
    let defined = client
        .execute("return typeof window.axe === 'object'", vec![])
        .await
        .unwrap();
    if defined != true {
        client.execute(source, vec![]).await.unwrap();
    }
    let found = client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } })
                .then(r => done(r.violations.map(v => v.id + ': ' + v.help + ' — ' +
                    v.nodes.map(n => n.target.join(' ')).slice(0, 5).join(' | '))))
                .catch(e => done(['axe failed: ' + e]));",
            vec![],
        )
        .await
        .unwrap();
    found
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap_or_default().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn axe_finds_no_violations_on_any_page() {
    let harness = Harness::start().await;
    let ada = harness.browser().await;
    let source = axe_source();
    let mut report: Vec<(String, Vec<String>)> = Vec::new();

    let start = Start::open(&ada, &harness.base_url).await;
    report.push((
        "start page, no name yet".into(),
        violations(&ada, &source).await,
    ));
    start.set_name("Ada").await;
    report.push(("start page".into(), violations(&ada, &source).await));
    start.open_demo().await;

    for (nav, page) in [
        ("nav-agenda", "agenda-page"),
        ("nav-workstreams", "workstreams-page"),
        ("nav-coc", "coc-page"),
        ("nav-decisions", "decisions-page"),
        ("nav-members", "members-page"),
        ("nav-history", "history-page"),
    ] {
        click(&ada, nav).await;
        wait_for(&ada, &testid(page)).await;
        report.push((page.into(), violations(&ada, &source).await));
    }

    // The boxes that open over the pages.
    click(&ada, "news-toggle").await;
    wait_for(&ada, &testid("news-panel")).await;
    report.push(("what's new".into(), violations(&ada, &source).await));
    click(&ada, "news-toggle").await;
    fill(&ada, "search-input", "stewards").await;
    wait_for(&ada, &testid("search-hit")).await;
    report.push(("search results".into(), violations(&ada, &source).await));
    ada.execute(
        "const i = document.querySelector('[data-testid=\"search-input\"]'); i.value = ''; i.dispatchEvent(new Event('input'))",
        vec![],
    )
    .await
    .unwrap();
    click(&ada, "share-toggle").await;
    wait_for(&ada, &testid("share-link")).await;
    report.push(("share".into(), violations(&ada, &source).await));
    click(&ada, "share-toggle").await;

    // A decision open on the Decisions page, with its ballot form.
    click(&ada, "nav-decisions").await;
    wait_for(&ada, &testid("decisions-page")).await;
    fill(&ada, "decision-question", "Adopt the Code of Conduct v1").await;
    click(&ada, "decision-open").await;
    eventually("the decision shows", || async {
        ada.find(fantoccini::Locator::Css(&testid("decision")))
            .await
            .is_ok()
    })
    .await;
    report.push(("a decision".into(), violations(&ada, &source).await));

    // A named version compared with now (the redline).
    click(&ada, "nav-coc").await;
    wait_for(&ada, &testid("coc-page")).await;
    fill(&ada, "version-name", "Sent out").await;
    click(&ada, "version-save").await;
    wait_for(&ada, &testid("version-compare"))
        .await
        .click()
        .await
        .unwrap();
    wait_for(&ada, &testid("redline")).await;
    report.push((
        "versions and a redline".into(),
        violations(&ada, &source).await,
    ));

    let failing: Vec<String> = report
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(page, v)| format!("{page}:\n  {}", v.join("\n  ")))
        .collect();
    assert!(
        failing.is_empty(),
        "axe violations:\n{}",
        failing.join("\n")
    );
    harness.close(ada).await;
}
