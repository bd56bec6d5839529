//! `veille incidents`, `veille alerts` and `veille silence`: what detection recorded, read back for a person,
//! and the two things a person records beside it (an acknowledgement, a silence).
//!
//! In: the configuration (for the database, the rules, the language and the clock) and the command's
//! arguments. Out: tables for a terminal in the reader's language and on the configured clock, or one JSON
//! object per line. Listing and showing open the database read-only, so they never block the daemon; `incidents ack`,
//! `silence add` and `silence remove` make one short write beside the daemon's writer, which WAL and the
//! store's busy timeout make safe. The words of an explanation are [`crate::detect::Explanation`]'s and
//! [`crate::detect::Decision`]'s; this module only lays them out.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use chrono::Utc;
use clap::{Args, Subcommand};
use serde::Serialize;

use crate::config::Config;
use crate::detect::TellingMention;
use crate::i18n::words::{self, Metric};
use crate::i18n::{Arg, Locale, Voice};
use crate::model::Interval;
use crate::store::Store;
use crate::store::incidents::{EventRow, IncidentRow};
use crate::views::{self, IncidentStatus, IncidentView};

use super::inspect::excerpt;
use super::{Place, error, load_config, open_read_only, voice, warning};

/// At most this many critical mentions are shown in full by `incidents show`.
const SHOWN_CRITICAL: usize = 5;

