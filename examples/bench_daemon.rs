//! The daemon at scale: runs the real `veille run` against SOURCES feeds served by a local HTTP server with
//! ETags (this bench's own, on 127.0.0.1), for three rounds of SOURCES polls — new items, unchanged feeds
//! (`304`), new items again — and prints for each round the daemon's CPU time, its cost per poll and its
//! resident memory at the end of the daemon's cycle that closed it (before and after the trim). Then it sends
//! SIGTERM in the middle of a fourth round (every answer held back) and prints how long the daemon took to
//! exit.
//!
//! The server decides the rounds by counting requests (the first SOURCES are round 1…), so a round is exact
//! even when the daemon's cycles run into each other (a cycle longer than the interval). A round is over
//! when the daemon's "Cycle finished." lines add up to its polls.
//!
//! ```text
//! cargo build --release && cargo run --release --example bench_daemon -- [SOURCES] [ITEMS] [options]
//!     SOURCES            feeds (default 10000)
//!     ITEMS              items per feed (default 20)
//!     --interval SECS    poll interval (default 60; a cycle must fit in it)
//!     --concurrency N    [http] concurrency and per_host (default 16)
//!     --env KEY=VALUE    set in the daemon's environment (e.g. GLIBC_TUNABLES=glibc.malloc.arena_max=2)
//! ```
//!
//! Figures are the daemon process's own (`/proc/PID/stat` and `/proc/PID/status`); the server's work is not
//! in them.

#[path = "../benches/feedgen.rs"]
mod feedgen;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use tokio::io::{AsyncBufReadExt as _, AsyncWriteExt as _, BufReader};

/// What the server answers, shared with the bench's main thread.
struct Feeds {
    sources: u64,
    items: usize,
    requests: AtomicU64,
    stalled: AtomicUsize,
}

impl Feeds {
    /// What the `n`-th request (0-based) finds: round 1 new content, round 2 the same (`304`), round 3 new
    /// content again, round 4 no answer at all (the stop is measured in the middle of it).
    fn round(&self, n: u64) -> u64 {
        n / self.sources + 1
    }
}

async fn serve(listener: tokio::net::TcpListener, feeds: Arc<Feeds>) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let feeds = Arc::clone(&feeds);
        tokio::spawn(async move {
            let _ = connection(stream, &feeds).await;
        });
    }
}

/// Keep-alive HTTP/1.1: `GET /f<N>`, with `If-None-Match` answered by `304`.
async fn connection(stream: tokio::net::TcpStream, feeds: &Feeds) -> std::io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut reader = BufReader::new(read);
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        let path = line.split_whitespace().nth(1).unwrap_or("").to_owned();
        let mut if_none_match = None;
        loop {
            let mut h = String::new();
            if reader.read_line(&mut h).await? == 0 {
                return Ok(());
            }
            let h = h.trim_end();
            if h.is_empty() {
                break;
            }
            if let Some((k, v)) = h.split_once(':')
                && k.eq_ignore_ascii_case("if-none-match")
            {
                if_none_match = Some(v.trim().to_owned());
            }
        }
        let round = feeds.round(feeds.requests.fetch_add(1, Ordering::SeqCst));
        if round >= 4 {
            feeds.stalled.fetch_add(1, Ordering::SeqCst);
            tokio::time::sleep(Duration::from_secs(30)).await;
            return Ok(());
        }
        let generation = if round >= 3 { 2 } else { 1 };
        let feed: u64 = path.trim_start_matches("/f").parse().unwrap_or(0);
        let etag = format!("\"g{generation}-{feed}\"");
        let response = if if_none_match.as_deref() == Some(etag.as_str()) {
            format!("HTTP/1.1 304 Not Modified\r\nETag: {etag}\r\nContent-Length: 0\r\n\r\n")
                .into_bytes()
        } else {
            let seed = generation * 1_000_000 + feed;
            let body = feedgen::rss(seed, feeds.items);
            let mut r = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml; charset=utf-8\r\nETag: {etag}\r\nContent-Length: {}\r\n\r\n",
                body.len()
            )
            .into_bytes();
            r.extend_from_slice(body.as_bytes());
            r
        };
        write.write_all(&response).await?;
    }
}

