//! The inputs of the team view and the competitor view (`domain::team`).

use chrono::{DateTime, Utc};
use rusqlite::params;

use super::{Repo, Result, code, from_ts, ts};
use crate::domain::forecast::Period;
use crate::domain::model::{DealStatus, PromiseStatus};
use crate::domain::money::Money;
use crate::domain::team::{
    AgentCount, CaseEvent, CompetitorDeal, DealOutcome, DoneCount, PromiseEvent, Targets, TeamInputs,
};

impl Repo {
    /// The reminders done in [from, to) per owner, on time and late (the
    /// team view's care figures).
    pub fn done_counts(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Result<Vec<DoneCount>> {
        super::reminder_days::done_counts(self.conn(), ts(from), ts(to))
    }

    /// What the team view over `period` needs (`domain::team::team_view`):
    /// - interactions counted per agent over the period;
    /// - reminders done in the period, counted per owner;
    /// - promises due in the period, or settled (kept, late, broken) in it;
    /// - complaints acknowledged or closed in the period, or opened in it or
    ///   up to [`Targets::lookback`] before it (their deadlines may fall in it);
    /// - deals won in the period.
    ///
    /// Each list of events by id; the domain picks each figure's events
    /// from them.
    pub fn team_inputs(&self, period: &Period, targets: &Targets) -> Result<TeamInputs> {
        let (start, end) = (ts(period.start()), ts(period.end()));
        let conn = self.conn();

        let mut st = conn.prepare_cached(
            "SELECT agent, count(*) FROM interactions WHERE occurred_at >= ?1 AND occurred_at < ?2
             GROUP BY agent ORDER BY agent",
        )?;
        let interactions = st
            .query_map(params![start, end], |r| {
                Ok(AgentCount { agent: r.get(0)?, count: r.get::<_, i64>(1)?.max(0) as u64 })
            })?
            .collect::<rusqlite::Result<_>>()?;

        let reminders = self.done_counts(period.start(), period.end())?;

        let mut st = conn.prepare_cached(
            "SELECT p.id, p.customer_id, c.name, p.agent, p.due_at, p.status, p.done_at
             FROM promises p JOIN customers c ON c.id = p.customer_id
             WHERE (p.due_at >= ?1 AND p.due_at < ?2)
                OR (p.status <> 'open' AND coalesce(p.done_at, p.due_at) >= ?1 AND coalesce(p.done_at, p.due_at) < ?2)
             ORDER BY p.id",
        )?;
        let promises = st
            .query_map(params![start, end], |r| {
                Ok(PromiseEvent {
                    id: r.get(0)?,
                    customer_id: r.get(1)?,
                    customer: r.get(2)?,
                    agent: r.get(3)?,
                    due_at: from_ts(r.get(4)?),
                    status: code(PromiseStatus::parse, r.get(5)?)?,
                    done_at: r.get::<_, Option<i64>>(6)?.map(from_ts),
                })
            })?
            .collect::<rusqlite::Result<_>>()?;

        let since = period.start().checked_sub_signed(targets.lookback()).map_or(i64::MIN, ts);
        let mut st = conn.prepare_cached(
            "SELECT k.id, k.customer_id, c.name, k.owner, k.opened_at, k.acknowledged_at, k.closed_at
             FROM cases k JOIN customers c ON c.id = k.customer_id
             WHERE (k.opened_at >= ?3 AND k.opened_at < ?2)
                OR (k.acknowledged_at >= ?1 AND k.acknowledged_at < ?2)
                OR (k.closed_at >= ?1 AND k.closed_at < ?2)
             ORDER BY k.id",
        )?;
        let cases = st
            .query_map(params![start, end, since], |r| {
                Ok(CaseEvent {
                    id: r.get(0)?,
                    customer_id: r.get(1)?,
                    customer: r.get(2)?,
                    owner: r.get(3)?,
                    opened_at: from_ts(r.get(4)?),
                    acknowledged_at: r.get::<_, Option<i64>>(5)?.map(from_ts),
                    closed_at: r.get::<_, Option<i64>>(6)?.map(from_ts),
                })
            })?
            .collect::<rusqlite::Result<_>>()?;

        let mut st = conn.prepare_cached(
            "SELECT id, owner, amount, status, closed_at FROM deals INDEXED BY deals_won
             WHERE status = 'won' AND closed_at >= ?1 AND closed_at < ?2 ORDER BY id",
        )?;
        let deals = st
            .query_map(params![start, end], |r| {
                Ok(DealOutcome {
                    id: r.get(0)?,
                    owner: r.get(1)?,
                    amount: Money(r.get(2)?),
                    status: code(DealStatus::parse, r.get(3)?)?,
                    closed_at: r.get::<_, Option<i64>>(4)?.map(from_ts),
                })
            })?
            .collect::<rusqlite::Result<_>>()?;

        Ok(TeamInputs { interactions, reminders, promises, cases, deals })
    }

    /// The deals naming at least one competitor that were active in
    /// `period` (created before its end, not closed before its start), any
    /// status, by id, with their customer's name.
    pub fn competitor_deals(&self, period: &Period) -> Result<Vec<CompetitorDeal>> {
        let mut st = self.conn().prepare_cached(
            "SELECT d.id, d.customer_id, c.name, d.title, d.owner, d.amount, d.status, d.competitors,
                    d.close_reason, d.created_at, d.closed_at
             FROM deals d JOIN customers c ON c.id = d.customer_id
             WHERE trim(coalesce(d.competitors, '')) <> ''
               AND d.created_at < ?2 AND (d.closed_at IS NULL OR d.closed_at >= ?1)
             ORDER BY d.id",
        )?;
        let rows = st.query_map(params![ts(period.start()), ts(period.end())], |r| {
            Ok(CompetitorDeal {
                id: r.get(0)?,
                customer_id: r.get(1)?,
                customer: r.get(2)?,
                title: r.get(3)?,
                owner: r.get(4)?,
                amount: Money(r.get(5)?),
                status: code(DealStatus::parse, r.get(6)?)?,
                competitors: r.get(7)?,
                close_reason: r.get(8)?,
                created_at: from_ts(r.get(9)?),
                closed_at: r.get::<_, Option<i64>>(10)?.map(from_ts),
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The period's done reminders come from the index alone.
    #[test]
    fn done_reminders_are_read_from_a_covering_index() {
        let dir = tempfile::tempdir().unwrap();
        let repo = Repo::open(&dir.path().join("t.db"), "test").unwrap();
        let plan = crate::repo::query_plan(repo.conn(), crate::repo::reminder_days::DONE_REMINDERS, [0, 1]);
        assert!(!plan.iter().any(|p| p.contains("TEMP B-TREE")), "{plan:?}");
        assert!(plan.iter().any(|p| p.contains("COVERING INDEX reminders_done")), "{plan:?}");
    }
}
