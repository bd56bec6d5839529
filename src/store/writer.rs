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

use super::{Poll, PollWritten, Result, Store, StoreError};

enum Request {
    Poll(Box<Poll>, oneshot::Sender<Result<PollWritten>>),
    Prune(DateTime<Utc>, oneshot::Sender<Result<usize>>),
}

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

fn flush(store: &mut Store, polls: Vec<PollReply>) {
    if polls.is_empty() {
        return;
    }
    let batch: Vec<&Poll> = polls.iter().map(|(p, _)| p.as_ref()).collect();
    match store.write_polls(&batch) {
        Ok(written) => {
            for ((_, reply), w) in polls.into_iter().zip(written) {
                let _ = reply.send(Ok(w));
            }
        }
        Err(e) => {
            let message = e.to_string();
            let transient = e.is_transient();
            tracing::error!(error = %message, polls = polls.len(), "Database write failed.");
            for (_, reply) in polls {
                let _ = reply.send(Err(StoreError::Write {
                    message: message.clone(),
                    transient,
                }));
            }
        }
    }
}

/// Starts the writer thread on `store`.
pub fn spawn(mut store: Store) -> (Writer, WriterThread) {
    let (tx, rx) = mpsc::channel::<Request>();
    let handle = std::thread::Builder::new()
        .name("veille-writer".into())
        .spawn(move || {
            while let Ok(first) = rx.recv() {
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
                            flush(&mut store, std::mem::take(&mut polls));
                            let _ = reply.send(store.prune(before));
                        }
                    }
                }
                flush(&mut store, polls);
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
