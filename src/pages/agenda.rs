//! Work sessions: UTC and local time, invitation, the rolling agenda with minutes, and action
//! points.

use leptos::prelude::*;
use moot_model::{
    Move,
    schema::{AgendaItem, WorkSession},
};

use crate::{
    browser,
    state::{Session, identity},
};
use moot_model::news::Part;

/// What the agenda shows (names are read where shown, under [`Part::People`]).
const AGENDA: Part = Part::Area(moot_model::search::Area::Agenda);

/// One agenda row, flattened from the tree with its number ("2.1") and depth.
#[derive(Clone, PartialEq)]
struct Row {
    id: String,
    number: String,
    depth: usize,
    title: String,
    minutes: String,
    first: bool,
    last: bool,
    nested: bool,
}

fn flatten(items: &[AgendaItem], prefix: &str, depth: usize, out: &mut Vec<Row>) {
    for (i, item) in items.iter().enumerate() {
        let number = if prefix.is_empty() {
            format!("{}", i + 1)
        } else {
            format!("{prefix}.{}", i + 1)
        };
        out.push(Row {
            id: item.id.clone(),
            number: number.clone(),
            depth,
            title: item.title.clone(),
            minutes: item.minutes.as_str().to_owned(),
            first: i == 0,
            last: i + 1 == items.len(),
            nested: depth > 0,
        });
        flatten(&item.children, &number, depth + 1, out);
    }
}

#[component]
pub fn AgendaPage() -> impl IntoView {
    let session = expect_context::<Session>();
    provide_context(crate::pages::versions::OpenMinutes::default());
    // The sessions are hydrated once per change, here; every session view reads its own from
    // this memo (hydrating per view made opening a workspace quadratic in its sessions).
    let all = Memo::new(move |_| {
        browser::mark("moot:agenda-read-start");
        let read = session.read_ok_in(&[AGENDA], |ws| ws.sessions());
        browser::measure("moot:agenda-read", "moot:agenda-read-start");
        read
    });
    crate::pages::decisions::LinkedDecisions::provide(session);
    provide_context(Sessions(all));
    let sessions = move || all.get().unwrap_or_default();
    Effect::new(move |_| {
        if all.with(Option::is_some) {
            crate::browser::mark_editable_once();
        }
    });
    view! {
        <section aria-labelledby="agenda-title" data-testid="agenda-page">
            <h2 id="agenda-title">"Agenda & minutes"</h2>
            // Keyed by id only: a session view reads its own fields reactively.
            <For each=sessions key=|s: &WorkSession| s.id.clone() let:s>
                <SessionView session_id=s.id.clone() />
            </For>
            <Show when=move || session.may(moot_trust::Level::Edit)>
                <NewSession />
            </Show>
        </section>
    }
}

#[component]
fn NewSession() -> impl IntoView {
    let session = expect_context::<Session>();
    let title = RwSignal::new(String::new());
    let start = RwSignal::new(String::new());
    let duration = RwSignal::new("90".to_owned());
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        // <input type=datetime-local> is the viewer's local time: convert to UTC.
        let local = start.get_untracked();
        let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_str(&local));
        let utc = if date.get_time().is_nan() {
            local
        } else {
            String::from(date.to_iso_string())
        };
        let minutes = duration.get_untracked().trim().parse().unwrap_or(0);
        if session
            .act(|ws, ctx| ws.add_session(ctx, &title.get_untracked(), &utc, minutes, ""))
            .is_ok()
        {
            title.set(String::new());
        }
    };
    view! {
        <form class="card new-session" on:submit=submit data-testid="new-session-form">
            <h3>"Plan a work session"</h3>
            <label for="ns-title">"Title"</label>
            <input id="ns-title" data-testid="new-session-title" prop:value=move || title.get() on:input=move |ev| title.set(event_target_value(&ev)) />
            <label for="ns-start">"Starts (your local time)"</label>
            <input id="ns-start" type="datetime-local" data-testid="new-session-start" prop:value=move || start.get() on:input=move |ev| start.set(event_target_value(&ev)) />
            <label for="ns-duration">"Duration (minutes)"</label>
            <input id="ns-duration" type="number" min="1" max="1440" prop:value=move || duration.get() on:input=move |ev| duration.set(event_target_value(&ev)) />
            <button type="submit">"Add session"</button>
        </form>
    }
}

