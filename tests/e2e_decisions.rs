//! Decisions end to end, in real Chromium profiles through the real relay: two members vote
//! while the relay is down, one changes her ballot offline while the chair closes, and after
//! sync both show the same outcome with the offline change marked late; the outcome's words,
//! an action point from it, and the downloaded minutes carrying the resolution; a delegated
//! vote with its chain on both pages; ballots hidden until the chair closes; the draft and a
//! thread's wording put to decisions (ranked choice) that record their version; signed ballots
//! in a private workspace.
#![cfg(not(target_arch = "wasm32"))]

mod support;

use fantoccini::Client;
use support::{
    Harness,
    pages::{Shell, Start, click, eventually, fill, text},
    screenshot, testid, wait_for,
};

/// Sets a `<select>` (by test id) to the option whose text starts with `label`.
async fn choose(client: &Client, id: &str, label: &str) {
    wait_for(client, &testid(id)).await;
    let ok = client
        .execute(
            "const s = document.querySelector(`[data-testid=\"${arguments[0]}\"]`); \
             const o = [...s.options].find(o => o.textContent.startsWith(arguments[1])); \
             if (!o) return false; s.value = o.value; s.dispatchEvent(new Event('change', { bubbles: true })); return true;",
            vec![id.into(), label.into()],
        )
        .await
        .unwrap();
    assert_eq!(ok, true, "no option {label:?} in {id}");
}

/// The decision card whose question starts with `question`: the text of its `id` element.
async fn in_decision(client: &Client, question: &str, id: &str) -> Option<String> {
    client
        .execute(
            "const card = [...document.querySelectorAll('[data-testid=\"decision\"]')] \
               .find(c => c.querySelector('[data-testid=\"decision-question\"]').textContent.startsWith(arguments[0])); \
             const e = card && card.querySelector(`[data-testid=\"${arguments[1]}\"]`); \
             return e ? e.innerText : null;",
            vec![question.into(), id.into()],
        )
        .await
        .unwrap()
        .as_str()
        .map(str::to_owned)
}

/// Every `id` element's text in that card (`textContent`: the tally may be folded away),
/// each with `|` and its `data-state`.
async fn all_in_decision(client: &Client, question: &str, id: &str) -> Vec<String> {
    let v = client
        .execute(
            "const card = [...document.querySelectorAll('[data-testid=\"decision\"]')] \
               .find(c => c.querySelector('[data-testid=\"decision-question\"]').textContent.startsWith(arguments[0])); \
             return card ? [...card.querySelectorAll(`[data-testid=\"${arguments[1]}\"]`)].map(e => e.textContent + '|' + (e.dataset.state || '')) : [];",
            vec![question.into(), id.into()],
        )
        .await
        .unwrap();
    serde_json::from_value(v).unwrap_or_default()
}

/// Whether the decision's "Who voted how" is open.
async fn tally_open(client: &Client, question: &str) -> bool {
    client
        .execute(
            "const card = [...document.querySelectorAll('[data-testid=\"decision\"]')] \
               .find(c => c.querySelector('[data-testid=\"decision-question\"]').textContent.startsWith(arguments[0])); \
             const t = card && card.querySelector('[data-testid=\"tally\"]'); \
             return !!(t && t.open);",
            vec![question.into()],
        )
        .await
        .unwrap()
        == true
}

async fn click_in_decision(client: &Client, question: &str, id: &str) {
    eventually(&format!("{id} in the decision {question:?}"), || async {
        client
            .execute(
                "const card = [...document.querySelectorAll('[data-testid=\"decision\"]')] \
                   .find(c => c.querySelector('[data-testid=\"decision-question\"]').textContent.startsWith(arguments[0])); \
                 const e = card && card.querySelector(`[data-testid=\"${arguments[1]}\"]`); \
                 if (!e) return false; e.click(); return true;",
                vec![question.into(), id.into()],
            )
            .await
            .unwrap()
            == true
    })
    .await;
}

async fn up_to_date(shell: &Shell<'_>, who: &str) {
    eventually(&format!("{who} is up to date with the relay"), || async {
        shell.sync_state().await == "Up to date"
    })
    .await;
}

