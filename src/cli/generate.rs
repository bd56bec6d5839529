//! `veille generate`: the manual pages and shell completions, written from the command line's own
//! definition ([`Cli::command`]) so that they can never drift from what the binary accepts.
//!
//! In: what to write and a directory. Out: files in that directory, their paths on standard output. Called
//! when the package is built (`.ci/run`, the README's install section); hidden from `--help` because a person
//! running veille has no use for it.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;
use clap::{CommandFactory as _, Subcommand};
use clap_complete::Shell;

use super::Cli;

/// What `veille generate` writes.
#[derive(Debug, Subcommand)]
pub enum Artefact {
    /// The manual pages: `veille.1`, and `veille-COMMAND.1` for each command.
    Man {
        /// Directory to write into (created if missing).
        dir: PathBuf,
    },
    /// The completion script for one shell, under the file name that shell looks for
    /// (`veille.bash`, `_veille`, `veille.fish`…).
    Completions {
        shell: Shell,
        /// Directory to write into (created if missing).
        dir: PathBuf,
    },
}

/// Writes the requested files and prints their paths, one a line.
///
/// # Errors
/// When the directory cannot be created or a file cannot be written.
pub fn run(artefact: &Artefact) -> anyhow::Result<ExitCode> {
    let written = match artefact {
        Artefact::Man { dir } => man_pages(dir)?,
        Artefact::Completions { shell, dir } => vec![completions(*shell, dir)?],
    };
    for path in written {
        println!("{}", path.display());
    }
    Ok(ExitCode::SUCCESS)
}

fn create_dir(dir: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))
}

/// `veille.1` and one page per visible command; the date is left out so that a rebuild gives the same bytes.
fn man_pages(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    create_dir(dir)?;
    let mut cmd = Cli::command().disable_help_subcommand(true);
    cmd.build();
    let mut written = Vec::new();
    let top = clap_mangen::Man::new(cmd.clone()).manual("veille");
    written.push(
        top.generate_to(dir)
            .with_context(|| format!("cannot write the manual page in {}", dir.display()))?,
    );
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        let page = clap_mangen::Man::new(sub.clone()).manual("veille");
        written.push(
            page.generate_to(dir)
                .with_context(|| format!("cannot write a manual page in {}", dir.display()))?,
        );
    }
    Ok(written)
}

fn completions(shell: Shell, dir: &Path) -> anyhow::Result<PathBuf> {
    create_dir(dir)?;
    let mut cmd = Cli::command();
    clap_complete::generate_to(shell, &mut cmd, "veille", dir)
        .with_context(|| format!("cannot write the {shell} completions in {}", dir.display()))
}
