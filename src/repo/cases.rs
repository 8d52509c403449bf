//! Complaint cases with the 4A recovery checklist.

use chrono::Utc;
use rusqlite::{Transaction, params};
use serde_json::json;

use super::{Repo, RepoError, Result, audit, ts};
use crate::domain::model::NewCase;

pub(crate) fn insert_case(tx: &Transaction, agent: &str, c: &NewCase) -> Result<i64> {
    if c.title.trim().is_empty() {
        return Err(RepoError::Invalid("a complaint needs a title".into()));
    }
    if c.deadline_at < c.opened_at {
        return Err(RepoError::Invalid("a complaint's deadline cannot be before it was opened".into()));
    }
    let now = Utc::now().timestamp();
    tx.prepare_cached("INSERT INTO cases (customer_id, title, description, severity, owner, opened_at, deadline_at, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8)")?.execute(params![c.customer_id, c.title.trim(), c.description, c.severity.code(), agent, ts(c.opened_at), ts(c.deadline_at), now])?;
    let id = tx.last_insert_rowid();
    audit::record(
        tx,
        agent,
        "create",
        "case",
        id,
        json!({"customer_id": c.customer_id, "title": c.title, "severity": c.severity.code()}),
    )?;
    Ok(id)
}

impl Repo {
    pub fn create_case(&mut self, c: &NewCase) -> Result<i64> {
        self.write(|tx, agent| insert_case(tx, agent, c))
    }

    /// Open complaints of a customer.
    pub fn open_case_count_of(&self, customer_id: i64) -> Result<i64> {
        Ok(self.conn().query_row(
            "SELECT count(*) FROM cases WHERE customer_id = ?1 AND status = 'open'",
            [customer_id],
            |r| r.get(0),
        )?)
    }

    /// All open complaints.
    pub fn open_case_count(&self) -> Result<i64> {
        Ok(self.conn().query_row("SELECT count(*) FROM cases WHERE status = 'open'", [], |r| r.get(0))?)
    }
}
