//! Page objects: what a person sees and does, by `data-testid`.

use fantoccini::{Client, Locator, elements::Element};

use super::{DEADLINE, testid, wait_for};

pub async fn text(client: &Client, css: &str) -> String {
    wait_for(client, css).await.text().await.unwrap()
}

/// The visible text of every match, read in one step (no stale elements mid-render).
pub async fn all_texts(client: &Client, css: &str) -> Vec<String> {
    read_all(client, css, "innerText").await
}

/// A property of every match, read in one step.
pub async fn read_all(client: &Client, css: &str, property: &str) -> Vec<String> {
    let value = client
        .execute("return [...document.querySelectorAll(arguments[0])].map(e => String(e[arguments[1]] ?? ''))", vec![css.into(), property.into()])
        .await
        .unwrap();
    serde_json::from_value(value).unwrap_or_default()
}

/// The `value` of the input or text area with `data-testid=id`.
pub async fn value(client: &Client, id: &str) -> String {
    wait_for(client, &testid(id))
        .await
        .prop("value")
        .await
        .unwrap()
        .unwrap_or_default()
}

pub async fn fill(client: &Client, id: &str, value: &str) -> Element {
    let input = wait_for(client, &testid(id)).await;
    input.clear().await.unwrap();
    input.send_keys(value).await.unwrap();
    input
}

pub async fn click(client: &Client, id: &str) {
    wait_for(client, &testid(id)).await.click().await.unwrap();
}

/// Waits until `probe` returns true, polling the page, within the deadline.
pub async fn eventually<F, Fut>(what: &str, mut probe: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let start = std::time::Instant::now();
    while !probe().await {
        assert!(start.elapsed() < DEADLINE, "timed out waiting for: {what}");
        tokio::task::yield_now().await;
    }
}

/// The shell around every page: header, navigation, save and sync status.
pub struct Shell<'a> {
    pub client: &'a Client,
}

impl<'a> Shell<'a> {
    pub async fn open(client: &'a Client, base_url: &str) -> Self {
        client.goto(base_url).await.expect("open the app");
        wait_for(client, &testid("app-header")).await;
        Self { client }
    }

    pub async fn workspace_name(&self) -> String {
        text(self.client, &testid("workspace-name")).await
    }

    pub async fn sync_state(&self) -> String {
        text(self.client, &testid("sync-state")).await
    }

    pub async fn nav_labels(&self) -> Vec<String> {
        wait_for(self.client, &testid("nav")).await;
        all_texts(self.client, "[data-testid=\"nav\"] a").await
    }

    /// Follows a navigation link and waits for its page; returns the page heading.
    pub async fn go(&self, nav_id: &str, page_id: &str) -> String {
        click(self.client, nav_id).await;
        let page = wait_for(self.client, &testid(page_id)).await;
        page.find(Locator::Css("h2"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    }

    pub async fn current_nav(&self) -> String {
        text(
            self.client,
            "[data-testid=\"nav\"] a[aria-current=\"page\"]",
        )
        .await
    }

    /// A private workspace's link of `level` ("admin", "edit", "comment", "read") from "Share"
    /// (opened and closed again).
    pub async fn private_link(&self, level: &str) -> String {
        click(self.client, "share-toggle").await;
        let link = value(self.client, &format!("share-link-{level}")).await;
        click(self.client, "share-toggle").await;
        link
    }

    /// Waits until the header says this page is up to date with the relay.
    pub async fn until_up_to_date(&self, who: &str) {
        eventually(&format!("{who} is up to date with the relay"), || async {
            self.sync_state().await == "Up to date"
        })
        .await;
    }

    /// Waits until in sync with the relay, then reads the session link from "Share".
    pub async fn share_link(&self) -> String {
        eventually("up to date with the relay", || async {
            self.sync_state().await == "Up to date"
        })
        .await;
        click(self.client, "share-toggle").await;
        wait_for(self.client, &testid("share-link"))
            .await
            .prop("value")
            .await
            .unwrap()
            .unwrap()
    }

    /// Waits until the header says the last change is in IndexedDB.
    pub async fn wait_saved(&self) {
        eventually("the header says saved", || async {
            text(self.client, &testid("save-state")).await == "Saved on this device"
        })
        .await;
    }
}

/// The start page.
pub struct Start<'a> {
    pub client: &'a Client,
}

impl<'a> Start<'a> {
    pub async fn open(client: &'a Client, base_url: &str) -> Self {
        client.goto(base_url).await.unwrap();
        wait_for(client, &testid("start-page")).await;
        Self { client }
    }

