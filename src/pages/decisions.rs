//! Decisions: open one (from scratch, from an agenda item, from a Code of Conduct thread, or
//! to adopt the draft as it stands), vote, delegate, close, write the outcome — and the tally
//! every peer computes the same, with each delegated weight and its chain.

use leptos::prelude::*;
use moot_model::{
    DecisionView,
    decisions::{BallotState, HiddenKey, NewDecision, PastState, ROSTER, Subject, may_close},
    tally::{Choice, Failure, Method, Outcome, Threshold, TieRule},
};

use crate::state::{Session, identity};

/// Every decision with its tally, computed once per change for whichever views read it (a
/// memo: nothing is counted while no view shows a decision).
#[derive(Clone, Copy)]
pub struct Decisions(pub Memo<Vec<DecisionView>>);

impl Decisions {
    pub fn new(session: Session) -> Self {
        Decisions(Memo::new(move |_| {
            crate::browser::mark("moot:tally-start");
            let all = session.read(|ws| ws.decisions()).unwrap_or_default();
            crate::browser::measure("moot:tally", "moot:tally-start");
            all
        }))
    }
}

/// The decisions as pages that only link to them (the agenda, the review) see them: counted
/// when the page opens and when the document changes from outside, not on this tab's own
/// keystrokes in minutes or the draft (decisions change on the Decisions page, which this tab
/// leaves and comes back from). Each such page provides its own (a type of its own, so the
/// Decisions page never reads one a page disposed of).
#[derive(Clone, Copy)]
pub struct LinkedDecisions(pub Memo<Vec<DecisionView>>);

impl LinkedDecisions {
    pub fn provide(session: Session) {
        use moot_model::{news::Part, search::Area};
        // Decisions and who may decide (members, their keys): not the agenda or the draft
        // they are linked from, so typing minutes does not count the ballots again.
        provide_context(LinkedDecisions(Memo::new(move |_| {
            session
                .read_in(
                    &[
                        Part::Area(Area::Decisions),
                        Part::Area(Area::Members),
                        Part::People,
                    ],
                    |ws| ws.decisions(),
                )
                .unwrap_or_default()
        })));
    }
}

/// A query parameter of the address's fragment (`#/w/…/decisions?from=…&d=…`).
fn hash_param(name: &str) -> Option<String> {
    let hash = window().location().hash().ok()?;
    let (_, query) = hash.split_once('?')?;
    query
        .split('&')
        .find_map(|kv| kv.strip_prefix(name)?.strip_prefix('='))
        .and_then(|v| js_sys::decode_uri_component(v).ok())
        .map(String::from)
}

/// The address of the Decisions page, proposing from `from` (`agenda:<session>:<item>`,
/// `thread:<document>:<thread>`, `document:<document>`), or showing decision `d`.
pub fn href(workspace: &str, param: &str, value: &str) -> String {
    format!(
        "#/w/{workspace}/decisions?{param}={}",
        String::from(js_sys::encode_uri_component(value))
    )
}

fn person_name(session: Session, p: &str) -> String {
    session
        .read(|ws| ws.person_name(p))
        .unwrap_or_else(|| p.to_owned())
}

fn method_label(m: Method) -> String {
    match m {
        Method::Consent => "consent: adopted unless a member objects (with a reason)".into(),
        Method::Majority { threshold } => format!("majority: {}", threshold.label()),
        Method::Ranked { ties } => format!(
            "ranked choice (instant runoff); a tie for fewest votes eliminates {}",
            ties.label()
        ),
    }
}

fn choice_label(d: &DecisionView, c: &Choice) -> String {
    let opt = |i: &usize| {
        d.rules
            .options
            .get(*i)
            .cloned()
            .unwrap_or_else(|| "?".into())
    };
    match c {
        Choice::Consent => "consent".into(),
        Choice::Object { reason } => format!("objects: {reason}"),
        Choice::Abstain => "abstains".into(),
        Choice::Option { option } => opt(option),
        Choice::Ranking { order } => order.iter().map(opt).collect::<Vec<_>>().join(" > "),
    }
}

/// One line for a decision where it is discussed (agenda item, thread), linking to it.
#[component]
pub fn DecisionLinks(#[prop(into)] on: Signal<Vec<DecisionView>>) -> impl IntoView {
    let session = expect_context::<Session>();
    view! {
        <ul class="decision-links" data-testid="decision-links">
            {move || {
                let ws = session.doc_id.get().unwrap_or_default();
                on.get()
                    .into_iter()
                    .map(|d| {
                        view! {
                            <li data-testid="decision-link">
                                <a href=href(&ws, "d", &d.id)>"Decision: " {d.rules.question.clone()}</a>
                                " — " <span data-testid="decision-link-outcome">{d.outcome_label()}</span>
                            </li>
                        }
                    })
                    .collect_view()
            }}
        </ul>
    }
}

