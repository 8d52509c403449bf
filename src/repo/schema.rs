//! Numbered migrations, applied in order and recorded in `PRAGMA user_version`.

use super::band_totals::{band_of_c, band_of_customer, reminders_refill};

/// `PRAGMA application_id` of a rapport base ("RAPT").
pub const APPLICATION_ID: i64 = 0x5241_5054;

/// Migration n (1-based) is `MIGRATIONS[n - 1]`. Never edit a released
/// migration: add a new one.
pub const MIGRATIONS: &[&str] = &[
    MIGRATION_1,
    MIGRATION_2,
    MIGRATION_3,
    MIGRATION_4,
    MIGRATION_5,
    MIGRATION_6,
    MIGRATION_7,
    MIGRATION_8,
    MIGRATION_9,
    MIGRATION_10,
    MIGRATION_11,
    MIGRATION_12,
    MIGRATION_13,
    MIGRATION_14,
    MIGRATION_15,
    MIGRATION_16,
    MIGRATION_17,
    MIGRATION_18,
    MIGRATION_19,
    MIGRATION_20,
    MIGRATION_21,
];

/// The schema version this binary writes.
pub fn latest() -> i64 {
    MIGRATIONS.len() as i64
}

/// The keys a customer is found under as someone's possible duplicate (a
/// phone's last digits, an email folded; see `duplicates::match_keys`), so
/// that a card's duplicate flag is a few index lookups instead of a scan of
/// every customer's phones and emails. Written wherever the search columns
/// are; filled for existing customers by `duplicates::fill_keys` right after
/// this migration. No foreign key: a merge rewrites both customers' keys
/// rather than moving them.
const MIGRATION_8: &str = r#"
CREATE TABLE customer_keys (
    customer_id  INTEGER NOT NULL,
    key          TEXT NOT NULL,
    PRIMARY KEY (customer_id, key)
) WITHOUT ROWID;
CREATE INDEX customer_keys_key ON customer_keys (key, customer_id);
"#;

/// A customer's own duplicate keys (its phone's and its email's; see
/// `duplicates::own_keys`) move from `customer_keys` to two columns of
/// `customers`, written with the row: a bulk load of 1,000,000 customers
/// spent a quarter of its time writing 1.75 million `customer_keys` rows
/// and sorting them into their index. `customer_keys` keeps the keys of
/// customers' contacts. Every customer's keys are written again by
/// `duplicates::fill_keys` right after this migration, and
/// [`KEYS_INDEXES`] built after that. The lifecycle index holds only the
/// customers the churn job has scored (it is read by stage): a new customer
/// costs it nothing (a bulk load kept 1,000,000 NULL entries up to date).
/// `customers_tier` served no query: a band's list filters on the tier in
/// force (the pin, else the computed tier) and sorts by contribution, which
/// SQLite did by sorting the whole band on every window read (a million
/// customers' base has bands of hundreds of thousands); `customers_band`
/// holds exactly that order.
const MIGRATION_9: &str = r#"
ALTER TABLE customers ADD COLUMN phone_key TEXT;
ALTER TABLE customers ADD COLUMN email_key TEXT;
DELETE FROM customer_keys;
DROP INDEX customers_lifecycle;
CREATE INDEX customers_lifecycle ON customers (lifecycle) WHERE lifecycle IS NOT NULL;
DROP INDEX customers_tier;
CREATE INDEX customers_band ON customers (status, coalesce(tier_pin, tier), contribution DESC, id);
"#;

