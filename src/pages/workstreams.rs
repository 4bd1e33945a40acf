//! Workstreams: key questions, food for thought and first ideas, each with comments.

use leptos::prelude::*;
use moot_model::news::Part;
use moot_model::schema::{ItemKind, Workstream, WorkstreamItem};
use moot_model::search::Area;

use crate::state::Session;

fn kind_label(k: ItemKind) -> &'static str {
    match k {
        ItemKind::KeyQuestion => "Key question",
        ItemKind::FoodForThought => "Food for thought",
        ItemKind::FirstIdea => "First idea",
    }
}

#[component]
pub fn WorkstreamsPage() -> impl IntoView {
    let session = expect_context::<Session>();
    let streams = move || {
        session
            .read_ok_in(&[Part::Area(Area::Workstreams)], |ws| ws.workstreams())
            .unwrap_or_default()
    };
    let name = RwSignal::new(String::new());
    let add = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if session
            .act(|ws, ctx| ws.add_workstream(ctx, &name.get_untracked(), ""))
            .is_ok()
        {
            name.set(String::new());
        }
    };
    view! {
        <section aria-labelledby="ws-title" data-testid="workstreams-page">
            <h2 id="ws-title">"Workstreams"</h2>
            <For each=streams key=|w: &Workstream| format!("{w:?}") let:w>
                <StreamCard stream=w />
            </For>
            <form class="row" on:submit=add hidden=move || !session.may(moot_trust::Level::Edit)>
                <input aria-label="New workstream" placeholder="New workstream" prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev)) />
                <button type="submit">"Add workstream"</button>
            </form>
        </section>
    }
}

#[component]
fn StreamCard(stream: Workstream) -> impl IntoView {
    let session = expect_context::<Session>();
    let sid = StoredValue::new(stream.id.clone());
    let text = RwSignal::new(String::new());
    let kind = RwSignal::new(ItemKind::KeyQuestion);
    let add = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if session
            .act(|ws, ctx| {
                ws.add_workstream_item(
                    ctx,
                    &sid.get_value(),
                    kind.get_untracked(),
                    &text.get_untracked(),
                )
            })
            .is_ok()
        {
            text.set(String::new());
        }
    };
    view! {
        <article class="card" data-testid="workstream" id=format!("workstream-{}", stream.id) tabindex="-1">
            <h3>{stream.name.clone()}</h3>
            <p class="muted">{stream.scope.clone()}</p>
            <crate::pages::decisions::TopicDelegation topic=sid.get_value() />
            <ul>{stream.items.iter().cloned().map(|i| view! { <ItemRow stream_id=sid.get_value() item=i /> }).collect_view()}</ul>
            <form class="row" on:submit=add hidden=move || !session.may(moot_trust::Level::Edit)>
                <select aria-label="Kind" on:change=move |ev| kind.set(match event_target_value(&ev).as_str() { "food" => ItemKind::FoodForThought, "idea" => ItemKind::FirstIdea, _ => ItemKind::KeyQuestion })>
                    <option value="question">"Key question"</option>
                    <option value="food">"Food for thought"</option>
                    <option value="idea">"First idea"</option>
                </select>
                <input aria-label="New item" placeholder="Add an item" prop:value=move || text.get() on:input=move |ev| text.set(event_target_value(&ev)) />
                <button type="submit">"Add"</button>
            </form>
        </article>
    }
}

#[component]
fn ItemRow(stream_id: String, item: WorkstreamItem) -> impl IntoView {
    let session = expect_context::<Session>();
    let (sid, iid) = (
        StoredValue::new(stream_id),
        StoredValue::new(item.id.clone()),
    );
    let comment = RwSignal::new(String::new());
    let name = move |p: &str| {
        session
            .read_in(&[Part::People], |ws| ws.person_name(p))
            .unwrap_or_else(|| p.to_owned())
    };
    let send = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if session
            .act_comment(|ws, ctx| {
                ws.comment_workstream_item(
                    ctx,
                    &sid.get_value(),
                    &iid.get_value(),
                    &comment.get_untracked(),
                )
            })
            .is_ok()
        {
            comment.set(String::new());
        }
    };
    view! {
        <li class="ws-item" id=format!("ws-item-{}", item.id) tabindex="-1">
            <span class="tag">{kind_label(item.kind)}</span>" "{item.text.clone()}<span class="muted">{format!(" — {}", name(&item.author))}</span>
            <ul>{item.comments.iter().map(|c| view! { <li>{format!("{}: {}", name(&c.author), c.body)}" "<crate::browser::When at=c.created_at.clone() /></li> }).collect_view()}</ul>
            <form class="row" on:submit=send hidden=move || !session.may(moot_trust::Level::Comment)>
                <input aria-label="Comment on this item" placeholder="Comment" prop:value=move || comment.get() on:input=move |ev| comment.set(event_target_value(&ev)) />
                <button type="submit">"Comment"</button>
            </form>
        </li>
    }
}
