//! The systemd unit and the packaged configuration agree with the code: the commands the unit runs parse
//! with the real command line, the stop timeout leaves room for the daemon's stop deadline, the paths the
//! configuration uses are the directories systemd creates, and the packaged configuration is valid.
//!
//! `systemd-analyze verify` and `security` (in `.ci/run`) check the unit against systemd; these tests check
//! it against veille, so that a renamed command or a longer stop deadline cannot leave the unit behind.

use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

use clap::Parser as _;
use veille::cli::{Cli, Command};
use veille::config::{Config, DEFAULT_PATH};
use veille::daemon::STOP_DEADLINE;

const UNIT: &str = include_str!("../systemd/veille.service");
const PACKAGED_CONFIG: &str = include_str!("../packaging/veille.toml");

/// `[Service]` settings of the unit: every value of each key, in order (systemd allows repeated keys).
fn service_settings() -> HashMap<String, Vec<String>> {
    let mut settings: HashMap<String, Vec<String>> = HashMap::new();
    let mut in_service = false;
    for line in UNIT.lines().map(str::trim) {
        if line.starts_with('[') {
            in_service = line == "[Service]";
            continue;
        }
        if !in_service || line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (key, value) = line.split_once('=').expect("a key=value line");
        settings
            .entry(key.to_owned())
            .or_default()
            .push(value.to_owned());
    }
    settings
}

fn one(settings: &HashMap<String, Vec<String>>, key: &str) -> String {
    match settings.get(key).map(Vec::as_slice) {
        Some([value]) => value.clone(),
        other => panic!("{key} should be set once in [Service], found {other:?}"),
    }
}

/// A systemd time span as the unit writes it: "20s", "1min", "90".
fn seconds(span: &str) -> Duration {
    let (number, unit) = span.split_at(
        span.find(|c: char| !c.is_ascii_digit())
            .unwrap_or(span.len()),
    );
    let n: u64 = number
        .parse()
        .unwrap_or_else(|_| panic!("bad time span {span:?}"));
    match unit {
        "" | "s" => Duration::from_secs(n),
        "min" => Duration::from_secs(n * 60),
        other => panic!("unexpected time unit {other:?} in {span:?}"),
    }
}

fn parse_command_line(line: &str) -> Cli {
    let words: Vec<&str> = line.split_whitespace().collect();
    assert_eq!(words[0], "/usr/bin/veille", "{line}");
    Cli::try_parse_from(&words).unwrap_or_else(|e| panic!("{line}: {e}"))
}

#[test]
fn the_unit_runs_commands_the_cli_accepts_on_the_default_configuration() {
    let s = service_settings();
    let start = parse_command_line(&one(&s, "ExecStart"));
    assert!(matches!(start.command, Command::Run { once: false, .. }));
    assert_eq!(start.config, Path::new(DEFAULT_PATH));

    let pre = parse_command_line(&one(&s, "ExecStartPre"));
    assert!(matches!(pre.command, Command::Check));
    assert_eq!(pre.config, Path::new(DEFAULT_PATH));

    assert_eq!(one(&s, "ExecReload"), "/bin/kill -HUP $MAINPID");
}

#[test]
fn the_unit_speaks_the_notify_protocol_and_waits_for_the_stop_deadline() {
    let s = service_settings();
    assert_eq!(one(&s, "Type"), "notify");
    assert_eq!(one(&s, "NotifyAccess"), "main");
    assert_eq!(one(&s, "Restart"), "on-failure");
    let stop = seconds(&one(&s, "TimeoutStopSec"));
    assert!(
        stop >= STOP_DEADLINE + Duration::from_secs(5),
        "TimeoutStopSec={stop:?} leaves too little room after the daemon's {STOP_DEADLINE:?} stop deadline"
    );
    // The daemon pings at half the interval: a few seconds at least, or a busy machine trips it.
    let watchdog = seconds(&one(&s, "WatchdogSec"));
    assert!(
        watchdog >= Duration::from_secs(30),
        "WatchdogSec={watchdog:?}"
    );
}

#[test]
fn the_packaged_configuration_is_valid_and_uses_the_directories_systemd_creates() {
    let s = service_settings();
    let state = one(&s, "StateDirectory");
    let configuration = one(&s, "ConfigurationDirectory");

    let config = Config::from_text(Path::new(DEFAULT_PATH), PACKAGED_CONFIG)
        .unwrap_or_else(|e| panic!("packaging/veille.toml is invalid:\n{e}"));
    assert_eq!(config.path, Path::new(DEFAULT_PATH));
    assert_eq!(
        config.database.parent(),
        Some(Path::new("/var/lib").join(&state).as_path()),
        "the database must live in StateDirectory={state}, the only place the service may write"
    );
    assert!(
        config
            .rules
            .starts_with(Path::new("/etc").join(&configuration)),
        "rules {} outside ConfigurationDirectory={configuration}",
        config.rules.display()
    );
    assert!(
        !config.sources.is_empty(),
        "the example sources are missing"
    );
    assert!(
        config.sources.iter().all(|source| !source.enabled),
        "example sources must stay disabled until the administrator adapts them"
    );
}

#[test]
fn the_smtp_password_is_a_credential_the_packaged_email_example_reads() {
    let s = service_settings();
    let credential = one(&s, "LoadCredential");
    let (name, source) = credential
        .split_once(':')
        .expect("LoadCredential=NAME:PATH");
    // Under systemd veille finds a relative password_file in $CREDENTIALS_DIRECTORY; run by hand it looks
    // beside the configuration. Both must be the same file.
    assert_eq!(Path::new(source), Path::new("/etc/veille").join(name));
    assert!(
        PACKAGED_CONFIG.contains(&format!("# password_file = \"{name}\"")),
        "packaging/veille.toml should show password_file = \"{name}\""
    );
    // LoadCredential= fails the start when its file is missing: the package creates it.
    let postinst = include_str!("../packaging/debian/postinst");
    assert!(
        postinst.contains(&format!(
            "install -m 0600 -o root -g root /dev/null {source}"
        )),
        "postinst should create {source}"
    );
    // Secrets come in as credentials, never through the unit's environment.
    for value in s.get("Environment").into_iter().flatten() {
        let lower = value.to_lowercase();
        assert!(
            !["password", "secret", "token", "key="]
                .iter()
                .any(|word| lower.contains(word)),
            "Environment={value}"
        );
    }
}

#[test]
fn the_commented_email_example_is_valid_once_uncommented() {
    let mut lines = PACKAGED_CONFIG
        .lines()
        .skip_while(|l| *l != "# [email]")
        .take_while(|l| l.starts_with('#'));
    let mut example = String::new();
    for line in lines.by_ref() {
        example.push_str(line.trim_start_matches('#').trim_start());
        example.push('\n');
    }
    assert!(
        example.starts_with("[email]\n"),
        "no commented [email] table:\n{example}"
    );
    // After the [[source]] tables, where a new table header is valid TOML.
    let text = format!("{PACKAGED_CONFIG}\n{example}");
    let config = Config::from_text(Path::new(DEFAULT_PATH), &text)
        .unwrap_or_else(|e| panic!("the [email] example is invalid:\n{e}\n{example}"));
    assert!(config.email.is_some());
}