/// All work sessions of the workspace, hydrated once per change (see [`AgendaPage`]).
#[derive(Clone, Copy)]
struct Sessions(Memo<Option<Vec<WorkSession>>>);

impl Sessions {
    /// One session by id (tracked).
    fn find(&self, id: &str) -> Option<WorkSession> {
        self.0.with(|all| {
            all.as_ref()
                .and_then(|all| all.iter().find(|s| s.id == id).cloned())
        })
    }
}

#[component]
fn SessionView(session_id: String) -> impl IntoView {
    let session = expect_context::<Session>();
    let sid = StoredValue::new(session_id);
    // Read once per change; the fields below read this memo.
    let sessions = expect_context::<Sessions>();
    let data = Memo::new(move |_| sessions.find(&sid.get_value()));
    let data = move || data.get();
    let title = move || data().map(|s| s.title).unwrap_or_default();
    let start = move || data().map(|s| s.start).unwrap_or_default();
    let duration = move || data().map(|s| s.duration_minutes).unwrap_or_default();
    let invitation = move || {
        data()
            .map(|s| s.invitation.as_str().to_owned())
            .unwrap_or_default()
    };
    let rows = move || {
        let mut out = Vec::new();
        if let Some(s) = data() {
            flatten(&s.agenda, "", 0, &mut out);
        }
        out
    };
    let ics = move |_| {
        let name = format!(
            "{}.ics",
            title().replace(|c: char| !c.is_alphanumeric(), "-")
        );
        match session.read(|ws| ws.session_ics(&sid.get_value(), &identity::now())) {
            Some(Ok(text)) => {
                if let Err(e) = browser::download(&name, "text/calendar", text.as_bytes()) {
                    session.error.set(Some(e));
                }
            }
            Some(Err(e)) => session.error.set(Some(e.to_string())),
            None => {}
        }
    };
    let copied = RwSignal::new(false);
    let markdown = move |_| {
        if let Some(Ok(md)) = session.read(|ws| ws.minutes_markdown(&sid.get_value())) {
            browser::copy(&md);
            copied.set(true);
        }
    };
    let download_md = move |_| {
        let name = format!(
            "{}.md",
            title().replace(|c: char| !c.is_alphanumeric(), "-")
        );
        match session.read(|ws| ws.minutes_markdown(&sid.get_value())) {
            Some(Ok(md)) => {
                if let Err(e) = browser::download(&name, "text/markdown", md.as_bytes()) {
                    session.error.set(Some(e));
                }
            }
            Some(Err(e)) => session.error.set(Some(e.to_string())),
            None => {}
        }
    };
    let new_item = RwSignal::new(String::new());
    let add_item = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if session
            .act(|ws, ctx| {
                ws.add_agenda_item(ctx, &sid.get_value(), None, &new_item.get_untracked())
            })
            .is_ok()
        {
            new_item.set(String::new());
        }
    };
    let editing = RwSignal::new(false);
    let edit_title = move |ev: leptos::ev::Event| {
        let _ = session
            .act(|ws, ctx| ws.rename_session(ctx, &sid.get_value(), &event_target_value(&ev)));
    };
    let edit_start = move |ev: leptos::ev::Event| {
        // <input type=datetime-local> is the viewer's local time: convert to UTC.
        let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_str(&event_target_value(&ev)));
        if date.get_time().is_nan() {
            session
                .error
                .set(Some("please pick a date and time".into()));
            return;
        }
        let utc = String::from(date.to_iso_string());
        let minutes = duration();
        let _ = session.act(|ws, ctx| ws.reschedule(ctx, &sid.get_value(), &utc, minutes));
    };
    let edit_invitation = move |ev: leptos::ev::Event| {
        let _ = session
            .act(|ws, ctx| ws.set_invitation(ctx, &sid.get_value(), &event_target_value(&ev)));
    };
    view! {
        <article class="card session" data-testid="session" id=move || format!("session-{}", sid.get_value()) tabindex="-1">
            <h3 data-testid="session-title">{title}</h3>
            <p class="when">
                <time data-testid="session-utc" datetime=start>{move || browser::utc_time(&start())}</time>
                <span class="muted" data-testid="session-local">
                    {move || format!(" · {} ({}) · {} minutes", browser::local_time(&start()), browser::time_zone(), duration())}
                </span>
            </p>
            <p class="invitation" data-testid="session-invitation">{invitation}</p>
            <Show when=move || editing.get()>
                <div class="card edit-session" data-testid="edit-session">
                    <label for=move || format!("st-{}", sid.get_value())>"Title"</label>
                    <input id=move || format!("st-{}", sid.get_value()) data-testid="edit-session-title" value=title on:change=edit_title />
                    <label for=move || format!("ss-{}", sid.get_value())>"Starts (your local time)"</label>
                    <input id=move || format!("ss-{}", sid.get_value()) type="datetime-local" data-testid="edit-session-start" on:change=edit_start />
                    <label for=move || format!("si-{}", sid.get_value())>"Invitation"</label>
                    <textarea id=move || format!("si-{}", sid.get_value()) rows="4" data-testid="edit-session-invitation" on:change=edit_invitation>{invitation}</textarea>
                </div>
            </Show>
            <div class="actions">
                <button type="button" data-testid="edit-session-toggle" hidden=move || !session.may(moot_trust::Level::Edit) aria-expanded=move || editing.get().to_string() on:click=move |_| editing.update(|e| *e = !*e)>
                    {move || if editing.get() { "Done editing" } else { "Edit session" }}
                </button>
                <button type="button" on:click=ics data-testid="download-ics">"Add to calendar (.ics)"</button>
                <button type="button" on:click=markdown data-testid="copy-minutes">
                    {move || if copied.get() { "Minutes copied" } else { "Copy minutes as Markdown" }}
                </button>
                <button type="button" on:click=download_md data-testid="download-minutes">"Download minutes (.md)"</button>
            </div>
            <h4>"Rolling agenda"</h4>
            <ol class="agenda" data-testid="agenda">
                <For each=rows key=|r: &Row| (r.id.clone(), r.number.clone(), r.title.clone(), r.minutes.clone(), r.first, r.last) let:row>
                    <AgendaRow session_id=sid.get_value() row=row />
                </For>
            </ol>
            <form class="row" on:submit=add_item hidden=move || !session.may(moot_trust::Level::Edit)>
                <label class="visually-hidden" for=move || format!("add-item-{}", sid.get_value())>"New agenda item"</label>
                <input id=move || format!("add-item-{}", sid.get_value()) data-testid="new-agenda-item" placeholder="New agenda item"
                    prop:value=move || new_item.get() on:input=move |ev| new_item.set(event_target_value(&ev)) />
                <button type="submit" data-testid="add-agenda-item">"Add item"</button>
            </form>
            <ActionPoints session_id=sid.get_value() />
        </article>
    }
}

