//! What the pyramid reads (contribution per customer over a window) and
//! writes (each customer's computed tier and contribution).

use chrono::NaiveDate;
use rusqlite::{OptionalExtension, params};

use super::raw_scan::RawScan;
use super::{Repo, RepoError, Result, code};
use crate::domain::model::Tier;
use crate::domain::money::Money;
use crate::domain::pyramid::{Band, ValueInput};
use crate::domain::rfm::{RfmInput, RfmScore, Segment};

impl Repo {
    /// Count and total contribution per tier in force (pins applied), for
    /// active customers, in the order Top, Growth, Low, Negative.
    pub fn tier_bands(&self) -> Result<[Band; 4]> {
        let mut out: [Band; 4] = Default::default();
        // Kept by triggers (`band_totals.rs`).
        let mut st = self.conn().prepare_cached("SELECT tier, customers, contribution FROM band_totals")?;
        let rows =
            st.query_map([], |r| Ok((code(Tier::parse, r.get(0)?)?, r.get::<_, i64>(1)?, r.get::<_, i64>(2)?)))?;
        for row in rows {
            let (tier, count, total) = row?;
            let i = tier.rank();
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

/// Customers compared per step when a snapshot is written: each step
/// reads that range of ids from `tier_latest` (and the day's rows), so the
/// changes held at once are bounded whatever the size of the base.
const SNAPSHOT_STEP: usize = 65_536;

/// One customer's place in a snapshot: tier in force and contribution.
type SnapState = (Tier, i64);

/// The place in columns `i` (tier) and `i + 1` (contribution) of a row of
/// the tier history; `None` where the tier is NULL (not in the snapshot).
fn snap_state(r: &rusqlite::Row, i: usize) -> Result<Option<SnapState>> {
    Ok(match r.get_ref(i)? {
        rusqlite::types::ValueRef::Null => None,
        v => Some((
            tier_of(v).ok_or_else(|| RepoError::Db(format!("unknown tier {v:?} in the tier history")))?,
            int(r, i + 1)?,
        )),
    })
}

/// What writing a snapshot did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Snapshotted {
    /// The day's snapshot now holds these places; `changes`: the
    /// customers whose row of the day was written or removed.
    Written { changes: usize },
    /// Not written: a later day has a snapshot already (the clock went
    /// back); the history only grows at its end.
    LaterDayExists,
}

/// Writes the snapshot of `day` from `places` (active customers: tier in
/// force, contribution) as changes (see migration 17): compared with each
/// customer's state in the latest snapshot (`tier_latest`), a row of the
/// day for each customer whose state differs. Written again the same day,
/// the day's rows are made to fit the new places (a row that comes back to
/// the previous day's state is removed).
fn write_snapshot(tx: &rusqlite::Transaction, day: NaiveDate, places: &Places) -> Result<Snapshotted> {
    let d = super::date_text(day);
    let latest: Option<String> =
        tx.prepare_cached("SELECT max(taken_on) FROM snapshot_days")?.query_row([], |r| r.get(0))?;
    if latest.as_deref().is_some_and(|l| l > d.as_str()) {
        return Ok(Snapshotted::LaterDayExists);
    }
    let same_day = latest.as_deref() == Some(d.as_str());
    tx.prepare_cached("INSERT OR IGNORE INTO snapshot_days (taken_on) VALUES (?1)")?.execute([&d])?;
    let top = places.slots.len().max(
        1 + tx.query_row("SELECT coalesce(max(customer_id), 0) FROM tier_latest", [], |r| r.get::<_, i64>(0))? as usize,
    );
    let mut changes = 0;
    for lo in (0..top).step_by(SNAPSHOT_STEP) {
        let hi = (lo + SNAPSHOT_STEP).min(top);
        changes += snapshot_step(tx, &d, same_day, places, lo, hi)?;
    }
    Ok(Snapshotted::Written { changes })
}

/// [`write_snapshot`] for the customers with ids in `[lo, hi)`.
fn snapshot_step(
    tx: &rusqlite::Transaction,
    d: &str,
    same_day: bool,
    places: &Places,
    lo: usize,
    hi: usize,
) -> Result<usize> {
    // Each customer's state in the latest snapshot.
    let mut latest: Vec<Option<SnapState>> = vec![None; hi - lo];
    {
        let mut rows = RawScan::new(
            tx,
            "SELECT customer_id, tier, contribution FROM tier_latest WHERE customer_id >= ?1 AND customer_id < ?2",
            &[lo as i64, hi as i64],
        )?;
        while rows.next()? {
            let Some(slot) = usize::try_from(rows.int(0)?).ok().and_then(|id| latest.get_mut(id.wrapping_sub(lo)))
            else {
                continue;
            };
            *slot = match rows.text(1) {
                None => None,
                Some(v) => Some((
                    tier_of_text(v).ok_or_else(|| {
                        RepoError::Db(format!("unknown tier {:?} in the tier history", String::from_utf8_lossy(v)))
                    })?,
                    rows.int(2)?,
                )),
            };
        }
    }
    // Written again the same day: the state each customer with a row of
    // the day had before it (the row's `was_`).
    let mut before_day: Vec<Option<Option<SnapState>>> = Vec::new();
    if same_day {
        before_day = vec![None; hi - lo];
        let mut st = tx.prepare_cached(
            "SELECT customer_id, was_tier, was_contribution FROM tier_changes
             WHERE taken_on = ?1 AND customer_id >= ?2 AND customer_id < ?3",
        )?;
        let mut rows = st.query(params![d, lo as i64, hi as i64])?;
        while let Some(r) = rows.next()? {
            before_day[int(r, 0)? as usize - lo] = Some(snap_state(r, 1)?);
        }
    }
    let mut put = tx.prepare_cached(
        "INSERT INTO tier_changes (taken_on, customer_id, tier, contribution, was_tier, was_contribution)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT (taken_on, customer_id) DO UPDATE SET tier = excluded.tier, contribution = excluded.contribution",
    )?;
    let mut unput = tx.prepare_cached("DELETE FROM tier_changes WHERE taken_on = ?1 AND customer_id = ?2")?;
    let mut set = tx.prepare_cached(
        "INSERT INTO tier_latest (customer_id, tier, contribution) VALUES (?1, ?2, ?3)
         ON CONFLICT (customer_id) DO UPDATE SET tier = excluded.tier, contribution = excluded.contribution",
    )?;
    let mut unset = tx.prepare_cached("DELETE FROM tier_latest WHERE customer_id = ?1")?;
    let code = |s: Option<SnapState>| s.map(|(t, _)| t.code());
    let mut changes = 0;
    for id in lo..hi {
        let want: Option<SnapState> =
            places.slots.get(id).filter(|s| s.active).and_then(|s| Some((s.pin.or(s.tier)?, s.contribution)));
        let now = latest[id - lo];
        // The state before the day, and whether the day has a row.
        let (before, has_row) = match before_day.get(id - lo) {
            Some(Some(b)) => (*b, true),
            _ => (now, false),
        };
        if want == before {
            if has_row {
                unput.execute(params![d, id as i64])?;
                changes += 1;
            }
        } else if want != now || !has_row {
            put.execute(params![d, id as i64, code(want), want.map(|w| w.1), code(before), before.map(|b| b.1)])?;
            changes += 1;
        }
        if want != now {
            match want {
                Some((t, c)) => set.execute(params![id as i64, t.code(), c])?,
                None => unset.execute([id as i64])?,
            };
        }
    }
    Ok(changes)
}

/// Seconds at 00:00 UTC of a day.
fn day_start(d: NaiveDate) -> i64 {
    d.and_hms_opt(0, 0, 0).map(|t| t.and_utc().timestamp()).unwrap_or(0)
}

/// Each customer's pyramid columns as stored, indexed by customer id, as
/// the recompute reads them once (a million customers in 16 MB): whether
/// the customer is active, its pin, and its stored tier, contribution and
/// RFM, which the store compares the new figures with so that it writes
/// only what changed.
#[derive(Debug, Clone)]
pub struct Places {
    slots: Vec<Slot>,
    /// The base's `data_version` when read: a store that finds another
    /// value reads the places again inside its transaction.
    data_version: i64,
}

#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct Slot {
    contribution: i64,
    active: bool,
    /// Whether a new figure was given for this customer that differs from
    /// the stored one, and which.
    changed: Change,
    pin: Option<Tier>,
    /// `None`: no row, or a stored value this code cannot read (rewritten).
    tier: Option<Tier>,
    /// `Some(None)`: no scores stored; `None`: unreadable scores (rewritten).
    rfm: Option<Option<RfmScore>>,
}

/// What a recompute changes in one customer's stored columns.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
enum Change {
    #[default]
    Nothing,
    /// Only the RFM scores or segment: the tier and contribution stay, and
    /// so do the customer's place in `customers_band` (only the entry's
    /// trailing RFM columns are written) and the band totals. Moving a day
    /// at a million customers changes about a third of the customers it
    /// changes this way (quintile boundaries move).
    Rfm,
    /// The tier or the contribution (the RFM too, maybe).
    Figures,
}

impl Places {
    /// One more than the highest customer id.
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    pub fn is_active(&self, id: i64) -> bool {
        self.slot(id).is_some_and(|s| s.active)
    }

