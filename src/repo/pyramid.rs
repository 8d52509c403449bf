//! What the pyramid reads (contribution per customer over a window) and
//! writes (each customer's computed tier and contribution).

use chrono::{DateTime, Duration, Utc};
use rusqlite::params;

use super::{Repo, Result, code, ts};
use crate::domain::model::Tier;
use crate::domain::money::Money;
use crate::domain::pyramid::{Band, ValueInput};

impl Repo {
    /// Every active customer's contribution over the `window_days` ending at
    /// `as_of`, and over the last 90 days and the 90 before (for "rising").
    pub fn value_inputs(&self, as_of: DateTime<Utc>, window_days: u32) -> Result<Vec<ValueInput>> {
        let end = ts(as_of);
        let start = ts(as_of - Duration::days(window_days as i64));
        let recent = ts(as_of - Duration::days(90));
        let previous = ts(as_of - Duration::days(180));
        let mut st = self.conn().prepare_cached(
            "SELECT c.id, c.tier_pin,
                    coalesce(sum(CASE WHEN t.occurred_at > ?2 THEN t.amount END), 0),
                    coalesce(sum(CASE WHEN t.occurred_at > ?3 THEN t.amount END), 0),
                    coalesce(sum(CASE WHEN t.occurred_at > ?4 AND t.occurred_at <= ?3 THEN t.amount END), 0)
             FROM customers c
             LEFT JOIN transactions t ON t.customer_id = c.id AND t.kind != 'payment'
                  AND t.occurred_at > min(?2, ?4) AND t.occurred_at <= ?1
             WHERE c.status = 'active'
             GROUP BY c.id",
        )?;
        let rows = st.query_map(params![end, start, recent, previous], |r| {
            Ok(ValueInput {
                customer_id: r.get(0)?,
                pin: r.get::<_, Option<String>>(1)?.map(|s| code(Tier::parse, s)).transpose()?,
                contribution: Money(r.get(2)?),
                recent: Money(r.get(3)?),
                previous: Money(r.get(4)?),
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Stores each customer's computed tier and contribution (one
    /// transaction). Not audited: it is derived data, recomputed at will.
    pub fn store_tiers(&mut self, tiers: &[(i64, Tier, Money)]) -> Result<()> {
        self.write(|tx, _| {
            let mut st = tx.prepare_cached("UPDATE customers SET tier = ?2, contribution = ?3 WHERE id = ?1")?;
            for (id, tier, c) in tiers {
                st.execute(params![id, tier.code(), c.0])?;
            }
            Ok(())
        })
    }

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

    /// The customers of one tier (in force), by contribution, a window.
    pub fn customers_in_tier(&self, tier: Tier, offset: usize, limit: usize) -> Result<Vec<(i64, String, Money)>> {
        let mut st = self.conn().prepare_cached(
            "SELECT id, name, contribution FROM customers
             WHERE status = 'active' AND coalesce(tier_pin, tier) = ?1
             ORDER BY contribution DESC, id LIMIT ?2 OFFSET ?3",
        )?;
        let rows = st.query_map(params![tier.code(), limit as i64, offset as i64], |r| {
            Ok((r.get(0)?, r.get(1)?, Money(r.get(2)?)))
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}