    pub async fn set_name(&self, name: &str) {
        fill(self.client, "name-input", name).await;
        click(self.client, "name-save").await;
        wait_for(self.client, &testid("create-form")).await;
    }

    pub async fn create(&self, workspace: &str) {
        fill(self.client, "create-name", workspace).await;
        click(self.client, "create-submit").await;
        wait_for(self.client, &testid("agenda-page")).await;
    }

    pub async fn open_demo(&self) {
        click(self.client, "open-demo").await;
        wait_for(self.client, &testid("session")).await;
    }

    /// Opens the app as `name` and opens the demo workspace.
    pub async fn demo_as(client: &'a Client, base_url: &str, name: &str) -> Shell<'a> {
        let start = Self::open(client, base_url).await;
        start.set_name(name).await;
        start.open_demo().await;
        Shell { client }
    }

    /// Creates a private workspace and opens it.
    pub async fn create_private(&self, workspace: &str) {
        fill(self.client, "create-name", workspace).await;
        click(self.client, "create-private").await;
        click(self.client, "create-submit").await;
        wait_for(self.client, &testid("agenda-page")).await;
    }

    /// Opens the app as Ada, creates the private workspace "Open Hardware Makers" with `draft`
    /// as its Code of Conduct draft, waits until the relay has it: its edit link.
    pub async fn private_with_draft(client: &'a Client, base_url: &str, draft: &str) -> String {
        let start = Self::open(client, base_url).await;
        start.set_name("Ada").await;
        start.create_private("Open Hardware Makers").await;
        let shell = Shell { client };
        shell.go("nav-coc", "coc-page").await;
        Review { client }.edit_draft(draft).await;
        shell.until_up_to_date("Ada").await;
        shell.private_link("edit").await
    }

    /// Opens the app as `name` and follows a private link (it opens on the agenda).
    pub async fn join_private(
        client: &'a Client,
        base_url: &str,
        name: &str,
        link: &str,
    ) -> Shell<'a> {
        Self::open(client, base_url).await.set_name(name).await;
        client.goto(link).await.unwrap();
        wait_for(client, &testid("agenda-page")).await;
        Shell { client }
    }

    /// Opens the app as `name` and follows a session link.
    pub async fn join_as(client: &'a Client, base_url: &str, name: &str, link: &str) -> Shell<'a> {
        Self::open(client, base_url).await.set_name(name).await;
        client.goto(link).await.unwrap();
        wait_for(client, &testid("session")).await;
        Shell { client }
    }
}

/// The agenda page.
pub struct Agenda<'a> {
    pub client: &'a Client,
}

impl Agenda<'_> {
    pub async fn session_utc(&self) -> String {
        text(self.client, &testid("session-utc")).await
    }

    pub async fn agenda_titles(&self) -> Vec<String> {
        read_all(self.client, &testid("agenda-title"), "value").await
    }

    pub async fn action_points(&self) -> Vec<String> {
        all_texts(self.client, &testid("action-text")).await
    }

    pub async fn add_item(&self, title: &str) {
        let before = self.agenda_titles().await.len();
        fill(self.client, "new-agenda-item", title).await;
        click(self.client, "add-agenda-item").await;
        eventually("the new agenda item appears", || async {
            self.agenda_titles().await.len() == before + 1
        })
        .await;
    }

