//! P5: the relay under load. K simulated typists (native moot-sync clients, the same sans-IO
//! sessions the app uses), 6 characters a second each, four to a document, on 127.0.0.1, for
//! a few seconds per K: edit → remote-receive latency p50/p99, relay CPU and RSS. The same
//! load against the JS automerge-repo sync server (npm) and a plain echo relay.

use std::{
    collections::HashMap,
    net::SocketAddr,
    path::Path,
    process::Stdio,
    sync::{Arc, Mutex},
    time::Duration,
};

use anyhow::{Context, Result};
use automerge::{AutoCommit, ChangeHash, ObjType, ROOT, ReadDoc, transaction::Transactable};
use futures::{SinkExt, StreamExt};
use moot_sync::{Connection, DocumentId, Event, PeerMetadata, Single};
use tokio::{
    io::{AsyncBufReadExt, BufReader},
    net::TcpListener,
    process::{Child, Command},
    sync::broadcast,
    time::Instant,
};
use tokio_tungstenite::tungstenite::Message as Ws;

use crate::{
    Inputs,
    report::{Row, ms},
};

const PER_DOC: usize = 4;
const KEY_INTERVAL: Duration = Duration::from_micros(166_667);
const WARM_UP: Duration = Duration::from_secs(1);
const MEASURE: Duration = Duration::from_secs(4);
const GRACE: Duration = Duration::from_secs(1);
const LIMIT: Duration = Duration::from_millis(250);
const KS: [usize; 15] = [
    4, 8, 16, 32, 48, 64, 96, 128, 192, 256, 384, 512, 768, 1024, 1536,
];
/// The K at which CPU and memory are compared.
const COMPARE_K: usize = 32;
const REFERENCE_K: usize = 16;

#[derive(Default)]
struct Shared {
    /// When each change was made, and through which of the servers it went.
    sent: Mutex<HashMap<ChangeHash, (Instant, usize)>>,
    echo_sent: Mutex<HashMap<(u32, u32), Instant>>,
    latencies: Mutex<Vec<Duration>>,
    /// Of those, the ones that crossed from one server to another.
    crossed: Mutex<Vec<Duration>>,
    expected: Mutex<usize>,
    /// Every edit made, measured or not.
    edits: std::sync::atomic::AtomicUsize,
}

/// How a load runs: typists per document, how long they type after the warm-up.
#[derive(Clone, Copy)]
pub(crate) struct Shape {
    pub(crate) per_doc: usize,
    pub(crate) measure: Duration,
}

pub(crate) const PAIRS_OF_FOUR: Shape = Shape {
    per_doc: PER_DOC,
    measure: MEASURE,
};

#[derive(Debug, Clone, Copy)]
pub(crate) struct Stats {
    pub(crate) k: usize,
    pub(crate) p50: Duration,
    pub(crate) p99: Duration,
    /// p50/p99 of the edits that crossed between servers (several relays).
    pub(crate) crossed: Option<(Duration, Duration)>,
    pub(crate) delivered: f64,
    pub(crate) cpu: Option<f64>,
    pub(crate) rss_kb: Option<u64>,
    pub(crate) edits: usize,
}

