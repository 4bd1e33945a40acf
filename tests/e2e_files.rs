//! End to end in two Chromium profiles: a workspace file carries changes when there is no
//! relay; an import merges, and a truncated file or another workspace's file is refused.
#![cfg(not(target_arch = "wasm32"))]

mod support;

use support::{
    Harness,
    pages::{Agenda, Start, click, eventually, text},
    screenshot, testid, wait_for,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn export_then_import_merges_offline_edits_and_refuses_bad_files() {
    let mut harness = Harness::start().await;
    let downloads = harness.scratch_dir("ada-downloads");
    let ada = harness.browser_downloading_to(&downloads).await;
    let bea = harness.browser().await;

    let ada_shell = Start::demo_as(&ada, &harness.base_url, "Ada").await;
    let link = ada_shell.share_link().await;
    Start::join_as(&bea, &harness.base_url, "Bea", &link).await;

    // No relay from here on: both edit apart.
    harness.stop_relay().await;
    Agenda { client: &ada }.add_item("Ada, sent by file").await;
    Agenda { client: &bea }.add_item("Bea, kept locally").await;
    ada_shell.wait_saved().await;

    click(&ada, "export").await;
    let exported = || support::downloaded(&downloads, "automerge");
    let in_progress = || {
        std::fs::read_dir(&downloads)
            .unwrap()
            .flatten()
            .any(|e| e.path().extension().is_some_and(|x| x == "crdownload"))
    };
    // Complete: no partial download left, and the file holds an automerge document.
    eventually("the export is downloaded", || async {
        !in_progress()
            && exported()
                .and_then(|p| std::fs::read(p).ok())
                .is_some_and(|b| b.len() > 4 && b.starts_with(&[0x85, 0x6f, 0x4a, 0x83]))
    })
    .await;
    let file = exported().unwrap();
    let bytes = std::fs::read(&file).unwrap();
    assert_eq!(&bytes[..4], &[0x85, 0x6f, 0x4a, 0x83], "an automerge file");

    // The same workspace as JSON, from Share.
    click(&ada, "export-json").await;
    let json = || {
        support::downloaded(&downloads, "json")
            .and_then(|p| std::fs::read_to_string(p).ok())
            .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
    };
    eventually("the JSON export is downloaded", || async {
        json().is_some()
    })
    .await;
    let json = json().unwrap();
    assert_eq!(json["name"], "IOPA Governance");
    assert!(json.to_string().contains("Ada, sent by file"));

    click(&bea, "share-toggle").await;
    let input = wait_for(&bea, &testid("import-file")).await;
    input.send_keys(file.to_str().unwrap()).await.unwrap();
    let notice = text(&bea, &testid("notice")).await;
    assert!(notice.contains("new change"), "{notice}");
    let agenda = Agenda { client: &bea };
    let titles = agenda.agenda_titles().await;
    assert!(
        titles.contains(&"Ada, sent by file".to_owned())
            && titles.contains(&"Bea, kept locally".to_owned()),
        "{titles:?}"
    );
    screenshot(&bea, "import").await;

    // A truncated file and another workspace's file are refused; nothing changes.
    let truncated = harness.scratch_dir("bad").join("truncated.automerge");
    std::fs::write(&truncated, &bytes[..bytes.len() / 2]).unwrap();
    wait_for(&bea, &testid("import-file"))
        .await
        .send_keys(truncated.to_str().unwrap())
        .await
        .unwrap();
    eventually("the truncated file is refused", || async {
        text(&bea, &testid("error"))
            .await
            .contains("not a complete moot workspace")
    })
    .await;
    let mut stranger = moot_model::Workspace::create(
        moot_model::Ctx::new("x", "2025-12-01T00:00:00Z"),
        "Another group",
        "X",
        1,
    )
    .unwrap();
    let other = harness.scratch_dir("bad").join("other.automerge");
    std::fs::write(&other, stranger.save()).unwrap();
    wait_for(&bea, &testid("import-file"))
        .await
        .send_keys(other.to_str().unwrap())
        .await
        .unwrap();
    eventually("another workspace's file is refused", || async {
        text(&bea, &testid("error"))
            .await
            .contains("another workspace")
    })
    .await;
    assert_eq!(
        agenda.agenda_titles().await,
        titles,
        "refused files change nothing"
    );
    harness.close(ada).await;
    harness.close(bea).await;
}
