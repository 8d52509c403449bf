//! What the churn model reads (each customer's purchase days) and writes
//! (P(alive), expected purchases, lifecycle stage, the fit).

use chrono::{NaiveDate, Utc};
use rusqlite::params;

use super::pyramid::{SCAN_CACHE_KIB, STORE_CACHE_KIB, SmallCache, Window};
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

/// What the churn recompute stores of one customer.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ChurnFigures {
    pub p_alive: Option<f64>,
    pub expected_purchases: Option<f64>,
    /// The lifecycle stage's code.
    pub lifecycle: &'static str,
    pub churn_risk: bool,
}

/// One active customer's purchases as the churn model reads them, as of a
/// day: what the model's summary (x, t_x, T) and the lifecycle stage need,
/// without the purchase dates themselves (see
/// [`Repo::each_purchase_summary`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PurchaseSummary {
    pub customer_id: i64,
    /// Distinct UTC days with a sale, up to and including the as-of day.
    pub sale_days: usize,
    /// The first and the last of those days; `None` without a sale.
    pub first_sale: Option<NaiveDate>,
    pub last_sale: Option<NaiveDate>,
    /// Contribution (everything but payments) over the last 90 days up to
    /// the as-of day, and over the 90 before: the pyramid's two periods
    /// (the same figures as [`Repo::pyramid_inputs`]).
    pub recent: Money,
    pub previous: Money,
}

impl PurchaseSummary {
    /// A customer without a sale or any contribution in the two periods.
    fn none(customer_id: i64) -> PurchaseSummary {
        PurchaseSummary {
            customer_id,
            sale_days: 0,
            first_sale: None,
            last_sale: None,
            recent: Money::ZERO,
            previous: Money::ZERO,
        }
    }
}

/// The active customers, by id.
const ACTIVE_IDS: &str = "SELECT id FROM customers WHERE status = 'active' ORDER BY id";

/// Per customer with a transaction other than a payment before ?1 (the end
/// of the as-of day), by customer id: the distinct UTC days with a sale,
/// the first and the last of them, and the contribution over [?2, ?1) and
/// [?3, ?2). One pass down `transactions_customer`: no sort, and nothing
/// held per customer but the current one's distinct days.
const PURCHASES: &str = "SELECT customer_id,
        count(DISTINCT CASE WHEN kind = 'sale' THEN occurred_at / 86400 END),
        min(CASE WHEN kind = 'sale' THEN occurred_at / 86400 END),
        max(CASE WHEN kind = 'sale' THEN occurred_at / 86400 END),
        sum(CASE WHEN occurred_at >= ?2 THEN amount ELSE 0 END),
        sum(CASE WHEN occurred_at >= ?3 AND occurred_at < ?2 THEN amount ELSE 0 END)
     FROM transactions WHERE kind <> 'payment' AND occurred_at < ?1
     GROUP BY customer_id ORDER BY customer_id";

/// Customers whose churn figures are written per transaction (a tenth to
/// a fifth of a second of writing on a million customers' base).
pub const CHURN_BATCH: usize = 20_000;

const UPDATE_CHURN: &str = "UPDATE customers SET p_alive = ?2, expected_purchases = ?3, lifecycle = ?4, churn_risk = ?5
     WHERE id = ?1";

/// A UTC day number (days since 1970-01-01) as a date.
fn day(n: i64) -> NaiveDate {
    NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default() + chrono::Duration::days(n)
}

