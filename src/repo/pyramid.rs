//! What the pyramid reads (contribution per customer over a window) and
//! writes (each customer's computed tier and contribution).

use chrono::NaiveDate;
use rusqlite::params;

use super::{Repo, Result, code};
use crate::domain::model::Tier;
use crate::domain::money::Money;
use crate::domain::pyramid::{Band, ValueInput};
use crate::domain::rfm::{RfmInput, RfmScore, Segment};

impl Repo {
    /// Count and total contribution per tier in force (pins applied), for
    /// active customers, in the order Top, Growth, Low, Negative.
    pub fn tier_bands(&self) -> Result<[Band; 4]> {
        let mut out: [Band; 4] = Default::default();
        let mut st = self.conn().prepare_cached(
            "SELECT coalesce(tier_pin, tier), count(*), sum(contribution) FROM customers
             WHERE status = 'active' GROUP BY 1",
        )?;
        let rows =
            st.query_map([], |r| Ok((code(Tier::parse, r.get(0)?)?, r.get::<_, i64>(1)?, r.get::<_, i64>(2)?)))?;
        for row in rows {
            let (tier, count, total) = row?;
            let i = Tier::ALL.iter().position(|t| *t == tier).unwrap_or(2);
            out[i] = Band { count: count as u64, total: Money(total) };
        }
        Ok(out)
    }
}

/// What the pyramid and RFM need of one customer, as of a day.
#[derive(Debug, Clone, PartialEq)]
pub struct PyramidInput {
    pub value: ValueInput,
    pub rfm: RfmInput,
}

/// A customer of a band as its list shows them.
#[derive(Debug, Clone, PartialEq)]
pub struct BandMember {
    pub id: i64,
    pub name: String,
    pub contribution: Money,
    pub pinned: bool,
    pub rfm: Option<(u8, u8, u8)>,
    pub segment: Option<Segment>,
    /// The churn model's P(alive) and expected purchases, when fitted.
    pub p_alive: Option<f64>,
    pub expected_purchases: Option<f64>,
}

/// One customer whose tier changed between two snapshots.
#[derive(Debug, Clone, PartialEq)]
pub struct TierMove {
    pub customer_id: i64,
    pub name: String,
    pub from: Tier,
    pub to: Tier,
    pub contribution_before: Money,
    pub contribution_after: Money,
}

/// Seconds at 00:00 UTC of a day.
fn day_start(d: NaiveDate) -> i64 {
    d.and_hms_opt(0, 0, 0).map(|t| t.and_utc().timestamp()).unwrap_or(0)
}