/// The triggers that keep the search index (migrations 10 and 16), for
/// the text indexed of a customer row `NEW`.
macro_rules! search_triggers {
    ($($doc:tt)+) => {
        concat!(
            r#"CREATE TRIGGER customer_search_add AFTER INSERT ON customers
WHEN NEW.id <= (SELECT indexed_upto FROM search_index)
BEGIN
    INSERT INTO customer_search (rowid, doc) VALUES (NEW.id, "#,
            $($doc)+,
            r#");
END;
CREATE TRIGGER customer_search_change AFTER UPDATE OF search_text, phone_digits ON customers
WHEN NEW.id <= (SELECT indexed_upto FROM search_index)
    AND (NEW.search_text IS NOT OLD.search_text OR NEW.phone_digits IS NOT OLD.phone_digits)
BEGIN
    DELETE FROM customer_search WHERE rowid = OLD.id;
    INSERT INTO customer_search (rowid, doc) VALUES (NEW.id, "#,
            $($doc)+,
            r#");
END;
CREATE TRIGGER customer_search_remove AFTER DELETE ON customers
WHEN OLD.id <= (SELECT indexed_upto FROM search_index)
BEGIN
    DELETE FROM customer_search WHERE rowid = OLD.id;
END;
"#
        )
    };
}

/// The phone digits of `$col` as the search index holds them: each digit
/// as its subscript (U+2080–U+2089), which the folded search text never
/// holds (NFKD makes them plain digits), so that digits typed as text and
/// as a phone number find each their own and the index answers both
/// exactly (`search_index::phone_terms` does the same in Rust).
macro_rules! phone_terms {
    ($col:literal) => {
        concat!(
            "replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(",
            $col,
            ", '0', '₀'), '1', '₁'), '2', '₂'), '3', '₃'), '4', '₄'), '5', '₅'), '6', '₆'), '7', '₇'), '8', '₈'), '9', '₉')"
        )
    };
}
pub(crate) use phone_terms;

/// The customers' search index (`search_index.rs`): an FTS5 trigram index
/// of each customer's search text and phone digits (no copy of the text:
/// `content=''`; rows deleted by id: `contentless_delete`; no positions:
/// `detail='none'`, a third of the cost, as the search text is checked
/// afterwards anyway), its terms (`fts5vocab`, for searches of one or two
/// characters), and how far it is filled: the triggers keep it for
/// customers up to `indexed_upto`, which an existing base starts at 0 (the
/// app's background job fills it in steps) and a new base at the maximum.
/// The text ends with two spaces so that every character starts a term.
const MIGRATION_10: &str = concat!(
    r#"
CREATE VIRTUAL TABLE customer_search USING fts5(
    doc, content='', contentless_delete=1, detail='none', tokenize='trigram case_sensitive 1'
);
CREATE VIRTUAL TABLE customer_search_terms USING fts5vocab(customer_search, 'row');
CREATE TABLE search_index (
    one           INTEGER PRIMARY KEY CHECK (one = 1),
    indexed_upto  INTEGER NOT NULL
);
INSERT INTO search_index VALUES (1, 0);
"#,
    search_triggers!("NEW.search_text || ' ' || NEW.phone_digits || '  '")
);

/// The pyramid's win-back list asks, for each lost customer, whether any
/// snapshot ever had them Top or Growth; the snapshots are keyed by day,
/// so each asking was a scan of every snapshot row (a million a day on a
/// million customers: hours for the list). Only Top and Growth rows are
/// indexed, by customer.
const MIGRATION_11: &str = r#"
CREATE INDEX tier_snapshots_valued ON tier_snapshots (customer_id) WHERE tier IN ('top', 'growth');
"#;

/// Each band's count and total (`band_totals.rs`): the pyramid pane read
/// them by grouping every active customer on each open.
const MIGRATION_12: &str = r#"
CREATE TABLE band_totals (
    tier          TEXT PRIMARY KEY,
    customers     INTEGER NOT NULL DEFAULT 0,
    contribution  INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
INSERT INTO band_totals (tier) VALUES ('top'), ('growth'), ('low'), ('negative');
UPDATE band_totals SET
    customers = (SELECT count(*) FROM customers
                 WHERE status = 'active' AND coalesce(tier_pin, tier) = band_totals.tier),
    contribution = (SELECT coalesce(sum(contribution), 0) FROM customers
                    WHERE status = 'active' AND coalesce(tier_pin, tier) = band_totals.tier);
CREATE TRIGGER band_totals_add AFTER INSERT ON customers WHEN NEW.status = 'active'
BEGIN
    UPDATE band_totals SET customers = customers + 1, contribution = contribution + NEW.contribution
    WHERE tier = coalesce(NEW.tier_pin, NEW.tier);
END;
CREATE TRIGGER band_totals_remove AFTER DELETE ON customers WHEN OLD.status = 'active'
BEGIN
    UPDATE band_totals SET customers = customers - 1, contribution = contribution - OLD.contribution
    WHERE tier = coalesce(OLD.tier_pin, OLD.tier);
END;
CREATE TRIGGER band_totals_change AFTER UPDATE OF status, tier, tier_pin, contribution ON customers
WHEN OLD.status IS NOT NEW.status OR OLD.contribution IS NOT NEW.contribution
    OR coalesce(OLD.tier_pin, OLD.tier) IS NOT coalesce(NEW.tier_pin, NEW.tier)
BEGIN
    UPDATE band_totals SET customers = customers - 1, contribution = contribution - OLD.contribution
    WHERE OLD.status = 'active' AND tier = coalesce(OLD.tier_pin, OLD.tier);
    UPDATE band_totals SET customers = customers + 1, contribution = contribution + NEW.contribution
    WHERE NEW.status = 'active' AND tier = coalesce(NEW.tier_pin, NEW.tier);
END;
"#;

/// Sets the band of the reminder `NEW` from its customer's (migration 13's
/// two reminder triggers: SQLite has no trigger for both insert and update).
macro_rules! set_new_reminders_band {
    () => {
        concat!("UPDATE reminders SET band = ", band_of_customer!("NEW.customer_id"), " WHERE id = NEW.id;")
    };
}

/// The care list orders what is due by the customer's band (Top first),
/// then by due time: with the band only on the customer, every open
/// reminder due was joined and the whole lot sorted for each window (2.9 s
/// for 763,000 due reminders on a million customers). Each reminder now
/// carries its customer's band (0 Top, 1 Growth, 2 Low, 3 Negative), kept
/// by triggers, and the open ones are indexed in the list's order.
const MIGRATION_13: &str = concat!(
    "
ALTER TABLE reminders ADD COLUMN band INTEGER NOT NULL DEFAULT 3;
",
    reminders_refill!(),
    ";
CREATE INDEX reminders_triage ON reminders (band, due_at, id) WHERE status IN ('open', 'snoozed');
CREATE TRIGGER reminders_band_set AFTER INSERT ON reminders
BEGIN
    ",
    set_new_reminders_band!(),
    "
END;
CREATE TRIGGER reminders_band_follow AFTER UPDATE OF customer_id, status ON reminders
WHEN NEW.status IN ('open', 'snoozed')
BEGIN
    ",
    set_new_reminders_band!(),
    "
END;
",
    r#"CREATE TRIGGER customers_band_to_reminders AFTER UPDATE OF tier, tier_pin ON customers
WHEN coalesce(OLD.tier_pin, OLD.tier) IS NOT coalesce(NEW.tier_pin, NEW.tier)
BEGIN
    UPDATE reminders SET band = CASE coalesce(NEW.tier_pin, NEW.tier) WHEN 'top' THEN 0 WHEN 'growth' THEN 1
                                     WHEN 'low' THEN 2 ELSE 3 END
    WHERE customer_id = NEW.id AND status IN ('open', 'snoozed');
END;
"#
);

/// The team view reads the period's done reminders with their due time
/// (on time or late). SQLite read them through `reminders_due` (every done
/// reminder, each a row lookup: 1.3 s for the 110,000 done in a month on a
/// million customers' base); the read now names `reminders_done`, which
/// holds the due time too, so it is the index alone.
const MIGRATION_14: &str = r#"
DROP INDEX reminders_done;
CREATE INDEX reminders_done ON reminders (done_at, owner, due_at) WHERE status = 'done';
"#;

/// Each customer's status and sort key by id, a narrow index: a search
/// whose text the search index answers exactly (one to three characters)
/// reads its matches' places in the list from it instead of from the
/// customers' rows (about 40 bytes an entry against 260 a row: half the
/// time for 15,000 matches on a million customers).
const MIGRATION_15: &str = r#"
CREATE INDEX customers_order ON customers (id, status, sort_key);
"#;

/// The search index again, with each term's positions (`detail='full'`):
/// a search of three characters or more is then one FTS5 phrase, which
/// names exactly the customers whose text holds it, so that it can be
/// counted and placed without reading their rows (with `detail='none'` it
/// named those holding every three-character piece, anywhere, and each had
/// to be checked). The phone digits are indexed apart from the text's
/// digits ([`phone_terms`]). About two and a half times the size (163 MB against
/// 67 MB on a million customers). A base with customers is indexed again
/// by the app's catch-up, in steps; search scans meanwhile.
const MIGRATION_16: &str = concat!(
    r#"
DROP TRIGGER customer_search_add;
DROP TRIGGER customer_search_change;
DROP TRIGGER customer_search_remove;
DROP TABLE customer_search_terms;
DROP TABLE customer_search;
CREATE VIRTUAL TABLE customer_search USING fts5(
    doc, content='', contentless_delete=1, detail='full', tokenize='trigram case_sensitive 1'
);
CREATE VIRTUAL TABLE customer_search_terms USING fts5vocab(customer_search, 'row');
UPDATE search_index SET indexed_upto = 0;
"#,
    search_triggers!(concat!("NEW.search_text || ' ' || ", phone_terms!("NEW.phone_digits"), " || '  '"))
);

/// The tier snapshots as their changes: a day's snapshot was a row per
/// active customer (a million rows, 31 MB, written every day at a million
/// customers: the biggest part of a day's first recompute, and 11 GB a
/// year). Now:
/// - `snapshot_days`: the days a snapshot was taken;
/// - `tier_changes`: a row for each customer whose tier in force or
///   contribution differs from the previous snapshot day's (`tier` NULL:
///   the customer left the snapshot, archived), with the state it replaces
///   (`was_tier` NULL: not in the previous snapshot). A customer's state in
///   the snapshot of day D is its latest row on or before D;
/// - `tier_latest`: each customer's state in the latest snapshot (none:
///   not in it), which a new snapshot is compared with.
///
/// Moves between two snapshots read only the rows between them; "ever Top
/// or Growth" reads the indexed Top and Growth rows. Existing snapshots are
/// converted day by day.
const MIGRATION_17: &str = r#"
CREATE TABLE snapshot_days (
    taken_on  TEXT PRIMARY KEY
) WITHOUT ROWID;

CREATE TABLE tier_changes (
    taken_on          TEXT NOT NULL,
    customer_id       INTEGER NOT NULL REFERENCES customers (id),
    tier              TEXT,
    contribution      INTEGER,
    was_tier          TEXT,
    was_contribution  INTEGER,
    PRIMARY KEY (taken_on, customer_id)
) WITHOUT ROWID;

CREATE TABLE tier_latest (
    customer_id   INTEGER PRIMARY KEY REFERENCES customers (id),
    tier          TEXT NOT NULL,
    contribution  INTEGER NOT NULL
);

INSERT INTO snapshot_days (taken_on) SELECT DISTINCT taken_on FROM tier_snapshots;

WITH days AS (SELECT taken_on, lag(taken_on) OVER (ORDER BY taken_on) AS prev FROM snapshot_days)
INSERT INTO tier_changes (taken_on, customer_id, tier, contribution, was_tier, was_contribution)
SELECT taken_on, customer_id, tier, contribution, was_tier, was_contribution FROM (
    SELECT d.taken_on, s.customer_id, s.tier, s.contribution, p.tier AS was_tier, p.contribution AS was_contribution
    FROM days d
    JOIN tier_snapshots s ON s.taken_on = d.taken_on
    LEFT JOIN tier_snapshots p ON p.taken_on = d.prev AND p.customer_id = s.customer_id
    WHERE p.tier IS NOT s.tier OR p.contribution IS NOT s.contribution
    UNION ALL
    SELECT d.taken_on, p.customer_id, NULL, NULL, p.tier, p.contribution
    FROM days d
    JOIN tier_snapshots p ON p.taken_on = d.prev
    WHERE NOT EXISTS (SELECT 1 FROM tier_snapshots s WHERE s.taken_on = d.taken_on AND s.customer_id = p.customer_id)
)
ORDER BY taken_on, customer_id;

INSERT INTO tier_latest (customer_id, tier, contribution)
SELECT customer_id, tier, contribution FROM tier_snapshots
WHERE taken_on = (SELECT max(taken_on) FROM snapshot_days)
ORDER BY customer_id;

CREATE INDEX tier_changes_valued ON tier_changes (customer_id) WHERE tier IN ('top', 'growth');

DROP TABLE tier_snapshots;
"#;

/// The care rules' churn warnings read the customers the churn model flags
/// (a few thousand on a million customers): without an index SQLite walked
/// every active customer and read each row to find them (2.8 s there, on
/// every run of the rules, every five minutes in the app).
const MIGRATION_18: &str = r#"
CREATE INDEX customers_churn_risk ON customers (status, p_alive) WHERE churn_risk = 1;
"#;

/// One index for the pyramid's figures instead of two: `customers_band`
/// (a band's members in order of contribution) now also covers what the
/// recompute reads of every active customer (pin, computed tier,
/// contribution, RFM), which `customers_pyramid` held in another order.
/// The recompute places customers by id, so the order it reads them in
/// does not matter. A million-row first import built both (0.9 s and
/// 0.75 s); it builds this one in 0.85 s. A recompute that changes a
/// customer's tier or contribution moves one index entry, not two.
const MIGRATION_19: &str = r#"
DROP INDEX customers_pyramid;
DROP INDEX customers_band;
CREATE INDEX customers_band ON customers
    (status, coalesce(tier_pin, tier), contribution DESC, id, tier_pin, tier, rfm_r, rfm_f, rfm_m, rfm_segment);
"#;

/// The open (and snoozed) reminders counted per UTC day of their due time,
/// owner ('' for none) and kind, kept by triggers: the care list's counts
/// ("due today: …") add up the whole days before the list's end here and
/// count only its last part day in `reminders` (a count of every due
/// reminder was 18–23 ms at a million customers, on every open and reload
/// of the care pane). A day whose count falls to 0 is removed. A bulk load
/// drops the triggers and counts again at its end (`reminder_days.rs`).
const MIGRATION_20: &str = r#"
CREATE TABLE open_reminder_days (
    day    INTEGER NOT NULL,
    owner  TEXT NOT NULL,
    kind   TEXT NOT NULL,
    n      INTEGER NOT NULL,
    PRIMARY KEY (day, owner, kind)
) WITHOUT ROWID;

INSERT INTO open_reminder_days (day, owner, kind, n)
    SELECT due_at / 86400, coalesce(owner, ''), kind, count(*) FROM reminders
    WHERE status IN ('open', 'snoozed') GROUP BY 1, 2, 3;

CREATE TRIGGER open_reminder_days_add AFTER INSERT ON reminders
WHEN NEW.status IN ('open', 'snoozed') BEGIN
    INSERT INTO open_reminder_days (day, owner, kind, n)
        VALUES (NEW.due_at / 86400, coalesce(NEW.owner, ''), NEW.kind, 1)
        ON CONFLICT DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER open_reminder_days_remove AFTER DELETE ON reminders
WHEN OLD.status IN ('open', 'snoozed') BEGIN
    UPDATE open_reminder_days SET n = n - 1
        WHERE day = OLD.due_at / 86400 AND owner = coalesce(OLD.owner, '') AND kind = OLD.kind;
    DELETE FROM open_reminder_days
        WHERE day = OLD.due_at / 86400 AND owner = coalesce(OLD.owner, '') AND kind = OLD.kind AND n <= 0;
END;

CREATE TRIGGER open_reminder_days_change AFTER UPDATE OF status, due_at, owner, kind ON reminders
WHEN OLD.status IN ('open', 'snoozed') OR NEW.status IN ('open', 'snoozed') BEGIN
    UPDATE open_reminder_days SET n = n - 1
        WHERE OLD.status IN ('open', 'snoozed')
          AND day = OLD.due_at / 86400 AND owner = coalesce(OLD.owner, '') AND kind = OLD.kind;
    DELETE FROM open_reminder_days
        WHERE day = OLD.due_at / 86400 AND owner = coalesce(OLD.owner, '') AND kind = OLD.kind AND n <= 0;
    INSERT INTO open_reminder_days (day, owner, kind, n)
        SELECT NEW.due_at / 86400, coalesce(NEW.owner, ''), NEW.kind, 1 WHERE NEW.status IN ('open', 'snoozed')
        ON CONFLICT DO UPDATE SET n = n + 1;
END;
"#;

/// The reminders done, counted per UTC day of their completion and owner
/// ('' for none): on time (done at or before the due time) and late, kept
/// by triggers. The team view adds up the whole days of its period here
/// and reads only the part days at its ends from `reminders_done` (a
/// month of a million customers' done reminders, 110,000 rows, took 15 ms
/// to read on every open of the team view). A bulk load drops the triggers
/// and counts again at its end (`reminder_days.rs`).
const MIGRATION_21: &str = r#"
CREATE TABLE done_reminder_days (
    day      INTEGER NOT NULL,
    owner    TEXT NOT NULL,
    on_time  INTEGER NOT NULL,
    late     INTEGER NOT NULL,
    PRIMARY KEY (day, owner)
) WITHOUT ROWID;

INSERT INTO done_reminder_days (day, owner, on_time, late)
    SELECT done_at / 86400, coalesce(owner, ''), sum(done_at <= due_at), sum(done_at > due_at) FROM reminders
    WHERE status = 'done' AND done_at IS NOT NULL GROUP BY 1, 2;

CREATE TRIGGER done_reminder_days_add AFTER INSERT ON reminders
WHEN NEW.status = 'done' AND NEW.done_at IS NOT NULL BEGIN
    INSERT INTO done_reminder_days (day, owner, on_time, late)
        VALUES (NEW.done_at / 86400, coalesce(NEW.owner, ''), NEW.done_at <= NEW.due_at, NEW.done_at > NEW.due_at)
        ON CONFLICT DO UPDATE SET on_time = on_time + excluded.on_time, late = late + excluded.late;
END;

CREATE TRIGGER done_reminder_days_remove AFTER DELETE ON reminders
WHEN OLD.status = 'done' AND OLD.done_at IS NOT NULL BEGIN
    UPDATE done_reminder_days
        SET on_time = on_time - (OLD.done_at <= OLD.due_at), late = late - (OLD.done_at > OLD.due_at)
        WHERE day = OLD.done_at / 86400 AND owner = coalesce(OLD.owner, '');
    DELETE FROM done_reminder_days
        WHERE day = OLD.done_at / 86400 AND owner = coalesce(OLD.owner, '') AND on_time <= 0 AND late <= 0;
END;

CREATE TRIGGER done_reminder_days_change AFTER UPDATE OF status, done_at, due_at, owner ON reminders
WHEN (OLD.status = 'done' AND OLD.done_at IS NOT NULL) OR (NEW.status = 'done' AND NEW.done_at IS NOT NULL) BEGIN
    UPDATE done_reminder_days
        SET on_time = on_time - (OLD.done_at <= OLD.due_at), late = late - (OLD.done_at > OLD.due_at)
        WHERE OLD.status = 'done' AND OLD.done_at IS NOT NULL
          AND day = OLD.done_at / 86400 AND owner = coalesce(OLD.owner, '');
    DELETE FROM done_reminder_days
        WHERE OLD.done_at IS NOT NULL AND day = OLD.done_at / 86400 AND owner = coalesce(OLD.owner, '')
          AND on_time <= 0 AND late <= 0;
    INSERT INTO done_reminder_days (day, owner, on_time, late)
        SELECT NEW.done_at / 86400, coalesce(NEW.owner, ''), NEW.done_at <= NEW.due_at, NEW.done_at > NEW.due_at
        WHERE NEW.status = 'done' AND NEW.done_at IS NOT NULL
        ON CONFLICT DO UPDATE SET on_time = on_time + excluded.on_time, late = late + excluded.late;
END;
"#;

/// The indexes of the customers' own keys, built once the migration's fill
/// has written them (one sorted pass instead of a random insert per row).
pub const KEYS_INDEXES: &str = r#"
CREATE INDEX customers_phone_key ON customers (phone_key) WHERE phone_key IS NOT NULL;
CREATE INDEX customers_email_key ON customers (email_key) WHERE email_key IS NOT NULL;
"#;

/// The migration after which `duplicates::fill_keys` runs and
/// [`KEYS_INDEXES`] are built.
pub const KEYS_MIGRATION: usize = 9;

/// The team view's figures read only the period's rows: interactions,
/// done reminders, promises, won deals and deals naming a competitor by
/// their dates (each was a scan of its whole table on every open of the
/// team pane: 43–230 ms over 200,000 deals).
const MIGRATION_7: &str = r#"
CREATE INDEX interactions_when ON interactions (occurred_at, agent);
CREATE INDEX reminders_done ON reminders (done_at, owner) WHERE status = 'done';
CREATE INDEX promises_when ON promises (due_at);
CREATE INDEX promises_settled ON promises (coalesce(done_at, due_at)) WHERE status <> 'open';
CREATE INDEX deals_won ON deals (closed_at) WHERE status = 'won';
CREATE INDEX deals_competitors ON deals (closed_at, created_at) WHERE trim(coalesce(competitors, '')) <> '';
"#;

/// The customer's money in O(1): `customer_money` holds, per customer, the
/// sums the card's header, its ageing and the credit rule read, kept exact
/// by triggers on every insert, delete and change of customer, kind or
/// amount of a transaction (so a merge, which moves the transactions, moves
/// the money with them), and filled here from the transactions there.
/// Integer minor units, as the amounts:
/// - `entries`: transactions of any kind;
/// - `sales`: the sales' amounts; `sales_in`: the same counting only
///   positive amounts (the invoices ageing reads);
/// - `credits`: the refunds' and discounts' amounts (signed, so negative);
///   `credits_abs`: their absolute values;
/// - `settled`: the absolute amounts of payments and write-offs.
///
/// A customer has a row while it has transactions: the row of a customer
/// whose last transaction goes (deleted, or moved by a merge) goes too. The
/// table has no foreign key on purpose: a merge moves every row that
/// references customers, and these rows follow the transactions instead.
/// The bulk load and the import drop the triggers while they write and keep
/// the totals themselves (see `repo::transactions::suspend_money_triggers`).
///
/// The card's overview also lists a customer's soonest open reminders:
/// `reminders_open_soonest` holds only the open (and snoozed) ones, in due
/// order, so that the first few are read instead of sorting them all.
const MIGRATION_6: &str = r#"
CREATE INDEX reminders_open_soonest ON reminders (customer_id, due_at) WHERE status IN ('open', 'snoozed');

CREATE TABLE customer_money (
    customer_id  INTEGER PRIMARY KEY,
    entries      INTEGER NOT NULL DEFAULT 0,
    sales        INTEGER NOT NULL DEFAULT 0,
    sales_in     INTEGER NOT NULL DEFAULT 0,
    credits      INTEGER NOT NULL DEFAULT 0,
    credits_abs  INTEGER NOT NULL DEFAULT 0,
    settled      INTEGER NOT NULL DEFAULT 0
);

INSERT INTO customer_money (customer_id, entries, sales, sales_in, credits, credits_abs, settled)
    SELECT customer_id, count(*),
           coalesce(sum(CASE WHEN kind = 'sale' THEN amount END), 0),
           coalesce(sum(CASE WHEN kind = 'sale' THEN max(amount, 0) END), 0),
           coalesce(sum(CASE WHEN kind = 'refund' OR kind = 'discount' THEN amount END), 0),
           coalesce(sum(CASE WHEN kind = 'refund' OR kind = 'discount' THEN abs(amount) END), 0),
           coalesce(sum(CASE WHEN kind = 'payment' OR kind = 'write_off' THEN abs(amount) END), 0)
    FROM transactions GROUP BY customer_id;

CREATE TRIGGER customer_money_insert AFTER INSERT ON transactions BEGIN
    INSERT INTO customer_money (customer_id, entries, sales, sales_in, credits, credits_abs, settled)
        VALUES (NEW.customer_id, 1,
                CASE WHEN NEW.kind = 'sale' THEN NEW.amount ELSE 0 END,
                CASE WHEN NEW.kind = 'sale' THEN max(NEW.amount, 0) ELSE 0 END,
                CASE WHEN NEW.kind = 'refund' OR NEW.kind = 'discount' THEN NEW.amount ELSE 0 END,
                CASE WHEN NEW.kind = 'refund' OR NEW.kind = 'discount' THEN abs(NEW.amount) ELSE 0 END,
                CASE WHEN NEW.kind = 'payment' OR NEW.kind = 'write_off' THEN abs(NEW.amount) ELSE 0 END)
        ON CONFLICT DO UPDATE SET entries = entries + 1, sales = sales + excluded.sales,
            sales_in = sales_in + excluded.sales_in, credits = credits + excluded.credits,
            credits_abs = credits_abs + excluded.credits_abs, settled = settled + excluded.settled;
END;

CREATE TRIGGER customer_money_delete AFTER DELETE ON transactions BEGIN
    UPDATE customer_money SET entries = entries - 1,
        sales = sales - CASE WHEN OLD.kind = 'sale' THEN OLD.amount ELSE 0 END,
        sales_in = sales_in - CASE WHEN OLD.kind = 'sale' THEN max(OLD.amount, 0) ELSE 0 END,
        credits = credits - CASE WHEN OLD.kind = 'refund' OR OLD.kind = 'discount' THEN OLD.amount ELSE 0 END,
        credits_abs = credits_abs - CASE WHEN OLD.kind = 'refund' OR OLD.kind = 'discount' THEN abs(OLD.amount) ELSE 0 END,
        settled = settled - CASE WHEN OLD.kind = 'payment' OR OLD.kind = 'write_off' THEN abs(OLD.amount) ELSE 0 END
    WHERE customer_id = OLD.customer_id;
    DELETE FROM customer_money WHERE customer_id = OLD.customer_id AND entries = 0;
END;

CREATE TRIGGER customer_money_update AFTER UPDATE OF customer_id, kind, amount ON transactions
WHEN OLD.customer_id IS NOT NEW.customer_id OR OLD.kind IS NOT NEW.kind OR OLD.amount IS NOT NEW.amount BEGIN
    UPDATE customer_money SET entries = entries - 1,
        sales = sales - CASE WHEN OLD.kind = 'sale' THEN OLD.amount ELSE 0 END,
        sales_in = sales_in - CASE WHEN OLD.kind = 'sale' THEN max(OLD.amount, 0) ELSE 0 END,
        credits = credits - CASE WHEN OLD.kind = 'refund' OR OLD.kind = 'discount' THEN OLD.amount ELSE 0 END,
        credits_abs = credits_abs - CASE WHEN OLD.kind = 'refund' OR OLD.kind = 'discount' THEN abs(OLD.amount) ELSE 0 END,
        settled = settled - CASE WHEN OLD.kind = 'payment' OR OLD.kind = 'write_off' THEN abs(OLD.amount) ELSE 0 END
    WHERE customer_id = OLD.customer_id;
    DELETE FROM customer_money WHERE customer_id = OLD.customer_id AND entries = 0;
    INSERT INTO customer_money (customer_id, entries, sales, sales_in, credits, credits_abs, settled)
        VALUES (NEW.customer_id, 1,
                CASE WHEN NEW.kind = 'sale' THEN NEW.amount ELSE 0 END,
                CASE WHEN NEW.kind = 'sale' THEN max(NEW.amount, 0) ELSE 0 END,
                CASE WHEN NEW.kind = 'refund' OR NEW.kind = 'discount' THEN NEW.amount ELSE 0 END,
                CASE WHEN NEW.kind = 'refund' OR NEW.kind = 'discount' THEN abs(NEW.amount) ELSE 0 END,
                CASE WHEN NEW.kind = 'payment' OR NEW.kind = 'write_off' THEN abs(NEW.amount) ELSE 0 END)
        ON CONFLICT DO UPDATE SET entries = entries + 1, sales = sales + excluded.sales,
            sales_in = sales_in + excluded.sales_in, credits = credits + excluded.credits,
            credits_abs = credits_abs + excluded.credits_abs, settled = settled + excluded.settled;
END;
"#;

/// The customer's card with years of history. Its money (invoiced, paid,
/// outstanding, what ageing needs) sums a covering index instead of the
/// table; its timeline reads promises and reminders in time order from
/// indexes, as it already did interactions, transactions and deals.
const MIGRATION_5: &str = r#"
CREATE INDEX transactions_money ON transactions (customer_id, kind, amount);
CREATE INDEX promises_story ON promises (customer_id, created_at);
CREATE INDEX reminders_story ON reminders (customer_id, coalesce(done_at, due_at));
"#;

/// The pyramid recompute on large bases (1,000,000 customers, 10,000,000
/// transactions). Its window is read from two partial covering indexes in
/// time order — the sales, and the rest of what counts as contribution
/// (`kind` is in that one so that SQLite needs no table row to check the
/// `NOT IN`) — instead of the table; the customers' stored pyramid columns (pin, tier,
/// contribution, RFM) from `customers_pyramid`, so that the recompute
/// writes only the customers whose figures changed (the same index serves
/// the pyramid pane's band counts). The snapshots become one b-tree keyed
/// by (day, customer) instead of a table plus its primary-key index: half
/// the writes of a day's snapshot, and a covering read of it.
const MIGRATION_4: &str = r#"
CREATE INDEX transactions_window_sales ON transactions (occurred_at, customer_id, amount) WHERE kind = 'sale';
CREATE INDEX transactions_window_costs ON transactions (occurred_at, customer_id, amount, kind)
    WHERE kind NOT IN ('sale', 'payment');
CREATE INDEX customers_pyramid ON customers (status, tier_pin, tier, contribution, rfm_r, rfm_f, rfm_m, rfm_segment);

CREATE TABLE tier_snapshots_new (
    taken_on      TEXT NOT NULL,
    customer_id   INTEGER NOT NULL REFERENCES customers (id),
    tier          TEXT NOT NULL,
    contribution  INTEGER NOT NULL,
    PRIMARY KEY (taken_on, customer_id)
) WITHOUT ROWID;
INSERT INTO tier_snapshots_new (taken_on, customer_id, tier, contribution)
    SELECT taken_on, customer_id, tier, contribution FROM tier_snapshots;
DROP TABLE tier_snapshots;
ALTER TABLE tier_snapshots_new RENAME TO tier_snapshots;
"#;

/// The pipeline board on large bases. Each column reads only the cards in
/// view, in its order, from an index (no sort of the whole column); the
/// column headers and the won / lost counts come from `deal_totals`, kept
/// by triggers: open, won and lost deals counted and summed per (status,
/// stage, probability override), -1 standing for "no override" (a NULL
/// would not match in the key). "Only mine" sums an owner's deals from
/// `deals_board_owner` without reading the table. `deals_board (status,
/// stage)` is a prefix of the new indexes.
const MIGRATION_3: &str = r#"
CREATE INDEX deals_board_amount ON deals (status, stage, amount DESC);
CREATE INDEX deals_board_close ON deals (status, stage, expected_close IS NULL, expected_close);
CREATE INDEX deals_board_age ON deals (status, stage, stage_changed_at);
CREATE INDEX deals_board_owner ON deals (status, owner, stage, probability_pct, amount);
DROP INDEX deals_board;

CREATE TABLE deal_totals (
    status           TEXT NOT NULL,
    stage            TEXT NOT NULL,
    probability_pct  INTEGER NOT NULL,
    count            INTEGER NOT NULL,
    amount           INTEGER NOT NULL,
    PRIMARY KEY (status, stage, probability_pct)
) WITHOUT ROWID;

INSERT INTO deal_totals (status, stage, probability_pct, count, amount)
    SELECT status, stage, coalesce(probability_pct, -1), count(*), sum(amount) FROM deals GROUP BY 1, 2, 3;

CREATE TRIGGER deal_totals_insert AFTER INSERT ON deals BEGIN
    INSERT INTO deal_totals (status, stage, probability_pct, count, amount)
        VALUES (NEW.status, NEW.stage, coalesce(NEW.probability_pct, -1), 1, NEW.amount)
        ON CONFLICT DO UPDATE SET count = count + 1, amount = amount + excluded.amount;
END;

CREATE TRIGGER deal_totals_delete AFTER DELETE ON deals BEGIN
    UPDATE deal_totals SET count = count - 1, amount = amount - OLD.amount
        WHERE status = OLD.status AND stage = OLD.stage AND probability_pct = coalesce(OLD.probability_pct, -1);
END;

CREATE TRIGGER deal_totals_update AFTER UPDATE OF status, stage, probability_pct, amount ON deals BEGIN
    UPDATE deal_totals SET count = count - 1, amount = amount - OLD.amount
        WHERE status = OLD.status AND stage = OLD.stage AND probability_pct = coalesce(OLD.probability_pct, -1);
    INSERT INTO deal_totals (status, stage, probability_pct, count, amount)
        VALUES (NEW.status, NEW.stage, coalesce(NEW.probability_pct, -1), 1, NEW.amount)
        ON CONFLICT DO UPDATE SET count = count + 1, amount = amount + excluded.amount;
END;
"#;

/// The churn model: each customer's P(alive), expected purchases and
/// lifecycle stage, and the fitted parameters.
const MIGRATION_2: &str = r#"
ALTER TABLE customers ADD COLUMN p_alive REAL;
ALTER TABLE customers ADD COLUMN expected_purchases REAL;
ALTER TABLE customers ADD COLUMN lifecycle TEXT;
ALTER TABLE customers ADD COLUMN churn_risk INTEGER NOT NULL DEFAULT 0;
CREATE INDEX customers_lifecycle ON customers (lifecycle);

CREATE TABLE churn_fits (
    id              INTEGER PRIMARY KEY,
    fitted_at       INTEGER NOT NULL,
    as_of           TEXT NOT NULL,
    customers       INTEGER NOT NULL,
    r               REAL,
    alpha           REAL,
    a               REAL,
    b               REAL,
    log_likelihood  REAL,
    message         TEXT
);
"#;

const MIGRATION_1: &str = r#"
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE customers (
    id            INTEGER PRIMARY KEY,
    external_id   TEXT UNIQUE,
    kind          TEXT NOT NULL CHECK (kind IN ('enterprise', 'household', 'individual')),
    name          TEXT NOT NULL,
    company       TEXT,
    email         TEXT,
    phone         TEXT,
    city          TEXT,
    country       TEXT,
    owner         TEXT,
    status        TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'archived')),
    tier          TEXT NOT NULL DEFAULT 'low' CHECK (tier IN ('top', 'growth', 'low', 'negative')),
    tier_pin      TEXT CHECK (tier_pin IN ('top', 'growth', 'low', 'negative')),
    contribution  INTEGER NOT NULL DEFAULT 0,
    rfm_r         INTEGER,
    rfm_f         INTEGER,
    rfm_m         INTEGER,
    rfm_segment   TEXT,
    credit_limit  INTEGER,
    on_hold       INTEGER NOT NULL DEFAULT 0,
    vip_level     TEXT,
    note          TEXT,
    sort_key      TEXT NOT NULL DEFAULT '',
    search_text   TEXT NOT NULL DEFAULT '',
    phone_digits  TEXT NOT NULL DEFAULT '',
    version       INTEGER NOT NULL DEFAULT 1,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);
CREATE INDEX customers_sort ON customers (status, sort_key, id);
CREATE INDEX customers_tier ON customers (tier, contribution);

CREATE TABLE contacts (
    id           INTEGER PRIMARY KEY,
    customer_id  INTEGER NOT NULL REFERENCES customers (id),
    external_id  TEXT UNIQUE,
    name         TEXT NOT NULL,
    role         TEXT,
    email        TEXT,
    phone        TEXT,
    birthday     TEXT,
    status       TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'archived')),
    version      INTEGER NOT NULL DEFAULT 1,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL
);
CREATE INDEX contacts_customer ON contacts (customer_id);

