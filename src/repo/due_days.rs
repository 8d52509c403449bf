//! The open reminders counted per UTC day of their due time, owner and
//! kind (`open_reminder_days`, migration 20), kept by triggers, so that the
//! care list's counts add up a few thousand day rows instead of counting
//! every due reminder. A bulk load drops the triggers while it writes and
//! counts every open reminder again at its end.

use rusqlite::Transaction;

use super::Result;

/// The triggers that keep `open_reminder_days`.
const TRIGGERS: &[&str] = &["open_reminder_days_add", "open_reminder_days_remove", "open_reminder_days_change"];

/// Counts every open reminder again.
const RECOUNT: &str = "DELETE FROM open_reminder_days;
    INSERT INTO open_reminder_days (day, owner, kind, n)
        SELECT due_at / 86400, coalesce(owner, ''), kind, count(*) FROM reminders
        WHERE status IN ('open', 'snoozed') GROUP BY 1, 2, 3;";

/// Drops the triggers (inside `tx`); returns their SQL for [`restore`].
pub(crate) fn suspend(tx: &Transaction) -> Result<Vec<String>> {
    super::transactions::drop_triggers(tx, TRIGGERS)
}

/// Counts every open reminder again and creates the triggers again.
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
