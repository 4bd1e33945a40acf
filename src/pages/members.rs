//! Member proposals: propose, self-certify, endorse or object, withdraw; derived status and the
//! full history of acts; tiers and their approval policy.

use leptos::prelude::*;
use moot_model::{
    ProposalView, Status,
    news::Part,
    roster::How,
    schema::{ActKind, Approval, Candidate, CandidateKind, ObjectionRule, Tier},
};

use crate::state::Session;

/// What the members page shows: proposals, roster and tiers, and whose key counts as whom.
const MEMBERS: [Part; 2] = [Part::Area(moot_model::search::Area::Members), Part::People];

fn policy_text(a: Approval) -> String {
    match a {
        Approval::SelfCertification => "self-certification".into(),
        Approval::Ratification {
            endorsements,
            objections,
        } => format!(
            "ratification by {endorsements} member{}; objections {}",
            if endorsements == 1 { "" } else { "s" },
            match objections {
                ObjectionRule::Veto => "veto",
                ObjectionRule::Subtract => "cancel endorsements",
                ObjectionRule::Record => "are recorded",
            }
        ),
    }
}

#[component]
pub fn MembersPage() -> impl IntoView {
    let session = expect_context::<Session>();
    let tiers = move || {
        session
            .read_ok_in(&MEMBERS, |ws| ws.tiers())
            .unwrap_or_default()
    };
    // Derived once per change, for the proposals and for who may edit the tiers.
    let membership = Memo::new(move |_| session.read_ok_in(&MEMBERS, |ws| ws.membership()));
    // Pending proposals first (what they still need is the thing to act on), then the rest.
    let proposals = move || {
        let mut all = membership.get().map(|m| m.proposals).unwrap_or_default();
        all.sort_by_key(|p| p.status != Status::Pending);
        all
    };
    // "As of": the roster replayed at a moment (by the authors' clocks), or now.
    let as_of = RwSignal::new(None::<i64>);
    let groups = move || match as_of.get() {
        None => session
            .read_ok_in(&MEMBERS, |ws| ws.members_by_tier())
            .unwrap_or_default(),
        Some(t) => {
            session.version.track();
            session
                .with_workspace_mut(|ws| {
                    let heads = ws.heads_at_time(t);
                    ws.at(&heads).and_then(|past| past.members_by_tier())
                })
                .and_then(Result::ok)
                .unwrap_or_default()
        }
    };
    let set_as_of = move |ev: leptos::ev::Event| {
        let value = event_target_value(&ev);
        if value.is_empty() {
            as_of.set(None);
            return;
        }
        // A datetime-local value is the viewer's local time.
        let ms = js_sys::Date::new(&wasm_bindgen::JsValue::from_str(&value)).get_time();
        as_of.set((!ms.is_nan()).then(|| (ms / 1000.0).floor() as i64));
    };
    // Only members change how people become members (the model refuses others too).
    let may_edit = Signal::derive(move || {
        let me = session.me.get().map(|m| m.id);
        membership.with(|m| {
            m.as_ref().is_some_and(|m| {
                m.members.is_empty() || me.is_some_and(|me| m.members.contains(&me))
            })
        })
    });

    let kind = RwSignal::new("individual".to_owned());
    let name = RwSignal::new(String::new());
    let size = RwSignal::new(String::new());
    let tier = RwSignal::new(String::new());
    let statement = RwSignal::new(String::new());
    let myself = RwSignal::new(false);
    let propose = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let org = kind.get_untracked() == "organisation";
        let me = session.me.get_untracked().map(|m| m.id);
        let candidate = Candidate {
            kind: if org {
                CandidateKind::Organisation
            } else {
                CandidateKind::Individual
            },
            name: name.get_untracked(),
            size: if org {
                size.get_untracked().trim().parse().ok()
            } else {
                None
            },
            person: if !org && myself.get_untracked() {
                me
            } else {
                None
            },
        };
        let tier_id = {
            let t = tier.get_untracked();
            if t.is_empty() {
                tiers().first().map(|t| t.id.clone()).unwrap_or_default()
            } else {
                t
            }
        };
        if session
            .act(|ws, ctx| {
                if candidate.person.is_some() {
                    ws.set_person_name(ctx, ctx.person, &candidate.name)?;
                }
                ws.propose(ctx, candidate.clone(), &tier_id, &statement.get_untracked())
            })
            .is_ok()
        {
            name.set(String::new());
            statement.set(String::new());
        }
    };

    view! {
        <section aria-labelledby="members-title" data-testid="members-page">
            <h2 id="members-title">"Members"</h2>
            <h3>"Who the members are"</h3>
            <p class="row">
                <label for="members-as-of">"As of (your local time; empty for now) "</label>
                <input id="members-as-of" type="datetime-local" data-testid="members-as-of" on:change=set_as_of on:input=set_as_of />
                {move || as_of.get().map(|t| view! {
                    <span class="muted" data-testid="members-as-of-note">{format!(" The roster as it was at {} UTC, replayed from the history.", crate::browser::utc_time(&moot_model::time::format_instant(t)))}</span>
                })}
            </p>
            <div class="member-groups" data-testid="member-groups">
                {move || {
                    let ws = session.doc_id.get().unwrap_or_default();
                    groups().into_iter().map(|g| {
                        let title = g.tier.as_ref().map(|t| t.name.clone()).unwrap_or_else(|| "Standing members (the roster)".into());
                        let n = g.members.len();
                        view! {
                            <section class="member-group" data-testid="member-group">
                                <h4 data-testid="member-group-title">{format!("{title} ({n})")}</h4>
                                {(n == 0).then(|| view! { <p class="muted">"Nobody yet."</p> })}
                                <ul>
                                    {g.members.into_iter().map(|m| {
                                        let name = session.read_in(&[Part::People], |w| w.person_name(&m.person)).unwrap_or_else(|| m.person.clone());
                                        let how = match &m.how {
                                            How::Standing => "a standing member".to_owned(),
                                            How::SelfCertified { at } => format!("self-certified {}", crate::browser::utc_time(at)),
                                            How::Ratified { by, at } => format!(
                                                "ratified by {}, {}",
                                                by.iter().map(|p| session.read_in(&[Part::People], |w| w.person_name(p)).unwrap_or_else(|| p.clone())).collect::<Vec<_>>().join(" and "),
                                                crate::browser::utc_time(at)
                                            ),
                                        };
                                        let link = m.proposal.map(|p| format!("#/w/{ws}/members?at=proposal-{p}"));
                                        view! {
                                            <li data-testid="member">
                                                <strong data-testid="member-name">{name}</strong>" — "<span data-testid="member-how">{how}</span>
                                                {link.map(|l| view! { " " <a href=l data-testid="member-proposal">"(the proposal)"</a> })}
                                            </li>
                                        }
                                    }).collect_view()}
                                </ul>
                            </section>
                        }
                    }).collect_view()
                }}
            </div>
            <details class="tiers-section" data-testid="tiers-section">
                <summary data-testid="tiers-toggle">"Tiers and how members are approved"</summary>
                <ul class="tiers" data-testid="tiers">
                    <For each=tiers key=|t: &Tier| (t.id.clone(), t.name.clone(), format!("{:?}", t.approval)) let:t>
                        <TierRow tier=t may_edit=may_edit />
                    </For>
                </ul>
            </details>
            <Show when=move || session.level.get().is_some_and(|l| l >= moot_trust::Level::Comment)>
                <YourDevices />
            </Show>
            <Show when=move || session.level.get() == Some(moot_trust::Level::Admin)>
                <h3>"Devices"</h3>
                <p class="muted">"Every device that joined this private workspace, with the level of its link. Removing one refuses its later changes everywhere (what it wrote before stays) and changes the keys, so what is written after is sealed from it (what it already read stays with it). An admin device removed keeps reading: the admin link opens every key."</p>
                <ul class="devices" data-testid="devices">
                    {move || session.devices().into_iter().map(|(key, level, removed, mine)| {
                        let person = session
                            .read_in(&[Part::People], |ws| ws.person_name(&moot_trust::person_id(&moot_trust::VerifyingKey::from_bytes(&key).expect("enrolled keys are keys"))))
                            .unwrap_or_default();
                        let short = bs58_short(&key);
                        let code = moot_trust::VerifyingKey::from_bytes(&key)
                            .map(|k| moot_trust::device_code(&k))
                            .unwrap_or_default();
                        view! {
                            <li data-testid="device" data-device=code>
                                <span data-testid="device-name">{person}</span>" · "{level.name()}" · "<code>{short}</code>
                                {if mine {
                                    view! { <span class="muted">" (this device)"</span> }.into_any()
                                } else if removed {
                                    view! { <span class="muted" data-testid="device-removed">" removed"</span> }.into_any()
                                } else {
                                    view! {
                                        <button type="button" data-testid="device-remove" on:click=move |_| {
                                            if let Err(e) = session.remove_device(key) {
                                                session.error.set(Some(e));
                                            }
                                        }>"Remove"</button>
                                    }.into_any()
                                }}
                            </li>
                        }
                    }).collect_view()}
                </ul>
            </Show>
            <h3>"Proposals (pending first)"</h3>
            <ul class="proposals" data-testid="proposals">
                <For each=proposals key=|p: &ProposalView| format!("{p:?}") let:p>
                    <ProposalCard view=p />
                </For>
            </ul>
            <form class="card" on:submit=propose data-testid="propose-form" hidden=move || !session.may(moot_trust::Level::Edit)>
                <h3>"Propose a member"</h3>
                <fieldset>
                    <legend>"Candidate"</legend>
                    <label><input type="radio" name="kind" value="individual" prop:checked=move || kind.get() == "individual" on:change=move |_| kind.set("individual".into()) />" Individual"</label>
                    <label><input type="radio" name="kind" value="organisation" data-testid="kind-organisation" prop:checked=move || kind.get() == "organisation" on:change=move |_| kind.set("organisation".into()) />" Organisation"</label>
                </fieldset>
                <label for="cand-name">"Name"</label>
                <input id="cand-name" data-testid="candidate-name" prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev)) />
                <Show when=move || kind.get() == "organisation">
                    <label for="cand-size">"Size (people)"</label>
                    <input id="cand-size" type="number" min="1" data-testid="candidate-size" prop:value=move || size.get() on:input=move |ev| size.set(event_target_value(&ev)) />
                </Show>
                <Show when=move || kind.get() == "individual">
                    <label class="toggle"><input type="checkbox" data-testid="candidate-myself" prop:checked=move || myself.get() on:change=move |ev| myself.set(event_target_checked(&ev)) />" This is me (I am applying)"</label>
                </Show>
                <label for="cand-tier">"Tier"</label>
                <select id="cand-tier" data-testid="candidate-tier" on:change=move |ev| tier.set(event_target_value(&ev))>
                    {move || tiers().into_iter().map(|t| view! { <option value=t.id.clone()>{format!("{} ({})", t.name, policy_text(t.approval))}</option> }).collect_view()}
                </select>
                <label for="cand-statement">"Statement"</label>
                <textarea id="cand-statement" data-testid="candidate-statement" rows="3" prop:value=move || statement.get() on:input=move |ev| statement.set(event_target_value(&ev))></textarea>
                <button type="submit" data-testid="propose-submit">"Propose"</button>
            </form>
        </section>
    }
}

