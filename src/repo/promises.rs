//! Promises made to customers ("call back Friday").

use chrono::Utc;
use rusqlite::{Transaction, params};
use serde_json::json;

use super::{Repo, RepoError, Result, audit, ts};
use crate::domain::model::NewPromise;

pub(crate) fn insert_promise(tx: &Transaction, agent: &str, p: &NewPromise) -> Result<i64> {
    if p.text.trim().is_empty() {
        return Err(RepoError::Invalid("a promise needs a text".into()));
    }
    let now = Utc::now().timestamp();
    tx.prepare_cached(
        "INSERT INTO promises (customer_id, interaction_id, text, due_at, agent, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)",
    )?
    .execute(params![p.customer_id, p.interaction_id, p.text.trim(), ts(p.due_at), agent, now])?;
    let id = tx.last_insert_rowid();
    audit::record(
        tx,
        agent,
        "create",
        "promise",
        id,
        json!({"customer_id": p.customer_id, "text": p.text, "due_at": ts(p.due_at)}),
    )?;
    Ok(id)
}

/// An open promise as lists show it.
#[derive(Debug, Clone, PartialEq)]
pub struct OpenPromise {
    pub id: i64,
    pub customer_id: i64,
    pub text: String,
    pub due_at: chrono::DateTime<Utc>,
    pub agent: String,
}

impl Repo {
    pub fn create_promise(&mut self, p: &NewPromise) -> Result<i64> {
        self.write(|tx, agent| insert_promise(tx, agent, p))
    }

    /// A customer's open promises, soonest first.
    pub fn open_promises_of(&self, customer_id: i64) -> Result<Vec<OpenPromise>> {
        self.open_promises_soonest(customer_id, usize::MAX)
    }

    /// The `limit` soonest of a customer's open promises.
    pub fn open_promises_soonest(&self, customer_id: i64, limit: usize) -> Result<Vec<OpenPromise>> {
        let mut st = self.conn().prepare_cached(
            "SELECT id, customer_id, text, due_at, agent FROM promises
             WHERE customer_id = ?1 AND status = 'open' ORDER BY due_at, id LIMIT ?2",
        )?;
        let rows = st.query_map(params![customer_id, limit.min(i64::MAX as usize) as i64], |r| {
            Ok(OpenPromise {
                id: r.get(0)?,
                customer_id: r.get(1)?,
                text: r.get(2)?,
                due_at: super::from_ts(r.get(3)?),
                agent: r.get(4)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}
