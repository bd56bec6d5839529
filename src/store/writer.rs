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
}

/// Starts the writer thread on `store`.
pub fn spawn(mut store: Store) -> (Writer, WriterThread) {
    let (tx, rx) = mpsc::channel::<Request>();
    let handle = std::thread::Builder::new()
        .name("veille-writer".into())
        .spawn(move || {
            for request in rx {
                match request {
                    Request::Poll(poll, reply) => {
                        let _ = reply.send(store.write_poll(&poll));
                    }
                    Request::Prune(before, reply) => {
                        let _ = reply.send(store.prune(before));
                    }
                }
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