    /// The pin of an active customer.
    pub fn pin(&self, id: i64) -> Option<Tier> {
        self.slot(id).and_then(|s| s.pin)
    }

    /// The active customers' ids, ascending.
    pub fn active_ids(&self) -> impl Iterator<Item = i64> + '_ {
        self.slots.iter().enumerate().filter(|(_, s)| s.active).map(|(id, _)| id as i64)
    }

    fn slot(&self, id: i64) -> Option<&Slot> {
        usize::try_from(id).ok().and_then(|i| self.slots.get(i))
    }
}

/// One customer's figures over the pyramid's window (see
/// [`Repo::window_totals`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WindowTotal {
    /// Everything but payments, over the window.
    pub contribution: Money,
    /// Everything but payments, over the last 90 days, and the 90 before.
    pub recent: Money,
    pub previous: Money,
    /// Sales over the window.
    pub sales: Money,
    /// The UTC day (days since 1970-01-01) of the last sale in the window,
    /// `i32::MIN` without one.
    pub last_sale_day: i32,
    /// Distinct UTC days with a sale in the window.
    pub sale_days: u32,
}

impl WindowTotal {
    pub const NONE: WindowTotal = WindowTotal {
        contribution: Money::ZERO,
        recent: Money::ZERO,
        previous: Money::ZERO,
        sales: Money::ZERO,
        last_sale_day: i32::MIN,
        sale_days: 0,
    };

