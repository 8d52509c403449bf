//! A query stepped through SQLite's C API, for the pyramid's scans of
//! millions of rows (the window's transactions, every customer's stored
//! figures).
//!
//! Through rusqlite each column of each row costs three calls into SQLite
//! (the column count, the type, the value) and a conversion; here a column
//! is one call. On the 1M base the window's 7.6 million index entries took
//! 0.92 s through rusqlite and 0.68 s here. The whole unsafe surface of
//! rapport is this module: one prepared statement, owned by [`RawScan`]
//! and finalized when it drops, used only while the connection it was
//! prepared on is borrowed.

use std::ffi::{CStr, CString, c_int};
use std::marker::PhantomData;

use rusqlite::{Connection, ffi};

use super::{RepoError, Result};

/// One query over a borrowed connection, read a row at a time.
pub(super) struct RawScan<'c> {
    stmt: *mut ffi::sqlite3_stmt,
    db: *mut ffi::sqlite3,
    _conn: PhantomData<&'c Connection>,
}

impl<'c> RawScan<'c> {
    /// Prepares `sql` (one statement) on `conn` and binds `params` as
    /// integers to ?1, ?2, …
    pub(super) fn new(conn: &'c Connection, sql: &str, params: &[i64]) -> Result<RawScan<'c>> {
        let text = CString::new(sql).map_err(|_| RepoError::Db("a query with a NUL byte".into()))?;
        // SAFETY: `conn` is borrowed for 'c, so the handle outlives the
        // statement, which `Drop` finalizes.
        unsafe {
            let db = conn.handle();
            let mut stmt = std::ptr::null_mut();
            let rc = ffi::sqlite3_prepare_v2(db, text.as_ptr(), -1, &mut stmt, std::ptr::null_mut());
            if rc != ffi::SQLITE_OK {
                return Err(error(db, rc));
            }
            if stmt.is_null() {
                return Err(RepoError::Db("an empty query".into()));
            }
            let scan = RawScan { stmt, db, _conn: PhantomData };
            for (i, p) in params.iter().enumerate() {
                let rc = ffi::sqlite3_bind_int64(stmt, i as c_int + 1, *p);
                if rc != ffi::SQLITE_OK {
                    return Err(error(db, rc));
                }
            }
            Ok(scan)
        }
    }

    /// Steps to the next row; `false` when there is none.
    pub(super) fn next(&mut self) -> Result<bool> {
        // SAFETY: a live statement (see `new`).
        match unsafe { ffi::sqlite3_step(self.stmt) } {
            ffi::SQLITE_ROW => Ok(true),
            ffi::SQLITE_DONE => Ok(false),
            rc => Err(error(self.db, rc)),
        }
    }

    /// Column `i` of the current row as an integer. SQLite converts a
    /// value of another type; one that converts to 0 (NULL, a text that is
    /// no number) is refused, as rusqlite's typed read would refuse it,
    /// while a real 0 costs one more call.
    #[inline]
    pub(super) fn int(&self, i: c_int) -> Result<i64> {
        // SAFETY: a live statement on a row (`next` returned true); a
        // column out of range reads as NULL, refused below.
        let v = unsafe { ffi::sqlite3_column_int64(self.stmt, i) };
        if v == 0 && self.column_type(i) != ffi::SQLITE_INTEGER {
            return Err(RepoError::Db(format!("column {i}: expected an integer, found {}", self.type_name(i))));
        }
        Ok(v)
    }

    /// Column `i` as an integer, `None` when it is NULL.
    #[inline]
    pub(super) fn int_or_null(&self, i: c_int) -> Result<Option<i64>> {
        // SAFETY: as in `int`.
        let v = unsafe { ffi::sqlite3_column_int64(self.stmt, i) };
        if v != 0 {
            return Ok(Some(v));
        }
        match self.column_type(i) {
            ffi::SQLITE_NULL => Ok(None),
            ffi::SQLITE_INTEGER => Ok(Some(0)),
            _ => Err(RepoError::Db(format!("column {i}: expected an integer, found {}", self.type_name(i)))),
        }
    }

    /// Column `i` as bytes of text, `None` when it is NULL. Valid until
    /// the next step.
    #[inline]
    pub(super) fn text(&self, i: c_int) -> Option<&[u8]> {
        // SAFETY: as in `int`; SQLite keeps the text until the next step or
        // the next conversion of this column, and `&self` forbids `next`
        // while the slice lives.
        unsafe {
            let p = ffi::sqlite3_column_text(self.stmt, i);
            if p.is_null() {
                return None;
            }
            let n = ffi::sqlite3_column_bytes(self.stmt, i);
            Some(std::slice::from_raw_parts(p, n.max(0) as usize))
        }
    }

    fn column_type(&self, i: c_int) -> c_int {
        // SAFETY: as in `int`.
        unsafe { ffi::sqlite3_column_type(self.stmt, i) }
    }

    fn type_name(&self, i: c_int) -> &'static str {
        match self.column_type(i) {
            ffi::SQLITE_NULL => "null",
            ffi::SQLITE_FLOAT => "real",
            ffi::SQLITE_TEXT => "text",
            ffi::SQLITE_BLOB => "blob",
            _ => "integer",
        }
    }
}