#[component]
fn TierRow(tier: Tier, may_edit: Signal<bool>) -> impl IntoView {
    let session = expect_context::<Session>();
    let id = StoredValue::new(tier.id.clone());
    let (n, rule) = match tier.approval {
        Approval::Ratification {
            endorsements,
            objections,
        } => (endorsements, objections),
        Approval::SelfCertification => (2, ObjectionRule::Subtract),
    };
    let set = move |a: Approval| {
        let _ = session.act(|ws, ctx| ws.set_tier_policy(ctx, &id.get_value(), a));
    };
    let tier_name = tier.name.clone();
    view! {
        <li data-testid="tier">
            <strong data-testid="tier-name">{tier.name.clone()}</strong>": "
            <span data-testid="tier-policy">{policy_text(tier.approval)}</span>
            <Show when=move || may_edit.get() && session.may(moot_trust::Level::Edit) fallback=|| view! { <span class="muted" data-testid="tier-members-only">" (members decide this)"</span> }>
            <span class="tier-edit">
                <button type="button" on:click=move |_| set(Approval::SelfCertification)>"Self-certification"</button>
                <button type="button" on:click=move |_| set(Approval::Ratification { endorsements: n, objections: rule })>"Ratification"</button>
                <label>" endorsements needed "
                    <input type="number" min="1" max="100" value=n.to_string() aria-label=format!("Endorsements needed for {}", tier_name)
                        on:change=move |ev| { if let Ok(k) = event_target_value(&ev).parse() { set(Approval::Ratification { endorsements: k, objections: rule }) } } />
                </label>
                <label>" objections "
                    <select aria-label=format!("What objections do for {}", tier_name)
                        on:change=move |ev| {
                            let rule = match event_target_value(&ev).as_str() { "veto" => ObjectionRule::Veto, "record" => ObjectionRule::Record, _ => ObjectionRule::Subtract };
                            set(Approval::Ratification { endorsements: n, objections: rule });
                        }>
                        <option value="subtract" selected=rule == ObjectionRule::Subtract>"cancel endorsements"</option>
                        <option value="veto" selected=rule == ObjectionRule::Veto>"veto"</option>
                        <option value="record" selected=rule == ObjectionRule::Record>"are only recorded"</option>
                    </select>
                </label>
            </span>
            </Show>
        </li>
    }
}

