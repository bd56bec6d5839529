//! veille keeps watch over what is said about a brand: it polls feeds, turns every new item into a mention,
//! analyses it, detects bad buzz and tells the communications team.
//!
//! # Layout
//!
//! The modules follow the pipeline: schedule → fetch → parse → analyse → store + detect → notify, with the
//! read side and the faces beside it.
//!
//! - [`model`]: the shared nouns (`Mention`, `Analysis`, `Severity`, `Interval`, `WatchSettings`, …);
//!   depends on nothing else.
//! - [`config`]: the daemon's TOML configuration and its validation (`veille check`).
//! - [`sources`]: when a source is due, fetching it over HTTP or from disk, parsing feeds into mentions, and
//!   each service a source can be (its kind: requests, JSON, cursor, politeness).
//! - [`analysis`]: pure text work: cleaning, folding, language, sentiment, rule matching.
//! - [`detect`]: pure bad-buzz detection: bucket counts, robust seasonal baselines, incidents, the facts
//!   that explain them.
//! - [`pipeline`]: the running stages: one poll of one source, the detection stage inside the writer's
//!   transaction, and replay (the same stages with the items' own time as the clock).
//! - [`store`]: the SQLite database: schema, migrations, every SQL statement, the single writer.
//! - [`views`]: the read side: the queries and view models every face renders (an incident, the
//!   service's state).
//! - [`i18n`]: every sentence a person reads, per language (Fluent message files), and [`i18n::Voice`]:
//!   a language and a clock, through which every face speaks.
//! - [`notify`]: the outbox workers (email; chat channels and signed webhooks), their templates and
//!   payloads (fr, en), throttle, quiet hours, digests and summaries.
//! - [`metrics`]: the daemon's counters and the optional Prometheus endpoint.
//! - [`web`]: the console: the web pages the communications team works a crisis in (sign-in, sessions,
//!   overview, incidents and their actions, mentions search and CSV, sources, rules).
//! - [`daemon`]: the running service: its scheduler (a due-time queue with admission), tasks, signals,
//!   readiness, shutdown.
//! - [`cli`]: the commands a person types.

pub mod analysis;
pub mod cli;
pub mod config;
pub mod daemon;
pub mod detect;
pub mod i18n;
pub mod metrics;
pub mod model;
pub mod notify;
pub mod pipeline;
pub mod sources;
pub mod store;
pub mod views;
pub mod web;