    /// Days from the last sale to `as_of_day`, without a sale `None`.
    pub fn recency_days(&self, as_of_day: i64) -> Option<i64> {
        (self.last_sale_day != i32::MIN).then(|| as_of_day - self.last_sale_day as i64)
    }
}

/// The window of a pyramid as of a day, in stored seconds: the window
/// [start, end), the last 90 days [recent, end), the 90 before
/// [previous, recent), and the as-of day's number. The churn model reads
/// the same two periods (see [`Repo::each_purchase_summary`]).
pub(super) struct Window {
    pub(super) end: i64,
    start: i64,
    pub(super) recent: i64,
    pub(super) previous: i64,
    as_of_day: i64,
}

impl Window {
    pub(super) fn new(as_of: NaiveDate, window_days: u32) -> Window {
        let end = day_start(as_of) + 86_400;
        Window {
            end,
            start: end - window_days as i64 * 86_400,
            recent: end - 90 * 86_400,
            previous: end - 180 * 86_400,
            as_of_day: end / 86_400 - 1,
        }
    }
}

/// An integer column, without the conversions of `Row::get`.
#[inline]
fn int(r: &rusqlite::Row, i: usize) -> Result<i64> {
    match r.get_ref(i)? {
        rusqlite::types::ValueRef::Integer(v) => Ok(v),
        v => Err(RepoError::Db(format!("column {i}: expected an integer, found {}", v.data_type()))),
    }
}

/// SQLite's page cache of a connection lowered for as long as this lives
/// (then set back): the recompute's scans read each page once, so a big
/// cache would only hold memory (the app's budget is 100 MB in all).
pub(super) struct SmallCache<'c> {
    conn: &'c rusqlite::Connection,
    before: i64,
}

impl<'c> SmallCache<'c> {
    pub(super) fn new(conn: &'c rusqlite::Connection, kib: i64) -> Result<SmallCache<'c>> {
        let before: i64 = conn.query_row("PRAGMA cache_size", [], |r| r.get(0))?;
        conn.pragma_update(None, "cache_size", -kib)?;
        Ok(SmallCache { conn, before })
    }
}

impl Drop for SmallCache<'_> {
    fn drop(&mut self) {
        let _ = self.conn.pragma_update(None, "cache_size", self.before);
    }
}

/// The page cache while the recompute scans (KiB).
pub(super) const SCAN_CACHE_KIB: i64 = 2_048;

/// The page cache while the recompute stores (KiB): the changed customers
/// are written in id order, but their index entries land all over.
pub(super) const STORE_CACHE_KIB: i64 = 8_192;

/// The indexes on the columns a recompute writes.
const PYRAMID_INDEXES: &[&str] = &["customers_band"];

/// A window of a band's members, read in the order of `customers_band`
/// (no sort of the band).
const BAND_MEMBERS: &str =
    "SELECT id, name, contribution, tier_pin IS NOT NULL, rfm_r, rfm_f, rfm_m, rfm_segment, p_alive,
        expected_purchases FROM customers
     WHERE status = 'active' AND coalesce(tier_pin, tier) = ?1
     ORDER BY contribution DESC, id LIMIT ?2 OFFSET ?3";

/// Rows of the window scan handled together.
const BATCH: usize = 1_024;

/// Reads up to [`BATCH`] rows of (customer id, amount, time) into `batch`
/// (emptied first); whether there may be more. A customer id that is not
/// an index (negative) becomes `usize::MAX`, which no total has.
fn read_batch(rows: &mut RawScan, batch: &mut Vec<(usize, i64, i64)>) -> Result<bool> {
    batch.clear();
    while batch.len() < BATCH {
        if !rows.next()? {
            return Ok(false);
        }
        batch.push((usize::try_from(rows.int(0)?).unwrap_or(usize::MAX), rows.int(1)?, rows.int(2)?));
    }
    Ok(true)
}

/// Reads the totals a batch is about to add to, in a loop without
/// branches on their values, so that the processor has many of these cache
/// misses in flight at once (a million totals are 40 MB, the batch's
/// customers scattered over them); the loop that adds, whose branches
/// depend on the values, then finds them in cache.
#[inline]
fn touch(out: &[WindowTotal], batch: &[(usize, i64, i64)]) {
    let mut acc = 0u32;
    for &(id, _, _) in batch {
        acc ^= out.get(id).map_or(0, |t| t.sale_days);
    }
    std::hint::black_box(acc);
}

/// The stored codes of the pyramid columns, read without allocating.
fn tier_of(v: rusqlite::types::ValueRef) -> Option<Tier> {
    v.as_str().ok().and_then(|s| Tier::parse(s).ok())
}

/// A tier's stored code, from the bytes of a text column.
fn tier_of_text(v: &[u8]) -> Option<Tier> {
    std::str::from_utf8(v).ok().and_then(|s| Tier::parse(s).ok())
}

