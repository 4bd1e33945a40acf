//! Rows measured in headless Chromium against the release app served by the release relay:
//! cold start (P2), keystroke → paint (P3), edit → remote paint (P6), tab memory (P7), and
//! render time as the workspace doubles (P8). Times are taken inside the page.

use std::{
    net::{SocketAddr, TcpListener},
    path::PathBuf,
    process::Stdio,
    time::Duration,
};

use anyhow::{Context, Result, bail};
use automerge::AutoCommit;
use fantoccini::{Client, ClientBuilder, Locator};
use futures::{SinkExt, StreamExt};
use moot_model::{Ctx, Workspace};
use moot_sync::{Connection, DocumentId, Event, PeerMetadata, Single};
use serde_json::{Value, json};
use tokio::process::{Child, Command};
use tokio_tungstenite::tungstenite::Message as Ws;

use crate::{
    Inputs,
    load::spawn_relay,
    report::{Row, failed},
};

const DEADLINE: Duration = Duration::from_secs(60);
const COLD_RUNS: usize = 10;

struct Lab {
    relay: Option<Child>,
    relay_addr: SocketAddr,
    driver: Child,
    driver_url: String,
    scratch: PathBuf,
    data: PathBuf,
    relay_bin: PathBuf,
    dist: PathBuf,
    profiles: usize,
}