impl Stats {
    pub(crate) fn ok(&self) -> bool {
        self.p99 <= LIMIT && self.delivered >= 0.95
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::MAX;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

/// utime + stime of a process, in seconds, and its resident set in kB.
pub(crate) fn proc_usage(pid: u32) -> Option<(f64, u64)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks: f64 = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let rss = status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()?;
    Some((ticks / 100.0, rss))
}

#[allow(clippy::too_many_arguments)]
async fn typist(
    (addr, via): (SocketAddr, usize),
    path: &'static str,
    id: DocumentId,
    mut doc: AutoCommit,
    me: usize,
    shared: Arc<Shared>,
    t0: Instant,
    shape: Shape,
) -> Result<()> {
    let (ws, _) = connect(&format!("ws://{addr}{path}")).await?;
    let (mut sink, mut stream) = ws.split();
    let meta = PeerMetadata {
        storage_id: Some(format!("typist-{me}")),
        is_ephemeral: Some(false),
    };
    let (mut conn, join) = Connection::dial(
        &format!("typist-{me}-{}", t0.elapsed().as_nanos()),
        meta,
        "1",
    );
    sink.send(Ws::Binary(join.into())).await?;
    let text = doc.get(ROOT, "text")?.context("text")?.1;
    let Schedule {
        mut tick,
        measure_from,
        stop_typing,
        stop,
    } = Schedule::new(me, t0, shape.measure);
    let mut connected = false;
    loop {
        tokio::select! {
            now = tick.tick() => {
                if now >= stop { break }
                if !connected || now >= stop_typing { continue }
                let at = doc.length(&text);
                doc.splice_text(&text, at, 0, "a")?;
                if let Some(hash) = doc.commit() {
                    let now = Instant::now();
                    shared.sent.lock().unwrap().insert(hash, (now, via));
                    shared.edits.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    if now >= measure_from {
                        *shared.expected.lock().unwrap() += shape.per_doc - 1;
                    }
                }
                for f in conn.sync_document(id, &mut doc) {
                    sink.send(Ws::Binary(f.into())).await?;
                }
            }
            msg = stream.next() => {
                let Some(msg) = msg else { break };
                let Ws::Binary(frame) = msg? else { continue };
                let before = doc.get_heads();
                let (out, events) = conn.receive(&frame, &mut Single { id, doc: &mut doc })?;
                let arrived = Instant::now();
                for f in out {
                    sink.send(Ws::Binary(f.into())).await?;
                }
                if events.iter().any(|e| matches!(e, Event::Connected(_))) {
                    connected = true;
                    for f in conn.sync_document(id, &mut doc) {
                        sink.send(Ws::Binary(f.into())).await?;
                    }
                }
                let new: Vec<ChangeHash> = doc.get_changes(&before).iter().map(|c| c.hash()).collect();
                let sent = shared.sent.lock().unwrap();
                let mut lat = shared.latencies.lock().unwrap();
                let mut crossed = shared.crossed.lock().unwrap();
                for h in new {
                    if let Some(&(t, from)) = sent.get(&h).filter(|(t, _)| *t >= measure_from) {
                        lat.push(arrived - t);
                        if from != via {
                            crossed.push(arrived - t);
                        }
                    }
                }
            }
        }
    }
    Ok(())
}

/// One typist's keystroke clock: 6 a second (phase-shifted by typist), measured after the
/// warm-up, typing until `stop_typing`, receiving until `stop`.
struct Schedule {
    tick: tokio::time::Interval,
    measure_from: Instant,
    stop_typing: Instant,
    stop: Instant,
}

impl Schedule {
    fn new(me: usize, t0: Instant, measure: Duration) -> Self {
        Schedule {
            tick: tokio::time::interval_at(
                t0 + KEY_INTERVAL.mul_f64((me % 7) as f64 / 7.0),
                KEY_INTERVAL,
            ),
            measure_from: t0 + WARM_UP,
            stop_typing: t0 + WARM_UP + measure,
            stop: t0 + WARM_UP + measure + GRACE,
        }
    }
}

/// A client socket as a browser opens one: TCP_NODELAY set.
async fn connect(
    url: &str,
) -> Result<(
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>,
    tokio_tungstenite::tungstenite::handshake::client::Response,
)> {
    Ok(tokio_tungstenite::connect_async_with_config(url, None, true).await?)
}

async fn echo_typist(
    addr: SocketAddr,
    room: usize,
    me: u32,
    shared: Arc<Shared>,
    t0: Instant,
) -> Result<()> {
    let (ws, _) = connect(&format!("ws://{addr}/{room}")).await?;
    let (mut sink, mut stream) = ws.split();
    let Schedule {
        mut tick,
        measure_from,
        stop_typing,
        stop,
    } = Schedule::new(me as usize, t0, MEASURE);
    let mut seq = 0u32;
    loop {
        tokio::select! {
            now = tick.tick() => {
                if now >= stop { break }
                if now >= stop_typing { continue }
                seq += 1;
                // About the size of one keystroke's sync frame.
                let mut frame = vec![0u8; 160];
                frame[..4].copy_from_slice(&me.to_le_bytes());
                frame[4..8].copy_from_slice(&seq.to_le_bytes());
                let now = Instant::now();
                shared.echo_sent.lock().unwrap().insert((me, seq), now);
                if now >= measure_from {
                    *shared.expected.lock().unwrap() += PER_DOC - 1;
                }
                sink.send(Ws::Binary(frame.into())).await?;
            }
            msg = stream.next() => {
                let Some(msg) = msg else { break };
                let Ws::Binary(frame) = msg? else { continue };
                let arrived = Instant::now();
                let key = (u32::from_le_bytes(frame[..4].try_into()?), u32::from_le_bytes(frame[4..8].try_into()?));
                if let Some(&t) = shared.echo_sent.lock().unwrap().get(&key).filter(|t| **t >= measure_from) {
                    shared.latencies.lock().unwrap().push(arrived - t);
                }
            }
        }
    }
    Ok(())
}

/// A plain echo relay: every frame goes to every other socket in the same room (URL path).
async fn echo_server() -> Result<SocketAddr> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let rooms: Arc<Mutex<HashMap<String, broadcast::Sender<(usize, Vec<u8>)>>>> = Arc::default();
    tokio::spawn(async move {
        let mut next = 0usize;
        while let Ok((tcp, _)) = listener.accept().await {
            let _ = tcp.set_nodelay(true);
            next += 1;
            let (me, rooms) = (next, rooms.clone());
            tokio::spawn(async move {
                let mut room = String::new();
                let callback =
                    |req: &tokio_tungstenite::tungstenite::handshake::server::Request, resp| {
                        room = req.uri().path().to_owned();
                        Ok(resp)
                    };
                let Ok(ws) = tokio_tungstenite::accept_hdr_async(tcp, callback).await else {
                    return;
                };
                let tx = rooms
                    .lock()
                    .unwrap()
                    .entry(room)
                    .or_insert_with(|| broadcast::channel(4096).0)
                    .clone();
                let mut rx = tx.subscribe();
                let (mut sink, mut stream) = ws.split();
                loop {
                    tokio::select! {
                        m = stream.next() => match m {
                            Some(Ok(Ws::Binary(b))) => { let _ = tx.send((me, b.to_vec())); }
                            Some(Ok(_)) => {}
                            _ => break,
                        },
                        r = rx.recv() => match r {
                            Ok((from, b)) if from != me => { if sink.send(Ws::Binary(b.into())).await.is_err() { break } }
                            Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => {}
                            Err(_) => break,
                        },
                    }
                }
            });
        }
    });
    Ok(addr)
}

