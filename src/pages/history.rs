//! History: the workspace's changes grouped by person and burst of work, newest first, each
//! group saying what it touched, filtered by person and by page, each place opening.

use leptos::prelude::*;
use moot_model::history::Group;
use moot_model::search::Area;

use crate::browser::When;
use crate::state::Session;

/// Groups shown at first, and added by "Show more".
const PAGE: usize = 25;

#[component]
pub fn HistoryPage() -> impl IntoView {
    let session = expect_context::<Session>();
    crate::browser::mark("moot:history-start");
    // Read when the page opens and on every change while it shows (no one types here).
    let groups = Memo::new(move |_| {
        session.version.track();
        session
            .with_workspace_mut(|ws| ws.history())
            .unwrap_or_default()
    });
    let person = RwSignal::new(String::new());
    let area = RwSignal::new(String::new());
    let shown = RwSignal::new(PAGE);
    let people = Memo::new(move |_| {
        let mut ids: Vec<String> = groups.with(|g| g.iter().map(|g| g.person.clone()).collect());
        ids.sort();
        ids.dedup();
        let mut named: Vec<(String, String)> = ids
            .into_iter()
            .map(|id| {
                let name = name_of(session, &id);
                (id, name)
            })
            .collect();
        named.sort_by(|a, b| a.1.cmp(&b.1));
        named
    });
    let filtered = move || {
        let p = person.get();
        let a = area.get();
        groups.with(|gs| {
            gs.iter()
                .filter(|g| p.is_empty() || g.person == p)
                .filter(|g| {
                    a.is_empty()
                        || g.areas
                            .iter()
                            .any(|x| crate::components::search::slug(*x) == a)
                })
                .cloned()
                .collect::<Vec<Group>>()
        })
    };
    let visible = move || filtered().into_iter().take(shown.get()).collect::<Vec<_>>();
    let total = move || filtered().len();
    Effect::new(move |_| {
        groups.track();
        request_animation_frame(|| crate::browser::measure("moot:history", "moot:history-start"));
    });
    view! {
        <section aria-labelledby="history-title" data-testid="history-page">
            <h2 id="history-title">"History"</h2>
            <p class="muted">"Every change the group made, by person and by burst of work, newest first. Nothing is ever purged."</p>
            <div class="row history-filters">
                <label>"Person "
                    <select data-testid="history-person" on:change=move |ev| { person.set(event_target_value(&ev)); shown.set(PAGE); }>
                        <option value="">"Everyone"</option>
                        {move || people.get().into_iter().map(|(id, name)| view! { <option value=id.clone() selected=move || person.get() == id>{name}</option> }).collect_view()}
                    </select>
                </label>
                <label>"Page "
                    <select data-testid="history-area" on:change=move |ev| { area.set(event_target_value(&ev)); shown.set(PAGE); }>
                        <option value="">"All pages"</option>
                        {Area::ALL.into_iter().map(|a| view! { <option value=crate::components::search::slug(a)>{a.label()}</option> }).collect_view()}
                    </select>
                </label>
            </div>
            <ol class="history" data-testid="history-groups">
                <For each=visible key=|g: &Group| g.key() let:g>
                    <GroupView group=g />
                </For>
            </ol>
            <Show when=move || { total() > shown.get() }>
                <button type="button" data-testid="history-more" on:click=move |_| shown.update(|n| *n += PAGE)>
                    {move || format!("Show more ({} left)", total() - shown.get())}
                </button>
            </Show>
            <Show when=move || groups.with(Vec::is_empty)>
                <p class="muted">"No changes yet."</p>
            </Show>
        </section>
    }
}

fn name_of(session: Session, person: &str) -> String {
    if person.is_empty() {
        return "Someone".into();
    }
    session
        .read_untracked(|ws| ws.person_name(person))
        .unwrap_or_else(|| person.to_owned())
}

#[component]
fn GroupView(group: Group) -> impl IntoView {
    let session = expect_context::<Session>();
    let ws_id = session.doc_id.get_untracked().unwrap_or_default();
    let touches = session
        .with_workspace_mut(|ws| ws.describe(&group))
        .unwrap_or_default();
    let name = name_of(session, &group.person);
    let changes = group.changes.len();
    let at = moot_model::time::format_instant(group.to);
    // The state after this burst: every change of it (and so all they depend on).
    let after = StoredValue::new(group.changes.clone());
    view! {
        <li class="card history-group" data-testid="history-group" data-person=group.person.clone()>
            <p class="history-head">
                <strong data-testid="history-who">{name}</strong>
                {group.verified.then(|| view! { <span class="badge" title="signed by a device key of theirs">" verified"</span> })}
                " " <When at=at />
                <span class="muted">{format!(" · {changes} change{}", if changes == 1 { "" } else { "s" })}</span>
            </p>
            <ul class="history-touches">
                {touches.into_iter().map(|t| {
                    let words = t.words.clone();
                    match t.place {
                        Some(place) => {
                            let href = crate::components::search::href(&ws_id, &place);
                            // Minutes can be put back as they were after this burst.
                            let restore = place.anchor.strip_prefix("minutes-").map(str::to_owned).map(|item| {
                                let item = StoredValue::new(item);
                                view! {
                                    " " <button type="button" data-testid="history-restore-minutes" on:click=move |_| {
                                        let item = item.get_value();
                                        let heads = after.get_value();
                                        if session.act(|ws, ctx| ws.restore_minutes(ctx, &item, &heads)).is_ok() {
                                            session.notice.set(Some("The minutes read again as they did after this.".into()));
                                        }
                                    }>"Restore these minutes to this point"</button>
                                }
                            });
                            view! { <li data-testid="history-touch"><a href=href>{words}</a>{restore}</li> }.into_any()
                        }
                        None => view! { <li data-testid="history-touch">{words}</li> }.into_any(),
                    }
                }).collect_view()}
            </ul>
        </li>
    }
}
