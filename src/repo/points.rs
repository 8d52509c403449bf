//! The VIP points ledger: earnings from sales (once per sale), redemptions
//! and manual adjustments, each in a short transaction that checks the
//! balance it changes.

use chrono::Utc;
use rusqlite::{OptionalExtension, Transaction, params};
use serde_json::json;

use super::{Repo, RepoError, Result, audit, code, from_ts};
use crate::domain::model::PointsKind;
use crate::domain::money::Money;
use crate::domain::points::{self, PointsEntry, PointsError};

impl From<PointsError> for RepoError {
    fn from(e: PointsError) -> Self {
        RepoError::Invalid(e.to_string())
    }
}

/// The balance of a customer inside a transaction.
fn balance_in(tx: &Transaction, customer_id: i64) -> Result<i64> {
    Ok(tx
        .prepare_cached("SELECT coalesce(sum(delta), 0) FROM points_ledger WHERE customer_id = ?1")?
        .query_row([customer_id], |r| r.get(0))?)
}

fn ensure_customer(tx: &Transaction, customer_id: i64) -> Result<()> {
    tx.prepare_cached("SELECT 1 FROM customers WHERE id = ?1")?
        .query_row([customer_id], |_| Ok(()))
        .optional()?
        .ok_or(RepoError::NotFound { entity: "customer", id: customer_id })
}

/// Writes one manual entry (redeem or adjust) after checking the balance in
/// the same transaction; returns the new balance.
fn change(repo: &mut Repo, customer_id: i64, delta: i64, kind: PointsKind, reason: &str) -> Result<i64> {
    let reason = points::check_reason(reason)?.to_string();
    repo.write(|tx, agent| {
        ensure_customer(tx, customer_id)?;
        let before = balance_in(tx, customer_id)?;
        let after = points::apply(before, delta)?;
        let now = Utc::now().timestamp();
        tx.prepare_cached(
            "INSERT INTO points_ledger (customer_id, delta, kind, reason, transaction_id, agent, created_at)
             VALUES (?1, ?2, ?3, ?4, NULL, ?5, ?6)",
        )?
        .execute(params![customer_id, delta, kind.code(), reason, agent, now])?;
        let entry = tx.last_insert_rowid();
        audit::record(
            tx,
            agent,
            &format!("points_{}", kind.code()),
            "customer",
            customer_id,
            json!({"points": delta, "reason": reason, "balance": [before, after], "ledger_id": entry}),
        )?;
        Ok(after)
    })
}

impl Repo {
    /// A customer's points balance (the sum of the ledger).
    pub fn points_balance(&self, customer_id: i64) -> Result<i64> {
        Ok(self
            .conn()
            .prepare_cached("SELECT coalesce(sum(delta), 0) FROM points_ledger WHERE customer_id = ?1")?
            .query_row([customer_id], |r| r.get(0))?)
    }

    /// A customer's latest `limit` ledger entries, newest first.
    pub fn points_ledger(&self, customer_id: i64, limit: usize) -> Result<Vec<PointsEntry>> {
        let mut st = self.conn().prepare_cached(
            "SELECT id, customer_id, delta, kind, reason, transaction_id, agent, created_at FROM points_ledger
             WHERE customer_id = ?1 ORDER BY created_at DESC, id DESC LIMIT ?2",
        )?;
        let rows = st.query_map(params![customer_id, limit.min(i64::MAX as usize) as i64], |r| {
            Ok(PointsEntry {
                id: r.get(0)?,
                customer_id: r.get(1)?,
                delta: r.get(2)?,
                kind: code(PointsKind::parse, r.get(3)?)?,
                reason: r.get(4)?,
                transaction_id: r.get(5)?,
                agent: r.get(6)?,
                created_at: from_ts(r.get(7)?),
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Credits every sale of a VIP customer (non-empty `vip_level`) that has
    /// not earned yet with [`points::points_for_sale`]. Idempotent: a sale
    /// earns once, whoever runs this and however often. Sales worth less than
    /// one point earn nothing (and are looked at again next time, harmlessly).
    /// Returns the number of ledger entries made; each customer credited gets
    /// one audit entry.
    pub fn earn_points_for_sales(&mut self, per_unit: u32) -> Result<usize> {
        self.write(|tx, agent| {
            let mut st = tx.prepare_cached(
                "SELECT t.id, t.customer_id, t.amount, t.reference FROM transactions t
                 JOIN customers c ON c.id = t.customer_id
                 WHERE t.kind = 'sale' AND t.amount > 0
                   AND c.vip_level IS NOT NULL AND trim(c.vip_level) <> ''
                   AND t.id NOT IN (SELECT transaction_id FROM points_ledger WHERE transaction_id IS NOT NULL)
                 ORDER BY t.customer_id, t.occurred_at, t.id",
            )?;
            let sales = st
                .query_map([], |r| {
                    Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?, Money(r.get(2)?), r.get::<_, Option<String>>(3)?))
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            let now = Utc::now().timestamp();
            let mut insert = tx.prepare_cached(
                "INSERT INTO points_ledger (customer_id, delta, kind, reason, transaction_id, agent, created_at)
                 VALUES (?1, ?2, 'earn', ?3, ?4, ?5, ?6)",
            )?;
            let mut made = 0;
            // Per customer: entries, points, sale ids (sales come grouped).
            let mut current: Option<(i64, usize, i64, Vec<i64>)> = None;
            let flush = |c: Option<(i64, usize, i64, Vec<i64>)>| -> Result<()> {
                if let Some((customer, n, pts, ids)) = c {
                    audit::record(
                        tx,
                        agent,
                        "points_earn",
                        "customer",
                        customer,
                        json!({"entries": n, "points": pts, "transactions": ids}),
                    )?;
                }
                Ok(())
            };
            for (tid, customer, amount, reference) in sales {
                let pts = points::points_for_sale(amount, per_unit);
                if pts == 0 {
                    continue;
                }
                let reason = match reference.as_deref().map(str::trim).filter(|r| !r.is_empty()) {
                    Some(r) => format!("sale #{tid} ({r}) of {amount}"),
                    None => format!("sale #{tid} of {amount}"),
                };
                insert.execute(params![customer, pts, reason, tid, agent, now])?;
                made += 1;
                if current.as_ref().is_some_and(|c| c.0 != customer) {
                    flush(current.take())?;
                }
                let c = current.get_or_insert_with(|| (customer, 0, 0, Vec::new()));
                c.1 += 1;
                c.2 = c.2.saturating_add(pts);
                c.3.push(tid);
            }
            flush(current)?;
            Ok(made)
        })
    }

    /// Redeems `points` (a positive count) with a reason; refused, with
    /// nothing written, if the reason is empty or the balance would go
    /// negative. Returns the new balance.
    pub fn redeem_points(&mut self, customer_id: i64, points: i64, reason: &str) -> Result<i64> {
        let delta = points::redemption(points)?;
        change(self, customer_id, delta, PointsKind::Redeem, reason)
    }

    /// Adds (or, negative, removes) points by hand with a reason; refused,
    /// with nothing written, if the reason is empty, `delta` is zero or the
    /// balance would go negative. Returns the new balance.
    pub fn adjust_points(&mut self, customer_id: i64, delta: i64, reason: &str) -> Result<i64> {
        change(self, customer_id, delta, PointsKind::Adjust, reason)
    }
}
