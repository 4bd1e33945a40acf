//! R1: the relay at scale. Idle connections (10,000 on 2 cores: the relay's RSS), everyone in
//! one document (80 typists for 120 s), and two relays on one PostgreSQL (a throwaway
//! cluster, as in the relay's tests): edit → remote receive across relays at K = 100, and
//! PostgreSQL's writes per edit.

use std::{net::SocketAddr, time::Duration};

use anyhow::{Context, Result};
use futures::{SinkExt, StreamExt};
use moot_sync::{Connection, PeerMetadata};
use tokio_tungstenite::tungstenite::Message as Ws;

use crate::{
    Inputs,
    load::{LIMITS, Server, Shape, Stats, describe, fresh, proc_usage, run_on, spawn_relay_with},
    report::{Row, ms},
};

const IDLE: usize = 10_000;
const ONE_DOC: usize = 80;
const ONE_DOC_FOR: Duration = Duration::from_secs(120);
const CROSS_K: usize = 100;

pub async fn rows(inputs: &Inputs) -> Vec<Row> {
    let mut rows = Vec::new();
    rows.push(
        idle(inputs)
            .await
            .unwrap_or_else(|e| crate::report::failed("R1", "Idle connections", &e)),
    );
    rows.push(
        one_document(inputs)
            .await
            .unwrap_or_else(|e| crate::report::failed("R1", "Everyone in one document", &e)),
    );
    rows.extend(
        two_relays(inputs)
            .await
            .unwrap_or_else(|e| vec![crate::report::failed("R1", "Two relays on PostgreSQL", &e)]),
    );
    rows
}

/// One client that joins and then only keeps its socket open.
async fn idle_client(addr: SocketAddr, n: usize) -> Result<impl Send> {
    let (ws, _) = tokio_tungstenite::connect_async(format!("ws://{addr}/sync")).await?;
    let (mut sink, mut stream) = ws.split();
    let (_conn, join) = Connection::dial(
        &format!("idle-{n}"),
        PeerMetadata {
            storage_id: None,
            is_ephemeral: Some(true),
        },
        "1",
    );
    sink.send(Ws::Binary(join.into())).await?;
    // The relay's `peer` answer.
    loop {
        match stream
            .next()
            .await
            .context("closed before its handshake")??
        {
            Ws::Binary(_) => break,
            _ => continue,
        }
    }
    Ok((sink, stream))
}

async fn idle(inputs: &Inputs) -> Result<Row> {
    let data = fresh(inputs.out.join("relay-idle"))?;
    let (relay, addr) =
        spawn_relay_with(&inputs.relay_bin, &data, &inputs.dist, None, &LIMITS).await?;
    let pid = relay.id().context("relay pid")?;
    let before = proc_usage(pid).map_or(0, |u| u.1);
    let mut open = Vec::with_capacity(IDLE);
    let started = std::time::Instant::now();
    let mut pending = futures::stream::iter(0..IDLE)
        .map(|n| idle_client(addr, n))
        .buffer_unordered(256);
    while let Some(client) = pending.next().await {
        open.push(client?);
    }
    let took = started.elapsed();
    let metrics = crate::load::http_get(addr, "/metrics")
        .await
        .unwrap_or_default();
    let rss = proc_usage(pid).map_or(0, |u| u.1);
    eprintln!(
        "bench: R1 idle: {} connections in {took:?}, relay RSS {} MB (at start {} MB), {metrics}",
        open.len(),
        rss / 1024,
        before / 1024
    );
    let counted = metrics.contains(&format!("\"connections\":{IDLE}"));
    drop(open);
    drop(relay);
    Ok(Row::new(
        "R1",
        format!("{IDLE} idle connections (joined, then quiet) on one relay"),
    )
    .moot(format!(
        "RSS {:.0} MB ({:.1} kB a connection), opened in {:.1} s",
        rss as f64 / 1024.0,
        (rss.saturating_sub(before)) as f64 / IDLE as f64,
        took.as_secs_f64()
    ))
    .target("RSS ≤ 1 GB, all connected", rss <= 1024 * 1024 && counted))
}