impl Lab {
    async fn start(inputs: &Inputs, served: PathBuf) -> Result<Self> {
        let scratch = inputs.out.join("browser");
        let _ = std::fs::remove_dir_all(&scratch);
        let data = scratch.join("relay-data");
        std::fs::create_dir_all(&data)?;
        let (relay, relay_addr) = spawn_relay(&inputs.relay_bin, &data, &served, None).await?;
        let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let driver = Command::new(&inputs.chromedriver)
            .arg(format!("--port={port}"))
            .arg("--allowed-ips=127.0.0.1")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .kill_on_drop(true)
            .spawn()
            .context("chromedriver")?;
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        while tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_err()
        {
            if tokio::time::Instant::now() > deadline {
                bail!("chromedriver did not start");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Ok(Lab {
            relay: Some(relay),
            relay_addr,
            driver,
            driver_url: format!("http://127.0.0.1:{port}"),
            scratch,
            data,
            relay_bin: inputs.relay_bin.clone(),
            dist: served,
            profiles: 0,
        })
    }

    fn base_url(&self) -> String {
        format!("http://{}/", self.relay_addr)
    }

    fn sync_url(&self) -> String {
        format!("ws://{}/sync", self.relay_addr)
    }

    async fn stop_relay(&mut self) -> Result<()> {
        if let Some(mut relay) = self.relay.take() {
            relay.kill().await?;
        }
        Ok(())
    }

    async fn start_relay(&mut self) -> Result<()> {
        if self.relay.is_none() {
            let (relay, _) = spawn_relay(
                &self.relay_bin,
                &self.data,
                &self.dist,
                Some(self.relay_addr),
            )
            .await?;
            self.relay = Some(relay);
        }
        Ok(())
    }

    /// A new headless Chromium with its own empty profile.
    async fn browser(&mut self) -> Result<Client> {
        self.profiles += 1;
        let profile = self.scratch.join(format!("profile-{}", self.profiles));
        std::fs::create_dir_all(&profile)?;
        let caps = json!({
            "goog:chromeOptions": {
                "binary": "/usr/bin/chromium",
                "args": [
                    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                    "--disable-background-networking", "--disable-component-update", "--disable-sync",
                    "--disable-dev-shm-usage", "--window-size=1280,900", "--enable-precise-memory-info",
                    format!("--user-data-dir={}", profile.display()),
                ],
                // No UDP: pages never link directly over this machine's interfaces, and the
                // relay and tab figures measure the relay and the tabs.
                "prefs": { "webrtc.ip_handling_policy": "disable_non_proxied_udp" },
            }
        });
        let caps = caps
            .as_object()
            .context("caps")?
            .clone()
            .into_iter()
            .collect();
        Ok(
            ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
                .capabilities(caps)
                .connect(&self.driver_url)
                .await?,
        )
    }

    /// Publishes `doc` to the relay as workspace `id` (a native moot-sync client, as the app).
    async fn publish(&self, id: DocumentId, doc: &AutoCommit) -> Result<()> {
        let mut doc = doc.clone();
        let (ws, _) = tokio_tungstenite::connect_async(self.sync_url()).await?;
        let (mut sink, mut stream) = ws.split();
        let meta = PeerMetadata {
            storage_id: Some("bench-publisher".into()),
            is_ephemeral: Some(false),
        };
        let (mut conn, join) = Connection::dial("bench-publisher", meta, "1");
        sink.send(Ws::Binary(join.into())).await?;
        let heads = doc.get_heads();
        tokio::time::timeout(DEADLINE, async {
            while let Some(msg) = stream.next().await {
                let Ws::Binary(frame) = msg? else { continue };
                let (out, events) = conn.receive(&frame, &mut Single { id, doc: &mut doc })?;
                for f in out {
                    sink.send(Ws::Binary(f.into())).await?;
                }
                if events.iter().any(|e| matches!(e, Event::Connected(_))) {
                    for f in conn.sync_document(id, &mut doc) {
                        sink.send(Ws::Binary(f.into())).await?;
                    }
                }
                if conn.is_synced(&id, &heads) {
                    return Ok(());
                }
            }
            bail!("relay closed the connection")
        })
        .await
        .context("publishing to the relay")?
    }

    fn link(&self, id: DocumentId) -> String {
        format!(
            "{}#/w/{}?relay={}",
            self.base_url(),
            id.to_url(),
            urlencode(&self.sync_url())
        )
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        // chromedriver and every Chromium it started share its process group.
        if let Some(pid) = self.driver.id() {
            let _ = std::process::Command::new("kill")
                .args(["-KILL", "--", &format!("-{pid}")])
                .status();
        }
    }
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn testid(id: &str) -> String {
    format!("[data-testid=\"{id}\"]")
}

async fn wait_for(client: &Client, css: &str) -> Result<fantoccini::elements::Element> {
    client
        .wait()
        .at_most(DEADLINE)
        .for_element(Locator::Css(css))
        .await
        .with_context(|| format!("waiting for {css}"))
}

async fn eventually(what: &str, client: &Client, js: &str) -> Result<Value> {
    let deadline = tokio::time::Instant::now() + DEADLINE;
    loop {
        let v = client.execute(js, vec![]).await?;
        if !v.is_null() && v != json!(false) {
            return Ok(v);
        }
        if tokio::time::Instant::now() > deadline {
            bail!("timed out waiting for {what}");
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// A fresh profile: name set, the workspace opened by its link and stored on the device, the
/// service worker in control.
async fn open_workspace(lab: &mut Lab, id: DocumentId, name: &str) -> Result<Client> {
    let client = lab.browser().await?;
    client.goto(&lab.base_url()).await?;
    wait_for(&client, &testid("name-input"))
        .await?
        .send_keys(name)
        .await?;
    wait_for(&client, &testid("name-save"))
        .await?
        .click()
        .await?;
    wait_for(&client, &testid("create-form")).await?;
    client.goto(&lab.link(id)).await?;
    eventually(
        "the workspace is open",
        &client,
        "return performance.getEntriesByName('moot:editable').length > 0",
    )
    .await?;
    eventually(
        "saved on the device",
        &client,
        &format!(
            "const s = document.querySelector('{}'); return s && s.textContent.includes('Saved')",
            testid("save-state")
        ),
    )
    .await?;
    eventually(
        "the service worker controls the page",
        &client,
        "return !!(navigator.serviceWorker && navigator.serviceWorker.controller)",
    )
    .await?;
    Ok(client)
}

/// ms from navigation start to the workspace on screen and editable (the app's mark).
async fn editable_after_reload(client: &Client) -> Result<f64> {
    client.refresh().await?;
    let v = eventually(
        "the editable mark",
        client,
        "const m = performance.getEntriesByName('moot:editable')[0]; return m ? m.startTime : null",
    )
    .await?;
    let marks = client
        .execute("return performance.getEntriesByType('mark').map(m => m.name + ' ' + Math.round(m.startTime)).concat(performance.getEntriesByType('resource').map(r => r.name.split('/').pop() + ' ' + Math.round(r.startTime) + '..' + Math.round(r.responseEnd))).join(', ')", vec![])
        .await?;
    eprintln!("bench:   timeline {}", marks.as_str().unwrap_or(""));
    v.as_f64().context("mark time")
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn percentile(mut v: Vec<f64>, p: f64) -> f64 {
    v.sort_by(f64::total_cmp);
    v[((v.len() - 1) as f64 * p).round() as usize]
}

/// P2: cold start to editable, offline (relay stopped) from IndexedDB + service worker, with a
/// fresh profile each run. Also gives P8's render time for each size.
async fn cold_start(lab: &mut Lab, id: DocumentId, runs: usize) -> Result<Vec<f64>> {
    let mut times = Vec::new();
    for _ in 0..runs {
        lab.start_relay().await?;
        let client = open_workspace(lab, id, "Bench").await?;
        lab.stop_relay().await?;
        times.push(editable_after_reload(&client).await?);
        client.close().await?;
    }
    lab.start_relay().await?;
    Ok(times)
}

/// The anchor page, fresh profile each run: seed IndexedDB, open once, then reload and read
/// its mark. Served by the relay (a page without a service worker needs a server).
async fn anchor_cold_start(lab: &mut Lab, runs: usize) -> Result<Vec<f64>> {
    lab.start_relay().await?;
    let mut times = Vec::new();
    for _ in 0..runs {
        let client = lab.browser().await?;
        client
            .goto(&format!("{}anchor/index.html?seed", lab.base_url()))
            .await?;
        wait_for(&client, "body[data-seeded]").await?;
        client
            .goto(&format!("{}anchor/index.html", lab.base_url()))
            .await?;
        eventually(
            "the anchor renders",
            &client,
            "return performance.getEntriesByName('anchor:editable').length > 0",
        )
        .await?;
        client.refresh().await?;
        let v = eventually("the anchor mark", &client, "const m = performance.getEntriesByName('anchor:editable')[0]; return m ? m.startTime : null").await?;
        times.push(v.as_f64().context("mark")?);
        client.close().await?;
    }
    Ok(times)
}

/// Keystrokes typed into the middle of the draft. Each is timed from the input event to the
/// frame being ready: the handler, the reactive updates it causes (microtasks), and style and
/// layout — not the wait for the next vsync, which is the display's, not moot's. The next
/// keystroke comes after a painted frame.
const KEYSTROKES_JS: &str = r#"
const [count, done] = [arguments[0], arguments[arguments.length - 1]];
const t = document.querySelector('[data-testid="draft-text"]');
t.focus();
const times = [];
const task = () => new Promise(r => { const c = new MessageChannel(); c.port1.onmessage = r; c.port2.postMessage(0); });
const frame = () => new Promise(r => requestAnimationFrame(() => task().then(r)));
(async () => {
  await frame();
  for (let i = 0; i < count; i++) {
    const at = Math.floor(t.value.length / 2);
    const t0 = performance.now();
    t.setRangeText('k', at, at, 'end');
    t.dispatchEvent(new InputEvent('input', { inputType: 'insertText', data: 'k' }));
    const t1 = performance.now();
    await task();
    const t2 = performance.now();
    document.body.getBoundingClientRect();
    const t3 = performance.now();
    times.push([t3 - t0, t1 - t0, t2 - t1, t3 - t2]);
    await frame();
  }
  done(times);
})();
"#;

/// Per keystroke: [total, input handler, reactive updates, style + layout] in ms.
async fn keystrokes(client: &Client, count: usize) -> Result<Vec<[f64; 4]>> {
    let v = client
        .execute_async(KEYSTROKES_JS, vec![json!(count)])
        .await?;
    let parts = |k: &Value| [0, 1, 2, 3].map(|i| k[i].as_f64().unwrap_or(f64::NAN));
    Ok(v.as_array().context("times")?.iter().map(parts).collect())
}

/// Watches for an agenda item titled `arguments[0]`; `window.__painted` gets the epoch ms of
/// the frame that shows it.
const WATCH_JS: &str = r#"const title = arguments[0];
   window.__painted = null;
   const seen = () => [...document.querySelectorAll('[data-testid="agenda-title"]')].some(e => e.value === title);
   const obs = new MutationObserver(() => {
     if (window.__painted === null && seen()) {
       obs.disconnect();
       window.__dom = performance.timeOrigin + performance.now();
       requestAnimationFrame(() => { const c = new MessageChannel(); c.port1.onmessage = () => { window.__painted = performance.timeOrigin + performance.now(); }; c.port2.postMessage(0); });
     }
   });
   obs.observe(document.body, { childList: true, subtree: true });"#;

/// Adds an agenda item titled `arguments[0]`; returns the epoch ms of the click.
const ADD_ITEM_JS: &str = r#"const input = document.querySelector('[data-testid="new-agenda-item"]');
   input.value = arguments[0];
   input.dispatchEvent(new Event('input', { bubbles: true }));
   const t = performance.timeOrigin + performance.now();
   document.querySelector('[data-testid="add-agenda-item"]').click();
   return t;"#;

async fn watch(to: &Client, title: &str) -> Result<()> {
    to.execute(WATCH_JS, vec![json!(title)]).await?;
    Ok(())
}

async fn add_item(from: &Client, title: &str) -> Result<f64> {
    from.execute(ADD_ITEM_JS, vec![json!(title)])
        .await?
        .as_f64()
        .context("send time")
}

/// When `to` painted the item, and the parts: [painted, changes arrived, in the DOM] (epoch ms).
async fn painted(to: &Client) -> Result<[f64; 3]> {
    eventually("the remote paint", to, "return window.__painted").await?;
    let v = to
        .execute(
            "const m = performance.getEntriesByName('moot:remote-change'); \
             return [window.__painted, m.length ? performance.timeOrigin + m[m.length - 1].startTime : NaN, window.__dom];",
            vec![],
        )
        .await?;
    Ok([0, 1, 2].map(|i| v[i].as_f64().unwrap_or(f64::NAN)))
}

/// Adds an agenda item in `from`; ms until `to` received the change, had it in the DOM, and
/// painted it.
async fn remote_paint(from: &Client, to: &Client, title: &str) -> Result<[f64; 3]> {
    watch(to, title).await?;
    let sent = add_item(from, title).await?;
    let [paint, arrived, dom] = painted(to).await?;
    Ok([arrived - sent, dom - sent, paint - sent])
}

/// p50 to paint, and "p50 (p99); the p50 of each part" of remote-paint samples.
fn describe_paint(samples: &[[f64; 3]]) -> (f64, String) {
    let col = |i: usize| samples.iter().map(|s| s[i]).collect::<Vec<f64>>();
    let p50 = median(col(2));
    let text = format!(
        "{p50:.1} ms ({:.1} ms); p50 change arrived {:.1} ms, in the DOM {:.1} ms",
        percentile(col(2), 0.99),
        median(col(0)),
        median(col(1))
    );
    (p50, text)
}

async fn memory(client: &Client) -> Result<(f64, f64)> {
    let v = client
        .execute("return [performance.memory.usedJSHeapSize, (window.__moot_wasm_memory ? window.__moot_wasm_memory.buffer.byteLength : 0)]", vec![])
        .await?;
    Ok((v[0].as_f64().unwrap_or(0.0), v[1].as_f64().unwrap_or(0.0)))
}

fn workspace_with_draft(text: &str) -> Result<AutoCommit> {
    let me = Ctx::new("p0", "2026-01-01T00:00:00Z");
    let mut ws = Workspace::create(me, "Bench", "P0", 3)?;
    let draft = ws.documents()?[0].id.clone();
    ws.replace_text(me, &draft, text)?;
    Ok(ws.doc().clone())
}

fn new_id(n: u8) -> DocumentId {
    let mut b = [n; 16];
    b[..8].copy_from_slice(&std::process::id().to_le_bytes().repeat(2));
    DocumentId::from_bytes(b)
}

pub async fn rows(
    inputs: &Inputs,
    workspaces: &mut [(usize, Workspace)],
) -> (Vec<Row>, Option<Vec<Duration>>) {
    let only = crate::only;
    let served = match workspaces.first_mut().map(|(_, ws)| ws.save()) {
        Some(bytes) => crate::anchor::serve_dir(&inputs.dist, &inputs.interop, &inputs.out, &bytes),
        None => Err(anyhow::anyhow!("no workspace")),
    };
    let lab = match served {
        Ok(served) => Lab::start(inputs, served).await,
        Err(e) => Err(e),
    };
    let mut lab = match lab {
        Ok(lab) => lab,
        Err(e) => return (vec![failed("P2", "browser rows", &e)], None),
    };
    let mut rows = Vec::new();
    let mut render = None;

    // P2 and P8 render: the large workspace at ×1, ×2, ×4.
    let mut renders = Vec::new();
    for (i, (scale, ws)) in workspaces.iter_mut().enumerate() {
        if !only("P2") && !only("P8") {
            break;
        }
        let id = new_id(10 + i as u8);
        let runs = if *scale == 1 { COLD_RUNS } else { 3 };
        let result = async {
            lab.publish(id, ws.doc()).await?;
            cold_start(&mut lab, id, runs).await
        }
        .await;
        match result {
            Ok(times) => {
                eprintln!("bench: cold start ×{scale}: {times:?}");
                let m = median(times);
                renders.push(Duration::from_secs_f64(m / 1e3));
                if *scale == 1 {
                    let mut row = Row::new("P2", format!("Cold start to editable, offline, large workspace (median of {runs}, fresh profile each)")).moot(format!("{m:.0} ms"));
                    match anchor_cold_start(&mut lab, runs).await {
                        Ok(times) => {
                            eprintln!("bench: anchor cold start: {times:?}");
                            let a = median(times);
                            row = row
                                .anchor(format!(
                                    "JS automerge page {a:.0} ms (served from loopback)"
                                ))
                                .ratio(m / a)
                                .target("≤ 400 ms and ≤ 0.7×", m <= 400.0 && m / a <= 0.7);
                        }
                        Err(e) => {
                            row = row
                                .anchor(format!("not measured: {e:#}"))
                                .target("≤ 400 ms", m <= 400.0)
                        }
                    }
                    rows.push(row);
                }
            }
            Err(e) => rows.push(failed("P2", &format!("Cold start ×{scale}"), &e)),
        }
    }
    if renders.len() == workspaces.len() {
        render = Some(renders);
    }

    // P3 and P7: keystrokes in a small draft and in the trace-sized one.
    let small = moot_model::CODE_OF_CONDUCT.to_owned();
    let big = inputs.trace_text();
    let mut p99s = Vec::new();
    for (label, text) in [("small draft", Ok(small)), ("automerge-paper draft", big)] {
        if !only("P3") && !only("P7") {
            break;
        }
        let result = async {
            let text = text?;
            let id = new_id(if label == "small draft" { 30 } else { 31 });
            lab.publish(id, &workspace_with_draft(&text)?).await?;
            let client = open_workspace(&mut lab, id, "Typist").await?;
            client.goto(&format!("{}#/w/{}/coc", lab.base_url(), id.to_url())).await?;
            wait_for(&client, &testid("draft-text")).await?;
            eventually("the draft is loaded", &client, &format!("return document.querySelector('[data-testid=\"draft-text\"]').value.length >= {}", text.encode_utf16().count())).await?;
            let times = keystrokes(&client, 120).await?;
            let mem = memory(&client).await?;
            client.close().await?;
            Ok::<_, anyhow::Error>((times[20..].to_vec(), mem, text.chars().count()))
        }
        .await;
        match result {
            Ok((parts, (heap, wasm), chars)) => {
                let times: Vec<f64> = parts.iter().map(|p| p[0]).collect();
                let part = |i: usize| percentile(parts.iter().map(|p| p[i]).collect(), 0.5);
                let (p50, p99) = (percentile(times.clone(), 0.5), percentile(times, 0.99));
                p99s.push(p99);
                rows.push(
                    Row::new(
                        "P3",
                        format!("Keystroke → frame ready, {label} ({chars} chars), p50 / p99"),
                    )
                    .moot(format!(
                        "{p50:.1} / {p99:.1} ms (p50 parts: handler {:.1}, reactive updates {:.1}, layout {:.1})",
                        part(1),
                        part(2),
                        part(3)
                    ))
                    .target("p99 ≤ 16 ms", p99 <= 16.0),
                );
                if label != "small draft" {
                    let mb = (heap + wasm) / 1_048_576.0;
                    rows.push(
                        Row::new(
                            "P7",
                            "Tab memory with the trace-sized draft (JS heap + wasm memory)",
                        )
                        .moot(format!(
                            "{mb:.1} MB (JS {:.1} + wasm {:.1})",
                            heap / 1_048_576.0,
                            wasm / 1_048_576.0
                        ))
                        .target("≤ 40 MB", mb <= 40.0),
                    );
                }
            }
            Err(e) => rows.push(failed(
                "P3",
                &format!("Keystroke → frame ready, {label}"),
                &e,
            )),
        }
    }
    if let [small, big] = p99s[..] {
        let r = big / small;
        rows.push(
            Row::new("P3", "Keystroke p99, big draft / small draft")
                .moot(format!("{big:.1} / {small:.1} ms"))
                .ratio(r)
                .target("≤ 1.2", r <= 1.2),
        );
    }

    // D1 in Chromium: the decision of `decisions::workspace` on its page.
    if only("D1") {
        match tally_in_browser(&mut lab).await {
            Ok(times) => {
                eprintln!("bench: tally in Chromium: {times:?}");
                let m = median(times);
                rows.push(
                    Row::new(
                        "D1",
                        "Decision tally in Chromium (open; median of 5 page loads): 1,000 voters, 10,000 ballot changes, chains of 50",
                    )
                    .moot(format!("{m:.1} ms"))
                    .anchor("goal 50 ms in Chromium")
                    .ratio(m / 50.0)
                    .target("≤ 50 ms", m <= 50.0),
                );
            }
            Err(e) => rows.push(failed("D1", "Decision tally in Chromium", &e)),
        }
    }

    // H1 in Chromium: History's first render and a redline, on the automerge-paper draft.
    if only("H1") {
        match history_in_browser(&mut lab, inputs).await {
            Ok((render, redline, text)) => {
                eprintln!(
                    "bench: history in Chromium: render {render:?}, redline {redline:?}, text {text:?}"
                );
                let (r, d, t) = (median(render), median(redline), median(text));
                rows.push(
                    Row::new("H1", "Text of a named version (50 %) of the automerge-paper draft in Chromium, with its comments, median of 5")
                        .moot(format!("{t:.1} ms"))
                        .anchor("goal 300 ms in Chromium")
                        .ratio(t / 300.0)
                        .target("≤ 300 ms", t <= 300.0),
                );
                rows.push(
                    Row::new("H1", "History page first render in Chromium (automerge-paper draft, 2,611 changes: click → 25 groups (one page) painted), median of 5")
                        .moot(format!("{r:.1} ms"))
                        .anchor("goal 200 ms")
                        .ratio(r / 200.0)
                        .target("≤ 200 ms", r <= 200.0),
                );
                rows.push(
                    Row::new(
                        "H1",
                        "Redline 25 % → 75 % of the automerge-paper draft in Chromium, median of 5",
                    )
                    .moot(format!("{d:.1} ms"))
                    .anchor("goal 300 ms in Chromium")
                    .ratio(d / 300.0)
                    .target("≤ 300 ms", d <= 300.0),
                );
            }
            Err(e) => rows.push(failed("H1", "History in Chromium", &e)),
        }
    }

    // S1: search as you type on the large workspace.
    if only("S1")
        && let Some((_, ws)) = workspaces.first()
    {
        match search_in_browser(&mut lab, ws.doc()).await {
            Ok((queries, index)) => {
                eprintln!("bench: search queries {queries:?}, index {index:.1} ms");
                let worst = queries.iter().copied().fold(0.0, f64::max);
                let m = median(queries.clone());
                rows.push(
                    Row::new(
                        "S1",
                        format!("Search as you type, large workspace: per query, median / worst of {} (index built once per change)", queries.len()),
                    )
                    .moot(format!("{m:.1} / {worst:.1} ms (index {index:.1} ms)"))
                    .anchor("goal 50 ms per query in Chromium")
                    .ratio(worst / 50.0)
                    .target("≤ 50 ms", worst <= 50.0),
                );
            }
            Err(e) => rows.push(failed("S1", "Search as you type", &e)),
        }
    }

    // P6: edit → remote paint, two browsers through the relay, and two tabs of one.
    let mut open_p50 = None;
    if only("P6") {
        match remote_rows(&mut lab).await {
            Ok((r, p50)) => {
                rows.extend(r);
                open_p50 = Some(p50);
            }
            Err(e) => rows.push(failed("P6", "Edit → remote paint", &e)),
        }
    }
    // P9 in Chromium: the same through the relay, in a private workspace (sealed).
    if only("P9") {
        match private_remote_row(&mut lab, open_p50).await {
            Ok(r) => rows.push(r),
            Err(e) => rows.push(failed("P9", "Private workspace: edit → remote paint", &e)),
        }
    }
    (rows, render)
}

/// The app's `moot:tally` measure (the Decisions memo), on the Decisions page of the bench
/// decision, after each of 5 page loads: the longest one of each load (the first count runs
/// before the workspace is open and counts nothing).
async fn tally_in_browser(lab: &mut Lab) -> Result<Vec<f64>> {
    let (ws, _) = crate::decisions::workspace()?;
    let id = new_id(50);
    lab.publish(id, ws.doc()).await?;
    let client = open_workspace(lab, id, "Bench").await?;
    let page = format!("{}#/w/{}/decisions", lab.base_url(), id.to_url());
    let mut times = Vec::new();
    for _ in 0..5 {
        client.goto(&page).await?;
        client.refresh().await?;
        eventually(
            "the decision on screen",
            &client,
            "return document.querySelectorAll('[data-testid=\"decision\"]').length > 0 || null",
        )
        .await?;
        let v = client
            .execute(
                "return Math.max(...performance.getEntriesByName('moot:tally').map(m => m.duration))",
                vec![],
            )
            .await?;
        times.push(v.as_f64().context("the tally measure")?);
    }
    client.close().await?;
    Ok(times)
}

/// History's first render (a click on its navigation link → the frame after one page (25 groups) are in
/// the page), 5 times, and the app's `moot:redline` measure for 5 comparisons of the 25 %
/// and 75 % versions on the review page.
async fn history_in_browser(
    lab: &mut Lab,
    inputs: &Inputs,
) -> Result<(Vec<f64>, Vec<f64>, Vec<f64>)> {
    let (ws, _, _) = crate::history::build(inputs)?;
    let id = new_id(70);
    lab.publish(id, ws.doc()).await?;
    let client = open_workspace(lab, id, "Bench").await?;
    // From the agenda to History by the navigation, timed in the page: the route changes,
    // History reads and groups every change and tells the first 40 in words, then paints.
    let mut render = Vec::new();
    for _ in 0..5 {
        client
            .goto(&format!("{}#/w/{}/agenda", lab.base_url(), id.to_url()))
            .await?;
        wait_for(&client, &testid("agenda-page")).await?;
        let v = client
            .execute_async(
                "const done = arguments[0]; const t0 = performance.now(); \
                 document.querySelector('[data-testid=\"nav-history\"]').click(); \
                 let frames = 0; const look = () => { \
                   if (document.querySelectorAll('[data-testid=\"history-group\"]').length >= 25) \
                     requestAnimationFrame(() => done(performance.now() - t0)); \
                   else if (++frames > 1200) done(null); else requestAnimationFrame(look); }; look();",
                vec![],
            )
            .await?;
        render.push(v.as_f64().context("the history page render")?);
    }
    let coc = format!("{}#/w/{}/coc", lab.base_url(), id.to_url());
    client.goto(&coc).await?;
    wait_for(&client, &testid("compare-show")).await?;
    let mut redline = Vec::new();
    for _ in 0..5 {
        let v = client
            .execute_async(
                "const done = arguments[0]; performance.clearMeasures('moot:redline');                  const pick = (id, i) => { const s = document.querySelector(`[data-testid=\"${id}\"]`); s.value = s.options[i].value; s.dispatchEvent(new Event('change')); };                  pick('compare-from', 1); pick('compare-to', 3);                  document.querySelector('[data-testid=\"compare-show\"]').click();                  let frames = 0; const look = () => { const m = performance.getEntriesByName('moot:redline');                    if (m.length && document.querySelector('[data-testid=\"redline\"]')) done(m[0].duration);                    else if (++frames > 1200) done(null); else requestAnimationFrame(look); }; look();",
                vec![],
            )
            .await?;
        redline.push(v.as_f64().context("the redline measure")?);
    }
    let mut text = Vec::new();
    for _ in 0..5 {
        let v = client
            .execute_async(
                "const done = arguments[0]; performance.clearMeasures('moot:version-text'); \
                 document.querySelectorAll('[data-testid=\"version-view\"]')[1].click(); \
                 let frames = 0; const look = () => { const m = performance.getEntriesByName('moot:version-text'); \
                   if (m.length && document.querySelector('[data-testid=\"version-text\"]')) done(m[0].duration); \
                   else if (++frames > 1200) done(null); else requestAnimationFrame(look); }; look();",
                vec![],
            )
            .await?;
        text.push(v.as_f64().context("the version text measure")?);
    }
    client.close().await?;
    Ok((render, redline, text))
}

/// The app's `moot:search` measure for each of several queries typed into the search box on
/// the large workspace, and its `moot:search-index` (the index of the unchanged document,
/// built for the first query).
async fn search_in_browser(lab: &mut Lab, doc: &AutoCommit) -> Result<(Vec<f64>, f64)> {
    let id = new_id(60);
    lab.publish(id, doc).await?;
    let client = open_workspace(lab, id, "Bench").await?;
    wait_for(&client, &testid("search-input")).await?;
    let mut times = Vec::new();
    for q in [
        "minutes",
        "respect",
        "person 3",
        "follow up",
        "settled in the open",
        "zzzz",
        "m",
    ] {
        let v = client
            .execute_async(
                "const done = arguments[1]; performance.clearMeasures('moot:search'); \
                 const i = document.querySelector('[data-testid=\"search-input\"]'); \
                 i.value = arguments[0]; i.dispatchEvent(new Event('input', { bubbles: true })); \
                 let frames = 0; const look = () => { const m = performance.getEntriesByName('moot:search'); \
                   if (m.length) done(m[m.length - 1].duration); else if (++frames > 600) done(null); else requestAnimationFrame(look); }; look();",
                vec![q.into()],
            )
            .await?;
        times.push(v.as_f64().context("the search measure")?);
    }
    let index = client
        .execute(
            "const m = performance.getEntriesByName('moot:search-index'); return m.length ? m[0].duration : null;",
            vec![],
        )
        .await?
        .as_f64()
        .context("the index measure")?;
    client.close().await?;
    Ok((times, index))
}

async fn remote_rows(lab: &mut Lab) -> Result<(Vec<Row>, f64)> {
    let id = new_id(40);
    let demo = moot_model::demo_workspace(Ctx::new("p0", "2026-01-01T00:00:00Z"), "Host", 5)?;
    lab.publish(id, demo.doc()).await?;
    let a = open_workspace(lab, id, "Ada").await?;
    let b = open_workspace(lab, id, "Bea").await?;
    let mut via_relay = Vec::new();
    for i in 0..20 {
        via_relay.push(remote_paint(&a, &b, &format!("relay item {i}")).await?);
    }
    // Where Bea's time goes after the change arrived: the agenda's read of its sessions and
    // What's new, each remote change.
    let mut spent = Vec::new();
    for name in ["moot:agenda-read", "moot:news"] {
        let v = b
            .execute(
                "return performance.getEntriesByName(arguments[0]).map(m => m.duration)",
                vec![json!(name)],
            )
            .await?;
        let d: Vec<f64> = v
            .as_array()
            .map(|a| a.iter().filter_map(|x| x.as_f64()).collect())
            .unwrap_or_default();
        spent.push(if d.is_empty() { f64::NAN } else { median(d) });
    }
    b.close().await?;
    // Two tabs of one browser, the relay stopped: only the BroadcastChannel carries it.
    lab.stop_relay().await?;
    let first = a.window().await?;
    let second = a.new_window(false).await?.handle;
    a.switch_to_window(second.clone()).await?;
    a.goto(&lab.link(id)).await?;
    eventually(
        "the workspace is open",
        &a,
        "return performance.getEntriesByName('moot:editable').length > 0",
    )
    .await?;
    let mut via_tabs = Vec::new();
    for i in 0..20 {
        // The page measured must be the one in front; WebDriver drives one window at a time,
        // so the watcher is set in the second tab and the edit made in the first.
        let title = format!("tab item {i}");
        watch(&a, &title).await?;
        a.switch_to_window(first.clone()).await?;
        let sent = add_item(&a, &title).await?;
        a.switch_to_window(second.clone()).await?;
        let [paint, arrived, dom] = painted(&a).await?;
        via_tabs.push([arrived - sent, dom - sent, paint - sent]);
    }
    a.close().await?;
    lab.start_relay().await?;
    let ((r50, relay), (t50, tabs)) = (describe_paint(&via_relay), describe_paint(&via_tabs));
    Ok((
        vec![
            Row::new(
                "P6",
                "Edit → remote paint, two Chromium sessions via the relay, p50 (p99)",
            )
            .moot(format!(
                "{relay}; p50 agenda read {:.1} ms, What's new {:.1} ms",
                spent[0], spent[1]
            ))
            .target("≤ 20 ms", r50 <= 20.0),
            Row::new(
                "P6",
                "Edit → remote paint, two tabs via BroadcastChannel (relay stopped), p50 (p99)",
            )
            .moot(tabs)
            .target("≤ 5 ms", t50 <= 5.0),
        ],
        r50,
    ))
}

/// Types `text` into the input with `data-testid=id` (after clearing it).
async fn type_into(client: &Client, id: &str, text: &str) -> Result<()> {
    let input = wait_for(client, &testid(id)).await?;
    input.clear().await?;
    input.send_keys(text).await?;
    Ok(())
}

/// A fresh profile with its name set, on the start page.
async fn named(lab: &mut Lab, name: &str) -> Result<Client> {
    let client = lab.browser().await?;
    client.goto(&lab.base_url()).await?;
    type_into(&client, "name-input", name).await?;
    wait_for(&client, &testid("name-save"))
        .await?
        .click()
        .await?;
    wait_for(&client, &testid("create-form")).await?;
    Ok(client)
}

async fn up_to_date(client: &Client) -> Result<()> {
    eventually(
        "up to date with the relay",
        client,
        &format!(
            "const s = document.querySelector('{}'); return s && s.textContent === 'Up to date'",
            testid("sync-state")
        ),
    )
    .await
    .map(|_| ())
}

/// P9's "keystroke → remote paint ≤ 1.2× the open workspace's": Ada creates a private
/// workspace with a work session and shares its edit link; Bea opens it; an agenda item Ada
/// adds is sealed, relayed and opened before Bea paints it. 20 samples, as P6's.
async fn private_remote_row(lab: &mut Lab, open_p50: Option<f64>) -> Result<Row> {
    let a = named(lab, "Ada").await?;
    type_into(&a, "create-name", "Bench private").await?;
    wait_for(&a, &testid("create-private"))
        .await?
        .click()
        .await?;
    wait_for(&a, &testid("create-submit"))
        .await?
        .click()
        .await?;
    wait_for(&a, &testid("agenda-page")).await?;
    type_into(&a, "new-session-title", "Bench session").await?;
    // datetime-local takes keys in the browser's locale: set its value as the page would.
    a.execute(
        "const i = document.querySelector('[data-testid=\"new-session-start\"]'); \
         i.value = '2026-12-10T10:00'; i.dispatchEvent(new Event('input', { bubbles: true }));",
        vec![],
    )
    .await?;
    wait_for(
        &a,
        "[data-testid=\"new-session-form\"] button[type=\"submit\"]",
    )
    .await?
    .click()
    .await?;
    wait_for(&a, &testid("new-agenda-item")).await?;
    up_to_date(&a).await?;
    wait_for(&a, &testid("share-toggle")).await?.click().await?;
    let link = wait_for(&a, &testid("share-link-edit"))
        .await?
        .prop("value")
        .await?
        .context("the edit link")?;
    wait_for(&a, &testid("share-toggle")).await?.click().await?;
    let b = named(lab, "Bea").await?;
    b.goto(&link).await?;
    wait_for(&b, &testid("new-agenda-item")).await?;
    up_to_date(&b).await?;
    let mut samples = Vec::new();
    for i in 0..20 {
        samples.push(remote_paint(&a, &b, &format!("sealed item {i}")).await?);
    }
    a.close().await?;
    b.close().await?;
    let (p50, text) = describe_paint(&samples);
    let row = Row::new(
        "P9",
        "… edit → remote paint in Chromium via the relay (sealed), p50 (p99)",
    )
    .moot(text);
    Ok(match open_p50 {
        Some(open) => row
            .anchor(format!("open workspace (P6) {open:.1} ms"))
            .ratio(p50 / open)
            .target("≤ 1.2× open", p50 <= 1.2 * open),
        None => row.target("≤ 1.2× open (P6 not run)", false),
    })
}

/// `cargo xtask faults` (audit F4): an agenda item is added, the header says "Saved on this
/// device", and at once the tab's renderer process crashes (DevTools `Page.crash`) or the tab
/// is closed; the app is opened again in a new tab with the relay down (only this device's
/// storage can have the item).
/// Returns (trials, items lost).
pub async fn tab_kill_trials(inputs: &Inputs, trials: usize) -> Result<(usize, usize)> {
    let mut lab = Lab::start(inputs, inputs.dist.clone()).await?;
    let id = DocumentId::from_bytes([77; 16]);
    let ctx = Ctx::new("p0", "2025-12-20T14:00:00Z");
    let mut ws = Workspace::create(ctx, "Crash trials", "P0", 1)?;
    ws.add_session(ctx, "Session", "2025-12-20T14:00:00Z", 60, "")?;
    lab.publish(id, ws.doc_mut()).await?;
    let client = open_workspace(&mut lab, id, "Ada").await?;
    lab.stop_relay().await?;
    let mut lost = 0;
    for n in 0..trials {
        let title = format!("trial {n}");
        add_item(&client, &title).await?;
        eventually(
            "saved on the device",
            &client,
            &format!(
                "const s = document.querySelector('{}'); return s && s.textContent === 'Saved on this device' && [...document.querySelectorAll('[data-testid=\"agenda-title\"]')].some(e => e.value === arguments[0] || e.value === '{title}')",
                testid("save-state")
            ),
        )
        .await?;
        // The app opens again in a new tab; the old one is killed (its renderer, kill -9:
        // "Aw, Snap!") or closed.
        let new = client.new_window(true).await?;
        if n % 2 == 0 {
            // The tab's renderer process dies at once ("Aw, Snap!"), as when it is killed.
            let _ = client.issue_cmd(CrashTab).await;
        } else {
            client.close_window().await?;
        }
        client.switch_to_window(new.handle).await?;
        client.goto(&lab.link(id)).await?;
        let found = eventually(
            "the agenda after reopening",
            &client,
            "const t = [...document.querySelectorAll('[data-testid=\"agenda-title\"]')]; return t.length > 0 ? t.map(e => e.value) : null",
        )
        .await?;
        let titles: Vec<String> = serde_json::from_value(found).unwrap_or_default();
        if !titles.contains(&title) {
            eprintln!("faults: tab trial {n}: \"{title}\" was lost");
            lost += 1;
        }
    }
    Ok((trials, lost))
}

/// DevTools' `Page.crash` through chromedriver: the current tab's renderer process crashes.
#[derive(Debug)]
struct CrashTab;

impl fantoccini::wd::WebDriverCompatibleCommand for CrashTab {
    fn endpoint(
        &self,
        base: &url::Url,
        session: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base.join(&format!(
            "session/{}/goog/cdp/execute",
            session.unwrap_or_default()
        ))
    }
    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        (
            http::Method::POST,
            Some(r#"{"cmd":"Page.crash","params":{}}"#.into()),
        )
    }
}
