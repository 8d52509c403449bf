//! What the care rules read, and writing their reminders once per occasion.

use chrono::{DateTime, Duration, Utc};
use rusqlite::{Transaction, params};

use super::{Repo, Result, code, from_ts, parse_date, reminders::insert_reminder, ts};
use crate::domain::care_rules::{FOLLOW_UP_GRACE_DAYS, Proposal, RuleInputs};
use crate::domain::model::{NewReminder, Tier};
use crate::domain::money::Money;

/// The sales of the follow-up period whose customer is active: the
/// period's sales from the time-ordered index, each customer's status from
/// the narrow `customers_order`. Left to itself SQLite walked every active
/// customer and looked for sales of each (4 s on a million customers: a
/// million index probes for 400,000 sales), and the rows' own lookups take
/// twice as long as the narrow index's.
const RECENT_SALES: &str = "SELECT t.id, t.customer_id, t.occurred_at
     FROM transactions t CROSS JOIN customers c INDEXED BY customers_order ON c.id = t.customer_id
     WHERE t.kind = 'sale' AND t.occurred_at >= ?1 AND t.occurred_at <= ?2 AND c.status = 'active'";

/// The Top and Growth customers with their last interaction: found in
/// `customers_band`, then their rows read in id order (`IN` walks its list
/// sorted); read in the band's order they were all over the table (1.4 s
/// against 0.7 s for 410,000 of a million customers).
const IMPORTANT: &str = "SELECT c.id, coalesce(c.tier_pin, c.tier), i.id, i.occurred_at, c.created_at FROM customers c
      LEFT JOIN interactions i ON i.id = (SELECT id FROM interactions WHERE customer_id = c.id
                                          ORDER BY occurred_at DESC, id DESC LIMIT 1)
      WHERE c.id IN (SELECT id FROM customers
                     WHERE status = 'active' AND coalesce(tier_pin, tier) IN ('top', 'growth'))";

