//! The daemon's status file: a few hundred bytes beside the database that say whether the daemon runs and
//! whether the database lets it write.
//!
//! In: the daemon's state, written by the daemon on every change (start, fault, recovery, stop). Out: the
//! same state read by `veille status`, which cannot learn a write fault from the database itself — the
//! fault is precisely that nothing reaches the database.
//!
//! Why a file and not the database or the metrics endpoint: while the disk is full or another connection
//! holds the lock, no row can be updated; the metrics endpoint is optional and off by default. The file is
//! given its full size ([`SIZE`] bytes) when the daemon starts, while there is room, and every later update
//! overwrites those same bytes in place, which needs no new space on ordinary file systems (ext4, xfs,
//! tmpfs; a copy-on-write file system such as btrfs may still refuse, and `veille status` then shows the
//! last state written). A record is JSON padded with spaces; a reader that meets a record being rewritten
//! reads it again. A first start on a disk already full cannot give the file its size: the fault then shows
//! in `STATUS=`, the logs and the metrics only, until there is room.

use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt as _;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::StoreFault;

/// The file's fixed size in bytes: every record is padded (or its detail cut) to it.
pub const SIZE: usize = 1024;

/// What the daemon is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DaemonPhase {
    /// Waiting for the database to open (a fault at start), before it polls anything.
    Starting,
    /// Polling sources.
    Running,
    /// Stopped cleanly.
    Stopped,
}

/// One record of the status file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DaemonStatus {
    pub pid: u32,
    pub phase: DaemonPhase,
    /// The fault that keeps the daemon from writing, if any.
    pub fault: Option<StoreFault>,
    /// Since when the fault lasts.
    pub fault_since: Option<DateTime<Utc>>,
    /// The database's own words for the last failure (cut to fit).
    pub detail: Option<String>,
    pub updated: DateTime<Utc>,
    /// The console's state when it was written (`None` without `[web]`).
    #[serde(default)]
    pub web: Option<crate::metrics::WebState>,
}

/// The status file of the database at `database`: `<database>-daemon`, beside SQLite's `-wal` and `-shm`.
pub fn path_for(database: &Path) -> PathBuf {
    let mut name = database.as_os_str().to_owned();
    name.push("-daemon");
    PathBuf::from(name)
}

/// The status file, open for the daemon's updates.
pub struct StatusFile {
    file: File,
}

impl StatusFile {
    /// Opens (creating if needed) the status file of `database` and gives it its full size now.
    ///
    /// # Errors
    /// When the file cannot be created or its space cannot be claimed (a disk already full on a first
    /// start, a directory the daemon may not write).
    pub fn open(database: &Path) -> io::Result<StatusFile> {
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path_for(database))?;
        if file.metadata()?.len() < SIZE as u64 {
            // Real bytes, not a hole (`set_len` would leave one, and filling a hole needs space later).
            file.write_all_at(&[b' '; SIZE], 0)?;
        }
        Ok(StatusFile { file })
    }

    /// Overwrites the record in place.
    ///
    /// # Errors
    /// When the write fails.
    pub fn write(&self, status: &DaemonStatus) -> io::Result<()> {
        let mut status = status.clone();
        let mut json = serde_json::to_vec(&status).map_err(io::Error::other)?;
        while json.len() > SIZE {
            // Only the detail can be long: cut it until the record fits.
            let detail = status.detail.take().unwrap_or_default();
            let keep = detail.len().saturating_sub(json.len() - SIZE + 4);
            let mut cut = keep;
            while !detail.is_char_boundary(cut) {
                cut -= 1;
            }
            status.detail = (cut > 0).then(|| format!("{}…", &detail[..cut]));
            json = serde_json::to_vec(&status).map_err(io::Error::other)?;
        }
        json.resize(SIZE, b' ');
        self.file.write_all_at(&json, 0)
    }
}

/// The last record the daemon wrote beside `database`; `None` when there is no file (no daemon ever ran
/// there) or it cannot be read.
pub fn read(database: &Path) -> Option<DaemonStatus> {
    let path = path_for(database);
    // A record read while the daemon rewrites it may be torn: read again a few times.
    for _ in 0..5 {
        let bytes = std::fs::read(&path).ok()?;
        if let Ok(status) = serde_json::from_slice::<DaemonStatus>(&bytes) {
            return Some(status);
        }
        std::thread::yield_now();
    }
    None
}

/// Whether process `pid` exists on this machine (`true` when it cannot be told, e.g. without `/proc`).
pub fn process_alive(pid: u32) -> bool {
    let proc = Path::new("/proc");
    !proc.join("self").exists() || proc.join(pid.to_string()).exists()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(detail: Option<String>) -> DaemonStatus {
        DaemonStatus {
            pid: 42,
            phase: DaemonPhase::Running,
            fault: Some(StoreFault::DiskFull),
            fault_since: DateTime::from_timestamp(1_700_000_000, 0),
            detail,
            web: None,
            updated: DateTime::from_timestamp(1_700_000_100, 0).unwrap(),
        }
    }

    #[test]
    fn a_record_reads_back_and_keeps_the_file_size() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("v.db");
        let file = StatusFile::open(&db).unwrap();
        let s = status(Some("database or disk is full".into()));
        file.write(&s).unwrap();
        assert_eq!(read(&db), Some(s));
        let mut cleared = status(None);
        cleared.fault = None;
        file.write(&cleared).unwrap();
        assert_eq!(read(&db), Some(cleared), "a shorter record leaves no tail");
        let len = std::fs::metadata(path_for(&db)).unwrap().len();
        assert_eq!(len, SIZE as u64);
    }

    #[test]
    fn a_long_detail_is_cut_to_fit() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("v.db");
        let file = StatusFile::open(&db).unwrap();
        file.write(&status(Some("é".repeat(3000)))).unwrap();
        let back = read(&db).unwrap();
        let detail = back.detail.unwrap();
        assert!(detail.ends_with('…') && detail.len() < SIZE, "{detail}");
        assert_eq!(std::fs::metadata(path_for(&db)).unwrap().len(), SIZE as u64);
    }

    #[test]
    fn no_file_reads_as_none_and_this_process_is_alive() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(read(&dir.path().join("v.db")), None);
        assert!(process_alive(std::process::id()));
        assert!(!process_alive(u32::MAX));
    }
}