/// Walks the active customers in id order alongside the per-customer
/// purchase figures (also in id order), handing each active customer's
/// summary to `f`; returns how many there were.
fn each_summary(
    conn: &rusqlite::Connection,
    as_of: NaiveDate,
    mut f: impl FnMut(&PurchaseSummary) -> Result<()>,
) -> Result<usize> {
    // Only the end of the as-of day and the two 90-day periods are used,
    // not the pyramid's window.
    let w = Window::new(as_of, 0);
    let mut ids = conn.prepare_cached(ACTIVE_IDS)?;
    let mut ids = ids.query([])?;
    let mut sums = conn.prepare_cached(PURCHASES)?;
    let mut sums = sums.query(params![w.end, w.recent, w.previous])?;
    let mut read = || -> Result<Option<PurchaseSummary>> {
        let Some(r) = sums.next()? else { return Ok(None) };
        Ok(Some(PurchaseSummary {
            customer_id: r.get(0)?,
            sale_days: r.get::<_, i64>(1)?.max(0) as usize,
            first_sale: r.get::<_, Option<i64>>(2)?.map(day),
            last_sale: r.get::<_, Option<i64>>(3)?.map(day),
            recent: Money(r.get(4)?),
            previous: Money(r.get(5)?),
        }))
    };
    let mut next = read()?;
    let mut n = 0;
    while let Some(r) = ids.next()? {
        let id: i64 = r.get(0)?;
        // Figures of a customer who is not active are passed over.
        while next.is_some_and(|p| p.customer_id < id) {
            next = read()?;
        }
        let s = next.filter(|p| p.customer_id == id).unwrap_or_else(|| PurchaseSummary::none(id));
        f(&s)?;
        n += 1;
    }
    Ok(n)
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

/// Lost customers once Top or Growth, most valuable first: the lost ones
/// through `customers_lifecycle` (`+` keeps the planner off the status
/// index, which would visit every active customer), the "once" through
/// `tier_changes_valued` (a lookup each, not a scan of the snapshots).
/// On a million customers with 117,000 lost: 0.19 s, against hours.
const WIN_BACK: &str = "SELECT c.id, c.name, c.contribution, c.p_alive FROM customers c
     WHERE +c.status = 'active' AND c.lifecycle = 'lost'
       AND EXISTS (SELECT 1 FROM tier_changes s WHERE s.customer_id = c.id AND s.tier IN ('top', 'growth'))
     ORDER BY c.contribution DESC, c.id LIMIT ?1";

/// The active customers the churn model flags, from their partial index
/// (migration 18) alone.
const CHURN_RISKS: &str = "SELECT id, coalesce(p_alive, 0) FROM customers WHERE status = 'active' AND churn_risk = 1";

impl Repo {
    /// Every active customer's distinct sale days up to `as_of` (UTC days),
    /// by customer id; customers without a sale have an empty list. Every
    /// date of the whole base at once: for small bases and tests; the churn
    /// recompute reads [`Repo::each_purchase_summary`].
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

    /// Every active customer's [`PurchaseSummary`] as of `as_of`, in
    /// customer-id order, handed to `f` one at a time (a base of a million
    /// is never held at once); returns how many there were.
    pub fn each_purchase_summary(
        &self,
        as_of: NaiveDate,
        f: impl FnMut(&PurchaseSummary) -> Result<()>,
    ) -> Result<usize> {
        let _cache = SmallCache::new(self.conn(), SCAN_CACHE_KIB)?;
        each_summary(self.conn(), as_of, f)
    }

    /// Stores the churn figures `figures` gives for each active customer's
    /// [`PurchaseSummary`] as of `as_of` (read as in
    /// [`Repo::each_purchase_summary`]), as they are given, then the fit
    /// `fit` gives for the number of customers stored. Returns how many
    /// customers were stored.
    ///
    /// The summaries are read on a second, read-only connection, in one
    /// snapshot, and the figures written [`CHURN_BATCH`] customers to a
    /// short transaction: in one transaction, the read and the writes of a
    /// million customers held the write lock for most of the churn step
    /// (22–24 s), past agents' 5 s busy timeout for saving a call. Until the last batch,
    /// some customers show the new figures and some the previous day's.
    pub fn store_churn_each(
        &mut self,
        as_of: NaiveDate,
        mut figures: impl FnMut(&PurchaseSummary) -> ChurnFigures,
        fit: impl FnOnce(usize) -> StoredFit,
    ) -> Result<usize> {
        if self.read_only {
            return Err(super::RepoError::ReadOnly);
        }
        let reader = self.reader()?;
        let _cache = SmallCache::new(&reader, SCAN_CACHE_KIB)?;
        reader.execute_batch("BEGIN")?;
        let mut batch: Vec<(i64, ChurnFigures)> = Vec::with_capacity(CHURN_BATCH);
        let n = each_summary(&reader, as_of, |s| {
            batch.push((s.customer_id, figures(s)));
            if batch.len() >= CHURN_BATCH {
                self.write_churn(&batch)?;
                batch.clear();
            }
            Ok(())
        })?;
        reader.execute_batch("COMMIT")?;
        self.write_churn(&batch)?;
        let fit = fit(n);
        self.write(|tx, _| {
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
            Ok(n)
        })
    }

    /// Writes a batch of customers' churn figures in one transaction.
    fn write_churn(&mut self, batch: &[(i64, ChurnFigures)]) -> Result<()> {
        if batch.is_empty() {
            return Ok(());
        }
        self.write(|tx, _| {
            let _cache = SmallCache::new(tx, STORE_CACHE_KIB)?;
            let mut update = tx.prepare_cached(UPDATE_CHURN)?;
            for (id, f) in batch {
                update.execute(params![id, f.p_alive, f.expected_purchases, f.lifecycle, f.churn_risk])?;
            }
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
            .prepare_cached("SELECT DISTINCT customer_id FROM tier_changes WHERE tier IN ('top', 'growth')")?;
        let rows = st.query_map([], |r| r.get::<_, i64>(0))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Lost customers who were once Top or Growth, most valuable first.
    pub fn win_back(&self, limit: usize) -> Result<Vec<WinBack>> {
        let mut st = self.conn().prepare_cached(WIN_BACK)?;
        let rows = st.query_map([limit as i64], |r| {
            Ok(WinBack { customer_id: r.get(0)?, name: r.get(1)?, contribution: Money(r.get(2)?), p_alive: r.get(3)? })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Active customers flagged at churn risk: (id, P(alive)).
    pub fn churn_risks(&self) -> Result<Vec<(i64, f64)>> {
        let mut st = self.conn().prepare_cached(CHURN_RISKS)?;
        let rows = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// While every customer is read and scored, no write transaction is
    /// open: an agent's save never waits for the churn job. What is
    /// stored is what was scored.
    #[test]
    fn storing_churn_figures_leaves_the_base_writable_while_it_reads() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.db");
        let mut repo = Repo::open(&path, "test").unwrap();
        let today = NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
        crate::demo::generate(&mut repo, &crate::demo::DemoOptions::new(today)).unwrap();
        let other = rusqlite::Connection::open(&path).unwrap();
        other.busy_timeout(std::time::Duration::ZERO).unwrap();
        let mut scored = Vec::new();
        let n = repo
            .store_churn_each(
                today,
                |s| {
                    other.execute_batch("BEGIN IMMEDIATE; COMMIT").expect("an agent had to wait");
                    scored.push(s.customer_id);
                    ChurnFigures {
                        p_alive: Some(s.customer_id as f64 / 1e6),
                        expected_purchases: Some(s.sale_days as f64),
                        lifecycle: "active",
                        churn_risk: s.customer_id % 2 == 0,
                    }
                },
                |n| StoredFit { as_of: today.to_string(), customers: n as i64, params: None, message: None },
            )
            .unwrap();
        assert_eq!(n, scored.len());
        assert!(n > 200, "{n} customers");
        for id in scored {
            let (p, risk): (f64, bool) = other
                .query_row("SELECT p_alive, churn_risk FROM customers WHERE id = ?1", [id], |r| {
                    Ok((r.get(0)?, r.get(1)?))
                })
                .unwrap();
            assert_eq!((p, risk), (id as f64 / 1e6, id % 2 == 0));
        }
        assert_eq!(repo.latest_fit().unwrap().unwrap().customers, n as i64);
    }

    /// The win-back list looks each lost customer's history up in an
    /// index; it does not scan the snapshots.
    #[test]
    fn win_back_reads_the_snapshots_through_an_index() {
        let dir = tempfile::tempdir().unwrap();
        let repo = Repo::open(&dir.path().join("w.db"), "test").unwrap();
        let plan = crate::repo::query_plan(repo.conn(), WIN_BACK, [10]);
        assert!(plan.iter().any(|p| p.contains("INDEX tier_changes_valued")), "{plan:?}");
        assert!(plan.iter().any(|p| p.contains("INDEX customers_lifecycle")), "{plan:?}");
        assert!(!plan.iter().any(|p| p.contains("SCAN s")), "{plan:?}");
    }

    #[test]
    fn churn_risks_are_read_from_their_index_alone() {
        let dir = tempfile::tempdir().unwrap();
        let repo = Repo::open(&dir.path().join("w.db"), "test").unwrap();
        let plan = crate::repo::query_plan(repo.conn(), CHURN_RISKS, []);
        assert!(plan.iter().any(|p| p.contains("COVERING INDEX customers_churn_risk")), "{plan:?}");
    }
}
