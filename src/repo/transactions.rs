//! Money transactions: sales, refunds, costs, discounts, write-offs, payments.

use chrono::{Days, NaiveDate, NaiveTime, Utc};
use rusqlite::{OptionalExtension, Transaction, params};
use serde_json::json;

use super::{Repo, RepoError, Result, audit, code, from_ts, ts};
use crate::domain::ageing::Ageing;
use crate::domain::model::{NewTransaction, Transaction as Tx, TxKind};
use crate::domain::money::Money;

pub(crate) fn insert_transaction(tx: &Transaction, agent: &str, t: &NewTransaction) -> Result<i64> {
    if t.amount.0 < 0 {
        return Err(RepoError::Invalid("type the amount without a sign; the kind gives it".into()));
    }
    let signed = t.amount.0.checked_mul(t.kind.sign()).ok_or_else(|| RepoError::Invalid("amount too large".into()))?;
    let now = Utc::now().timestamp();
    tx.prepare_cached("INSERT INTO transactions (customer_id, external_id, kind, amount, occurred_at, reference, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)")?.execute(params![t.customer_id, t.external_id, t.kind.code(), signed, ts(t.occurred_at), t.reference, now])?;
    let id = tx.last_insert_rowid();
    audit::record(
        tx,
        agent,
        "create",
        "transaction",
        id,
        json!({"customer_id": t.customer_id, "kind": t.kind.code(), "amount": signed, "occurred_at": ts(t.occurred_at)}),
    )?;
    Ok(id)
}

/// The triggers of migration 6 that keep `customer_money` row by row. A
/// statement that fires a trigger writes through a statement journal,
/// which makes each row of a bulk write several times dearer: the bulk load
/// and the import drop them while they write (inside their transaction),
/// keep the totals themselves, and create them again before they commit.
const MONEY_TRIGGERS: &[&str] = &["customer_money_insert", "customer_money_update", "customer_money_delete"];

/// Drops the money triggers; returns their SQL, for
/// [`restore_money_triggers`].
pub(crate) fn suspend_money_triggers(tx: &Transaction) -> Result<Vec<String>> {
    drop_triggers(tx, MONEY_TRIGGERS)
}

/// Drops the named triggers that exist; returns their SQL, to create them
/// again with [`create_triggers`].
pub(crate) fn drop_triggers(tx: &Transaction, names: &[&str]) -> Result<Vec<String>> {
    let all: Vec<(String, String)> = {
        let mut st = tx.prepare("SELECT name, sql FROM sqlite_schema WHERE type = 'trigger' AND sql IS NOT NULL")?;
        st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<rusqlite::Result<_>>()?
    };
    let mut out = Vec::new();
    for (name, sql) in all.into_iter().filter(|(name, _)| names.contains(&name.as_str())) {
        tx.execute_batch(&format!("DROP TRIGGER \"{name}\""))?;
        out.push(sql);
    }
    Ok(out)
}

/// Creates again the triggers [`drop_triggers`] dropped.
pub(crate) fn create_triggers(tx: &Transaction, triggers: Vec<String>) -> Result<()> {
    for sql in triggers {
        tx.execute_batch(&sql)?;
    }
    Ok(())
}

pub(crate) fn restore_money_triggers(tx: &Transaction, triggers: Vec<String>) -> Result<()> {
    create_triggers(tx, triggers)
}

/// A transaction's share of its customer's `customer_money` row — entries,
/// sales, positive sales, refunds and discounts, their absolute values,
/// payments and write-offs in absolute value — as the triggers count it.
pub(crate) fn money_share(kind: &str, amount: i64) -> [i64; 6] {
    match kind {
        "sale" => [1, amount, amount.max(0), 0, 0, 0],
        "refund" | "discount" => [1, 0, 0, amount, amount.abs(), 0],
        "payment" | "write_off" => [1, 0, 0, 0, 0, amount.abs()],
        _ => [1, 0, 0, 0, 0, 0],
    }
}

