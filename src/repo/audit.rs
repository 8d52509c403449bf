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

    /// A window of one record's history, newest first. For a customer it
    /// includes the history of its deals, contacts, reminders, promises and
    /// complaints (each entry names its own entity and id).
    pub fn history_of(&self, entity: &str, id: i64, limit: usize, offset: usize) -> Result<Vec<AuditEntry>> {
        const COLS: &str = "id, at, agent, action, entity, entity_id, changes";
        // One indexed lookup per kind of record, merged: never a scan of
        // the whole log, however long it grows.
        let sql = if entity == "customer" {
            let related = [
                ("deal", "deals"),
                ("contact", "contacts"),
                ("reminder", "reminders"),
                ("promise", "promises"),
                ("case", "cases"),
            ]
            .iter()
            .map(|(e, table)| {
                format!(
                    " UNION ALL SELECT {COLS} FROM audit_log WHERE entity = '{e}'
                       AND entity_id IN (SELECT id FROM {table} WHERE customer_id = ?2)"
                )
            })
            .collect::<String>();
            format!(
                "SELECT {COLS} FROM (SELECT {COLS} FROM audit_log WHERE entity = ?1 AND entity_id = ?2{related})
                 ORDER BY id DESC LIMIT ?3 OFFSET ?4"
            )
        } else {
            format!(
                "SELECT {COLS} FROM audit_log WHERE entity = ?1 AND entity_id = ?2 ORDER BY id DESC LIMIT ?3 OFFSET ?4"
            )
        };
        let mut st = self.conn().prepare_cached(&sql)?;
        let rows = st.query_map(params![entity, id, limit as i64, offset as i64], |r| {
            Ok(AuditEntry {
                at: from_ts(r.get(1)?),
                agent: r.get(2)?,
                action: r.get(3)?,
                entity: r.get(4)?,
                entity_id: r.get(5)?,
                changes: r.get(6)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}