#[derive(Clone, Copy)]
pub(crate) enum Server {
    Moot,
    Js,
    Echo,
}

/// One load run of `k` typists against the servers at `addrs` (typist n on `addrs[n % len]`;
/// `pids` for their CPU and memory, summed).
pub(crate) async fn run_on(
    server: Server,
    addrs: &[SocketAddr],
    pids: &[u32],
    k: usize,
    shape: Shape,
) -> Result<Stats> {
    let shared = Arc::new(Shared::default());
    let t0 = Instant::now() + Duration::from_millis(300 + k as u64);
    let usage = || -> Option<(f64, u64)> {
        pids.iter().try_fold((0.0, 0), |(c, r), pid| {
            proc_usage(*pid).map(|(c2, r2)| (c + c2, r + r2))
        })
    };
    let usage_before = if pids.is_empty() { None } else { usage() };
    let mut tasks = Vec::new();
    for d in 0..k.div_ceil(shape.per_doc) {
        let mut bytes = [0u8; 16];
        bytes[..8].copy_from_slice(&(k as u64).to_le_bytes());
        bytes[8..].copy_from_slice(&(d as u64 ^ (t0.elapsed().as_nanos() as u64)).to_le_bytes());
        let id = DocumentId::from_bytes(bytes);
        let mut base = AutoCommit::new();
        base.put_object(ROOT, "text", ObjType::Text)?;
        base.commit();
        for t in 0..shape.per_doc.min(k - d * shape.per_doc) {
            let me = d * shape.per_doc + t;
            let shared = shared.clone();
            let doc = base.fork();
            let via = me % addrs.len();
            let addr = addrs[via];
            tasks.push(tokio::spawn(async move {
                match server {
                    Server::Moot => {
                        typist((addr, via), "/sync", id, doc, me, shared, t0, shape).await
                    }
                    Server::Js => typist((addr, via), "/", id, doc, me, shared, t0, shape).await,
                    Server::Echo => echo_typist(addr, d, me as u32, shared, t0).await,
                }
            }));
        }
    }
    for t in tasks {
        t.await??;
    }
    let wall = (WARM_UP + shape.measure + GRACE).as_secs_f64();
    let usage_after = if pids.is_empty() { None } else { usage() };
    let mut lat = std::mem::take(&mut *shared.latencies.lock().unwrap());
    lat.sort();
    let mut crossed = std::mem::take(&mut *shared.crossed.lock().unwrap());
    crossed.sort();
    let expected = *shared.expected.lock().unwrap();
    let (cpu, rss_kb) = match (usage_before, usage_after) {
        (Some(b), Some(a)) => (Some((a.0 - b.0) / wall * 100.0), Some(a.1)),
        _ => (None, None),
    };
    Ok(Stats {
        k,
        p50: percentile(&lat, 0.5),
        p99: percentile(&lat, 0.99),
        crossed: (!crossed.is_empty())
            .then(|| (percentile(&crossed, 0.5), percentile(&crossed, 0.99))),
        delivered: lat.len() as f64 / expected.max(1) as f64,
        cpu,
        rss_kb,
        edits: shared.edits.load(std::sync::atomic::Ordering::Relaxed),
    })
}