#[component]
fn AgendaRow(session_id: String, row: Row) -> impl IntoView {
    let session = expect_context::<Session>();
    let sid = StoredValue::new(session_id);
    let id = StoredValue::new(row.id.clone());
    let mv = move |how: Move| {
        let _ =
            session.act(|ws, ctx| ws.move_agenda_item(ctx, &sid.get_value(), &id.get_value(), how));
    };
    let decisions = expect_context::<crate::pages::decisions::LinkedDecisions>().0;
    let on_item = Signal::derive(move || {
        decisions.with(|all| {
            all.iter()
                .filter(|d| matches!(&d.rules.subject, Some(moot_model::decisions::Subject::AgendaItem { item, .. }) if id.with_value(|i| i == item)))
                .cloned()
                .collect::<Vec<_>>()
        })
    });
    let minutes_id = format!("minutes-{}", row.id);
    let title_id = format!("title-{}", row.id);
    let sub = RwSignal::new(String::new());
    let add_sub = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if session
            .act(|ws, ctx| {
                ws.add_agenda_item(
                    ctx,
                    &sid.get_value(),
                    Some(&id.get_value()),
                    &sub.get_untracked(),
                )
            })
            .is_ok()
        {
            sub.set(String::new());
        }
    };
    view! {
        <li class=format!("agenda-item depth-{}", row.depth.min(moot_model::AGENDA_MAX_DEPTH)) data-testid="agenda-item">
            <div class="item-head">
                <span class="number" data-testid="agenda-number">{row.number.clone()}</span>
                <label class="visually-hidden" for=title_id.clone()>"Agenda item title"</label>
                <input class="item-title" id=title_id data-testid="agenda-title" value=row.title.clone()
                    prop:readOnly=move || !session.may(moot_trust::Level::Edit)
                    on:change=move |ev| { let _ = session.act(|ws, ctx| ws.rename_agenda_item(ctx, &sid.get_value(), &id.get_value(), &event_target_value(&ev))); } />
                <span class="move" hidden=move || !session.may(moot_trust::Level::Edit)>
                    <button type="button" aria-label="Move up" title="Move up" disabled=row.first on:click=move |_| mv(Move::Up)>"↑"</button>
                    <button type="button" aria-label="Move down" title="Move down" disabled=row.last on:click=move |_| mv(Move::Down)>"↓"</button>
                    <button type="button" aria-label="Make sub-point" title="Make sub-point" disabled=row.first on:click=move |_| mv(Move::Indent)>"→"</button>
                    <button type="button" aria-label="Make top-level" title="Make top-level" disabled=!row.nested on:click=move |_| mv(Move::Outdent)>"←"</button>
                </span>
            </div>
            <label class="minutes-label" for=minutes_id.clone()>"Minutes"</label>
            <textarea id=minutes_id class="minutes" data-testid="agenda-minutes" rows="2"
                prop:readOnly=move || !session.may(moot_trust::Level::Edit)
                on:change=move |ev| { let _ = session.act(|ws, ctx| ws.set_minutes(ctx, &sid.get_value(), &id.get_value(), &event_target_value(&ev))); }
            >{row.minutes.clone()}</textarea>
            <crate::pages::versions::MinutesVersions item=id.get_value() />
            <crate::pages::decisions::DecisionLinks on=on_item />
            <a class="propose-decision" data-testid="agenda-propose-decision" hidden=move || !session.may(moot_trust::Level::Edit)
                href=move || crate::pages::decisions::href(&session.doc_id.get().unwrap_or_default(), "from", &format!("agenda:{}:{}", sid.get_value(), id.get_value()))>
                "Propose a decision on this item"
            </a>
            <form class="row sub" on:submit=add_sub hidden=move || !session.may(moot_trust::Level::Edit)>
                <input aria-label="New sub-point" placeholder="Add a sub-point" data-testid="new-sub-point"
                    prop:value=move || sub.get() on:input=move |ev| sub.set(event_target_value(&ev)) />
                <button type="submit">"Add sub-point"</button>
            </form>
        </li>
    }
}

