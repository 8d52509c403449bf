//! Deals and their stage history.

use chrono::Utc;
use rusqlite::{OptionalExtension, Row, Transaction, params};
use serde_json::json;

use super::{Repo, RepoError, Result, audit, code, date_text, from_ts, parse_date, ts};
use crate::domain::model::{Deal, DealStatus, NewDeal};
use crate::domain::money::Money;
use crate::domain::pipeline::DealGroup;

const DEAL_COLS: &str = "d.id, d.customer_id, c.name, d.title, d.amount, d.stage, d.probability_pct, d.expected_close,
     d.competitors, d.owner, d.next_step, d.status, d.stage_changed_at, d.last_activity_at, d.version, d.close_reason";

fn deal_from_row(r: &Row) -> rusqlite::Result<Deal> {
    Ok(Deal {
        id: r.get(0)?,
        customer_id: r.get(1)?,
        customer_name: r.get(2)?,
        title: r.get(3)?,
        amount: Money(r.get(4)?),
        stage: r.get(5)?,
        probability_pct: r.get(6)?,
        expected_close: parse_date(r.get(7)?),
        competitors: r.get(8)?,
        owner: r.get(9)?,
        next_step: r.get(10)?,
        status: code(DealStatus::parse, r.get(11)?)?,
        stage_changed_at: from_ts(r.get(12)?),
        last_activity_at: from_ts(r.get(13)?),
        version: r.get(14)?,
        close_reason: r.get(15)?,
    })
}

pub(crate) fn insert_deal(tx: &Transaction, agent: &str, d: &NewDeal) -> Result<i64> {
    if d.title.trim().is_empty() {
        return Err(RepoError::Invalid("a deal needs a title".into()));
    }
    if d.amount.0 < 0 {
        return Err(RepoError::Invalid("a deal's amount cannot be negative".into()));
    }
    if d.probability_pct.is_some_and(|p| p > 100) {
        return Err(RepoError::Invalid("a probability is between 0 and 100%".into()));
    }
    let created = ts(d.created_at);
    let now = Utc::now().timestamp();
    tx.prepare_cached(
        "INSERT INTO deals (customer_id, title, amount, stage, probability_pct, expected_close, competitors, owner,
             next_step, stage_changed_at, last_activity_at, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?10, ?10, ?11)",
    )?
    .execute(params![
        d.customer_id,
        d.title.trim(),
        d.amount.0,
        d.stage,
        d.probability_pct,
        d.expected_close.map(date_text),
        d.competitors,
        d.owner,
        d.next_step,
        created,
        now
    ])?;
    let id = tx.last_insert_rowid();
    tx.prepare_cached("INSERT INTO deal_stage_history (deal_id, from_stage, to_stage, changed_at, agent) VALUES (?1, NULL, ?2, ?3, ?4)")?.execute(params![id, d.stage, created, agent])?;
    audit::record(
        tx,
        agent,
        "create",
        "deal",
        id,
        json!({"customer_id": d.customer_id, "title": d.title, "amount": d.amount.0, "stage": d.stage}),
    )?;
    Ok(id)
}

/// Moves a deal to another stage, or closes it as won or lost (with a
/// reason), checking its version. Writes a stage-history row and an audit
/// entry in the same transaction.
/// Where a deal goes: another stage, or closed as won or lost.
#[derive(Debug, Clone, Copy)]
pub struct StageMove<'a> {
    pub to_stage: &'a str,
    pub status: DealStatus,
    pub reason: Option<&'a str>,
    pub at: chrono::DateTime<Utc>,
}