    /// Writes minutes for the last agenda item (committed when the field loses focus).
    pub async fn write_minutes_on_last(&self, minutes: &str) {
        let fields = self
            .client
            .find_all(Locator::Css(&testid("agenda-minutes")))
            .await
            .unwrap();
        let field = fields.last().unwrap();
        field.send_keys(minutes).await.unwrap();
        // Leave the field: commits the minutes.
        self.client
            .execute("document.activeElement.blur()", vec![])
            .await
            .unwrap();
    }

    pub async fn minutes(&self) -> Vec<String> {
        read_all(self.client, &testid("agenda-minutes"), "value").await
    }
}

/// The Code of Conduct review page.
pub struct Review<'a> {
    pub client: &'a Client,
}

impl Review<'_> {
    pub async fn draft(&self) -> String {
        wait_for(self.client, &testid("draft-text"))
            .await
            .prop("value")
            .await
            .unwrap()
            .unwrap_or_default()
    }

    /// Selects the first occurrence of `passage` in the draft, as a person dragging over it.
    pub async fn select(&self, passage: &str) {
        let draft = self.draft().await;
        let start = draft.encode_utf16().count()
            - draft[draft.find(passage).expect("passage in draft")..]
                .encode_utf16()
                .count();
        let end = start + passage.encode_utf16().count();
        self.client
            .execute(
                "const t = document.querySelector('[data-testid=\"draft-text\"]'); t.focus(); t.setSelectionRange(arguments[0], arguments[1]); t.dispatchEvent(new Event('select'));",
                vec![start.into(), end.into()],
            )
            .await
            .unwrap();
        wait_for(self.client, &testid("comment-form")).await;
    }

    pub async fn comment(&self, passage: &str, body: &str, operational: bool) {
        let before = self.threads().await;
        self.select(passage).await;
        fill(self.client, "comment-input", body).await;
        let checkbox = wait_for(self.client, &testid("tag-operational")).await;
        let checked = checkbox.prop("checked").await.unwrap().as_deref() == Some("true");
        if checked != operational {
            checkbox.click().await.unwrap();
        }
        click(self.client, "comment-submit").await;
        eventually("the new thread appears", || async {
            self.threads().await > before
        })
        .await;
    }

    /// The thread on the passage `quote`, or with a comment saying `words`.
    pub async fn thread(&self, words: &str) -> Element {
        self.client
            .find(Locator::XPath(&format!(
                "//li[@data-testid='thread'][.//*[self::p or self::span][contains(., '{words}')]]"
            )))
            .await
            .unwrap_or_else(|e| panic!("no thread with “{words}”: {e}"))
    }

    /// Types `text` into the field `input` of that thread and presses its button `submit`.
    pub async fn in_thread(&self, words: &str, input: &str, text: &str, submit: &str) {
        let thread = self.thread(words).await;
        thread
            .find(Locator::Css(&testid(input)))
            .await
            .unwrap()
            .send_keys(text)
            .await
            .unwrap();
        self.click_in_thread(words, submit).await;
    }

    /// Presses the button `id` of that thread.
    pub async fn click_in_thread(&self, words: &str, id: &str) {
        self.thread(words)
            .await
            .find(Locator::Css(&testid(id)))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
    }

    /// The tags of that thread, in order.
    pub async fn tags(&self, words: &str) -> Vec<String> {
        let mut tags = Vec::new();
        for t in self
            .thread(words)
            .await
            .find_all(Locator::Css(&testid("thread-tag")))
            .await
            .unwrap()
        {
            tags.push(t.text().await.unwrap());
        }
        tags
    }

    pub async fn threads(&self) -> usize {
        all_texts(self.client, &testid("thread")).await.len()
    }

    pub async fn quotes(&self) -> Vec<String> {
        all_texts(self.client, &testid("thread-quote")).await
    }

    pub async fn comment_bodies(&self) -> Vec<String> {
        all_texts(self.client, &testid("comment-body")).await
    }

    /// Whether some comment's body is exactly `body`.
    pub async fn has_comment(&self, body: &str) -> bool {
        self.comment_bodies().await.iter().any(|b| b == body)
    }

    /// Each thread card's quote top and card bottom and its passage's first-line top, in page pixels (the passage's
    /// top is `None` for an orphaned thread), in list order; and whether cards are aligned.
    pub async fn placements(&self) -> (bool, Vec<(f64, f64, Option<f64>)>) {
        let v = self
            .client
            .execute(
                r#"const list = document.querySelector('[data-testid="threads"]');
                   const pins = {};
                   for (const p of document.querySelectorAll('.draft-mirror [data-pin]'))
                     for (const id of p.dataset.pin.split(' ')) pins[id] = p.getBoundingClientRect().top;
                   return [list.classList.contains('aligned'), [...list.querySelectorAll(':scope > [data-thread-id]')]
                     .map(c => [c.firstElementChild.getBoundingClientRect().top, c.getBoundingClientRect().bottom, pins[c.dataset.threadId] ?? null])];"#,
                vec![],
            )
            .await
            .unwrap();
        let aligned = v[0].as_bool().unwrap();
        let cards = v[1]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| {
                (
                    c[0].as_f64().unwrap(),
                    c[1].as_f64().unwrap(),
                    c[2].as_f64(),
                )
            })
            .collect();
        (aligned, cards)
    }

    /// Replaces the draft as a person editing it would (committed on change).
    pub async fn edit_draft(&self, new_text: &str) {
        self.client
            .execute(
                "const t = document.querySelector('[data-testid=\"draft-text\"]'); t.value = arguments[0]; t.dispatchEvent(new Event('change'));",
                vec![new_text.into()],
            )
            .await
            .unwrap();
    }
}