impl Repo {
    /// Everything the rules look at, as of `now`.
    pub fn rule_inputs(&self, now: DateTime<Utc>, follow_up_days: u32) -> Result<RuleInputs> {
        let c = self.conn();
        let since = now - Duration::days(follow_up_days as i64 + FOLLOW_UP_GRACE_DAYS);
        let mut st = c.prepare_cached(RECENT_SALES)?;
        let sales = st
            .query_map(params![ts(since), ts(now)], |r| Ok((r.get(0)?, r.get(1)?, from_ts(r.get(2)?))))?
            .collect::<rusqlite::Result<_>>()?;
        let mut st = c.prepare_cached(
            "SELECT k.id, k.customer_id, k.name, k.birthday FROM contacts k JOIN customers c ON c.id = k.customer_id
             WHERE k.birthday IS NOT NULL AND k.status = 'active' AND c.status = 'active'
               AND substr(k.birthday, 6, 5) IN (?1, '02-29')",
        )?;
        let md = now.date_naive().format("%m-%d").to_string();
        let birthdays = st
            .query_map([md], |r| Ok((r.get(0)?, r.get(1)?, r.get::<_, String>(2)?, parse_date(r.get(3)?))))?
            .filter_map(|r| r.map(|(a, b, n, d)| d.map(|d| (a, b, n, d))).transpose())
            .collect::<rusqlite::Result<_>>()?;
        let mut st = c.prepare_cached(IMPORTANT)?;
        let important = st
            .query_map([], |r| {
                let last: Option<i64> = r.get(2)?;
                let at: Option<i64> = r.get(3)?;
                Ok((
                    r.get(0)?,
                    code(Tier::parse, r.get(1)?)?,
                    last.zip(at).map(|(id, t)| (id, from_ts(t))),
                    from_ts(r.get(4)?),
                ))
            })?
            .collect::<rusqlite::Result<_>>()?;
        let tier_drops = match self.snapshot_days(2)?.as_slice() {
            [after, before] => self
                .tier_moves(*before, *after)?
                .into_iter()
                .filter(|m| m.from == Tier::Top)
                .map(|m| (m.customer_id, m.to, *after))
                .collect(),
            _ => Vec::new(),
        };
        let mut st = c.prepare_cached(
            // Outstanding (invoiced - paid) from the totals kept by triggers,
            // for the customers with at least one transaction, in id order
            // as the totals are stored (CROSS JOIN: no sort).
            "SELECT c.id, m.sales + m.credits - m.settled, c.credit_limit
             FROM customer_money m CROSS JOIN customers c ON c.id = m.customer_id
             WHERE c.credit_limit IS NOT NULL AND c.status = 'active' AND m.entries > 0
             ORDER BY m.customer_id",
        )?;
        let over_limit = st
            .query_map([], |r| Ok((r.get(0)?, Money(r.get(1)?), Money(r.get(2)?))))?
            .collect::<rusqlite::Result<Vec<(i64, Money, Money)>>>()?
            .into_iter()
            .filter(|(_, out, limit)| out > limit)
            .collect();
        let mut st = c.prepare_cached(
            "SELECT id, customer_id, title, deadline_at FROM cases WHERE status = 'open' AND deadline_at < ?1",
        )?;
        let open_cases = st
            .query_map([ts(now)], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, from_ts(r.get(3)?))))?
            .collect::<rusqlite::Result<_>>()?;
        let mut st = c.prepare_cached(
            "SELECT id, customer_id, text, due_at, agent FROM promises WHERE status = 'open' AND due_at <= ?1",
        )?;
        let open_promises = st
            .query_map([ts(now + Duration::days(31))], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, from_ts(r.get(3)?), r.get(4)?))
            })?
            .collect::<rusqlite::Result<_>>()?;
        let churn_risks = self.churn_risks()?;
        Ok(RuleInputs { sales, birthdays, important, tier_drops, over_limit, open_cases, open_promises, churn_risks })
    }

    /// Writes the rules' reminders; those whose (rule, occasion) already
    /// exists are skipped. `each` hands the proposals over one at a time
    /// (so that they are never all held); `note` words each one; `raised`
    /// gets each proposal that became a new reminder.
    ///
    /// On a million customers the rules want some 700,000 reminders a run,
    /// nearly all raised before: which are new is read without a write lock,
    /// and only the new ones are written, [`RAISE_BATCH`] to a short
    /// transaction, so agents saving a call never wait for the rules (one
    /// transaction for the whole run held the lock for 11–15 s there, past
    /// the busy timeout). Each reminder is raised once per occasion
    /// whatever the batches: a run cut short raises the rest next time.
    pub fn raise_reminders(
        &mut self,
        each: impl FnOnce(&mut dyn FnMut(Proposal)),
        note: impl Fn(&Proposal) -> String,
        raised: &mut dyn FnMut(Proposal),
    ) -> Result<()> {
        if self.read_only {
            return Err(super::RepoError::ReadOnly);
        }
        let mut fresh = Vec::new();
        let mut failed = None;
        // The checks read in one read transaction (a snapshot, no lock that
        // keeps writers out), ended for each batch written: a statement on
        // its own would take and drop the log's read lock 700,000 times.
        self.conn().execute_batch("BEGIN")?;
        each(&mut |p: Proposal| {
            if failed.is_some() {
                return;
            }
            let step = raised_before(self.conn(), &p).and_then(|before| {
                if !before {
                    fresh.push(p);
                }
                if fresh.len() >= RAISE_BATCH {
                    self.conn().execute_batch("COMMIT")?;
                    self.raise_batch(std::mem::take(&mut fresh), &note, raised)?;
                    self.conn().execute_batch("BEGIN")?;
                }
                Ok(())
            });
            if let Err(e) = step {
                failed = Some(e);
            }
        });
        if !self.conn().is_autocommit() {
            self.conn().execute_batch("COMMIT")?;
        }
        if let Some(e) = failed {
            return Err(e);
        }
        self.raise_batch(fresh, &note, raised)
    }

    /// Writes these reminders in one transaction; `raised` gets those that
    /// became new, once it has committed.
    fn raise_batch(
        &mut self,
        batch: Vec<Proposal>,
        note: &impl Fn(&Proposal) -> String,
        raised: &mut dyn FnMut(Proposal),
    ) -> Result<()> {
        if batch.is_empty() {
            return Ok(());
        }
        let made = self.write(|tx, agent| {
            let mut made = Vec::new();
            for p in batch {
                if raise_one(tx, agent, &p, note)? {
                    made.push(p);
                }
            }
            Ok(made)
        })?;
        made.into_iter().for_each(raised);
        Ok(())
    }
}