/// Bea applies to the self-certifying "Member" tier and certifies herself: a member.
async fn become_member(client: &Client, shell: &Shell<'_>, name: &str) {
    shell.go("nav-members", "members-page").await;
    fill(client, "candidate-name", name).await;
    click(client, "candidate-myself").await;
    choose(client, "candidate-tier", "Member (").await;
    click(client, "propose-submit").await;
    eventually("her proposal is listed", || async {
        client
            .execute(
                "const p = [...document.querySelectorAll('[data-testid=\"proposal\"]')].find(p => p.innerText.includes(arguments[0])); \
                 const b = p && p.querySelector('[data-testid=\"act-self-certify\"]'); if (!b) return false; b.click(); return true;",
                vec![name.into()],
            )
            .await
            .unwrap()
            == true
    })
    .await;
    eventually("she is approved", || async {
        client
            .execute(
                "return [...document.querySelectorAll('[data-testid=\"proposal\"]')].some(p => p.innerText.includes(arguments[0]) && p.innerText.includes('approved'))",
                vec![name.into()],
            )
            .await
            .unwrap()
            == true
    })
    .await;
}

/// Ada opens the demo, Bea joins it by its link and becomes a member; both are up to date.
async fn demo_with_bea_a_member<'a>(
    harness: &Harness,
    ada: &'a Client,
    bea: &'a Client,
) -> (Shell<'a>, Shell<'a>) {
    let ada_shell = Start::demo_as(ada, &harness.base_url, "Ada").await;
    let link = ada_shell.share_link().await;
    let bea_shell = Start::join_as(bea, &harness.base_url, "Bea", &link).await;
    become_member(bea, &bea_shell, "Bea").await;
    up_to_date(&bea_shell, "Bea").await;
    (ada_shell, bea_shell)
}

