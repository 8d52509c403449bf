//! Money transactions: sales, refunds, costs, discounts, write-offs, payments.

use chrono::Utc;
use rusqlite::{Transaction, params};
use serde_json::json;

use super::{Repo, RepoError, Result, audit, code, from_ts, ts};
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
    /// write-offs, refunds, discounts) — but only the newest invoices are
    /// read, so a customer with years of paid invoices costs no more.
    pub fn receivables_of(&self, customer_id: i64) -> Result<(Vec<(chrono::NaiveDate, Money)>, Money)> {
        let (sales, settled): (i64, i64) = self.conn().query_row(
            "SELECT coalesce(sum(CASE WHEN kind = 'sale' THEN max(amount, 0) END), 0),
                    coalesce(sum(CASE WHEN kind IN ('payment', 'write_off', 'refund', 'discount') THEN abs(amount) END), 0)
             FROM transactions WHERE customer_id = ?1",
            [customer_id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        let outstanding = (sales - settled).max(0);
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

    /// Invoiced (sales), paid (payments) and outstanding for a customer.
    pub fn balance_of(&self, customer_id: i64) -> Result<(Money, Money, Money)> {
        let (inv, paid): (i64, i64) = self.conn().query_row(
            "SELECT coalesce(sum(CASE WHEN kind = 'sale' THEN amount END), 0) +
                    coalesce(sum(CASE WHEN kind IN ('refund', 'discount') THEN amount END), 0),
                    coalesce(sum(CASE WHEN kind IN ('payment', 'write_off') THEN abs(amount) END), 0)
             FROM transactions WHERE customer_id = ?1",
            [customer_id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        Ok((Money(inv), Money(paid), Money(inv - paid)))
    }
}