/// `veille incidents`: list them, or act on one.
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct IncidentsArgs {
    #[command(subcommand)]
    action: Option<IncidentAction>,
    /// Only the incidents not yet resolved.
    #[arg(long)]
    open: bool,
    /// At most N incidents.
    #[arg(long, value_name = "N")]
    limit: Option<usize>,
    /// One JSON object per incident.
    #[arg(long)]
    json: bool,
    /// Language of the table: fr or en (default: $LANG, else the configuration's `locale`).
    #[arg(long, value_name = "LANG")]
    lang: Option<Locale>,
    /// Read this database instead of the configuration's.
    #[arg(long, value_name = "PATH", global = true)]
    pub db: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
enum IncidentAction {
    /// One incident: what happened, the figures, the telling mentions, then its timeline.
    Show {
        /// The incident's id (first column of `veille incidents`).
        id: i64,
        /// One JSON object: the incident, its explanation, its decisions and its timeline.
        #[arg(long)]
        json: bool,
        /// Language of the explanation: fr or en (default: $LANG, else the configuration's `locale`).
        #[arg(long, value_name = "LANG")]
        lang: Option<Locale>,
    },
    /// Record that someone handles the incident. It stays open, and its alerts are still mailed.
    Ack {
        /// The incident's id.
        id: i64,
        /// Who handles it (default: $USER).
        #[arg(long, value_name = "NAME")]
        by: Option<String>,
        /// A word for the others, shown in the timeline.
        #[arg(long, value_name = "TEXT")]
        note: Option<String>,
        /// Language of the answer: fr or en.
        #[arg(long, value_name = "LANG")]
        lang: Option<Locale>,
    },
    /// Mark the incident resolved by hand (who and why go in its timeline and its next email).
    Resolve {
        /// The incident's id.
        id: i64,
        /// Who resolves it (default: $USER).
        #[arg(long, value_name = "NAME")]
        by: Option<String>,
        /// Why, for the others, shown in the timeline.
        #[arg(long, value_name = "TEXT")]
        note: Option<String>,
        /// Language of the answer: fr or en.
        #[arg(long, value_name = "LANG")]
        lang: Option<Locale>,
    },
}

/// `veille alerts`.
#[derive(Debug, Args)]
pub struct AlertsArgs {
    /// At most N alerts.
    #[arg(long, value_name = "N")]
    limit: Option<usize>,
    /// One JSON object per alert.
    #[arg(long)]
    json: bool,
    /// Language of the table: fr or en.
    #[arg(long, value_name = "LANG")]
    lang: Option<Locale>,
    /// Read this database instead of the configuration's.
    #[arg(long, value_name = "PATH")]
    pub db: Option<PathBuf>,
}

/// `veille silence`.
#[derive(Debug, Args)]
pub struct SilenceArgs {
    #[command(subcommand)]
    action: SilenceAction,
    /// Language of the answer: fr or en.
    #[arg(long, global = true, value_name = "LANG")]
    lang: Option<Locale>,
    /// Use this database instead of the configuration's.
    #[arg(long, value_name = "PATH", global = true)]
    pub db: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
enum SilenceAction {
    /// Stop sending the alerts of a watch, a rule or a source for a while; they are still recorded.
    #[command(group(clap::ArgGroup::new("target").required(true).args(["watch", "rule", "source"])))]
    Add {
        /// Silence this watch (a brand): its bad buzz and its critical mentions.
        #[arg(long, value_name = "ID")]
        watch: Option<String>,
        /// Silence this rule.
        #[arg(long, value_name = "ID")]
        rule: Option<String>,
        /// Silence this source when it goes blind (a planned outage): its `source` incidents.
        #[arg(long, value_name = "NAME")]
        source: Option<String>,
        /// For how long: 30m, 2h, 1d…
        #[arg(long = "for", value_name = "DUR", allow_hyphen_values = true)]
        duration: String,
        /// Why, for the others (shown in the timeline of the incidents it covers).
        #[arg(long, value_name = "TEXT")]
        reason: String,
        /// Who silences (default: $USER).
        #[arg(long, value_name = "NAME")]
        by: Option<String>,
    },
    /// The silences in force.
    List {
        /// One JSON object per silence.
        #[arg(long)]
        json: bool,
    },
    /// End a silence now.
    Remove {
        /// The silence's id (first column of `veille silence list`).
        id: i64,
    },
}

/// Runs `veille incidents …`.
///
/// # Errors
/// When the database cannot be read or written, or standard output is closed.
pub fn incidents(place: Place<'_>, args: IncidentsArgs) -> anyhow::Result<ExitCode> {
    match args.action {
        None => list(place, args.open, args.limit, args.json, args.lang),
        Some(IncidentAction::Show { id, json, lang }) => show(place, id, json, lang),
        Some(IncidentAction::Ack { id, by, note, lang }) => ack(place, id, by, note, lang),
        Some(IncidentAction::Resolve { id, by, note, lang }) => resolve(place, id, by, note, lang),
    }
}

/// Runs `veille silence …`.
///
/// # Errors
/// When the database cannot be read or written, or standard output is closed.
pub fn silence(place: Place<'_>, args: SilenceArgs) -> anyhow::Result<ExitCode> {
    let lang = args.lang;
    match args.action {
        SilenceAction::Add {
            watch,
            rule,
            source,
            duration,
            reason,
            by,
        } => {
            let target = match (watch, rule, source) {
                (Some(w), _, _) => ("watch", w),
                (None, Some(r), _) => ("rule", r),
                (None, None, Some(s)) => ("source", s),
                // clap requires one of them.
                (None, None, None) => {
                    error(format_args!(
                        "say what to silence with --watch ID, --rule ID or --source NAME"
                    ));
                    return Ok(ExitCode::from(2));
                }
            };
            silence_add(place, target, &duration, &reason, by, lang)
        }
        SilenceAction::List { json } => silence_list(place, json, lang),
        SilenceAction::Remove { id } => silence_remove(place, id, lang),
    }
}

/// Opens the database read-write, for one short write beside the daemon. A missing database is an error,
/// not a new empty one: it means the configuration is not the daemon's.
fn open_for_write(place: Place<'_>) -> anyhow::Result<Option<(Config, Store)>> {
    let Some(config) = load_config(place) else {
        return Ok(None);
    };
    if !config.database.exists() {
        anyhow::bail!(
            "{}: no database there (has `veille run` been started with {}?)",
            config.database.display(),
            place.config.display()
        );
    }
    let store = Store::open(&config.database).context("cannot open the database for writing")?;
    Ok(Some((config, store)))
}

/// Who is at the keyboard: `--by`, else `$USER`, else "unknown".
fn who(by: Option<String>) -> String {
    by.filter(|b| !b.trim().is_empty())
        .or_else(|| std::env::var("USER").ok().filter(|u| !u.trim().is_empty()))
        .unwrap_or_else(|| "unknown".to_owned())
}

/// `watch/rule`, whichever are set.
fn target(watch: Option<&str>, rule: Option<&str>) -> String {
    match (watch, rule) {
        (Some(w), Some(r)) => format!("{w}/{r}"),
        (Some(x), None) | (None, Some(x)) => x.to_owned(),
        (None, None) => "—".to_owned(),
    }
}

/// A table for a terminal: a header and rows of cells, each column as wide as its widest cell (counted in
/// characters, so « é » takes one), the last column left as it is.
struct Table {
    rows: Vec<Vec<String>>,
    /// Columns aligned right (numbers).
    right: Vec<usize>,
}

impl Table {
    fn new(header: Vec<String>, right: &[usize]) -> Table {
        Table {
            rows: vec![header],
            right: right.to_vec(),
        }
    }

    fn push(&mut self, row: Vec<String>) {
        self.rows.push(row);
    }

    fn render(&self) -> String {
        let n = self.rows.iter().map(Vec::len).max().unwrap_or(0);
        let widths: Vec<usize> = (0..n)
            .map(|c| {
                self.rows
                    .iter()
                    .filter_map(|r| r.get(c))
                    .map(|x| x.chars().count())
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let mut out = String::new();
        for row in &self.rows {
            let mut line = String::new();
            for (c, cell) in row.iter().enumerate() {
                if c > 0 {
                    line.push_str("  ");
                }
                let pad = widths[c].saturating_sub(cell.chars().count());
                if c + 1 == row.len() && !self.right.contains(&c) {
                    line.push_str(cell);
                } else if self.right.contains(&c) {
                    line.push_str(&" ".repeat(pad));
                    line.push_str(cell);
                } else {
                    line.push_str(cell);
                    line.push_str(&" ".repeat(pad));
                }
            }
            out.push_str(line.trim_end());
            out.push('\n');
        }
        out
    }
}

/// An incident as `veille incidents --json` prints it: the stored row and where it stands.
#[derive(Serialize)]
struct IncidentJson<'a> {
    #[serde(flatten)]
    incident: &'a IncidentRow,
    status: &'static str,
    /// The source a source incident is about.
    #[serde(skip_serializing_if = "Option::is_none")]
    source: Option<&'a str>,
}

fn list(
    place: Place<'_>,
    open_only: bool,
    limit: Option<usize>,
    json: bool,
    lang: Option<Locale>,
) -> anyhow::Result<ExitCode> {
    let Some((config, store)) = open_read_only(place)? else {
        return Ok(ExitCode::from(1));
    };
    let lines = views::incident_lines(&store, open_only, limit, Utc::now())?;
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    if json {
        for line in &lines {
            let shown = IncidentJson {
                incident: &line.row,
                status: line.status.as_str(),
                source: line.source(),
            };
            serde_json::to_writer(&mut out, &shown)?;
            writeln!(out)?;
        }
        out.flush()?;
        return Ok(ExitCode::SUCCESS);
    }
    let v = voice(&config, lang);
    if lines.is_empty() {
        let id = if open_only {
            "incidents-none-open"
        } else {
            "incidents-none"
        };
        writeln!(out, "{}", v.word(id))?;
        out.flush()?;
        return Ok(ExitCode::SUCCESS);
    }
    let col = |c: &str| v.say("column", &[("column", c.into())]);
    let mut table = Table::new(
        [
            "id", "opened", "kind", "target", "severity", "peak", "mentions", "status", "summary",
        ]
        .map(col)
        .to_vec(),
        &[0, 5, 6],
    );
    for line in &lines {
        let row = &line.row;
        table.push(vec![
            row.id.to_string(),
            v.time(row.opened_at),
            words::incident_kind(&v, &row.kind),
            // A source incident is about a source, not a watch or a rule.
            line.source().map_or_else(
                || target(row.watch.as_deref(), row.rule.as_deref()),
                str::to_owned,
            ),
            words::severity_str(&v, &row.severity),
            if row.peak_count == 0 {
                "—".to_owned()
            } else {
                v.integer(u64::from(row.peak_count))
            },
            v.integer(u64::from(row.mentions)),
            words::status(&v, line.status.as_str()),
            excerpt(&words::incident_summary(&v, line), 100),
        ]);
    }
    out.write_all(table.render().as_bytes())?;
    writeln!(
        out,
        "{}",
        v.say("times-in", &[("zone", v.zone(Utc::now()).into())])
    )?;
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// `veille incidents show ID --json`.
#[derive(Serialize)]
struct ShownIncident<'a> {
    incident: IncidentJson<'a>,
    /// The explanation of the latest window judged, for bad buzz and buzz.
    explanation: Option<serde_json::Value>,
    /// Every decision of the timeline, as detection made it.
    decisions: Vec<serde_json::Value>,
    events: Vec<&'a EventRow>,
}

fn show(place: Place<'_>, id: i64, json: bool, lang: Option<Locale>) -> anyhow::Result<ExitCode> {
    let Some((config, store)) = open_read_only(place)? else {
        return Ok(ExitCode::from(1));
    };
    // A person knows rules by name: the rule files give them, when they load.
    let rules = crate::config::rules::load_rules(&config.rules).ok();
    let v = voice(&config, lang);
    let Some(view) = IncidentView::load(&store, id, rules.as_ref(), Utc::now())? else {
        error(v.say("no-incident", &[("id", id.to_string().into())]));
        return Ok(ExitCode::from(1));
    };
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    if json {
        let shown = ShownIncident {
            incident: IncidentJson {
                incident: &view.row,
                status: view.status.as_str(),
                source: view.source(),
            },
            explanation: view
                .explanation
                .as_ref()
                .and_then(|x| serde_json::to_value(x).ok()),
            decisions: view
                .decisions()
                .filter_map(|d| serde_json::to_value(d).ok())
                .collect(),
            events: view.timeline.iter().map(|e| &e.row).collect(),
        };
        serde_json::to_writer(&mut out, &shown)?;
        writeln!(out)?;
        out.flush()?;
        return Ok(ExitCode::SUCCESS);
    }
    let watch = view.row.watch.as_deref().and_then(|w| {
        rules
            .as_ref()
            .and_then(|r| r.watches().iter().find(|x| x.id == w).cloned())
    });
    let window = crate::views::IncidentWindow::load(
        &store,
        &view,
        watch.as_ref(),
        &crate::views::Reaches::of_config(&config),
        Utc::now(),
    )?;
    let text = Layout {
        v,
        view: &view,
        window: Some(&window),
    }
    .render();
    out.write_all(text.as_bytes())?;
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// What `veille incidents show` lays out: an [`IncidentView`] in one voice.
struct Layout<'a> {
    v: Voice,
    view: &'a IncidentView,
    /// What its window's mentions say (who started it, press and social), as the console shows it.
    window: Option<&'a crate::views::IncidentWindow>,
}

/// Width of the labels of `incidents show`.
const LABEL: usize = 18;

impl Layout<'_> {
    fn field(&self, out: &mut String, label: &str, value: &str) {
        let label = self.v.say("field", &[("field", label.into())]);
        let pad = LABEL.saturating_sub(label.chars().count());
        out.push_str(&format!("  {label}{}{value}\n", " ".repeat(pad)));
    }

    fn section(&self, out: &mut String, id: &str, args: &[(&str, Arg<'_>)]) {
        out.push('\n');
        out.push_str(&self.v.say(id, args));
        out.push('\n');
    }

    fn render(&self) -> String {
        let mut out = String::new();
        self.heading(&mut out);
        self.what_happened(&mut out);
        if let Some(x) = &self.view.explanation {
            self.figures(&mut out, x);
            self.people(&mut out, x);
            self.telling(&mut out, &x.telling);
            self.syndication_and_terms(&mut out, x);
        }
        self.critical_mentions(&mut out);
        if let Some(w) = self.window {
            self.window(&mut out, w);
        }
        self.timeline(&mut out);
        out.push('\n');
        out.push_str(&self.v.say(
            "times-in",
            &[("zone", self.v.zone(self.view.row.opened_at).into())],
        ));
        out.push('\n');
        out
    }

    fn heading(&self, out: &mut String) {
        let (v, row) = (&self.v, &self.view.row);
        out.push_str(&v.say(
            "show-heading",
            &[
                ("id", row.id.to_string().into()),
                ("kind", words::incident_kind(v, &row.kind).into()),
                ("severity", words::severity_str(v, &row.severity).into()),
                ("status", words::status(v, self.view.status.as_str()).into()),
            ],
        ));
        out.push('\n');
        if let Some(w) = &row.watch {
            let value = match &self.view.watch_name {
                Some(name) if name != w => format!("{w} — {name}"),
                _ => w.clone(),
            };
            self.field(out, "watch", &value);
        }
        if let Some(r) = &row.rule {
            let value = match &self.view.rule_name {
                Some(name) => format!("{r} — {name}"),
                None => r.clone(),
            };
            self.field(out, "rule", &value);
        }
        if let Some(source) = self.view.source() {
            self.field(out, "source", source);
        }
        self.field(out, "opened", &v.time(row.opened_at));
        self.field(out, "updated", &v.time(row.updated_at));
        if let Some(r) = row.resolved_at {
            let value = v.say(
                "resolved-after",
                &[
                    ("at", v.time(r).into()),
                    ("lasted", v.duration(r - row.opened_at).into()),
                ],
            );
            self.field(out, "resolved", &value);
        }
        if row.peak_count > 0 {
            let at = row
                .peak_at
                .map(|t| format!(" ({})", v.moment(t)))
                .unwrap_or_default();
            self.field(
                out,
                "peak",
                &format!("{}{at}", v.integer(u64::from(row.peak_count))),
            );
        }
        // A source has no mentions of its own.
        if self.view.source().is_none() {
            self.field(out, "mentions", &v.integer(u64::from(row.mentions)));
        }
        if let Some(t) = row.acknowledged_at {
            let value = v.say(
                "ack-value",
                &[
                    ("by", row.acknowledged_by.as_deref().unwrap_or("?").into()),
                    ("at", v.time(t).into()),
                    ("note", v.quote_opt(row.ack_note.as_deref()).into()),
                ],
            );
            self.field(out, "acknowledged", &value);
        }
        if self.view.status == IncidentStatus::Silenced {
            self.field(out, "silenced", &v.word("silenced-note"));
        }
    }

    fn what_happened(&self, out: &mut String) {
        self.section(out, "section-what", &[]);
        out.push_str(&format!("  {}\n", words::what_happened(&self.v, self.view)));
    }

    fn figures(&self, out: &mut String, x: &crate::detect::Explanation) {
        let v = &self.v;
        let metric = self.view.metric();
        let Some((f, _)) = self.view.figures() else {
            return;
        };
        self.section(
            out,
            "section-figures",
            &[("window", v.window(x.window_start, x.window_end).into())],
        );
        self.field(out, "count", &words::count_words(v, x, metric));
        let usual = v.say(
            "usual-value",
            &[
                ("zero", if f.median == 0.0 { "yes" } else { "no" }.into()),
                ("median", v.figure(f.median).into()),
                ("mad", v.figure(f.mad).into()),
                ("where", words::usual_where(v, x).into()),
                ("samples", x.samples.into()),
            ],
        );
        self.field(out, "usual", &usual);
        let deviation = v.say(
            "deviation-value",
            &[
                (
                    "ratio",
                    if f.median >= 1.0 {
                        v.number(f.ratio, 1)
                    } else {
                        String::new()
                    }
                    .into(),
                ),
                ("z", v.number(f.z, 1).into()),
            ],
        );
        self.field(out, "deviation", &deviation);
        if let Some(share) = x.share {
            let value = v.say(
                "share-value",
                &[
                    ("share", v.percent(share).into()),
                    (
                        "usual",
                        x.usual_share
                            .map(|u| v.percent(u))
                            .unwrap_or_default()
                            .into(),
                    ),
                ],
            );
            self.field(out, "share", &value);
        }
        let authors = match metric {
            Metric::Volume => x.counts.authors,
            Metric::Negative => x.counts.negative_authors,
        };
        let voices = v.say(
            "voices-value",
            &[
                ("sources", x.counts.sources.into()),
                ("authors", authors.into()),
            ],
        );
        self.field(out, "voices", &voices);
    }

    fn people(&self, out: &mut String, x: &crate::detect::Explanation) {
        if !x.top_sources.is_empty() {
            self.field(out, "top-sources", &words::tallies(&x.top_sources));
        }
        // Authors are worth naming when some spoke more than once.
        let loud: Vec<_> = x
            .top_authors
            .iter()
            .filter(|t| t.count > 1)
            .cloned()
            .collect();
        if !loud.is_empty() {
            self.field(out, "top-authors", &words::tallies(&loud));
        }
    }

    fn telling(&self, out: &mut String, telling: &[TellingMention]) {
        if telling.is_empty() {
            return;
        }
        let v = &self.v;
        self.section(out, "section-telling", &[]);
        for (i, t) in telling.iter().enumerate() {
            let mut details = vec![
                v.say(
                    "detail-score",
                    &[("score", v.number(f64::from(t.score), 2).into())],
                ),
                words::telling_why(v, t.why),
            ];
            if let Some(story) = t.story {
                let id = crate::store::story_id(story);
                details.push(v.say("detail-story", &[("id", id[..8].to_owned().into())]));
            }
            if t.sources > 1 {
                details.push(v.say("detail-carried", &[("sources", t.sources.into())]));
            }
            self.mention_lines(
                out,
                i + 1,
                t.title.as_deref().unwrap_or(&t.key),
                &t.source,
                t.author.as_deref(),
                &details,
                &[("terms", &t.terms)],
                t.link.as_deref(),
            );
        }
    }

    /// One mention: its title and who, its figures, its terms, its link.
    #[allow(clippy::too_many_arguments)]
    fn mention_lines(
        &self,
        out: &mut String,
        rank: usize,
        title: &str,
        source: &str,
        author: Option<&str>,
        details: &[String],
        terms: &[(&str, &[String])],
        link: Option<&str>,
    ) {
        let v = &self.v;
        let author = author.map(|a| format!(", {a}")).unwrap_or_default();
        out.push_str(&format!(
            "  {rank}. {} — {source}{author}\n",
            v.quote(title)
        ));
        let mut line: Vec<String> = details.to_vec();
        for (label, list) in terms {
            let list = distinct(list);
            if !list.is_empty() {
                line.push(v.say(
                    "labelled",
                    &[
                        (
                            "label",
                            v.say("field", &[("field", (*label).into())]).into(),
                        ),
                        ("value", list.join(", ").into()),
                    ],
                ));
            }
        }
        if !line.is_empty() {
            out.push_str(&format!("     {}\n", line.join(&v.word("list-separator"))));
        }
        if let Some(l) = link {
            out.push_str(&format!("     {l}\n"));
        }
    }

    fn syndication_and_terms(&self, out: &mut String, x: &crate::detect::Explanation) {
        if x.syndication.is_none() && x.pickup.is_none() && x.terms.is_empty() {
            return;
        }
        let v = &self.v;
        out.push('\n');
        if let Some(s) = &x.syndication {
            let value = v.say(
                "syndication-value",
                &[
                    ("sources", s.sources.into()),
                    ("title", v.quote_opt(s.title.as_deref()).into()),
                ],
            );
            self.field(out, "syndication", &value);
        }
        if let Some(p) = &x.pickup {
            let value = v.say("pickup-value", &words::pickup_args(p));
            self.field(out, "pickup", &value);
        }
        if !x.terms.is_empty() {
            self.field(out, "driving-terms", &words::tallies(&x.terms));
        }
    }

    fn critical_mentions(&self, out: &mut String) {
        let critical = self.view.critical();
        if critical.is_empty() {
            return;
        }
        let v = &self.v;
        self.section(out, "section-critical", &[]);
        for (i, c) in critical.iter().take(SHOWN_CRITICAL).enumerate() {
            let mut details = Vec::new();
            // Attached to a bad buzz, a critical mention says which rule it matched.
            if self.view.row.rule.as_deref() != Some(c.rule.as_str()) {
                details.push(v.say("detail-rule", &[("rule", c.rule.as_str().into())]));
            }
            details.push(v.moment(c.at));
            details.push(v.say(
                "detail-score",
                &[("score", v.number(f64::from(c.score), 2).into())],
            ));
            if c.suppressed.is_some() {
                details.push(v.word("detail-not-mailed"));
            }
            self.mention_lines(
                out,
                i + 1,
                c.title.as_deref().unwrap_or(&c.mention),
                &c.source,
                c.author.as_deref(),
                &details,
                &[
                    ("rule-terms", &c.matched),
                    ("negative-terms", &c.sentiment_terms),
                ],
                c.link.as_deref(),
            );
        }
        // A flood is counted, not kept mention by mention: the rest is the incident's count.
        let total = if self.view.row.kind == "critical_mention" {
            self.view.critical_count() as usize
        } else {
            critical.len()
        };
        let shown = critical.len().min(SHOWN_CRITICAL);
        if total > critical.len() {
            // The rest were counted, not recorded one by one: the mentions list has them.
            let rule = self.view.row.rule.as_deref().unwrap_or_default();
            out.push_str(&format!(
                "  {}\n",
                v.say(
                    "critical-more-counted",
                    &[("count", (total - shown).into()), ("rule", rule.into())]
                )
            ));
        } else if total > shown {
            let more = total - shown;
            out.push_str(&format!(
                "  {}\n",
                v.say("critical-more", &[("count", more.into())])
            ));
        }
    }

    /// Who started it and which press and social sources carried it.
    fn window(&self, out: &mut String, w: &crate::views::IncidentWindow) {
        let v = &self.v;
        if w.first.is_empty() {
            return;
        }
        self.section(out, "web-first-mentions", &[]);
        for m in w.first.iter().take(3) {
            let title = m
                .title
                .clone()
                .unwrap_or_else(|| m.text.chars().take(80).collect());
            out.push_str(&format!(
                "  {} · {}{} · {}\n",
                v.moment(m.published.unwrap_or(m.fetched)),
                m.source,
                m.author
                    .as_deref()
                    .map(|a| format!(" · {a}"))
                    .unwrap_or_default(),
                crate::notify::said::clean(&title)
            ));
        }
        for (id, tallies) in [("web-press", &w.press), ("web-social", &w.social)] {
            if !tallies.is_empty() {
                let list: Vec<String> = tallies
                    .iter()
                    .map(|t| format!("{} ({})", t.name, t.count))
                    .collect();
                self.field(out, &v.word(id), &list.join(", "));
            }
        }
    }

    fn timeline(&self, out: &mut String) {
        let v = &self.v;
        self.section(out, "section-timeline", &[]);
        let kinds: Vec<String> = self
            .view
            .timeline
            .iter()
            .map(|e| words::event_kind_str(v, &e.row.kind))
            .collect();
        let width = kinds.iter().map(|k| k.chars().count()).max().unwrap_or(0);
        let severities: Vec<String> = self
            .view
            .timeline
            .iter()
            .map(|e| words::severity_str(v, &e.row.severity))
            .collect();
        let sw = severities
            .iter()
            .map(|k| k.chars().count())
            .max()
            .unwrap_or(0);
        let mails: Vec<String> = self
            .view
            .timeline
            .iter()
            .map(|e| {
                v.say(
                    "mailed",
                    &[("mailed", if e.row.notify { "yes" } else { "no" }.into())],
                )
            })
            .collect();
        let mw = mails.iter().map(|k| k.chars().count()).max().unwrap_or(0);
        for (((e, kind), severity), mailed) in self
            .view
            .timeline
            .iter()
            .zip(&kinds)
            .zip(&severities)
            .zip(&mails)
        {
            let text = words::timeline_entry(v, e);
            let mut lines = text.lines();
            let mut line = lines.next().unwrap_or_default().to_owned();
            if let Some(by) = e.row.by.as_deref().filter(|by| !line.contains(by)) {
                line.push_str(&format!(" {}", v.say("timeline-by", &[("by", by.into())])));
            }
            let pad = |s: &str, w: usize| {
                format!("{s}{}", " ".repeat(w.saturating_sub(s.chars().count())))
            };
            out.push_str(&format!(
                "  {}  {}  {}  {}  {line}\n",
                v.time(e.row.at),
                pad(kind, width),
                pad(severity, sw),
                pad(mailed, mw),
            ));
            // The figures of that moment, when the event carried them.
            if let Some(figures) = lines.next() {
                out.push_str(&format!("      {figures}\n"));
            }
        }
    }
}

/// Each word once, whatever its case, in first-seen order.
fn distinct(words: &[String]) -> Vec<&str> {
    let mut seen: Vec<&str> = Vec::new();
    for w in words {
        if !seen.iter().any(|s| s.to_lowercase() == w.to_lowercase()) {
            seen.push(w);
        }
    }
    seen
}

fn ack(
    place: Place<'_>,
    id: i64,
    by: Option<String>,
    note: Option<String>,
    lang: Option<Locale>,
) -> anyhow::Result<ExitCode> {
    let Some((config, mut store)) = open_for_write(place)? else {
        return Ok(ExitCode::from(1));
    };
    let v = voice(&config, lang);
    let by = who(by);
    let note = note.filter(|n| !n.trim().is_empty());
    let now = Utc::now();
    let Some(row) = store.incident(id)? else {
        error(v.say("no-incident", &[("id", id.to_string().into())]));
        return Ok(ExitCode::from(1));
    };
    if !store.acknowledge(id, &by, note.as_deref(), now)? {
        error(v.say("no-incident", &[("id", id.to_string().into())]));
        return Ok(ExitCode::from(1));
    }
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "{}",
        v.say(
            "ack-done",
            &[
                ("id", id.to_string().into()),
                ("kind", words::incident_kind(&v, &row.kind).into()),
                (
                    "target",
                    target(row.watch.as_deref(), row.rule.as_deref()).into()
                ),
                ("by", by.as_str().into()),
                ("at", v.time(now).into()),
                ("note", v.quote_opt(note.as_deref()).into()),
            ],
        )
    )?;
    if row.resolved_at.is_none() {
        writeln!(out, "{}", v.word("ack-stays-open"))?;
    }
    Ok(ExitCode::SUCCESS)
}

fn resolve(
    place: Place<'_>,
    id: i64,
    by: Option<String>,
    note: Option<String>,
    lang: Option<Locale>,
) -> anyhow::Result<ExitCode> {
    let Some((config, mut store)) = open_for_write(place)? else {
        return Ok(ExitCode::from(1));
    };
    let v = voice(&config, lang);
    let by = who(by);
    let note = note.filter(|n| !n.trim().is_empty());
    let now = Utc::now();
    let Some(row) = store.incident(id)? else {
        error(v.say("no-incident", &[("id", id.to_string().into())]));
        return Ok(ExitCode::from(1));
    };
    if let Some(at) = row.resolved_at {
        error(v.say(
            "resolve-already",
            &[("id", id.to_string().into()), ("at", v.time(at).into())],
        ));
        return Ok(ExitCode::from(1));
    }
    if !store.resolve_by_hand(id, &by, note.as_deref(), now)? {
        error(v.say("no-incident", &[("id", id.to_string().into())]));
        return Ok(ExitCode::from(1));
    }
    writeln!(
        std::io::stdout().lock(),
        "{}",
        v.say(
            "resolve-done",
            &[
                ("id", id.to_string().into()),
                ("kind", words::incident_kind(&v, &row.kind).into()),
                (
                    "target",
                    target(row.watch.as_deref(), row.rule.as_deref()).into()
                ),
                ("by", by.as_str().into()),
                ("at", v.time(now).into()),
                ("note", v.quote_opt(note.as_deref()).into()),
            ],
        )
    )?;
    Ok(ExitCode::SUCCESS)
}

/// `veille alerts`.
///
/// # Errors
/// When the database cannot be read, or standard output is closed.
pub fn alerts(place: Place<'_>, args: AlertsArgs) -> anyhow::Result<ExitCode> {
    let Some((config, store)) = open_read_only(place)? else {
        return Ok(ExitCode::from(1));
    };
    let rows = store.alerts(args.limit)?;
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    if args.json {
        for row in &rows {
            serde_json::to_writer(&mut out, row)?;
            writeln!(out)?;
        }
        out.flush()?;
        return Ok(ExitCode::SUCCESS);
    }
    let v = voice(&config, args.lang);
    if rows.is_empty() {
        writeln!(out, "{}", v.word("alerts-none"))?;
        out.flush()?;
        return Ok(ExitCode::SUCCESS);
    }
    let col = |c: &str| v.say("column", &[("column", c.into())]);
    let mut table = Table::new(
        [
            "id", "at", "severity", "kind", "incident", "target", "mail", "text",
        ]
        .map(col)
        .to_vec(),
        &[0, 4],
    );
    for row in &rows {
        let text = match v.locale {
            Locale::Fr => &row.text_fr,
            Locale::En => &row.text_en,
        };
        table.push(vec![
            row.id.to_string(),
            v.time(row.at),
            words::severity_str(&v, &row.severity),
            words::event_kind_str(&v, &row.kind),
            row.incident
                .map_or_else(|| "—".to_owned(), |i| i.to_string()),
            target(row.watch.as_deref(), row.rule.as_deref()),
            v.say(
                "yes-no",
                &[("answer", if row.notify { "yes" } else { "no" }.into())],
            ),
            excerpt(text.lines().next().unwrap_or_default(), 100),
        ]);
    }
    out.write_all(table.render().as_bytes())?;
    writeln!(
        out,
        "{}",
        v.say("times-in", &[("zone", v.zone(Utc::now()).into())])
    )?;
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

fn silence_add(
    place: Place<'_>,
    (kind, id): (&'static str, String),
    duration: &str,
    reason: &str,
    by: Option<String>,
    lang: Option<Locale>,
) -> anyhow::Result<ExitCode> {
    let reason = reason.trim();
    if reason.is_empty() {
        error(format_args!(
            "--reason must say why, for the others (e.g. --reason \"handled by the press office\")"
        ));
        return Ok(ExitCode::from(2));
    }
    if duration.trim_start().starts_with('-') {
        error(format_args!(
            "--for {duration}: a silence lasts a positive time, e.g. 30m, 2h, 1d"
        ));
        return Ok(ExitCode::from(2));
    }
    let length = match Interval::parse(duration) {
        Ok(i) if i.0.is_zero() => {
            error(format_args!(
                "--for {duration}: a silence lasts a positive time, e.g. 30m, 2h, 1d"
            ));
            return Ok(ExitCode::from(2));
        }
        Ok(i) => i,
        Err(e) => {
            error(format_args!("--for: {e}"));
            return Ok(ExitCode::from(2));
        }
    };
    let Ok(delta) = chrono::Duration::from_std(length.0) else {
        error(format_args!("--for {duration}: too long"));
        return Ok(ExitCode::from(2));
    };
    let Some((config, mut store)) = open_for_write(place)? else {
        return Ok(ExitCode::from(1));
    };
    let v = voice(&config, lang);
    // A silence for a name nothing knows would silence nothing: most likely a typo.
    if kind == "source" {
        if !config.sources.iter().any(|s| s.name == id) && store.source_state(&id)?.is_none() {
            error(format_args!(
                "no source {id:?} in the configuration or the database (see `veille sources`); nothing was silenced"
            ));
            return Ok(ExitCode::from(1));
        }
    } else {
        match crate::config::rules::load_rules(&config.rules) {
            Ok(set) => {
                let known = match kind {
                    "watch" => set.watches().iter().any(|w| w.id == id),
                    _ => set.rule(&id).is_some(),
                };
                if !known {
                    error(format_args!(
                        "no {kind} {id:?} in the rule files of {} (see `veille rules check`); nothing was silenced",
                        config.rules.display()
                    ));
                    return Ok(ExitCode::from(1));
                }
            }
            Err(errors) => warning(format_args!(
                "cannot check that {kind} \"{id}\" exists: {} problem(s) in the rules of {} (see `veille check`)",
                errors.len(),
                config.rules.display()
            )),
        }
    }
    let now = Utc::now();
    let Some(until) = now.checked_add_signed(delta) else {
        error(format_args!("--for {duration}: too long"));
        return Ok(ExitCode::from(2));
    };
    let by = who(by);
    let silence = store.add_silence(kind, &id, until, reason, Some(&by), now)?;
    writeln!(
        std::io::stdout(),
        "{}",
        v.say(
            "silence-added",
            &[
                ("id", silence.to_string().into()),
                ("kind", kind.into()),
                ("target", id.as_str().into()),
                ("until", v.time(until).into()),
                ("length", v.duration(delta).into()),
                ("by", by.as_str().into()),
                ("reason", v.quote(reason).into()),
                ("zone", v.zone(until).into()),
            ],
        )
    )?;
    Ok(ExitCode::SUCCESS)
}

fn silence_list(place: Place<'_>, json: bool, lang: Option<Locale>) -> anyhow::Result<ExitCode> {
    let Some((config, store)) = open_read_only(place)? else {
        return Ok(ExitCode::from(1));
    };
    let rows = store.silences(Utc::now())?;
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let v = voice(&config, lang);
    if json {
        for row in &rows {
            serde_json::to_writer(&mut out, row)?;
            writeln!(out)?;
        }
    } else if rows.is_empty() {
        writeln!(out, "{}", v.word("silences-none"))?;
    } else {
        let col = |c: &str| v.say("column", &[("column", c.into())]);
        let mut table = Table::new(
            ["id", "target", "until", "by", "reason"].map(col).to_vec(),
            &[0],
        );
        for row in &rows {
            table.push(vec![
                row.id.to_string(),
                format!("{} {}", row.target_kind, row.target),
                v.time(row.until),
                row.created_by.clone().unwrap_or_else(|| "—".into()),
                row.reason.clone(),
            ]);
        }
        out.write_all(table.render().as_bytes())?;
        writeln!(
            out,
            "{}",
            v.say("times-in", &[("zone", v.zone(Utc::now()).into())])
        )?;
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

fn silence_remove(place: Place<'_>, id: i64, lang: Option<Locale>) -> anyhow::Result<ExitCode> {
    let Some((config, mut store)) = open_for_write(place)? else {
        return Ok(ExitCode::from(1));
    };
    let v = voice(&config, lang);
    let now = Utc::now();
    let silence = store.silences(now)?.into_iter().find(|s| s.id == id);
    if !store.remove_silence(id, now)? {
        error(v.say("no-silence", &[("id", id.to_string().into())]));
        return Ok(ExitCode::from(1));
    }
    writeln!(
        std::io::stdout(),
        "{}",
        v.say(
            "silence-removed",
            &[
                ("id", id.to_string().into()),
                (
                    "target",
                    silence
                        .map(|s| format!("{} {}", s.target_kind, s.target))
                        .unwrap_or_default()
                        .into(),
                ),
            ],
        )
    )?;
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use chrono::DateTime;

    use super::*;
    use crate::detect::{Decision, EventKind, Explanation, IncidentEvent, IncidentId, Profile};
    use crate::model::Severity;
    use crate::store::incidents::SilenceRow;

    fn row() -> IncidentRow {
        IncidentRow {
            id: 1,
            key: "k".into(),
            kind: "bad_buzz".into(),
            watch: Some("acme".into()),
            rule: None,
            severity: "warning".into(),
            opened_at: DateTime::from_timestamp(0, 0).unwrap(),
            updated_at: DateTime::from_timestamp(0, 0).unwrap(),
            resolved_at: None,
            peak_count: 3,
            peak_at: None,
            mentions: 3,
            baseline: None,
            summary_fr: None,
            summary_en: None,
            silenced: false,
            acknowledged_at: None,
            acknowledged_by: None,
            ack_note: None,
            explanation: None,
        }
    }

    fn silence(kind: &str, target: &str) -> SilenceRow {
        SilenceRow {
            id: 1,
            target_kind: kind.into(),
            target: target.into(),
            until: DateTime::from_timestamp(3600, 0).unwrap(),
            reason: "r".into(),
            created: DateTime::from_timestamp(0, 0).unwrap(),
            created_by: None,
        }
    }

    #[test]
    fn status_puts_resolved_then_silenced_then_acknowledged() {
        let status = |r: &IncidentRow, s: &[SilenceRow]| IncidentStatus::of(r, None, s).as_str();
        let mut r = row();
        assert_eq!(status(&r, &[]), "open");
        r.acknowledged_at = Some(r.opened_at);
        assert_eq!(status(&r, &[]), "acknowledged");
        assert_eq!(status(&r, &[silence("watch", "acme")]), "silenced");
        assert_eq!(
            status(&r, &[silence("rule", "acme")]),
            "acknowledged",
            "a rule silence does not cover a watch of the same name"
        );
        let source = IncidentStatus::of(&r, Some("presse"), &[silence("source", "presse")]);
        assert_eq!(
            source.as_str(),
            "silenced",
            "a source's silence covers its incident"
        );
        assert_eq!(
            IncidentStatus::of(&r, None, &[silence("source", "acme")]).as_str(),
            "acknowledged",
            "a source silence covers no watch of the same name"
        );
        r.resolved_at = Some(r.opened_at);
        assert_eq!(status(&r, &[silence("watch", "acme")]), "resolved");
    }

    #[test]
    fn distinct_ignores_case() {
        let words: Vec<String> = [
            "Boycott",
            "Maison Brioche",
            "boycott",
            "maison brioche",
            "n'achetez plus",
        ]
        .map(String::from)
        .to_vec();
        assert_eq!(
            distinct(&words),
            ["Boycott", "Maison Brioche", "n'achetez plus"]
        );
    }

    #[test]
    fn tables_align_accented_headers_by_characters() {
        let mut t = Table::new(vec!["ÉTAT".into(), "N".into(), "RÉSUMÉ".into()], &[1]);
        t.push(vec!["en cours".into(), "12".into(), "texte".into()]);
        assert_eq!(t.render(), "ÉTAT       N  RÉSUMÉ\nen cours  12  texte\n");
    }

    /// A bad buzz of seven angry customers, one syndicated story among them, against a usual one an hour.
    fn explained_burst() -> Explanation {
        use crate::detect::counts::tests::{at, mention};
        use crate::detect::{Baseline, BucketCounts, Level, Window};
        use crate::model::{Label, TermWeight};
        let mut ms = Vec::new();
        for i in 0..6u64 {
            let mut m = mention(
                &format!("n{i}"),
                &format!("forum{}", i % 2),
                Some(&format!("user{i}")),
                i,
                Label::Neg,
            );
            m.score = -0.3 - 0.1 * i as f32;
            m.terms = vec![TermWeight {
                term: "scandale".into(),
                weight: -0.7,
            }];
            ms.push(m);
        }
        for i in 0..3u64 {
            let mut m = mention(&format!("s{i}"), &format!("site{i}"), None, 99, Label::Neg);
            m.title = Some("Acme rappelle ses yaourts".into());
            ms.push(m);
        }
        let counts = BucketCounts::aggregate(at(17, 0), &ms);
        let level = |median: f64| Level {
            median,
            mad: 0.5,
            spread: 1.0,
            samples: 14,
        };
        let baseline = Baseline {
            profile: Profile::HourOfDay,
            samples: 14,
            negative: level(1.0),
            total: level(3.0),
            negative_share: Some(0.2),
            negative_sum: 0,
            stories_sum: 0,
        };
        let window = Window {
            counts: &counts,
            mentions: &ms,
        };
        Explanation::new("acme", &window, at(18, 0), &baseline)
    }

    #[test]
    fn a_bad_buzz_is_laid_out_with_its_figures_mentions_and_timeline() {
        let x = explained_burst();
        let mut r = row();
        r.opened_at = x.window_start;
        r.updated_at = x.window_start;
        r.explanation = serde_json::to_string(&x).ok();
        let opened = Decision::Incident(IncidentEvent {
            incident: IncidentId("acme@1".into()),
            watch: "acme".into(),
            watch_name: Some("Acme".into()),
            rule: None,
            kind: EventKind::Opened,
            severity: Severity::Warning,
            at: x.window_start,
            opened: x.window_start,
            notify: true,
            suppressed: None,
            peak: 7,
            peak_at: x.window_start,
            mentions: 9,
            duration_secs: None,
            calm_secs: None,
            explanation: Some(x.clone()),
            more: None,
            trend: None,
        });
        let events = vec![crate::views::TimelineEntry {
            row: EventRow {
                at: r.opened_at,
                kind: "opened".into(),
                severity: "warning".into(),
                notify: true,
                text_fr: String::new(),
                text_en: String::new(),
                by: None,
                detail: serde_json::to_string(&opened).ok(),
            },
            decision: Some(opened),
            person: None,
        }];
        let view = IncidentView {
            row: r,
            status: IncidentStatus::Open,
            rule_name: None,
            watch_name: Some("Acme".into()),
            explanation: Some(x),
            timeline: events,
        };
        // 2 March 17:00 UTC is 18:00 in Paris.
        let layout = |locale| {
            Layout {
                v: Voice::new(locale, crate::i18n::DEFAULT_TZ),
                view: &view,
                window: None,
            }
            .render()
        };
        let fr = layout(Locale::Fr);
        for expected in [
            "Incident 1 — bad buzz, alerte, en cours\n",
            "  veille            acme — Acme\n",
            "  ouvert            02/03/2026 18:00\n",
            "\nCe qui s'est passé\n  Bad buzz détecté sur «\u{a0}Acme\u{a0}» (niveau\u{a0}: alerte).\n",
            "\nChiffres (le 02/03 entre 18 h et 19 h)\n",
            "  nombre            7 sujets négatifs distincts (9 mentions négatives)\n",
            "  habituellement    médiane 1, MAD 0,5 (à cette heure des 14 derniers jours) — 14 échantillons\n",
            "  écart             ×7,0\u{a0}; z = ",
            "  part négative     100\u{202f}% (habituellement 20\u{202f}%)\n",
            "\nMentions marquantes\n  1. «\u{a0}title n5\u{a0}» — forum1, user5\n",
            "score -0,80\u{a0}; parmi les plus négatives\u{a0}; sujet 00000000\u{a0}; termes\u{a0}: scandale\n",
            "repris par 3 sources",
            "  reprise           un même article repris par 3 sources",
            "  reprises          un article repris par 3 sites, aucun de presse\n",
            "  termes dominants  scandale (6)",
            "\nChronologie\n  02/03/2026 18:00  ouvert  alerte  mail  Bad buzz détecté sur «\u{a0}Acme\u{a0}»",
            "\n      7 sujets négatifs distincts (9 mentions négatives) le 02/03 entre 18 h et 19 h",
            "\nHeures en heure de Paris (UTC+1).\n",
        ] {
            assert!(fr.contains(expected), "{expected:?} not in:\n{fr}");
        }
        for english in ["Timeline", "Figures", "negative", "mailed"] {
            assert!(
                !fr.contains(english),
                "{english:?} in the French layout:\n{fr}"
            );
        }
        let en = layout(Locale::En);
        for expected in [
            "Incident 1 — bad buzz, warning, open\n",
            "\nFigures (on 02 Mar between 18:00 and 19:00)\n",
            "\nTimeline\n",
            "  negative share    100% (usually 20%)",
            "\nTimes in Paris time (UTC+1).\n",
        ] {
            assert!(en.contains(expected), "{expected:?} not in:\n{en}");
        }
        for french in ["Chronologie", "négati", "habituellement", "alerte"] {
            assert!(
                !en.contains(french),
                "{french:?} in the English layout:\n{en}"
            );
        }
    }

    #[test]
    fn target_joins_what_is_set() {
        assert_eq!(target(Some("w"), Some("r")), "w/r");
        assert_eq!(target(None, Some("r")), "r");
        assert_eq!(target(None, None), "—");
    }
}