/// My standing delegation for the decisions about one workstream (those that take
/// delegations and name it as their topic); shown to members.
#[component]
pub fn TopicDelegation(topic: String) -> impl IntoView {
    let session = expect_context::<Session>();
    let topic = StoredValue::new(topic);
    let to = RwSignal::new(String::new());
    let me = move || session.me.get().map(|m| m.id).unwrap_or_default();
    let members = move || {
        session
            .read_ok(|ws| ws.membership())
            .map(|m| m.members)
            .unwrap_or_default()
    };
    let current = move || {
        let me = me();
        session
            .read(|ws| ws.topic_delegations(&me).get(&topic.get_value()).cloned())
            .flatten()
    };
    let set = move |who: Option<String>| {
        let _ = session
            .act_comment(|ws, ctx| ws.delegate_topic(ctx, &topic.get_value(), who.as_deref()));
    };
    view! {
        <Show when=move || session.may(moot_trust::Level::Comment) && members().contains(&me())>
            <div class="row topic-delegation" data-testid="topic-delegation">
                <span data-testid="topic-delegate-current">{move || match current() {
                    Some(p) => format!("On decisions about this workstream that take delegations, your vote goes to {} unless you vote.", person_name(session, &p)),
                    None => "You vote yourself on decisions about this workstream.".to_owned(),
                }}</span>
                <select aria-label="Delegate my vote on this workstream's decisions to" data-testid="topic-delegate-to" on:change=move |ev| to.set(event_target_value(&ev))>
                    <option value="">"—"</option>
                    {move || {
                        let me = me();
                        members().into_iter().filter(|p| *p != me).map(|p| {
                            let label = person_name(session, &p);
                            view! { <option value=p>{label}</option> }
                        }).collect_view()
                    }}
                </select>
                <button type="button" data-testid="topic-delegate-submit" on:click=move |_| { let who = to.get_untracked(); if !who.is_empty() { set(Some(who)) } }>"Delegate"</button>
                <button type="button" data-testid="topic-delegate-stop" hidden=move || current().is_none() on:click=move |_| set(None)>"Stop delegating"</button>
            </div>
        </Show>
    }
}

#[component]
pub fn DecisionsPage() -> impl IntoView {
    let session = expect_context::<Session>();
    let decisions = expect_context::<Decisions>().0;
    let ids = move || decisions.with(|all| all.iter().map(|d| d.id.clone()).collect::<Vec<_>>());
    let focus = hash_param("d");
    Effect::new(move |_| {
        if decisions.with(|d| !d.is_empty())
            && let Some(f) = &focus
            && let Some(el) = document().get_element_by_id(&format!("decision-{f}"))
        {
            el.scroll_into_view();
        }
    });
    view! {
        <section aria-labelledby="decisions-title" data-testid="decisions-page">
            <h2 id="decisions-title">"Decisions"</h2>
            <p class="muted">
                "Each decision freezes its rules and its electorate when it opens. A ballot can be changed until the decision is closed; the tally counts exactly the ballots this device had when it saw the close, so every device counts the same. "
                "With delegation, your weight goes to the first person along your chain of delegations who voted; your own ballot always wins; a chain that loops, leaves the electorate or ends with nobody voting counts as not voted."
            </p>
            <Show when=move || session.may(moot_trust::Level::Edit)>
                <NewDecisionForm />
            </Show>
            <ul class="decisions" data-testid="decisions">
                <For each=ids key=|id: &String| id.clone() let:id>
                    <DecisionCard id=id />
                </For>
            </ul>
        </section>
    }
}

