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
    /// The manual pages: `veille.1`, and `veille-COMMAND.1` for each command (and nested command).
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
    let mut page = Vec::new();
    clap_mangen::Man::new(cmd.clone())
        .manual("veille")
        .render(&mut page)?;
    let page = String::from_utf8(page).context("the manual page is not UTF-8")?;
    // The sections a person running the service looks for, before VERSION where man pages keep them.
    let page = match page.find("\n.SH VERSION") {
        Some(at) => format!("{}\n{}{}", &page[..at], service_sections(), &page[at + 1..]),
        None => format!("{page}{}", service_sections()),
    };
    let path = dir.join("veille.1");
    std::fs::write(&path, page).with_context(|| format!("cannot write {}", path.display()))?;
    written.push(path);
    command_pages(&cmd, dir, &mut written)?;
    Ok(written)
}

/// `veille-COMMAND.1` for every visible command, and `veille-COMMAND-SUB.1` for nested ones (which the
/// parent page lists), depth first.
fn command_pages(
    parent: &clap::Command,
    dir: &Path,
    written: &mut Vec<PathBuf>,
) -> anyhow::Result<()> {
    for sub in parent.get_subcommands().filter(|s| !s.is_hide_set()) {
        let page = clap_mangen::Man::new(sub.clone()).manual("veille");
        written.push(
            page.generate_to(dir)
                .with_context(|| format!("cannot write a manual page in {}", dir.display()))?,
        );
        command_pages(sub, dir, written)?;
    }
    Ok(())
}

/// EXIT STATUS, SIGNALS, ENVIRONMENT, FILES and SEE ALSO of `veille.1`, in roff.
fn service_sections() -> String {
    let config = crate::config::DEFAULT_PATH.replace('-', "\\-");
    let deadline = crate::daemon::STOP_DEADLINE.as_secs();
    format!(
        r#".SH "EXIT STATUS"
.TP
\fB0\fR
Success. \fBrun \-\-once\fR exits 0 even when some sources failed.
.TP
\fB1\fR
The command could not do its job: invalid configuration or rules (every problem is listed with its file
and line), unreadable source, unusable database.
.TP
\fB2\fR
Usage error.
.SH SIGNALS
.TP
\fBSIGHUP\fR
\fBrun\fR reloads the configuration and rules through the same validation as \fBcheck\fR; when they are
invalid the running ones stay and every problem is logged (\fBsystemctl reload veille\fR).
.TP
\fBSIGTERM\fR, \fBSIGINT\fR
\fBrun\fR stops taking new work, lets the polls in flight commit, and exits within {deadline} seconds; what it
abandons is fetched again at the next start.
.SH ENVIRONMENT
.TP
\fBVEILLE_CONFIG\fR
The configuration file when \fB\-\-config\fR is not given.
.TP
\fBVEILLE_LOG\fR, \fBRUST_LOG\fR
What to log, in the tracing filter syntax (\fBdebug\fR, \fBveille=debug\fR); \fBinfo\fR for \fBrun\fR and
\fBwarn\fR for the other commands by default.
.TP
\fBJOURNAL_STREAM\fR
Set by systemd; logs then go to the journal with structured fields.
.TP
\fBNOTIFY_SOCKET\fR, \fBWATCHDOG_USEC\fR
Set by systemd; \fBrun\fR reports readiness, a status line and watchdog pings there.
.SH FILES
.TP
\fI{config}\fR
The configuration (TOML); relative paths in it start from its directory.
.TP
\fI/etc/veille/rules/*.toml\fR
The watch rules; examples in \fI/usr/share/doc/veille/examples/rules/\fR.
.TP
\fI/var/lib/veille/veille.db\fR
The SQLite database: sources' state, mentions, alerts and incidents.
.TP
\fI/etc/veille/smtp\-password\fR
The SMTP password, given to the service as the systemd credential \fBsmtp\-password\fR.
.TP
\fI/usr/lib/systemd/system/veille.service\fR
The service; local changes go in a drop\-in (\fBsystemctl edit veille\fR).
.SH "SEE ALSO"
\fBsystemctl\fR(1), \fBjournalctl\fR(1), \fBsystemd.exec\fR(5), \fI/usr/share/doc/veille/README.md\fR
"#
    )
}

fn completions(shell: Shell, dir: &Path) -> anyhow::Result<PathBuf> {
    create_dir(dir)?;
    let mut cmd = Cli::command();
    clap_complete::generate_to(shell, &mut cmd, "veille", dir)
        .with_context(|| format!("cannot write the {shell} completions in {}", dir.display()))
}