#[component]
fn ProposalCard(view: ProposalView) -> impl IntoView {
    let session = expect_context::<Session>();
    let id = StoredValue::new(view.proposal.id.clone());
    let comment = RwSignal::new(String::new());
    let name = move |p: &str| {
        session
            .read_in(&[Part::People], |ws| ws.person_name(p))
            .unwrap_or_else(|| p.to_owned())
    };
    let tier_name = session
        .read_ok(|ws| ws.tiers())
        .and_then(|t| t.into_iter().find(|t| t.id == view.proposal.tier))
        .map(|t| t.name)
        .unwrap_or_default();
    let candidate = match (view.proposal.candidate.kind, view.proposal.candidate.size) {
        (CandidateKind::Organisation, Some(n)) => format!(
            "{} (organisation, {n} people)",
            view.proposal.candidate.name
        ),
        _ => view.proposal.candidate.name.clone(),
    };
    let act = move |kind: ActKind| {
        let text = comment.get_untracked();
        let r = session.act(|ws, ctx| match kind {
            ActKind::Endorse => ws.endorse(ctx, &id.get_value(), &text),
            ActKind::Object => ws.object(ctx, &id.get_value(), &text),
            ActKind::SelfCertify => ws.self_certify(
                ctx,
                &id.get_value(),
                if text.trim().is_empty() {
                    "I have read and accept the Code of Conduct."
                } else {
                    &text
                },
            ),
            ActKind::Withdraw => ws.withdraw(ctx, &id.get_value(), &text),
        });
        if r.is_ok() {
            comment.set(String::new());
        }
    };
    let status = view.status;
    let needs = session
        .read_ok(|ws| ws.tiers())
        .and_then(|tiers| view.still_needs(&tiers));
    let progress = if view.needed > 0 {
        format!(
            " · {}/{} endorsements, {} objection(s)",
            view.endorsements, view.needed, view.objections
        )
    } else {
        String::new()
    };
    view! {
        <li class="card proposal" data-testid="proposal" id=format!("proposal-{}", view.proposal.id) tabindex="-1">
            <p><strong data-testid="proposal-candidate">{candidate}</strong>" for "<span>{tier_name}</span>
               " — "<span class=format!("status {}", status.label()) data-testid="proposal-status">{status.label()}</span>{progress}</p>
            {needs.map(|n| view! { <p data-testid="proposal-needs">"Still needs " {n}</p> })}
            <p class="muted">"Proposed by "{name(&view.proposal.proposer)}": "{view.proposal.statement.clone()}</p>
            <ol class="history" data-testid="proposal-history">
                {view.proposal.acts.iter().map(|a| view! {
                    <li>{format!("{} — {} {}{}", a.at.get(..16).unwrap_or(&a.at).replace('T', " "), name(&a.by), match a.kind {
                        ActKind::Endorse => "endorsed", ActKind::Object => "objected", ActKind::SelfCertify => "self-certified", ActKind::Withdraw => "withdrew",
                    }, if a.comment.is_empty() { String::new() } else { format!(": {}", a.comment) })}</li>
                }).collect_view()}
                {view.forged.iter().map(|a| view! {
                    <li class="forged" data-testid="act-forged">{format!("{} — an act in {}'s name that their key did not sign: not counted", a.at.get(..16).unwrap_or(&a.at).replace('T', " "), name(&a.by))}</li>
                }).collect_view()}
            </ol>
            <Show when=move || status == Status::Pending && session.may(moot_trust::Level::Edit)>
                <div class="row">
                    <input aria-label="Comment" placeholder="Comment (needed to object)" data-testid="act-comment" prop:value=move || comment.get() on:input=move |ev| comment.set(event_target_value(&ev)) />
                    <button type="button" data-testid="act-endorse" on:click=move |_| act(ActKind::Endorse)>"Endorse"</button>
                    <button type="button" data-testid="act-object" on:click=move |_| act(ActKind::Object)>"Object"</button>
                    <button type="button" data-testid="act-self-certify" on:click=move |_| act(ActKind::SelfCertify)>"Self-certify"</button>
                    <button type="button" data-testid="act-withdraw" on:click=move |_| act(ActKind::Withdraw)>"Withdraw"</button>
                </div>
            </Show>
        </li>
    }
}