/// Adds `share` (summed [`money_share`]s) to a customer's totals.
pub(crate) const ADD_MONEY: &str =
    "INSERT INTO customer_money (customer_id, entries, sales, sales_in, credits, credits_abs, settled)
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
     ON CONFLICT DO UPDATE SET entries = entries + excluded.entries, sales = sales + excluded.sales,
         sales_in = sales_in + excluded.sales_in, credits = credits + excluded.credits,
         credits_abs = credits_abs + excluded.credits_abs, settled = settled + excluded.settled";

/// Sums a customer's `customer_money` row again from its transactions (from
/// the covering index `transactions_money`).
pub(crate) fn recount_money(tx: &Transaction, customer_id: i64) -> Result<()> {
    tx.prepare_cached("DELETE FROM customer_money WHERE customer_id = ?1")?.execute([customer_id])?;
    tx.prepare_cached(
        "INSERT INTO customer_money (customer_id, entries, sales, sales_in, credits, credits_abs, settled)
         SELECT ?1, count(*),
                coalesce(sum(CASE WHEN kind = 'sale' THEN amount END), 0),
                coalesce(sum(CASE WHEN kind = 'sale' THEN max(amount, 0) END), 0),
                coalesce(sum(CASE WHEN kind = 'refund' OR kind = 'discount' THEN amount END), 0),
                coalesce(sum(CASE WHEN kind = 'refund' OR kind = 'discount' THEN abs(amount) END), 0),
                coalesce(sum(CASE WHEN kind = 'payment' OR kind = 'write_off' THEN abs(amount) END), 0)
         FROM transactions WHERE customer_id = ?1 HAVING count(*) > 0",
    )?
    .execute([customer_id])?;
    Ok(())
}

impl Repo {
    pub fn create_transaction(&mut self, t: &NewTransaction) -> Result<i64> {
        self.write(|tx, agent| insert_transaction(tx, agent, t))
    }