CREATE TABLE interactions (
    id             INTEGER PRIMARY KEY,
    customer_id    INTEGER NOT NULL REFERENCES customers (id),
    contact_id     INTEGER REFERENCES contacts (id),
    channel        TEXT NOT NULL CHECK (channel IN ('call', 'email', 'visit', 'chat', 'message')),
    direction      TEXT NOT NULL CHECK (direction IN ('inbound', 'outbound')),
    summary        TEXT NOT NULL,
    outcome        TEXT NOT NULL,
    agent          TEXT NOT NULL,
    occurred_at    INTEGER NOT NULL,
    duration_secs  INTEGER,
    note           TEXT,
    version        INTEGER NOT NULL DEFAULT 1,
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL
);
CREATE INDEX interactions_customer ON interactions (customer_id, occurred_at);
CREATE INDEX interactions_agent ON interactions (agent, occurred_at);

CREATE TABLE transactions (
    id            INTEGER PRIMARY KEY,
    customer_id   INTEGER NOT NULL REFERENCES customers (id),
    external_id   TEXT UNIQUE,
    kind          TEXT NOT NULL CHECK (kind IN ('sale', 'refund', 'service_cost', 'discount', 'write_off', 'payment')),
    amount        INTEGER NOT NULL,
    occurred_at   INTEGER NOT NULL,
    due_at        INTEGER,
    reference     TEXT,
    note          TEXT,
    version       INTEGER NOT NULL DEFAULT 1,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);