/// The stored RFM scores of a row of [`STORED_FIGURES`].
fn stored_rfm(r: &RawScan) -> Result<Option<Option<RfmScore>>> {
    let segment = r.text(7).map(|b| std::str::from_utf8(b).ok());
    Ok(match (r.int_or_null(4)?, r.int_or_null(5)?, r.int_or_null(6)?, segment) {
        (None, None, None, None) => Some(None),
        (Some(a @ 1..=5), Some(b @ 1..=5), Some(c @ 1..=5), Some(Some(seg))) => Segment::parse(seg)
            .map(|segment| Some(RfmScore { r: a as u8, f: b as u8, m: c as u8, segment }))
            .filter(|s| s.is_some_and(|s| s.segment == Segment::of(s.r, s.f))),
        _ => None,
    })
}

/// Every active customer's stored pyramid columns, read from the covering
/// index `customers_band` (about 45 bytes an entry), not the table (258).
const STORED_FIGURES: &str = "SELECT id, tier_pin, tier, contribution, rfm_r, rfm_f, rfm_m, rfm_segment FROM customers
     WHERE status = 'active'";

fn read_places(conn: &rusqlite::Connection) -> Result<Places> {
    let data_version: i64 = conn.query_row("PRAGMA data_version", [], |r| r.get(0))?;
    let max: i64 = conn.query_row("SELECT coalesce(max(id), 0) FROM customers", [], |r| r.get(0))?;
    let mut slots = vec![Slot::default(); usize::try_from(max).unwrap_or(0) + 1];
    let mut rows = RawScan::new(conn, STORED_FIGURES, &[])?;
    while rows.next()? {
        let Some(slot) = usize::try_from(rows.int(0)?).ok().and_then(|i| slots.get_mut(i)) else {
            continue;
        };
        *slot = Slot {
            contribution: rows.int(3)?,
            active: true,
            changed: Change::Nothing,
            pin: match rows.text(1) {
                None => None,
                Some(v) => Some(
                    tier_of_text(v)
                        .ok_or_else(|| RepoError::Db(format!("unknown tier pin {:?}", String::from_utf8_lossy(v))))?,
                ),
            },
            tier: rows.text(2).and_then(tier_of_text),
            rfm: stored_rfm(&rows)?,
        };
    }
    Ok(Places { slots, data_version })
}

impl Repo {
    /// Every active customer's contribution over the window of
    /// `window_days` days ending with (and including) `as_of` — the days
    /// after as_of − window — plus their last 90 days and the 90 before
    /// (for "rising"), and their RFM inputs (sales only) over the window,
    /// by customer id. Days are UTC days; payments are not contribution.
    pub fn pyramid_inputs(&self, as_of: NaiveDate, window_days: u32) -> Result<Vec<PyramidInput>> {
        let places = self.pyramid_places()?;
        let totals = self.window_totals(as_of, window_days, places.len())?;
        let as_of_day = Window::new(as_of, window_days).as_of_day;
        Ok(places
            .active_ids()
            .map(|id| {
                let t = totals[id as usize];
                PyramidInput {
                    value: ValueInput {
                        customer_id: id,
                        pin: places.pin(id),
                        contribution: t.contribution,
                        recent: t.recent,
                        previous: t.previous,
                    },
                    rfm: RfmInput {
                        customer_id: id,
                        recency_days: t.recency_days(as_of_day),
                        frequency: t.sale_days as i64,
                        monetary: t.sales,
                    },
                }
            })
            .collect())
    }

    /// Every customer's pyramid columns as stored (see [`Places`]).
    pub fn pyramid_places(&self) -> Result<Places> {
        let _cache = SmallCache::new(self.conn(), SCAN_CACHE_KIB)?;
        read_places(self.conn())
    }