    /// A customer's latest transactions, newest first.
    pub fn recent_transactions(&self, customer_id: i64, limit: usize) -> Result<Vec<Tx>> {
        let mut st = self.conn().prepare_cached(
            "SELECT id, customer_id, kind, amount, occurred_at, reference FROM transactions
             WHERE customer_id = ?1 ORDER BY occurred_at DESC, id DESC LIMIT ?2",
        )?;
        let rows = st.query_map(params![customer_id, limit as i64], |r| {
            Ok(Tx {
                id: r.get(0)?,
                customer_id: r.get(1)?,
                kind: code(TxKind::parse, r.get(2)?)?,
                amount: Money(r.get(3)?),
                occurred_at: from_ts(r.get(4)?),
                reference: r.get(5)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// What ageing needs of a customer's receivables, first in first out:
    /// the invoices (sales: day, amount) not wholly settled yet, newest
    /// first, and how much of them is settled (the oldest of them may be
    /// partly paid). `domain::ageing` gives the same buckets for these as
    /// for every invoice with everything that settles them (payments,
    /// write-offs, refunds, discounts). The outstanding amount comes from
    /// `customer_money`, so only the newest invoices are read, until they
    /// cover it: a customer with years of paid invoices costs no more.
    pub fn receivables_of(&self, customer_id: i64) -> Result<(Vec<(chrono::NaiveDate, Money)>, Money)> {
        let m = self.money_of(customer_id)?;
        let outstanding = (m.sales_in - m.settled - m.credits_abs).max(0);
        let mut open = Vec::new();
        let mut sum = 0i64;
        if outstanding > 0 {
            let mut st = self.conn().prepare_cached(
                // Newest first straight from the (customer, time) index, so
                // the walk stops after the unpaid ones instead of sorting all.
                "SELECT occurred_at, amount FROM transactions INDEXED BY transactions_customer
                 WHERE customer_id = ?1 AND kind = 'sale' AND amount > 0
                 ORDER BY occurred_at DESC, id DESC",
            )?;
            let mut rows = st.query([customer_id])?;
            while sum < outstanding {
                let Some(r) = rows.next()? else { break };
                let amount: i64 = r.get(1)?;
                sum += amount;
                open.push((from_ts(r.get(0)?).date_naive(), Money(amount)));
            }
        }
        Ok((open, Money(sum - outstanding)))
    }

    /// What a customer owes by age as of `today`: what
    /// `domain::ageing::ageing` gives for every invoice (sale) and
    /// everything that settles them (payments, write-offs, refunds,
    /// discounts), without reading the invoices one by one. Settlements pay
    /// the oldest invoices first, so what is owed is the newest invoices'
    /// worth of the outstanding amount (known from `customer_money`): the
    /// invoices of the last 90 days, summed per bucket, take it newest
    /// bucket first, and what is left is over 90 days old.
    pub fn ageing_of(&self, customer_id: i64, today: NaiveDate) -> Result<Ageing> {
        let m = self.money_of(customer_id)?;
        let mut owed = (m.sales_in - m.settled - m.credits_abs).max(0);
        let mut out = Ageing::default();
        if owed == 0 {
            return Ok(out);
        }
        // The first second of the day `days` before today (UTC, as ageing
        // dates invoices).
        let since = |days: u64| {
            today.checked_sub_days(Days::new(days)).map_or(i64::MIN, |d| ts(d.and_time(NaiveTime::MIN).and_utc()))
        };
        let recent: [i64; 3] = self
            .conn()
            .prepare_cached(
                "SELECT coalesce(sum(CASE WHEN occurred_at >= ?2 THEN amount END), 0),
                    coalesce(sum(CASE WHEN occurred_at >= ?3 AND occurred_at < ?2 THEN amount END), 0),
                    coalesce(sum(CASE WHEN occurred_at < ?3 THEN amount END), 0)
             FROM transactions INDEXED BY transactions_customer
             WHERE customer_id = ?1 AND occurred_at >= ?4 AND kind = 'sale' AND amount > 0",
            )?
            .query_row(params![customer_id, since(30), since(60), since(90)], |r| {
                Ok([r.get(0)?, r.get(1)?, r.get(2)?])
            })?;
        for (bucket, sum) in out.buckets.iter_mut().zip(recent) {
            let take = owed.min(sum);
            *bucket = Money(take);
            owed -= take;
        }
        out.buckets[3] = Money(owed);
        Ok(out)
    }

    /// Invoiced (sales less refunds and discounts), paid (payments and
    /// write-offs) and outstanding for a customer, from `customer_money`.
    pub fn balance_of(&self, customer_id: i64) -> Result<(Money, Money, Money)> {
        let m = self.money_of(customer_id)?;
        let invoiced = m.sales + m.credits;
        Ok((Money(invoiced), Money(m.settled), Money(invoiced - m.settled)))
    }

    /// A customer's row of `customer_money` (zeros without transactions).
    fn money_of(&self, customer_id: i64) -> Result<MoneyTotals> {
        Ok(self
            .conn()
            .prepare_cached(
                "SELECT sales, sales_in, credits, credits_abs, settled FROM customer_money WHERE customer_id = ?1",
            )?
            .query_row([customer_id], |r| {
                Ok(MoneyTotals {
                    sales: r.get(0)?,
                    sales_in: r.get(1)?,
                    credits: r.get(2)?,
                    credits_abs: r.get(3)?,
                    settled: r.get(4)?,
                })
            })
            .optional()?
            .unwrap_or_default())
    }
}

/// A customer's sums kept by triggers in `customer_money` (see migration 6).
#[derive(Debug, Clone, Copy, Default)]
struct MoneyTotals {
    /// Sales' amounts.
    sales: i64,
    /// Sales' positive amounts.
    sales_in: i64,
    /// Refunds' and discounts' amounts (negative).
    credits: i64,
    /// Their absolute values.
    credits_abs: i64,
    /// Payments' and write-offs' absolute amounts.
    settled: i64,
}
