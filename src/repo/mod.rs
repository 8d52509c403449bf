//! The thin repository: the only module that speaks SQL. It opens the file,
//! sets the pragmas, applies migrations, and offers one module per aggregate.
//! No SQLite type leaves this module: errors become [`RepoError`].

pub mod audit;
mod backup;
mod band_totals;
pub mod batch;
pub mod bulk;
pub mod care_rules;
pub mod cases;
pub mod checkpoint;
pub mod churn;
pub mod contacts;
pub mod customers;
pub mod deals;
pub mod duplicates;
pub mod export;
pub mod file_access;
pub mod import;
pub mod interactions;
pub mod pipeline_stats;
pub mod points;
pub mod promises;
pub mod pyramid;
mod raw_scan;
pub(crate) mod reminder_days;
pub mod reminders;
mod schema;
pub mod search_index;
pub mod team_stats;
pub mod timeline;
pub mod transactions;

use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use rusqlite::{Connection, OpenFlags, OptionalExtension, TransactionBehavior};

/// The migrations' SQL (migration n is `MIGRATIONS[n - 1]`), for tests that
/// take a base back to an older schema.
#[doc(hidden)]
pub use schema::MIGRATIONS;
pub use schema::latest as latest_schema_version;

/// What can go wrong talking to the base, in words a user can act on.
#[derive(Debug, thiserror::Error)]
pub enum RepoError {
    #[error("{path}: this file is not a rapport database ({detail})")]
    NotRapport { path: String, detail: String },
    #[error(
        "{path}: this database was written by a newer rapport (schema {found}, this binary knows up to {supported}); upgrade rapport to open it"
    )]
    TooNew { path: String, found: i64, supported: i64 },
    #[error("{path}: cannot open the database: {detail}")]
    Open { path: String, detail: String },
    #[error("the database is read-only; nothing was changed")]
    ReadOnly,
    #[error(
        "{entity} #{id} was changed by someone else since you loaded it; reload to see their change (nothing was saved)"
    )]
    Conflict { entity: &'static str, id: i64 },
    #[error("{entity} #{id} does not exist")]
    NotFound { entity: &'static str, id: i64 },
    #[error("{0}")]
    Invalid(String),
    #[error("database error: {0}")]
    Db(String),
    /// The integrity check found faults: what it found, on one line.
    #[error("the database file is NOT sound ({0}); restore it from a backup (rapport backup makes one)")]
    Unsound(String),
}

/// SQLite's integrity-check report (rows that may hold several lines,
/// headed by "*** in database main ***") as one line: how many faults
/// were listed and the first.
fn unsound_summary(rows: &[String]) -> String {
    let faults: Vec<&str> = rows
        .iter()
        .flat_map(|r| r.lines())
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with("*** in database"))
        .collect();
    let first = faults.first().copied().unwrap_or("unknown fault");
    // `integrity_check(20)` lists 20 at most.
    match faults.len() {
        0 | 1 => format!("damaged: {first}"),
        n if n >= 20 => format!("damaged: 20 or more faults, the first: {first}"),
        n => format!("damaged: {n} faults, the first: {first}"),
    }
}

impl From<rusqlite::Error> for RepoError {
    fn from(e: rusqlite::Error) -> Self {
        if let rusqlite::Error::SqliteFailure(f, _) = &e
            && f.code == rusqlite::ErrorCode::ReadOnly
        {
            return RepoError::ReadOnly;
        }
        if let rusqlite::Error::SqliteFailure(f, _) = &e
            && matches!(f.code, rusqlite::ErrorCode::DatabaseCorrupt | rusqlite::ErrorCode::NotADatabase)
        {
            return RepoError::Unsound(format!("damaged: {e}"));
        }
        RepoError::Db(e.to_string())
    }
}

pub type Result<T> = std::result::Result<T, RepoError>;

/// An open rapport base.
pub struct Repo {
    conn: Connection,
    path: PathBuf,
    agent: String,
    read_only: bool,
    /// The last indexed search's matches (`customers::SearchMemo`).
    search_memo: std::cell::RefCell<Option<customers::SearchMemo>>,
    /// The last search's plan (`customers::PlanMemo`).
    plan_memo: std::cell::RefCell<Option<customers::PlanMemo>>,
}