/// New reminders written per transaction by [`Repo::raise_reminders`].
pub const RAISE_BATCH: usize = 2_000;

/// Whether this proposal's (rule, occasion) has its reminder already.
fn raised_before(conn: &rusqlite::Connection, p: &Proposal) -> Result<bool> {
    Ok(conn
        .prepare_cached("SELECT EXISTS (SELECT 1 FROM reminders WHERE origin_rule = ?1 AND occasion_key = ?2)")?
        .query_row(params![p.rule.code(), p.occasion], |r| r.get(0))?)
}

/// Writes one proposal's reminder unless its (rule, occasion) exists;
/// whether it did.
fn raise_one(tx: &Transaction, agent: &str, p: &Proposal, note: &impl Fn(&Proposal) -> String) -> Result<bool> {
    let r = NewReminder {
        customer_id: p.customer_id,
        kind: p.rule.kind(),
        due_at: p.due_at,
        note: note(p),
        owner: p.owner.clone(),
        recurrence: None,
        origin: Some((p.rule.code().to_string(), p.occasion.clone())),
    };
    if insert_reminder(tx, agent, &r)?.is_none() {
        return Ok(false);
    }
    // Over the limit: on hold from the occasion on, until someone lifts it.
    if p.rule == crate::domain::care_rules::Rule::Credit {
        Repo::place_hold_in(tx, agent, p.customer_id, &p.detail)?;
    }
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::care_rules::Rule;
    use crate::domain::model::{CustomerKind, NewCustomer};

    #[test]
    fn important_customers_rows_are_read_in_id_order() {
        let dir = tempfile::tempdir().unwrap();
        let repo = Repo::open(&dir.path().join("p.db"), "test").unwrap();
        let plan = crate::repo::query_plan(repo.conn(), IMPORTANT, []);
        assert!(plan[0].contains("SEARCH c USING INTEGER PRIMARY KEY"), "{plan:?}");
        assert!(plan.iter().any(|p| p.contains("LIST SUBQUERY")), "{plan:?}");
        assert!(plan.iter().any(|p| p.contains("INDEX customers_band")), "{plan:?}");
    }

    #[test]
    fn recent_sales_are_read_by_time_not_by_customer() {
        let dir = tempfile::tempdir().unwrap();
        let repo = Repo::open(&dir.path().join("p.db"), "test").unwrap();
        let plan = crate::repo::query_plan(repo.conn(), RECENT_SALES, [0, 1]);
        assert!(plan[0].contains("INDEX transactions_window_sales"), "{plan:?}");
        assert!(plan.iter().any(|p| p.contains("COVERING INDEX customers_order")), "{plan:?}");
    }

    /// While the rules hand over their proposals, no write transaction is
    /// open: another agent can start one at any moment without waiting.
    /// Only the new reminders are written, a batch at a time, each once.
    #[test]
    fn raising_reminders_never_holds_the_write_lock_between_batches() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.db");
        let mut repo = Repo::open(&path, "rules").unwrap();
        let customer = repo.create_customer(&NewCustomer::named(CustomerKind::Individual, "Ana Lima")).unwrap();
        let other = rusqlite::Connection::open(&path).unwrap();
        other.busy_timeout(std::time::Duration::ZERO).unwrap();
        let n = RAISE_BATCH * 2 + 7;
        let proposal = |i: usize| Proposal {
            rule: Rule::FollowUp,
            customer_id: customer,
            due_at: chrono::Utc::now(),
            occasion: format!("sale:{i}"),
            detail: String::new(),
            owner: None,
        };
        let run = |repo: &mut Repo| {
            let mut made = 0;
            repo.raise_reminders(
                |emit| {
                    for i in 0..n {
                        other.execute_batch("BEGIN IMMEDIATE; COMMIT").expect("another agent had to wait");
                        emit(proposal(i));
                    }
                },
                |p| p.occasion.clone(),
                &mut |_| made += 1,
            )
            .unwrap();
            made
        };
        assert_eq!(run(&mut repo), n);
        assert_eq!(run(&mut repo), 0, "raised twice");
        let count: i64 = other
            .query_row("SELECT count(*) FROM reminders WHERE origin_rule = 'follow_up'", [], |r| r.get(0))
            .unwrap();
        assert_eq!(count, n as i64);
    }
}