/// Reads the QR code drawn in the SVG `css` the way a camera would: the modules, as pixels,
/// through a QR decoder (rqrr). What it says, or a failure if it is not a readable QR code.
pub async fn scan_qr(client: &Client, css: &str) -> String {
    let svg = wait_for(client, css).await;
    let view_box = svg
        .attr("viewBox")
        .await
        .unwrap()
        .expect("the QR code's viewBox");
    let side: usize = view_box
        .split_whitespace()
        .nth(2)
        .and_then(|s| s.parse().ok())
        .expect("a square viewBox");
    let d = svg
        .find(Locator::Css("path"))
        .await
        .unwrap()
        .attr("d")
        .await
        .unwrap()
        .unwrap_or_default();
    let mut dark = vec![false; side * side];
    for module in d.split('M').filter(|m| !m.is_empty()) {
        let (x, rest) = module.split_once(',').expect("M<x>,<y>");
        let y = rest.split('h').next().unwrap();
        let (x, y): (usize, usize) = (x.parse().unwrap(), y.parse().unwrap());
        dark[y * side + x] = true;
    }
    const PX: usize = 4;
    let mut image = rqrr::PreparedImage::prepare_from_bitmap(side * PX, side * PX, |x, y| {
        dark[(y / PX) * side + x / PX]
    });
    let grids = image.detect_grids();
    assert_eq!(grids.len(), 1, "one QR code in {css}");
    grids[0].decode().expect("a readable QR code").1
}

/// Waits until the service worker controls the page: the app then opens with no server.
pub async fn wait_for_service_worker(client: &Client) {
    eventually("the service worker controls the page", || async {
        client
            .execute(
                "return !!(navigator.serviceWorker && navigator.serviceWorker.controller)",
                vec![],
            )
            .await
            .unwrap()
            == serde_json::json!(true)
    })
    .await;
}

/// The value of the field `id` once it holds a code starting with `prefix` (and after a click
/// that makes a new one, the new one: the old is cleared first).
pub async fn code(client: &Client, id: &str, prefix: &str) -> String {
    let read = || value(client, id);
    eventually(&format!("a {prefix} code in {id}"), || async {
        read().await.starts_with(prefix)
    })
    .await;
    read().await
}
