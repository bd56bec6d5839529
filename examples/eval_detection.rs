//! Detection measured on real texts: timelines built from labelled French texts, run through the real
//! binary (`veille replay --json`, so veille's own parsing, scoring and detection), drawn again with
//! several random seeds, and a table per scenario: the runs that came out right, and for the crisis how
//! soon it was caught.
//!
//! `cargo run --release --example eval_detection -- --seeds 20 [--data FILE] [--bin PATH] [--keep DIR]`
//!
//! The texts come from `../shared/data/sentiment/fr_dev.tsv` (columns `id`, `label` = `pos`/`neu`/`neg`,
//! `text`), read at run time and never copied into the repository; without it the command says so and
//! stops. The brand's name is woven into each text. Every scenario has three weeks of ordinary history
//! (the labels mixed as the corpus mixes them) before what it tests:
//!
//! - **crisis**: a burst of negative texts (forty in two hours from thirty voices): right when a bad-buzz
//!   incident opens within the burst's first hour and none before;
//! - **launch**: a launch day at ×10–15 the usual volume, mostly positive texts: right when no bad buzz;
//! - **big-brand**: a brand with a daily cycle and a usual evening burst of complaints every day: right
//!   when no bad buzz;
//! - **quiet**: a quiet brand, two isolated complaints and one customer posting a dozen times: right when
//!   no bad buzz;
//! - **syndication**: one negative news story rewritten by twenty sites: one story, right when no bad buzz;
//! - **slow-crisis**: a steady 240 mentions a day whose negative share of texts climbs from 20 % to 60 %
//!   over two days: right when an incident (bad buzz or trend) opens during the climb and none before.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use chrono::{DateTime, Duration, TimeZone, Utc};

const BRAND: &str = "Maison Brioche";
const HISTORY_DAYS: i64 = 21;
/// The slow crisis's mentions an hour, in waking hours (fifteen hours a day).
const SLOW_PER_HOUR: u32 = 16;

const RULES: &str = r#"[[watch]]
id = "maison-brioche"
name = "Maison Brioche"
query = '"maison brioche" OR #maisonbrioche'
languages = ["fr"]

[watch.detection]
bucket = "1h"
timezone = "Europe/Paris"
min_negative = 4
min_authors = 3
critical_ratio = 4.0
"#;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Label {
    Pos,
    Neu,
    Neg,
}

/// The labelled texts, by label, shuffled per seed and drawn without replacement (then again).
struct Corpus {
    pos: Vec<String>,
    neu: Vec<String>,
    neg: Vec<String>,
}

struct Draw<'a> {
    corpus: &'a Corpus,
    rng: fastrand::Rng,
    next: [usize; 3],
    order: [Vec<usize>; 3],
    serial: u64,
}

impl<'a> Draw<'a> {
    fn new(corpus: &'a Corpus, seed: u64) -> Self {
        let mut rng = fastrand::Rng::with_seed(seed);
        let mut shuffled = |n: usize| {
            let mut v: Vec<usize> = (0..n).collect();
            rng.shuffle(&mut v);
            v
        };
        let order = [
            shuffled(corpus.pos.len()),
            shuffled(corpus.neu.len()),
            shuffled(corpus.neg.len()),
        ];
        Draw {
            corpus,
            rng,
            next: [0; 3],
            order,
            serial: 0,
        }
    }

    /// A label drawn as the corpus mixes them (about 45 % positive, 15 % neutral, 40 % negative) would
    /// make an ordinary brand look angry; ordinary talk here is mostly neutral or positive, with the
    /// corpus' texts deciding what the scorer makes of them.
    fn ordinary(&mut self) -> Label {
        match self.rng.u32(0..100) {
            0..=44 => Label::Pos,
            45..=79 => Label::Neu,
            _ => Label::Neg,
        }
    }

    fn text(&mut self, label: Label) -> String {
        let (k, pool) = match label {
            Label::Pos => (0, &self.corpus.pos),
            Label::Neu => (1, &self.corpus.neu),
            Label::Neg => (2, &self.corpus.neg),
        };
        let i = self.order[k][self.next[k] % pool.len()];
        self.next[k] += 1;
        self.serial += 1;
        let text = &pool[i];
        // The brand woven in at the start, the end, or as a hashtag, as people write it.
        match self.rng.u32(0..3) {
            0 => format!("{BRAND} : {text}"),
            1 => format!("{text} — {BRAND}"),
            _ => format!("{text} #MaisonBrioche"),
        }
    }
}

