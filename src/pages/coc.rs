//! The Code of Conduct draft under review: edit the text, select a passage and comment, and
//! threads beside it that follow their passage as the text changes.

use leptos::{html, prelude::*};
use moot_model::{OPERATIONAL_QUESTION, Placement, ThreadView};

use crate::state::Session;

fn split_tags(text: &str) -> Vec<String> {
    text.split(',').map(str::trim).filter(|t| !t.is_empty()).map(str::to_owned).collect()
}

/// UTF-16 offsets (what the browser reports) to char offsets (what the model counts).
fn utf16_to_chars(text: &str, utf16: u32) -> usize {
    let mut units = 0u32;
    for (i, c) in text.chars().enumerate() {
        if units >= utf16 {
            return i;
        }
        units += c.len_utf16() as u32;
    }
    text.chars().count()
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Filter {
    All,
    Open,
    Resolved,
    Mine,
    Operational,
}

#[component]
pub fn CocPage() -> impl IntoView {
    let session = expect_context::<Session>();
    // The draft's id, title and text are read once per change (memos), not per use.
    let draft_doc = Memo::new(move |_| session.read_ok(|ws| ws.documents()).and_then(|d| d.first().map(|d| (d.id.clone(), d.title.clone()))));
    let doc_id = move || draft_doc.with(|d| d.as_ref().map(|d| d.0.clone()).unwrap_or_default());
    let title = move || draft_doc.with(|d| d.as_ref().map(|d| d.1.clone()).unwrap_or_default());
    let text_memo = Memo::new(move |_| session.read_ok(|ws| ws.document_text(&doc_id())).unwrap_or_default());
    let text = move || text_memo.get();
    let draft: NodeRef<html::Textarea> = NodeRef::new();
    let selection = RwSignal::new(None::<(usize, usize, String)>);
    let comment = RwSignal::new(String::new());
    let operational = RwSignal::new(true);
    let other_tags = RwSignal::new(String::new());
    let filter = RwSignal::new(Filter::All);

    let read_selection = move || {
        let Some(area) = draft.get() else { return };
        let value = area.value();
        let (Ok(Some(s)), Ok(Some(e))) = (area.selection_start(), area.selection_end()) else { return };
        let (s, e) = (utf16_to_chars(&value, s), utf16_to_chars(&value, e));
        if s < e {
            selection.set(Some((s, e, value.chars().skip(s).take(e - s).collect())));
        }
    };
    let save_text = move |ev: leptos::ev::Event| {
        let value = event_target_value(&ev);
        let doc = doc_id();
        let _ = session.act(|ws, ctx| ws.replace_text(ctx, &doc, &value));
    };
    let add_comment = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some((s, e, _)) = selection.get_untracked() else { return };
        let mut tags = if operational.get_untracked() { vec![OPERATIONAL_QUESTION.to_owned()] } else { Vec::new() };
        tags.extend(split_tags(&other_tags.get_untracked()));
        let doc = doc_id();
        if session.act(|ws, ctx| ws.add_comment(ctx, &doc, s, e, &comment.get_untracked(), &tags)).is_ok() {
            comment.set(String::new());
            other_tags.set(String::new());
            selection.set(None);
        }
    };
    let threads = move || {
        let me = session.me.get().map(|m| m.id).unwrap_or_default();
        let f = filter.get();
        let chars: Vec<char> = text().chars().collect();
        session
            .read_ok(|ws| ws.threads(&doc_id()))
            .unwrap_or_default()
            .into_iter()
            .map(|t| {
                let passage = match t.placement {
                    Placement::Anchored { start, end } => chars[start.min(chars.len())..end.min(chars.len())].iter().collect(),
                    Placement::Orphaned => String::new(),
                };
                (t, passage)
            })
            .filter(|(t, _)| match f {
                Filter::All => true,
                Filter::Open => !t.thread.resolved,
                Filter::Resolved => t.thread.resolved,
                Filter::Mine => t.thread.comments.iter().any(|c| c.author == me),
                Filter::Operational => t.thread.tags.iter().any(|g| g == OPERATIONAL_QUESTION),
            })
            .collect::<Vec<_>>()
    };
    let filter_button = move |f: Filter, label: &'static str, testid: &'static str| {
        view! {
            <button type="button" data-testid=testid aria-pressed=move || (filter.get() == f).to_string() on:click=move |_| filter.set(f)>{label}</button>
        }
    };

    view! {
        <section aria-labelledby="coc-title" class="review" data-testid="coc-page">
            <h2 id="coc-title">{title}</h2>
            <div class="review-grid">
                <div class="draft">
                    <label for="draft-text">"Draft text (everyone in the workspace can edit; select a passage to comment on it)"</label>
                    <textarea id="draft-text" node_ref=draft class="draft-text" data-testid="draft-text" rows="24"
                        on:select=move |_| read_selection() on:mouseup=move |_| read_selection() on:keyup=move |_| read_selection() on:change=save_text
                        prop:value=text></textarea>
                    <Show when=move || selection.get().is_some()>
                        <form class="card comment-form" on:submit=add_comment data-testid="comment-form">
                            <p class="quote" data-testid="selected-quote">{move || selection.get().map(|s| format!("“{}”", s.2))}</p>
                            <label for="new-comment">"Your comment"</label>
                            <textarea id="new-comment" data-testid="comment-input" rows="3" prop:value=move || comment.get() on:input=move |ev| comment.set(event_target_value(&ev))></textarea>
                            <label class="toggle"><input type="checkbox" data-testid="tag-operational" prop:checked=move || operational.get() on:change=move |ev| operational.set(event_target_checked(&ev)) />" Operational question"</label>
                            <label for="new-tags">"Other tags (comma separated)"</label>
                            <input id="new-tags" data-testid="comment-tags" placeholder="e.g. wording, reporting" prop:value=move || other_tags.get() on:input=move |ev| other_tags.set(event_target_value(&ev)) />
                            <button type="submit" data-testid="comment-submit">"Comment"</button>
                        </form>
                    </Show>
                </div>
                <aside class="threads" aria-label="Comment threads">
                    <div class="filters" role="group" aria-label="Show threads">
                        {filter_button(Filter::All, "All", "filter-all")}
                        {filter_button(Filter::Operational, "Operational questions", "filter-operational")}
                        {filter_button(Filter::Open, "Open", "filter-open")}
                        {filter_button(Filter::Resolved, "Resolved", "filter-resolved")}
                        {filter_button(Filter::Mine, "Mine", "filter-mine")}
                    </div>
                    <ul data-testid="threads">
                        <For each=threads key=|(t, p): &(ThreadView, String)| format!("{t:?}{p}") let:t>
                            <ThreadCard doc_id=doc_id() view=t.0 passage=t.1 />
                        </For>
                    </ul>
                </aside>
            </div>
        </section>
    }
}

