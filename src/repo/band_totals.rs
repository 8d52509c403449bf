//! Each pyramid band's customer count and total contribution, kept by
//! triggers on `customers` (migration 12) so that the pyramid pane reads
//! four rows instead of grouping every active customer (a quarter to a
//! third of a second on a million customers, on every open of the pane and
//! every reload). Each open reminder carries its customer's band too
//! (migration 13), for the care list's order. A bulk write that changes
//! most customers suspends the triggers and sets both again in one pass
//! at the end; a recompute that changes a few suspends them too and applies
//! their effect once (see [`BandChanges`]).

use rusqlite::{OptionalExtension, Transaction};

/// The band number (0 Top, 1 Growth, 2 Low, 3 Negative) of the customer
/// row `c`: the care list's first sort key.
macro_rules! band_of_c {
    () => {
        "CASE coalesce(c.tier_pin, c.tier) WHEN 'top' THEN 0 WHEN 'growth' THEN 1 WHEN 'low' THEN 2 ELSE 3 END"
    };
}
pub(crate) use band_of_c;

/// The band of the customer whose id is the SQL expression `$id`, as a
/// subquery (migration 13's triggers and the refill below).
macro_rules! band_of_customer {
    ($id:literal) => {
        concat!("(SELECT ", band_of_c!(), " FROM customers c WHERE c.id = ", $id, ")")
    };
}
pub(crate) use band_of_customer;

/// Sets every open reminder's band from its customer's (migration 13; a bulk
/// write uses [`REMINDERS_REFILL`], the same in table order).
macro_rules! reminders_refill {
    () => {
        concat!(
            "UPDATE reminders SET band = ",
            band_of_customer!("reminders.customer_id"),
            " WHERE status IN ('open', 'snoozed')"
        )
    };
}
pub(crate) use reminders_refill;

use super::Result;
use crate::domain::model::Tier;

/// The triggers that keep `band_totals` and the reminders' bands.
const TRIGGERS: &[&str] = &[
    "band_totals_add",
    "band_totals_remove",
    "band_totals_change",
    "reminders_band_set",
    "customers_band_to_reminders",
];

/// Sets every open reminder's band from its customer's, reading the
/// reminders in table order (by the status index, each row was a random
/// read and write).
const REMINDERS_REFILL: &str = concat!(
    "UPDATE reminders NOT INDEXED SET band = ",
    band_of_customer!("reminders.customer_id"),
    " WHERE status IN ('open', 'snoozed')"
);

/// The index of the open reminders by band, which [`REMINDERS_REFILL`]
/// would move an entry of for each reminder whose band changes (all over
/// it): dropped first and built again in one sorted pass (a million
/// customers' 1.6 million open reminders: 20 s against 8.5 s).
const TRIAGE_INDEX: &str = "reminders_triage";

/// Counts every band again from the customers, in one grouped pass over
/// `customers_band` (a subquery per band and figure read every active
/// customer eight times: 0.8 s at a million against 0.16 s).
const REFILL: &str = "UPDATE band_totals SET customers = 0, contribution = 0;
    UPDATE band_totals SET customers = g.n, contribution = g.s
    FROM (SELECT coalesce(tier_pin, tier) AS band, count(*) AS n, sum(contribution) AS s
          FROM customers WHERE status = 'active' GROUP BY 1) AS g
    WHERE g.band = band_totals.tier";

/// Counts every band again (the open reminders' bands are left as they
/// are: for writes that only added customers, who have none).
pub(crate) fn recount(tx: &Transaction) -> Result<()> {
    tx.execute_batch(REFILL)?;
    Ok(())
}

/// Drops the triggers for a bulk write; [`restore`] counts the bands
/// again and puts the triggers back (in the same transaction).
pub(crate) fn suspend(tx: &Transaction) -> Result<Vec<String>> {
    super::transactions::drop_triggers(tx, TRIGGERS)
}

/// Counts the bands again, sets the open reminders' bands, and restores
/// the triggers [`suspend`] dropped.
pub(crate) fn restore(tx: &Transaction, triggers: Vec<String>) -> Result<()> {
    tx.execute_batch(REFILL)?;
    let triage: Option<String> = tx
        .query_row("SELECT sql FROM sqlite_schema WHERE type = 'index' AND name = ?1", [TRIAGE_INDEX], |r| r.get(0))
        .optional()?;
    if triage.is_some() {
        tx.execute_batch(&format!("DROP INDEX {TRIAGE_INDEX}"))?;
    }
    tx.execute_batch(REMINDERS_REFILL)?;
    if let Some(sql) = triage {
        tx.execute_batch(&sql)?;
    }
    super::transactions::create_triggers(tx, triggers)
}

/// What a write that suspended the triggers changed in the bands, applied
/// in their place by [`BandChanges::apply`]: each band's count and total,
/// and the customers whose tier in force moved (their open reminders
/// follow). A customer whose stored tier could not be read has no band to
/// leave: then the bands and reminders are all set again instead.
#[derive(Debug, Default)]
pub(crate) struct BandChanges {
    /// (customers, contribution) to add, by band (Top, Growth, Low, Negative).
    totals: [(i64, i64); 4],
    /// Customers whose band moved, and their new band's rank.
    moved: Vec<(i64, usize)>,
    unknown: bool,
}

impl BandChanges {
    /// An active customer's tier in force and contribution change from
    /// (`old`, `before`) to (`new`, `after`).
    pub(crate) fn change(&mut self, id: i64, old: Option<Tier>, before: i64, new: Tier, after: i64) {
        let Some(old) = old else {
            self.unknown = true;
            return;
        };
        self.totals[old.rank()].0 -= 1;
        self.totals[old.rank()].1 -= before;
        self.totals[new.rank()].0 += 1;
        self.totals[new.rank()].1 += after;
        if old != new {
            self.moved.push((id, new.rank()));
        }
    }

    /// Applies the changes and restores the triggers [`suspend`] dropped.
    pub(crate) fn apply(self, tx: &Transaction, triggers: Vec<String>) -> Result<()> {
        if self.unknown {
            return restore(tx, triggers);
        }
        let mut totals = tx.prepare_cached(
            "UPDATE band_totals SET customers = customers + ?2, contribution = contribution + ?3 WHERE tier = ?1",
        )?;
        for (tier, (n, sum)) in Tier::ALL.iter().zip(self.totals) {
            if (n, sum) != (0, 0) {
                totals.execute(rusqlite::params![tier.code(), n, sum])?;
            }
        }
        let mut reminders = tx.prepare_cached(
            "UPDATE reminders SET band = ?2 WHERE customer_id = ?1 AND status IN ('open', 'snoozed')",
        )?;
        // In customer order: the reminders' index is read in its order.
        let mut moved = self.moved;
        moved.sort_unstable_by_key(|m| m.0);
        for (id, band) in moved {
            reminders.execute(rusqlite::params![id, band as i64])?;
        }
        super::transactions::create_triggers(tx, triggers)
    }
}