#[component]
fn ActionPoints(session_id: String) -> impl IntoView {
    let session = expect_context::<Session>();
    let sid = StoredValue::new(session_id);
    let sessions = expect_context::<Sessions>();
    let mine = RwSignal::new(false);
    let points = move || {
        let me = session.me.get().map(|m| m.id).unwrap_or_default();
        let only_mine = mine.get();
        sessions
            .find(&sid.get_value())
            .map(|s| {
                s.action_points
                    .into_iter()
                    .filter(|a| !only_mine || a.is_owned_by(&me))
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default()
    };
    let owner_names = move |owners: &[String]| {
        owners
            .iter()
            .map(|o| {
                if o.eq_ignore_ascii_case("all") {
                    "All".to_owned()
                } else {
                    session
                        .read_in(&[Part::People], |ws| ws.person_name(o))
                        .unwrap_or_else(|| o.clone())
                }
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    let text = RwSignal::new(String::new());
    let owners = RwSignal::new(String::new());
    let due = RwSignal::new(String::new());
    let add = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        // Owners by name ("Anna, Andrew", or "all"); unknown names are kept as written.
        let people = session
            .read_ok(|ws| ws.state().map(|s| s.people))
            .unwrap_or_default();
        let ids: Vec<String> = owners
            .get_untracked()
            .split(',')
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .map(|n| {
                people
                    .values()
                    .find(|p| p.name.eq_ignore_ascii_case(n))
                    .map(|p| p.id.clone())
                    .unwrap_or_else(|| {
                        if n.eq_ignore_ascii_case("all") {
                            "all".into()
                        } else {
                            n.to_owned()
                        }
                    })
            })
            .collect();
        let due_value = due.get_untracked();
        let due_opt = (!due_value.is_empty()).then_some(due_value.as_str());
        if session
            .act(|ws, ctx| {
                ws.add_action_point(
                    ctx,
                    &sid.get_value(),
                    &text.get_untracked(),
                    &ids,
                    due_opt,
                    None,
                )
            })
            .is_ok()
        {
            text.set(String::new());
            owners.set(String::new());
            due.set(String::new());
        }
    };
    view! {
        <h4>"Action points"</h4>
        <label class="toggle"><input type="checkbox" data-testid="filter-mine" prop:checked=move || mine.get() on:change=move |ev| mine.set(event_target_checked(&ev)) />" Only mine"</label>
        <ul class="action-points" data-testid="action-points">
            <For each=points key=|a| (a.id.clone(), a.text.clone(), a.done, a.due.clone(), a.owners.clone()) let:a>
                {
                    let id = StoredValue::new(a.id.clone());
                    let overdue = a.is_overdue(&browser::today());
                    let label = format!("{}: {}", owner_names(&a.owners), a.text);
                    view! {
                        <li class:overdue=overdue class:done=a.done data-testid="action-point" id=format!("action-{}", a.id) tabindex="-1">
                            <label>
                                <input type="checkbox" data-testid="action-done" prop:checked=a.done
                                    prop:disabled=move || !session.may(moot_trust::Level::Edit)
                                    on:change=move |ev| { let _ = session.act(|ws, ctx| ws.set_action_done(ctx, &sid.get_value(), &id.get_value(), event_target_checked(&ev))); } />
                                <span data-testid="action-text">{label}</span>
                            </label>
                            {a.due.clone().map(|d| view! { <span class="due" data-testid="action-due">{if overdue { format!("overdue since {d}") } else { format!("due {d}") }}</span> })}
                        </li>
                    }
                }
            </For>
        </ul>
        <form class="card add-action" on:submit=add data-testid="new-action-form" hidden=move || !session.may(moot_trust::Level::Edit)>
            <input aria-label="What" placeholder="What needs doing" data-testid="new-action-text" prop:value=move || text.get() on:input=move |ev| text.set(event_target_value(&ev)) />
            <input aria-label="Who (names, comma separated, or all)" placeholder="Who (names or all)" data-testid="new-action-owners" prop:value=move || owners.get() on:input=move |ev| owners.set(event_target_value(&ev)) />
            <input aria-label="Due date" type="date" data-testid="new-action-due" prop:value=move || due.get() on:input=move |ev| due.set(event_target_value(&ev)) />
            <button type="submit">"Add action point"</button>
        </form>
    }
}