/// The electorate: the roster and the "Member" tier.
async fn with_member_tier(client: &Client) {
    let ok = client
        .execute(
            "const l = [...document.querySelectorAll('.new-decision label.toggle')].find(l => l.textContent.trim() === 'Member'); \
             const i = l && l.querySelector('input'); if (!i) return false; if (!i.checked) i.click(); return i.checked;",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(ok, true, "the Member tier can be chosen");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn members_vote_offline_the_chair_closes_and_both_see_the_same_outcome() {
    let mut harness = Harness::start().await;
    let downloads = harness.scratch_dir("ada-downloads");
    let ada = harness.browser_downloading_to(&downloads).await;
    let bea = harness.browser().await;
    let (ada_shell, bea_shell) = demo_with_bea_a_member(&harness, &ada, &bea).await;

    // Ada proposes a decision on the first agenda item.
    ada_shell.go("nav-agenda", "agenda-page").await;
    wait_for(&ada, &testid("agenda-propose-decision"))
        .await
        .click()
        .await
        .unwrap();
    let question = wait_for(&ada, &testid("decision-question"))
        .await
        .prop("value")
        .await
        .unwrap()
        .unwrap();
    assert!(question.starts_with("Decision on: Welcome"), "{question}");
    fill(&ada, "decision-question", "Adopt the Code of Conduct v1").await;
    choose(&ada, "decision-method", "Majority").await;
    choose(&ada, "decision-threshold", "a percentage").await;
    fill(&ada, "decision-percent", "50").await;
    with_member_tier(&ada).await;
    click(&ada, "decision-open").await;
    let q = "Adopt the Code of Conduct v1";
    eventually("the decision is open on Ada's page", || async {
        in_decision(&ada, q, "decision-rules")
            .await
            .is_some_and(|r| r.contains("electorate of 4"))
    })
    .await;
    up_to_date(&ada_shell, "Ada").await;
    bea_shell.go("nav-decisions", "decisions-page").await;
    eventually("Bea sees the decision", || async {
        in_decision(&bea, q, "decision-outcome").await.is_some()
    })
    .await;

    // The relay goes down; both vote "For".
    harness.stop_relay().await;
    click_in_decision(&ada, q, "vote-option-0").await;
    click_in_decision(&bea, q, "vote-option-0").await;
    for (who, c) in [("Ada", &ada), ("Bea", &bea)] {
        eventually(&format!("{who}'s own ballot shows"), || async {
            in_decision(c, q, "my-ballot")
                .await
                .is_some_and(|t| t == "Your ballot: For")
        })
        .await;
    }
    harness.restart_relay().await;
    for (who, c) in [("Ada", &ada), ("Bea", &bea)] {
        eventually(&format!("{who} counts both ballots"), || async {
            in_decision(c, q, "decision-summary")
                .await
                .is_some_and(|t| t.starts_with("For 2, Against 0, abstain 0; 2 of 4 took part"))
        })
        .await;
    }
    up_to_date(&ada_shell, "Ada").await;
    up_to_date(&bea_shell, "Bea").await;
    // Bea opens "Who voted how": it stays open through her change and the close.
    assert!(!tally_open(&bea, q).await);
    click_in_decision(&bea, q, "tally-toggle").await;
    assert!(tally_open(&bea, q).await, "Bea opened the tally");

    // Down again: Bea changes her mind offline while the chair closes.
    harness.stop_relay().await;
    click_in_decision(&bea, q, "vote-option-1").await;
    eventually("Bea's changed ballot shows", || async {
        in_decision(&bea, q, "my-ballot")
            .await
            .is_some_and(|t| t == "Your ballot: Against")
    })
    .await;
    bea_shell.wait_saved().await;
    click_in_decision(&ada, q, "decision-close").await;
    eventually("Ada sees it closed", || async {
        in_decision(&ada, q, "decision-closed").await.is_some()
    })
    .await;
    ada_shell.wait_saved().await;
    harness.restart_relay().await;
    // The ballot history is read when asked for.
    for c in [&ada, &bea] {
        assert!(all_in_decision(c, q, "ballot-history").await.is_empty());
        click_in_decision(c, q, "ballot-histories-toggle").await;
    }
    for (who, c) in [("Ada", &ada), ("Bea", &bea)] {
        eventually(
            &format!("{who} sees the same outcome, Bea's change late"),
            || async {
                in_decision(c, q, "decision-outcome")
                    .await
                    .is_some_and(|t| t == "Adopted: For")
                    && in_decision(c, q, "decision-summary")
                        .await
                        .is_some_and(|t| t.starts_with("For 2, Against 0"))
                    && all_in_decision(c, q, "ballot-not-counted")
                        .await
                        .iter()
                        .any(|l| {
                            l.starts_with("Bea — Against — cast after the close")
                                && l.ends_with("|late")
                        })
                    // Her earlier ballots are kept, in order, with what became of each.
                    && all_in_decision(c, q, "ballot-history")
                        .await
                        .iter()
                        .any(|l| {
                            l.starts_with("Bea: For (")
                                && l.contains(", counted) → Against (")
                                && l.ends_with(", late: not counted)|")
                        })
            },
        )
        .await;
    }
    assert_eq!(
        in_decision(&ada, q, "decision-closed").await,
        in_decision(&bea, q, "decision-closed").await
    );
    assert!(
        tally_open(&bea, q).await,
        "after her change and the close, the tally Bea opened stays open"
    );
    assert!(
        in_decision(&bea, q, "decision-unverified").await.is_some(),
        "an open workspace says its ballots are unverified"
    );
    screenshot(&bea, "decision-closed").await;

    // The outcome in words; the agenda item links to the decision; the minutes carry it.
    fill(
        &ada,
        "outcome-text",
        "Adopted; Andrew publishes it on the wiki.",
    )
    .await;
    click_in_decision(&ada, q, "outcome-save").await;
    eventually("Bea sees the outcome's words", || async {
        in_decision(&bea, q, "outcome")
            .await
            .is_some_and(|t| t.starts_with("Adopted; Andrew publishes it on the wiki."))
    })
    .await;
    // An action point from the outcome, on the item the decision was on.
    fill(
        &ada,
        "outcome-action",
        "Publish the Code of Conduct on the wiki",
    )
    .await;
    click_in_decision(&ada, q, "outcome-action-add").await;
    ada_shell.go("nav-agenda", "agenda-page").await;
    assert_eq!(
        text(&ada, &testid("decision-link-outcome")).await,
        "Adopted: For"
    );
    let agenda = support::pages::Agenda { client: &ada };
    eventually("the action point is on the agenda page", || async {
        agenda
            .action_points()
            .await
            .iter()
            .any(|a| a.contains("Publish the Code of Conduct on the wiki"))
    })
    .await;
    click(&ada, "download-minutes").await;
    let md = || support::downloaded(&downloads, "md").and_then(|p| std::fs::read_to_string(p).ok());
    eventually("the minutes are downloaded", || async {
        md().is_some_and(|m| m.contains("**Resolution:**"))
    })
    .await;
    let md = md().unwrap();
    assert!(
        md.contains("### 1 Welcome\n\nWelcome and introductions.\n\n**Resolution:** Adopt the Code of Conduct v1 — Adopted: For. For 2, Against 0, abstain 0; 2 of 4 took part (quorum 2)\n\n> Adopted; Andrew publishes it on the wiki."),
        "{md}"
    );
    harness.close(ada).await;
    harness.close(bea).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delegated_vote_counts_with_its_chain_on_both_pages() {
    let harness = Harness::start().await;
    let ada = harness.browser().await;
    let bea = harness.browser().await;
    let (ada_shell, bea_shell) = demo_with_bea_a_member(&harness, &ada, &bea).await;

    ada_shell.go("nav-decisions", "decisions-page").await;
    let q = "Direct or representative democracy?";
    fill(&ada, "decision-question", q).await;
    fill(&ada, "decision-quorum", "50").await;
    with_member_tier(&ada).await;
    click(&ada, "decision-delegation").await;
    click(&ada, "decision-open").await;
    eventually("the decision is open", || async {
        in_decision(&ada, q, "decision-rules")
            .await
            .is_some_and(|r| r.contains("delegation allowed"))
    })
    .await;
    bea_shell.go("nav-decisions", "decisions-page").await;
    eventually("Bea can delegate", || async {
        in_decision(&bea, q, "delegate-submit").await.is_some()
    })
    .await;
    choose(&bea, "delegate-to", "Ada").await;
    click_in_decision(&bea, q, "delegate-submit").await;
    click_in_decision(&ada, q, "vote-consent").await;
    for (who, c) in [("Ada", &ada), ("Bea", &bea)] {
        eventually(&format!("{who} sees Bea's vote go with Ada's"), || async {
            in_decision(c, q, "decision-summary")
                .await
                .is_some_and(|t| {
                    t.starts_with("2 consent, 0 objections, 0 abstain; 2 of 4 took part")
                })
                && all_in_decision(c, q, "tally-chain")
                    .await
                    .iter()
                    .any(|l| l.starts_with("Bea → Ada"))
                && all_in_decision(c, q, "tally-weight")
                    .await
                    .iter()
                    .any(|l| l.starts_with("2 (carries 1 delegated)"))
        })
        .await;
    }
    assert_eq!(
        in_decision(&bea, q, "my-ballot").await.as_deref(),
        Some("Your vote goes with Ada's ballot, through Bea → Ada")
    );
    assert_eq!(
        in_decision(&bea, q, "decision-outcome").await.as_deref(),
        Some("Adopted by consent (so far)")
    );
    // Bea takes her vote back and objects: her own ballot wins over the delegation.
    fill(
        &bea,
        "vote-reason",
        "Representatives need a term limit first.",
    )
    .await;
    click_in_decision(&bea, q, "vote-object").await;
    eventually("Ada sees the objection", || async {
        in_decision(&ada, q, "decision-outcome")
            .await
            .is_some_and(|t| t == "Not adopted (so far): 1 objection")
    })
    .await;

    // A standing delegation for a workstream's decisions: Bea delegates once, on the
    // Workstreams page, and a later decision on that topic counts her with Ada.
    bea_shell.go("nav-workstreams", "workstreams-page").await;
    let topic = support::pages::all_texts(&bea, "[data-testid=\"workstream\"] h3")
        .await
        .first()
        .cloned()
        .expect("the demo has workstreams");
    choose(&bea, "topic-delegate-to", "Ada").await;
    click(&bea, "topic-delegate-submit").await;
    eventually("Bea's standing delegation shows", || async {
        text(&bea, &testid("topic-delegate-current"))
            .await
            .contains("your vote goes to Ada")
    })
    .await;
    up_to_date(&bea_shell, "Bea").await;
    let q2 = "How often do representatives rotate?";
    fill(&ada, "decision-question", q2).await;
    fill(&ada, "decision-quorum", "50").await;
    with_member_tier(&ada).await;
    click(&ada, "decision-delegation").await;
    choose(&ada, "decision-topic", &topic).await;
    click(&ada, "decision-open").await;
    click_in_decision(&ada, q2, "vote-consent").await;
    bea_shell.go("nav-decisions", "decisions-page").await;
    for (who, c) in [("Ada", &ada), ("Bea", &bea)] {
        eventually(
            &format!("{who} counts Bea with Ada on the topic's decision"),
            || async {
                all_in_decision(c, q2, "tally-chain")
                    .await
                    .iter()
                    .any(|l| l.starts_with("Bea → Ada"))
                    && in_decision(c, q2, "decision-summary")
                        .await
                        .is_some_and(|t| t.starts_with("2 consent"))
            },
        )
        .await;
    }
    screenshot(&ada, "decision-delegated").await;
    harness.close(ada).await;
    harness.close(bea).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hidden_ballots_show_who_took_part_until_the_chair_closes() {
    let harness = Harness::start().await;
    let ada = harness.browser().await;
    let bea = harness.browser().await;
    let (ada_shell, bea_shell) = demo_with_bea_a_member(&harness, &ada, &bea).await;

    ada_shell.go("nav-decisions", "decisions-page").await;
    let q = "Ratify the membership tiers";
    fill(&ada, "decision-question", q).await;
    fill(&ada, "decision-quorum", "25").await;
    with_member_tier(&ada).await;
    click(&ada, "decision-hidden").await;
    click(&ada, "decision-open").await;
    bea_shell.go("nav-decisions", "decisions-page").await;
    eventually("Bea can vote", || async {
        in_decision(&bea, q, "vote-object").await.is_some()
    })
    .await;
    let reason = "Tiers need a review date first.";
    fill(&bea, "vote-reason", reason).await;
    click_in_decision(&bea, q, "vote-object").await;
    for (who, c) in [("Ada", &ada), ("Bea", &bea)] {
        eventually(
            &format!("{who} sees that Bea took part, not how"),
            || async {
                in_decision(c, q, "decision-summary")
                    .await
                    .is_some_and(|t| {
                        t == "1 of 4 took part (quorum 1); how each voted is sealed until the close"
                    })
                    && in_decision(c, q, "decision-outcome")
                        .await
                        .is_some_and(|t| t == "Ballots hidden until the chair closes it")
            },
        )
        .await;
    }
    assert_eq!(
        in_decision(&bea, q, "my-ballot").await.as_deref(),
        Some("You have voted: your ballot is sealed until the chair closes the decision")
    );
    let page = ada
        .execute("return document.body.textContent", vec![])
        .await
        .unwrap();
    assert!(
        !page.as_str().unwrap_or_default().contains(reason),
        "the chair's page does not show the objection before the close"
    );
    click_in_decision(&ada, q, "decision-close").await;
    for (who, c) in [("Ada", &ada), ("Bea", &bea)] {
        eventually(&format!("{who} sees the revealed objection"), || async {
            in_decision(c, q, "decision-outcome")
                .await
                .is_some_and(|t| t == "Not adopted: 1 objection")
                && all_in_decision(c, q, "tally-choice")
                    .await
                    .iter()
                    .any(|l| l.starts_with(&format!("objects: {reason}")))
        })
        .await;
    }
    harness.close(ada).await;
    harness.close(bea).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_draft_and_a_thread_s_wording_go_to_decisions_that_record_their_version() {
    let harness = Harness::start().await;
    let ada = harness.browser().await;
    let shell = Start::demo_as(&ada, &harness.base_url, "Ada").await;

    // "Adopt this wording" from a thread: the decision quotes it, the thread links to it.
    shell.go("nav-coc", "coc-page").await;
    wait_for(&ada, &testid("thread-adopt"))
        .await
        .click()
        .await
        .unwrap();
    let question = wait_for(&ada, &testid("decision-question"))
        .await
        .prop("value")
        .await
        .unwrap()
        .unwrap();
    assert!(question.starts_with("Adopt this wording: “"), "{question}");
    click(&ada, "decision-open").await;
    eventually("the decision quotes the thread", || async {
        in_decision(&ada, "Adopt this wording", "decision-subject")
            .await
            .is_some_and(|t| t.starts_with("Adopting the wording of a Code of Conduct thread"))
    })
    .await;
    shell.go("nav-coc", "coc-page").await;
    eventually("the thread links to its decision", || async {
        support::pages::all_texts(&ada, &testid("decision-link"))
            .await
            .iter()
            .any(|t| t.starts_with("Decision: Adopt this wording"))
    })
    .await;

    // The whole draft, by ranked choice among three versions.
    wait_for(&ada, &testid("coc-propose-decision"))
        .await
        .click()
        .await
        .unwrap();
    let q = "Which version of the Code of Conduct?";
    fill(&ada, "decision-question", q).await;
    choose(&ada, "decision-method", "Ranked choice").await;
    fill(&ada, "decision-options", "Version A\nVersion B\nVersion C").await;
    choose(&ada, "decision-ties", "the option listed last").await;
    fill(&ada, "decision-quorum", "0").await;
    click(&ada, "decision-open").await;
    eventually("the ranked decision is open", || async {
        in_decision(&ada, q, "decision-rules")
            .await
            .is_some_and(|r| r.contains("ranked choice") && r.contains("the option listed last"))
    })
    .await;
    let wording = in_decision(&ada, q, "decision-subject").await.unwrap();
    assert!(
        wording.starts_with("Adopting the draft as it stood"),
        "{wording}"
    );
    for (i, rank) in [(0, "2"), (1, "1"), (2, "3")] {
        ada.execute(
            "const card = [...document.querySelectorAll('[data-testid=\"decision\"]')].find(c => c.innerText.includes(arguments[0])); \
             const input = card.querySelector(`[data-testid=\"rank-${arguments[1]}\"]`); \
             input.value = arguments[2]; input.dispatchEvent(new Event('input', { bubbles: true }));",
            vec![q.into(), i.into(), rank.into()],
        )
        .await
        .unwrap();
    }
    click_in_decision(&ada, q, "vote-ranking").await;
    eventually("Ada's ranking is her ballot", || async {
        in_decision(&ada, q, "my-ballot")
            .await
            .is_some_and(|t| t == "Your ballot: Version B > Version A > Version C")
    })
    .await;
    click_in_decision(&ada, q, "decision-close").await;
    eventually("the draft's version is ratified", || async {
        in_decision(&ada, q, "decision-outcome")
            .await
            .is_some_and(|t| t == "Adopted: Version B")
            && in_decision(&ada, q, "decision-version")
                .await
                .is_some_and(|t| t.starts_with("Ratified: version "))
    })
    .await;
    let voted = ada
        .execute(
            "const card = [...document.querySelectorAll('[data-testid=\"decision\"]')].find(c => c.innerText.includes(arguments[0])); \
             return card.querySelector('[data-testid=\"decision-wording\"]').textContent;",
            vec![q.into()],
        )
        .await
        .unwrap();
    assert!(
        voted
            .as_str()
            .unwrap_or_default()
            .starts_with("Code of Conduct"),
        "the wording voted on is the draft's: {voted}"
    );
    harness.close(ada).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_a_private_workspace_ballots_are_signed_by_their_voters() {
    let harness = Harness::start().await;
    let ada = harness.browser().await;
    let bea = harness.browser().await;
    let start = Start::open(&ada, &harness.base_url).await;
    start.set_name("Ada").await;
    fill(&ada, "create-name", "Open Hardware Makers").await;
    click(&ada, "create-private").await;
    click(&ada, "create-submit").await;
    wait_for(&ada, &testid("agenda-page")).await;
    let ada_shell = Shell { client: &ada };
    up_to_date(&ada_shell, "Ada").await;
    click(&ada, "share-toggle").await;
    let edit_link = wait_for(&ada, &testid("share-link-edit"))
        .await
        .prop("value")
        .await
        .unwrap()
        .unwrap();
    click(&ada, "share-toggle").await;
    Start::open(&bea, &harness.base_url)
        .await
        .set_name("Bea")
        .await;
    bea.goto(&edit_link).await.unwrap();
    wait_for(&bea, &testid("agenda-page")).await;
    let bea_shell = Shell { client: &bea };
    become_member(&bea, &bea_shell, "Bea").await;
    up_to_date(&bea_shell, "Bea").await;

    // Ada's device has Bea's signed self-certification before it freezes the electorate.
    ada_shell.go("nav-members", "members-page").await;
    eventually("Ada sees Bea approved", || async {
        ada.execute(
            "return [...document.querySelectorAll('[data-testid=\"proposal\"]')].some(p => p.innerText.includes('Bea') && p.innerText.includes('approved'))",
            vec![],
        )
        .await
        .unwrap()
            == true
    })
    .await;
    ada_shell.go("nav-decisions", "decisions-page").await;
    let q = "Meet monthly";
    fill(&ada, "decision-question", q).await;
    with_member_tier(&ada).await;
    click(&ada, "decision-open").await;
    eventually("the electorate is Ada and Bea", || async {
        in_decision(&ada, q, "decision-rules")
            .await
            .is_some_and(|r| r.contains("electorate of 2"))
    })
    .await;
    click_in_decision(&ada, q, "vote-consent").await;
    bea_shell.go("nav-decisions", "decisions-page").await;
    click_in_decision(&bea, q, "vote-consent").await;
    for (who, c) in [("Ada", &ada), ("Bea", &bea)] {
        eventually(&format!("{who} sees both ballots, signed"), || async {
            in_decision(c, q, "decision-summary")
                .await
                .is_some_and(|t| t.starts_with("2 consent"))
                && in_decision(c, q, "decision-verified").await.is_some()
        })
        .await;
    }
    harness.close(ada).await;
    harness.close(bea).await;
}
