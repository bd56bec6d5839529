//! The commands a person types. Each command parses its arguments, calls the library and prints; no
//! business logic lives here. `main.rs` only calls [`main`].

use std::process::ExitCode;

use clap::{Parser, Subcommand};

pub mod rules;

/// veille: keeps watch over what is said about your brand and warns you of bad buzz.
#[derive(Debug, Parser)]
#[command(name = "veille", version, about, long_about = None)]
pub struct Cli {
    /// Configuration file.
    #[arg(long, global = true, env = "VEILLE_CONFIG", default_value = "/etc/veille/veille.toml")]
    pub config: std::path::PathBuf,

    /// Log format: `text` (default on a terminal), `json`, or `journald` (default under systemd).
    #[arg(long, global = true, value_name = "FORMAT")]
    pub log_format: Option<String>,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Validate the watch rules, or test them on a text.
    Rules(rules::RulesArgs),
}

/// Runs the command line and returns the process exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Rules(args) => rules::run(args),
    }
}
