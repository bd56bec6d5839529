//! The single writer: one thread owns the read-write connection, and every write goes through it.
//!
//! In: [`Poll`]s and maintenance requests sent from async tasks. Out: each request's result, sent back on a
//! oneshot channel. SQLite allows one writer at a time; giving it a thread of its own keeps blocking I/O off
//! the async runtime and makes the order of writes the order of requests. The thread ends when every handle
//! is dropped, after the request in hand is committed.

use std::sync::mpsc;
use std::thread::JoinHandle;

use chrono::{DateTime, Utc};
use tokio::sync::oneshot;

use super::incidents::SilenceRow;
use super::{NewRow, Poll, PollWritten, Result, Store, StoreError};
use crate::model::DetectionSpec;

/// What runs inside the writer's transactions besides storing mentions: the detection stage. The store
/// defines the hook and knows nothing of detection itself.
pub trait WriteHook: Send {
    /// Called in the transaction that stored `new`, with the silences in force and the clock.
    ///
    /// # Errors
    /// A failure rolls back the whole transaction.
    fn on_write(
        &mut self,
        tx: &rusqlite::Transaction<'_>,
        new: &[NewRow<'_>],
        silences: &[SilenceRow],
        now: DateTime<Utc>,
    ) -> rusqlite::Result<()>;

    /// Called in a transaction of its own when time passes without new mentions.
    ///
    /// # Errors
    /// A failure rolls back the transaction.
    fn on_tick(
        &mut self,
        tx: &rusqlite::Transaction<'_>,
        silences: &[SilenceRow],
        now: DateTime<Utc>,
    ) -> rusqlite::Result<()>;

    /// Rebuilds the hook's state from the store (after a failed transaction, or with new watches).
    ///
    /// # Errors
    /// On SQLite failure.
    fn reload(
        &mut self,
        store: &Store,
        spec: Option<DetectionSpec>,
        now: DateTime<Utc>,
    ) -> Result<()>;
}

/// A hook that does nothing (for tools that only store mentions).
pub struct NoHook;

impl WriteHook for NoHook {
    fn on_write(
        &mut self,
        _: &rusqlite::Transaction<'_>,
        _: &[NewRow<'_>],
        _: &[SilenceRow],
        _: DateTime<Utc>,
    ) -> rusqlite::Result<()> {
        Ok(())
    }

    fn on_tick(
        &mut self,
        _: &rusqlite::Transaction<'_>,
        _: &[SilenceRow],
        _: DateTime<Utc>,
    ) -> rusqlite::Result<()> {
        Ok(())
    }

    fn reload(&mut self, _: &Store, _: Option<DetectionSpec>, _: DateTime<Utc>) -> Result<()> {
        Ok(())
    }
}

enum Request {
    Poll(Box<Poll>, oneshot::Sender<Result<PollWritten>>),
    Prune(DateTime<Utc>, oneshot::Sender<Result<usize>>),
    Tick(DateTime<Utc>, oneshot::Sender<Result<()>>),
    Spec(
        Box<DetectionSpec>,
        DateTime<Utc>,
        oneshot::Sender<Result<()>>,
    ),
    Job(Job, oneshot::Sender<Result<usize>>),
}

/// Work run in a transaction of its own on the writer thread (the check of sources that go blind).
type Job = Box<dyn FnOnce(&rusqlite::Transaction<'_>) -> rusqlite::Result<usize> + Send>;

/// A handle to the writer thread; clone it freely.
#[derive(Clone)]
pub struct Writer {
    tx: mpsc::Sender<Request>,
}

/// Owns the writer thread; `join` waits for it to commit and close once every [`Writer`] is gone.
pub struct WriterThread {
    handle: JoinHandle<()>,
}

impl WriterThread {
    /// Waits for the writer to finish its last request and close the database.
    pub fn join(self) {
        let _ = self.handle.join();
    }

    /// Waits at most `timeout` for the writer to finish; `false` if it is still busy then (its open
    /// transaction, if any, is rolled back by SQLite when the process exits).
    pub fn join_timeout(self, timeout: std::time::Duration) -> bool {
        let deadline = std::time::Instant::now() + timeout;
        while !self.handle.is_finished() {
            let now = std::time::Instant::now();
            if now >= deadline {
                return false;
            }
            std::thread::park_timeout((deadline - now).min(std::time::Duration::from_millis(10)));
        }
        let _ = self.handle.join();
        true
    }
}

/// Most polls written in one transaction.
const MAX_GROUP: usize = 64;

type PollReply = (Box<Poll>, oneshot::Sender<Result<PollWritten>>);

/// The clock of a batch: the latest fetch time of its polls.
fn batch_time(polls: &[&Poll]) -> DateTime<Utc> {
    polls
        .iter()
        .filter_map(|p| p.state.last_fetch)
        .max()
        .unwrap_or_else(Utc::now)
}

fn flush(store: &mut Store, hook: &mut dyn WriteHook, polls: Vec<PollReply>) {
    if polls.is_empty() {
        return;
    }
    let batch: Vec<&Poll> = polls.iter().map(|(p, _)| p.as_ref()).collect();
    let now = batch_time(&batch);
    let result = store.silences(now).and_then(|silences| {
        store.write_polls_with(&batch, |tx, new| hook.on_write(tx, new, &silences, now))
    });
    if result.is_err() {
        // The transaction rolled back: detection's memory must go back to what the store holds.
        if let Err(e) = hook.reload(store, None, now) {
            tracing::error!(error = %e, "Detection could not reload from the database.");
        }
    }
    match result {
        Ok(written) => {
            for ((_, reply), w) in polls.into_iter().zip(written) {
                let _ = reply.send(Ok(w));
            }
        }
        Err(e) => {
            let message = e.to_string();
            let fault = e.fault();
            match fault {
                // The daemon says so once per fault, and retries; a line per batch would flood the log.
                Some(f) => {
                    tracing::debug!(error = %message, fault = f.as_str(), polls = polls.len(), "Database write failed.")
                }
                None => {
                    tracing::error!(error = %message, polls = polls.len(), "Database write failed.")
                }
            }
            for (_, reply) in polls {
                let _ = reply.send(Err(StoreError::Write {
                    message: message.clone(),
                    fault,
                }));
            }
        }
    }
}

/// Mentions per back-fill transaction: a few milliseconds of folding and indexing.
const BACKFILL_BATCH: usize = 500;

/// The back-fill of the search index, as the writer runs it between requests.
struct Backfill {
    pending: bool,
    /// Whether a batch failed (a full disk, a lock held elsewhere): tried again after the next request.
    failed: bool,
    /// Whether the failure was logged: once until a batch succeeds again.
    warned: bool,
}

impl Backfill {
    fn new(store: &Store) -> Backfill {
        let pending = store.search_backfill_pending().unwrap_or(false);
        if pending {
            tracing::info!("Search index back-fill started.");
        }
        Backfill {
            pending,
            failed: false,
            warned: false,
        }
    }

    fn step(&mut self, store: &mut Store) {
        match store.search_backfill(BACKFILL_BATCH) {
            Ok(more) => {
                self.warned = false;
                if !more {
                    self.pending = false;
                    tracing::info!("Search index back-filled.");
                }
            }
            Err(e) => {
                self.pending = false;
                self.failed = true;
                if !self.warned {
                    self.warned = true;
                    tracing::warn!(error = %e, "Search index back-fill failed; it resumes after the next write.");
                }
            }
        }
    }

    fn retry(&mut self, store: &Store) {
        if self.failed {
            self.failed = false;
            self.pending = store.search_backfill_pending().unwrap_or(false);
        }
    }
}

/// Starts the writer thread on `store`, with `hook` running in its transactions.
pub fn spawn(mut store: Store, mut hook: Box<dyn WriteHook>) -> (Writer, WriterThread) {
    let (tx, rx) = mpsc::channel::<Request>();
    let handle = std::thread::Builder::new()
        .name("veille-writer".into())
        .spawn(move || {
            let mut backfill = Backfill::new(&store);
            loop {
                let first = if backfill.pending {
                    match rx.try_recv() {
                        Ok(request) => request,
                        Err(mpsc::TryRecvError::Empty) => {
                            // Nothing else to do: one batch of the back-fill, short enough that a
                            // request arriving meanwhile waits a few milliseconds.
                            backfill.step(&mut store);
                            continue;
                        }
                        Err(mpsc::TryRecvError::Disconnected) => break,
                    }
                } else {
                    match rx.recv() {
                        Ok(request) => request,
                        Err(_) => break,
                    }
                };
                // Group commit: polls already waiting are written in the same transaction, which keeps
                // each poll whole (all of a group is committed or none of it) and saves a commit per poll.
                let mut polls = Vec::new();
                let mut next = Some(first);
                while let Some(request) = next.take() {
                    match request {
                        Request::Poll(poll, reply) => {
                            polls.push((poll, reply));
                            if polls.len() < MAX_GROUP {
                                next = rx.try_recv().ok();
                            }
                        }
                        Request::Prune(before, reply) => {
                            flush(&mut store, hook.as_mut(), std::mem::take(&mut polls));
                            let _ = reply.send(store.prune(before));
                        }
                        Request::Tick(now, reply) => {
                            flush(&mut store, hook.as_mut(), std::mem::take(&mut polls));
                            let result = store.silences(now).and_then(|silences| {
                                store.in_transaction(|tx| hook.on_tick(tx, &silences, now))
                            });
                            if result.is_err() {
                                let _ = hook.reload(&store, None, now);
                            }
                            let _ = reply.send(result);
                        }
                        Request::Job(job, reply) => {
                            flush(&mut store, hook.as_mut(), std::mem::take(&mut polls));
                            let mut answer = 0;
                            let result = store.in_transaction(|tx| {
                                answer = job(tx)?;
                                Ok(())
                            });
                            let _ = reply.send(result.map(|()| answer));
                        }
                        Request::Spec(spec, now, reply) => {
                            flush(&mut store, hook.as_mut(), std::mem::take(&mut polls));
                            let _ = reply.send(hook.reload(&store, Some(*spec), now));
                        }
                    }
                }
                flush(&mut store, hook.as_mut(), polls);
                backfill.retry(&store);
            }
        })
        .expect("cannot start the database writer thread");
    (Writer { tx }, WriterThread { handle })
}

impl Writer {
    /// Writes a poll in one transaction and waits for the commit.
    ///
    /// # Errors
    /// The store's error, or [`StoreError::WriterGone`] if the writer thread has stopped.
    pub async fn write_poll(&self, poll: Poll) -> Result<PollWritten> {
        let (reply, answer) = oneshot::channel();
        self.tx
            .send(Request::Poll(Box::new(poll), reply))
            .map_err(|_| StoreError::WriterGone)?;
        answer.await.map_err(|_| StoreError::WriterGone)?
    }

    /// Lets time pass for detection: closed buckets are judged, incidents may resolve.
    ///
    /// # Errors
    /// The store's error, or [`StoreError::WriterGone`].
    pub async fn tick(&self, now: DateTime<Utc>) -> Result<()> {
        let (reply, answer) = oneshot::channel();
        self.tx
            .send(Request::Tick(now, reply))
            .map_err(|_| StoreError::WriterGone)?;
        answer.await.map_err(|_| StoreError::WriterGone)?
    }

    /// Gives detection new watches (after a reload).
    ///
    /// # Errors
    /// The store's error, or [`StoreError::WriterGone`].
    pub async fn set_spec(&self, spec: DetectionSpec, now: DateTime<Utc>) -> Result<()> {
        let (reply, answer) = oneshot::channel();
        self.tx
            .send(Request::Spec(Box::new(spec), now, reply))
            .map_err(|_| StoreError::WriterGone)?;
        answer.await.map_err(|_| StoreError::WriterGone)?
    }

    /// Runs `job` in a transaction of its own, after the polls already sent, and waits for the commit;
    /// returns what the job returned.
    ///
    /// # Errors
    /// The store's error (the job's included: the transaction is then rolled back), or
    /// [`StoreError::WriterGone`].
    pub async fn run(
        &self,
        job: impl FnOnce(&rusqlite::Transaction<'_>) -> rusqlite::Result<usize> + Send + 'static,
    ) -> Result<usize> {
        let (reply, answer) = oneshot::channel();
        self.tx
            .send(Request::Job(Box::new(job), reply))
            .map_err(|_| StoreError::WriterGone)?;
        answer.await.map_err(|_| StoreError::WriterGone)?
    }

    /// Deletes mentions older than `before`.
    ///
    /// # Errors
    /// The store's error, or [`StoreError::WriterGone`].
    pub async fn prune(&self, before: DateTime<Utc>) -> Result<usize> {
        let (reply, answer) = oneshot::channel();
        self.tx
            .send(Request::Prune(before, reply))
            .map_err(|_| StoreError::WriterGone)?;
        answer.await.map_err(|_| StoreError::WriterGone)?
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::SourceState;

    /// Guards the bug where the writer marked a full disk transient but `is_transient()` did not look at
    /// the writer's error, so the daemon took it for a fatal one and exited.
    #[tokio::test]
    async fn a_full_disk_reaches_the_caller_as_a_fault_to_wait_out() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("v.db")).unwrap();
        let pages: i64 = store
            .conn
            .query_row("PRAGMA page_count", [], |r| r.get(0))
            .unwrap();
        store
            .conn
            .pragma_update(None, "max_page_count", pages)
            .unwrap();
        let (writer, thread) = spawn(store, Box::new(NoHook));
        let poll = Poll {
            state: SourceState {
                name: "a".into(),
                url: "a.xml".into(),
                last_error: Some("x".repeat(100_000)),
                ..SourceState::default()
            },
            mentions: Vec::new(),
        };
        let err = writer.write_poll(poll).await.unwrap_err();
        assert!(err.is_transient(), "{err}");
        assert_eq!(err.fault(), Some(crate::store::StoreFault::DiskFull));
        drop(writer);
        thread.join();
    }
}
