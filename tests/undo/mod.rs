//! Takes a base back to an earlier schema, as a base written by an older
//! rapport would be, so that a test can open it and check what the
//! migrations since do to it.

/// What each migration from 10 on added, undone (newest first).
const UNDO: &[(i64, &str)] = &[
    (
        16,
        "DROP TRIGGER customer_search_add; DROP TRIGGER customer_search_change;
         DROP TRIGGER customer_search_remove; DROP TABLE customer_search_terms; DROP TABLE customer_search;
         CREATE VIRTUAL TABLE customer_search USING fts5(
             doc, content='', contentless_delete=1, detail='none', tokenize='trigram case_sensitive 1');
         CREATE VIRTUAL TABLE customer_search_terms USING fts5vocab(customer_search, 'row');
         UPDATE search_index SET indexed_upto = 0;
         CREATE TRIGGER customer_search_add AFTER INSERT ON customers
         WHEN NEW.id <= (SELECT indexed_upto FROM search_index)
         BEGIN
             INSERT INTO customer_search (rowid, doc) VALUES (NEW.id, NEW.search_text || ' ' || NEW.phone_digits || '  ');
         END;
         CREATE TRIGGER customer_search_change AFTER UPDATE OF search_text, phone_digits ON customers
         WHEN NEW.id <= (SELECT indexed_upto FROM search_index)
             AND (NEW.search_text IS NOT OLD.search_text OR NEW.phone_digits IS NOT OLD.phone_digits)
         BEGIN
             DELETE FROM customer_search WHERE rowid = OLD.id;
             INSERT INTO customer_search (rowid, doc) VALUES (NEW.id, NEW.search_text || ' ' || NEW.phone_digits || '  ');
         END;
         CREATE TRIGGER customer_search_remove AFTER DELETE ON customers
         WHEN OLD.id <= (SELECT indexed_upto FROM search_index)
         BEGIN
             DELETE FROM customer_search WHERE rowid = OLD.id;
         END;",
    ),
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
    (
        10,
        "DROP TRIGGER customer_search_add; DROP TRIGGER customer_search_change;
         DROP TRIGGER customer_search_remove;
         DROP TABLE customer_search_terms; DROP TABLE customer_search; DROP TABLE search_index;",
    ),
];

/// Undoes every migration after `version` (from 10 on) and says the base
/// is at `version`.
pub fn back_to(conn: &rusqlite::Connection, version: i64) {
    let now: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
    assert!(now <= UNDO[0].0, "schema {now}: this helper does not know how to undo it");
    for (n, sql) in UNDO {
        if *n <= now && *n > version {
            conn.execute_batch(sql).unwrap();
        }
    }
    conn.pragma_update(None, "user_version", version).unwrap();
}
