//! What the care rules read, and writing their reminders once per occasion.

use chrono::{DateTime, Duration, Utc};
use rusqlite::{Transaction, params};

use super::{Repo, Result, code, from_ts, parse_date, reminders::insert_reminder, ts};
use crate::domain::care_rules::{FOLLOW_UP_GRACE_DAYS, Proposal, RuleInputs};
use crate::domain::model::{NewReminder, Tier};
use crate::domain::money::Money;

impl Repo {
    /// Everything the rules look at, as of `now`.
    pub fn rule_inputs(&self, now: DateTime<Utc>, follow_up_days: u32) -> Result<RuleInputs> {
        let c = self.conn();
        let since = now - Duration::days(follow_up_days as i64 + FOLLOW_UP_GRACE_DAYS);
        let mut st = c.prepare_cached(
            "SELECT t.id, t.customer_id, t.occurred_at FROM transactions t JOIN customers c ON c.id = t.customer_id
             WHERE t.kind = 'sale' AND t.occurred_at >= ?1 AND t.occurred_at <= ?2 AND c.status = 'active'",
        )?;
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
        let mut st = c.prepare_cached(
            "SELECT c.id, coalesce(c.tier_pin, c.tier), i.id, i.occurred_at, c.created_at FROM customers c
             LEFT JOIN interactions i ON i.id = (SELECT id FROM interactions WHERE customer_id = c.id
                                                 ORDER BY occurred_at DESC, id DESC LIMIT 1)
             WHERE c.status = 'active' AND coalesce(c.tier_pin, c.tier) IN ('top', 'growth')",
        )?;
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

    /// Writes the rules' reminders in one transaction; those whose
    /// (rule, occasion) already exists are skipped. `each` hands the
    /// proposals over one at a time (so that they are never all held);
    /// `note` words each one. Returns the proposals that became new
    /// reminders.
    pub fn raise_reminders(
        &mut self,
        each: impl FnOnce(&mut dyn FnMut(Proposal)),
        note: impl Fn(&Proposal) -> String,
    ) -> Result<Vec<Proposal>> {
        self.write(|tx, agent| {
            let mut made = Vec::new();
            let mut failed = None;
            each(&mut |p: Proposal| {
                if failed.is_some() {
                    return;
                }
                match raise_one(tx, agent, &p, &note) {
                    Ok(true) => made.push(p),
                    Ok(false) => {}
                    Err(e) => failed = Some(e),
                }
            });
            match failed {
                Some(e) => Err(e),
                None => Ok(made),
            }
        })
    }
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