/// Everyone in one document: K = 8, 16, … typists in a single document for 10 s each until
/// one fails, then the target's 80 for 120 s if every smaller one held.
async fn one_document(inputs: &Inputs) -> Result<Row> {
    let data = fresh(inputs.out.join("relay-one"))?;
    let (relay, addr) =
        spawn_relay_with(&inputs.relay_bin, &data, &inputs.dist, None, &LIMITS).await?;
    let pids: Vec<u32> = relay.id().into_iter().collect();
    let mut held: Option<Stats> = None;
    let mut broke: Option<Stats> = None;
    for k in [8, 16, 24, 32, 48, 64, ONE_DOC] {
        let shape = Shape {
            per_doc: k,
            measure: Duration::from_secs(10),
        };
        let s = run_on(Server::Moot, &[addr], &pids, k, shape).await?;
        eprintln!(
            "bench: R1 one document, 10 s: {}, {:.0}% delivered",
            describe(&s),
            s.delivered * 100.0
        );
        if s.ok() {
            held = Some(s);
        } else {
            broke = Some(s);
            break;
        }
    }
    let long = match held {
        Some(h) if h.k == ONE_DOC => {
            let shape = Shape {
                per_doc: ONE_DOC,
                measure: ONE_DOC_FOR,
            };
            let s = run_on(Server::Moot, &[addr], &pids, ONE_DOC, shape).await?;
            eprintln!(
                "bench: R1 one document, {} s: {}",
                ONE_DOC_FOR.as_secs(),
                describe(&s)
            );
            Some(s)
        }
        _ => None,
    };
    drop(relay);
    let figure = format!(
        "Everyone in one document: typists at 6 keys/s (target {ONE_DOC} for {} s)",
        ONE_DOC_FOR.as_secs()
    );
    let shown = |s: &Stats| {
        if s.p50 == Duration::MAX {
            format!("K={}: nothing delivered in time", s.k)
        } else {
            format!("{}, {:.0}% delivered", describe(s), s.delivered * 100.0)
        }
    };
    let moot = match (&long, &held, &broke) {
        (Some(l), _, _) => format!("{} for {} s", shown(l), ONE_DOC_FOR.as_secs()),
        (None, Some(h), Some(b)) => format!("holds {} (10 s); {}", shown(h), shown(b)),
        (None, None, Some(b)) => shown(b),
        _ => "not measured".into(),
    };
    Ok(Row::new("R1", figure)
        .moot(moot)
        .anchor("JS sync server degrades past 8 (issue #16)")
        .target(
            "≥ 80 steady: p99 ≤ 250 ms, ≥ 95% delivered",
            long.is_some_and(|l| l.ok()),
        ))
}

async fn two_relays(inputs: &Inputs) -> Result<Vec<Row>> {
    let pg = moot_relay::ThrowawayPostgres::start("bench")?;
    let url = pg.url();
    let mut flags: Vec<&str> = LIMITS.to_vec();
    flags.extend(["--database-url", &url]);
    let (a, a_addr) = spawn_relay_with(
        &inputs.relay_bin,
        &fresh(inputs.out.join("relay-pg-a"))?,
        &inputs.dist,
        None,
        &flags,
    )
    .await?;
    let (b, b_addr) = spawn_relay_with(
        &inputs.relay_bin,
        &fresh(inputs.out.join("relay-pg-b"))?,
        &inputs.dist,
        None,
        &flags,
    )
    .await?;
    let pids: Vec<u32> = [a.id(), b.id()].into_iter().flatten().collect();
    let counters = || -> Result<(u64, u64)> {
        let line = pg.sql(
            "SELECT xact_commit, tup_inserted + tup_updated + tup_deleted \
             FROM pg_stat_database WHERE datname = 'postgres'",
        )?;
        let mut parts = line.split('|').map(|p| p.trim().parse::<u64>());
        Ok((
            parts.next().context("commits")??,
            parts.next().context("rows")??,
        ))
    };
    let (c0, r0) = counters()?;
    let s: Stats = run_on(
        Server::Moot,
        &[a_addr, b_addr],
        &pids,
        CROSS_K,
        crate::load::PAIRS_OF_FOUR,
    )
    .await?;
    // Statistics reach pg_stat_database within a moment of each commit.
    tokio::time::sleep(Duration::from_millis(700)).await;
    let (c1, r1) = counters()?;
    let edits = s.edits.max(1) as f64;
    let (commits, written) = ((c1 - c0) as f64 / edits, (r1 - r0) as f64 / edits);
    eprintln!(
        "bench: R1 two relays on PostgreSQL: {} crossed {:?}; {commits:.2} commits and {written:.2} rows per edit over {} edits",
        describe(&s),
        s.crossed,
        s.edits
    );
    drop((a, b));
    let (p50, p99) = s.crossed.unwrap_or((Duration::MAX, Duration::MAX));
    Ok(vec![
        Row::new(
            "R1",
            format!("Two relays on one PostgreSQL, K={CROSS_K} (half on each): edit → receive on the other relay"),
        )
        .moot(format!(
            "p50 {} / p99 {} ({:.0}% of all edits delivered; CPU of both {:.0}%)",
            ms(p50),
            ms(p99),
            s.delivered * 100.0,
            s.cpu.unwrap_or(0.0)
        ))
        .target("p99 ≤ 250 ms", p99 <= Duration::from_millis(250) && s.delivered >= 0.95),
        Row::new("R1", "… PostgreSQL writes per edit (both relays)")
            .moot(format!(
                "{commits:.2} transactions (reads included), {written:.2} rows written (inserted, updated, deleted)"
            )),
    ])
}
