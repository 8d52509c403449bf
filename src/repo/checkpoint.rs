//! WAL checkpoints off the UI thread.
//!
//! In WAL mode SQLite copies the log back into the base ("checkpoints")
//! inside the commit that takes the log past 1,000 pages, and that copy
//! (about 4 MB, then a sync) lands on whichever keystroke made the commit:
//! a deal moved or a call logged now and then takes tens of milliseconds
//! more. The TUI's connection hands that work to a [`Checkpointer`]: a
//! thread with its own connection that runs a passive checkpoint every
//! couple of seconds, which never blocks a writer or a reader. The app's
//! background job (the day's recompute, the care rules) leaves them to that
//! thread too. Other processes (the CLI, imports) keep SQLite's automatic
//! checkpoints.

use std::sync::mpsc;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

use super::{Repo, Result};

/// How often the thread checkpoints.
const EVERY: Duration = Duration::from_secs(2);

/// The checkpointing thread; it stops when this is dropped.
pub struct Checkpointer {
    _stop: mpsc::Sender<()>,
}

impl Repo {
    /// Moves this connection's WAL checkpoints to a thread of their own
    /// (see the module). `None`, with checkpoints left where they were, on
    /// a read-only base or when the thread's connection cannot be opened.
    pub fn defer_checkpoints(&self) -> Result<Option<Checkpointer>> {
        if self.read_only {
            return Ok(None);
        }
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let Ok(conn) = Connection::open_with_flags(&self.path, flags) else { return Ok(None) };
        if conn.busy_timeout(Duration::from_millis(100)).is_err() {
            return Ok(None);
        }
        let (stop, stopped) = mpsc::channel::<()>();
        let spawned = std::thread::Builder::new().name("rapport-checkpoint".into()).spawn(move || {
            while let Err(mpsc::RecvTimeoutError::Timeout) = stopped.recv_timeout(EVERY) {
                // Busy or locked: the next turn tries again.
                let _ = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()));
            }
        });
        if spawned.is_err() {
            return Ok(None);
        }
        self.conn.pragma_update(None, "wal_autocheckpoint", 0)?;
        Ok(Some(Checkpointer { _stop: stop }))
    }

    /// Stops this connection's automatic checkpoints, for a second
    /// connection of a process whose [`Checkpointer`] runs (the app's
    /// background job): its commits leave the copy to that thread.
    pub fn leave_checkpoints_to_thread(&self) -> Result<()> {
        if !self.read_only {
            self.conn.pragma_update(None, "wal_autocheckpoint", 0)?;
        }
        Ok(())
    }

    /// The WAL size, in pages, past which a commit on this connection
    /// checkpoints (0: never).
    pub fn wal_autocheckpoint(&self) -> Result<i64> {
        Ok(self.conn.query_row("PRAGMA wal_autocheckpoint", [], |r| r.get(0))?)
    }
}