#[component]
fn NewDecisionForm() -> impl IntoView {
    let session = expect_context::<Session>();
    let from = hash_param("from");
    // What the decision is about, from the link that brought us here.
    let (subject, question_seed) = {
        let parts: Vec<String> = from
            .as_deref()
            .unwrap_or_default()
            .split(':')
            .map(str::to_owned)
            .collect();
        match parts.as_slice() {
            [k, s, i] if k == "agenda" => {
                let title = session
                    .read_ok(|ws| ws.sessions())
                    .and_then(|all| {
                        all.into_iter()
                            .find(|x| &x.id == s)
                            .and_then(|x| find_item(&x.agenda, i))
                    })
                    .unwrap_or_default();
                (
                    Some(Subject::AgendaItem {
                        session: s.clone(),
                        item: i.clone(),
                    }),
                    format!("Decision on: {title}"),
                )
            }
            [k, d, t] if k == "thread" => {
                let quote = session
                    .read_ok(|ws| ws.threads(d))
                    .and_then(|all| all.into_iter().find(|x| &x.thread.id == t))
                    .map(|x| x.thread.anchor.quote)
                    .unwrap_or_default();
                (
                    Some(Subject::Thread {
                        document: d.clone(),
                        thread: t.clone(),
                        quote: String::new(),
                        heads: Vec::new(),
                    }),
                    format!("Adopt this wording: “{quote}”"),
                )
            }
            [k, d] if k == "document" => {
                let title = session
                    .read_ok(|ws| ws.documents())
                    .and_then(|all| all.into_iter().find(|x| &x.id == d))
                    .map(|x| x.title)
                    .unwrap_or_default();
                (
                    Some(Subject::Document {
                        document: d.clone(),
                        heads: Vec::new(),
                    }),
                    format!("Adopt the {title} as it stands"),
                )
            }
            _ => (None, String::new()),
        }
    };
    let subject = StoredValue::new(subject);
    let question = RwSignal::new(question_seed);
    let details = RwSignal::new(String::new());
    let method = RwSignal::new("consent".to_owned());
    let options = RwSignal::new("For\nAgainst".to_owned());
    let threshold = RwSignal::new("simple".to_owned());
    let percent = RwSignal::new("60".to_owned());
    let ties = RwSignal::new("prior".to_owned());
    let quorum = RwSignal::new("50".to_owned());
    let tiers = RwSignal::new(vec![ROSTER.to_owned()]);
    let chair = RwSignal::new(String::new());
    let closes = RwSignal::new(String::new());
    let delegation = RwSignal::new(false);
    let topic = RwSignal::new(String::new());
    let hidden = RwSignal::new(false);
    let all_tiers = move || session.read_ok(|ws| ws.tiers()).unwrap_or_default();
    let members = move || {
        session
            .read_ok(|ws| ws.membership())
            .map(|m| m.members.into_iter().collect::<Vec<_>>())
            .unwrap_or_default()
    };
    let workstreams = move || session.read_ok(|ws| ws.workstreams()).unwrap_or_default();
    let open = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let m = match method.get_untracked().as_str() {
            "majority" => Method::Majority {
                threshold: match threshold.get_untracked().as_str() {
                    "two-thirds" => Threshold::TwoThirds,
                    "percent" => Threshold::Percent {
                        percent: percent.get_untracked().trim().parse().unwrap_or(0),
                    },
                    _ => Threshold::Simple,
                },
            },
            "ranked" => Method::Ranked {
                ties: if ties.get_untracked() == "listed" {
                    TieRule::ListedLast
                } else {
                    TieRule::PriorRounds
                },
            },
            _ => Method::Consent,
        };
        let me = session.me.get_untracked().map(|m| m.id).unwrap_or_default();
        let me_for_devices = me.clone();
        let hide = hidden.get_untracked();
        // Hidden ballots: only the chair's device can reveal them, so I chair it.
        let chair_id = Some(chair.get_untracked())
            .filter(|c| !c.is_empty() && !hide)
            .unwrap_or(me);
        let closes_at = closes.get_untracked();
        let new = NewDecision {
            question: question.get_untracked(),
            details: details.get_untracked(),
            options: options
                .get_untracked()
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(str::to_owned)
                .collect(),
            method: m,
            quorum_percent: quorum.get_untracked().trim().parse().unwrap_or(101),
            tiers: tiers.get_untracked(),
            chair: chair_id,
            closes_at: Some(closes_at.trim()).filter(|c| !c.is_empty()).map(|c| {
                if c.len() == 16 {
                    format!("{c}:00Z")
                } else {
                    c.to_owned()
                }
            }),
            topic: Some(topic.get_untracked())
                .filter(|t| !t.is_empty() && delegation.get_untracked()),
            delegation: delegation.get_untracked(),
            subject: subject.get_value(),
            hidden: None,
        };
        let done = move |id: String| {
            question.set(String::new());
            details.set(String::new());
            if let Some(ws) = session.doc_id.get_untracked() {
                crate::app::go(&href(&ws, "d", &id));
            }
        };
        if !hide {
            if let Ok(id) = session.act(|ws, ctx| ws.open_decision(ctx, new)) {
                done(id);
            }
            return;
        }
        // The decision's key comes from this device's key and a fresh public salt.
        leptos::task::spawn_local(async move {
            let device = match crate::state::keys::device_key().await {
                Ok(d) => d,
                Err(e) => {
                    session.error.set(Some(e));
                    return;
                }
            };
            let salt = identity::random_bytes::<16>();
            let secret = moot_trust::decision_secret(&device.to_seed(), &salt);
            // My other devices get the secret sealed to their keys: any of them can close it.
            let own = moot_trust::device_code(&device.public());
            let others: std::collections::BTreeMap<String, Vec<u8>> = session
                .read_untracked(|ws| ws.devices_of(&me_for_devices))
                .unwrap_or_default()
                .into_iter()
                .filter(|code| *code != own)
                .filter_map(|code| {
                    let key = moot_trust::key_of_code(&code)?;
                    let sealed = moot_trust::seal_secret_to_device(
                        &secret,
                        &key,
                        identity::random_bytes::<32>(),
                        identity::random_bytes::<24>(),
                    )?;
                    Some((code, sealed))
                })
                .collect();
            let mut new = new;
            new.hidden = Some(
                HiddenKey::new(&moot_trust::decision_public(&secret), &salt).for_devices(others),
            );
            if let Ok(id) = session.act(|ws, ctx| ws.open_decision(ctx, new)) {
                done(id);
            }
        });
    };
    view! {
        <form class="card new-decision" on:submit=open data-testid="decision-form">
            <h3>"Open a decision"</h3>
            <label for="decision-question">"Question"</label>
            <input id="decision-question" data-testid="decision-question" prop:value=move || question.get() on:input=move |ev| question.set(event_target_value(&ev)) />
            <label for="decision-details">"Details (optional)"</label>
            <textarea id="decision-details" rows="2" data-testid="decision-details" prop:value=move || details.get() on:input=move |ev| details.set(event_target_value(&ev))></textarea>
            <label for="decision-method">"How it is decided"</label>
            <select id="decision-method" data-testid="decision-method" on:change=move |ev| method.set(event_target_value(&ev))>
                <option value="consent">"Consent (adopted unless someone objects)"</option>
                <option value="majority">"Majority vote"</option>
                <option value="ranked">"Ranked choice"</option>
            </select>
            <Show when=move || method.get() != "consent">
                <label for="decision-options">"Options, one per line"</label>
                <textarea id="decision-options" rows="3" data-testid="decision-options" prop:value=move || options.get() on:input=move |ev| options.set(event_target_value(&ev))></textarea>
            </Show>
            <Show when=move || method.get() == "majority">
                <label for="decision-threshold">"An option is chosen with the support of"</label>
                <select id="decision-threshold" data-testid="decision-threshold" on:change=move |ev| threshold.set(event_target_value(&ev))>
                    <option value="simple">"more than half of the electorate"</option>
                    <option value="two-thirds">"two thirds of the electorate"</option>
                    <option value="percent">"a percentage of the electorate"</option>
                </select>
                <Show when=move || threshold.get() == "percent">
                    <label for="decision-percent">"Percentage"</label>
                    <input id="decision-percent" type="number" min="1" max="100" data-testid="decision-percent" prop:value=move || percent.get() on:input=move |ev| percent.set(event_target_value(&ev)) />
                </Show>
            </Show>
            <Show when=move || method.get() == "ranked">
                <label for="decision-ties">"A tie for the fewest votes eliminates"</label>
                <select id="decision-ties" data-testid="decision-ties" on:change=move |ev| ties.set(event_target_value(&ev))>
                    <option value="prior">"the one with fewer votes in the latest earlier round where they differed, then the one listed last"</option>
                    <option value="listed">"the option listed last"</option>
                </select>
            </Show>
            <label for="decision-quorum">"Quorum (% of the electorate who must take part)"</label>
            <input id="decision-quorum" type="number" min="0" max="100" data-testid="decision-quorum" prop:value=move || quorum.get() on:input=move |ev| quorum.set(event_target_value(&ev)) />
            <fieldset>
                <legend>"Who votes (members of these tiers, as of now)"</legend>
                {move || {
                    let mut all = vec![(ROSTER.to_owned(), "Standing members (the roster)".to_owned())];
                    all.extend(all_tiers().into_iter().map(|t| (t.id, t.name)));
                    all.into_iter().map(|(id, name)| {
                        let key = id.clone();
                        let checked = { let k = key.clone(); move || tiers.with(|t| t.contains(&k)) };
                        view! {
                            <label class="toggle">
                                <input type="checkbox" data-testid=format!("decision-tier-{}", if id == ROSTER { "roster".to_owned() } else { id.clone() }) prop:checked=checked
                                    on:change=move |ev| {
                                        let on = event_target_checked(&ev);
                                        tiers.update(|t| { t.retain(|x| x != &key); if on { t.push(key.clone()); } });
                                    } />
                                " " {name}
                            </label>
                        }
                    }).collect_view()
                }}
            </fieldset>
            <label for="decision-chair">"Chair (may close it at any time)"</label>
            <select id="decision-chair" data-testid="decision-chair" on:change=move |ev| chair.set(event_target_value(&ev))>
                <option value="">"Me"</option>
                {move || members().into_iter().map(|m| {
                    let label = person_name(session, &m);
                    view! { <option value=m>{label}</option> }
                }).collect_view()}
            </select>
            <label for="decision-closes">"Closing time, UTC (optional; after it anyone who votes may close it)"</label>
            <input id="decision-closes" data-testid="decision-closes" placeholder="2026-12-08T18:00" prop:value=move || closes.get() on:input=move |ev| closes.set(event_target_value(&ev)) />
            <label class="toggle"><input type="checkbox" data-testid="decision-delegation" prop:checked=move || delegation.get() on:change=move |ev| delegation.set(event_target_checked(&ev)) />" Members may delegate their vote (representative democracy)"</label>
            <Show when=move || delegation.get()>
                <label for="decision-topic">"Topic (standing delegations for this workstream apply)"</label>
                <select id="decision-topic" data-testid="decision-topic" on:change=move |ev| topic.set(event_target_value(&ev))>
                    <option value="">"No topic"</option>
                    {move || workstreams().into_iter().map(|w| view! { <option value=w.id.clone()>{w.name.clone()}</option> }).collect_view()}
                </select>
            </Show>
            <label class="toggle"><input type="checkbox" data-testid="decision-hidden" prop:checked=move || hidden.get() on:change=move |ev| hidden.set(event_target_checked(&ev)) />" Hide ballots until I close it (I chair it; then everyone sees how each member voted — this is not anonymous)"</label>
            <button type="submit" data-testid="decision-open">"Open the decision"</button>
        </form>
    }
}

