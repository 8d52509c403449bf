//! The inputs of the pipeline analysis (`domain::forecast`): deals with
//! their stage history, and the open deals the forecast weighs.

use rusqlite::params;

use super::{Repo, Result, code, from_ts, parse_date, ts};
use crate::domain::forecast::{DealHistory, Move, OpenDeal, Period, Step};
use crate::domain::model::DealStatus;
use crate::domain::money::Money;

impl Repo {
    /// The deals that did something in `period`: a stage-history row (its
    /// creation, a move, a win or a loss) dated in the period, or a
    /// `closed_at` in it. Each comes with its whole history, in time order
    /// (rows before and after the period too: the time-in-stage figures need
    /// the row that started a stay, the conversion figures the rows after an
    /// entry). Ordered by deal id.
    pub fn deal_histories(&self, period: &Period) -> Result<Vec<DealHistory>> {
        let mut st = self.conn().prepare_cached(
            "SELECT d.id, d.created_at, d.amount, d.status, d.close_reason, d.closed_at, h.to_stage, h.changed_at
             FROM deals d LEFT JOIN deal_stage_history h ON h.deal_id = d.id
             WHERE d.id IN (SELECT deal_id FROM deal_stage_history WHERE changed_at >= ?1 AND changed_at < ?2
                            UNION SELECT id FROM deals WHERE closed_at >= ?1 AND closed_at < ?2)
             ORDER BY d.id, h.changed_at, h.id",
        )?;
        let mut rows = st.query(params![ts(period.start()), ts(period.end())])?;
        let mut out: Vec<DealHistory> = Vec::new();
        while let Some(r) = rows.next()? {
            let id: i64 = r.get(0)?;
            if out.last().is_none_or(|d| d.id != id) {
                out.push(DealHistory {
                    id,
                    created_at: from_ts(r.get(1)?),
                    amount: Money(r.get(2)?),
                    status: code(DealStatus::parse, r.get(3)?)?,
                    close_reason: r.get(4)?,
                    closed_at: r.get::<_, Option<i64>>(5)?.map(from_ts),
                    moves: Vec::new(),
                });
            }
            let stage: Option<String> = r.get(6)?;
            let at: Option<i64> = r.get(7)?;
            if let (Some(stage), Some(at), Some(d)) = (stage, at, out.last_mut()) {
                d.moves.push(Move { to: Step::from_stage(&stage), at: from_ts(at) });
            }
        }
        Ok(out)
    }

    /// Every open deal with what the forecast needs, by id.
    pub fn open_deals_for_forecast(&self) -> Result<Vec<OpenDeal>> {
        let mut st = self.conn().prepare_cached(
            "SELECT id, stage, amount, probability_pct, expected_close FROM deals WHERE status = 'open' ORDER BY id",
        )?;
        let rows = st.query_map([], |r| {
            Ok(OpenDeal {
                id: r.get(0)?,
                stage: r.get(1)?,
                amount: Money(r.get(2)?),
                probability_pct: r.get(3)?,
                expected_close: parse_date(r.get(4)?),
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}