pub(crate) fn move_deal(tx: &Transaction, agent: &str, id: i64, version: i64, m: &StageMove) -> Result<()> {
    let StageMove { to_stage, status, reason, at } = *m;
    let from: Option<(String, String)> = tx
        .query_row("SELECT stage, status FROM deals WHERE id = ?1", [id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    let (from_stage, from_status) = from.ok_or(RepoError::NotFound { entity: "deal", id })?;
    let closed_at = (status != DealStatus::Open).then(|| ts(at));
    let n = tx
        .prepare_cached(
            "UPDATE deals SET stage = ?3, status = ?4, close_reason = ?5, closed_at = ?6, stage_changed_at = ?7,
             last_activity_at = ?7, version = version + 1, updated_at = ?8
         WHERE id = ?1 AND version = ?2",
        )?
        .execute(params![id, version, to_stage, status.code(), reason, closed_at, ts(at), Utc::now().timestamp()])?;
    if n == 0 {
        return Err(RepoError::Conflict { entity: "deal", id });
    }
    tx.prepare_cached(
        "INSERT INTO deal_stage_history (deal_id, from_stage, to_stage, changed_at, agent, reason)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![id, from_stage, to_stage, ts(at), agent, reason])?;
    audit::record(
        tx,
        agent,
        "stage_move",
        "deal",
        id,
        json!({"stage": [from_stage, to_stage], "status": [from_status, status.code()], "reason": reason}),
    )?;
    Ok(())
}

/// One row of a deal's stage history: its creation (no `from_stage`), a
/// move, or its closing as won or lost (with the reason given).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StageChange {
    pub from_stage: Option<String>,
    pub to_stage: String,
    pub at: chrono::DateTime<Utc>,
    pub agent: String,
    pub reason: Option<String>,
}

/// How the board's cards are ordered within a column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CardSort {
    /// Largest first.
    #[default]
    Amount,
    /// Soonest expected close first (no date last).
    CloseDate,
    /// Longest in its stage first.
    Age,
}

/// What the board shows: whose deals, matching what text, in what order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BoardFilter {
    /// Only this owner's deals.
    pub owner: Option<String>,
    /// Matched against the deal's title and the customer's name, company,
    /// email (case- and accent-insensitive).
    pub text: String,
    pub sort: CardSort,
}

impl BoardFilter {
    /// The deals (and, when the text filter needs them, their customers)
    /// the board reads from, as `d` and `c`.
    fn from(&self) -> &'static str {
        if self.text.trim().is_empty() { "deals d" } else { "deals d JOIN customers c ON c.id = d.customer_id" }
    }

    /// The column's order, as the `deals_board_*` indexes hold it, or its
    /// reverse (the same index walked backwards).
    fn order(&self, reverse: bool) -> &'static str {
        match (self.sort, reverse) {
            (CardSort::Amount, false) => "d.amount DESC, d.id",
            (CardSort::Amount, true) => "d.amount, d.id DESC",
            (CardSort::CloseDate, false) => "d.expected_close IS NULL, d.expected_close, d.id",
            (CardSort::CloseDate, true) => "d.expected_close IS NULL DESC, d.expected_close DESC, d.id DESC",
            (CardSort::Age, false) => "d.stage_changed_at, d.id",
            (CardSort::Age, true) => "d.stage_changed_at DESC, d.id DESC",
        }
    }

    fn condition(&self) -> (String, Vec<String>) {
        let mut cond = String::new();
        let mut args = Vec::new();
        if let Some(o) = &self.owner {
            args.push(o.clone());
            cond += &format!(" AND d.owner = ?{}", args.len() + 1);
        }
        let t = self.text.trim();
        if !t.is_empty() {
            let folded = format!("%{}%", super::customers::like_escape(&crate::domain::text::fold(t)));
            args.push(folded);
            let n = args.len() + 1;
            cond += &format!(" AND (c.search_text LIKE ?{n} ESCAPE '\\' OR lower(d.title) LIKE ?{n} ESCAPE '\\')");
        }
        (cond, args)
    }
}

impl Repo {
    pub fn create_deal(&mut self, d: &NewDeal) -> Result<i64> {
        self.write(|tx, agent| insert_deal(tx, agent, d))
    }

