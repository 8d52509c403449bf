//! The audit log: who changed what, when, with old and new values.

use chrono::{DateTime, Utc};
use rusqlite::{Transaction, params};

use super::{Repo, Result, from_ts};

/// One entry of the audit log.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditEntry {
    pub at: DateTime<Utc>,
    pub agent: String,
    pub action: String,
    pub entity: String,
    pub entity_id: i64,
    /// JSON object: field → value, or field → [old, new] for updates.
    pub changes: String,
}

/// Records one change inside the caller's transaction.
pub(crate) fn record(
    tx: &Transaction,
    agent: &str,
    action: &str,
    entity: &str,
    id: i64,
    changes: serde_json::Value,
) -> Result<()> {
    tx.prepare_cached(
        "INSERT INTO audit_log (at, agent, action, entity, entity_id, changes) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![Utc::now().timestamp(), agent, action, entity, id, changes.to_string()])?;
    Ok(())
}

impl Repo {
    /// The history of one record, oldest first.
    pub fn audit_for(&self, entity: &str, id: i64) -> Result<Vec<AuditEntry>> {
        let mut st = self.conn().prepare(
            "SELECT at, agent, action, entity, entity_id, changes FROM audit_log
             WHERE entity = ?1 AND entity_id = ?2 ORDER BY id",
        )?;
        let rows = st.query_map(params![entity, id], |r| {
            Ok(AuditEntry {
                at: from_ts(r.get(0)?),
                agent: r.get(1)?,
                action: r.get(2)?,
                entity: r.get(3)?,
                entity_id: r.get(4)?,
                changes: r.get(5)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}
