//! `veille users`: the console's local accounts (add, passwd, list, remove).
//!
//! Passwords come on standard input (`--password-stdin`, one line), never as an argument a process list
//! would show; they are hashed with argon2id by [`crate::web::auth`] and never printed or logged.

use std::io::{BufRead as _, Write as _};
use std::path::Path;
use std::process::ExitCode;

use anyhow::Context as _;
use chrono::Utc;

use super::{load_config, voice};
use crate::store::Store;
use crate::web::auth::{Role, password_hash};

#[derive(Debug, clap::Args)]
pub struct UsersArgs {
    #[command(subcommand)]
    action: UsersAction,
}

#[derive(Debug, clap::Subcommand)]
enum UsersAction {
    /// Adds an account.
    Add {
        name: String,
        /// lecteur reads; veilleur also acts on incidents; admin also manages accounts.
        #[arg(long, value_enum)]
        role: Role,
        /// Read the password from standard input (one line).
        #[arg(long)]
        password_stdin: bool,
    },
    /// Changes an account's password (its sessions end).
    Passwd {
        name: String,
        #[arg(long)]
        password_stdin: bool,
    },
    /// Lists the accounts.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Removes an account (its sessions end).
    Remove { name: String },
}

/// Runs `veille users …`.
///
/// # Errors
/// An unreadable password or an unusable database.
pub fn run(config_path: &Path, args: UsersArgs) -> anyhow::Result<ExitCode> {
    let Some(config) = load_config(super::Place {
        config: config_path,
        db: None,
    }) else {
        return Ok(ExitCode::from(1));
    };
    let v = voice(&config, None);
    let mut store = Store::open(&config.database).context("cannot open the database")?;
    let mut out = std::io::stdout().lock();
    let now = Utc::now();
    match args.action {
        UsersAction::Add {
            name,
            role,
            password_stdin,
        } => {
            check_name(&name)?;
            let hash = password_hash(&read_password(password_stdin)?)?;
            if !store.add_user(&name, role.as_str(), &hash, now)? {
                anyhow::bail!(
                    "an account named {name:?} already exists; use `veille users passwd`"
                );
            }
            writeln!(
                out,
                "{}",
                v.say(
                    "users-added",
                    &[
                        ("name", name.as_str().into()),
                        ("role", role.as_str().into())
                    ]
                )
            )?;
        }
        UsersAction::Passwd {
            name,
            password_stdin,
        } => {
            let hash = password_hash(&read_password(password_stdin)?)?;
            if !store.set_password_hash(&name, &hash, now)? {
                anyhow::bail!("no account named {name:?}; see `veille users list`");
            }
            writeln!(
                out,
                "{}",
                v.say("users-passwd", &[("name", name.as_str().into())])
            )?;
        }
        UsersAction::List { json } => {
            let users = store.users()?;
            if json {
                serde_json::to_writer(&mut out, &users)?;
                writeln!(out)?;
            } else if users.is_empty() {
                writeln!(out, "{}", v.word("users-none"))?;
            } else {
                for u in users {
                    writeln!(out, "{}\t{}\t{}", u.name, u.role, v.time(u.created))?;
                }
            }
        }
        UsersAction::Remove { name } => {
            if !store.remove_user(&name)? {
                anyhow::bail!("no account named {name:?}; see `veille users list`");
            }
            writeln!(
                out,
                "{}",
                v.say("users-removed", &[("name", name.as_str().into())])
            )?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn check_name(name: &str) -> anyhow::Result<()> {
    anyhow::ensure!(
        crate::web::auth::valid_account_name(name),
        "account name {name:?}: use 1 to 64 letters, digits, '.', '-', '_' or '@'"
    );
    Ok(())
}

fn read_password(stdin: bool) -> anyhow::Result<String> {
    anyhow::ensure!(
        stdin,
        "give the password on standard input with --password-stdin (e.g. `printf '%s\\n' \"$PW\" | veille users add …`)"
    );
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("cannot read the password from standard input")?;
    Ok(line.trim_end_matches(['\r', '\n']).to_owned())
}
