//! `rapport backup`: SQLite's online backup API, safe while other agents
//! read and write the base.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rusqlite::Connection;
use rusqlite::backup::{Backup, StepResult};

use super::{Repo, RepoError, Result};

/// Pages copied per backup step (4 MiB of 4 KiB pages).
const STEP_PAGES: std::ffi::c_int = 1024;
/// How long a step may keep meeting a busy or locked file before the
/// backup gives up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(30);
/// The pause before a busy step is tried again.
const BUSY_PAUSE: Duration = Duration::from_millis(20);

impl Repo {
    /// Copies the whole base into `dest`, a new file, with SQLite's online
    /// backup API: in steps of [`STEP_PAGES`] pages, a step that finds the
    /// file busy or locked tried again after a pause (for up to
    /// [`BUSY_TIMEOUT`]).
    ///
    /// The copy is one consistent snapshot even while other connections
    /// write: the source connection holds one read transaction from the
    /// first step to the last. In WAL mode writers go on meanwhile (their
    /// commits are simply not in the copy), and the backup never restarts
    /// because of them, as it would if each step took a fresh snapshot.
    ///
    /// The copy is written beside `dest` under a temporary name and renamed
    /// into place once complete, so `dest` never holds half a base.
    pub fn backup_to(&self, dest: &Path) -> Result<()> {
        let part = part_path(dest);
        let out = self.backup_into(&part);
        match out {
            Ok(()) => std::fs::rename(&part, dest).map_err(|e| {
                remove_db_files(&part);
                RepoError::Db(format!("backup to {}: {e}", dest.display()))
            }),
            Err(e) => {
                remove_db_files(&part);
                Err(match e {
                    RepoError::Db(d) => RepoError::Db(format!("backup to {}: {d}", dest.display())),
                    other => other,
                })
            }
        }
    }

    fn backup_into(&self, path: &Path) -> Result<()> {
        let mut dst = Connection::open(path)?;
        // One snapshot for the whole copy (see above). A connection already
        // inside a transaction reads one snapshot anyway.
        let own_snapshot = self.conn.is_autocommit();
        if own_snapshot {
            self.conn.execute_batch("BEGIN DEFERRED")?;
            // A deferred transaction takes its snapshot at its first read.
            let started = self.conn.query_row("SELECT count(*) FROM sqlite_schema", [], |r| r.get::<_, i64>(0));
            if let Err(e) = started {
                let _ = self.conn.execute_batch("ROLLBACK");
                return Err(e.into());
            }
        }
        let copied = copy_in_steps(&self.conn, &mut dst);
        if own_snapshot {
            // Read-only: ending it cannot lose anything.
            let _ = self.conn.execute_batch("ROLLBACK");
        }
        copied?;
        // The copy is complete and committed; closing it makes it durable.
        dst.close().map_err(|(_, e)| e)?;
        Ok(())
    }
}

fn copy_in_steps(src: &Connection, dst: &mut Connection) -> Result<()> {
    let backup = Backup::new(src, dst)?;
    let mut busy_since: Option<Instant> = None;
    loop {
        match backup.step(STEP_PAGES)? {
            StepResult::Done => return Ok(()),
            StepResult::More => busy_since = None,
            // Busy, Locked (and anything a later SQLite may add): wait and retry.
            _ => {
                let since = *busy_since.get_or_insert_with(Instant::now);
                if since.elapsed() >= BUSY_TIMEOUT {
                    return Err(RepoError::Db(format!(
                        "the database stayed busy for {} s; nothing was copied, try again",
                        BUSY_TIMEOUT.as_secs()
                    )));
                }
                std::thread::sleep(BUSY_PAUSE);
            }
        }
    }
}

/// `/backups/rapport.db` → `/backups/.rapport.db.part-PID`.
fn part_path(dest: &Path) -> PathBuf {
    let name = dest.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "backup".into());
    dest.with_file_name(format!(".{name}.part-{}", std::process::id()))
}

fn remove_db_files(path: &Path) {
    for suffix in ["", "-journal", "-wal", "-shm"] {
        let mut p = path.as_os_str().to_owned();
        p.push(suffix);
        let _ = std::fs::remove_file(p);
    }
}