CREATE INDEX transactions_customer ON transactions (customer_id, occurred_at);
CREATE INDEX transactions_time ON transactions (occurred_at);

CREATE TABLE deals (
    id                INTEGER PRIMARY KEY,
    customer_id       INTEGER NOT NULL REFERENCES customers (id),
    title             TEXT NOT NULL,
    amount            INTEGER NOT NULL CHECK (amount >= 0),
    stage             TEXT NOT NULL,
    probability_pct   INTEGER CHECK (probability_pct BETWEEN 0 AND 100),
    expected_close    TEXT,
    competitors       TEXT,
    owner             TEXT,
    next_step         TEXT,
    status            TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'won', 'lost')),
    close_reason      TEXT,
    closed_at         INTEGER,
    stage_changed_at  INTEGER NOT NULL,
    last_activity_at  INTEGER NOT NULL,
    version           INTEGER NOT NULL DEFAULT 1,
    created_at        INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL
);
CREATE INDEX deals_board ON deals (status, stage);
CREATE INDEX deals_customer ON deals (customer_id);

CREATE TABLE deal_stage_history (
    id          INTEGER PRIMARY KEY,
    deal_id     INTEGER NOT NULL REFERENCES deals (id),
    from_stage  TEXT,
    to_stage    TEXT NOT NULL,
    changed_at  INTEGER NOT NULL,
    agent       TEXT NOT NULL,
    reason      TEXT
);
CREATE INDEX deal_stage_history_deal ON deal_stage_history (deal_id, changed_at);

