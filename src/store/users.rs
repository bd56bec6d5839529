//! The console's accounts and sessions: every SQL statement about people.
//!
//! In: names, roles and password hashes (hashing happens in `web::auth`, never here), hashed session ids.
//! Out: rows. The CLI (`veille users`) and the console's sign-in write through short transactions beside the
//! daemon's writer, as `veille incidents ack` does.

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension as _, params};

use super::{Result, Store, from_ts, ts};

/// An account as stored, without its password hash.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct UserRow {
    pub name: String,
    /// `lecteur`, `veilleur` or `admin`.
    pub role: String,
    /// The language the person chose, if any (`fr`, `en`).
    pub lang: Option<String>,
    pub created: DateTime<Utc>,
    pub updated: DateTime<Utc>,
}

/// A session in force, with its person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRow {
    pub user: String,
    pub role: String,
    pub lang: Option<String>,
    /// The token every state-changing form of this session carries.
    pub csrf: String,
    pub created: DateTime<Utc>,
    pub last_seen: DateTime<Utc>,
}

fn user_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<UserRow> {
    Ok(UserRow {
        name: r.get(0)?,
        role: r.get(1)?,
        lang: r.get(2)?,
        created: from_ts(r.get(3)?),
        updated: from_ts(r.get(4)?),
    })
}

impl Store {
    /// Adds an account; `false` when the name is taken.
    ///
    /// # Errors
    /// On SQLite failure (a role outside the three is refused by the schema).
    pub fn add_user(
        &mut self,
        name: &str,
        role: &str,
        hash: &str,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        self.conn
            .execute(
                "INSERT INTO user (name, role, password, created, updated) VALUES (?1, ?2, ?3, ?4, ?4)
                 ON CONFLICT (name) DO NOTHING",
                params![name, role, hash, ts(now)],
            )
            .map(|n| n > 0)
            .map_err(|e| self.err(e))
    }

    /// Replaces an account's password hash and ends its sessions; `false` when there is no such account.
    ///
    /// # Errors
    /// On SQLite failure.
    pub fn set_password_hash(
        &mut self,
        name: &str,
        hash: &str,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let path = self.path.clone();
        let err = |source| super::StoreError::Sqlite {
            path: path.clone(),
            source,
        };
        let tx = self.conn.transaction().map_err(err)?;
        let n = tx
            .execute(
                "UPDATE user SET password = ?2, updated = ?3 WHERE name = ?1",
                params![name, hash, ts(now)],
            )
            .map_err(err)?;
        // A changed password signs out everywhere: whoever knew the old one keeps nothing.
        tx.execute("DELETE FROM session WHERE user = ?1", [name])
            .map_err(err)?;
        tx.commit().map_err(err)?;
        Ok(n > 0)
    }

    /// Sets the language an account reads the console in (`None`: follow the browser).
    ///
    /// # Errors
    /// On SQLite failure.
    pub fn set_user_lang(&mut self, name: &str, lang: Option<&str>) -> Result<bool> {
        self.conn
            .execute(
                "UPDATE user SET lang = ?2 WHERE name = ?1",
                params![name, lang],
            )
            .map(|n| n > 0)
            .map_err(|e| self.err(e))
    }

    /// Changes an account's role; its sessions go on with the new role (sessions read the role from the
    /// account at every request). `false` when there is no such account.
    ///
    /// # Errors
    /// On SQLite failure (a role outside the three is refused by the schema).
    pub fn set_user_role(&mut self, name: &str, role: &str, now: DateTime<Utc>) -> Result<bool> {
        self.conn
            .execute(
                "UPDATE user SET role = ?2, updated = ?3 WHERE name = ?1",
                params![name, role, ts(now)],
            )
            .map(|n| n > 0)
            .map_err(|e| self.err(e))
    }

    /// Removes an account and its sessions; `false` when there is none.
    ///
    /// # Errors
    /// On SQLite failure.
    pub fn remove_user(&mut self, name: &str) -> Result<bool> {
        self.conn
            .execute("DELETE FROM session WHERE user = ?1", [name])
            .map_err(|e| self.err(e))?;
        self.conn
            .execute("DELETE FROM user WHERE name = ?1", [name])
            .map(|n| n > 0)
            .map_err(|e| self.err(e))
    }

    /// Every account, by name.
    ///
    /// # Errors
    /// On SQLite failure.
    pub fn users(&self) -> Result<Vec<UserRow>> {
        let mut stmt = self
            .conn
            .prepare("SELECT name, role, lang, created, updated FROM user ORDER BY name")
            .map_err(|e| self.err(e))?;
        let rows = stmt.query_map([], user_row).map_err(|e| self.err(e))?;
        rows.collect::<rusqlite::Result<Vec<_>>>()
            .map_err(|e| self.err(e))
    }

    /// An account and its password hash.
    ///
    /// # Errors
    /// On SQLite failure.
    pub fn user_with_hash(&self, name: &str) -> Result<Option<(UserRow, String)>> {
        self.conn
            .query_row(
                "SELECT name, role, lang, created, updated, password FROM user WHERE name = ?1",
                [name],
                |r| Ok((user_row(r)?, r.get(5)?)),
            )
            .optional()
            .map_err(|e| self.err(e))
    }

