//! Direct links (WebRTC) end to end, in two real Chromium sessions with separate profiles,
//! each test inside a network namespace it makes for itself (see `support::netns`).
#![cfg(not(target_arch = "wasm32"))]

#[path = "../crates/moot-relay/tests/support/sealed_client.rs"]
mod sealed_client;
mod support;

use fantoccini::Client;
use support::{
    Harness,
    pages::{
        Agenda, Review, Shell, Start, all_texts, click, code, eventually, fill, scan_qr, text,
        wait_for_service_worker,
    },
    screenshot, testid, wait_for,
};

async fn direct_status(client: &Client) -> String {
    all_texts(client, &testid("direct-status")).await.concat()
}

/// Ada invites (her panel open, a workspace open), Bea answers, Ada completes.
async fn link_by_codes(ada: &Client, bea: &Client) {
    click(ada, "direct-invite").await;
    let invitation = code(ada, "direct-invitation", "moot-offer:").await;
    wait_for(ada, "[data-testid=\"direct-qr\"] path").await;
    fill(bea, "direct-their-invitation", &invitation).await;
    click(bea, "direct-answer").await;
    let answer = code(bea, "direct-answer-code", "moot-answer:").await;
    fill(ada, "direct-their-answer", &answer).await;
    click(ada, "direct-complete").await;
    eventually("Ada is linked directly to Bea", || async {
        direct_status(ada).await.contains("Bea")
    })
    .await;
    eventually("Bea is linked directly to Ada", || async {
        direct_status(bea).await.contains("Ada")
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn codes_link_two_browsers_with_no_relay_and_they_converge_after_offline_edits() {
    if !support::netns::run_inside(
        "codes_link_two_browsers_with_no_relay_and_they_converge_after_offline_edits",
    ) {
        return;
    }
    let mut harness = Harness::start().await;
    let ada = harness.browser().await;
    let bea = harness.browser().await;
    // Both have the app (it was served once, and is cached); then there is no server at all.
    let ada_start = Start::open(&ada, &harness.base_url).await;
    ada_start.set_name("Ada").await;
    let bea_start = Start::open(&bea, &harness.base_url).await;
    bea_start.set_name("Bea").await;
    for browser in [&ada, &bea] {
        wait_for_service_worker(browser).await;
    }
    harness.stop_relay().await;

    ada_start.open_demo().await;
    let ada_shell = Shell { client: &ada };
    click(&ada, "direct-toggle").await;
    click(&bea, "direct-toggle").await;

    // Bad codes are refused with their reason, and nothing happens.
    fill(&bea, "direct-their-invitation", "hello there").await;
    click(&bea, "direct-answer").await;
    eventually("a pasted non-code is refused", || async {
        text(&bea, &testid("direct-error"))
            .await
            .contains("not a moot connection code")
    })
    .await;

    // ICE servers are checked before they are kept.
    click(&bea, "direct-ice-toggle").await;
    fill(&bea, "direct-ice", "http://example.org").await;
    click(&bea, "direct-ice-save").await;
    eventually("a non-STUN address is refused", || async {
        text(&bea, &testid("direct-error"))
            .await
            .contains("is not a STUN or TURN address")
    })
    .await;
    // A STUN server in the namespace that does not answer: the host candidates still link.
    fill(&bea, "direct-ice", "stun:10.203.0.2:3478").await;
    click(&bea, "direct-ice-save").await;
    eventually("a STUN address is kept", || async {
        all_texts(&bea, &testid("direct-error")).await.is_empty()
            && text(&bea, &testid("direct-ice-save")).await == "Saved"
    })
    .await;

    // Bea has never had the workspace: it arrives over the link. The codes go by QR code this
    // time: Bea's camera opens the link in Ada's invitation; Ada scans Bea's answer with her
    // phone, whose new tab hands it to the tab that made the invitation.
    click(&ada, "direct-invite").await;
    code(&ada, "direct-invitation", "moot-offer:").await;
    let invitation_link = scan_qr(&ada, &testid("direct-qr")).await;
    assert!(
        invitation_link.starts_with(&harness.base_url)
            && invitation_link.contains("#/connect/moot-offer:"),
        "{invitation_link}"
    );
    bea.goto(&invitation_link).await.unwrap();
    // A link's invitation is shown with what answering means, and answered only when asked.
    let incoming = text(&bea, &testid("direct-incoming")).await;
    assert!(
        incoming.contains("Answer only if you know who sent it"),
        "{incoming}"
    );
    assert!(
        all_texts(&bea, &testid("direct-answer-code"))
            .await
            .is_empty()
    );
    click(&bea, "direct-answer").await;
    code(&bea, "direct-answer-code", "moot-answer:").await;
    let answer_link = scan_qr(&bea, &testid("direct-qr")).await;
    assert!(
        answer_link.contains("#/connect/moot-answer:"),
        "{answer_link}"
    );
    let ada_tab = ada.window().await.unwrap();
    let phone_tab = ada.new_window(true).await.unwrap();
    ada.switch_to_window(phone_tab.handle).await.unwrap();
    ada.goto(&answer_link).await.unwrap();
    eventually("the new tab passes the answer on", || async {
        all_texts(&ada, &testid("notice"))
            .await
            .concat()
            .contains("went to the tab with your invitation")
    })
    .await;
    ada.close_window().await.unwrap();
    ada.switch_to_window(ada_tab).await.unwrap();
    eventually("Ada is linked directly to Bea", || async {
        direct_status(&ada).await.contains("Bea")
    })
    .await;
    wait_for(&bea, &testid("session")).await;
    let bea_shell = Shell { client: &bea };
    assert_eq!(bea_shell.workspace_name().await, "IOPA Governance");
    assert_eq!(ada_shell.sync_state().await, "Offline");
    screenshot(&ada, "direct-linked").await;

    // A comment each way.
    ada_shell.go("nav-coc", "coc-page").await;
    bea_shell.go("nav-coc", "coc-page").await;
    let (ada_review, bea_review) = (Review { client: &ada }, Review { client: &bea });
    ada_review
        .comment("Be open.", "Ada, directly: open to whom?", false)
        .await;
    eventually("Ada's comment reaches Bea directly", || async {
        bea_review
            .comment_bodies()
            .await
            .contains(&"Ada, directly: open to whom?".to_owned())
    })
    .await;
    bea_review
        .comment("Be open.", "Bea, directly: to every member.", false)
        .await;
    eventually("Bea's comment reaches Ada directly", || async {
        ada_review
            .comment_bodies()
            .await
            .contains(&"Bea, directly: to every member.".to_owned())
    })
    .await;

    // Bea goes offline (the link closes); both edit; a new invitation links them again.
    click(&bea, "direct-disconnect").await;
    eventually("neither is linked", || async {
        direct_status(&ada).await.is_empty() && direct_status(&bea).await.is_empty()
    })
    .await;
    ada_shell.go("nav-agenda", "agenda-page").await;
    bea_shell.go("nav-agenda", "agenda-page").await;
    let (ada_agenda, bea_agenda) = (Agenda { client: &ada }, Agenda { client: &bea });
    bea_agenda.add_item("Written while offline by Bea").await;
    ada_agenda.add_item("Written meanwhile by Ada").await;
    assert!(
        !ada_agenda
            .agenda_titles()
            .await
            .contains(&"Written while offline by Bea".to_owned()),
        "nothing travels while they are not linked"
    );
    link_by_codes(&ada, &bea).await;
    for (who, agenda) in [("Ada", &ada_agenda), ("Bea", &bea_agenda)] {
        eventually(&format!("{who} has both offline edits"), || async {
            let titles = agenda.agenda_titles().await;
            titles.contains(&"Written while offline by Bea".to_owned())
                && titles.contains(&"Written meanwhile by Ada".to_owned())
        })
        .await;
    }
    assert_eq!(
        ada_agenda.agenda_titles().await,
        bea_agenda.agenda_titles().await,
        "both converge on the same agenda"
    );
    harness.close(ada).await;
    harness.close(bea).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn peers_on_a_relay_link_directly_and_keep_syncing_when_it_stops() {
    if !support::netns::run_inside("peers_on_a_relay_link_directly_and_keep_syncing_when_it_stops")
    {
        return;
    }
    let mut harness = Harness::start().await;
    let ada = harness.browser().await;
    let bea = harness.browser().await;
    let ada_shell = Start::demo_as(&ada, &harness.base_url, "Ada").await;
    let link = ada_shell.share_link().await;
    click(&ada, "share-toggle").await;
    let bea_shell = Start::join_as(&bea, &harness.base_url, "Bea", &link).await;

    // The relay introduces them. Each is asked before its browser shows its addresses (the
    // one who would offer, then the one who would answer); both say yes, and they link.
    let asked = std::sync::atomic::AtomicUsize::new(0);
    eventually("both are asked, say yes, and they link directly", || {
        let (ada, bea, asked) = (&ada, &bea, &asked);
        async move {
            for browser in [ada, bea] {
                if !all_texts(browser, &testid("direct-offer")).await.is_empty() {
                    click(browser, "direct-offer-allow").await;
                    asked.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                }
            }
            direct_status(ada).await.contains("Bea")
        }
    })
    .await;
    let asked = asked.into_inner();
    assert!(asked >= 2, "each side was asked ({asked})");
    eventually("Ada is linked directly to Bea", || async {
        direct_status(&ada).await.contains("Bea")
    })
    .await;
    eventually("Bea is linked directly to Ada", || async {
        direct_status(&bea).await.contains("Ada")
    })
    .await;
    // Seen through the relay and directly, Bea is one person here.
    eventually("Ada sees Bea here once", || async {
        text(&ada, &testid("here-now"))
            .await
            .ends_with("1 other person here now: Bea")
    })
    .await;

    harness.stop_relay().await;
    eventually("Ada sees the relay gone", || async {
        ada_shell.sync_state().await != "Up to date"
    })
    .await;
    let (ada_agenda, bea_agenda) = (Agenda { client: &ada }, Agenda { client: &bea });
    ada_agenda.add_item("After the relay stopped: Ada").await;
    eventually("Ada's item reaches Bea directly", || async {
        bea_agenda
            .agenda_titles()
            .await
            .contains(&"After the relay stopped: Ada".to_owned())
    })
    .await;
    bea_agenda.add_item("After the relay stopped: Bea").await;
    eventually("Bea's item reaches Ada directly", || async {
        ada_agenda
            .agenda_titles()
            .await
            .contains(&"After the relay stopped: Bea".to_owned())
    })
    .await;
    assert!(direct_status(&bea).await.contains("Ada"));
    let _ = bea_shell;
    harness.close(ada).await;
    harness.close(bea).await;
}

/// Records, in the page, every byte its data channels send (to search them afterwards).
async fn record_data_channels(client: &Client) {
    client
        .execute(
            "if (!window.__moot_sent) {
                window.__moot_sent = [];
                const send = RTCDataChannel.prototype.send;
                RTCDataChannel.prototype.send = function (data) {
                    const view = data instanceof ArrayBuffer ? new Uint8Array(data)
                        : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
                    window.__moot_sent.push(view.slice());
                    return send.call(this, data);
                };
            }",
            vec![],
        )
        .await
        .unwrap();
}

/// How many bytes the page's data channels sent, and whether `needle` (as UTF-8) is in them.
async fn data_channels_sent(client: &Client, needle: &str) -> (u64, bool) {
    let found = client
        .execute(
            "const all = window.__moot_sent || [];
            const total = all.reduce((n, c) => n + c.length, 0);
            const joined = new Uint8Array(total);
            let at = 0;
            for (const c of all) { joined.set(c, at); at += c.length; }
            const has = needle => {
                outer: for (let i = 0; i + needle.length <= joined.length; i++) {
                    for (let j = 0; j < needle.length; j++) {
                        if (joined[i + j] !== needle[j]) continue outer;
                    }
                    return true;
                }
                return false;
            };
            // The search itself is checked: bytes taken from the middle of what was sent.
            const last = all[all.length - 1] || new Uint8Array();
            const probe = last.slice(last.length >> 1, (last.length >> 1) + 8);
            return [total, has(new TextEncoder().encode(arguments[0])), probe.length > 0 && has(probe)];",
            vec![needle.into()],
        )
        .await
        .unwrap();
    let found = found.as_array().unwrap();
    assert_eq!(
        found[2].as_bool(),
        Some(true),
        "the byte search finds what was sent"
    );
    (found[0].as_u64().unwrap(), found[1].as_bool().unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_private_workspace_edited_offline_converges_over_a_sealed_direct_link() {
    if !support::netns::run_inside(
        "a_private_workspace_edited_offline_converges_over_a_sealed_direct_link",
    ) {
        return;
    }
    const DRAFT: &str = "Stewards hold the keys; the members hold the stewards to account.";
    let mut harness = Harness::start().await;
    let ada = harness.browser().await;
    let bea = harness.browser().await;
    let edit_link = Start::private_with_draft(&ada, &harness.base_url, DRAFT).await;
    let ada_shell = Shell { client: &ada };
    let (ada_review, bea_review) = (Review { client: &ada }, Review { client: &bea });
    let bea_shell = Start::join_private(&bea, &harness.base_url, "Bea", &edit_link).await;
    bea_shell.go("nav-coc", "coc-page").await;
    eventually("Bea has the draft and is up to date", || async {
        bea_review.draft().await == DRAFT && bea_shell.sync_state().await == "Up to date"
    })
    .await;
    // Cy has the app (cached) and a comment link, but not the workspace yet.
    let comment_link = ada_shell.private_link("comment").await;
    let cy = harness.browser().await;
    Start::open(&cy, &harness.base_url)
        .await
        .set_name("Cy")
        .await;
    wait_for_service_worker(&cy).await;

    // The relay goes; each comments offline.
    harness.stop_relay().await;
    eventually("both see the relay gone", || async {
        ada_shell.sync_state().await != "Up to date" && bea_shell.sync_state().await != "Up to date"
    })
    .await;
    ada_review
        .comment("Stewards", "Sealed offline by Ada", false)
        .await;
    bea_review
        .comment("members", "Sealed offline by Bea", false)
        .await;
    assert!(
        !ada_review.has_comment("Sealed offline by Bea").await,
        "nothing travels while they are not linked"
    );

    // Bea has gone back to her workspaces (the workspace closed): answering opens the one
    // stored here, with its keys, before the link is made.
    wait_for(&bea, "a.brand").await.click().await.unwrap();
    wait_for(&bea, &testid("start-page")).await;

    // Linked by codes: the invitation says the workspace is private; what crosses is sealed.
    for browser in [&ada, &bea] {
        record_data_channels(browser).await;
        click(browser, "direct-toggle").await;
    }
    click(&ada, "direct-invite").await;
    let invitation = code(&ada, "direct-invitation", "moot-offer:").await;
    assert!(
        moot_sync::direct::Invitation::parse_offer(&invitation)
            .unwrap()
            .sealed,
        "a private workspace's invitation says so"
    );
    fill(&bea, "direct-their-invitation", &invitation).await;
    click(&bea, "direct-answer").await;
    let answer = code(&bea, "direct-answer-code", "moot-answer:").await;
    fill(&ada, "direct-their-answer", &answer).await;
    click(&ada, "direct-complete").await;
    eventually("they are linked directly", || async {
        direct_status(&ada).await.contains("Bea") && direct_status(&bea).await.contains("Ada")
    })
    .await;
    wait_for(&bea, &testid("agenda-page")).await;
    bea_shell.go("nav-coc", "coc-page").await;
    for (who, review) in [("Ada", &ada_review), ("Bea", &bea_review)] {
        eventually(&format!("{who} has both offline comments"), || async {
            review.has_comment("Sealed offline by Ada").await
                && review.has_comment("Sealed offline by Bea").await
        })
        .await;
    }
    // A comment made while linked goes over the link too.
    bea_review
        .comment("keys", "Sealed and linked: Bea", false)
        .await;
    eventually("Bea's linked comment reaches Ada", || async {
        ada_review.has_comment("Sealed and linked: Bea").await
    })
    .await;
    for (who, browser) in [("Ada", &ada), ("Bea", &bea)] {
        for words in [
            "Sealed offline by Ada",
            "Sealed offline by Bea",
            "Sealed and linked",
            "Stewards hold the keys",
            "Open Hardware Makers",
        ] {
            let (total, found) = data_channels_sent(browser, words).await;
            assert!(total > 0, "{who}'s data channel sent something");
            assert!(!found, "{who}'s data channel sent “{words}” in the clear");
        }
    }
    assert_eq!(
        ada_shell.sync_state().await,
        "Offline",
        "no relay was involved"
    );

    // Cy opens her link with no relay to fetch from, and gets the workspace from Bea over a
    // direct link, sealed: then she comments, and it reaches Ada through Bea.
    cy.goto(&comment_link).await.unwrap();
    wait_for(&cy, &testid("fetching")).await;
    record_data_channels(&cy).await;
    click(&cy, "direct-toggle").await;
    click(&bea, "direct-invite").await;
    let invitation = code(&bea, "direct-invitation", "moot-offer:").await;
    fill(&cy, "direct-their-invitation", &invitation).await;
    click(&cy, "direct-answer").await;
    eventually("Cy's answer is made (or refused)", || async {
        !all_texts(&cy, &testid("direct-answer-code"))
            .await
            .is_empty()
            || !all_texts(&cy, &testid("direct-error")).await.is_empty()
    })
    .await;
    assert_eq!(
        all_texts(&cy, &testid("direct-error")).await,
        Vec::<String>::new(),
        "Cy answers"
    );
    let answer = code(&cy, "direct-answer-code", "moot-answer:").await;
    fill(&bea, "direct-their-answer", &answer).await;
    click(&bea, "direct-complete").await;
    wait_for(&cy, &testid("agenda-page")).await;
    let cy_shell = Shell { client: &cy };
    assert_eq!(cy_shell.workspace_name().await, "Open Hardware Makers");
    cy_shell.go("nav-coc", "coc-page").await;
    let cy_review = Review { client: &cy };
    eventually("Cy has the draft and both offline comments", || async {
        cy_review.draft().await == DRAFT
            && cy_review.has_comment("Sealed offline by Ada").await
            && cy_review.has_comment("Sealed and linked: Bea").await
    })
    .await;
    cy_review
        .comment("hold", "Fetched without a relay: Cy", false)
        .await;
    eventually("Cy's comment reaches Ada through Bea", || async {
        ada_review.has_comment("Fetched without a relay: Cy").await
    })
    .await;
    for words in [
        "Sealed offline by Ada",
        "Fetched without a relay",
        "Stewards hold",
    ] {
        let (total, found) = data_channels_sent(&cy, words).await;
        assert!(total > 0, "Cy's data channel sent something");
        assert!(!found, "Cy's data channel sent “{words}” in the clear");
    }
    click(&cy, "direct-disconnect").await;
    eventually("Bea's link to Cy is gone", || async {
        !direct_status(&bea).await.contains("Cy")
    })
    .await;

    // The relay comes back (restarted, same disk): what crossed the link reaches it, sealed,
    // and a later comment goes through it with the link closed.
    click(&bea, "direct-disconnect").await;
    eventually("neither is linked", || async {
        direct_status(&ada).await.is_empty() && direct_status(&bea).await.is_empty()
    })
    .await;
    harness.restart_relay().await;
    ada_review
        .comment("account", "Through the relay again: Ada", false)
        .await;
    eventually("Ada's comment reaches Bea through the relay", || async {
        bea_review.has_comment("Through the relay again: Ada").await
    })
    .await;
    ada_shell.until_up_to_date("Ada").await;
    bea_shell.until_up_to_date("Bea").await;
    // Cy, who never reached the relay before, syncs through it now.
    eventually(
        "Ada's later comment reaches Cy through the relay",
        || async { cy_review.has_comment("Through the relay again: Ada").await },
    )
    .await;
    cy_shell.until_up_to_date("Cy").await;
    let stored = sealed_client::all_bytes(&harness.relay_data().join("sealed"));
    assert!(!stored.is_empty(), "the relay stored the workspace");
    for words in [
        "Sealed offline by",
        "Sealed and linked",
        "Through the relay again",
    ] {
        assert!(
            !stored.windows(words.len()).any(|w| w == words.as_bytes()),
            "the relay's disk holds “{words}”"
        );
    }
    harness.close(ada).await;
    harness.close(bea).await;
    harness.close(cy).await;
}