impl Repo {
    /// Opens (creating if needed) the base at `path`, applying migrations.
    /// `agent` is who the audit log names for changes made through it.
    pub fn open(path: &Path, agent: &str) -> Result<Repo> {
        let shown = path.display().to_string();
        if let Some(parent) = path.parent()
            && !parent.as_os_str().is_empty()
            && !parent.exists()
        {
            std::fs::create_dir_all(parent)
                .map_err(|e| RepoError::Open { path: shown.clone(), detail: e.to_string() })?;
        }
        if path.is_dir() {
            return Err(RepoError::Open { path: shown, detail: "it is a directory".into() });
        }
        // A new base is its owner's alone (unless the caller made it first,
        // for a group: `file_access`).
        file_access::create_base_file(path, file_access::Access::Private)?;
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|e| RepoError::Open { path: shown.clone(), detail: e.to_string() })?;
        let read_only = conn.is_readonly(rusqlite::MAIN_DB).unwrap_or(false);
        conn.busy_timeout(Duration::from_secs(5))?;
        // Reading the schema is the first thing that fails on a file that is
        // not SQLite at all.
        let schema_rows = |conn: &Connection| conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get(0));
        let (conn, tables): (Connection, i64) = match schema_rows(&conn) {
            Ok(n) => (conn, n),
            // A base in WAL mode that this user may only read, in a
            // directory they may not write either (a copy on a read-only
            // mount, another user's base): SQLite cannot make the shared
            // memory file a reader needs, and says the base is read-only.
            // With no log and no journal beside it, nothing written is
            // waiting outside the file and nobody is writing it (a writer
            // would have made them), so it is read as an immutable file.
            Err(e) if read_only && file_access::cannot_share(&e) => {
                if let Some(side) = file_access::pending_beside(path) {
                    return Err(RepoError::Open {
                        path: shown,
                        detail: format!(
                            "it is read-only here and its {side} holds changes that only a writable directory lets \
                             SQLite read; copy the base together with that file to a directory you may write"
                        ),
                    });
                }
                let conn = file_access::open_immutable(path)
                    .map_err(|_| RepoError::NotRapport { path: shown.clone(), detail: e.to_string() })?;
                let n = schema_rows(&conn)
                    .map_err(|e| RepoError::NotRapport { path: shown.clone(), detail: e.to_string() })?;
                (conn, n)
            }
            Err(rusqlite::Error::SqliteFailure(f, _))
                if matches!(f.code, rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked) =>
            {
                return Err(RepoError::Open {
                    path: shown,
                    detail: "another program holds it locked for writing (an import?); try again when it is done"
                        .into(),
                });
            }
            Err(e) => return Err(RepoError::NotRapport { path: shown.clone(), detail: e.to_string() }),
        };
        let app_id: i64 = conn.query_row("PRAGMA application_id", [], |r| r.get(0))?;
        let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        if tables > 0 && app_id != schema::APPLICATION_ID {
            return Err(RepoError::NotRapport {
                path: shown,
                detail: "it holds tables that rapport did not make".into(),
            });
        }
        if version > schema::latest() {
            return Err(RepoError::TooNew { path: shown, found: version, supported: schema::latest() });
        }
        if !read_only {
            enable_wal(&conn)?;
            conn.pragma_update(None, "synchronous", "NORMAL")?;
        }
        conn.pragma_update(None, "foreign_keys", "ON")?;
        // 32 MiB of page cache (SQLite's default is 2 MiB): search as you
        // type re-reads the customer index on every keystroke.
        conn.pragma_update(None, "cache_size", -32_768)?;
        let mut repo = Repo {
            conn,
            path: path.to_path_buf(),
            agent: agent.to_string(),
            read_only,
            search_memo: Default::default(),
            plan_memo: Default::default(),
        };
        if version < schema::latest() {
            if read_only {
                return Err(RepoError::Open {
                    path: shown,
                    detail: "the file is read-only and needs its schema upgraded first".into(),
                });
            }
            repo.migrate(version)?;
            // A migration may have filled the page cache: hand it back
            // before the work the base was opened for.
            repo.conn.execute_batch("PRAGMA shrink_memory")?;
        }
        Ok(repo)
    }

    /// Opens an existing base; a missing file is an error, not a new base
    /// (for commands that only read or copy).
    pub fn open_existing(path: &Path, agent: &str) -> Result<Repo> {
        if !path.exists() {
            return Err(RepoError::Open { path: path.display().to_string(), detail: "no such file".into() });
        }
        Repo::open(path, agent)
    }

    fn migrate(&mut self, from: i64) -> Result<()> {
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        // Someone else may have migrated while we waited for the lock.
        let now: i64 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        if now == from {
            for (i, sql) in schema::MIGRATIONS.iter().enumerate().skip(from as usize) {
                tx.execute_batch(sql)?;
                if i + 1 == schema::KEYS_MIGRATION {
                    duplicates::fill_keys(&tx)?;
                    tx.execute_batch(schema::KEYS_INDEXES)?;
                }
                tx.pragma_update(None, "user_version", (i + 1) as i64)?;
            }
            tx.pragma_update(None, "application_id", schema::APPLICATION_ID)?;
            if from == 0 {
                // A new base: nothing to index yet.
                search_index::mark_complete(&tx)?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn agent(&self) -> &str {
        &self.agent
    }

    pub fn is_read_only(&self) -> bool {
        self.read_only
    }

    /// The schema version of the open base.
    pub fn schema_version(&self) -> Result<i64> {
        Ok(self.conn.query_row("PRAGMA user_version", [], |r| r.get(0))?)
    }

    /// Sets this connection's page cache to `kib` KiB (the app's background
    /// job: its scans read each page about once, and a second 32 MiB cache
    /// beside the screen's only raises the process's memory).
    pub fn set_page_cache_kib(&self, kib: i64) -> Result<()> {
        self.conn.pragma_update(None, "cache_size", -kib.max(1))?;
        Ok(())
    }

    /// This connection's page cache, in KiB.
    pub fn page_cache_kib(&self) -> Result<i64> {
        let n: i64 = self.conn.query_row("PRAGMA cache_size", [], |r| r.get(0))?;
        Ok(if n < 0 { -n } else { n * 4 })
    }

    /// A number that changes whenever another connection commits a change
    /// (SQLite's `data_version`): cheap to poll for live updates.
    pub fn data_version(&self) -> Result<i64> {
        Ok(self.conn.query_row("PRAGMA data_version", [], |r| r.get(0))?)
    }

    /// The newest transaction's id (0 without any): when it moves, money
    /// came in (an import, another agent's sale) and the pyramid is out of
    /// date. One step down the primary key.
    pub fn newest_transaction(&self) -> Result<i64> {
        Ok(self.conn.query_row("SELECT coalesce(max(id), 0) FROM transactions", [], |r| r.get(0))?)
    }

    /// Runs `f` in a short `BEGIN IMMEDIATE` transaction: all or nothing.
    pub(crate) fn write<T>(&mut self, f: impl FnOnce(&rusqlite::Transaction, &str) -> Result<T>) -> Result<T> {
        if self.read_only {
            return Err(RepoError::ReadOnly);
        }
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let out = f(&tx, &self.agent)?;
        tx.commit()?;
        Ok(out)
    }

    pub(crate) fn conn(&self) -> &Connection {
        &self.conn
    }

    /// A second, read-only connection to the same base, for a long read
    /// beside this connection's writes (its own snapshot once it begins a
    /// transaction).
    pub(crate) fn reader(&self) -> Result<Connection> {
        let conn =
            Connection::open_with_flags(&self.path, OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX)
                .map_err(|e| RepoError::Open { path: self.path.display().to_string(), detail: e.to_string() })?;
        conn.busy_timeout(Duration::from_secs(5))?;
        Ok(conn)
    }

    /// Reads a value from the `meta` table.
    pub fn meta(&self, key: &str) -> Result<Option<String>> {
        Ok(self.conn.query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0)).optional()?)
    }

    /// Writes a value to the `meta` table.
    pub fn set_meta(&mut self, key: &str, value: &str) -> Result<()> {
        self.write(|tx, _| {
            tx.prepare_cached(
                "INSERT INTO meta (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            )?
            .execute([key, value])?;
            Ok(())
        })
    }

    /// Removes a value from the `meta` table.
    pub fn delete_meta(&mut self, key: &str) -> Result<()> {
        self.write(|tx, _| {
            tx.execute("DELETE FROM meta WHERE key = ?1", [key])?;
            Ok(())
        })
    }

    /// SQLite's own integrity check; `Ok(())` when the file is sound.
    pub fn integrity_check(&self) -> Result<()> {
        // SQLite's own check of the file: pages, b-trees, indexes against
        // their tables, NOT NULL and CHECK constraints (the first 20 faults).
        let mut st = self.conn.prepare("PRAGMA integrity_check(20)")?;
        let faults: Vec<String> = st.query_map([], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?;
        if faults != ["ok"] {
            return Err(RepoError::Unsound(unsound_summary(&faults)));
        }
        // Then every reference to another record: a row whose customer,
        // deal or case is missing is as broken as a torn page.
        let mut st = self.conn.prepare("PRAGMA foreign_key_check")?;
        let mut rows = st.query([])?;
        let mut dangling: Vec<String> = Vec::new();
        let mut count = 0usize;
        while let Some(r) = rows.next()? {
            count += 1;
            if dangling.len() < 5 {
                let (table, rowid, parent): (String, Option<i64>, String) = (r.get(0)?, r.get(1)?, r.get(2)?);
                dangling.push(format!("{table} #{} refers to a missing {parent} record", rowid.unwrap_or(0)));
            }
        }
        if count > 0 {
            return Err(RepoError::Unsound(format!(
                "{count} record(s) refer to records that are not there: {}{}",
                dangling.join("; "),
                if count > dangling.len() { "; ..." } else { "" }
            )));
        }
        Ok(())
    }
}

/// Switches the file to WAL unless it already is. The switch needs an
/// exclusive lock and SQLite does not run the busy handler for it, so when
/// several agents open a new file at once, retry until the busy timeout.
fn enable_wal(conn: &Connection) -> Result<()> {
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    loop {
        let mode: String = conn.query_row("PRAGMA journal_mode", [], |r| r.get(0))?;
        if mode.eq_ignore_ascii_case("wal") {
            return Ok(());
        }
        match conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get::<_, String>(0)) {
            Ok(_) => {}
            Err(rusqlite::Error::SqliteFailure(f, _))
                if f.code == rusqlite::ErrorCode::DatabaseBusy && std::time::Instant::now() < deadline =>
            {
                std::thread::sleep(Duration::from_millis(10));
            }
            Err(e) => return Err(e.into()),
        }
    }
}

/// Seconds since the epoch, as stored.
pub(crate) fn ts(t: DateTime<Utc>) -> i64 {
    t.timestamp()
}

pub(crate) fn from_ts(s: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(s, 0).single().unwrap_or_default()
}

/// The detail lines of `EXPLAIN QUERY PLAN` for `sql` with `params` (the
/// tests that pin a query's plan).
#[cfg(test)]
pub(crate) fn query_plan(conn: &Connection, sql: &str, params: impl rusqlite::Params) -> Vec<String> {
    conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
        .unwrap()
        .query_map(params, |r| r.get(3))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap()
}

pub(crate) fn date_text(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

pub(crate) fn parse_date(s: Option<String>) -> Option<NaiveDate> {
    s.and_then(|s| NaiveDate::parse_from_str(&s, "%Y-%m-%d").ok())
}

/// Turns a stored code back into its enum, as a SQLite conversion error
/// (never a panic) when the file holds something unknown.
pub(crate) fn code<T>(parse: fn(&str) -> std::result::Result<T, String>, s: String) -> rusqlite::Result<T> {
    parse(&s).map_err(|e| rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, e.into()))
}

#[cfg(test)]
mod unsound_tests {
    use super::unsound_summary;

    #[test]
    fn sqlites_report_becomes_one_line_with_the_count_and_the_first_fault() {
        let rows = vec![
            "*** in database main ***\nPage 21: btreeInitPage() returns error code 11\nPage 22 is never used"
                .to_string(),
            "row 3 missing from index customers_sort".to_string(),
        ];
        let s = unsound_summary(&rows);
        assert_eq!(s, "damaged: 3 faults, the first: Page 21: btreeInitPage() returns error code 11");
        assert!(!s.contains('\n'));
        let many: Vec<String> = (0..20).map(|i| format!("fault {i}")).collect();
        assert_eq!(unsound_summary(&many), "damaged: 20 or more faults, the first: fault 0");
        assert_eq!(unsound_summary(&["only one".to_string()]), "damaged: only one");
    }
}