CREATE TABLE reminders (
    id             INTEGER PRIMARY KEY,
    customer_id    INTEGER NOT NULL REFERENCES customers (id),
    kind           TEXT NOT NULL,
    due_at         INTEGER NOT NULL,
    note           TEXT NOT NULL DEFAULT '',
    owner          TEXT,
    status         TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'done', 'snoozed', 'cancelled')),
    recurrence     TEXT,
    origin_rule    TEXT,
    occasion_key   TEXT,
    done_at        INTEGER,
    version        INTEGER NOT NULL DEFAULT 1,
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL,
    UNIQUE (origin_rule, occasion_key)
);
CREATE INDEX reminders_due ON reminders (status, due_at);
CREATE INDEX reminders_customer ON reminders (customer_id, status);

CREATE TABLE promises (
    id              INTEGER PRIMARY KEY,
    customer_id     INTEGER NOT NULL REFERENCES customers (id),
    interaction_id  INTEGER REFERENCES interactions (id),
    text            TEXT NOT NULL,
    due_at          INTEGER NOT NULL,
    agent           TEXT NOT NULL,
    status          TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'kept', 'late', 'broken')),
    done_at         INTEGER,
    version         INTEGER NOT NULL DEFAULT 1,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);
CREATE INDEX promises_due ON promises (status, due_at);
CREATE INDEX promises_customer ON promises (customer_id);

