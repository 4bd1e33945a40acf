//! "Connect directly": link two browsers with no server, by an invitation code and an answer
//! code (copied, pasted, or shown as QR codes), and the list of direct links.

use leptos::prelude::*;
use moot_sync::direct::Invitation;

use super::share::qr_code;
use crate::{
    app::{Page, Route, go},
    browser,
    state::{Session, identity, workspaces},
    sync::{
        Direct, SealedHub,
        direct::{self, LinkState, Via},
    },
};

/// This app's address with a code in it: scanning the QR code opens moot with the code.
fn connect_link(code: &str) -> String {
    let location = window().location();
    format!(
        "{}{}#/connect/{code}",
        location.origin().unwrap_or_default(),
        location.pathname().unwrap_or_default()
    )
}

/// A code to hand over: the text to copy, and as a QR code the app's link carrying it.
fn code_view(code: String, what: &'static str, testid: &'static str) -> impl IntoView {
    let copied = RwSignal::new(false);
    let text = code.clone();
    let link = connect_link(&code);
    view! {
        <div class="direct-code">
            <textarea readonly rows="4" data-testid=testid prop:value=code.clone()></textarea>
            <button type="button" on:click=move |_| { browser::copy(&text); copied.set(true); }>
                {move || if copied.get() { "Copied" } else { "Copy" }}
            </button>
            <div data-testid="direct-qr-link" data-link=link.clone()>{qr_code(&link, what, "direct-qr")}</div>
        </div>
    }
}

/// One step at a time: while it runs the buttons wait, and its error is shown after.
#[derive(Clone, Copy)]
struct Busy {
    busy: RwSignal<bool>,
    error: RwSignal<Option<String>>,
}

impl Busy {
    fn start(self, work: impl std::future::Future<Output = Result<(), String>> + 'static) {
        self.error.set(None);
        self.busy.set(true);
        leptos::task::spawn_local(async move {
            if let Err(e) = work.await {
                self.error.set(Some(e));
            }
            self.busy.set(false);
        });
    }
}

/// Opens the invitation's workspace here, or fetches it over the link being made; then answers.
async fn answer_invitation(
    session: Session,
    direct: Direct,
    sealed: SealedHub,
    invitation: Invitation,
) -> Result<String, String> {
    let id = invitation.workspace.to_string();
    let here = session.doc_id.get_untracked().as_deref() == Some(id.as_str());
    if !here && (invitation.sealed || workspaces::is_private(&id)) {
        // A private workspace's keys come from its link, never over a direct link.
        if !workspaces::is_private(&id) {
            return Err("this invitation is for a private workspace this device does not hold: open the link you were given for it first, then answer".into());
        }
        if Session::load_sealed(&id).await.0.is_empty() {
            // Its link is here but not the workspace (the relay is out of reach, say): it
            // arrives over the link being made, sealed, and is checked as from a relay.
            fetch_private(session, direct, sealed, &id, invitation.workspace).await?;
        } else {
            go(&Route::workspace(&id, Page::Agenda));
            opened_private(session, direct, &invitation).await?;
        }
    } else if !here {
        if session.open(&id).await? {
            direct.open(Some(&id), false);
            go(&Route::workspace(&id, Page::Agenda));
        } else {
            // Not on this device: it arrives over the link.
            let fetched = id.clone();
            direct.join(invitation.workspace, move |doc| {
                let id = fetched;
                match moot_model::Workspace::from_doc(doc, identity::random_u64()) {
                    Ok(ws) => leptos::task::spawn_local(async move {
                        match session.adopt(&id, ws).await {
                            Ok(()) => {
                                direct.adopted();
                                go(&Route::workspace(&id, Page::Agenda));
                            }
                            Err(e) => session.error.set(Some(e)),
                        }
                    }),
                    Err(e) => session.error.set(Some(format!(
                        "what arrived over the direct link is not a readable workspace: {e}"
                    ))),
                }
            });
        }
    }
    direct.answer(invitation).await
}

/// Fetches private workspace `id` over the next direct link into a replica of the link this
/// device holds, then opens it here and syncs it through its relay too.
async fn fetch_private(
    session: Session,
    direct: Direct,
    sealed: SealedHub,
    id: &str,
    workspace: moot_sync::DocumentId,
) -> Result<(), String> {
    use crate::state::keys;
    let link = keys::load_link(id)
        .await?
        .ok_or("this device does not hold the workspace's private link: open it first")?;
    let device = keys::device_key().await?;
    let replica = crate::sync::sealed::replica_for(link, device);
    let id = id.to_owned();
    direct.join_sealed(workspace, replica, move |replica| {
        leptos::task::spawn_local(async move {
            if session.doc_id.get_untracked().as_deref() == Some(id.as_str()) {
                // It arrived through the relay meanwhile.
                direct.adopted();
                return;
            }
            match session.adopt_joined(&id, replica).await {
                Ok(()) => {
                    direct.adopted();
                    // A relay join still waiting gives way to syncing what is here now.
                    if let Some(relay) =
                        workspaces::relay_of(&id).or_else(crate::sync::relay::default_relay)
                    {
                        sealed.connect(&relay);
                    }
                    go(&Route::workspace(&id, Page::Agenda));
                }
                Err(e) => session.error.set(Some(e)),
            }
        });
    });
    Ok(())
}