impl Drop for RawScan<'_> {
    fn drop(&mut self) {
        // SAFETY: the statement was prepared by `new` and is finalized once.
        unsafe {
            ffi::sqlite3_finalize(self.stmt);
        }
    }
}

/// The connection's error for result code `rc`, as rusqlite reports it
/// (so that a damaged file reads as one, see `RepoError::from`).
fn error(db: *mut ffi::sqlite3, rc: c_int) -> RepoError {
    // SAFETY: `db` is a live connection; its message is copied at once.
    let message = unsafe {
        let m = ffi::sqlite3_errmsg(db);
        (!m.is_null()).then(|| CStr::from_ptr(m).to_string_lossy().into_owned())
    };
    RepoError::from(rusqlite::Error::SqliteFailure(ffi::Error::new(rc), message))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conn() -> Connection {
        let c = Connection::open_in_memory().unwrap();
        c.execute_batch(
            "CREATE TABLE t (a INTEGER, b TEXT);
             INSERT INTO t VALUES (1, 'top'), (0, NULL), (NULL, 'x'), ('abc', ''), (-7, 'growth');",
        )
        .unwrap();
        c
    }

    #[test]
    fn reads_what_rusqlite_reads() {
        let c = conn();
        let mut s = RawScan::new(&c, "SELECT a, b FROM t WHERE rowid >= ?1 ORDER BY rowid", &[1]).unwrap();
        let mut seen = Vec::new();
        while s.next().unwrap() {
            seen.push((s.int_or_null(0).map_err(|e| e.to_string()), s.text(1).map(|b| b.to_vec())));
        }
        assert_eq!(seen[0], (Ok(Some(1)), Some(b"top".to_vec())));
        assert_eq!(seen[1], (Ok(Some(0)), None));
        assert_eq!(seen[2], (Ok(None), Some(b"x".to_vec())));
        assert!(seen[3].0.as_ref().unwrap_err().contains("expected an integer, found text"), "{:?}", seen[3]);
        assert_eq!(seen[3].1, Some(Vec::new()));
        assert_eq!(seen[4], (Ok(Some(-7)), Some(b"growth".to_vec())));
        assert_eq!(seen.len(), 5);
    }

    #[test]
    fn int_refuses_null_and_text_but_not_zero() {
        let c = conn();
        let mut s = RawScan::new(&c, "SELECT a FROM t ORDER BY rowid", &[]).unwrap();
        let mut out = Vec::new();
        while s.next().unwrap() {
            out.push(s.int(0).is_ok());
        }
        assert_eq!(out, [true, true, false, false, true]);
    }

    #[test]
    fn errors_are_reported() {
        let c = conn();
        let e = RawScan::new(&c, "SELECT x FROM nowhere", &[]).err().unwrap().to_string();
        assert!(e.contains("no such table"), "{e}");
        let e = RawScan::new(&c, "SELECT ?1", &[1, 2]).err().unwrap().to_string();
        assert!(e.contains("column index out of range") || e.contains("range"), "{e}");
    }
}
