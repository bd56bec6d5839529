//! `veille incidents`, `veille alerts` and `veille silence`: what detection recorded, read back for a person,
//! and the two things a person records beside it (an acknowledgement, a silence).
//!
//! In: the configuration (for the database and the rules) and the command's arguments. Out: tables for a
//! terminal, in the product's French words where the communications team reads them, or one JSON object per
//! line. Listing and showing open the database read-only, so they never block the daemon; `incidents ack`,
//! `silence add` and `silence remove` make one short write beside the daemon's writer, which WAL and the
//! store's busy timeout make safe. The words of an explanation are [`crate::detect::Explanation`]'s and
//! [`crate::detect::Decision`]'s; this module only lays them out.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use chrono::{DateTime, Utc};
use clap::{Args, Subcommand};
use serde::Serialize;

use crate::config::Config;
use crate::detect::explain::{Lang, duration, moment, number, percent, plural, quote};
use crate::detect::{
    CriticalMention, Decision, EventKind, Explanation, Profile, Tally, Telling, TellingMention,
};
use crate::model::Interval;
use crate::store::Store;
use crate::store::incidents::{EventRow, IncidentRow, SilenceRow};

use super::inspect::excerpt;
use super::{Place, error, load_config, open_read_only, warning};

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
        /// Language of the explanation.
        #[arg(long, value_name = "LANG", default_value = "fr", value_parser = ["fr", "en"])]
        lang: String,
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
    /// Read this database instead of the configuration's.
    #[arg(long, value_name = "PATH")]
    pub db: Option<PathBuf>,
}

/// `veille silence`.
#[derive(Debug, Args)]
pub struct SilenceArgs {
    #[command(subcommand)]
    action: SilenceAction,
    /// Use this database instead of the configuration's.
    #[arg(long, value_name = "PATH", global = true)]
    pub db: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
enum SilenceAction {
    /// Stop mailing the alerts of a watch or a rule for a while; they are still recorded.
    #[command(group(clap::ArgGroup::new("target").required(true).args(["watch", "rule"])))]
    Add {
        /// Silence this watch (a brand): its bad buzz and its critical mentions.
        #[arg(long, value_name = "ID")]
        watch: Option<String>,
        /// Silence this rule.
        #[arg(long, value_name = "ID")]
        rule: Option<String>,
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
        None => list(place, args.open, args.limit, args.json),
        Some(IncidentAction::Show { id, json, lang }) => {
            let lang = if lang == "en" { Lang::En } else { Lang::Fr };
            show(place, id, json, lang)
        }
        Some(IncidentAction::Ack { id, by, note }) => ack(place, id, by, note),
    }
}

/// Runs `veille silence …`.
///
/// # Errors
/// When the database cannot be read or written, or standard output is closed.
pub fn silence(place: Place<'_>, args: SilenceArgs) -> anyhow::Result<ExitCode> {
    match args.action {
        SilenceAction::Add {
            watch,
            rule,
            duration,
            reason,
            by,
        } => {
            let target = match (watch, rule) {
                (Some(w), _) => ("watch", w),
                (None, Some(r)) => ("rule", r),
                // clap requires one of them.
                (None, None) => {
                    error(format_args!(
                        "say what to silence with --watch ID or --rule ID"
                    ));
                    return Ok(ExitCode::from(2));
                }
            };
            silence_add(place, target, &duration, &reason, by)
        }
        SilenceAction::List { json } => silence_list(place, json),
        SilenceAction::Remove { id } => silence_remove(place, id),
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

fn when(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M").to_string()
}

/// `watch/rule`, whichever are set.
fn target(watch: Option<&str>, rule: Option<&str>) -> String {
    match (watch, rule) {
        (Some(w), Some(r)) => format!("{w}/{r}"),
        (Some(x), None) | (None, Some(x)) => x.to_owned(),
        (None, None) => "—".to_owned(),
    }
}

/// The WATCH/RULE column of a table: each row's [`target`], and the column's width.
fn target_column<'a>(
    rows: impl Iterator<Item = (Option<&'a str>, Option<&'a str>)>,
) -> (Vec<String>, usize) {
    let targets: Vec<String> = rows.map(|(w, r)| target(w, r)).collect();
    let width = targets
        .iter()
        .map(|t| t.chars().count())
        .max()
        .unwrap_or(0)
        .max("WATCH/RULE".len());
    (targets, width)
}

fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or_default()
}

/// Where an incident stands: resolved, silenced (a silence in force covers it), acknowledged, or open.
fn status(row: &IncidentRow, silences: &[SilenceRow]) -> &'static str {
    let covered = silences.iter().any(|s| match s.target_kind.as_str() {
        "watch" => row.watch.as_deref() == Some(s.target.as_str()),
        _ => row.rule.as_deref() == Some(s.target.as_str()),
    });
    if row.resolved_at.is_some() {
        "resolved"
    } else if covered {
        "silenced"
    } else if row.acknowledged_at.is_some() {
        "acknowledged"
    } else {
        "open"
    }
}