CREATE TABLE cases (
    id               INTEGER PRIMARY KEY,
    customer_id      INTEGER NOT NULL REFERENCES customers (id),
    title            TEXT NOT NULL,
    description      TEXT,
    severity         TEXT NOT NULL CHECK (severity IN ('low', 'medium', 'high', 'critical')),
    owner            TEXT,
    status           TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
    opened_at        INTEGER NOT NULL,
    deadline_at      INTEGER NOT NULL,
    acknowledged_at  INTEGER,
    apologized_at    INTEGER,
    amended_at       INTEGER,
    anticipated_at   INTEGER,
    anticipate_note  TEXT,
    closed_at        INTEGER,
    satisfaction     INTEGER CHECK (satisfaction BETWEEN 1 AND 5),
    version          INTEGER NOT NULL DEFAULT 1,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL,
    CHECK (closed_at IS NULL OR (acknowledged_at IS NOT NULL AND apologized_at IS NOT NULL AND amended_at IS NOT NULL))
);
CREATE INDEX cases_status ON cases (status, deadline_at);
CREATE INDEX cases_customer ON cases (customer_id);

CREATE TABLE points_ledger (
    id              INTEGER PRIMARY KEY,
    customer_id     INTEGER NOT NULL REFERENCES customers (id),
    delta           INTEGER NOT NULL,
    kind            TEXT NOT NULL CHECK (kind IN ('earn', 'redeem', 'adjust')),
    reason          TEXT NOT NULL,
    transaction_id  INTEGER REFERENCES transactions (id),
    agent           TEXT NOT NULL,
    created_at      INTEGER NOT NULL
);
CREATE INDEX points_customer ON points_ledger (customer_id);