/// A key as people compare it: its first base58 digits.
fn bs58_short(key: &[u8; 32]) -> String {
    moot_trust::VerifyingKey::from_bytes(key)
        .map(|k| moot_trust::short(&k))
        .unwrap_or_default()
}

/// My devices in a private workspace: this one's code, the ones that write as me, a pairing
/// link for another, and adding one by its code.
#[component]
fn YourDevices() -> impl IntoView {
    let session = expect_context::<Session>();
    let hub = expect_context::<crate::sync::SyncHub>();
    let code = RwSignal::new(String::new());
    let mine = move || {
        let me = session.me.get().map(|m| m.id).unwrap_or_default();
        session
            .read_in(&[Part::People], |ws| ws.devices_of(&me))
            .unwrap_or_default()
    };
    let pairing = move || {
        let me = session.me.get().map(|m| m.id)?;
        let level = session.level.get()?;
        let link = session.private_link(level)?;
        let url = crate::components::share::private_link(&link, hub.relay.get().as_deref());
        let sep = if url.contains('?') { '&' } else { '?' };
        Some(format!("{url}{sep}as={me}"))
    };
    let add = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let c = code.get_untracked();
        if session
            .act_comment(|ws, ctx| ws.add_device(ctx, &c))
            .is_ok()
        {
            code.set(String::new());
        }
    };
    view! {
        <h3>"Your devices"</h3>
        <p class="muted">"Each device has its own key. To write as yourself from another device: open the pairing link there, then add the code it shows here."</p>
        <p>"This device's code: "<code data-testid="device-code">{move || session.device_code().unwrap_or_default()}</code></p>
        <ul data-testid="my-devices">
            {move || mine().into_iter().map(|c| view! { <li data-testid="my-device"><code>{c}</code></li> }).collect_view()}
        </ul>
        <label for="pairing-link">"Pairing link (keep it to yourself: it holds your link)"</label>
        <input id="pairing-link" readonly data-testid="pairing-link" prop:value=move || pairing().unwrap_or_default() />
        <form class="row" on:submit=add>
            <input aria-label="The other device's code" placeholder="The other device's code" data-testid="device-code-input"
                prop:value=move || code.get() on:input=move |ev| code.set(event_target_value(&ev)) />
            <button type="submit" data-testid="device-add">"Add this device"</button>
        </form>
    }
}