/// Waits (at most a few seconds) until the private workspace `id` is open with its keys.
async fn opened_private(session: Session, direct: Direct, id: &Invitation) -> Result<(), String> {
    let deadline = js_sys::Date::now() + 10_000.0;
    while js_sys::Date::now() < deadline {
        if session.level.get_untracked().is_some() && direct.serves(id.workspace, true) {
            return Ok(());
        }
        gloo_timers::future::TimeoutFuture::new(50).await;
    }
    Err("the private workspace did not open in time: open it, then answer again".into())
}

#[component]
pub fn DirectBox() -> impl IntoView {
    let session = expect_context::<Session>();
    let direct = expect_context::<Direct>();
    let sealed = expect_context::<SealedHub>();
    let open = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let my_invitation = RwSignal::new(None::<String>);
    let my_answer = RwSignal::new(None::<String>);
    let their_answer = RwSignal::new(String::new());
    let their_invitation = RwSignal::new(String::new());
    // The invitation came in a link (`#/connect/`), not typed here: the person is told first.
    let from_link = RwSignal::new(false);
    let ice = RwSignal::new(direct::ice_servers_text());
    let ice_saved = RwSignal::new(false);

    let run = Busy { busy, error };
    let invite = move |_| {
        my_answer.set(None);
        my_invitation.set(None);
        run.start(async move {
            my_invitation.set(Some(direct.invite().await?));
            Ok(())
        })
    };
    let complete = move |_: ()| {
        let text = their_answer.get_untracked();
        run.start(async move {
            let answer = Invitation::parse_answer(&text).map_err(|e| e.to_string())?;
            direct.complete(answer).await?;
            my_invitation.set(None);
            their_answer.set(String::new());
            Ok(())
        })
    };
    let answer = move || {
        from_link.set(false);
        let text = their_invitation.get_untracked();
        my_invitation.set(None);
        my_answer.set(None);
        run.start(async move {
            let invitation = Invitation::parse_offer(&text).map_err(|e| e.to_string())?;
            my_answer.set(Some(
                answer_invitation(session, direct, sealed, invitation).await?,
            ));
            their_invitation.set(String::new());
            Ok(())
        })
    };
    let save_ice = move |_| match direct::set_ice_servers(&ice.get_untracked()) {
        Ok(()) => {
            error.set(None);
            ice_saved.set(true);
        }
        Err(e) => error.set(Some(e)),
    };

    // A code that came in the address (a scanned QR code): an invitation is answered here; an
    // answer goes to the tab that made its invitation (this one or another).
    Effect::new(move |_| {
        let Some(code) = direct.incoming.get() else {
            return;
        };
        direct.incoming.set(None);
        open.set(true);
        match Invitation::parse(&code) {
            Ok(i) if i.signal.kind == moot_sync::direct::SignalKind::Answer => {
                if direct.is_mine(&i) {
                    their_answer.set(code);
                    complete(());
                } else {
                    direct.forward(&code);
                    session.notice.set(Some(
                        "The answer went to the tab with your invitation: you can close this one."
                            .into(),
                    ));
                }
            }
            // An invitation that came in a link is shown, never answered by itself: answering
            // connects this browser to whoever made it (and may open another workspace).
            Ok(_) => {
                their_invitation.set(code);
                from_link.set(true);
            }
            Err(e) => error.set(Some(e.to_string())),
        }
    });

    view! {
        <div class="direct">
            <button type="button" data-testid="direct-toggle" aria-expanded=move || open.get().to_string() on:click=move |_| open.update(|o| *o = !*o)>
                "Connect directly"
            </button>
            <For each=move || direct.offers.get() key=|o| o.from.clone() let:offer>
                {
                    let (allow_from, decline_from) = (offer.from.clone(), offer.from.clone());
                    let who = if offer.name.trim().is_empty() { "Someone".to_owned() } else { offer.name.clone() };
                    view! {
                        <div class="card direct-offer" role="alertdialog" data-testid="direct-offer">
                            <p>{who} {if offer.hello { " is here too (through the relay). Link directly?" } else { " (through the relay) offers a direct link." }}
                                " Your browsers would sync without the relay, and each learns the other's network address."</p>
                            <div class="row">
                                <button type="button" data-testid="direct-offer-allow" on:click=move |_| direct.allow_offer(&allow_from)>"Link directly"</button>
                                <button type="button" data-testid="direct-offer-decline" on:click=move |_| direct.decline_offer(&decline_from)>"Not now"</button>
                            </div>
                        </div>
                    }
                }
            </For>
            <Show when=move || open.get()>
                <div class="card direct-panel" data-testid="direct-panel">
                    <p class="muted">"Sync with someone on the same network without any server: one of you creates an invitation, the other answers it, and each hands the code to the other (copy and paste, or scan the QR code)."</p>
                    <Show when=move || session.is_open()>
                        <h3>"Invite someone to this workspace"</h3>
                        <button type="button" data-testid="direct-invite" disabled=move || busy.get() on:click=invite>"Create an invitation"</button>
                        {move || my_invitation.get().map(|code| view! {
                            <p>"Give this invitation to the other person, then paste their answer below."</p>
                            {code_view(code, "invitation", "direct-invitation")}
                            <label for="direct-their-answer">"Their answer"</label>
                            <textarea id="direct-their-answer" rows="3" data-testid="direct-their-answer" placeholder="moot-answer:…"
                                prop:value=move || their_answer.get()
                                on:input=move |ev| their_answer.set(event_target_value(&ev))></textarea>
                            <button type="button" data-testid="direct-complete" disabled=move || busy.get() on:click=move |_| complete(())>"Connect"</button>
                        })}
                    </Show>
                    <h3>"Answer an invitation"</h3>
                    <Show when=move || from_link.get()>
                        <p class="notice" role="status" data-testid="direct-incoming">
                            "A link brought the invitation below. Answering connects this browser directly to whoever made it: they learn its network address, and the workspace it names opens here. Answer only if you know who sent it."
                        </p>
                    </Show>
                    <label for="direct-their-invitation">"The invitation you were given"</label>
                    <textarea id="direct-their-invitation" rows="3" data-testid="direct-their-invitation" placeholder="moot-offer:…"
                        prop:value=move || their_invitation.get()
                        on:input=move |ev| their_invitation.set(event_target_value(&ev))></textarea>
                    <button type="button" data-testid="direct-answer" disabled=move || busy.get() on:click=move |_| answer()>"Answer"</button>
                    {move || my_answer.get().map(|code| view! {
                        <p>"Give this answer back to the person who invited you. The link opens when they paste it."</p>
                        {code_view(code, "answer", "direct-answer-code")}
                    })}
                    <Show when=move || busy.get()>
                        <p class="muted" data-testid="direct-busy">"Looking for ways to reach each other…"</p>
                    </Show>
                    <Show when=move || error.get().is_some()>
                        <p class="error" role="alert" data-testid="direct-error">{move || error.get()}</p>
                    </Show>
                    <ul class="direct-links" data-testid="direct-links">
                        <For each=move || direct.links.get() key=|l| (l.id, l.state, l.name.clone()) let:link>
                            <li data-testid="direct-link" data-state=match link.state { LinkState::Open => "open", LinkState::Connecting => "connecting", LinkState::Invited => "invited" }>
                                {match (link.state, link.name.is_empty()) {
                                    (LinkState::Invited, _) => "Invitation out, waiting for an answer".to_owned(),
                                    (state, _) => format!(
                                        "{} {}{}",
                                        if state == LinkState::Open { "Linked directly to" } else { "Connecting directly to" },
                                        if link.name.is_empty() { "someone" } else { &link.name },
                                        if link.via == Via::Relay { " (introduced by the relay)" } else { "" },
                                    ),
                                }}
                                " "
                                <button type="button" data-testid="direct-disconnect" on:click=move |_| direct.disconnect(link.id)>"Disconnect"</button>
                            </li>
                        </For>
                    </ul>
                    <details>
                        <summary data-testid="direct-ice-toggle">"STUN and TURN servers (optional)"</summary>
                        <p class="muted">"Not needed on one network. To link across networks, give one server per line: its address, and for TURN a username and a credential after it."</p>
                        <textarea rows="2" data-testid="direct-ice" placeholder="stun:stun.example.org:3478"
                            prop:value=move || ice.get()
                            on:input=move |ev| { ice_saved.set(false); ice.set(event_target_value(&ev)) }></textarea>
                        <button type="button" data-testid="direct-ice-save" on:click=save_ice>{move || if ice_saved.get() { "Saved" } else { "Save" }}</button>
                    </details>
                </div>
            </Show>
        </div>
    }
}