CREATE TABLE tier_snapshots (
    taken_on      TEXT NOT NULL,
    customer_id   INTEGER NOT NULL REFERENCES customers (id),
    tier          TEXT NOT NULL,
    contribution  INTEGER NOT NULL,
    PRIMARY KEY (taken_on, customer_id)
);

CREATE TABLE audit_log (
    id         INTEGER PRIMARY KEY,
    at         INTEGER NOT NULL,
    agent      TEXT NOT NULL,
    action     TEXT NOT NULL,
    entity     TEXT NOT NULL,
    entity_id  INTEGER NOT NULL,
    changes    TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_entity ON audit_log (entity, entity_id);
"#;

#[cfg(test)]
mod tests {
    use super::*;

    /// (status, stage, probability override or -1, count, amount) per group.
    type Totals = Vec<(String, String, i64, i64, i64)>;

    fn grouped(conn: &rusqlite::Connection) -> Totals {
        let mut st = conn
            .prepare(
                "SELECT status, stage, coalesce(probability_pct, -1), count(*), sum(amount) FROM deals
                 GROUP BY 1, 2, 3 ORDER BY 1, 2, 3",
            )
            .unwrap();
        st.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap()
    }

    fn kept(conn: &rusqlite::Connection) -> Totals {
        let mut st = conn
            .prepare(
                "SELECT status, stage, probability_pct, count, amount FROM deal_totals WHERE count != 0
                 ORDER BY 1, 2, 3",
            )
            .unwrap();
        st.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap()
    }

    /// Migration 3 on a base with deals: the totals start from the deals
    /// there, then the triggers keep them through inserts, moves, edits and
    /// deletes; the later migrations still apply.
    #[test]
    fn deal_totals_are_backfilled_then_kept_by_the_triggers() {
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        conn.execute_batch(MIGRATION_1).unwrap();
        conn.execute_batch(MIGRATION_2).unwrap();
        conn.execute_batch(
            "INSERT INTO customers (id, kind, name, sort_key, search_text, created_at, updated_at)
                 VALUES (1, 'individual', 'A', 'a', 'a', 0, 0);
             INSERT INTO deals (customer_id, title, amount, stage, probability_pct, status, stage_changed_at,
                                last_activity_at, created_at, updated_at)
                 VALUES (1, 'a', 100, 'Lead', NULL, 'open', 0, 0, 0, 0),
                        (1, 'b', 200, 'Lead', NULL, 'open', 0, 0, 0, 0),
                        (1, 'c', 300, 'Lead', 40, 'open', 0, 0, 0, 0),
                        (1, 'd', 400, 'Won', NULL, 'won', 0, 0, 0, 0),
                        (1, 'e', 500, 'Lost', 10, 'lost', 0, 0, 0, 0);",
        )
        .unwrap();
        conn.execute_batch(MIGRATION_3).unwrap();
        assert_eq!(kept(&conn), grouped(&conn));
        assert_eq!(kept(&conn).len(), 4);
        conn.execute_batch(
            "INSERT INTO deals (customer_id, title, amount, stage, probability_pct, status, stage_changed_at,
                                last_activity_at, created_at, updated_at)
                 VALUES (1, 'f', 50, 'Proposal', NULL, 'open', 0, 0, 0, 0);
             UPDATE deals SET stage = 'Qualified' WHERE title = 'a';
             UPDATE deals SET probability_pct = 90, amount = 250 WHERE title = 'b';
             UPDATE deals SET stage = 'Won', status = 'won' WHERE title = 'c';
             UPDATE deals SET stage = 'Lead', status = 'open' WHERE title = 'd';
             UPDATE deals SET title = 'renamed', last_activity_at = 5 WHERE title = 'e';
             DELETE FROM deals WHERE title = 'f';",
        )
        .unwrap();
        assert_eq!(kept(&conn), grouped(&conn));
        for sql in &MIGRATIONS[3..] {
            conn.execute_batch(sql).unwrap();
        }
    }

    /// Migration 6 on a base with transactions (schema 5): `customer_money`
    /// starts from the sums of the transactions there, then the triggers
    /// keep it.
    #[test]
    fn customer_money_is_backfilled_then_kept_by_the_triggers() {
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        for sql in &MIGRATIONS[..5] {
            conn.execute_batch(sql).unwrap();
        }
        conn.execute_batch(
            "INSERT INTO customers (id, kind, name, created_at, updated_at)
                 VALUES (1, 'individual', 'A', 0, 0), (2, 'individual', 'B', 0, 0), (3, 'individual', 'C', 0, 0);
             INSERT INTO transactions (customer_id, kind, amount, occurred_at, created_at, updated_at)
                 VALUES (1, 'sale', 1000, 0, 0, 0), (1, 'sale', 500, 1, 0, 0), (1, 'payment', 700, 2, 0, 0),
                        (1, 'refund', -50, 3, 0, 0), (1, 'service_cost', -30, 3, 0, 0),
                        (2, 'sale', -5, 0, 0, 0), (2, 'discount', -20, 0, 0, 0), (2, 'write_off', -100, 0, 0, 0);",
        )
        .unwrap();
        conn.execute_batch(MIGRATION_6).unwrap();
        let totals = |conn: &rusqlite::Connection| -> Vec<(i64, i64, i64, i64, i64, i64, i64)> {
            let mut st = conn
                .prepare(
                    "SELECT customer_id, entries, sales, sales_in, credits, credits_abs, settled FROM customer_money
                     ORDER BY customer_id",
                )
                .unwrap();
            st.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?)))
                .unwrap()
                .collect::<rusqlite::Result<_>>()
                .unwrap()
        };
        assert_eq!(totals(&conn), vec![(1, 5, 1500, 1500, -50, 50, 700), (2, 3, -5, 0, -20, 20, 100)]);
        conn.execute_batch(
            "INSERT INTO transactions (customer_id, kind, amount, occurred_at, created_at, updated_at)
                 VALUES (3, 'sale', 250, 0, 0, 0);
             UPDATE transactions SET customer_id = 3 WHERE customer_id = 2 AND kind = 'discount';
             UPDATE transactions SET kind = 'payment', amount = 100 WHERE customer_id = 2 AND kind = 'write_off';
             UPDATE transactions SET amount = 2000 WHERE customer_id = 1 AND amount = 1000;
             DELETE FROM transactions WHERE customer_id = 1 AND kind = 'refund';",
        )
        .unwrap();
        assert_eq!(
            totals(&conn),
            vec![(1, 4, 2500, 2500, 0, 0, 700), (2, 2, -5, 0, 0, 0, 100), (3, 2, 250, 250, -20, 20, 0)]
        );
        for sql in &MIGRATIONS[6..] {
            conn.execute_batch(sql).unwrap();
        }
    }
}