struct Item {
    at: DateTime<Utc>,
    author: String,
    title: String,
    text: String,
}

#[derive(Default)]
struct Timeline {
    /// Feed file name → items.
    feeds: std::collections::BTreeMap<String, Vec<Item>>,
}

impl Timeline {
    fn push(&mut self, feed: &str, at: DateTime<Utc>, author: String, text: String) {
        let title: String = text.chars().take(90).collect();
        self.feeds.entry(feed.to_owned()).or_default().push(Item {
            at,
            author,
            title,
            text,
        });
    }

    fn write(&self, dir: &Path) -> std::io::Result<()> {
        std::fs::create_dir_all(dir)?;
        for (name, items) in &self.feeds {
            let mut out = String::from(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?><rss version=\"2.0\"><channel><title>",
            );
            out.push_str(name);
            out.push_str("</title>");
            for (i, it) in items.iter().enumerate() {
                let _ = write!(
                    out,
                    "<item><guid>{name}-{i}</guid><title>{}</title><author>{}@{name}.example ({})</author><pubDate>{}</pubDate><description>{}</description></item>",
                    xml(&it.title),
                    it.author,
                    it.author,
                    it.at.to_rfc2822(),
                    xml(&it.text)
                );
            }
            out.push_str("</channel></rss>");
            std::fs::write(dir.join(format!("{name}.xml")), out)?;
        }
        Ok(())
    }
}