    /// The figures of every customer over the window of `window_days` days
    /// ending with (and including) `as_of`, indexed by customer id, for
    /// ids below `ids` (the rest are left out; ids without transactions get
    /// [`WindowTotal::NONE`]). Two scans of the time-ordered partial indexes
    /// of migration 4, aggregated here, rather than a join grouped by
    /// customer: the sales in time order (so distinct days are counted as
    /// they come), then the costs.
    pub fn window_totals(&self, as_of: NaiveDate, window_days: u32, ids: usize) -> Result<Vec<WindowTotal>> {
        let w = Window::new(as_of, window_days);
        let lo = w.start.min(w.previous);
        let _cache = SmallCache::new(self.conn(), SCAN_CACHE_KIB)?;
        let mut out = vec![WindowTotal::NONE; ids];
        let add = |t: &mut WindowTotal, amount: i64, at: i64| {
            if at >= w.start {
                t.contribution.0 += amount;
            }
            if at >= w.recent {
                t.recent.0 += amount;
            } else if at >= w.previous {
                t.previous.0 += amount;
            }
        };
        // Rows are added a batch at a time, apart from the SQLite calls, so
        // that the processor overlaps the cache misses of the scattered
        // customers' totals instead of waiting for each in turn.
        let mut batch: Vec<(usize, i64, i64)> = Vec::with_capacity(BATCH);
        let mut rows = RawScan::new(
            self.conn(),
            "SELECT customer_id, amount, occurred_at FROM transactions
             WHERE kind = 'sale' AND occurred_at >= ?1 AND occurred_at < ?2 ORDER BY occurred_at",
            &[lo, w.end],
        )?;
        let mut more = true;
        while more {
            more = read_batch(&mut rows, &mut batch)?;
            touch(&out, &batch);
            for &(id, amount, at) in &batch {
                let Some(t) = out.get_mut(id) else { continue };
                add(t, amount, at);
                if at >= w.start {
                    t.sales.0 += amount;
                    let day = at.div_euclid(86_400) as i32;
                    if day != t.last_sale_day {
                        t.sale_days += 1;
                        t.last_sale_day = day;
                    }
                }
            }
        }
        let mut rows = RawScan::new(
            self.conn(),
            "SELECT customer_id, amount, occurred_at FROM transactions
             WHERE kind NOT IN ('sale', 'payment') AND occurred_at >= ?1 AND occurred_at < ?2",
            &[lo, w.end],
        )?;
        let mut more = true;
        while more {
            more = read_batch(&mut rows, &mut batch)?;
            touch(&out, &batch);
            for &(id, amount, at) in &batch {
                if let Some(t) = out.get_mut(id) {
                    add(t, amount, at);
                }
            }
        }
        Ok(out)
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

    /// Stores a recomputed pyramid and snapshots it as of `day`, in one
    /// transaction: each active customer's computed tier, contribution and
    /// RFM (`rows`, any order), written only where they differ from
    /// `places` (read before through this same `Repo`; read again inside
    /// the transaction if anyone wrote to the base since), then every
    /// active customer's tier in force and contribution as the snapshot of
    /// `day` (written as the changes since the latest snapshot; none when a
    /// later day has one). The same as [`Repo::store_pyramid`] followed by
    /// [`Repo::store_snapshot`]. Returns how many customers' figures changed.
    pub fn store_recomputed(
        &mut self,
        mut places: Places,
        day: NaiveDate,
        rows: impl IntoIterator<Item = (i64, Tier, Money, Option<RfmScore>)>,
    ) -> Result<usize> {
        if self.read_only {
            return Err(RepoError::ReadOnly);
        }
        // The CHECK (tier IN (...)) constraints cost a temporary b-tree per
        // row; every value written here is a Tier's code().
        let checks: bool = self.conn.query_row("PRAGMA ignore_check_constraints", [], |r| r.get(0))?;
        self.conn.pragma_update(None, "ignore_check_constraints", true)?;
        let cache: i64 = self.conn.query_row("PRAGMA cache_size", [], |r| r.get(0))?;
        self.conn.pragma_update(None, "cache_size", -STORE_CACHE_KIB)?;
        let out = self.write(|tx, _| {
            let now: i64 = tx.query_row("PRAGMA data_version", [], |r| r.get(0))?;
            if now != places.data_version {
                places = read_places(tx)?;
            }
            let mut changed = 0;
            // What the band triggers would have done, done once at the end
            // instead (each trigger also made every UPDATE keep a statement
            // journal: a day's store at a million customers took twice as long).
            let mut bands = super::band_totals::BandChanges::default();
            for (id, tier, contribution, rfm) in rows {
                // A customer archived since the figures were computed is left alone.
                let Some(slot) = usize::try_from(id).ok().and_then(|i| places.slots.get_mut(i)).filter(|s| s.active)
                else {
                    continue;
                };
                let figures = slot.tier != Some(tier) || slot.contribution != contribution.0;
                if figures || slot.rfm != Some(rfm) {
                    if figures {
                        bands.change(id, slot.pin.or(slot.tier), slot.contribution, slot.pin.unwrap_or(tier), contribution.0);
                    }
                    let change = if figures { Change::Figures } else { Change::Rfm };
                    *slot = Slot {
                        tier: Some(tier),
                        contribution: contribution.0,
                        rfm: Some(rfm),
                        changed: change.max(slot.changed),
                        ..*slot
                    };
                    changed += 1;
                }
            }
            // When most customers change (the first recompute after a bulk
            // load or an import), the indexes on the changed columns are
            // built again in one sorted pass rather than updated entry by
            // entry, which costs a random b-tree descent per entry: three
            // times faster at a million customers.
            let rebuild: Vec<String> = if changed * 4 > places.slots.len() {
                let mut st = tx.prepare(
                    "SELECT name, sql FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'customers' AND sql IS NOT NULL",
                )?;
                let all: Vec<(String, String)> =
                    st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<rusqlite::Result<_>>()?;
                let mut sqls = Vec::new();
                for (name, sql) in all.into_iter().filter(|(name, _)| PYRAMID_INDEXES.contains(&name.as_str())) {
                    tx.execute_batch(&format!("DROP INDEX \"{}\"", name.replace('"', "\"\"")))?;
                    sqls.push(sql);
                }
                sqls
            } else {
                Vec::new()
            };
            let rebuilt = !rebuild.is_empty();
            let triggers = super::band_totals::suspend(tx)?;
            {
                let mut figures = tx.prepare_cached(
                    "UPDATE customers SET tier = ?2, contribution = ?3, rfm_r = ?4, rfm_f = ?5, rfm_m = ?6,
                         rfm_segment = ?7
                     WHERE id = ?1",
                )?;
                // Only the RFM columns: the customer's entry in
                // `customers_band` keeps its place (its trailing RFM
                // columns are rewritten), and the band totals stand.
                let mut rfm_only = tx.prepare_cached(
                    "UPDATE customers SET rfm_r = ?2, rfm_f = ?3, rfm_m = ?4, rfm_segment = ?5 WHERE id = ?1",
                )?;
                for (id, s) in places.slots.iter().enumerate().filter(|(_, s)| s.changed != Change::Nothing) {
                    let rfm = s.rfm.flatten();
                    let (r, f, m, segment) =
                        (rfm.map(|s| s.r), rfm.map(|s| s.f), rfm.map(|s| s.m), rfm.map(|s| s.segment.code()));
                    match s.changed {
                        Change::Rfm => rfm_only.execute(params![id as i64, r, f, m, segment])?,
                        _ => figures.execute(params![
                            id as i64,
                            s.tier.map(Tier::code),
                            s.contribution,
                            r,
                            f,
                            m,
                            segment
                        ])?,
                    };
                }
            }
            for sql in rebuild {
                tx.execute_batch(&sql)?;
            }
            if !rebuilt {
                bands.apply(tx, triggers)?;
            } else {
                // Most customers changed: the bands counted again in one pass.
                super::band_totals::restore(tx, triggers)?;
            }
            write_snapshot(tx, day, &places)?;
            Ok(changed)
        });
        self.conn.pragma_update(None, "ignore_check_constraints", checks)?;
        self.conn.pragma_update(None, "cache_size", cache)?;
        out
    }

    /// Records every active customer's tier in force and contribution as the
    /// snapshot of `day`, replacing an earlier snapshot of the same day. A
    /// day before the latest snapshot's is refused (the history only grows
    /// at its end).
    pub fn store_snapshot(&mut self, day: NaiveDate) -> Result<Snapshotted> {
        self.write(|tx, _| write_snapshot(tx, day, &read_places(tx)?))
    }

    /// Removes the snapshots of `day` and of every later day (the newest
    /// first, each customer's latest state going back to the one before);
    /// returns how many days were removed.
    pub fn delete_snapshots_from(&mut self, day: NaiveDate) -> Result<usize> {
        let d = super::date_text(day);
        self.write(|tx, _| {
            let days: Vec<String> = tx
                .prepare_cached("SELECT taken_on FROM snapshot_days WHERE taken_on >= ?1 ORDER BY taken_on DESC")?
                .query_map([&d], |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()?;
            for day in &days {
                tx.prepare_cached(
                    "DELETE FROM tier_latest WHERE customer_id IN (SELECT customer_id FROM tier_changes WHERE taken_on = ?1)",
                )?
                .execute([day])?;
                tx.prepare_cached(
                    "INSERT INTO tier_latest (customer_id, tier, contribution)
                     SELECT customer_id, was_tier, was_contribution FROM tier_changes
                     WHERE taken_on = ?1 AND was_tier IS NOT NULL",
                )?
                .execute([day])?;
                tx.prepare_cached("DELETE FROM tier_changes WHERE taken_on = ?1")?.execute([day])?;
                tx.prepare_cached("DELETE FROM snapshot_days WHERE taken_on = ?1")?.execute([day])?;
            }
            Ok(days.len())
        })
    }

    /// The days of the latest snapshots, newest first, at most `n`.
    pub fn snapshot_days(&self, n: usize) -> Result<Vec<NaiveDate>> {
        let mut st =
            self.conn().prepare_cached("SELECT taken_on FROM snapshot_days ORDER BY taken_on DESC LIMIT ?1")?;
        let rows = st.query_map([n as i64], |r| r.get::<_, String>(0))?;
        let days: Vec<String> = rows.collect::<rusqlite::Result<_>>()?;
        Ok(days.into_iter().filter_map(|s| NaiveDate::parse_from_str(&s, "%Y-%m-%d").ok()).collect())
    }

    /// The snapshot of `day` whole: each customer in it, by id, with its
    /// tier in force and contribution then (its latest change on or before
    /// the day). Reads every change up to the day: for checks and exports,
    /// not for a frame.
    pub fn snapshot(&self, day: NaiveDate) -> Result<Vec<(i64, Tier, Money)>> {
        let mut st = self.conn().prepare_cached(
            "SELECT customer_id, tier, contribution FROM tier_changes WHERE taken_on <= ?1 ORDER BY taken_on",
        )?;
        let mut rows = st.query([super::date_text(day)])?;
        let mut out = std::collections::BTreeMap::new();
        while let Some(r) = rows.next()? {
            let id = int(r, 0)?;
            match snap_state(r, 1)? {
                None => out.remove(&id),
                Some(place) => out.insert(id, place),
            };
        }
        Ok(out.into_iter().map(|(id, (t, c))| (id, t, Money(c))).collect())
    }

    /// Customers whose tier differs between the snapshots of `before` and
    /// `after`, biggest contribution first: read from the changes of the
    /// days after `before` up to `after` (a customer's state at `before` is
    /// what its first change after it replaced).
    pub fn tier_moves(&self, before: NaiveDate, after: NaiveDate) -> Result<Vec<TierMove>> {
        let mut moves = self.tier_moves_unnamed(before, after)?;
        let ids: Vec<i64> = moves.iter().map(|m| m.customer_id).collect();
        for (m, name) in moves.iter_mut().zip(self.names_of(&ids)?) {
            m.name = name;
        }
        Ok(moves)
    }

    /// The customers' names, in the order of `ids` (empty for an id
    /// without a customer).
    pub fn names_of(&self, ids: &[i64]) -> Result<Vec<String>> {
        let mut name = self.conn().prepare_cached("SELECT name FROM customers WHERE id = ?1")?;
        ids.iter()
            .map(|id| Ok(name.query_row([id], |r| r.get::<_, String>(0)).optional()?.unwrap_or_default()))
            .collect()
    }

    /// [`Repo::tier_moves`] with every name left empty: the moves alone
    /// read no customer row (a day's 7,000 moves at a million customers
    /// are as many rows scattered over the table: 70 ms in a new process).
    /// Every customer of the tier history exists (its foreign key).
    pub fn tier_moves_unnamed(&self, before: NaiveDate, after: NaiveDate) -> Result<Vec<TierMove>> {
        let mut st = self.conn().prepare_cached(
            "SELECT customer_id, tier, contribution, was_tier, was_contribution FROM tier_changes
             WHERE taken_on > ?1 AND taken_on <= ?2 ORDER BY taken_on",
        )?;
        let mut rows = st.query([super::date_text(before), super::date_text(after)])?;
        // Each customer's place before its first change and after its last.
        let mut ends: std::collections::HashMap<i64, (Option<SnapState>, Option<SnapState>)> =
            std::collections::HashMap::new();
        while let Some(r) = rows.next()? {
            let (now, was) = (snap_state(r, 1)?, snap_state(r, 3)?);
            ends.entry(int(r, 0)?).and_modify(|e| e.1 = now).or_insert((was, now));
        }
        let mut out = Vec::new();
        for (id, ends) in ends {
            let (Some((from, before)), Some((to, after))) = ends else { continue };
            if from == to {
                continue;
            }
            out.push(TierMove {
                customer_id: id,
                name: String::new(),
                from,
                to,
                contribution_before: Money(before),
                contribution_after: Money(after),
            });
        }
        out.sort_by(|a, b| b.contribution_after.cmp(&a.contribution_after).then(a.customer_id.cmp(&b.customer_id)));
        Ok(out)
    }

    /// A window of one band's customers (tier in force), by contribution,
    /// with their RFM.
    pub fn band_members(&self, tier: Tier, offset: usize, limit: usize) -> Result<Vec<BandMember>> {
        let mut st = self.conn().prepare_cached(BAND_MEMBERS)?;
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

#[cfg(test)]
mod tests {
    use chrono::{Duration, TimeZone, Utc};

    use super::*;
    use crate::domain::model::{CustomerKind, CustomerStatus, NewCustomer, NewTransaction, TxKind};

    fn day() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 3, 10).unwrap()
    }

    /// Customers with sales of 1, 2, ..., n hundred (their ids are 1..=n).
    fn base(n: i64) -> (tempfile::TempDir, Repo) {
        let dir = tempfile::tempdir().unwrap();
        let mut repo = Repo::open(&dir.path().join("t.db"), "test").unwrap();
        let at = Utc.from_utc_datetime(&day().and_hms_opt(12, 0, 0).unwrap()) - Duration::days(10);
        for i in 1..=n {
            let id = repo.create_customer(&NewCustomer::named(CustomerKind::Individual, &format!("C{i}"))).unwrap();
            repo.create_transaction(&NewTransaction {
                customer_id: id,
                external_id: None,
                kind: TxKind::Sale,
                amount: Money(i * 100),
                occurred_at: at,
                reference: None,
            })
            .unwrap();
        }
        (dir, repo)
    }

    /// (id, tier, contribution) of a snapshot, by id.
    fn snapshot(repo: &Repo, d: NaiveDate) -> Vec<(i64, String, i64)> {
        repo.snapshot(d).unwrap().into_iter().map(|(id, t, c)| (id, t.code().to_string(), c.0)).collect()
    }

    /// What the plain path (store everything, then snapshot from the table) leaves.
    fn plain(repo: &mut Repo, rows: &[(i64, Tier, Money, Option<RfmScore>)], d: NaiveDate) -> Vec<(i64, String, i64)> {
        repo.store_pyramid(rows).unwrap();
        repo.store_snapshot(d).unwrap();
        snapshot(repo, d)
    }

    fn rfm(r: u8, f: u8) -> Option<RfmScore> {
        Some(RfmScore { r, f, m: 3, segment: Segment::of(r, f) })
    }

    #[test]
    fn only_changed_customers_are_written_and_the_snapshot_follows_pins_and_archives() {
        let (_dir, mut repo) = base(6);
        let mut rows: Vec<(i64, Tier, Money, Option<RfmScore>)> =
            (1..=6).map(|id| (id, Tier::Low, Money(id * 100), rfm(5, 1))).collect();
        // A new base: everyone differs from the defaults (Low, 0, no RFM).
        let places = repo.pyramid_places().unwrap();
        assert_eq!(places.active_ids().collect::<Vec<_>>(), [1, 2, 3, 4, 5, 6]);
        assert_eq!(repo.store_recomputed(places, day(), rows.clone()).unwrap(), 6);
        let first = snapshot(&repo, day());
        assert_eq!(first.len(), 6);
        // Nothing changed: nothing written.
        let places = repo.pyramid_places().unwrap();
        assert_eq!(repo.store_recomputed(places, day(), rows.clone()).unwrap(), 0);
        assert_eq!(snapshot(&repo, day()), first);

        // Two change; meanwhile someone pins #3, archives #4 and adds #7,
        // after the places were read.
        rows[0].1 = Tier::Top;
        rows[1].3 = rfm(2, 5);
        let places = repo.pyramid_places().unwrap();
        let mut other = Repo::open(repo.path(), "other").unwrap();
        let mut c3 = other.customer(3).unwrap();
        c3.tier_pin = Some(Tier::Growth);
        other.update_customer(&c3).unwrap();
        let mut c4 = other.customer(4).unwrap();
        c4.status = CustomerStatus::Archived;
        other.update_customer(&c4).unwrap();
        other.create_customer(&NewCustomer::named(CustomerKind::Household, "C7")).unwrap();
        assert_eq!(repo.store_recomputed(places, day(), rows.clone()).unwrap(), 2);
        let got = snapshot(&repo, day());
        let customers: Vec<_> = (1..=7).map(|id| repo.customer(id).unwrap()).collect();
        assert_eq!(customers[0].tier, Tier::Top);
        assert_eq!(customers[1].rfm, Some((2, 5, 3)));
        assert_eq!(customers[1].segment, Some(Segment::CantLose));
        // Only its RFM changed (written without the tier and contribution).
        assert_eq!((customers[1].tier, customers[1].contribution), (Tier::Low, Money(200)));
        // The same as writing everything and snapshotting from the table.
        assert_eq!(got, plain(&mut repo, &rows, day()));
        assert!(got.iter().any(|r| *r == (3, "growth".to_string(), 300)));
        assert!(!got.iter().any(|r| r.0 == 4));
        assert!(got.iter().any(|r| *r == (7, "low".to_string(), 0)));
    }

    #[test]
    fn when_most_customers_change_their_indexes_are_built_again() {
        let (_dir, mut repo) = base(40);
        let places = repo.pyramid_places().unwrap();
        let rows: Vec<_> = (1..=40).map(|id| (id, Tier::Growth, Money(id * 100), None)).collect();
        assert_eq!(repo.store_recomputed(places, day(), rows).unwrap(), 40);
        for name in PYRAMID_INDEXES {
            let n: i64 = repo
                .conn()
                .query_row("SELECT count(*) FROM sqlite_schema WHERE type = 'index' AND name = ?1", [name], |r| {
                    r.get(0)
                })
                .unwrap();
            assert_eq!(n, 1, "{name}");
        }
        repo.integrity_check().unwrap();
        assert!(repo.conn().execute("UPDATE customers SET tier = 'nonsense' WHERE id = 1", []).is_err());
        assert_eq!(repo.tier_bands().unwrap()[1].count, 40);
        assert_eq!(repo.band_members(Tier::Growth, 0, 1).unwrap()[0].id, 40);
    }

    /// A band's window is read in index order: with a million customers,
    /// sorting a band of hundreds of thousands on every read would not fit
    /// a keystroke.
    #[test]
    fn a_band_window_reads_the_band_index_without_sorting() {
        let (_dir, repo) = base(3);
        let plan = crate::repo::query_plan(repo.conn(), BAND_MEMBERS, params!["top", 50, 0]);
        assert!(plan.iter().any(|p| p.contains("USING INDEX customers_band")), "{plan:?}");
        assert!(!plan.iter().any(|p| p.contains("TEMP B-TREE")), "{plan:?}");
    }

    /// The stored figures of every active customer come from the band
    /// index alone (migration 19 widened it for this), not the table.
    #[test]
    fn the_stored_figures_are_read_from_the_band_index_alone() {
        let (_dir, repo) = base(3);
        let plan = crate::repo::query_plan(repo.conn(), STORED_FIGURES, []);
        assert!(plan.iter().any(|p| p.contains("USING COVERING INDEX customers_band")), "{plan:?}");
    }

    #[test]
    fn window_totals_count_sale_days_and_leave_payments_out() {
        let (_dir, mut repo) = base(1);
        let at = |days: i64, h: u32| Utc.from_utc_datetime(&day().and_hms_opt(h, 0, 0).unwrap()) - Duration::days(days);
        for (kind, cents, when) in [
            (TxKind::Sale, 50, at(10, 15)),
            (TxKind::Sale, 70, at(100, 9)),
            (TxKind::Payment, 1_000, at(5, 9)),
            (TxKind::Refund, 30, at(200, 9)),
            (TxKind::Sale, 999, at(400, 9)),
        ] {
            let t = NewTransaction {
                customer_id: 1,
                external_id: None,
                kind,
                amount: Money(cents),
                occurred_at: when,
                reference: None,
            };
            repo.create_transaction(&t).unwrap();
        }
        let t = repo.window_totals(day(), 365, 2).unwrap()[1];
        // Sales of 100 (from base) and 50 on day −10, 70 on day −100; a refund of 30.
        assert_eq!(t.contribution, Money(100 + 50 + 70 - 30));
        assert_eq!(t.sales, Money(220));
        assert_eq!(t.sale_days, 2);
        let as_of_day = (day() - NaiveDate::from_ymd_opt(1970, 1, 1).unwrap()).num_days();
        assert_eq!(t.recency_days(as_of_day), Some(10));
        assert_eq!((t.recent, t.previous), (Money(150), Money(70)));
    }
}
