//! Search in real Chromium: `/` focuses it, results come as you type grouped by page with the
//! match marked, and a result opens its place (the page, the element shown and focused).
#![cfg(not(target_arch = "wasm32"))]

mod support;

use support::{
    Harness,
    pages::{Start, all_texts, eventually},
    screenshot, testid, wait_for,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn search_finds_words_on_every_page_and_opens_their_place() {
    let harness = Harness::start().await;
    let ada = harness.browser().await;
    let shell = Start::demo_as(&ada, &harness.base_url, "Ada").await;
    shell.go("nav-coc", "coc-page").await;

    // `/` outside a text field focuses the search.
    ada.execute(
        "document.activeElement && document.activeElement.blur()",
        vec![],
    )
    .await
    .unwrap();
    wait_for(&ada, "body").await.send_keys("/").await.unwrap();
    eventually("the search has the focus", || async {
        ada.execute(
            "return document.activeElement && document.activeElement.dataset.testid",
            vec![],
        )
        .await
        .unwrap()
            == "search-input"
    })
    .await;
    wait_for(&ada, &testid("search-input"))
        .await
        .send_keys("MEMBERSHIP")
        .await
        .unwrap();
    eventually("results from three pages", || async {
        let groups = all_texts(&ada, &testid("search-group")).await;
        ["Agenda & minutes", "Workstreams", "Code of Conduct"]
            .iter()
            .all(|g| groups.iter().any(|t| t.starts_with(g)))
    })
    .await;
    let marked = all_texts(&ada, "[data-testid=\"search-hit\"] mark").await;
    assert!(
        !marked.is_empty() && marked.iter().all(|m| m.eq_ignore_ascii_case("membership")),
        "{marked:?}"
    );
    screenshot(&ada, "search").await;

    // The agenda item "Membership" opens on the agenda page, its title focused.
    ada.execute(
        "[...document.querySelectorAll('[data-testid=\"search-hit\"]')].find(a => a.querySelector('.hit-snippet').textContent === 'Membership').click()",
        vec![],
    )
    .await
    .unwrap();
    wait_for(&ada, &testid("agenda-page")).await;
    eventually("the item's title is focused", || async {
        ada.execute(
            "const e = document.activeElement; return !!e && e.id.startsWith('title-') && e.value === 'Membership'",
            vec![],
        )
        .await
        .unwrap()
            == true
    })
    .await;
    assert!(
        all_texts(&ada, &testid("search-results")).await.is_empty(),
        "the results close once one is opened"
    );

    // Nothing found says so.
    wait_for(&ada, &testid("search-input"))
        .await
        .send_keys("zebra crossing")
        .await
        .unwrap();
    eventually("nothing found", || async {
        all_texts(&ada, &testid("search-none"))
            .await
            .iter()
            .any(|t| t == "Nothing found for “zebra crossing”")
    })
    .await;
    harness.close(ada).await;
}
