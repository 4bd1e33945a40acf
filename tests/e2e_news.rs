//! What's new in real Chromium, two people on one relay: the navigation marks the pages the
//! other changed, the list holds what is for me (a reply in my thread, a mention in minutes),
//! an item opens its place and leaves the list, "mark all as seen" empties it, and all of it
//! survives a reload. My own acts and a first visit show nothing new.
#![cfg(not(target_arch = "wasm32"))]

mod support;

use support::{
    Harness,
    pages::{Agenda, Review, Start, all_texts, click, eventually},
    screenshot, testid, wait_for,
};

async fn count(client: &fantoccini::Client) -> String {
    all_texts(client, &testid("news-count"))
        .await
        .into_iter()
        .next()
        .unwrap_or_default()
}

async fn marked(client: &fantoccini::Client) -> Vec<String> {
    client
        .execute(
            "return [...document.querySelectorAll('[data-testid^=\"nav-new-\"]')].map(e => e.dataset.testid)",
            vec![],
        )
        .await
        .unwrap()
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn whats_new_marks_pages_lists_what_is_for_me_and_remembers_what_i_saw() {
    let harness = Harness::start().await;
    let ada = harness.browser().await;
    let shell = Start::demo_as(&ada, &harness.base_url, "Ada").await;
    shell.go("nav-coc", "coc-page").await;
    let review = Review { client: &ada };
    review
        .comment("Be open.", "Open to whom: members or everyone?", false)
        .await;
    shell.wait_saved().await;
    let link = shell.share_link().await;

    // Bea's first visit: nothing is new to her, not even the demo's words.
    let bea = harness.browser().await;
    let bea_shell = Start::join_as(&bea, &harness.base_url, "Bea", &link).await;
    wait_for(&bea, &testid("news-toggle")).await;
    assert_eq!(count(&bea).await, "");
    assert!(marked(&bea).await.is_empty());

    // Ada watches the agenda; Bea replies in Ada's thread and mentions her in minutes.
    shell.go("nav-agenda", "agenda-page").await;
    bea_shell.go("nav-coc", "coc-page").await;
    let bea_review = Review { client: &bea };
    bea_review
        .in_thread(
            "Open to whom",
            "reply-input",
            "Members first, then everyone.",
            "reply-submit",
        )
        .await;
    bea_shell.go("nav-agenda", "agenda-page").await;
    Agenda { client: &bea }
        .write_minutes_on_last("Action: @Ada drafts the membership wording.")
        .await;
    bea_shell.wait_saved().await;

    eventually("two items new for Ada", || async {
        count(&ada).await == "2"
    })
    .await;
    eventually(
        "the review page is marked, the agenda (in view) is not",
        || async { marked(&ada).await == ["nav-new-coc"] },
    )
    .await;
    click(&ada, "news-toggle").await;
    wait_for(&ada, &testid("news-panel")).await;
    let kinds: Vec<String> = ada
        .execute(
            "return [...document.querySelectorAll('[data-testid=\"news-item\"]')].map(e => e.dataset.kind)",
            vec![],
        )
        .await
        .unwrap()
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect();
    let mut sorted = kinds.clone();
    sorted.sort();
    assert_eq!(sorted, ["Mention", "Reply"], "{kinds:?}");
    let items = all_texts(&ada, &testid("news-item")).await;
    assert!(
        items
            .iter()
            .any(|t| t.contains("Bea replied on “Be open.”") && t.contains("Members first")),
        "{items:?}"
    );
    assert!(
        items
            .iter()
            .any(|t| t.contains("mentioned in the minutes") && t.contains("@Ada drafts")),
        "{items:?}"
    );
    screenshot(&ada, "news").await;

    // The reply opens its thread on the review page, and leaves the list.
    ada.execute(
        "[...document.querySelectorAll('[data-testid=\"news-item\"]')].find(e => e.dataset.kind === 'Reply').querySelector('a').click()",
        vec![],
    )
    .await
    .unwrap();
    wait_for(&ada, &testid("coc-page")).await;
    eventually("the thread is focused", || async {
        ada.execute(
            "const e = document.activeElement; return !!e && e.dataset.testid === 'thread' && e.textContent.includes('Members first')",
            vec![],
        )
        .await
        .unwrap()
            == true
    })
    .await;
    eventually("one item left, no page marked", || async {
        count(&ada).await == "1" && marked(&ada).await.is_empty()
    })
    .await;

    // Ada's own acts are not news to her.
    Review { client: &ada }
        .in_thread("Members first", "reply-input", "Agreed.", "reply-submit")
        .await;
    shell.wait_saved().await;

    // A reload remembers what Ada saw and what is still new.
    ada.refresh().await.unwrap();
    wait_for(&ada, &testid("coc-page")).await;
    eventually("still one item after a reload", || async {
        count(&ada).await == "1"
    })
    .await;
    assert!(marked(&ada).await.is_empty());
    click(&ada, "news-toggle").await;
    click(&ada, "news-seen").await;
    eventually("nothing new once marked seen", || async {
        count(&ada).await.is_empty()
            && all_texts(&ada, &testid("news-none")).await == ["Nothing new for you."]
    })
    .await;
    ada.refresh().await.unwrap();
    wait_for(&ada, &testid("news-toggle")).await;
    wait_for(&ada, &testid("coc-page")).await;
    // Bea sees Ada's reply as a reply in her thread: the list works both ways.
    eventually("Bea has one reply", || async { count(&bea).await == "1" }).await;
    assert_eq!(count(&ada).await, "");
    harness.close(bea).await;
    harness.close(ada).await;
}

async fn notified(client: &fantoccini::Client) -> u64 {
    client
        .execute(
            "return Number(document.querySelector('[data-testid=\"news\"]').dataset.notified)",
            vec![],
        )
        .await
        .unwrap()
        .as_u64()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_background_tab_notifies_once_the_person_allowed_it() {
    let harness = Harness::start().await;
    let ada = harness.browser_allowing_notifications().await;
    let shell = Start::demo_as(&ada, &harness.base_url, "Ada").await;
    shell.go("nav-coc", "coc-page").await;
    Review { client: &ada }
        .comment("Be open.", "Open to whom: members or everyone?", false)
        .await;
    let link = shell.share_link().await;
    let bea = harness.browser().await;
    let bea_shell = Start::join_as(&bea, &harness.base_url, "Bea", &link).await;
    bea_shell.go("nav-coc", "coc-page").await;
    let bea_review = Review { client: &bea };

    // Allowed already: the app does not ask.
    click(&ada, "news-toggle").await;
    wait_for(&ada, &testid("news-panel")).await;
    assert!(all_texts(&ada, &testid("news-notify")).await.is_empty());
    click(&ada, "news-toggle").await;
    assert_eq!(notified(&ada).await, 0);

    // In the background, a reply for Ada becomes a system notification.
    ada.minimize_window().await.unwrap();
    eventually("Ada's tab is in the background", || async {
        ada.execute("return document.hidden", vec![]).await.unwrap() == true
    })
    .await;
    bea_review
        .in_thread(
            "Open to whom",
            "reply-input",
            "Members first.",
            "reply-submit",
        )
        .await;
    eventually("one notification", || async { notified(&ada).await == 1 }).await;
    assert_eq!(count(&ada).await, "1");

    // In view, a new item shows in the list and makes no notification.
    ada.maximize_window().await.unwrap();
    eventually("Ada's tab is in view", || async {
        ada.execute("return document.hidden", vec![]).await.unwrap() == false
    })
    .await;
    bea_review
        .in_thread(
            "Open to whom",
            "reply-input",
            "Then everyone.",
            "reply-submit",
        )
        .await;
    eventually("two items", || async { count(&ada).await == "2" }).await;
    assert_eq!(notified(&ada).await, 1);
    harness.close(bea).await;
    harness.close(ada).await;
}