/// The daemon's CPU time so far (user + system).
fn cpu_of(pid: u32) -> anyhow::Result<Duration> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    // The fields after the command name, which is in parentheses and may hold spaces.
    let rest = stat.rsplit_once(')').context("odd /proc stat")?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: u64 = fields[11].parse()?;
    let stime: u64 = fields[12].parse()?;
    // SAFETY: sysconf has no preconditions.
    let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as f64;
    Ok(Duration::from_secs_f64((utime + stime) as f64 / ticks))
}

/// The daemon's resident memory, in MiB.
fn rss_of(pid: u32) -> anyhow::Result<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let line = status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .context("no VmRSS")?;
    let kib: f64 = line
        .split_whitespace()
        .nth(1)
        .context("odd VmRSS")?
        .parse()?;
    Ok(kib / 1024.0)
}

/// What the daemon logged at the end of its cycles so far: polls in all, and the resident memory before the
/// last trim (`held_mib`).
fn cycles_logged(log: &Path) -> (u64, u64) {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let mut polls = 0;
    let mut held = 0;
    for line in text.lines().filter(|l| l.contains("Cycle finished.")) {
        let value: serde_json::Value = serde_json::from_str(line).unwrap_or_default();
        let field = |k: &str| {
            value
                .get("fields")
                .and_then(|f| f.get(k))
                .and_then(serde_json::Value::as_u64)
        };
        polls += field("polls").unwrap_or(0);
        held = field("held_mib").unwrap_or(0);
    }
    (polls, held)
}

