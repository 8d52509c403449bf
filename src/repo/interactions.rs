//! Interactions: every touch with a customer (call, email, visit, ...).

use chrono::Utc;
use rusqlite::{Transaction, params};
use serde_json::json;

use super::{Repo, RepoError, Result, audit, code, from_ts, promises, ts};
use crate::domain::model::{Channel, Direction, Interaction, NewInteraction, NewPromise, Outcome};

pub(crate) fn insert_interaction(tx: &Transaction, agent: &str, i: &NewInteraction) -> Result<i64> {
    if i.summary.trim().is_empty() {
        return Err(RepoError::Invalid("an interaction needs a summary".into()));
    }
    let now = Utc::now().timestamp();
    tx.prepare_cached(
        "INSERT INTO interactions (customer_id, channel, direction, summary, outcome, agent, occurred_at,
             duration_secs, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9)",
    )?
    .execute(params![
        i.customer_id,
        i.channel.code(),
        i.direction.code(),
        i.summary.trim(),
        i.outcome.code(),
        agent,
        ts(i.occurred_at),
        i.duration_secs,
        now
    ])?;
    let id = tx.last_insert_rowid();
    // An interaction is activity on the customer's open deals.
    tx.prepare_cached(
        "UPDATE deals SET last_activity_at = max(last_activity_at, ?2) WHERE customer_id = ?1 AND status = 'open'",
    )?
    .execute(params![i.customer_id, ts(i.occurred_at)])?;
    audit::record(
        tx,
        agent,
        "create",
        "interaction",
        id,
        json!({"customer_id": i.customer_id, "channel": i.channel.code(), "direction": i.direction.code(),
               "summary": i.summary, "outcome": i.outcome.code()}),
    )?;
    Ok(id)
}

impl Repo {
    /// Logs an interaction; with `promise`, records the promise made in the
    /// same call, in the same transaction (both or neither).
    pub fn log_interaction(
        &mut self,
        i: &NewInteraction,
        promise: Option<(&str, chrono::DateTime<Utc>)>,
    ) -> Result<i64> {
        self.write(|tx, agent| {
            let id = insert_interaction(tx, agent, i)?;
            if let Some((text, due_at)) = promise {
                promises::insert_promise(
                    tx,
                    agent,
                    &NewPromise {
                        customer_id: i.customer_id,
                        interaction_id: Some(id),
                        text: text.to_string(),
                        due_at,
                    },
                )?;
            }
            Ok(id)
        })
    }

    /// The customer's most recent interactions, newest first.
    pub fn recent_interactions(&self, customer_id: i64, limit: usize) -> Result<Vec<Interaction>> {
        let mut st = self.conn().prepare_cached(
            "SELECT id, customer_id, channel, direction, summary, outcome, agent, occurred_at, duration_secs
             FROM interactions WHERE customer_id = ?1 ORDER BY occurred_at DESC, id DESC LIMIT ?2",
        )?;
        let rows = st.query_map(params![customer_id, limit as i64], |r| {
            Ok(Interaction {
                id: r.get(0)?,
                customer_id: r.get(1)?,
                channel: code(Channel::parse, r.get(2)?)?,
                direction: code(Direction::parse, r.get(3)?)?,
                summary: r.get(4)?,
                outcome: code(Outcome::parse, r.get(5)?)?,
                agent: r.get(6)?,
                occurred_at: from_ts(r.get(7)?),
                duration_secs: r.get(8)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Number of interactions of a customer.
    pub fn interaction_count(&self, customer_id: i64) -> Result<i64> {
        Ok(self
            .conn()
            .query_row("SELECT count(*) FROM interactions WHERE customer_id = ?1", [customer_id], |r| r.get(0))?)
    }
}
