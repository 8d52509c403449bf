//! Reminders, and the merged list of what is due (reminders, promises,
//! complaint deadlines) that care's triage shows.

use chrono::{DateTime, Utc};
use rusqlite::{Transaction, params};
use serde_json::json;

use super::{Repo, RepoError, Result, audit, code, from_ts, ts};
use crate::domain::model::{NewReminder, Reminder, ReminderKind, ReminderStatus, Tier};

/// Inserts a reminder. A rule-made reminder (with an origin) is made at
/// most once per occasion: returns `None` when it already exists.
pub(crate) fn insert_reminder(tx: &Transaction, agent: &str, r: &NewReminder) -> Result<Option<i64>> {
    if r.recurrence.as_deref().is_some_and(|s| s.trim().is_empty()) {
        return Err(RepoError::Invalid("an empty recurrence".into()));
    }
    let now = Utc::now().timestamp();
    let (rule, occasion) = match &r.origin {
        Some((a, b)) => (Some(a.as_str()), Some(b.as_str())),
        None => (None, None),
    };
    let n = tx
        .prepare_cached(
            "INSERT INTO reminders (customer_id, kind, due_at, note, owner, recurrence, origin_rule, occasion_key,
             created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9)
         ON CONFLICT (origin_rule, occasion_key) DO NOTHING",
        )?
        .execute(params![
            r.customer_id,
            r.kind.code(),
            ts(r.due_at),
            r.note,
            r.owner,
            r.recurrence,
            rule,
            occasion,
            now
        ])?;
    if n == 0 {
        return Ok(None);
    }
    let id = tx.last_insert_rowid();
    audit::record(
        tx,
        agent,
        "create",
        "reminder",
        id,
        json!({"customer_id": r.customer_id, "kind": r.kind.code(), "due_at": ts(r.due_at), "note": r.note}),
    )?;
    Ok(Some(id))
}

/// Where a due item comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DueSource {
    Reminder,
    Promise,
    Case,
}

/// One line of care's triage: something due for a customer.
#[derive(Debug, Clone, PartialEq)]
pub struct DueItem {
    pub source: DueSource,
    pub id: i64,
    pub customer_id: i64,
    pub customer_name: String,
    pub tier: Tier,
    /// The reminder's kind code, "promise", or the case's severity.
    pub kind: String,
    pub what: String,
    pub due_at: DateTime<Utc>,
    pub owner: Option<String>,
}

impl Repo {
    /// Creates a reminder; see [`insert_reminder`].
    pub fn create_reminder(&mut self, r: &NewReminder) -> Result<Option<i64>> {
        self.write(|tx, agent| insert_reminder(tx, agent, r))
    }

    /// A customer's open (and snoozed) reminders, soonest first.
    pub fn open_reminders_of(&self, customer_id: i64) -> Result<Vec<Reminder>> {
        let mut st = self.conn().prepare_cached(
            "SELECT r.id, r.customer_id, c.name, r.kind, r.due_at, r.note, r.owner, r.status, r.recurrence, r.version
             FROM reminders r JOIN customers c ON c.id = r.customer_id
             WHERE r.customer_id = ?1 AND r.status IN ('open', 'snoozed') ORDER BY r.due_at, r.id",
        )?;
        let rows = st.query_map([customer_id], |r| {
            Ok(Reminder {
                id: r.get(0)?,
                customer_id: r.get(1)?,
                customer_name: r.get(2)?,
                kind: code(ReminderKind::parse, r.get(3)?)?,
                due_at: from_ts(r.get(4)?),
                note: r.get(5)?,
                owner: r.get(6)?,
                status: code(ReminderStatus::parse, r.get(7)?)?,
                recurrence: r.get(8)?,
                version: r.get(9)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Everything open that falls due before `until`: reminders (open or
    /// snoozed), promises, and open complaints' deadlines; ordered by the
    /// customer's tier (Top first), then due time. A window of `limit` rows.
    pub fn due_items(&self, until: DateTime<Utc>, offset: usize, limit: usize) -> Result<Vec<DueItem>> {
        let mut st = self.conn().prepare_cached(
            "SELECT src, id, customer_id, name, tier, kind, what, due_at, owner FROM (
                 SELECT 0 AS src, r.id, r.customer_id, c.name, coalesce(c.tier_pin, c.tier) AS tier, r.kind,
                        r.note AS what, r.due_at, r.owner
                 FROM reminders r JOIN customers c ON c.id = r.customer_id
                 WHERE r.status IN ('open', 'snoozed') AND r.due_at < ?1
                 UNION ALL
                 SELECT 1, p.id, p.customer_id, c.name, coalesce(c.tier_pin, c.tier), 'promise', p.text, p.due_at,
                        p.agent
                 FROM promises p JOIN customers c ON c.id = p.customer_id
                 WHERE p.status = 'open' AND p.due_at < ?1
                 UNION ALL
                 SELECT 2, k.id, k.customer_id, c.name, coalesce(c.tier_pin, c.tier), k.severity, k.title,
                        k.deadline_at, k.owner
                 FROM cases k JOIN customers c ON c.id = k.customer_id
                 WHERE k.status = 'open' AND k.deadline_at < ?1
             )
             ORDER BY CASE tier WHEN 'top' THEN 0 WHEN 'growth' THEN 1 WHEN 'low' THEN 2 ELSE 3 END, due_at, src, id
             LIMIT ?2 OFFSET ?3",
        )?;
        let rows = st.query_map(params![ts(until), limit as i64, offset as i64], |r| {
            Ok(DueItem {
                source: match r.get::<_, i64>(0)? {
                    0 => DueSource::Reminder,
                    1 => DueSource::Promise,
                    _ => DueSource::Case,
                },
                id: r.get(1)?,
                customer_id: r.get(2)?,
                customer_name: r.get(3)?,
                tier: code(Tier::parse, r.get(4)?)?,
                kind: r.get(5)?,
                what: r.get(6)?,
                due_at: from_ts(r.get(7)?),
                owner: r.get(8)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Counts of open items due before `until`: (reminders, promises, cases).
    pub fn due_counts(&self, until: DateTime<Utc>) -> Result<(i64, i64, i64)> {
        let t = ts(until);
        Ok(self.conn().query_row(
            "SELECT (SELECT count(*) FROM reminders WHERE status IN ('open', 'snoozed') AND due_at < ?1),
                    (SELECT count(*) FROM promises WHERE status = 'open' AND due_at < ?1),
                    (SELECT count(*) FROM cases WHERE status = 'open' AND deadline_at < ?1)",
            [t],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )?)
    }
}
