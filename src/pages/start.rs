//! The start page: who I am, the workspaces on this device, create one, open the demo, open a
//! session link.

use leptos::prelude::*;
use moot_model::{Ctx, Workspace, demo_workspace};

use crate::{
    app::{Page, Route, go},
    state::{Identity, Session, identity, workspaces},
};

fn new_doc_id() -> String {
    moot_sync::DocumentId::from_bytes(identity::random_bytes::<16>()).to_string()
}

/// Accepts a full session link, `automerge:<id>`, or a bare id.
pub fn parse_link(link: &str) -> Option<String> {
    let link = link.trim();
    let fragment = link.split_once('#').map(|(_, f)| f).unwrap_or(link);
    let candidate = fragment
        .trim_start_matches('/')
        .strip_prefix("w/")
        .map(|rest| rest.split(['/', '?']).next().unwrap_or(rest))
        .unwrap_or(fragment);
    let candidate = candidate.strip_prefix("automerge:").unwrap_or(candidate);
    moot_sync::DocumentId::parse(candidate)
        .ok()
        .map(|id| id.to_string())
}

#[component]
pub fn StartPage() -> impl IntoView {
    let session = expect_context::<Session>();
    session.close();
    let name_input = RwSignal::new(
        session
            .me
            .get_untracked()
            .map(|m| m.name)
            .unwrap_or_default(),
    );
    let new_name = RwSignal::new(String::new());
    let link = RwSignal::new(String::new());
    let message = RwSignal::new(None::<String>);

    let save_name = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let name = name_input.get_untracked();
        if name.trim().is_empty() {
            message.set(Some("Please enter a name others will recognise.".into()));
            return;
        }
        session.me.set(Some(Identity::save_name(&name)));
        message.set(None);
    };

    let open_new = move |ws: Workspace| {
        let id = new_doc_id();
        leptos::task::spawn_local(async move {
            match session.adopt(&id, ws).await {
                Ok(()) => go(&Route::workspace(&id, Page::Agenda)),
                Err(e) => message.set(Some(e)),
            }
        });
    };

    // Builds a workspace as me, now, and opens it.
    let start_with =
        move |make: &dyn Fn(Ctx<'_>, &str) -> Result<Workspace, moot_model::ModelError>| {
            let Some(me) = session.me.get_untracked() else {
                return;
            };
            let at = identity::now();
            match make(Ctx::new(&me.id, &at), &me.name) {
                Ok(ws) => open_new(ws),
                Err(e) => message.set(Some(e.to_string())),
            }
        };

    let private = RwSignal::new(false);
    let create = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let name = new_name.get_untracked();
        if private.get_untracked() {
            let Some(me) = session.me.get_untracked() else {
                return;
            };
            leptos::task::spawn_local(async move {
                match create_private(session, &name, &me.name).await {
                    Ok(id) => go(&Route::workspace(&id, Page::Agenda)),
                    Err(e) => message.set(Some(e)),
                }
            });
            return;
        }
        start_with(&|ctx, me| Workspace::create(ctx, &name, me, identity::random_u64()));
    };

    let demo = move |_| start_with(&|ctx, me| demo_workspace(ctx, me, identity::random_u64()));

    let open_link = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        match parse_link(&link.get_untracked()) {
            Some(id) => go(&Route::workspace(&id, Page::Agenda)),
            None => message.set(Some(
                "That is not a moot session link or workspace id.".into(),
            )),
        }
    };

    let known = workspaces::list();

    view! {
        <section class="start" data-testid="start-page">
            <h2>"Your workspaces"</h2>
            <form class="card" on:submit=save_name data-testid="name-form">
                <label for="display-name">"Your name, as others will see it"</label>
                <div class="row">
                    <input id="display-name" data-testid="name-input" maxlength="200" autocomplete="name"
                        prop:value=move || name_input.get()
                        on:input=move |ev| name_input.set(event_target_value(&ev)) />
                    <button type="submit" data-testid="name-save">"Save name"</button>
                </div>
            </form>
            <Show when=move || message.get().is_some()>
                <p class="error" role="alert" data-testid="start-message">{move || message.get()}</p>
            </Show>
            <Show
                when=move || session.me.get().is_some()
                fallback=|| view! { <p class="muted">"Set your name to create or join a workspace: every act in a workspace is attributed to it."</p> }
            >
                <div class="grid">
                    <form class="card" on:submit=create data-testid="create-form">
                        <label for="new-workspace">"New workspace"</label>
                        <div class="row">
                            <input id="new-workspace" data-testid="create-name" placeholder="e.g. IOPA Governance" maxlength="200"
                                prop:value=move || new_name.get()
                                on:input=move |ev| new_name.set(event_target_value(&ev)) />
                            <button type="submit" data-testid="create-submit">"Create"</button>
                        </div>
                        <label class="toggle"><input type="checkbox" data-testid="create-private"
                            prop:checked=move || private.get()
                            on:change=move |ev| private.set(event_target_checked(&ev)) />
                            " Private: end-to-end encrypted, each person signs what they write; shared by links that grant read, comment, edit or admin"</label>
                    </form>
                    <div class="card">
                        <p>"See moot with the IOPA Governance task force's December work session."</p>
                        <button type="button" on:click=demo data-testid="open-demo">"Open the demo workspace"</button>
                    </div>
                    <form class="card" on:submit=open_link data-testid="link-form">
                        <label for="session-link">"Open a session link"</label>
                        <div class="row">
                            <input id="session-link" data-testid="link-input" placeholder="Paste the link you were sent"
                                prop:value=move || link.get()
                                on:input=move |ev| link.set(event_target_value(&ev)) />
                            <button type="submit" data-testid="link-open">"Open"</button>
                        </div>
                    </form>
                </div>
            </Show>
            <h3>"On this device"</h3>
            {if known.is_empty() {
                view! { <p class="muted" data-testid="no-workspaces">"No workspaces yet."</p> }.into_any()
            } else {
                view! {
                    <ul class="workspace-list" data-testid="workspace-list">
                        {known
                            .into_iter()
                            .map(|k| view! { <li><a href=Route::workspace(&k.id, Page::Agenda)>{k.name}</a></li> })
                            .collect_view()}
                    </ul>
                }
                    .into_any()
            }}
        </section>
    }
}

/// Creates a private workspace: a new admin link kept on this device, the workspace made
/// under this device's key, sealed at once. Its id.
async fn create_private(session: Session, name: &str, my_name: &str) -> Result<String, String> {
    use crate::state::keys;
    let seed = keys::secure_bytes::<32>().ok_or("this browser has no secure random numbers")?;
    let link = moot_trust::Link::new(seed);
    let device = keys::device_key().await?;
    let id = keys::doc_id_of(&link);
    let replica = moot_sync::sealed::Replica::found(
        link.clone(),
        device,
        keys::tab(),
        moot_model::trust::comment_rule,
    );
    let person = moot_trust::person_id(&replica.private.device().public());
    let actor = replica.doc.get_actor().clone();
    let at = identity::now();
    let ws = Workspace::create_as(
        actor,
        Ctx::new(&person, &at),
        name,
        my_name,
        identity::random_u64(),
    )
    .map_err(|e| e.to_string())?;
    keys::save_link(&id, &link).await?;
    let (_, sealing) = crate::sync::sealed::into_sealing(replica);
    session
        .adopt_as(&id, ws, Some((sealing, my_name.to_owned())))
        .await?;
    session.seal_now()?;
    Ok(id)
}