fn xml(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn t0() -> DateTime<Utc> {
    // A Monday.
    Utc.with_ymd_and_hms(2026, 3, 2, 0, 0, 0).unwrap()
}

/// Ordinary talk: `per_day` mentions a day in waking hours (UTC 6 h to 21 h), from a pool of voices.
fn ordinary(tl: &mut Timeline, d: &mut Draw<'_>, days: std::ops::Range<i64>, per_day: u32) {
    for day in days {
        for _ in 0..per_day {
            let at = t0()
                + Duration::days(day)
                + Duration::hours(d.rng.i64(6..21))
                + Duration::minutes(d.rng.i64(0..60));
            let label = d.ordinary();
            let text = d.text(label);
            let author = format!("client{}", d.rng.u32(0..300));
            let feed = ["forum", "social", "avis"][d.rng.usize(0..3)];
            tl.push(feed, at, author, text);
        }
    }
}

#[derive(Clone, Copy, Debug)]
enum Scenario {
    Crisis,
    Launch,
    BigBrand,
    Quiet,
    Syndication,
    SlowCrisis,
}

const SCENARIOS: [Scenario; 6] = [
    Scenario::Crisis,
    Scenario::Launch,
    Scenario::BigBrand,
    Scenario::Quiet,
    Scenario::Syndication,
    Scenario::SlowCrisis,
];

impl Scenario {
    fn name(self) -> &'static str {
        match self {
            Scenario::Crisis => "crisis",
            Scenario::Launch => "launch",
            Scenario::BigBrand => "big-brand",
            Scenario::Quiet => "quiet",
            Scenario::Syndication => "syndication",
            Scenario::SlowCrisis => "slow-crisis",
        }
    }

    /// The timeline, and the moment from which an incident is expected (None: none is).
    fn build(self, d: &mut Draw<'_>) -> (Timeline, Option<DateTime<Utc>>) {
        let mut tl = Timeline::default();
        let day = t0() + Duration::days(HISTORY_DAYS);
        match self {
            Scenario::Crisis => {
                ordinary(&mut tl, d, 0..HISTORY_DAYS + 1, 30);
                let burst = day + Duration::hours(10);
                for i in 0..40 {
                    let text = d.text(Label::Neg);
                    tl.push(
                        ["social", "forum"][i % 2],
                        burst + Duration::minutes(i as i64 * 3),
                        format!("colere{}", i % 30),
                        text,
                    );
                }
                (tl, Some(burst))
            }
            Scenario::Launch => {
                ordinary(&mut tl, d, 0..HISTORY_DAYS + 1, 30);
                // Launch: 9 h to 15 h UTC at ×10–15 the usual hourly volume (about two an hour).
                let factor = d.rng.u32(10..=15);
                for h in 9..15 {
                    for _ in 0..2 * factor {
                        let label = match d.rng.u32(0..100) {
                            0..=69 => Label::Pos,
                            70..=94 => Label::Neu,
                            _ => Label::Neg,
                        };
                        let text = d.text(label);
                        let at = day + Duration::hours(h) + Duration::minutes(d.rng.i64(0..60));
                        let author = format!("fan{}", d.rng.u32(0..2000));
                        tl.push("social", at, author, text);
                    }
                }
                (tl, None)
            }
            Scenario::BigBrand => {
                for dd in 0..=HISTORY_DAYS {
                    // A daily cycle: 5 an hour at night, up to 25 at midday.
                    for h in 0..24i64 {
                        let per = 5
                            + (20.0
                                * (std::f64::consts::PI * (h as f64 - 6.0) / 15.0)
                                    .sin()
                                    .max(0.0)) as u32;
                        for _ in 0..per {
                            let at = t0()
                                + Duration::days(dd)
                                + Duration::hours(h)
                                + Duration::minutes(d.rng.i64(0..60));
                            let label = d.ordinary();
                            let text = d.text(label);
                            let author = format!("client{}", d.rng.u32(0..5000));
                            tl.push(
                                ["forum", "social", "avis"][d.rng.usize(0..3)],
                                at,
                                author,
                                text,
                            );
                        }
                    }
                    // The usual evening burst of complaints, 19 h to 21 h UTC.
                    let n = d.rng.u32(25..40);
                    for _ in 0..n {
                        let at = t0()
                            + Duration::days(dd)
                            + Duration::hours(19)
                            + Duration::minutes(d.rng.i64(0..120));
                        let text = d.text(Label::Neg);
                        let author = format!("client{}", d.rng.u32(0..5000));
                        tl.push("social", at, author, text);
                    }
                }
                (tl, None)
            }
            Scenario::Quiet => {
                ordinary(&mut tl, d, 0..HISTORY_DAYS + 1, 3);
                for k in 0..2 {
                    let at = day + Duration::hours(8 + 6 * k);
                    let text = d.text(Label::Neg);
                    tl.push("avis", at, format!("grincheux{k}"), text);
                }
                for i in 0..12 {
                    let at = day + Duration::hours(10) + Duration::minutes(i * 7);
                    let text = d.text(Label::Neg);
                    tl.push("forum", at, "furieux".to_owned(), text);
                }
                (tl, None)
            }
            Scenario::Syndication => {
                ordinary(&mut tl, d, 0..HISTORY_DAYS + 1, 30);
                let story = d.text(Label::Neg);
                let at = day + Duration::hours(9);
                for site in 0..20 {
                    let rewritten = match site % 4 {
                        0 => story.clone(),
                        1 => format!("Selon nos confrères, {story}"),
                        2 => format!("{story} (mise à jour)"),
                        _ => format!("INFO — {story}"),
                    };
                    tl.push(
                        &format!("presse{site:02}"),
                        at + Duration::minutes(site * 4),
                        format!("redaction{site}"),
                        rewritten,
                    );
                }
                (tl, None)
            }
            Scenario::SlowCrisis => {
                // A brand of some size: at thirty mentions a day, the scorer's noise alone moves a day's
                // measured share as much as this climb does (see `detect::trend`'s limits).
                ordinary(&mut tl, d, 0..HISTORY_DAYS, SLOW_PER_HOUR * 15);
                // Two days of the same volume whose negative share climbs from 20 % to 60 %.
                let climb = t0() + Duration::days(HISTORY_DAYS);
                for step in 0..48i64 {
                    let share = 20 + (40 * step / 47) as u32;
                    let hour = climb + Duration::hours(step);
                    let per_hour = if (6..21).contains(&(step % 24)) {
                        SLOW_PER_HOUR
                    } else {
                        0
                    };
                    for _ in 0..per_hour {
                        let label = if d.rng.u32(0..100) < share {
                            Label::Neg
                        } else if d.rng.bool() {
                            Label::Pos
                        } else {
                            Label::Neu
                        };
                        let text = d.text(label);
                        let at = hour + Duration::minutes(d.rng.i64(0..60));
                        let author = format!("client{}", d.rng.u32(0..300));
                        tl.push(
                            ["forum", "social", "avis"][d.rng.usize(0..3)],
                            at,
                            author,
                            text,
                        );
                    }
                }
                (tl, Some(climb))
            }
        }
    }
}

