//! `file://` sources through the real binary: regular files only, within `max_body_bytes`; a device, a FIFO
//! or a directory is that source's error, named with its path, and never stops the run.
//!
//! Guards issue 16, item 7: `file:///dev/zero` grew the memory until it ran out (`max_body_bytes` was
//! checked against the size the file system gave, 0 for a device) and a FIFO made the poll wait forever.

mod common;

use std::ffi::CString;
use std::os::unix::ffi::OsStrExt as _;
use std::path::Path;
use std::time::Duration;

use common::daemon::wait_exit;
use common::{fixture, stderr, stdout, veille, write_config};
use veille::store::Store;

/// Runs `run --once` on a configuration with one source, `test`, at `url`; returns the summary and the
/// source's last error. A run that has not ended after a minute is a hang: it is killed and the test fails.
fn run_once(dir: &Path, url: &str, http: &str) -> (String, Option<String>) {
    let config = write_config(
        dir,
        &format!("[http]\n{http}\n[[source]]\nname = \"test\"\nurl = \"{url}\"\n"),
    );
    let mut child = veille()
        .args(["run", "--once", "--config", config.to_str().unwrap()])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    if wait_exit(&mut child, Duration::from_secs(60)).is_none() {
        let _ = child.kill();
        panic!("run --once on {url} did not end");
    }
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let error = Store::open_read_only(&dir.join("veille.db"))
        .unwrap()
        .source_state("test")
        .unwrap()
        .expect("source state")
        .last_error;
    (stdout(&out), error)
}

#[test]
fn dev_zero_is_refused_as_a_device() {
    let dir = tempfile::tempdir().unwrap();
    let (summary, error) = run_once(dir.path(), "file:///dev/zero", "");
    assert!(summary.contains("0 sources ok, 1 failed"), "{summary}");
    assert_eq!(
        error.as_deref(),
        Some(
            "cannot read /dev/zero: it is a device, not a regular file; a file source must be a regular file"
        )
    );
    let out = common::run(&["fetch", "--config", "/nonexistent/veille.toml", "/dev/zero"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("it is a device"), "{}", stderr(&out));
}

#[test]
fn a_fifo_is_refused_without_waiting_for_a_writer() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("feed.fifo");
    let c = CString::new(fifo.as_os_str().as_bytes()).unwrap();
    // SAFETY: `c` is a valid NUL-terminated path that outlives the call.
    let rc = unsafe { libc::mkfifo(c.as_ptr(), 0o600) };
    assert_eq!(rc, 0, "mkfifo: {}", std::io::Error::last_os_error());
    let (summary, error) = run_once(dir.path(), "feed.fifo", "");
    assert!(summary.contains("1 failed"), "{summary}");
    let error = error.unwrap();
    assert!(
        error.starts_with(&format!("cannot read {}: it is a FIFO", fifo.display())),
        "{error}"
    );
}

#[test]
fn a_directory_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("feeds")).unwrap();
    let (summary, error) = run_once(dir.path(), "feeds", "");
    assert!(summary.contains("1 failed"), "{summary}");
    let error = error.unwrap();
    assert!(error.contains("feeds: it is a directory"), "{error}");
}

#[test]
fn a_file_over_the_limit_is_refused_and_one_within_it_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let feed = std::fs::read(fixture("feeds/rss2.xml")).unwrap();
    std::fs::write(dir.path().join("feed.xml"), &feed).unwrap();
    let limit = feed.len() - 1;
    let (summary, error) = run_once(dir.path(), "feed.xml", &format!("max_body_bytes = {limit}"));
    assert!(summary.contains("1 failed"), "{summary}");
    assert_eq!(
        error.as_deref(),
        Some(
            format!(
                "response larger than the {limit}-byte limit (raise [http] max_body_bytes if this feed is legitimate)"
            )
            .as_str()
        )
    );
    let other = tempfile::tempdir().unwrap();
    std::fs::write(other.path().join("feed.xml"), &feed).unwrap();
    let (summary, error) = run_once(
        other.path(),
        "feed.xml",
        &format!("max_body_bytes = {}", feed.len()),
    );
    assert!(summary.contains("2 new mentions"), "{summary}");
    assert_eq!(error, None);
}