    /// Records a new session under the hash of its id.
    ///
    /// # Errors
    /// On SQLite failure.
    pub fn create_session(
        &mut self,
        id_hash: &str,
        user: &str,
        csrf: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        self.conn
            .execute(
                "INSERT INTO session (id_hash, user, csrf, created, last_seen) VALUES (?1, ?2, ?3, ?4, ?4)",
                params![id_hash, user, csrf, ts(now)],
            )
            .map(|_| ())
            .map_err(|e| self.err(e))
    }

    /// The session stored under `id_hash`, with its person.
    ///
    /// # Errors
    /// On SQLite failure.
    pub fn session(&self, id_hash: &str) -> Result<Option<SessionRow>> {
        self.conn
            .query_row(
                "SELECT s.user, u.role, u.lang, s.csrf, s.created, s.last_seen
                 FROM session s JOIN user u ON u.name = s.user WHERE s.id_hash = ?1",
                [id_hash],
                |r| {
                    Ok(SessionRow {
                        user: r.get(0)?,
                        role: r.get(1)?,
                        lang: r.get(2)?,
                        csrf: r.get(3)?,
                        created: from_ts(r.get(4)?),
                        last_seen: from_ts(r.get(5)?),
                    })
                },
            )
            .optional()
            .map_err(|e| self.err(e))
    }

    /// Marks a session used at `now`.
    ///
    /// # Errors
    /// On SQLite failure.
    pub fn touch_session(&mut self, id_hash: &str, now: DateTime<Utc>) -> Result<()> {
        self.conn
            .execute(
                "UPDATE session SET last_seen = ?2 WHERE id_hash = ?1",
                params![id_hash, ts(now)],
            )
            .map(|_| ())
            .map_err(|e| self.err(e))
    }

    /// Ends a session (logout, or expiry found on use).
    ///
    /// # Errors
    /// On SQLite failure.
    pub fn end_session(&mut self, id_hash: &str) -> Result<()> {
        self.conn
            .execute("DELETE FROM session WHERE id_hash = ?1", [id_hash])
            .map(|_| ())
            .map_err(|e| self.err(e))
    }

    /// Adds a person's note to an incident's timeline; `false` when there is no such incident.
    ///
    /// # Errors
    /// On SQLite failure.
    pub fn add_note(&mut self, id: i64, by: &str, note: &str, now: DateTime<Utc>) -> Result<bool> {
        super::incidents::person_event(&self.conn, id, "note", "note", by, Some(note), now)
            .map_err(|e| self.err(e))
    }

    /// Ends every session unused since `idle_before` or opened before `created_before`.
    ///
    /// # Errors
    /// On SQLite failure.
    pub fn prune_sessions(
        &mut self,
        idle_before: DateTime<Utc>,
        created_before: DateTime<Utc>,
    ) -> Result<usize> {
        self.conn
            .execute(
                "DELETE FROM session WHERE last_seen < ?1 OR created < ?2",
                params![ts(idle_before), ts(created_before)],
            )
            .map_err(|e| self.err(e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(&dir.path().join("v.db")).unwrap();
        (dir, s)
    }

    #[test]
    fn accounts_and_sessions_round_trip() {
        let (_d, mut s) = store();
        let now = from_ts(1_700_000_000);
        assert!(s.add_user("ana", "veilleur", "$argon2id$x", now).unwrap());
        assert!(!s.add_user("ana", "admin", "$argon2id$y", now).unwrap());
        assert!(
            s.add_user("bob", "chef", "h", now).is_err(),
            "unknown role refused"
        );
        s.create_session("h1", "ana", "tok", now).unwrap();
        let sess = s.session("h1").unwrap().unwrap();
        assert_eq!(
            (sess.user.as_str(), sess.role.as_str()),
            ("ana", "veilleur")
        );
        assert_eq!(s.user_with_hash("ana").unwrap().unwrap().1, "$argon2id$x");
        // A new password ends the sessions opened with the old one.
        assert!(s.set_password_hash("ana", "$argon2id$z", now).unwrap());
        assert!(s.session("h1").unwrap().is_none());
        s.create_session("h2", "ana", "tok", now).unwrap();
        assert!(s.remove_user("ana").unwrap());
        assert!(s.session("h2").unwrap().is_none());
        assert!(s.users().unwrap().is_empty());
    }

    #[test]
    fn prune_ends_idle_and_old_sessions() {
        let (_d, mut s) = store();
        let t0 = from_ts(1_700_000_000);
        s.add_user("ana", "lecteur", "h", t0).unwrap();
        s.create_session("old", "ana", "c", t0).unwrap();
        s.create_session("new", "ana", "c", t0 + chrono::Duration::hours(2))
            .unwrap();
        let n = s
            .prune_sessions(
                t0 + chrono::Duration::hours(1),
                t0 - chrono::Duration::days(1),
            )
            .unwrap();
        assert_eq!(n, 1);
        assert!(s.session("new").unwrap().is_some());
    }
}