/// One run's verdict, and for an expected incident how long after its start it opened.
struct Outcome {
    right: bool,
    delay: Option<Duration>,
    note: String,
}

fn judge(incidents: &[serde_json::Value], expected: Option<DateTime<Utc>>, s: Scenario) -> Outcome {
    let opened = |i: &serde_json::Value| -> Option<DateTime<Utc>> {
        i["opened_at"].as_str().and_then(|t| t.parse().ok())
    };
    let alarms: Vec<DateTime<Utc>> = incidents
        .iter()
        .filter(|i| i["kind"] == "bad_buzz" || i["kind"] == "trend")
        .filter_map(opened)
        .collect();
    match expected {
        None => Outcome {
            right: alarms.is_empty(),
            delay: None,
            note: format!("{} false alarm(s)", alarms.len()),
        },
        Some(start) => {
            let early = alarms.iter().filter(|t| **t < start).count();
            let first = alarms.iter().filter(|t| **t >= start).min().copied();
            let delay = first.map(|t| t - start);
            let in_time = match s {
                Scenario::Crisis => delay.is_some_and(|d| d < Duration::hours(1)),
                _ => delay.is_some_and(|d| d < Duration::days(2)),
            };
            Outcome {
                right: early == 0 && in_time,
                delay,
                note: format!("{early} early alarm(s)"),
            }
        }
    }
}

fn load_corpus(path: &Path) -> std::io::Result<Corpus> {
    let text = std::fs::read_to_string(path)?;
    let mut c = Corpus {
        pos: Vec::new(),
        neu: Vec::new(),
        neg: Vec::new(),
    };
    for line in text.lines().skip(1) {
        let mut f = line.splitn(3, '\t');
        let (_, label, t) = (f.next(), f.next(), f.next());
        let Some(t) = t else { continue };
        let t = t.trim();
        if t.is_empty() {
            continue;
        }
        match label {
            Some("pos") => c.pos.push(t.to_owned()),
            Some("neu") => c.neu.push(t.to_owned()),
            Some("neg") => c.neg.push(t.to_owned()),
            _ => {}
        }
    }
    Ok(c)
}

fn binary(given: Option<PathBuf>) -> Result<PathBuf, String> {
    if let Some(b) = given {
        return Ok(b);
    }
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    // target/<profile>/examples/eval_detection → target/<profile>/veille
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .ok_or("cannot tell the target directory")?;
    if let Ok(cargo) = std::env::var("CARGO") {
        // `cargo run --example` builds the library, not the binary: build it on the same profile.
        let mut cmd = Command::new(cargo);
        cmd.args(["build", "--quiet", "--bin", "veille"]);
        if profile_dir.file_name().is_some_and(|n| n == "release") {
            cmd.arg("--release");
        }
        let status = cmd.status().map_err(|e| e.to_string())?;
        if !status.success() {
            return Err("building the veille binary failed".to_owned());
        }
    }
    let bin = profile_dir.join("veille");
    if bin.exists() {
        Ok(bin)
    } else {
        Err(format!(
            "no binary at {}: build it with `cargo build --release --bin veille` or pass --bin PATH",
            bin.display()
        ))
    }
}

fn run_one(
    bin: &Path,
    corpus: &Corpus,
    s: Scenario,
    seed: u64,
    keep: Option<&Path>,
) -> Result<Outcome, String> {
    let tmp = tempfile::tempdir().map_err(|e| e.to_string())?;
    let dir = keep.map_or_else(
        || tmp.path().to_owned(),
        |k| k.join(format!("{}-{seed}", s.name())),
    );
    let mut draw = Draw::new(corpus, seed * 1000 + s as u64);
    let (tl, expected) = s.build(&mut draw);
    let feeds = dir.join("feeds");
    tl.write(&feeds).map_err(|e| e.to_string())?;
    let rules = dir.join("rules");
    std::fs::create_dir_all(&rules).map_err(|e| e.to_string())?;
    std::fs::write(rules.join("brand.toml"), RULES).map_err(|e| e.to_string())?;
    let db = dir.join("replay.db");
    let _ = std::fs::remove_file(&db);
    let out = Command::new(bin)
        .arg("replay")
        .arg("--rules")
        .arg(&rules)
        .arg("--db")
        .arg(&db)
        .arg("--json")
        .arg(&feeds)
        .output()
        .map_err(|e| e.to_string())?;
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).into_owned());
    }
    let incidents: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    Ok(judge(&incidents, expected, s))
}