fn find_item(items: &[moot_model::schema::AgendaItem], id: &str) -> Option<String> {
    items.iter().find_map(|i| {
        if i.id == id {
            Some(i.title.clone())
        } else {
            find_item(&i.children, id)
        }
    })
}

#[component]
fn DecisionCard(id: String) -> impl IntoView {
    let session = expect_context::<Session>();
    let decisions = expect_context::<Decisions>().0;
    let did = StoredValue::new(id.clone());
    let view = Memo::new(move |_| {
        decisions.with(|all| did.with_value(|id| all.iter().find(|d| &d.id == id).cloned()))
    });
    let me = move || session.me.get().map(|m| m.id).unwrap_or_default();
    let reason = RwSignal::new(String::new());
    let ranks = RwSignal::new(Vec::<String>::new());
    let delegate_to = RwSignal::new(String::new());
    let outcome = RwSignal::new(String::new());
    let action = RwSignal::new(String::new());
    let vote = move |choice: Choice| {
        let hidden = view.with_untracked(|v| v.as_ref().is_some_and(|v| v.rules.hidden.is_some()));
        let result = if hidden {
            let (ephemeral, nonce) = (
                identity::random_bytes::<32>(),
                identity::random_bytes::<24>(),
            );
            session.act_comment(|ws, ctx| {
                ws.vote_hidden(ctx, &did.get_value(), choice, ephemeral, nonce)
            })
        } else {
            session.act_comment(|ws, ctx| ws.vote(ctx, &did.get_value(), choice))
        };
        if result.is_ok() {
            reason.set(String::new());
        }
    };
    let cast_ranking = move |_| {
        let r = ranks.get_untracked();
        let mut ranked: Vec<(u32, usize)> = r
            .iter()
            .enumerate()
            .filter_map(|(i, v)| v.trim().parse::<u32>().ok().map(|k| (k, i)))
            .collect();
        ranked.sort();
        vote(Choice::Ranking {
            order: ranked.into_iter().map(|(_, i)| i).collect(),
        });
    };
    let delegate = move |to: Option<String>| {
        let _ = session.act_comment(|ws, ctx| ws.delegate(ctx, &did.get_value(), to.as_deref()));
    };
    let close = move |_| {
        let salt = view.with_untracked(|v| {
            v.as_ref()
                .and_then(|v| v.rules.hidden.as_ref().map(HiddenKey::salt_bytes))
        });
        match salt {
            None => {
                let _ = session.act_comment(|ws, ctx| ws.close_decision(ctx, &did.get_value()));
            }
            Some(None) => session
                .error
                .set(Some("this decision's key cannot be read".into())),
            // Hidden ballots: this device derives the secret it opened the decision with, or
            // opens the copy sealed to it (another device of the chair's).
            Some(Some(_)) => leptos::task::spawn_local(async move {
                match crate::state::keys::device_key().await {
                    Ok(device) => {
                        let id = did.get_value();
                        match session.read_untracked(|ws| ws.decision_secret_for(&id, &device)).flatten() {
                            Some(secret) => {
                                let _ = session.act_comment(|ws, ctx| ws.close_hidden(ctx, &id, secret));
                            }
                            None => session.error.set(Some(
                                "this device does not hold the decision's key: close it from a device you had when it opened".into(),
                            )),
                        }
                    }
                    Err(e) => session.error.set(Some(e)),
                }
            }),
        }
    };
    let save_outcome = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let text = outcome.get_untracked();
        if session
            .act(|ws, ctx| ws.set_outcome(ctx, &did.get_value(), &text))
            .is_ok()
        {
            outcome.set(String::new());
        }
    };
    let add_action = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some(Subject::AgendaItem { session: s, item }) =
            view.with_untracked(|v| v.as_ref().and_then(|v| v.rules.subject.clone()))
        else {
            return;
        };
        let text = action.get_untracked();
        if session
            .act(|ws, ctx| {
                ws.add_action_point(ctx, &s, &text, &["all".to_owned()], None, Some(&item))
            })
            .is_ok()
        {
            action.set(String::new());
        }
    };
    let focused = hash_param("d").is_some_and(|d| d == id);
    // The ballot history is read only while it is shown (a tally does not need it).
    let history_open = RwSignal::new(false);

    move || {
        let Some(d) = view.get() else {
            return view! { <li></li> }.into_any();
        };
        let ws_id = session.doc_id.get().unwrap_or_default();
        let my_id = me();
        let open = d.is_open();
        let in_electorate = d.rules.electorate.contains_key(&my_id);
        let mine = d
            .ballots
            .iter()
            .find(|b| b.voter == my_id && b.state != BallotState::Forged)
            .cloned();
        let my_line = d.tally.voters.iter().find(|l| l.voter == my_id).cloned();
        let can_close = open && may_close(&d.rules, &my_id, &identity::now());
        let name = move |p: &str| person_name(session, p);
        let subject = d.rules.subject.clone().map(|s| match s {
            Subject::AgendaItem { session: s, item } => {
                let title = session
                    .read_ok(|ws| ws.sessions())
                    .and_then(|all| all.into_iter().find(|x| x.id == s).and_then(|x| find_item(&x.agenda, &item)))
                    .unwrap_or_else(|| "an agenda item".into());
                view! { <p data-testid="decision-subject">"On agenda item " <a href=format!("#/w/{ws_id}/agenda")>{title}</a></p> }.into_any()
            }
            Subject::Thread { quote, heads, document, .. } => {
                let adopted = d.adopted().is_some() && !open;
                view! {
                    <p data-testid="decision-subject">"Adopting the wording of a Code of Conduct thread: " <q>{quote}</q> " " <a href=format!("#/w/{ws_id}/coc")>"(the draft)"</a></p>
                    {adopted.then(|| view! { <p class="muted" data-testid="decision-version">"Ratified as in version " <code>{short_heads(&heads)}</code> " of " {document}</p> })}
                }.into_any()
            }
            Subject::Document { document, heads } => {
                let text = session.read_ok(|ws| ws.text_at(&document, &heads)).unwrap_or_default();
                let adopted = d.adopted().is_some() && !open;
                view! {
                    <p data-testid="decision-subject">"Adopting the draft as it stood when the decision opened (version " <code>{short_heads(&heads)}</code> "). " <a href=format!("#/w/{ws_id}/coc")>"The draft now"</a></p>
                    <details><summary>"The wording voted on"</summary><pre class="voted-text" data-testid="decision-wording">{text}</pre></details>
                    {adopted.then(|| view! { <p class="notice" data-testid="decision-version">"Ratified: version " <code>{short_heads(&heads)}</code></p> })}
                }.into_any()
            }
        });
        let options = d.rules.options.clone();
        let method = d.rules.method;
        if ranks.with_untracked(|r| r.len() != options.len()) {
            ranks.set(vec![String::new(); options.len()]);
        }
        let ballot_ui = (open && in_electorate && session.may(moot_trust::Level::Comment)).then(|| match method {
            Method::Consent => view! {
                <div class="row vote">
                    <button type="button" data-testid="vote-consent" on:click=move |_| vote(Choice::Consent)>"Consent"</button>
                    <input aria-label="Reason for objecting" placeholder="Reason (needed to object)" data-testid="vote-reason" prop:value=move || reason.get() on:input=move |ev| reason.set(event_target_value(&ev)) />
                    <button type="button" data-testid="vote-object" on:click=move |_| vote(Choice::Object { reason: reason.get_untracked() })>"Object"</button>
                    <button type="button" data-testid="vote-abstain" on:click=move |_| vote(Choice::Abstain)>"Abstain"</button>
                </div>
            }.into_any(),
            Method::Majority { .. } => view! {
                <div class="row vote">
                    {options.iter().enumerate().map(|(i, o)| view! {
                        <button type="button" data-testid=format!("vote-option-{i}") on:click=move |_| vote(Choice::Option { option: i })>{o.clone()}</button>
                    }).collect_view()}
                    <button type="button" data-testid="vote-abstain" on:click=move |_| vote(Choice::Abstain)>"Abstain"</button>
                </div>
            }.into_any(),
            Method::Ranked { .. } => view! {
                <div class="vote ranking">
                    <p class="muted">"Number the options in your order of preference (1 first); leave out any you would not support."</p>
                    {options.iter().enumerate().map(|(i, o)| view! {
                        <label class="rank">
                            <input type="number" min="1" max=options.len().to_string() data-testid=format!("rank-{i}") aria-label=format!("Rank of {o}")
                                prop:value=move || ranks.with(|r| r.get(i).cloned().unwrap_or_default())
                                on:input=move |ev| ranks.update(|r| if let Some(x) = r.get_mut(i) { *x = event_target_value(&ev) }) />
                            " " {o.clone()}
                        </label>
                    }).collect_view()}
                    <div class="row">
                        <button type="button" data-testid="vote-ranking" on:click=cast_ranking>"Cast my ranking"</button>
                        <button type="button" data-testid="vote-abstain" on:click=move |_| vote(Choice::Abstain)>"Abstain"</button>
                    </div>
                </div>
            }.into_any(),
        });
        let delegation_ui = (open && in_electorate && d.rules.delegation && session.may(moot_trust::Level::Comment)).then(|| {
            let others: Vec<String> = d.rules.electorate.keys().filter(|p| **p != my_id).cloned().collect();
            view! {
                <div class="row delegate">
                    <label for=format!("delegate-{}", d.id)>"Delegate my vote to"</label>
                    <select id=format!("delegate-{}", d.id) data-testid="delegate-to" on:change=move |ev| delegate_to.set(event_target_value(&ev))>
                        <option value="">"—"</option>
                        {others.into_iter().map(|p| { let label = name(&p); view! { <option value=p>{label}</option> } }).collect_view()}
                    </select>
                    <button type="button" data-testid="delegate-submit" on:click=move |_| { let to = delegate_to.get_untracked(); if !to.is_empty() { delegate(Some(to)) } }>"Delegate"</button>
                    <button type="button" data-testid="delegate-none" on:click=move |_| delegate(None)>"I vote myself"</button>
                </div>
            }
        });
        let my_status = my_line.map(|l| {
            let mut text = match (l.chain.len(), &l.choice) {
                (1, None) if d.sealed => {
                    "You have voted: your ballot is sealed until the chair closes the decision"
                        .to_owned()
                }
                (1, Some(c)) => format!(
                    "Your ballot: {}{}",
                    choice_label(&d, c),
                    if open { "" } else { " (counted)" }
                ),
                (n, _) if n > 1 => format!(
                    "Your vote goes with {}'s ballot, through {}",
                    name(l.chain.last().map(String::as_str).unwrap_or_default()),
                    l.chain
                        .iter()
                        .map(|p| name(p))
                        .collect::<Vec<_>>()
                        .join(" → ")
                ),
                _ => format!("You have not voted ({})", l.note),
            };
            if let Some(late) = mine.as_ref().filter(|b| b.state == BallotState::Late) {
                text.push_str(&format!(
                    ". Your later ballot ({}) came after the close and is not counted.",
                    late.choice
                        .as_ref()
                        .map(|c| choice_label(&d, c))
                        .unwrap_or_default()
                ));
            }
            view! { <p data-testid="my-ballot">{text}</p> }
        });
        let verified = if d.forged {
            view! { <p class="error" data-testid="decision-forged">"These rules were written in someone else's name by a key that is not theirs: nothing here is adopted."</p> }.into_any()
        } else if d.verified {
            view! { <p class="muted" data-testid="decision-verified">"Signed: the rules and every counted ballot were written by the key of the person they name."</p> }.into_any()
        } else {
            view! { <p class="muted" data-testid="decision-unverified">"Ballots are unverified: in an open workspace nothing is signed, so anyone with the link could write a ballot in someone's name."</p> }.into_any()
        };
        let hidden_note = d.rules.hidden.is_some().then(|| view! {
            <p class="muted" data-testid="decision-hidden-note">
                {if d.sealed {
                    "Ballots are hidden until the chair closes the decision: who took part shows, not how. Then everyone sees how each member voted (not anonymous); the chair's devices could read them early."
                } else {
                    "Ballots were hidden until the chair closed the decision; the close revealed them to everyone."
                }}
            </p>
        });
        let t = d.tally.clone();
        let rounds = (t.rounds.len() > 1).then(|| view! {
            <table class="rounds" data-testid="tally-rounds">
                <thead><tr><th>"Option"</th>{(1..=t.rounds.len()).map(|r| view! { <th>{format!("Round {r}")}</th> }).collect_view()}</tr></thead>
                <tbody>
                    {options.iter().enumerate().map(|(i, o)| view! {
                        <tr><th>{o.clone()}</th>{t.rounds.iter().map(|r| view! { <td>{r.get(i).copied().flatten().map(|v| v.to_string()).unwrap_or_else(|| "—".into())}</td> }).collect_view()}</tr>
                    }).collect_view()}
                </tbody>
            </table>
        });
        let voters = t.voters.iter().map(|l| {
            let chain = if l.chain.len() > 1 { l.chain.iter().map(|p| name(p)).collect::<Vec<_>>().join(" → ") } else { String::new() };
            let carried = t.carried.get(&l.voter).copied().unwrap_or(0);
            let choice = match &l.choice {
                Some(c) => choice_label(&d, c),
                None if d.sealed && !l.chain.is_empty() => "sealed until the close".to_owned(),
                None => l.note.to_owned(),
            };
            view! {
                <tr data-testid="tally-voter">
                    <td data-testid="tally-voter-name">{name(&l.voter)}</td>
                    <td data-testid="tally-weight">{if carried > l.weight { format!("{carried} (carries {} delegated)", carried - l.weight) } else { l.weight.to_string() }}</td>
                    <td data-testid="tally-choice">{choice}</td>
                    <td data-testid="tally-chain">{chain}</td>
                </tr>
            }
        }).collect_view();
        let not_counted = d.ballots.iter().filter(|b| b.state != BallotState::Counted).map(|b| {
            let (state, why) = match b.state {
                BallotState::Late => ("late", "cast after the close: shown, not counted"),
                BallotState::Forged => ("forged", "written in their name by a key that is not theirs: not counted"),
                BallotState::Outside => ("outside", "not in the electorate frozen when it opened: not counted"),
                BallotState::Invalid => ("invalid", "not a ballot this decision takes: not counted"),
                BallotState::Counted => ("counted", ""),
            };
            let choice = b.choice.as_ref().map(|c| choice_label(&d, c)).unwrap_or_default();
            view! { <li data-testid="ballot-not-counted" data-state=state>{format!("{} — {choice} — {why}", name(&b.voter))}</li> }
        }).collect_view();
        // Each voter who changed their ballot: every one they cast, in order (#14: the
        // history of a voter's changes is kept), read while shown.
        let history = history_open
            .get()
            .then(|| {
                session
                    .read_untracked(|ws| ws.ballot_history(&d.id).ok())
                    .flatten()
            })
            .flatten();
        let changed = history.iter().flatten().map(|(voter, past)| {
            let steps = past.iter().map(|p| {
                let choice = p.choice.as_ref().map(|c| choice_label(&d, c)).unwrap_or_else(|| "sealed".into());
                let state = match p.state {
                    PastState::Counted if open => ", current",
                    PastState::Counted => ", counted",
                    PastState::Replaced => "",
                    PastState::Late => ", late: not counted",
                };
                format!("{choice} ({}{state})", crate::browser::utc_time(&p.at))
            }).collect::<Vec<_>>().join(" → ");
            view! { <li data-testid="ballot-history" data-voter=voter.clone()>{format!("{}: {steps}", name(voter))}</li> }
        }).collect_view();
        let nobody = history.as_ref().is_some_and(|h| h.is_empty()).then(|| view! {
            <p class="muted" data-testid="ballot-histories-none">"Nobody has changed their ballot."</p>
        });
        let changed = view! {
            <h4>
                <button type="button" data-testid="ballot-histories-toggle"
                    aria-expanded=move || history_open.get().to_string()
                    on:click=move |_| history_open.update(|o| *o = !*o)>"Changed ballots"</button>
            </h4>
            {history.is_some().then(|| view! { <ul data-testid="ballot-histories">{changed}</ul> })}
            {nobody}
        };
        let electorate_note = d.electorate.clone().map(|e| {
            let names = |ps: &[String]| ps.iter().map(|p| name(p)).collect::<Vec<_>>().join(", ");
            let mut why = Vec::new();
            if !e.added.is_empty() {
                why.push(format!("{} not in its tiers then", names(&e.added)));
            }
            if !e.left_out.is_empty() {
                why.push(format!("{} left out", names(&e.left_out)));
            }
            view! { <p class="error" data-testid="decision-electorate-differs">{format!("Its electorate is not the membership when it opened ({}): nothing here is adopted.", if why.is_empty() { "it could not be checked".to_owned() } else { why.join("; ") })}</p> }
        });
        let restored = d.restored.then(|| view! {
            <p class="muted" data-testid="decision-restored">"Another key deleted or wrote over some of these acts; each counts as its author's own signed change wrote it."</p>
        });
        let closed = d.closed.clone().map(|c| view! {
            <p data-testid="decision-closed">"Closed by " {name(&c.by)} " at " {crate::browser::utc_time(&c.at)}</p>
        });
        let outcome_text = d.outcome.clone().map(|o| view! {
            <blockquote data-testid="outcome">{o.text.clone()}<footer>"— " {name(&o.by)} {o.forged.then_some(" (not written by them: their key did not sign this)")}</footer></blockquote>
        });
        let outcome_form = (!open && session.may(moot_trust::Level::Edit)).then(|| view! {
            <form class="row" on:submit=save_outcome>
                <textarea aria-label="Outcome" placeholder="The outcome, in words" rows="2" data-testid="outcome-text" prop:value=move || outcome.get() on:input=move |ev| outcome.set(event_target_value(&ev))></textarea>
                <button type="submit" data-testid="outcome-save">"Record the outcome"</button>
            </form>
        });
        let action_form = (!open && session.may(moot_trust::Level::Edit) && matches!(d.rules.subject, Some(Subject::AgendaItem { .. }))).then(|| view! {
            <form class="row" on:submit=add_action>
                <input aria-label="Action point from this outcome" placeholder="An action point from this outcome" data-testid="outcome-action" prop:value=move || action.get() on:input=move |ev| action.set(event_target_value(&ev)) />
                <button type="submit" data-testid="outcome-action-add">"Add action point"</button>
            </form>
        });
        let quorum = match &t.outcome {
            Outcome::NotAdopted(Failure::NoQuorum { .. }) => "missing",
            _ => "met",
        };
        view! {
            <li class="card decision" class:focused=focused id=format!("decision-{}", d.id) tabindex="-1" data-testid="decision" data-decision-id=d.id.clone() data-open=open.to_string()>
                <h3 data-testid="decision-question">{d.rules.question.clone()}</h3>
                {(!d.rules.details.is_empty()).then(|| view! { <p>{d.rules.details.clone()}</p> })}
                {subject}
                <p class="muted" data-testid="decision-rules">
                    {method_label(method)} "; quorum " {d.rules.quorum_percent.to_string()} "% of the electorate of " {t.electorate.to_string()}
                    "; chair " {name(&d.rules.chair)}
                    {d.rules.closes_at.clone().map(|c| format!("; closes (advisory) {}", crate::browser::utc_time(&c)))}
                    {d.rules.delegation.then_some("; delegation allowed")}
                    "; opened by " {name(&d.rules.opened_by)} " " {crate::browser::utc_time(&d.rules.opened_at)}
                </p>
                {closed}
                <p class="outcome" data-testid="decision-outcome" data-quorum=quorum>{d.outcome_label()}</p>
                <p class="muted" data-testid="decision-summary">{d.summary()}</p>
                {verified}
                {electorate_note}
                {restored}
                {hidden_note}
                {my_status}
                {ballot_ui}
                {delegation_ui}
                {can_close.then(|| view! { <button type="button" data-testid="decision-close" on:click=close>"Close the decision"</button> })}
                {outcome_text}
                {outcome_form}
                {action_form}
                <details class="tally" data-testid="tally" open=focused>
                    <summary data-testid="tally-toggle">"Who voted how"</summary>
                    {rounds}
                    <table data-testid="tally-voters">
                        <thead><tr><th>"Member"</th><th>"Weight"</th><th>"Counts for"</th><th>"Through"</th></tr></thead>
                        <tbody>{voters}</tbody>
                    </table>
                    <ul>{not_counted}</ul>
                    {changed}
                </details>
            </li>
        }.into_any()
    }
}

fn short_heads(heads: &[String]) -> String {
    heads
        .iter()
        .map(|h| h.get(..8).unwrap_or(h))
        .collect::<Vec<_>>()
        .join("+")
}
