//! The pyramid's band totals (count and contribution of each band, kept by
//! triggers in `band_totals`) always equal a count of the customers
//! themselves, whatever wrote to them: a recompute that changes a few or
//! most customers, pins, archiving, a merge, new customers, an import, a
//! generated base, and a base migrated from before the table.

mod undo;

use std::path::Path;

use chrono::NaiveDate;
use rapport::config::Config;
use rapport::domain::model::{CustomerKind, CustomerStatus, NewCustomer, Tier};
use rapport::domain::money::Money;
use rapport::domain::rfm::RfmScore;
use rapport::repo::Repo;

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 25).unwrap()
}

/// Each band's (customers, contribution) counted from the customers.
fn counted(path: &Path) -> Vec<(u64, i64)> {
    let conn = rusqlite::Connection::open(path).unwrap();
    Tier::ALL
        .iter()
        .map(|t| {
            conn.query_row(
                "SELECT count(*), coalesce(sum(contribution), 0) FROM customers
                 WHERE status = 'active' AND coalesce(tier_pin, tier) = ?1",
                [t.code()],
                |r| Ok((r.get::<_, i64>(0)? as u64, r.get(1)?)),
            )
            .unwrap()
        })
        .collect()
}

fn check(repo: &Repo, when: &str) {
    let kept: Vec<(u64, i64)> = repo.tier_bands().unwrap().iter().map(|b| (b.count, b.total.0)).collect();
    assert_eq!(kept, counted(repo.path()), "{when}: kept (left) and counted (right)");
    // Each open reminder carries its customer's band (migration 13).
    let conn = rusqlite::Connection::open(repo.path()).unwrap();
    let wrong: i64 = conn
        .query_row(
            "SELECT count(*) FROM reminders r JOIN customers c ON c.id = r.customer_id
             WHERE r.status IN ('open', 'snoozed')
               AND r.band IS NOT CASE coalesce(c.tier_pin, c.tier) WHEN 'top' THEN 0 WHEN 'growth' THEN 1
                                      WHEN 'low' THEN 2 ELSE 3 END",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(wrong, 0, "{when}: open reminders whose band is not their customer's");
    // And the triggers that keep both are all there.
    let triggers: i64 = conn
        .query_row(
            "SELECT count(*) FROM sqlite_schema WHERE type = 'trigger' AND name IN
             ('band_totals_add', 'band_totals_remove', 'band_totals_change', 'reminders_band_set',
              'reminders_band_follow', 'customers_band_to_reminders')",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(triggers, 6, "{when}: triggers");
    let triage: i64 = conn
        .query_row("SELECT count(*) FROM sqlite_schema WHERE type = 'index' AND name = 'reminders_triage'", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(triage, 1, "{when}: the open reminders' index by band");
}

#[test]
fn band_totals_follow_every_kind_of_write() {
    let dir = tempfile::tempdir().unwrap();
    let mut repo = Repo::open(&dir.path().join("b.db"), "alice").unwrap();
    check(&repo, "new base");
    rapport::demo::generate(
        &mut repo,
        &rapport::demo::DemoOptions { customers: 400, ..rapport::demo::DemoOptions::new(today()) },
    )
    .unwrap();
    check(&repo, "demo base");
    let bands = repo.tier_bands().unwrap();
    assert!(bands.iter().all(|b| b.count > 0), "{bands:?}");

    let config = Config::default();
    // A day later: a few customers change.
    rapport::services::pyramid::recompute(&mut repo, &config, today().succ_opt().unwrap()).unwrap();
    check(&repo, "next day's recompute");
    // A recompute that moves a few customers with open reminders to
    // another band (and changes others' contribution alone).
    let with_reminders: Vec<i64> = {
        let conn = rusqlite::Connection::open(repo.path()).unwrap();
        let mut st = conn
            .prepare(
                "SELECT DISTINCT r.customer_id FROM reminders r JOIN customers c ON c.id = r.customer_id
                 WHERE r.status = 'open' AND c.tier_pin IS NULL AND c.status = 'active' ORDER BY 1 LIMIT 6",
            )
            .unwrap();
        st.query_map([], |r| r.get(0)).unwrap().collect::<Result<_, _>>().unwrap()
    };
    assert_eq!(with_reminders.len(), 6);
    let places = repo.pyramid_places().unwrap();
    let rows: Vec<_> = with_reminders
        .iter()
        .enumerate()
        .map(|(k, id)| {
            let c = repo.customer(*id).unwrap();
            let tier = if k % 2 == 0 {
                Tier::ALL[(Tier::ALL.iter().position(|t| *t == c.tier).unwrap() + 1) % 4]
            } else {
                c.tier
            };
            let rfm = c.rfm.zip(c.segment).map(|((r, f, m), segment)| RfmScore { r, f, m, segment });
            (*id, tier, Money(c.contribution.0 + 100 * k as i64), rfm)
        })
        .collect();
    assert_eq!(repo.store_recomputed(places, today().succ_opt().unwrap(), rows).unwrap(), 6);
    check(&repo, "a recompute that moves a few customers");
    // Two years on, nearly everyone changes: the bulk path.
    rapport::services::pyramid::recompute(&mut repo, &config, NaiveDate::from_ymd_opt(2028, 12, 1).unwrap()).unwrap();
    check(&repo, "a recompute that changes most customers");
    rapport::services::pyramid::recompute(&mut repo, &config, today()).unwrap();
    check(&repo, "back to today");

    // Pins, archiving, a merge, a new customer.
    let rows = repo.search_customers("", 0, 10).unwrap();
    let mut c = repo.customer(rows[0].id).unwrap();
    c.tier_pin = Some(Tier::Top);
    repo.update_customer(&c).unwrap();
    check(&repo, "a pin");
    let mut c = repo.customer(rows[0].id).unwrap();
    c.tier_pin = None;
    c.status = CustomerStatus::Archived;
    repo.update_customer(&c).unwrap();
    check(&repo, "unpinned and archived");
    let mut c = repo.customer(rows[0].id).unwrap();
    c.status = CustomerStatus::Active;
    repo.update_customer(&c).unwrap();
    check(&repo, "restored");
    repo.merge_customers(rows[1].id, rows[2].id).unwrap();
    check(&repo, "a merge");
    repo.create_customer(&NewCustomer::named(CustomerKind::Individual, "Nova Quist")).unwrap();
    check(&repo, "a new customer");

    // An import of new and changed customers, then a recompute.
    let csv = dir.path().join("c.csv");
    std::fs::write(&csv, "external_id,name,tier_pin\nn1,Ada Import,top\nn2,Bo Import,\n").unwrap();
    let db = repo.path().to_str().unwrap().to_string();
    assert_eq!(
        rapport::cli::run_args(["rapport", "--db", &db, "import", "customers", csv.to_str().unwrap()]).unwrap(),
        0
    );
    check(&repo, "an import");
    rapport::services::pyramid::recompute(&mut repo, &config, today()).unwrap();
    check(&repo, "a recompute after the import");

    // A base from before the table (schema 11): filled by the migration.
    drop(repo);
    let conn = rusqlite::Connection::open(dir.path().join("b.db")).unwrap();
    undo::back_to(&conn, 11);
    drop(conn);
    let repo = Repo::open(&dir.path().join("b.db"), "alice").unwrap();
    check(&repo, "migrated");
}

#[test]
fn a_generated_base_counts_its_bands_once() {
    let dir = tempfile::tempdir().unwrap();
    let mut repo = Repo::open(&dir.path().join("g.db"), "demo").unwrap();
    let o = rapport::demo::scale::ScaleOptions::new(2_000, today());
    rapport::demo::scale::generate(&mut repo, &o, &Config::default()).unwrap();
    check(&repo, "generated");
    assert!(repo.tier_bands().unwrap().iter().all(|b| b.count > 0));
}

/// A large file into a base that has customers: the new customers'
/// triggers are dropped for the import and put back, the bands counted
/// once, the new customers left for the search index's catch-up; customers
/// the file updates still move their bands (and their reminders) through
/// their triggers.
#[test]
fn a_large_import_into_a_base_with_customers_counts_its_bands_and_indexes_after() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("l.db");
    let mut repo = Repo::open(&path, "alice").unwrap();
    rapport::demo::generate(
        &mut repo,
        &rapport::demo::DemoOptions { customers: 60, ..rapport::demo::DemoOptions::new(today()) },
    )
    .unwrap();
    rapport::services::pyramid::recompute(&mut repo, &Config::default(), today()).unwrap();
    check(&repo, "the demo base");
    // An existing customer with open reminders, archived and pinned by the file.
    let conn = rusqlite::Connection::open(&path).unwrap();
    let (old_id, old_x): (i64, String) = conn
        .query_row(
            "SELECT c.id, c.external_id FROM customers c JOIN reminders r ON r.customer_id = c.id
             WHERE c.status = 'active' AND c.external_id IS NOT NULL AND r.status = 'open' LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    drop(conn);
    let before: Vec<u64> = repo.tier_bands().unwrap().iter().map(|b| b.count).collect();
    let mut csv = String::from("external_id,name,status,tier_pin,note\n");
    csv.push_str(&format!("{old_x},Renamed Existing,active,negative,\n"));
    for i in 0..12_000 {
        let pin = match i % 100 {
            0 => "top",
            1 => "negative",
            _ => "",
        };
        let status = if i % 50 == 7 { "archived" } else { "active" };
        csv.push_str(&format!("bulk-{i},Bulkperson Number{i},{status},{pin},{}\n", "x".repeat(80)));
    }
    let file = dir.path().join("many.csv");
    std::fs::write(&file, &csv).unwrap();
    assert!(csv.len() > 1 << 20, "the file must count as many rows: {} bytes", csv.len());
    let db = path.to_str().unwrap().to_string();
    drop(repo);
    assert_eq!(
        rapport::cli::run_args(["rapport", "--db", &db, "import", "customers", file.to_str().unwrap()]).unwrap(),
        0
    );
    let mut repo = Repo::open(&path, "alice").unwrap();
    check(&repo, "a large import into a base with customers");
    let after: Vec<u64> = repo.tier_bands().unwrap().iter().map(|b| b.count).collect();
    // 12,000 new: 240 archived; of the active, 116 pinned top, 116 negative
    // (i % 100 in {0, 1} is never i % 50 == 7), the rest Low; the existing
    // customer moved to Negative.
    let old_band = Tier::ALL.iter().position(|t| *t == repo.customer(old_id).unwrap().tier).unwrap();
    assert_eq!(repo.customer(old_id).unwrap().tier_pin, Some(Tier::Negative));
    let mut expected = before.clone();
    expected[0] += 120;
    expected[3] += 120 + 1;
    expected[2] += 12_000 - 240 - 240;
    expected[old_band] -= 1;
    assert_eq!(after, expected, "top, growth, low, negative");
    // The new customers wait for the index's catch-up; search finds them
    // meanwhile (by a scan), and exactly as a scan does after it.
    assert!(!repo.search_index_complete().unwrap());
    assert_eq!(repo.count_customers("bulkperson number1199", 100).unwrap(), 11);
    assert_eq!(repo.search_customers("renamed existing", 0, 5).unwrap()[0].id, old_id);
    repo.catch_up_search_index().unwrap();
    assert!(repo.search_index_complete().unwrap());
    assert_eq!(repo.count_customers("bulkperson number1199", 100).unwrap(), 11);
    assert_eq!(repo.count_customers("bulkperson", 20_000).unwrap(), 12_000 - 240);
    let conn = rusqlite::Connection::open(&path).unwrap();
    let indexed: i64 = conn
        .query_row("SELECT count(*) FROM customer_search WHERE customer_search MATCH 'bulkperson'", [], |r| r.get(0))
        .unwrap();
    assert_eq!(indexed, 12_000, "every new customer indexed once, archived ones too");
    let triggers: i64 = conn
        .query_row(
            "SELECT count(*) FROM sqlite_schema WHERE type = 'trigger' AND name IN ('band_totals_add', 'customer_search_add')",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(triggers, 2);
    // And they work again: a customer added now is counted and indexed.
    repo.create_customer(&NewCustomer::named(CustomerKind::Individual, "Zed Afterbulk")).unwrap();
    check(&repo, "a customer added after the large import");
    assert_eq!(repo.search_customers("afterbulk", 0, 5).unwrap().len(), 1);
    // The same large file again adds nobody: the index stays complete.
    drop(repo);
    assert_eq!(
        rapport::cli::run_args(["rapport", "--db", &db, "import", "customers", file.to_str().unwrap()]).unwrap(),
        0
    );
    let repo = Repo::open(&path, "alice").unwrap();
    assert!(repo.search_index_complete().unwrap(), "a file of updates left the index waiting for a catch-up");
    check(&repo, "the large file imported again");
}

#[test]
fn a_first_import_counts_its_bands_and_leaves_the_triggers_in_place() {
    // Into an empty base the import drops the customers' triggers and counts
    // the bands once before it commits.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("f.db");
    drop(Repo::open(&path, "alice").unwrap());
    let csv = dir.path().join("first.csv");
    std::fs::write(
        &csv,
        "external_id,name,status,tier_pin\n\
         f1,Ada First,active,top\nf2,Bo First,archived,growth\nf3,Cy First,,\nf4,Di First,,negative\nf5,Ed First,,\n",
    )
    .unwrap();
    let db = path.to_str().unwrap().to_string();
    assert_eq!(
        rapport::cli::run_args(["rapport", "--db", &db, "import", "customers", csv.to_str().unwrap()]).unwrap(),
        0
    );
    let mut repo = Repo::open(&path, "alice").unwrap();
    check(&repo, "a first import");
    let kept: Vec<u64> = repo.tier_bands().unwrap().iter().map(|b| b.count).collect();
    assert_eq!(kept, vec![1, 0, 2, 1], "top, growth, low, negative");

    // The triggers are back: later writes keep the totals and the search index.
    repo.create_customer(&NewCustomer::named(CustomerKind::Individual, "Fay Later")).unwrap();
    check(&repo, "a customer added after the first import");
    assert_eq!(repo.tier_bands().unwrap()[2].count, 3);
    repo.catch_up_search_index().unwrap();
    assert!(repo.search_index_complete().unwrap());
    repo.create_customer(&NewCustomer::named(CustomerKind::Individual, "Gil Afterwards")).unwrap();
    let found = repo.search_customers("afterw", 0, 10).unwrap();
    assert_eq!(found.len(), 1, "{found:?}");
    let conn = rusqlite::Connection::open(&path).unwrap();
    let indexed: i64 = conn
        .query_row("SELECT count(*) FROM customer_search WHERE customer_search MATCH 'fte'", [], |r| r.get(0))
        .unwrap();
    assert_eq!(indexed, 1, "the new customer went into the search index by its trigger");
}