fn main() -> std::process::ExitCode {
    let mut seeds = 20u64;
    let mut data =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/data/sentiment/fr_dev.tsv");
    let mut bin = None;
    let mut keep = None;
    let mut only: Option<String> = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--seeds" => seeds = args.next().and_then(|v| v.parse().ok()).unwrap_or(seeds),
            "--data" => data = args.next().map(PathBuf::from).unwrap_or(data),
            "--bin" => bin = args.next().map(PathBuf::from),
            "--keep" => keep = args.next().map(PathBuf::from),
            "--only" => only = args.next(),
            other => {
                eprintln!(
                    "unknown argument {other}: --seeds N, --data FILE, --bin PATH, --keep DIR, --only SCENARIO"
                );
                return std::process::ExitCode::from(2);
            }
        }
    }
    if !data.exists() {
        println!(
            "skipped: no labelled texts at {} (pass --data FILE)",
            data.display()
        );
        return std::process::ExitCode::SUCCESS;
    }
    let corpus = match load_corpus(&data) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("cannot read {}: {e}", data.display());
            return std::process::ExitCode::from(1);
        }
    };
    let bin = match binary(bin) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("{e}");
            return std::process::ExitCode::from(1);
        }
    };
    println!(
        "{} texts ({} pos, {} neu, {} neg), {seeds} seeds, binary {}",
        corpus.pos.len() + corpus.neu.len() + corpus.neg.len(),
        corpus.pos.len(),
        corpus.neu.len(),
        corpus.neg.len(),
        bin.display()
    );
    println!("{:<12} {:>8}  {:<40}", "scenario", "right", "detail");
    let mut failed = false;
    for s in SCENARIOS {
        if only.as_deref().is_some_and(|o| o != s.name()) {
            continue;
        }
        // Two replays at a time: the machine is shared.
        let mut outcomes: Vec<Result<Outcome, String>> = Vec::new();
        for pair in (0..seeds).collect::<Vec<_>>().chunks(2) {
            std::thread::scope(|scope| {
                let handles: Vec<_> = pair
                    .iter()
                    .map(|&seed| {
                        let (bin, corpus, keep) = (&bin, &corpus, keep.as_deref());
                        scope.spawn(move || run_one(bin, corpus, s, seed, keep))
                    })
                    .collect();
                for h in handles {
                    outcomes.push(h.join().unwrap_or_else(|_| Err("panicked".to_owned())));
                }
            });
        }
        let mut right = 0;
        let mut delays = Vec::new();
        let mut notes = Vec::new();
        for (seed, o) in outcomes.iter().enumerate() {
            match o {
                Ok(o) => {
                    if o.right {
                        right += 1;
                    } else {
                        notes.push(format!("seed {seed}: {}", o.note));
                    }
                    if let Some(d) = o.delay {
                        delays.push(d.num_minutes());
                    }
                }
                Err(e) => {
                    failed = true;
                    notes.push(format!("seed {seed}: error {}", e.trim()));
                }
            }
        }
        delays.sort_unstable();
        let detail = if delays.is_empty() {
            String::new()
        } else {
            format!(
                "opened after start: median {} min, worst {} min, missed {}",
                delays[delays.len() / 2],
                delays[delays.len() - 1],
                seeds as usize - delays.len()
            )
        };
        println!("{:<12} {:>5}/{seeds:<2}  {detail}", s.name(), right);
        for n in notes.iter().take(5) {
            println!("             {n}");
        }
    }
    if failed {
        std::process::ExitCode::from(1)
    } else {
        std::process::ExitCode::SUCCESS
    }
}
