//! Named versions of the draft: name the current one, view any read-only, compare any two
//! as a redline (with what changed per numbered section), restore one, download one as
//! Markdown.

use leptos::prelude::*;
use moot_model::history::{Mark, Run, Version, redline_summary};

use crate::browser::When;
use crate::state::Session;

/// What the panel under the list shows.
#[derive(Clone, PartialEq)]
enum Shown {
    Nothing,
    Text {
        name: String,
        text: String,
        /// The threads there were on that version: passage, and each comment's author and words.
        threads: Vec<(String, Vec<(String, String)>)>,
    },
    Redline {
        from: String,
        to: String,
        runs: Vec<Run>,
    },
}

/// `""` in a compare select stands for the text as it is now.
const NOW: &str = "";

#[component]
pub fn Versions(#[prop(into)] document: Signal<String>) -> impl IntoView {
    let session = expect_context::<Session>();
    let versions = Memo::new(move |_| {
        let doc = document.get();
        let review = moot_model::news::Part::Area(moot_model::search::Area::CodeOfConduct);
        session
            .read_in(&[review], |ws| ws.versions(&doc))
            .unwrap_or_default()
    });
    let name = RwSignal::new(String::new());
    let shown = RwSignal::new(Shown::Nothing);
    let from = RwSignal::new(String::new());
    let to = RwSignal::new(NOW.to_owned());
    let heads_of = move |id: &str| -> Option<(String, Vec<String>)> {
        versions.with_untracked(|vs| {
            vs.iter()
                .find(|v| v.id == id)
                .map(|v| (v.name.clone(), v.heads.clone()))
        })
    };
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let doc = document.get_untracked();
        let n = name.get_untracked();
        if session
            .act(|ws, ctx| ws.name_version(ctx, &doc, &n))
            .is_ok()
        {
            name.set(String::new());
        }
    };
    let compare = move |a: String, b: String| {
        let doc = document.get_untracked();
        let (from_name, from_heads) = match heads_of(&a) {
            Some(v) => v,
            None => return,
        };
        let (to_name, to_heads) = if b == NOW {
            ("now".to_owned(), None)
        } else {
            match heads_of(&b) {
                Some((n, h)) => (n, Some(h)),
                None => return,
            }
        };
        crate::browser::mark("moot:redline-start");
        let found =
            session.with_workspace_mut(|ws| ws.redline(&doc, &from_heads, to_heads.as_deref()));
        crate::browser::measure("moot:redline", "moot:redline-start");
        match found {
            Some(Ok(runs)) => shown.set(Shown::Redline {
                from: from_name,
                to: to_name,
                runs,
            }),
            Some(Err(e)) => session.error.set(Some(e.to_string())),
            None => {}
        }
    };
    let view_version = move |v: Version| {
        let doc = document.get_untracked();
        crate::browser::mark("moot:version-text-start");
        let read = session.with_workspace_mut(|ws| {
            let text = ws.text_at_version(&doc, Some(&v.heads))?;
            let threads = ws.threads_at_version(&doc, &v.heads)?;
            Ok::<_, moot_model::ModelError>((text, threads))
        });
        crate::browser::measure("moot:version-text", "moot:version-text-start");
        match read {
            Some(Ok((text, threads))) => shown.set(Shown::Text {
                name: v.name,
                text,
                threads,
            }),
            Some(Err(e)) => session.error.set(Some(e.to_string())),
            None => {}
        }
    };
    let restore = move |v: Version| {
        let doc = document.get_untracked();
        if session
            .act(|ws, ctx| ws.restore_version(ctx, &doc, &v.heads))
            .is_ok()
        {
            // The draft mirrors its own typing: a restore is read back like a peer's change.
            session.outside.update(|n| *n += 1);
            session.notice.set(Some(format!(
                "Restored “{}”: the draft now reads as it did then.",
                v.name
            )));
            shown.set(Shown::Nothing);
        }
    };
    let download = move |v: Version| {
        let doc = document.get_untracked();
        let title = session
            .read_untracked(|ws| ws.target_title(&doc).ok())
            .flatten()
            .unwrap_or_default();
        if let Some(Ok(text)) =
            session.with_workspace_mut(|ws| ws.text_at_version(&doc, Some(&v.heads)))
        {
            let md = format!(
                "# {title}\n\nVersion “{}”, named {} UTC.\n\n{text}\n",
                v.name,
                crate::browser::utc_time(&v.at)
            );
            let file: String = v
                .name
                .chars()
                .map(|c| if c.is_alphanumeric() { c } else { '-' })
                .collect();
            if let Err(e) =
                crate::browser::download(&format!("{file}.md"), "text/markdown", md.as_bytes())
            {
                session.error.set(Some(e));
            }
        }
    };
    view! {
        <section class="versions card" aria-labelledby="versions-title" data-testid="versions">
            <h3 id="versions-title">"Versions"</h3>
            <Show when=move || session.may(moot_trust::Level::Edit)>
                <form class="row" on:submit=save>
                    <label for="version-name">"Name this version"</label>
                    <input id="version-name" data-testid="version-name" placeholder="e.g. Sent to members, 20 Dec"
                        prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev)) />
                    <button type="submit" data-testid="version-save">"Name it"</button>
                </form>
            </Show>
            <Show when=move || versions.with(Vec::is_empty)>
                <p class="muted">"No named versions yet."</p>
            </Show>
            <ul class="version-list">
                <For each=move || versions.get() key=|v: &Version| v.id.clone() let:v>
                    {
                        let (a, b, c) = (v.clone(), v.clone(), v.clone());
                        let by = session.read_untracked(|ws| ws.person_name(&v.by)).unwrap_or_default();
                        let id = v.id.clone();
                        view! {
                            <li data-testid="version" data-version=v.id.clone()>
                                <strong data-testid="version-title">{v.name.clone()}</strong>
                                " by " {by} " " <When at=v.at.clone() />
                                <div class="row">
                                    <button type="button" data-testid="version-view" on:click=move |_| view_version(a.clone())>"View"</button>
                                    <button type="button" data-testid="version-compare" on:click=move |_| compare(id.clone(), NOW.to_owned())>"Compare with now"</button>
                                    <Show when=move || session.may(moot_trust::Level::Edit)>
                                        {
                                            let b = b.clone();
                                            view! { <button type="button" data-testid="version-restore" on:click=move |_| restore(b.clone())>"Restore"</button> }
                                        }
                                    </Show>
                                    <button type="button" data-testid="version-download" on:click=move |_| download(c.clone())>"Download (.md)"</button>
                                </div>
                            </li>
                        }
                    }
                </For>
            </ul>
            <Show when=move || { versions.with(|v| !v.is_empty()) }>
                <p>
                    <button type="button" data-testid="versions-download" on:click=move |_| {
                        let doc = document.get_untracked();
                        match session.with_workspace_mut(|ws| ws.versions_markdown(&doc)) {
                            Some(Ok(md)) => {
                                if let Err(e) = crate::browser::download("versions.md", "text/markdown", md.as_bytes()) {
                                    session.error.set(Some(e));
                                }
                            }
                            Some(Err(e)) => session.error.set(Some(e.to_string())),
                            None => {}
                        }
                    }>"Download every version with its changes (.md)"</button>
                </p>
                <div class="row compare">
                    <label>"Compare "
                        <select data-testid="compare-from" on:change=move |ev| from.set(event_target_value(&ev))>
                            <option value="">"(choose a version)"</option>
                            {move || versions.get().into_iter().map(|v| view! { <option value=v.id.clone()>{v.name.clone()}</option> }).collect_view()}
                        </select>
                    </label>
                    <label>" with "
                        <select data-testid="compare-to" on:change=move |ev| to.set(event_target_value(&ev))>
                            <option value="">"now"</option>
                            {move || versions.get().into_iter().map(|v| view! { <option value=v.id.clone()>{v.name.clone()}</option> }).collect_view()}
                        </select>
                    </label>
                    <button type="button" data-testid="compare-show" on:click=move |_| compare(from.get_untracked(), to.get_untracked())>"Show changes"</button>
                </div>
            </Show>
            {move || match shown.get() {
                Shown::Nothing => ().into_any(),
                Shown::Text { name, text, threads } => {
                    let n = threads.len();
                    view! {
                        <div class="version-panel" data-testid="version-panel">
                            <p><strong>{format!("“{name}”, read-only")}</strong>
                                " " <button type="button" on:click=move |_| shown.set(Shown::Nothing)>"Close"</button></p>
                            <pre class="version-text" data-testid="version-text">{text}</pre>
                            <h4>{format!("Comments on this version ({n})")}</h4>
                            <ul class="version-threads">
                                {threads.into_iter().map(|(quote, comments)| view! {
                                    <li data-testid="version-thread">
                                        <p class="quote">"“" {quote} "”"</p>
                                        {comments.into_iter().map(|(who, body)| view! { <p><strong>{who}</strong>": " {body}</p> }).collect_view()}
                                    </li>
                                }).collect_view()}
                            </ul>
                        </div>
                    }.into_any()
                }
                Shown::Redline { from, to, runs } => {
                    let summary = redline_summary(&runs);
                    view! {
                        <div class="version-panel" data-testid="version-panel">
                            <p><strong>{format!("Changes from “{from}” to {}", if to == "now" { "now".to_owned() } else { format!("“{to}”") })}</strong>
                                " " <button type="button" on:click=move |_| shown.set(Shown::Nothing)>"Close"</button></p>
                            {if summary.is_empty() {
                                view! { <p data-testid="redline-summary">"No changes: the texts are the same."</p> }.into_any()
                            } else {
                                view! {
                                    <ul data-testid="redline-summary">
                                        {summary.into_iter().map(|(section, ins, del)| {
                                            let name = if section.is_empty() { "Before the numbered sections".to_owned() } else { format!("Section {section}") };
                                            view! { <li>{format!("{name}: {ins} character{} added, {del} removed", if ins == 1 { "" } else { "s" })}</li> }
                                        }).collect_view()}
                                    </ul>
                                }.into_any()
                            }}
                            <pre class="redline" data-testid="redline">
                                {runs.into_iter().map(|r| match r.mark {
                                    Mark::Same => view! { <span>{r.text}</span> }.into_any(),
                                    Mark::Inserted => view! { <ins>{r.text}</ins> }.into_any(),
                                    Mark::Deleted => view! { <del>{r.text}</del> }.into_any(),
                                }).collect_view()}
                            </pre>
                        </div>
                    }.into_any()
                }
            }}
        </section>
    }
}

/// An agenda item's minutes: their named versions, opened on demand (one per item would read
/// every version on every change).
/// Which items' minutes versions are open on the agenda page: kept by the page, since an
/// item's row is drawn anew when its minutes change.
#[derive(Clone, Copy, Default)]
pub struct OpenMinutes(pub RwSignal<std::collections::BTreeSet<String>>);

#[component]
pub fn MinutesVersions(item: String) -> impl IntoView {
    let opened = use_context::<OpenMinutes>().unwrap_or_default();
    let item = StoredValue::new(item);
    let open = move || opened.0.with(|o| o.contains(&item.get_value()));
    let toggle = move |_| {
        opened.0.update(|o| {
            let i = item.get_value();
            if !o.remove(&i) {
                o.insert(i);
            }
        })
    };
    let target = StoredValue::new(format!(
        "{}{}",
        moot_model::history::MINUTES,
        item.get_value()
    ));
    view! {
        <button type="button" class="minutes-versions-toggle" data-testid="minutes-versions-toggle"
            aria-expanded=move || open().to_string() on:click=toggle>
            "Versions of these minutes"
        </button>
        <Show when=open>
            <Versions document=Signal::derive(move || target.get_value()) />
        </Show>
    }
}
