//! What the churn model reads (each customer's purchase days) and writes
//! (P(alive), expected purchases, lifecycle stage, the fit).

use chrono::{NaiveDate, Utc};
use rusqlite::params;

use super::{Repo, Result};
use crate::domain::money::Money;

/// One customer's churn figures as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct ChurnRow {
    pub customer_id: i64,
    pub p_alive: Option<f64>,
    pub expected_purchases: Option<f64>,
    pub lifecycle: String,
    pub churn_risk: bool,
}

/// The last fit, as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredFit {
    pub as_of: String,
    pub customers: i64,
    /// (r, alpha, a, b, log-likelihood) when the base could be fitted.
    pub params: Option<(f64, f64, f64, f64, f64)>,
    /// Why not, when it could not.
    pub message: Option<String>,
}

/// A lost customer who was once Top or Growth: worth winning back.
#[derive(Debug, Clone, PartialEq)]
pub struct WinBack {
    pub customer_id: i64,
    pub name: String,
    pub contribution: Money,
    pub p_alive: Option<f64>,
}

impl Repo {
    /// Every active customer's distinct sale days up to `as_of` (UTC days),
    /// by customer id; customers without a sale have an empty list.
    pub fn purchase_days(&self, as_of: NaiveDate) -> Result<Vec<(i64, Vec<NaiveDate>)>> {
        let end = as_of.and_hms_opt(0, 0, 0).map(|t| t.and_utc().timestamp()).unwrap_or(0) + 86_400;
        let mut st = self.conn().prepare_cached(
            "SELECT c.id, t.day FROM customers c
             LEFT JOIN (SELECT DISTINCT customer_id, occurred_at / 86400 AS day FROM transactions
                        WHERE kind = 'sale' AND occurred_at < ?1) t ON t.customer_id = c.id
             WHERE c.status = 'active' ORDER BY c.id, t.day",
        )?;
        let rows = st.query_map([end], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, Option<i64>>(1)?)))?;
        let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default();
        let mut out: Vec<(i64, Vec<NaiveDate>)> = Vec::new();
        for row in rows {
            let (id, day) = row?;
            if out.last().is_none_or(|(last, _)| *last != id) {
                out.push((id, Vec::new()));
            }
            if let (Some(day), Some(last)) = (day, out.last_mut()) {
                last.1.push(epoch + chrono::Duration::days(day));
            }
        }
        Ok(out)
    }

    /// Stores every customer's churn figures and the fit, in one transaction.
    pub fn store_churn(&mut self, rows: &[ChurnRow], fit: &StoredFit) -> Result<()> {
        self.write(|tx, _| {
            let mut st = tx.prepare_cached(
                "UPDATE customers SET p_alive = ?2, expected_purchases = ?3, lifecycle = ?4, churn_risk = ?5
                 WHERE id = ?1",
            )?;
            for r in rows {
                st.execute(params![r.customer_id, r.p_alive, r.expected_purchases, r.lifecycle, r.churn_risk])?;
            }
            let p = fit.params;
            tx.prepare_cached(
                "INSERT INTO churn_fits (fitted_at, as_of, customers, r, alpha, a, b, log_likelihood, message)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            )?
            .execute(params![
                Utc::now().timestamp(),
                fit.as_of,
                fit.customers,
                p.map(|p| p.0),
                p.map(|p| p.1),
                p.map(|p| p.2),
                p.map(|p| p.3),
                p.map(|p| p.4),
                fit.message
            ])?;
            Ok(())
        })
    }

    /// The latest fit, if the model ever ran on this base.
    pub fn latest_fit(&self) -> Result<Option<StoredFit>> {
        let mut st = self.conn().prepare_cached(
            "SELECT as_of, customers, r, alpha, a, b, log_likelihood, message FROM churn_fits ORDER BY id DESC LIMIT 1",
        )?;
        let mut rows = st.query_map([], |r| {
            let p: [Option<f64>; 5] = [r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?];
            Ok(StoredFit {
                as_of: r.get(0)?,
                customers: r.get(1)?,
                params: match p {
                    [Some(a), Some(b), Some(c), Some(d), Some(e)] => Some((a, b, c, d, e)),
                    _ => None,
                },
                message: r.get(7)?,
            })
        })?;
        Ok(rows.next().transpose()?)
    }

    /// A customer's stored churn figures.
    pub fn churn_of(&self, customer_id: i64) -> Result<ChurnRow> {
        Ok(self.conn().query_row(
            "SELECT id, p_alive, expected_purchases, coalesce(lifecycle, ''), churn_risk FROM customers WHERE id = ?1",
            [customer_id],
            |r| {
                Ok(ChurnRow {
                    customer_id: r.get(0)?,
                    p_alive: r.get(1)?,
                    expected_purchases: r.get(2)?,
                    lifecycle: r.get(3)?,
                    churn_risk: r.get(4)?,
                })
            },
        )?)
    }

    /// Customers that were Top or Growth in any snapshot (ever valuable).
    pub fn ever_valuable(&self) -> Result<std::collections::HashSet<i64>> {
        let mut st = self
            .conn()
            .prepare_cached("SELECT DISTINCT customer_id FROM tier_snapshots WHERE tier IN ('top', 'growth')")?;
        let rows = st.query_map([], |r| r.get::<_, i64>(0))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Lost customers who were once Top or Growth, most valuable first.
    pub fn win_back(&self, limit: usize) -> Result<Vec<WinBack>> {
        let mut st = self.conn().prepare_cached(
            "SELECT c.id, c.name, c.contribution, c.p_alive FROM customers c
             WHERE c.status = 'active' AND c.lifecycle = 'lost'
               AND EXISTS (SELECT 1 FROM tier_snapshots s WHERE s.customer_id = c.id AND s.tier IN ('top', 'growth'))
             ORDER BY c.contribution DESC, c.id LIMIT ?1",
        )?;
        let rows = st.query_map([limit as i64], |r| {
            Ok(WinBack { customer_id: r.get(0)?, name: r.get(1)?, contribution: Money(r.get(2)?), p_alive: r.get(3)? })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Active customers flagged at churn risk: (id, P(alive)).
    pub fn churn_risks(&self) -> Result<Vec<(i64, f64)>> {
        let mut st = self.conn().prepare_cached(
            "SELECT id, coalesce(p_alive, 0) FROM customers WHERE status = 'active' AND churn_risk = 1",
        )?;
        let rows = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}
