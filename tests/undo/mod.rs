//! Takes a base back to an earlier schema, as a base written by an older
//! rapport would be, so that a test can open it and check what the
//! migrations since do to it.

/// What each migration from 10 on added, undone (newest first).
const UNDO: &[(i64, &str)] = &[
    (
        21,
        "DROP TRIGGER done_reminder_days_add;
         DROP TRIGGER done_reminder_days_remove;
         DROP TRIGGER done_reminder_days_change;
         DROP TABLE done_reminder_days;",
    ),
    (
        20,
        "DROP TRIGGER open_reminder_days_add;
         DROP TRIGGER open_reminder_days_remove;
         DROP TRIGGER open_reminder_days_change;
         DROP TABLE open_reminder_days;",
    ),
    (
        19,
        "DROP INDEX customers_band;
         CREATE INDEX customers_pyramid ON customers
             (status, tier_pin, tier, contribution, rfm_r, rfm_f, rfm_m, rfm_segment);
         CREATE INDEX customers_band ON customers (status, coalesce(tier_pin, tier), contribution DESC, id);",
    ),
    (18, "DROP INDEX customers_churn_risk;"),
    // Every day's snapshot whole again, from the changes.
    (
        17,
        "CREATE TABLE tier_snapshots (
             taken_on      TEXT NOT NULL,
             customer_id   INTEGER NOT NULL REFERENCES customers (id),
             tier          TEXT NOT NULL,
             contribution  INTEGER NOT NULL,
             PRIMARY KEY (taken_on, customer_id)
         ) WITHOUT ROWID;
         INSERT INTO tier_snapshots (taken_on, customer_id, tier, contribution)
             SELECT d.taken_on, c.customer_id, c.tier, c.contribution
             FROM snapshot_days d JOIN tier_changes c
             ON c.taken_on = (SELECT max(x.taken_on) FROM tier_changes x
                              WHERE x.customer_id = c.customer_id AND x.taken_on <= d.taken_on)
             WHERE c.tier IS NOT NULL;
         CREATE INDEX tier_snapshots_valued ON tier_snapshots (customer_id) WHERE tier IN ('top', 'growth');
         DROP TABLE tier_changes; DROP TABLE tier_latest; DROP TABLE snapshot_days;",
    ),
    // The search index as migration 10 made it: dropped as migration 10
    // is undone, then made again by migration 10 itself (see `back_to`).
    (16, UNDO_SEARCH_INDEX),
    (15, "DROP INDEX customers_order;"),
    (
        14,
        "DROP INDEX reminders_done;
         CREATE INDEX reminders_done ON reminders (done_at, owner) WHERE status = 'done';",
    ),
    (
        13,
        "DROP TRIGGER reminders_band_set; DROP TRIGGER reminders_band_follow;
         DROP TRIGGER customers_band_to_reminders;
         DROP INDEX reminders_triage; ALTER TABLE reminders DROP COLUMN band;",
    ),
    (
        12,
        "DROP TRIGGER band_totals_add; DROP TRIGGER band_totals_remove; DROP TRIGGER band_totals_change;
         DROP TABLE band_totals;",
    ),
    (11, "DROP INDEX tier_snapshots_valued;"),
    (10, UNDO_SEARCH_INDEX),
];

/// Migration 10 undone.
const UNDO_SEARCH_INDEX: &str = "DROP TRIGGER customer_search_add; DROP TRIGGER customer_search_change;
     DROP TRIGGER customer_search_remove;
     DROP TABLE customer_search_terms; DROP TABLE customer_search; DROP TABLE search_index;";

/// Undoes every migration after `version` (from 10 on) and says the base
/// is at `version`.
pub fn back_to(conn: &rusqlite::Connection, version: i64) {
    let now: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
    assert!(now <= UNDO[0].0, "schema {now}: this helper does not know how to undo it");
    for (n, sql) in UNDO {
        if *n <= now && *n > version {
            conn.execute_batch(sql).unwrap();
            if *n == 16 {
                conn.execute_batch(rapport::repo::MIGRATIONS[9]).unwrap();
            }
        }
    }
    conn.pragma_update(None, "user_version", version).unwrap();
}