#[component]
fn ThreadCard(doc_id: String, view: ThreadView, passage: String) -> impl IntoView {
    let session = expect_context::<Session>();
    let doc = StoredValue::new(doc_id);
    let id = StoredValue::new(view.thread.id.clone());
    let reply = RwSignal::new(String::new());
    let orphaned = view.is_orphaned();
    let resolved = view.thread.resolved;
    let send = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if session.act(|ws, ctx| ws.reply(ctx, &doc.get_value(), &id.get_value(), &reply.get_untracked())).is_ok() {
            reply.set(String::new());
        }
    };
    let name = move |person: &str| session.read(|ws| ws.person_name(person)).unwrap_or_else(|| person.to_owned());
    let tags = StoredValue::new(view.thread.tags.clone());
    let new_tag = RwSignal::new(String::new());
    let add_tag = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let mut all = tags.get_value();
        all.extend(split_tags(&new_tag.get_untracked()));
        if session.act(|ws, ctx| ws.set_tags(ctx, &doc.get_value(), &id.get_value(), &all)).is_ok() {
            new_tag.set(String::new());
        }
    };
    view! {
        <li class="card thread" class:resolved=resolved class:orphaned=orphaned data-testid="thread">
            {if orphaned {
                view! { <p class="quote orphan" data-testid="thread-orphaned">"Passage deleted — originally: “" {view.thread.anchor.quote.clone()} "”"</p> }.into_any()
            } else {
                view! { <p class="quote" data-testid="thread-quote">"“" {passage} "”"</p> }.into_any()
            }}
            <p class="tags">{view.thread.tags.iter().map(|t| view! { <span class="tag" data-testid="thread-tag">{t.clone()}</span> }).collect_view()}</p>
            <ol class="comments">
                {view.thread.comments.iter().map(|c| view! {
                    <li data-testid="comment"><strong>{name(&c.author)}</strong>": "<span data-testid="comment-body">{c.body.clone()}</span></li>
                }).collect_view()}
            </ol>
            <form class="row" on:submit=add_tag>
                <input aria-label="Add tags" placeholder="Add a tag" data-testid="tag-input" prop:value=move || new_tag.get() on:input=move |ev| new_tag.set(event_target_value(&ev)) />
                <button type="submit" data-testid="tag-submit">"Tag"</button>
            </form>
            <form class="row" on:submit=send>
                <input aria-label="Reply" placeholder="Reply" data-testid="reply-input" prop:value=move || reply.get() on:input=move |ev| reply.set(event_target_value(&ev)) />
                <button type="submit" data-testid="reply-submit">"Reply"</button>
            </form>
            <button type="button" data-testid="resolve-toggle"
                on:click=move |_| { let _ = session.act(|ws, ctx| ws.set_resolved(ctx, &doc.get_value(), &id.get_value(), !resolved)); }>
                {if resolved { "Reopen" } else { "Resolve" }}
            </button>
        </li>
    }
}