fn wait_until(what: &str, timeout: Duration, mut cond: impl FnMut() -> bool) -> anyhow::Result<()> {
    let deadline = Instant::now() + timeout;
    while !cond() {
        if Instant::now() > deadline {
            bail!("timed out waiting for {what}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    Ok(())
}

/// The daemon's process, killed if the bench stops early.
struct Daemon(std::process::Child);

impl Drop for Daemon {
    fn drop(&mut self) {
        if self.0.try_wait().ok().flatten().is_none() {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

/// `target/<profile>/veille`, beside this example's `target/<profile>/examples/`.
fn daemon_binary() -> anyhow::Result<PathBuf> {
    let exe = std::env::current_exe()?;
    let bin = exe
        .parent()
        .and_then(Path::parent)
        .context("odd example path")?
        .join("veille");
    if !bin.exists() {
        bail!(
            "{} not found: build the daemon first (cargo build --release)",
            bin.display()
        );
    }
    Ok(bin)
}

fn main() -> anyhow::Result<()> {
    let mut positional = Vec::new();
    let mut interval = 60u64;
    let mut concurrency = 16usize;
    let mut env: Vec<(String, String)> = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--interval" => interval = args.next().context("--interval SECS")?.parse()?,
            "--concurrency" => concurrency = args.next().context("--concurrency N")?.parse()?,
            "--env" => {
                let kv = args.next().context("--env KEY=VALUE")?;
                let (k, v) = kv.split_once('=').context("--env KEY=VALUE")?;
                env.push((k.to_owned(), v.to_owned()));
            }
            _ => positional.push(a),
        }
    }
    let sources: u64 = positional.first().map_or(Ok(10_000), |a| a.parse())?;
    let items: usize = positional.get(1).map_or(Ok(20), |a| a.parse())?;
    let binary = daemon_binary()?;

    let feeds = Arc::new(Feeds {
        sources,
        items,
        requests: AtomicU64::new(0),
        stalled: AtomicUsize::new(0),
    });
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()?;
    let listener = rt.block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))?;
    let addr = listener.local_addr()?;
    rt.spawn(serve(listener, Arc::clone(&feeds)));

    let dir = tempfile::tempdir()?;
    let mut config = format!(
        "database = \"bench.db\"\nrules = \"rules\"\ninterval = \"{interval}s\"\n\
         [http]\nconcurrency = {concurrency}\nper_host = {concurrency}\n"
    );
    for i in 0..sources {
        writeln!(
            config,
            "[[source]]\nname = \"f{i}\"\nurl = \"http://{addr}/f{i}\""
        )?;
    }
    std::fs::create_dir_all(dir.path().join("rules"))?;
    for (name, text) in [
        (
            "maison-brioche.toml",
            include_str!("../rules/maison-brioche.toml"),
        ),
        (
            "acme-telecom.toml",
            include_str!("../rules/acme-telecom.toml"),
        ),
    ] {
        std::fs::write(dir.path().join("rules").join(name), text)?;
    }
    let config_path = dir.path().join("veille.toml");
    std::fs::write(&config_path, config)?;
    let log_path = dir.path().join("daemon.log");
    let mut cmd = std::process::Command::new(&binary);
    cmd.args(["run", "--config"])
        .arg(&config_path)
        .args(["--log-format", "json"])
        .env("VEILLE_LOG", "info,veille::daemon=debug")
        .env_remove("NOTIFY_SOCKET")
        .stdout(std::process::Stdio::null())
        .stderr(std::fs::File::create(&log_path)?);
    for (k, v) in &env {
        cmd.env(k, v);
    }
    let mut child = Daemon(cmd.spawn()?);
    let pid = child.0.id();
    println!(
        "daemon {} — {sources} sources × {items} items, interval {interval} s, concurrency {concurrency}{}",
        binary.display(),
        env.iter()
            .map(|(k, v)| format!(", {k}={v}"))
            .collect::<String>()
    );
    std::thread::sleep(Duration::from_millis(300));
    println!(
        "{:<6} {:<6} {:>7} {:>9} {:>10} {:>13} {:>16} {:>12}",
        "round", "feeds", "polls", "wall s", "CPU s", "CPU/poll ms", "RSS before trim", "RSS MiB"
    );
    let round_timeout = Duration::from_secs(interval * 4 + 600);
    let mut cpu_before = cpu_of(pid)?;
    let mut polls_before = 0;
    let mut mark = Instant::now();
    for (round, kind) in [(1u64, "new"), (2, "304"), (3, "new")] {
        // A round is over once the daemon has logged the end of a cycle with every one of its polls.
        wait_until("a round", round_timeout, || {
            cycles_logged(&log_path).0 >= round * sources
        })?;
        let (polls_now, held) = cycles_logged(&log_path);
        let cpu = cpu_of(pid)?;
        let rss = rss_of(pid)?;
        let spent = cpu.saturating_sub(cpu_before);
        let polls = polls_now - polls_before;
        println!(
            "{round:<6} {kind:<6} {polls:>7} {:>9.1} {:>10.2} {:>13.3} {held:>16} {rss:>12.1}",
            mark.elapsed().as_secs_f64(),
            spent.as_secs_f64(),
            spent.as_secs_f64() * 1000.0 / polls.max(1) as f64,
        );
        cpu_before = cpu;
        polls_before = polls_now;
        mark = Instant::now();
    }
    // Idle: a few seconds after the last cycle, nothing in flight.
    std::thread::sleep(Duration::from_secs(3));
    println!("idle RSS after three cycles: {:.1} MiB", rss_of(pid)?);

    // The stop, in the middle of a fourth round: every answer held back, the slots all taken.
    let in_flight = concurrency.min(sources as usize);
    wait_until("a fourth round", round_timeout, || {
        feeds.stalled.load(Ordering::SeqCst) >= in_flight
    })?;
    let sent = Instant::now();
    // SAFETY: kill has no memory preconditions; pid is our child, not yet reaped.
    unsafe {
        libc::kill(pid as libc::pid_t, libc::SIGTERM);
    }
    let status = child.0.wait()?;
    let stop = sent.elapsed();
    let log = std::fs::read_to_string(&log_path)?;
    println!(
        "SIGTERM mid-cycle ({in_flight} polls in flight) to exit: {:.0} ms, {status}; \"Daemon stopped.\" logged: {}; stop deadline reached: {}",
        stop.as_secs_f64() * 1000.0,
        log.contains("Daemon stopped."),
        log.contains("Stop deadline reached")
    );
    println!(
        "server answered {} requests",
        feeds.requests.load(Ordering::Relaxed)
    );
    rt.shutdown_background();
    Ok(())
}
