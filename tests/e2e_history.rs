//! History and versions in real Chromium: name a version of the draft, edit, compare (the
//! redline shows the edit, summarised per section), download the version as Markdown,
//! restore it, and see the restore in History, filtered by person and page, opening places.
#![cfg(not(target_arch = "wasm32"))]

mod support;

use support::{
    Harness,
    pages::{Review, Start, all_texts, click, eventually, fill},
    testid, wait_for,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn name_edit_compare_restore_and_see_it_in_history() {
    let harness = Harness::start().await;
    let downloads = harness.scratch_dir("ada-downloads");
    let ada = harness.browser_downloading_to(&downloads).await;
    let shell = Start::demo_as(&ada, &harness.base_url, "Ada").await;
    shell.go("nav-coc", "coc-page").await;
    let review = Review { client: &ada };
    let original = review.draft().await;

    fill(&ada, "version-name", "Sent to members").await;
    click(&ada, "version-save").await;
    eventually("the version is listed", || async {
        all_texts(&ada, &testid("version-title")).await == ["Sent to members"]
    })
    .await;

    // An edit in section 3, then the redline against the version.
    let edited = original.replace("3. Be open.", "3. Be open and kind to newcomers.");
    assert_ne!(edited, original, "the demo draft has section 3");
    review.edit_draft(&edited).await;
    shell.wait_saved().await;
    click(&ada, "version-compare").await;
    wait_for(&ada, &testid("redline")).await;
    let inserted = all_texts(&ada, "[data-testid=\"redline\"] ins").await;
    assert_eq!(inserted, [" and kind to newcomers"], "{inserted:?}");
    assert!(
        all_texts(&ada, "[data-testid=\"redline\"] del")
            .await
            .is_empty()
    );
    let summary = all_texts(&ada, "[data-testid=\"redline-summary\"] li").await;
    assert_eq!(summary, ["Section 3: 22 characters added, 0 removed"]);

    // The version, as Markdown.
    click(&ada, "version-download").await;
    let md = || support::downloaded(&downloads, "md").and_then(|p| std::fs::read_to_string(p).ok());
    eventually("the Markdown file is downloaded", || async {
        md().is_some_and(|t| t.contains("3. Be open. Decisions"))
    })
    .await;
    assert!(
        md().unwrap()
            .starts_with("# Code of Conduct (draft)\n\nVersion “Sent to members”")
    );

    // Restore: the draft reads as it did, and nothing is left to compare.
    click(&ada, "version-restore").await;
    eventually("the draft is restored", || async {
        review.draft().await == original
    })
    .await;
    shell.wait_saved().await;
    click(&ada, "version-compare").await;
    eventually("no changes since the version", || async {
        all_texts(&ada, &testid("redline-summary")).await == ["No changes: the texts are the same."]
    })
    .await;

    // History: Ada's newest burst says what she did; the demo's people have theirs.
    shell.go("nav-history", "history-page").await;
    let first = wait_for(&ada, &testid("history-group")).await;
    let words = first.text().await.unwrap();
    assert!(words.starts_with("Ada"), "{words}");
    for said in [
        "restored a version of “Code of Conduct (draft)”",
        "edited “Code of Conduct (draft)”",
        "named a version",
    ] {
        assert!(words.contains(said), "{said} in {words}");
    }
    let who = all_texts(&ada, &testid("history-who")).await;
    assert!(
        who.iter().any(|w| w == "Anna") && who.iter().any(|w| w == "Andrew"),
        "{who:?}"
    );

    // Filters: only Ada; only the Members page.
    ada.execute(
        "const s = document.querySelector('[data-testid=\"history-person\"]'); s.value = [...s.options].find(o => o.text === 'Ada').value; s.dispatchEvent(new Event('change'))",
        vec![],
    )
    .await
    .unwrap();
    eventually("only Ada's groups", || async {
        let who = all_texts(&ada, &testid("history-who")).await;
        !who.is_empty() && who.iter().all(|w| w == "Ada")
    })
    .await;
    ada.execute(
        "const s = document.querySelector('[data-testid=\"history-person\"]'); s.value = ''; s.dispatchEvent(new Event('change')); const a = document.querySelector('[data-testid=\"history-area\"]'); a.value = 'members'; a.dispatchEvent(new Event('change'))",
        vec![],
    )
    .await
    .unwrap();
    eventually("only groups that touched Members", || async {
        let touches = all_texts(&ada, &testid("history-group")).await;
        !touches.is_empty()
            && touches.iter().all(|t| {
                t.contains("proposed")
                    || t.contains("endorsed")
                    || t.contains("roster")
                    || t.contains("tier")
                    || t.contains("self-certified")
                    || t.contains("objected")
            })
    })
    .await;

    // A place opens: back to all pages, the newest edit of the draft opens the draft.
    ada.execute(
        "const a = document.querySelector('[data-testid=\"history-area\"]'); a.value = ''; a.dispatchEvent(new Event('change'))",
        vec![],
    )
    .await
    .unwrap();
    ada.execute(
        "[...document.querySelectorAll('[data-testid=\"history-touch\"] a')].find(a => a.textContent.startsWith('restored a version')).click()",
        vec![],
    )
    .await
    .unwrap();
    wait_for(&ada, &testid("coc-page")).await;
    harness.close(ada).await;
}

async fn members(client: &fantoccini::Client) -> usize {
    all_texts(client, &testid("member")).await.len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_orphan_opens_on_its_own_version_and_the_roster_replays_at_a_moment() {
    let harness = Harness::start().await;
    let ada = harness.browser().await;
    let shell = Start::demo_as(&ada, &harness.base_url, "Ada").await;
    shell.go("nav-coc", "coc-page").await;
    let review = Review { client: &ada };
    review
        .comment(
            "Criticise ideas, not people.",
            "Also: not institutions?",
            false,
        )
        .await;
    let draft = review.draft().await;
    review
        .edit_draft(&draft.replace(" Criticise ideas, not people.", ""))
        .await;
    eventually("the thread is orphaned", || async {
        all_texts(&ada, &testid("thread-orphaned"))
            .await
            .iter()
            .any(|t| t.contains("Criticise ideas, not people."))
    })
    .await;
    review
        .click_in_thread("Also: not institutions?", "thread-origin-toggle")
        .await;
    eventually("the text it was made on, its passage marked", || async {
        all_texts(&ada, &testid("thread-origin-passage")).await == ["Criticise ideas, not people."]
    })
    .await;
    let origin = all_texts(&ada, &testid("thread-origin")).await;
    assert!(
        origin[0].contains("4. Disagree well. Criticise ideas"),
        "{origin:?}"
    );

    // The roster now, and as it was before anything was written.
    shell.go("nav-members", "members-page").await;
    eventually("members now", || async { members(&ada).await > 0 }).await;
    let now = members(&ada).await;
    let set = |v: &'static str| {
        ada.execute(
            "const i = document.querySelector('[data-testid=\"members-as-of\"]'); i.value = arguments[0]; i.dispatchEvent(new Event('change'))",
            vec![v.into()],
        )
    };
    set("2000-01-01T00:00").await.unwrap();
    eventually("nobody in 2000", || async {
        members(&ada).await == 0
            && !all_texts(&ada, &testid("members-as-of-note"))
                .await
                .is_empty()
    })
    .await;
    set("").await.unwrap();
    eventually("the members again", || async { members(&ada).await == now }).await;
    harness.close(ada).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn minutes_restore_from_history_and_a_version_shows_its_comments() {
    let harness = Harness::start().await;
    let downloads = harness.scratch_dir("ada-downloads");
    let ada = harness.browser_downloading_to(&downloads).await;
    let shell = Start::demo_as(&ada, &harness.base_url, "Ada").await;
    let agenda = support::pages::Agenda { client: &ada };
    agenda
        .write_minutes_on_last(" Ada: we agreed on two tiers.")
        .await;
    shell.wait_saved().await;
    let mine = agenda.minutes().await.last().cloned().unwrap();
    assert!(mine.ends_with("we agreed on two tiers."), "{mine}");
    let link = shell.share_link().await;

    // Bea rewrites those minutes.
    let bea = harness.browser().await;
    let bea_shell = Start::join_as(&bea, &harness.base_url, "Bea", &link).await;
    let bea_agenda = support::pages::Agenda { client: &bea };
    bea.execute(
        "const f = [...document.querySelectorAll('[data-testid=\"agenda-minutes\"]')].pop(); f.value = 'Nothing was agreed.'; f.dispatchEvent(new Event('input')); f.dispatchEvent(new Event('change')); f.blur();",
        vec![],
    )
    .await
    .unwrap();
    bea_shell.wait_saved().await;
    eventually("Ada sees Bea's minutes", || async {
        agenda.minutes().await.last().map(String::as_str) == Some("Nothing was agreed.")
    })
    .await;
    let _ = bea_agenda;

    // In History, Ada puts her minutes back as they were after her burst.
    shell.go("nav-history", "history-page").await;
    eventually("Bea's burst is listed first", || async {
        all_texts(&ada, &testid("history-who"))
            .await
            .first()
            .map(String::as_str)
            == Some("Bea")
    })
    .await;
    ada.execute(
        "const g = [...document.querySelectorAll('[data-testid=\"history-group\"]')].find(g => g.dataset.person && g.querySelector('[data-testid=\"history-who\"]').textContent === 'Ada'); g.querySelector('[data-testid=\"history-restore-minutes\"]').click();",
        vec![],
    )
    .await
    .unwrap();
    eventually("the restore is in History", || async {
        // Bea's burst and the restore may share a second: either may come first.
        all_texts(&ada, &testid("history-group"))
            .await
            .iter()
            .take(2)
            .any(|t| t.starts_with("Ada") && t.contains("restored the minutes of"))
    })
    .await;
    shell.go("nav-agenda", "agenda-page").await;
    eventually("Ada's minutes are back", || async {
        agenda.minutes().await.last() == Some(&mine)
    })
    .await;
    eventually("and Bea has them too", || async {
        bea_agenda_minutes(&bea).await.last() == Some(&mine)
    })
    .await;

    // A version shows the comments there were on it; every version downloads with its changes.
    shell.go("nav-coc", "coc-page").await;
    fill(&ada, "version-name", "With the demo's comments").await;
    click(&ada, "version-save").await;
    click(&ada, "version-view").await;
    eventually("the version's comments", || async {
        all_texts(&ada, &testid("version-thread"))
            .await
            .iter()
            .any(|t| t.contains("Who are the stewards"))
    })
    .await;
    click(&ada, "versions-download").await;
    let md = || std::fs::read_to_string(downloads.join("versions.md")).ok();
    eventually("every version as Markdown", || async {
        md().is_some_and(|t| {
            t.starts_with("# Code of Conduct (draft): its versions")
                && t.contains("## With the demo's comments (Ada, ")
        })
    })
    .await;
    harness.close(bea).await;
    harness.close(ada).await;
}

async fn bea_agenda_minutes(client: &fantoccini::Client) -> Vec<String> {
    support::pages::Agenda { client }.minutes().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_items_minutes_have_named_versions_that_restore() {
    let harness = Harness::start().await;
    let ada = harness.browser().await;
    let shell = Start::demo_as(&ada, &harness.base_url, "Ada").await;
    let agenda = support::pages::Agenda { client: &ada };
    agenda.write_minutes_on_last(" Read out: two tiers.").await;
    shell.wait_saved().await;
    let read_out = agenda.minutes().await.last().cloned().unwrap();
    ada.execute(
        "[...document.querySelectorAll('[data-testid=\"minutes-versions-toggle\"]')].pop().click()",
        vec![],
    )
    .await
    .unwrap();
    fill(&ada, "version-name", "As read out").await;
    click(&ada, "version-save").await;
    eventually("the minutes' version is listed", || async {
        all_texts(&ada, &testid("version-title")).await == ["As read out"]
    })
    .await;
    ada.execute(
        "const f = [...document.querySelectorAll('[data-testid=\"agenda-minutes\"]')].pop(); f.value = 'Rewritten.'; f.dispatchEvent(new Event('change'));",
        vec![],
    )
    .await
    .unwrap();
    shell.wait_saved().await;
    click(&ada, "version-compare").await;
    eventually("the redline shows the rewrite", || async {
        !all_texts(&ada, "[data-testid=\"redline\"] ins")
            .await
            .is_empty()
            && !all_texts(&ada, "[data-testid=\"redline\"] del")
                .await
                .is_empty()
    })
    .await;
    click(&ada, "version-restore").await;
    eventually("the minutes read as they were", || async {
        agenda.minutes().await.last() == Some(&read_out)
    })
    .await;
    harness.close(ada).await;
}