impl Repo {
    /// Every active customer's contribution over the window of
    /// `window_days` days ending with (and including) `as_of` — the days
    /// after as_of − window — plus their last 90 days and the 90 before
    /// (for "rising"), and their RFM inputs (sales only) over the window.
    /// Days are UTC days; payments are not contribution.
    pub fn pyramid_inputs(&self, as_of: NaiveDate, window_days: u32) -> Result<Vec<PyramidInput>> {
        let end = day_start(as_of) + 86_400;
        let start = end - window_days as i64 * 86_400;
        let recent = end - 90 * 86_400;
        let previous = end - 180 * 86_400;
        let as_of_day = end / 86_400 - 1;
        let mut st = self.conn().prepare_cached(
            "SELECT c.id, c.tier_pin,
                    coalesce(sum(CASE WHEN t.occurred_at >= ?2 THEN t.amount END), 0),
                    coalesce(sum(CASE WHEN t.occurred_at >= ?3 THEN t.amount END), 0),
                    coalesce(sum(CASE WHEN t.occurred_at >= ?4 AND t.occurred_at < ?3 THEN t.amount END), 0),
                    max(CASE WHEN t.kind = 'sale' AND t.occurred_at >= ?2 THEN t.occurred_at END),
                    count(DISTINCT CASE WHEN t.kind = 'sale' AND t.occurred_at >= ?2 THEN t.occurred_at / 86400 END),
                    coalesce(sum(CASE WHEN t.kind = 'sale' AND t.occurred_at >= ?2 THEN t.amount END), 0)
             FROM customers c
             LEFT JOIN transactions t ON t.customer_id = c.id AND t.kind != 'payment'
                  AND t.occurred_at >= min(?2, ?4) AND t.occurred_at < ?1
             WHERE c.status = 'active'
             GROUP BY c.id",
        )?;
        let rows = st.query_map(params![end, start, recent, previous], |r| {
            let id: i64 = r.get(0)?;
            let last_sale: Option<i64> = r.get(5)?;
            Ok(PyramidInput {
                value: ValueInput {
                    customer_id: id,
                    pin: r.get::<_, Option<String>>(1)?.map(|s| code(Tier::parse, s)).transpose()?,
                    contribution: Money(r.get(2)?),
                    recent: Money(r.get(3)?),
                    previous: Money(r.get(4)?),
                },
                rfm: RfmInput {
                    customer_id: id,
                    recency_days: last_sale.map(|t| as_of_day - t.div_euclid(86_400)),
                    frequency: r.get(6)?,
                    monetary: Money(r.get(7)?),
                },
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Stores each customer's computed tier, contribution and RFM (one
    /// transaction). Derived data, recomputed at will: not audited.
    pub fn store_pyramid(&mut self, rows: &[(i64, Tier, Money, Option<RfmScore>)]) -> Result<()> {
        self.write(|tx, _| {
            let mut st = tx.prepare_cached(
                "UPDATE customers SET tier = ?2, contribution = ?3, rfm_r = ?4, rfm_f = ?5, rfm_m = ?6, rfm_segment = ?7
                 WHERE id = ?1",
            )?;
            for (id, tier, c, rfm) in rows {
                st.execute(params![
                    id,
                    tier.code(),
                    c.0,
                    rfm.map(|s| s.r),
                    rfm.map(|s| s.f),
                    rfm.map(|s| s.m),
                    rfm.map(|s| s.segment.code())
                ])?;
            }
            Ok(())
        })
    }

    /// Records every active customer's tier in force and contribution as the
    /// snapshot of `day`, replacing an earlier snapshot of the same day.
    pub fn store_snapshot(&mut self, day: NaiveDate) -> Result<()> {
        let d = day.format("%Y-%m-%d").to_string();
        self.write(|tx, _| {
            tx.prepare_cached("DELETE FROM tier_snapshots WHERE taken_on = ?1")?.execute([&d])?;
            tx.prepare_cached(
                "INSERT INTO tier_snapshots (taken_on, customer_id, tier, contribution)
                 SELECT ?1, id, coalesce(tier_pin, tier), contribution FROM customers WHERE status = 'active'",
            )?
            .execute([&d])?;
            Ok(())
        })
    }

    /// The days of the latest snapshots, newest first, at most `n`.
    pub fn snapshot_days(&self, n: usize) -> Result<Vec<NaiveDate>> {
        let mut st = self
            .conn()
            .prepare_cached("SELECT DISTINCT taken_on FROM tier_snapshots ORDER BY taken_on DESC LIMIT ?1")?;
        let rows = st.query_map([n as i64], |r| r.get::<_, String>(0))?;
        let days: Vec<String> = rows.collect::<rusqlite::Result<_>>()?;
        Ok(days.into_iter().filter_map(|s| NaiveDate::parse_from_str(&s, "%Y-%m-%d").ok()).collect())
    }

    /// Customers whose tier differs between the snapshots of `before` and
    /// `after`, biggest contribution first.
    pub fn tier_moves(&self, before: NaiveDate, after: NaiveDate) -> Result<Vec<TierMove>> {
        let mut st = self.conn().prepare_cached(
            "SELECT a.customer_id, c.name, b.tier, a.tier, b.contribution, a.contribution
             FROM tier_snapshots a
             JOIN tier_snapshots b ON b.customer_id = a.customer_id AND b.taken_on = ?1
             JOIN customers c ON c.id = a.customer_id
             WHERE a.taken_on = ?2 AND a.tier != b.tier
             ORDER BY a.contribution DESC, a.customer_id",
        )?;
        let rows =
            st.query_map([before.format("%Y-%m-%d").to_string(), after.format("%Y-%m-%d").to_string()], |r| {
                Ok(TierMove {
                    customer_id: r.get(0)?,
                    name: r.get(1)?,
                    from: code(Tier::parse, r.get(2)?)?,
                    to: code(Tier::parse, r.get(3)?)?,
                    contribution_before: Money(r.get(4)?),
                    contribution_after: Money(r.get(5)?),
                })
            })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// A window of one band's customers (tier in force), by contribution,
    /// with their RFM.
    pub fn band_members(&self, tier: Tier, offset: usize, limit: usize) -> Result<Vec<BandMember>> {
        let mut st = self.conn().prepare_cached(
            "SELECT id, name, contribution, tier_pin IS NOT NULL, rfm_r, rfm_f, rfm_m, rfm_segment, p_alive, expected_purchases FROM customers
             WHERE status = 'active' AND coalesce(tier_pin, tier) = ?1
             ORDER BY contribution DESC, id LIMIT ?2 OFFSET ?3",
        )?;
        let rows = st.query_map(params![tier.code(), limit as i64, offset as i64], |r| {
            let (rr, f, m): (Option<u8>, Option<u8>, Option<u8>) = (r.get(4)?, r.get(5)?, r.get(6)?);
            Ok(BandMember {
                id: r.get(0)?,
                name: r.get(1)?,
                contribution: Money(r.get(2)?),
                pinned: r.get(3)?,
                rfm: match (rr, f, m) {
                    (Some(a), Some(b), Some(c)) => Some((a, b, c)),
                    _ => None,
                },
                segment: r.get::<_, Option<String>>(7)?.and_then(|s| Segment::parse(&s)),
                p_alive: r.get(8)?,
                expected_purchases: r.get(9)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}