    pub fn deal(&self, id: i64) -> Result<Deal> {
        self.conn()
            .query_row(
                &format!("SELECT {DEAL_COLS} FROM deals d JOIN customers c ON c.id = d.customer_id WHERE d.id = ?1"),
                [id],
                deal_from_row,
            )
            .optional()?
            .ok_or(RepoError::NotFound { entity: "deal", id })
    }

    /// Moves a deal; see [`move_deal`].
    pub fn move_deal(
        &mut self,
        id: i64,
        version: i64,
        to_stage: &str,
        status: DealStatus,
        reason: Option<&str>,
    ) -> Result<()> {
        let m = StageMove { to_stage, status, reason, at: Utc::now() };
        self.move_deal_as(id, version, &m)
    }

    /// Moves a deal as `m` says, at `m.at` (the screen's clock).
    pub fn move_deal_as(&mut self, id: i64, version: i64, m: &StageMove) -> Result<()> {
        self.write(|tx, agent| move_deal(tx, agent, id, version, m))
    }

    /// Open deals summed per (stage, probability override).
    pub fn open_deal_groups(&self) -> Result<Vec<DealGroup>> {
        self.open_deal_groups_where(&BoardFilter::default())
    }

    /// Open deals passing `filter`, summed per (stage, probability override).
    ///
    /// Unfiltered, the sums kept by triggers in `deal_totals` (a few rows,
    /// however many deals); only an owner's, an index-only scan of
    /// `deals_board_owner`; matching a text, every open deal with its
    /// customer.
    pub fn open_deal_groups_where(&self, filter: &BoardFilter) -> Result<Vec<DealGroup>> {
        if filter.owner.is_none() && filter.text.trim().is_empty() {
            let mut st = self.conn().prepare_cached(
                "SELECT stage, nullif(probability_pct, -1), count, amount FROM deal_totals
                 WHERE status = 'open' AND count > 0 ORDER BY stage, probability_pct",
            )?;
            let rows = st.query_map([], |r| {
                Ok(DealGroup {
                    stage: r.get(0)?,
                    probability_pct: r.get(1)?,
                    count: r.get::<_, i64>(2)? as u64,
                    total: Money(r.get(3)?),
                })
            })?;
            return Ok(rows.collect::<rusqlite::Result<_>>()?);
        }
        let (cond, args) = filter.condition();
        let from = filter.from();
        let mut st = self.conn().prepare_cached(&format!(
            "SELECT d.stage, d.probability_pct, count(*), sum(d.amount) FROM {from}
             WHERE d.status = 'open' AND ?1 = ?1 {cond}
             GROUP BY d.stage, d.probability_pct"
        ))?;
        let mut params: Vec<&dyn rusqlite::ToSql> = vec![&1];
        params.extend(args.iter().map(|a| a as &dyn rusqlite::ToSql));
        let rows = st.query_map(params.as_slice(), |r| {
            Ok(DealGroup {
                stage: r.get(0)?,
                probability_pct: r.get(1)?,
                count: r.get::<_, i64>(2)? as u64,
                total: Money(r.get(3)?),
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// A window of open deals in one stage, largest first.
    pub fn open_deals_in_stage(&self, stage: &str, offset: usize, limit: usize) -> Result<Vec<Deal>> {
        self.board_column(stage, &BoardFilter::default(), offset, limit)
    }

    /// A window of one column of the board: open deals in `stage` passing
    /// `filter`, in its order, `limit` of them from the `offset`-th.
    ///
    /// The window's ids are picked first, walking the column's index in
    /// order (the skipped rows cost an index step each, no table or customer
    /// lookup), then only those deals are read whole.
    pub fn board_column(&self, stage: &str, filter: &BoardFilter, offset: usize, limit: usize) -> Result<Vec<Deal>> {
        self.board_window(stage, filter, offset, limit, false)
    }

    /// [`Repo::board_column`] counted from the column's end: the `limit`
    /// cards that end `from_end` cards before its last, in the column's
    /// order. Near the end of a long column this skips fewer rows than
    /// `board_column`'s offset would.
    pub fn board_column_from_end(
        &self,
        stage: &str,
        filter: &BoardFilter,
        from_end: usize,
        limit: usize,
    ) -> Result<Vec<Deal>> {
        let mut cards = self.board_window(stage, filter, from_end, limit, true)?;
        cards.reverse();
        Ok(cards)
    }

    fn board_window(
        &self,
        stage: &str,
        filter: &BoardFilter,
        offset: usize,
        limit: usize,
        reverse: bool,
    ) -> Result<Vec<Deal>> {
        let (cond, args) = filter.condition();
        let (from, order) = (filter.from(), filter.order(reverse));
        let n = args.len() + 2;
        let mut st = self.conn().prepare_cached(&format!(
            "SELECT {DEAL_COLS} FROM (SELECT d.id FROM {from}
                 WHERE d.status = 'open' AND d.stage = ?1 {cond} ORDER BY {order} LIMIT ?{n} OFFSET ?{}) w
             JOIN deals d ON d.id = w.id JOIN customers c ON c.id = d.customer_id
             ORDER BY {order}",
            n + 1
        ))?;
        let (limit, offset) = (limit as i64, offset as i64);
        let mut params: Vec<&dyn rusqlite::ToSql> = vec![&stage];
        params.extend(args.iter().map(|a| a as &dyn rusqlite::ToSql));
        params.push(&limit);
        params.push(&offset);
        let rows = st.query_map(params.as_slice(), deal_from_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Where `deal` stands in its column of the board: how many open deals
    /// of its stage passing `filter` come before it in the column's order.
    /// (The deal itself need not pass the filter.)
    pub fn board_rank(&self, deal: &Deal, filter: &BoardFilter) -> Result<usize> {
        let (cond, args) = filter.condition();
        let from = filter.from();
        // ?k: the deal's sort key, ?i: its id (ties go by id).
        let (k, i) = (args.len() + 2, args.len() + 3);
        let amount = deal.amount.0;
        let close = deal.expected_close.map(date_text);
        let changed = ts(deal.stage_changed_at);
        let (before, key): (String, &dyn rusqlite::ToSql) = match (filter.sort, &close) {
            (CardSort::Amount, _) => (format!("d.amount > ?{k} OR (d.amount = ?{k} AND d.id < ?{i})"), &amount),
            (CardSort::CloseDate, Some(c)) => (
                format!("d.expected_close < ?{k} OR (d.expected_close = ?{k} AND d.id < ?{i})"),
                c as &dyn rusqlite::ToSql,
            ),
            // Without a date: after every dated card, then by id (?k unused).
            (CardSort::CloseDate, None) => {
                (format!("d.expected_close IS NOT NULL OR (?{k} IS NULL AND d.id < ?{i})"), &close)
            }
            (CardSort::Age, _) => {
                (format!("d.stage_changed_at < ?{k} OR (d.stage_changed_at = ?{k} AND d.id < ?{i})"), &changed)
            }
        };
        let mut st = self.conn().prepare_cached(&format!(
            "SELECT count(*) FROM {from} WHERE d.status = 'open' AND d.stage = ?1 {cond} AND ({before})"
        ))?;
        let mut params: Vec<&dyn rusqlite::ToSql> = vec![&deal.stage];
        params.extend(args.iter().map(|a| a as &dyn rusqlite::ToSql));
        params.push(key);
        params.push(&deal.id);
        let n: i64 = st.query_row(params.as_slice(), |r| r.get(0))?;
        Ok(n as usize)
    }

    /// Saves edits to a deal's own fields (not its stage: that is a move),
    /// if nobody changed it since `d.version` was read. Returns the new version.
    pub fn update_deal(&mut self, d: &Deal) -> Result<i64> {
        if d.title.trim().is_empty() {
            return Err(RepoError::Invalid("a deal needs a title".into()));
        }
        if d.amount.0 < 0 {
            return Err(RepoError::Invalid("a deal's amount cannot be negative".into()));
        }
        if d.probability_pct.is_some_and(|p| p > 100) {
            return Err(RepoError::Invalid("a probability is between 0 and 100%".into()));
        }
        self.write(|tx, agent| {
            let old = tx
                .query_row(
                    &format!(
                        "SELECT {DEAL_COLS} FROM deals d JOIN customers c ON c.id = d.customer_id WHERE d.id = ?1"
                    ),
                    [d.id],
                    deal_from_row,
                )
                .optional()?
                .ok_or(RepoError::NotFound { entity: "deal", id: d.id })?;
            let n = tx
                .prepare_cached(
                    "UPDATE deals SET title = ?3, amount = ?4, probability_pct = ?5, expected_close = ?6,
                         competitors = ?7, owner = ?8, next_step = ?9, last_activity_at = ?10,
                         version = version + 1, updated_at = ?10
                     WHERE id = ?1 AND version = ?2",
                )?
                .execute(params![
                    d.id,
                    d.version,
                    d.title.trim(),
                    d.amount.0,
                    d.probability_pct,
                    d.expected_close.map(date_text),
                    d.competitors,
                    d.owner,
                    d.next_step,
                    Utc::now().timestamp()
                ])?;
            if n == 0 {
                return Err(RepoError::Conflict { entity: "deal", id: d.id });
            }
            let mut m = serde_json::Map::new();
            let mut diff = |k: &str, a: serde_json::Value, b: serde_json::Value| {
                if a != b {
                    m.insert(k.into(), json!([a, b]));
                }
            };
            diff("title", json!(old.title), json!(d.title.trim()));
            diff("amount", json!(old.amount.0), json!(d.amount.0));
            diff("probability_pct", json!(old.probability_pct), json!(d.probability_pct));
            diff("expected_close", json!(old.expected_close.map(date_text)), json!(d.expected_close.map(date_text)));
            diff("competitors", json!(old.competitors), json!(d.competitors));
            diff("owner", json!(old.owner), json!(d.owner));
            diff("next_step", json!(old.next_step), json!(d.next_step));
            audit::record(tx, agent, "update", "deal", d.id, serde_json::Value::Object(m))?;
            Ok(d.version + 1)
        })
    }

    /// A customer's open deals, soonest expected close first.
    pub fn open_deals_of(&self, customer_id: i64) -> Result<Vec<Deal>> {
        let mut st = self.conn().prepare_cached(&format!(
            "SELECT {DEAL_COLS} FROM deals d JOIN customers c ON c.id = d.customer_id
             WHERE d.status = 'open' AND d.customer_id = ?1 ORDER BY d.expected_close IS NULL, d.expected_close, d.id"
        ))?;
        let rows = st.query_map([customer_id], deal_from_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// A deal's stage history, oldest first (rows written in the same
    /// second keep their order).
    pub fn stage_history(&self, deal_id: i64) -> Result<Vec<StageChange>> {
        let mut st = self.conn().prepare_cached(
            "SELECT from_stage, to_stage, changed_at, agent, reason FROM deal_stage_history
             WHERE deal_id = ?1 ORDER BY changed_at, id",
        )?;
        let rows = st.query_map([deal_id], |r| {
            Ok(StageChange {
                from_stage: r.get(0)?,
                to_stage: r.get(1)?,
                at: from_ts(r.get(2)?),
                agent: r.get(3)?,
                reason: r.get(4)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Count of deals won and lost, and the won value (from `deal_totals`).
    pub fn closed_deal_counts(&self) -> Result<(i64, i64, Money)> {
        Ok(self.conn().query_row(
            "SELECT coalesce(sum(CASE WHEN status = 'won' THEN count END), 0),
                    coalesce(sum(CASE WHEN status = 'lost' THEN count END), 0),
                    coalesce(sum(CASE WHEN status = 'won' THEN amount END), 0)
             FROM deal_totals WHERE status IN ('won', 'lost')",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, Money(r.get(2)?))),
        )?)
    }
}