async fn run(server: Server, addr: SocketAddr, pid: Option<u32>, k: usize) -> Result<Stats> {
    let pids: Vec<u32> = pid.into_iter().collect();
    run_on(server, &[addr], &pids, k, PAIRS_OF_FOUR).await
}

/// Runs K = 4, 8, 16… until p99 passes 250 ms (or deliveries fall behind); all the runs.
async fn sweep(server: Server, addr: SocketAddr, pid: Option<u32>, name: &str) -> Vec<Stats> {
    let mut all = Vec::new();
    for k in KS {
        match run(server, addr, pid, k).await {
            Ok(s) => {
                eprintln!(
                    "bench: P5 {name} K={k}: p50 {:?} p99 {:?} delivered {:.0}% cpu {:?}% rss {:?} kB",
                    s.p50,
                    s.p99,
                    s.delivered * 100.0,
                    s.cpu.map(|c| c.round()),
                    s.rss_kb
                );
                let ok = s.ok();
                all.push(s);
                if !ok {
                    break;
                }
            }
            Err(e) => {
                eprintln!("bench: P5 {name} K={k}: failed: {e:#}");
                break;
            }
        }
    }
    all
}

/// Starts the release relay (on `listen`, else any free port) and reads its address.
pub(crate) async fn spawn_relay(
    bin: &Path,
    data: &Path,
    dist: &Path,
    listen: Option<SocketAddr>,
) -> Result<(Child, SocketAddr)> {
    // Every simulated client comes from 127.0.0.1: the per-address limits would count them as
    // one attacker.
    spawn_relay_with(bin, data, dist, listen, &LIMITS).await
}

/// Every simulated client comes from 127.0.0.1, in numbers: limits that let them all in.
pub(crate) const LIMITS: [&str; 6] = [
    "--max-connections-per-address",
    "100000",
    "--max-new-documents-per-address",
    "100000",
    "--max-connections",
    "100000",
];