/// An incident as `veille incidents --json` prints it: the stored row and where it stands.
#[derive(Serialize)]
struct IncidentLine<'a> {
    #[serde(flatten)]
    incident: &'a IncidentRow,
    status: &'static str,
}

fn list(
    place: Place<'_>,
    open_only: bool,
    limit: Option<usize>,
    json: bool,
) -> anyhow::Result<ExitCode> {
    let Some((_config, store)) = open_read_only(place)? else {
        return Ok(ExitCode::from(1));
    };
    let rows = store.incidents(open_only, limit)?;
    let silences = store.silences(Utc::now())?;
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    if json {
        for row in &rows {
            let line = IncidentLine {
                incident: row,
                status: status(row, &silences),
            };
            serde_json::to_writer(&mut out, &line)?;
            writeln!(out)?;
        }
        out.flush()?;
        return Ok(ExitCode::SUCCESS);
    }
    if rows.is_empty() {
        writeln!(
            out,
            "{}",
            if open_only {
                "Aucun incident en cours."
            } else {
                "Aucun incident."
            }
        )?;
        out.flush()?;
        return Ok(ExitCode::SUCCESS);
    }
    let (targets, width) =
        target_column(rows.iter().map(|r| (r.watch.as_deref(), r.rule.as_deref())));
    writeln!(
        out,
        "{:>4}  {:<16}  {:<16}  {:<width$}  {:<8}  {:>4}  {:>8}  {:<12}  SUMMARY",
        "ID", "OPENED", "KIND", "WATCH/RULE", "SEVERITY", "PEAK", "MENTIONS", "STATUS"
    )?;
    for (row, t) in rows.iter().zip(&targets) {
        // A critical-mention incident has no figures: its first event says what it is about.
        let summary = match &row.summary_fr {
            Some(s) => s.clone(),
            None => store
                .incident_events(row.id)?
                .first()
                .map(|e| first_line(&e.text_fr).to_owned())
                .unwrap_or_default(),
        };
        let peak = if row.peak_count == 0 {
            "—".to_owned()
        } else {
            row.peak_count.to_string()
        };
        writeln!(
            out,
            "{:>4}  {:<16}  {:<16}  {:<width$}  {:<8}  {:>4}  {:>8}  {:<12}  {}",
            row.id,
            when(row.opened_at),
            row.kind,
            t,
            row.severity,
            peak,
            row.mentions,
            status(row, &silences),
            excerpt(&summary, 100)
        )?;
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// `veille incidents show ID --json`.
#[derive(Serialize)]
struct ShownIncident<'a> {
    incident: IncidentLine<'a>,
    /// The explanation of the latest window judged, for bad buzz and buzz.
    explanation: Option<serde_json::Value>,
    /// Every decision of the timeline, as detection made it.
    decisions: Vec<serde_json::Value>,
    events: &'a [EventRow],
}

fn show(place: Place<'_>, id: i64, json: bool, lang: Lang) -> anyhow::Result<ExitCode> {
    let Some((config, store)) = open_read_only(place)? else {
        return Ok(ExitCode::from(1));
    };
    let Some(row) = store.incident(id)? else {
        error(format_args!(
            "no incident {id} (see `veille incidents` for their ids)"
        ));
        return Ok(ExitCode::from(1));
    };
    let silences = store.silences(Utc::now())?;
    let events = store.incident_events(id)?;
    let details = store.incident_decisions(id)?;
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    if json {
        let shown = ShownIncident {
            incident: IncidentLine {
                incident: &row,
                status: status(&row, &silences),
            },
            explanation: row
                .explanation
                .as_deref()
                .and_then(|x| serde_json::from_str(x).ok()),
            decisions: details
                .iter()
                .filter_map(|d| serde_json::from_str(d).ok())
                .collect(),
            events: &events,
        };
        serde_json::to_writer(&mut out, &shown)?;
        writeln!(out)?;
        out.flush()?;
        return Ok(ExitCode::SUCCESS);
    }
    let decisions: Vec<Decision> = details
        .iter()
        .filter_map(|d| serde_json::from_str(d).ok())
        .collect();
    let explanation: Option<Explanation> = row
        .explanation
        .as_deref()
        .and_then(|x| serde_json::from_str(x).ok());
    // The rule's name from the rule files, when they load: a person knows rules by name.
    let rule_name = row.rule.as_deref().and_then(|r| {
        crate::config::rules::load_rules(&config.rules)
            .ok()
            .and_then(|set| set.rule(r).map(|rule| rule.name.clone()))
    });
    let text = Layout {
        lang,
        row: &row,
        status: status(&row, &silences),
        rule_name: rule_name.as_deref(),
        explanation: explanation.as_ref(),
        decisions: &decisions,
        events: &events,
    }
    .render();
    out.write_all(text.as_bytes())?;
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// What `veille incidents show` lays out, in one language.
struct Layout<'a> {
    lang: Lang,
    row: &'a IncidentRow,
    status: &'static str,
    rule_name: Option<&'a str>,
    explanation: Option<&'a Explanation>,
    decisions: &'a [Decision],
    events: &'a [EventRow],
}

/// Width of the labels of `incidents show`.
const LABEL: usize = 18;

impl Layout<'_> {
    fn t(&self, fr: &'static str, en: &'static str) -> &'static str {
        if self.lang == Lang::Fr { fr } else { en }
    }

    fn time(&self, t: DateTime<Utc>) -> String {
        match self.lang {
            Lang::Fr => t.format("%d/%m/%Y %H:%M UTC").to_string(),
            Lang::En => t.format("%Y-%m-%d %H:%M UTC").to_string(),
        }
    }

    fn n(&self, x: f64, decimals: usize) -> String {
        number(x, decimals, self.lang)
    }

    /// A figure with one decimal unless it is whole, as the explanation writes it.
    fn figure(&self, x: f64) -> String {
        self.n(x, if x.fract() == 0.0 { 0 } else { 1 })
    }

    fn colon(&self) -> &'static str {
        self.t("\u{a0}: ", ": ")
    }

    fn field(&self, out: &mut String, label: &str, value: &str) {
        out.push_str(&format!("  {label:<LABEL$}{value}\n"));
    }

    fn kind_words(&self, kind: &str) -> String {
        match kind {
            "bad_buzz" => "bad buzz".to_owned(),
            "critical_mention" => self.t("mention critique", "critical mention").to_owned(),
            "buzz" => "buzz".to_owned(),
            other => {
                match serde_json::from_value::<EventKind>(serde_json::Value::String(other.into())) {
                    Ok(k) => self.t(k.words_fr(), k.words_en()).to_owned(),
                    Err(_) => other.to_owned(),
                }
            }
        }
    }

    fn severity_words(&self, severity: &str) -> String {
        match (severity, self.lang) {
            ("critical", Lang::Fr) => "critique".to_owned(),
            ("warning", Lang::Fr) => "alerte".to_owned(),
            (other, _) => other.to_owned(),
        }
    }

    fn status_words(&self) -> &'static str {
        match self.status {
            "resolved" => self.t("terminé", "resolved"),
            "silenced" => self.t("en sourdine", "silenced"),
            "acknowledged" => self.t("pris en charge", "acknowledged"),
            _ => self.t("en cours", "open"),
        }
    }

    fn render(&self) -> String {
        let mut out = String::new();
        self.heading(&mut out);
        self.what_happened(&mut out);
        if let Some(x) = self.explanation {
            self.figures(&mut out, x);
            self.people(&mut out, x);
            self.telling(&mut out, &x.telling);
            self.syndication_and_terms(&mut out, x);
        }
        self.critical_mentions(&mut out);
        self.timeline(&mut out);
        out
    }

    fn heading(&self, out: &mut String) {
        let row = self.row;
        out.push_str(&format!(
            "Incident {} — {}, {}, {}\n",
            row.id,
            self.kind_words(&row.kind),
            self.severity_words(&row.severity),
            self.status_words()
        ));
        if let Some(w) = &row.watch {
            self.field(out, self.t("veille", "watch"), w);
        }
        if let Some(r) = &row.rule {
            let value = match self.rule_name {
                Some(name) => format!("{r} — {name}"),
                None => r.clone(),
            };
            self.field(out, self.t("règle", "rule"), &value);
        }
        self.field(out, self.t("ouvert", "opened"), &self.time(row.opened_at));
        self.field(
            out,
            self.t("mis à jour", "updated"),
            &self.time(row.updated_at),
        );
        if let Some(r) = row.resolved_at {
            let lasted = duration(r - row.opened_at, self.lang);
            self.field(
                out,
                self.t("terminé", "resolved"),
                &format!("{} ({} {lasted})", self.time(r), self.t("après", "after")),
            );
        }
        if row.peak_count > 0 {
            let at = row
                .peak_at
                .map(|t| format!(" ({})", moment(t, self.lang)))
                .unwrap_or_default();
            self.field(
                out,
                self.t("pic", "peak"),
                &format!("{}{at}", row.peak_count),
            );
        }
        self.field(out, "mentions", &row.mentions.to_string());
        if let Some(t) = row.acknowledged_at {
            let by = row.acknowledged_by.as_deref().unwrap_or("?");
            let note = row
                .ack_note
                .as_deref()
                .map(|n| format!(", {}", quote(n, self.lang)))
                .unwrap_or_default();
            self.field(
                out,
                self.t("pris en charge", "acknowledged"),
                &format!("{by}, {}{note}", self.time(t)),
            );
        }
        if self.status == "silenced" {
            self.field(
                out,
                self.t("sourdine", "silenced"),
                self.t(
                    "ses alertes sont enregistrées sans être envoyées (veille silence list)",
                    "its alerts are recorded, not mailed (veille silence list)",
                ),
            );
        }
    }

    fn what_happened(&self, out: &mut String) {
        out.push_str(&format!(
            "\n{}\n",
            self.t("Ce qui s'est passé", "What happened")
        ));
        let critical: Vec<&CriticalMention> = self.critical().collect();
        let sentence = if self.row.kind == "critical_mention" {
            let rule = self.row.rule.as_deref().unwrap_or("?");
            let watch = self
                .row
                .watch
                .as_deref()
                .map(|w| format!(" {} {}", self.t("sur", "of"), quote(w, self.lang)))
                .unwrap_or_default();
            let count = (critical.len() as u32).max(self.row.mentions);
            format!(
                "{} ({} {}){watch} {} {}.",
                plural(
                    count,
                    self.t("mention critique", "critical mention"),
                    self.lang
                ),
                self.t("règle", "rule"),
                quote(rule, self.lang),
                self.t("depuis le", "since"),
                moment(self.row.opened_at, self.lang)
            )
        } else {
            // The latest turn of the incident (opened, escalated, resolved) says where it stands.
            let model_lang = match self.lang {
                Lang::Fr => crate::model::Lang::Fr,
                Lang::En => crate::model::Lang::En,
            };
            self.decisions
                .iter()
                .rev()
                .find(|d| match d {
                    Decision::Incident(e) => e.kind != EventKind::Updated,
                    Decision::Buzz(_) => true,
                    Decision::CriticalMention(_) => false,
                })
                .map(|d| d.headline(model_lang))
                .or_else(|| {
                    self.events.first().map(|e| {
                        first_line(if self.lang == Lang::Fr {
                            &e.text_fr
                        } else {
                            &e.text_en
                        })
                        .to_owned()
                    })
                })
                .unwrap_or_default()
        };
        out.push_str(&format!("  {sentence}\n"));
    }

    fn figures(&self, out: &mut String, x: &Explanation) {
        let volume = self.row.kind == "buzz";
        let (figures, raw) = if volume {
            (&x.volume, x.counts.total)
        } else {
            (&x.negative, x.counts.negative)
        };
        out.push_str(&format!(
            "\n{} ({} {}, {})\n",
            self.t("Chiffres", "Figures"),
            self.t("fenêtre du", "window from"),
            moment(x.window_start, self.lang),
            duration(x.window_end - x.window_start, self.lang)
        ));
        let (stories, mentions) = match (volume, self.lang) {
            (false, Lang::Fr) => ("sujet négatif distinct", "mention négative"),
            (false, Lang::En) => ("distinct negative story", "negative mention"),
            (true, Lang::Fr) => ("sujet distinct", "mention"),
            (true, Lang::En) => ("distinct story", "mention"),
        };
        self.field(
            out,
            self.t("nombre", "count"),
            &format!(
                "{} ({})",
                plural(figures.count, stories, self.lang),
                plural(raw, mentions, self.lang)
            ),
        );
        let profile = match (x.profile, self.lang) {
            (Profile::AllHours, Lang::Fr) => "toutes heures confondues",
            (Profile::AllHours, Lang::En) => "across all hours",
            (Profile::HourOfDay, Lang::Fr) => "à la même heure",
            (Profile::HourOfDay, Lang::En) => "at the same hour",
            (Profile::HourOfWeek, Lang::Fr) => "à la même heure de la semaine",
            (Profile::HourOfWeek, Lang::En) => "at the same hour of the week",
        };
        self.field(
            out,
            self.t("habituellement", "usually"),
            &format!(
                "{} {}, MAD {} ({profile}, {})",
                self.t("médiane", "median"),
                self.figure(figures.median),
                self.figure(figures.mad),
                plural(x.samples, self.t("échantillon", "sample"), self.lang)
            ),
        );
        self.field(
            out,
            self.t("écart", "deviation"),
            &format!(
                "×{}{} z = {}",
                self.n(figures.ratio, 1),
                self.t("\u{a0};", ";"),
                self.n(figures.z, 1)
            ),
        );
        if let Some(share) = x.share {
            let usual = x
                .usual_share
                .map(|u| {
                    format!(
                        " ({} {})",
                        self.t("habituellement", "usually"),
                        percent(u, self.lang)
                    )
                })
                .unwrap_or_default();
            self.field(
                out,
                self.t("part négative", "negative share"),
                &format!("{}{usual}", percent(share, self.lang)),
            );
        }
        self.field(
            out,
            self.t("voix", "voices"),
            &format!(
                "{}, {}",
                plural(x.counts.sources, "source", self.lang),
                plural(
                    if volume {
                        x.counts.authors
                    } else {
                        x.counts.negative_authors
                    },
                    self.t("auteur distinct", "distinct author"),
                    self.lang
                )
            ),
        );
    }

    fn people(&self, out: &mut String, x: &Explanation) {
        let tallies = |t: &[Tally]| {
            t.iter()
                .map(|t| format!("{} ({})", t.name, t.count))
                .collect::<Vec<_>>()
                .join(", ")
        };
        if !x.top_sources.is_empty() {
            self.field(
                out,
                self.t("sources princ.", "top sources"),
                &tallies(&x.top_sources),
            );
        }
        if !x.top_authors.is_empty() {
            self.field(
                out,
                self.t("auteurs princ.", "top authors"),
                &tallies(&x.top_authors),
            );
        }
    }

    fn telling(&self, out: &mut String, telling: &[TellingMention]) {
        if telling.is_empty() {
            return;
        }
        out.push_str(&format!(
            "\n{}\n",
            self.t("Mentions marquantes", "Telling mentions")
        ));
        for (i, t) in telling.iter().enumerate() {
            let why = match (t.why, self.lang) {
                (Telling::MostNegative, Lang::Fr) => "parmi les plus négatives",
                (Telling::MostNegative, Lang::En) => "among the most negative",
                (Telling::MostShared, Lang::Fr) => "la plus reprise",
                (Telling::MostShared, Lang::En) => "most shared",
                (Telling::Strongest, Lang::Fr) => "ton le plus marqué",
                (Telling::Strongest, Lang::En) => "strongest tone",
            };
            let mut details = vec![
                format!("score {}", self.n(f64::from(t.score), 2)),
                why.to_owned(),
            ];
            if t.sources > 1 {
                details.push(match self.lang {
                    Lang::Fr => format!("repris par {} sources", t.sources),
                    Lang::En => format!("carried by {} sources", t.sources),
                });
            }
            self.mention_lines(
                out,
                i + 1,
                t.title.as_deref().unwrap_or(&t.key),
                &t.source,
                t.author.as_deref(),
                &details,
                &[(self.t("termes", "terms"), &t.terms)],
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
        let author = author.map(|a| format!(", {a}")).unwrap_or_default();
        out.push_str(&format!(
            "  {rank}. {} — {source}{author}\n",
            quote(title, self.lang)
        ));
        let sep = self.t("\u{a0}; ", "; ");
        let mut line: Vec<String> = details.to_vec();
        for (label, words) in terms {
            let words = distinct(words);
            if !words.is_empty() {
                line.push(format!("{label}{}{}", self.colon(), words.join(", ")));
            }
        }
        if !line.is_empty() {
            out.push_str(&format!("     {}\n", line.join(sep)));
        }
        if let Some(l) = link {
            out.push_str(&format!("     {l}\n"));
        }
    }

    fn syndication_and_terms(&self, out: &mut String, x: &Explanation) {
        if x.syndication.is_none() && x.terms.is_empty() {
            return;
        }
        out.push('\n');
        if let Some(s) = &x.syndication {
            let title = s
                .title
                .as_deref()
                .map(|t| format!("{}{}", self.colon(), quote(t, self.lang)))
                .unwrap_or_default();
            let words = match self.lang {
                Lang::Fr => format!(
                    "un même article repris par {} sources, compté comme un seul sujet{title}",
                    s.sources
                ),
                Lang::En => format!(
                    "one article carried by {} sources, counted as a single story{title}",
                    s.sources
                ),
            };
            self.field(out, self.t("reprise", "syndication"), &words);
        }
        if !x.terms.is_empty() {
            let terms = x
                .terms
                .iter()
                .map(|t| format!("{} ({})", t.name, t.count))
                .collect::<Vec<_>>()
                .join(", ");
            self.field(out, self.t("termes dominants", "driving terms"), &terms);
        }
    }

    fn critical(&self) -> impl Iterator<Item = &CriticalMention> {
        self.decisions.iter().filter_map(|d| match d {
            Decision::CriticalMention(c) => Some(c),
            _ => None,
        })
    }

    fn critical_mentions(&self, out: &mut String) {
        let mut critical: Vec<&CriticalMention> = self.critical().collect();
        if critical.is_empty() {
            return;
        }
        out.push_str(&format!(
            "\n{}\n",
            self.t("Mentions critiques", "Critical mentions")
        ));
        // The most telling first: the most negative.
        critical.sort_by(|a, b| a.score.total_cmp(&b.score).then(a.at.cmp(&b.at)));
        for (i, c) in critical.iter().take(SHOWN_CRITICAL).enumerate() {
            let mut details = Vec::new();
            // Attached to a bad buzz, a critical mention says which rule it matched.
            if self.row.rule.as_deref() != Some(c.rule.as_str()) {
                details.push(format!("{} {}", self.t("règle", "rule"), c.rule));
            }
            details.push(moment(c.at, self.lang));
            details.push(format!("score {}", self.n(f64::from(c.score), 2)));
            if c.suppressed.is_some() {
                details.push(self.t("non notifiée", "not mailed").to_owned());
            }
            self.mention_lines(
                out,
                i + 1,
                c.title.as_deref().unwrap_or(&c.mention),
                &c.source,
                c.author.as_deref(),
                &details,
                &[
                    (self.t("termes de la règle", "rule terms"), &c.matched),
                    (
                        self.t("termes négatifs", "negative terms"),
                        &c.sentiment_terms,
                    ),
                ],
                c.link.as_deref(),
            );
        }
        if critical.len() > SHOWN_CRITICAL {
            let more = (critical.len() - SHOWN_CRITICAL) as u32;
            out.push_str(&format!(
                "  … {}\n",
                match self.lang {
                    Lang::Fr => format!(
                        "et {} (voir la chronologie)",
                        plural(more, "autre", Lang::Fr)
                    ),
                    Lang::En => format!("and {more} more (see the timeline)"),
                }
            ));
        }
    }

    fn timeline(&self, out: &mut String) {
        out.push_str(&format!("\n{}\n", self.t("Chronologie", "Timeline")));
        let kinds: Vec<String> = self
            .events
            .iter()
            .map(|e| self.kind_words(&e.kind))
            .collect();
        let width = kinds.iter().map(|k| k.chars().count()).max().unwrap_or(0);
        for (e, kind) in self.events.iter().zip(&kinds) {
            let text = if self.lang == Lang::Fr {
                &e.text_fr
            } else {
                &e.text_en
            };
            let mailed = if e.notify {
                self.t("mail", "mailed")
            } else {
                self.t("sans mail", "not mailed")
            };
            let mut line = first_line(text).to_owned();
            if let Some(by) = e.by.as_deref().filter(|by| !line.contains(by)) {
                line.push_str(&format!(" ({} {by})", self.t("par", "by")));
            }
            out.push_str(&format!(
                "  {}  {kind:<width$}  {:<8}  {mailed:<10}  {line}\n",
                self.time(e.at),
                self.severity_words(&e.severity),
            ));
            // The figures of that moment, when the event carried them.
            if let Some(figures) = text.lines().nth(1) {
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
) -> anyhow::Result<ExitCode> {
    let Some((_config, mut store)) = open_for_write(place)? else {
        return Ok(ExitCode::from(1));
    };
    let by = who(by);
    let note = note.filter(|n| !n.trim().is_empty());
    let now = Utc::now();
    let Some(row) = store.incident(id)? else {
        error(format_args!(
            "no incident {id} (see `veille incidents` for their ids)"
        ));
        return Ok(ExitCode::from(1));
    };
    if !store.acknowledge(id, &by, note.as_deref(), now)? {
        error(format_args!(
            "no incident {id} (see `veille incidents` for their ids)"
        ));
        return Ok(ExitCode::from(1));
    }
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "Incident {id} ({}, {}) acknowledged by {by} at {} UTC{}.",
        row.kind,
        target(row.watch.as_deref(), row.rule.as_deref()),
        when(now),
        note.map(|n| format!(", note: \"{n}\"")).unwrap_or_default()
    )?;
    if row.resolved_at.is_none() {
        writeln!(
            out,
            "It stays open and its alerts are still mailed; `veille silence add` stops the mail."
        )?;
    }
    Ok(ExitCode::SUCCESS)
}

/// `veille alerts`.
///
/// # Errors
/// When the database cannot be read, or standard output is closed.
pub fn alerts(place: Place<'_>, args: AlertsArgs) -> anyhow::Result<ExitCode> {
    let Some((_config, store)) = open_read_only(place)? else {
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
    if rows.is_empty() {
        writeln!(out, "Aucune alerte.")?;
        out.flush()?;
        return Ok(ExitCode::SUCCESS);
    }
    let (targets, width) =
        target_column(rows.iter().map(|r| (r.watch.as_deref(), r.rule.as_deref())));
    writeln!(
        out,
        "{:>4}  {:<16}  {:<8}  {:<16}  {:>8}  {:<width$}  {:<4}  TEXT",
        "ID", "AT", "SEVERITY", "KIND", "INCIDENT", "WATCH/RULE", "MAIL"
    )?;
    for (row, t) in rows.iter().zip(&targets) {
        writeln!(
            out,
            "{:>4}  {:<16}  {:<8}  {:<16}  {:>8}  {:<width$}  {:<4}  {}",
            row.id,
            when(row.at),
            row.severity,
            row.kind,
            row.incident
                .map_or_else(|| "—".to_owned(), |i| i.to_string()),
            t,
            if row.notify { "yes" } else { "no" },
            excerpt(first_line(&row.text_fr), 100)
        )?;
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

fn silence_add(
    place: Place<'_>,
    (kind, id): (&'static str, String),
    duration: &str,
    reason: &str,
    by: Option<String>,
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
    // A silence for an id no rule file knows would silence nothing: most likely a typo.
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
    let now = Utc::now();
    let Some(until) = now.checked_add_signed(delta) else {
        error(format_args!("--for {duration}: too long"));
        return Ok(ExitCode::from(2));
    };
    let by = who(by);
    let silence = store.add_silence(kind, &id, until, reason, Some(&by), now)?;
    writeln!(
        std::io::stdout(),
        "Silence {silence}: {kind} {id} silenced until {} UTC ({length}), by {by}: \"{reason}\". Its alerts are recorded, not mailed; `veille silence remove {silence}` ends it.",
        when(until)
    )?;
    Ok(ExitCode::SUCCESS)
}

fn silence_list(place: Place<'_>, json: bool) -> anyhow::Result<ExitCode> {
    let Some((_config, store)) = open_read_only(place)? else {
        return Ok(ExitCode::from(1));
    };
    let rows = store.silences(Utc::now())?;
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    if json {
        for row in &rows {
            serde_json::to_writer(&mut out, row)?;
            writeln!(out)?;
        }
    } else if rows.is_empty() {
        writeln!(out, "Aucun silence en cours.")?;
    } else {
        let targets: Vec<String> = rows
            .iter()
            .map(|r| format!("{} {}", r.target_kind, r.target))
            .collect();
        let width = targets
            .iter()
            .map(|t| t.chars().count())
            .max()
            .unwrap_or(0)
            .max("TARGET".len());
        writeln!(
            out,
            "{:>4}  {:<width$}  {:<16}  {:<12}  REASON",
            "ID", "TARGET", "UNTIL", "BY"
        )?;
        for (row, t) in rows.iter().zip(&targets) {
            writeln!(
                out,
                "{:>4}  {:<width$}  {:<16}  {:<12}  {}",
                row.id,
                t,
                when(row.until),
                row.created_by.as_deref().unwrap_or("—"),
                row.reason
            )?;
        }
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

fn silence_remove(place: Place<'_>, id: i64) -> anyhow::Result<ExitCode> {
    let Some((_config, mut store)) = open_for_write(place)? else {
        return Ok(ExitCode::from(1));
    };
    let now = Utc::now();
    let silence = store.silences(now)?.into_iter().find(|s| s.id == id);
    if !store.remove_silence(id, now)? {
        error(format_args!(
            "no silence {id} in force (see `veille silence list`)"
        ));
        return Ok(ExitCode::from(1));
    }
    let what = silence
        .map(|s| format!(": {} {} alerts are mailed again", s.target_kind, s.target))
        .unwrap_or_default();
    writeln!(std::io::stdout(), "Silence {id} removed{what}.")?;
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

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
        r.explanation = serde_json::to_string(&x).ok();
        let events = [EventRow {
            at: r.opened_at,
            kind: "opened".into(),
            severity: "warning".into(),
            notify: true,
            text_fr: format!("Bad buzz détecté sur « acme ».\n{}", x.summary_fr()),
            text_en: "Bad buzz detected on “acme”.".into(),
            by: None,
        }];
        let layout = |lang| {
            Layout {
                lang,
                row: &r,
                status: "open",
                rule_name: None,
                explanation: Some(&x),
                decisions: &[],
                events: &events,
            }
            .render()
        };
        let fr = layout(Lang::Fr);
        for expected in [
            "Incident 1 — bad buzz, alerte, en cours\n",
            "\nCe qui s'est passé\n  Bad buzz détecté sur « acme ».\n",
            "nombre            7 sujets négatifs distincts (9 mentions négatives)\n",
            "habituellement    médiane 1, MAD 0,5 (à la même heure, 14 échantillons)\n",
            "part négative     100\u{a0}% (habituellement 20\u{a0}%)\n",
            "\nMentions marquantes\n  1. «\u{a0}title n5\u{a0}» — forum1, user5\n",
            "score -0,80\u{a0}; parmi les plus négatives\u{a0}; termes\u{a0}: scandale\n",
            "repris par 3 sources",
            "reprise           un même article repris par 3 sources",
            "termes dominants  scandale (6)",
            "\nChronologie\n",
            "alerte    mail        Bad buzz détecté sur « acme ».\n      7 sujets",
        ] {
            assert!(fr.contains(expected), "{expected:?} not in:\n{fr}");
        }
        let en = layout(Lang::En);
        assert!(
            en.contains("\nFigures (window from 02 Mar 17:00 UTC, 1 h)\n"),
            "{en}"
        );
        assert!(en.contains("\nTimeline\n"), "{en}");
        assert!(en.contains("negative share    100% (usually 20%)"), "{en}");
    }

    #[test]
    fn target_joins_what_is_set() {
        assert_eq!(target(Some("w"), Some("r")), "w/r");
        assert_eq!(target(None, Some("r")), "r");
        assert_eq!(target(None, None), "—");
    }
}
