//! Reminders counted per UTC day, kept by triggers so that a frame adds
//! up a few thousand day rows instead of counting every reminder:
//! - `open_reminder_days` (migration 20): the open reminders per day of
//!   their due time, owner and kind, for the care list's counts;
//! - `done_reminder_days` (migration 21): the done reminders per day of
//!   their completion and owner, on time and late, for the team view.
//!
//! A bulk load drops the triggers while it writes and counts every
//! reminder again at its end.

use rusqlite::Transaction;

use super::Result;
use super::raw_scan::RawScan;
use crate::domain::team::DoneCount;

/// The triggers that keep both tables.
const TRIGGERS: &[&str] = &[
    "open_reminder_days_add",
    "open_reminder_days_remove",
    "open_reminder_days_change",
    "done_reminder_days_add",
    "done_reminder_days_remove",
    "done_reminder_days_change",
];

/// Counts every reminder again.
const RECOUNT: &str = "DELETE FROM open_reminder_days;
    INSERT INTO open_reminder_days (day, owner, kind, n)
        SELECT due_at / 86400, coalesce(owner, ''), kind, count(*) FROM reminders
        WHERE status IN ('open', 'snoozed') GROUP BY 1, 2, 3;
    DELETE FROM done_reminder_days;
    INSERT INTO done_reminder_days (day, owner, on_time, late)
        SELECT done_at / 86400, coalesce(owner, ''), sum(done_at <= due_at), sum(done_at > due_at) FROM reminders
        WHERE status = 'done' AND done_at IS NOT NULL GROUP BY 1, 2;";

/// Drops the triggers (inside `tx`); returns their SQL for [`restore`].
pub(crate) fn suspend(tx: &Transaction) -> Result<Vec<String>> {
    super::transactions::drop_triggers(tx, TRIGGERS)
}

/// Counts every reminder again and creates the triggers again.
pub(crate) fn restore(tx: &Transaction, triggers: Vec<String>) -> Result<()> {
    tx.execute_batch(RECOUNT)?;
    super::transactions::create_triggers(tx, triggers)
}

/// The open reminders due before `until` (seconds), whose owner is `owner`
/// and kind `kind` when given: the whole UTC days before `until`'s from
/// the day counts, its own day's part from `reminders`.
pub(crate) fn open_due_before(
    conn: &rusqlite::Connection,
    until: i64,
    owner: Option<&str>,
    kind: Option<&str>,
) -> Result<i64> {
    let day = until.div_euclid(86_400);
    let whole: i64 = conn
        .prepare_cached(
            "SELECT coalesce(sum(n), 0) FROM open_reminder_days
             WHERE day < ?1 AND (?2 IS NULL OR owner = ?2) AND (?3 IS NULL OR kind = ?3)",
        )?
        .query_row(rusqlite::params![day, owner, kind], |r| r.get(0))?;
    let part: i64 = conn
        .prepare_cached(
            "SELECT count(*) FROM reminders
             WHERE status IN ('open', 'snoozed') AND due_at >= ?1 AND due_at < ?2
               AND (?3 IS NULL OR owner = ?3) AND (?4 IS NULL OR kind = ?4)",
        )?
        .query_row(rusqlite::params![day * 86_400, until, owner, kind], |r| r.get(0))?;
    Ok(whole + part)
}

/// The reminders done in [start, end) (seconds), read from `reminders_done`
/// alone (it holds the due time: migration 14), in its order: counted per
/// owner here, not by a GROUP BY, which sorts every row.
pub(crate) const DONE_REMINDERS: &str = "SELECT owner, done_at <= due_at FROM reminders INDEXED BY reminders_done
     WHERE status = 'done' AND done_at >= ?1 AND done_at < ?2";

/// The reminders done in [start, end) per owner ('' and no owner alike:
/// `None`), on time and late: the whole UTC days inside the period from
/// the day counts, the part days at its ends from the reminders.
pub(crate) fn done_counts(conn: &rusqlite::Connection, start: i64, end: i64) -> Result<Vec<DoneCount>> {
    // (owner, on time, late), owners in the order first met: a handful.
    let mut counts: Vec<(Vec<u8>, u64, u64)> = Vec::new();
    let mut add = |owner: &[u8], on_time: u64, late: u64| match counts.iter_mut().find(|c| c.0 == owner) {
        Some(c) => {
            c.1 += on_time;
            c.2 += late;
        }
        None => counts.push((owner.to_vec(), on_time, late)),
    };
    let (first, last) = ((start + 86_399).div_euclid(86_400), end.div_euclid(86_400));
    let mut scan = |lo: i64, hi: i64| -> Result<()> {
        let mut rows = RawScan::new(conn, DONE_REMINDERS, &[lo, hi])?;
        while rows.next()? {
            let on_time = rows.int(1)? != 0;
            add(rows.text(0).unwrap_or_default(), u64::from(on_time), u64::from(!on_time));
        }
        Ok(())
    };
    if first < last {
        scan(start, first * 86_400)?;
        scan(last * 86_400, end)?;
        let mut rows = RawScan::new(
            conn,
            "SELECT owner, sum(on_time), sum(late) FROM done_reminder_days WHERE day >= ?1 AND day < ?2 GROUP BY owner",
            &[first, last],
        )?;
        while rows.next()? {
            let (on_time, late) = (rows.int_or_null(1)?.unwrap_or(0), rows.int_or_null(2)?.unwrap_or(0));
            add(rows.text(0).unwrap_or_default(), on_time.max(0) as u64, late.max(0) as u64);
        }
    } else {
        scan(start, end)?;
    }
    Ok(counts
        .into_iter()
        .map(|(owner, on_time, late)| DoneCount {
            owner: (!owner.is_empty()).then(|| String::from_utf8_lossy(&owner).into_owned()),
            on_time,
            late,
        })
        .collect())
}