/// The release relay with its default limits plus `flags`, on 127.0.0.1.
pub(crate) async fn spawn_relay_with(
    bin: &Path,
    data: &Path,
    dist: &Path,
    listen: Option<SocketAddr>,
    flags: &[&str],
) -> Result<(Child, SocketAddr)> {
    let listen = listen.map_or_else(|| "127.0.0.1:0".to_owned(), |a| a.to_string());
    let mut child = Command::new(bin)
        .args(["--listen", &listen, "--data"])
        .arg(data)
        .arg("--dist")
        .arg(dist)
        .args(flags)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .with_context(|| bin.display().to_string())?;
    let mut lines = BufReader::new(child.stdout.take().context("stdout")?).lines();
    let line = tokio::time::timeout(Duration::from_secs(20), lines.next_line())
        .await??
        .context("relay printed nothing")?;
    let addr = line
        .rsplit("http://")
        .next()
        .unwrap_or("")
        .trim_end_matches('/')
        .parse()
        .with_context(|| line.clone())?;
    Ok((child, addr))
}

/// The JS automerge-repo sync server: in memory, or on its NodeFS storage under `data`.
async fn spawn_js_server(interop: &Path, data: Option<&Path>) -> Result<(Child, SocketAddr)> {
    let mut command = Command::new("node");
    command.arg(interop.join("sync_server.mjs"));
    if let Some(data) = data {
        command.arg("--data").arg(data);
    }
    let mut child = command
        .current_dir(interop)
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .context("node")?;
    let mut lines = BufReader::new(child.stdout.take().context("stdout")?).lines();
    let line = tokio::time::timeout(Duration::from_secs(20), lines.next_line())
        .await??
        .context("JS server printed nothing")?;
    let port: u16 = line.trim_start_matches("listening ").trim().parse()?;
    Ok((child, SocketAddr::from(([127, 0, 0, 1], port))))
}

pub(crate) fn largest_ok(runs: &[Stats]) -> Option<Stats> {
    runs.iter().take_while(|s| s.ok()).last().copied()
}

fn at(runs: &[Stats], k: usize) -> Option<Stats> {
    runs.iter().find(|s| s.k == k).copied()
}

pub(crate) fn describe(s: &Stats) -> String {
    let mut d = format!("K={}: p50 {} / p99 {}", s.k, ms(s.p50), ms(s.p99));
    if let (Some(cpu), Some(rss)) = (s.cpu, s.rss_kb) {
        d += &format!(", CPU {cpu:.0}%, RSS {:.0} MB", rss as f64 / 1024.0);
    }
    d
}

pub async fn rows(inputs: &Inputs) -> Vec<Row> {
    match measure(inputs).await {
        Ok(rows) => rows,
        Err(e) => vec![crate::report::failed("P5", "Relay under load", &e)],
    }
}

