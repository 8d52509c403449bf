//! Complaint cases with the 4A recovery checklist.

use chrono::Utc;
use rusqlite::{OptionalExtension, Transaction, params};
use serde_json::json;

use super::{Repo, RepoError, Result, audit, code, from_ts, ts};
use crate::domain::model::{Case, CaseStatus, NewCase, Severity, Step4A};

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

    /// When each open complaint was opened (for their ages).
    pub fn open_cases_opened_at(&self) -> Result<Vec<chrono::DateTime<Utc>>> {
        let mut st = self.conn().prepare_cached("SELECT opened_at FROM cases WHERE status = 'open'")?;
        let rows = st.query_map([], |r| Ok(from_ts(r.get(0)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// All open complaints.
    pub fn open_case_count(&self) -> Result<i64> {
        Ok(self.conn().query_row("SELECT count(*) FROM cases WHERE status = 'open'", [], |r| r.get(0))?)
    }
}

const CASE_COLS: &str =
    "k.id, k.customer_id, c.name, k.title, k.severity, k.owner, k.status, k.opened_at, k.deadline_at,
     k.acknowledged_at, k.apologized_at, k.amended_at, k.anticipated_at, k.anticipate_note, k.closed_at,
     k.satisfaction, k.version";

fn case_from_row(r: &rusqlite::Row) -> rusqlite::Result<Case> {
    let at =
        |i: usize| -> rusqlite::Result<Option<chrono::DateTime<Utc>>> { Ok(r.get::<_, Option<i64>>(i)?.map(from_ts)) };
    Ok(Case {
        id: r.get(0)?,
        customer_id: r.get(1)?,
        customer_name: r.get(2)?,
        title: r.get(3)?,
        severity: code(Severity::parse, r.get(4)?)?,
        owner: r.get(5)?,
        status: code(CaseStatus::parse, r.get(6)?)?,
        opened_at: from_ts(r.get(7)?),
        deadline_at: from_ts(r.get(8)?),
        steps: [at(9)?, at(10)?, at(11)?, at(12)?],
        anticipate_note: r.get(13)?,
        closed_at: at(14)?,
        satisfaction: r.get(15)?,
        version: r.get(16)?,
    })
}

impl Repo {
    pub fn case(&self, id: i64) -> Result<Case> {
        self.conn()
            .query_row(
                &format!("SELECT {CASE_COLS} FROM cases k JOIN customers c ON c.id = k.customer_id WHERE k.id = ?1"),
                [id],
                case_from_row,
            )
            .optional()?
            .ok_or(RepoError::NotFound { entity: "case", id })
    }

    /// Open complaints, oldest first (a window).
    pub fn open_cases(&self, offset: usize, limit: usize) -> Result<Vec<Case>> {
        let mut st = self.conn().prepare_cached(&format!(
            "SELECT {CASE_COLS} FROM cases k JOIN customers c ON c.id = k.customer_id
             WHERE k.status = 'open' ORDER BY k.opened_at, k.id LIMIT ?1 OFFSET ?2"
        ))?;
        let rows = st.query_map(params![limit as i64, offset as i64], case_from_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Ticks one 4A step of an open case at `at` (Anticipate with its
    /// note), if nobody changed the case meanwhile.
    pub fn tick_case_step(
        &mut self,
        id: i64,
        version: i64,
        step: Step4A,
        note: Option<&str>,
        at: chrono::DateTime<Utc>,
    ) -> Result<()> {
        let column = match step {
            Step4A::Acknowledge => "acknowledged_at",
            Step4A::Apologize => "apologized_at",
            Step4A::Amend => "amended_at",
            Step4A::Anticipate => "anticipated_at",
        };
        if step == Step4A::Anticipate && note.is_none_or(|n| n.trim().is_empty()) {
            return Err(RepoError::Invalid("Anticipate needs a note: what will prevent this next time?".into()));
        }
        self.write(|tx, agent| {
            let n = tx
                .prepare_cached(&format!(
                    "UPDATE cases SET {column} = ?3, anticipate_note = coalesce(?4, anticipate_note),
                         version = version + 1, updated_at = ?3
                     WHERE id = ?1 AND version = ?2 AND status = 'open' AND {column} IS NULL"
                ))?
                .execute(params![id, version, ts(at), note.map(str::trim)])?;
            if n == 0 {
                return Err(RepoError::Conflict { entity: "case", id });
            }
            audit::record(tx, agent, "4a", "case", id, json!({"step": column, "note": note}))?;
            Ok(())
        })
    }

    /// Closes a case with the customer's satisfaction (1–5). Refused until
    /// Acknowledge, Apologize and Amend are done.
    pub fn close_case(&mut self, id: i64, version: i64, satisfaction: u8, at: chrono::DateTime<Utc>) -> Result<()> {
        if !(1..=5).contains(&satisfaction) {
            return Err(RepoError::Invalid("satisfaction is from 1 to 5".into()));
        }
        let case = self.case(id)?;
        if !case.can_close() {
            let missing: Vec<&str> = ["Acknowledge", "Apologize", "Amend"]
                .iter()
                .zip(case.steps)
                .filter(|(_, s)| s.is_none())
                .map(|(n, _)| *n)
                .collect();
            return Err(RepoError::Invalid(format!(
                "this complaint cannot close yet: {} still to do",
                missing.join(", ")
            )));
        }
        self.write(|tx, agent| {
            let n = tx
                .prepare_cached(
                    "UPDATE cases SET status = 'closed', closed_at = ?3, satisfaction = ?4, version = version + 1,
                         updated_at = ?3
                     WHERE id = ?1 AND version = ?2 AND status = 'open'",
                )?
                .execute(params![id, version, ts(at), satisfaction])?;
            if n == 0 {
                return Err(RepoError::Conflict { entity: "case", id });
            }
            audit::record(tx, agent, "close", "case", id, json!({"satisfaction": satisfaction}))?;
            Ok(())
        })
    }

    /// (seconds to acknowledge, seconds to close) of the cases acknowledged
    /// or closed from `from` to `to` (both included); `None` where not
    /// done in it.
    pub fn case_times(
        &self,
        from: chrono::DateTime<Utc>,
        to: chrono::DateTime<Utc>,
    ) -> Result<Vec<(Option<i64>, Option<i64>)>> {
        let mut st = self.conn().prepare_cached(
            "SELECT CASE WHEN acknowledged_at >= ?1 AND acknowledged_at <= ?2 THEN acknowledged_at - opened_at END,
                    CASE WHEN closed_at >= ?1 AND closed_at <= ?2 THEN closed_at - opened_at END
             FROM cases WHERE (acknowledged_at >= ?1 AND acknowledged_at <= ?2) OR (closed_at >= ?1 AND closed_at <= ?2)",
        )?;
        let rows = st.query_map(params![ts(from), ts(to)], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}