/// `dir`, emptied (made if missing).
pub(crate) fn fresh(dir: std::path::PathBuf) -> Result<std::path::PathBuf> {
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

/// The largest-K row of two sweeps.
fn k_row(figure: &str, moot: &[Stats], js: &[Stats], js_name: &str) -> Row {
    let (mk, jk) = (largest_ok(moot), largest_ok(js));
    let k_of = |s: Option<Stats>| s.map_or(0, |s| s.k);
    let tested_all = moot.len() == KS.len() && moot.last().is_some_and(Stats::ok);
    let ratio = k_of(mk) as f64 / k_of(jk).max(1) as f64;
    Row::new("P5", figure.to_owned())
        .moot(match mk {
            Some(s) => format!(
                "{}{}",
                describe(&s),
                if tested_all { " (largest K tried)" } else { "" }
            ),
            None => "none (p99 > 250 ms at K=4)".into(),
        })
        .anchor(match jk {
            Some(s) => format!("{js_name} {}", describe(&s)),
            None => format!("{js_name}: none"),
        })
        .ratio(ratio)
        .target("≥ 10× the JS server's K", ratio >= 10.0)
}

async fn measure(inputs: &Inputs) -> Result<Vec<Row>> {
    let out = &inputs.out;
    let (relay, addr) = spawn_relay(
        &inputs.relay_bin,
        &fresh(out.join("relay-data"))?,
        &inputs.dist,
        None,
    )
    .await?;
    let moot = sweep(Server::Moot, addr, relay.id(), "moot relay (log storage)").await;
    drop(relay);
    let (relay, addr) = spawn_relay_with(
        &inputs.relay_bin,
        &fresh(out.join("relay-data"))?,
        &inputs.dist,
        None,
        &[LIMITS.as_slice(), &["--in-memory"]].concat(),
    )
    .await?;
    let moot_memory = sweep(Server::Moot, addr, relay.id(), "moot relay (in memory)").await;
    drop(relay);
    let (js, addr) = spawn_js_server(&inputs.interop, Some(&fresh(out.join("js-data"))?)).await?;
    let js_files = sweep(Server::Js, addr, js.id(), "JS sync server (NodeFS)").await;
    drop(js);
    let (js, addr) = spawn_js_server(&inputs.interop, None).await?;
    let js_memory = sweep(Server::Js, addr, js.id(), "JS sync server (in memory)").await;
    drop(js);
    let echo_addr = echo_server().await?;
    let echo = run(Server::Echo, echo_addr, None, REFERENCE_K).await?;
    eprintln!(
        "bench: P5 echo K={REFERENCE_K}: p50 {:?} p99 {:?}",
        echo.p50, echo.p99
    );

    let mut rows = vec![
        k_row(
            "Relay under load, both storing to disk: largest K typists (pairs of 4 at 6 keys/s) with p99 ≤ 250 ms",
            &moot,
            &js_files,
            "JS sync server (NodeFS)",
        ),
        k_row(
            "… both in memory",
            &moot_memory,
            &js_memory,
            "JS sync server (in memory)",
        ),
    ];
    let big = largest_ok(&moot).map_or(0, |s| s.k);
    rows.push(
        Row::new(
            "P5",
            "… moot's native load generator: typists the relay carries (log storage)",
        )
        .moot(format!("{big} typists at p99 ≤ 250 ms"))
        .target("≥ 1,000", big >= 1000),
    );
    if let (Some(m), Some(j)) = (at(&moot, COMPARE_K), at(&js_files, COMPARE_K))
        && let (Some(mc), Some(jc), Some(mr), Some(jr)) = (m.cpu, j.cpu, m.rss_kb, j.rss_kb)
    {
        let (cpu, rss) = (mc / jc.max(0.1), mr as f64 / jr.max(1) as f64);
        rows.push(
            Row::new(
                "P5",
                format!("… CPU and RSS at K={COMPARE_K}, both storing to disk"),
            )
            .moot(describe(&m))
            .anchor(format!("JS sync server (NodeFS) {}", describe(&j)))
            .ratio(cpu)
            .target(
                format!("CPU ≤ 0.2×, RSS ≤ 0.3× (RSS {rss:.2}×)"),
                cpu <= 0.2 && rss <= 0.3,
            ),
        );
    }
    if let Some(m) = at(&moot, REFERENCE_K) {
        let r = m.p99.as_secs_f64() / echo.p99.as_secs_f64().max(1e-6);
        rows.push(
            Row::new(
                "P5",
                format!("Relay latency at K={REFERENCE_K}: edit → remote receive"),
            )
            .moot(describe(&m))
            .anchor(format!(
                "echo relay p50 {} / p99 {}",
                ms(echo.p50),
                ms(echo.p99)
            ))
            .ratio(r)
            .target("p99 ≤ 1.5× echo", r <= 1.5),
        );
    }
    Ok(rows)
}

/// The body of `GET path` at `addr` (for `/metrics`).
pub(crate) async fn http_get(addr: SocketAddr, path: &str) -> Result<String> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::net::TcpStream::connect(addr).await?;
    s.write_all(
        format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").as_bytes(),
    )
    .await?;
    let mut out = String::new();
    s.read_to_string(&mut out).await?;
    Ok(out.split("\r\n\r\n").nth(1).unwrap_or_default().to_owned())
}
