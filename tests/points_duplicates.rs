//! VIP points (earning once per sale, VIP only; redeeming and adjusting
//! never below zero; the ledger adds up; audited), duplicate detection
//! (phones in any format, national vs international, emails in any case,
//! contacts' phones) and merging (no row lost, gone archived, keep filled),
//! against hand-built bases, and the three commands end to end.
//! rusqlite is used here only to count rows and add a tier snapshot.

mod undo;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use tempfile::TempDir;

use rapport::domain::model::{
    Channel, CustomerKind, CustomerStatus, Direction, NewCase, NewContact, NewCustomer, NewDeal, NewInteraction,
    NewPromise, NewReminder, NewTransaction, Outcome, PointsKind, ReminderKind, Severity, TxKind,
};
use rapport::domain::money::Money;
use rapport::domain::points::points_for_sale;
use rapport::repo::duplicates::{SharedKind, phones_match};
use rapport::repo::{Repo, RepoError};

// ---------------------------------------------------------------- helpers

fn fresh() -> (TempDir, PathBuf, Repo) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rapport.db");
    let repo = Repo::open(&path, "alice").unwrap();
    (dir, path, repo)
}

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 6, 1, 12, 0, 0).unwrap()
}

fn customer(name: &str, edit: impl FnOnce(&mut NewCustomer)) -> NewCustomer {
    let mut c = NewCustomer::named(CustomerKind::Individual, name);
    edit(&mut c);
    c
}

fn tx(customer_id: i64, kind: TxKind, cents: i64, days: i64) -> NewTransaction {
    NewTransaction {
        customer_id,
        external_id: None,
        kind,
        amount: Money(cents),
        occurred_at: t0() + Duration::days(days),
        reference: None,
    }
}

fn contact(customer_id: i64, name: &str, phone: Option<&str>, email: Option<&str>) -> NewContact {
    NewContact {
        customer_id,
        name: name.into(),
        role: None,
        email: email.map(String::from),
        phone: phone.map(String::from),
        birthday: None,
    }
}

fn call(customer_id: i64, summary: &str) -> NewInteraction {
    NewInteraction {
        customer_id,
        channel: Channel::Call,
        direction: Direction::Inbound,
        summary: summary.into(),
        outcome: Outcome::FollowUp,
        occurred_at: t0(),
        duration_secs: Some(60),
    }
}

fn is_invalid<T: std::fmt::Debug>(r: Result<T, RepoError>, needle: &str) {
    match r {
        Err(RepoError::Invalid(m)) => assert!(m.contains(needle), "{m:?} does not mention {needle:?}"),
        other => panic!("expected Invalid({needle:?}), got {other:?}"),
    }
}

/// Rows per table, every table of the base.
fn counts(path: &Path) -> BTreeMap<String, i64> {
    let conn = rusqlite::Connection::open(path).unwrap();
    let tables: Vec<String> = conn
        // Records, not the search index (derived: tests/search_index.rs).
        .prepare(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'
             AND name NOT LIKE 'customer_search%' AND name <> 'search_index' ORDER BY name",
        )
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    tables
        .into_iter()
        .map(|t| {
            let n: i64 = conn.query_row(&format!("SELECT count(*) FROM \"{t}\""), [], |r| r.get(0)).unwrap();
            (t, n)
        })
        .collect()
}

/// Rows of `customer` per table that has a `customer_id` column.
fn owned(path: &Path, customer: i64) -> BTreeMap<String, i64> {
    let conn = rusqlite::Connection::open(path).unwrap();
    let tables: Vec<String> = conn
        .prepare(
            "SELECT m.name FROM sqlite_master m, pragma_table_info(m.name) p
             WHERE m.type = 'table' AND p.name = 'customer_id' ORDER BY m.name",
        )
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    tables
        .into_iter()
        .map(|t| {
            let n: i64 = conn
                .query_row(&format!("SELECT count(*) FROM \"{t}\" WHERE customer_id = ?1"), [customer], |r| r.get(0))
                .unwrap();
            (t, n)
        })
        .collect()
}

/// A customer's duplicate keys: its own two on its row and its contacts'.
fn key_count(path: &Path, customer: i64) -> i64 {
    let conn = rusqlite::Connection::open(path).unwrap();
    conn.query_row(
        "SELECT (phone_key IS NOT NULL) + (email_key IS NOT NULL)
                + (SELECT count(*) FROM customer_keys WHERE customer_id = ?1)
         FROM customers WHERE id = ?1",
        [customer],
        |r| r.get(0),
    )
    .unwrap()
}

fn ledger_len(repo: &Repo, id: i64) -> usize {
    repo.points_ledger(id, usize::MAX).unwrap().len()
}

// ---------------------------------------------------------------- points

#[test]
fn earning_is_once_per_sale_and_for_vips_only() {
    let (_dir, _path, mut repo) = fresh();
    let (vip, plain, blank) = repo
        .batch(|b| {
            let vip = b.customer(&customer("Vera VIP", |c| c.vip_level = Some("Gold".into())))?;
            let plain = b.customer(&customer("Paul Plain", |_| {}))?;
            let blank = b.customer(&customer("Bea Blank", |c| c.vip_level = Some("  ".into())))?;
            b.transaction(&tx(vip, TxKind::Sale, 12_345, 0))?; // 123.45 → 123 units
            b.transaction(&tx(vip, TxKind::Sale, 1_000, 1))?; // 10.00
            b.transaction(&tx(vip, TxKind::Sale, 99, 2))?; // less than a unit: nothing
            b.transaction(&tx(vip, TxKind::Payment, 50_000, 3))?;
            b.transaction(&tx(vip, TxKind::Refund, 1_000, 4))?;
            b.transaction(&tx(plain, TxKind::Sale, 50_000, 0))?;
            b.transaction(&tx(blank, TxKind::Sale, 50_000, 0))?;
            Ok((vip, plain, blank))
        })
        .unwrap();
    assert_eq!(points_for_sale(Money(12_345), 2), 246);

    assert_eq!(repo.earn_points_for_sales(2).unwrap(), 2);
    assert_eq!(repo.points_balance(vip).unwrap(), 2 * 123 + 2 * 10);
    assert_eq!(repo.points_balance(plain).unwrap(), 0);
    assert_eq!(repo.points_balance(blank).unwrap(), 0);
    let ledger = repo.points_ledger(vip, 10).unwrap();
    assert!(ledger.iter().all(|e| e.kind == PointsKind::Earn && e.transaction_id.is_some() && e.agent == "alice"));

    // Again, and with another rate: nothing new.
    assert_eq!(repo.earn_points_for_sales(2).unwrap(), 0);
    assert_eq!(repo.earn_points_for_sales(5).unwrap(), 0);
    assert_eq!(repo.points_balance(vip).unwrap(), 266);
    assert_eq!(ledger_len(&repo, vip), 2);

    // A new sale earns, once.
    repo.create_transaction(&tx(vip, TxKind::Sale, 700, 9)).unwrap();
    assert_eq!(repo.earn_points_for_sales(2).unwrap(), 1);
    assert_eq!(repo.earn_points_for_sales(2).unwrap(), 0);
    assert_eq!(repo.points_balance(vip).unwrap(), 280);

    // A customer who becomes VIP earns for the sales not yet credited.
    let mut p = repo.customer(plain).unwrap();
    p.vip_level = Some("Silver".into());
    repo.update_customer(&p).unwrap();
    assert_eq!(repo.earn_points_for_sales(1).unwrap(), 1);
    assert_eq!(repo.points_balance(plain).unwrap(), 500);

    // Audited per customer credited.
    let audit = repo.audit_for("customer", vip).unwrap();
    assert_eq!(audit.iter().filter(|a| a.action == "points_earn").count(), 2);
}

#[test]
fn redeeming_beyond_the_balance_is_refused_with_nothing_written() {
    let (_dir, _path, mut repo) = fresh();
    let id = repo.create_customer(&customer("Rita", |_| {})).unwrap();
    assert_eq!(repo.adjust_points(id, 100, "welcome gift").unwrap(), 100);
    let audit_before = repo.audit_for("customer", id).unwrap().len();

    is_invalid(repo.redeem_points(id, 101, "a big one"), "cannot go negative");
    is_invalid(repo.redeem_points(id, 10, "   "), "reason");
    is_invalid(repo.redeem_points(id, 0, "nothing"), "positive");
    is_invalid(repo.redeem_points(id, -5, "backwards"), "positive");
    assert_eq!(repo.points_balance(id).unwrap(), 100);
    assert_eq!(ledger_len(&repo, id), 1);
    assert_eq!(repo.audit_for("customer", id).unwrap().len(), audit_before);

    assert_eq!(repo.redeem_points(id, 60, "voucher").unwrap(), 40);
    assert_eq!(repo.redeem_points(id, 40, "  another voucher ").unwrap(), 0);
    is_invalid(repo.redeem_points(id, 1, "one more"), "cannot go negative");
    let ledger = repo.points_ledger(id, 10).unwrap();
    assert_eq!(ledger[0].delta, -40);
    assert_eq!(ledger[0].kind, PointsKind::Redeem);
    assert_eq!(ledger[0].reason, "another voucher");

    assert!(matches!(repo.redeem_points(9_999, 1, "ghost"), Err(RepoError::NotFound { .. })));
}

#[test]
fn adjusting_down_stops_at_zero() {
    let (_dir, _path, mut repo) = fresh();
    let id = repo.create_customer(&customer("Adam", |_| {})).unwrap();
    is_invalid(repo.adjust_points(id, -1, "oops"), "cannot go negative");
    assert_eq!(repo.adjust_points(id, 10, "goodwill").unwrap(), 10);
    is_invalid(repo.adjust_points(id, -11, "too far"), "cannot go negative");
    is_invalid(repo.adjust_points(id, 0, "nothing"), "zero");
    is_invalid(repo.adjust_points(id, 5, ""), "reason");
    assert_eq!(repo.adjust_points(id, -10, "expired").unwrap(), 0);
    is_invalid(repo.adjust_points(id, -1, "below"), "cannot go negative");
    assert_eq!(repo.points_balance(id).unwrap(), 0);
    assert_eq!(ledger_len(&repo, id), 2);
}

#[test]
fn the_ledger_adds_up_to_the_balance_and_every_change_is_audited() {
    let (_dir, _path, mut repo) = fresh();
    let id = repo.create_customer(&customer("Lea", |c| c.vip_level = Some("Platinum".into()))).unwrap();
    for (i, cents) in [25_000, 3_050, 100].into_iter().enumerate() {
        repo.create_transaction(&tx(id, TxKind::Sale, cents, i as i64)).unwrap();
    }
    repo.earn_points_for_sales(1).unwrap();
    repo.redeem_points(id, 30, "gift card").unwrap();
    repo.adjust_points(id, 7, "survey").unwrap();
    repo.adjust_points(id, -2, "correction").unwrap();
    let ledger = repo.points_ledger(id, 100).unwrap();
    assert_eq!(ledger.len(), 6);
    let sum: i64 = ledger.iter().map(|e| e.delta).sum();
    assert_eq!(sum, repo.points_balance(id).unwrap());
    assert_eq!(sum, 250 + 30 + 1 - 30 + 7 - 2);
    // Newest first.
    assert_eq!(ledger[0].reason, "correction");
    assert_eq!(repo.points_ledger(id, 2).unwrap().len(), 2);

    let actions: Vec<String> = repo.audit_for("customer", id).unwrap().into_iter().map(|a| a.action).collect();
    for a in ["points_earn", "points_redeem", "points_adjust"] {
        assert!(actions.iter().any(|x| x == a), "{a} missing from {actions:?}");
    }
    let redeem = repo.audit_for("customer", id).unwrap().into_iter().find(|a| a.action == "points_redeem").unwrap();
    let changes: serde_json::Value = serde_json::from_str(&redeem.changes).unwrap();
    assert_eq!(changes["points"], -30);
    assert_eq!(changes["reason"], "gift card");
    assert_eq!(changes["balance"], serde_json::json!([281, 251]));
}

// ---------------------------------------------------------------- duplicates

#[test]
fn phones_match_after_folding() {
    assert!(phones_match("15147214711", "5147214711"));
    assert!(phones_match("0612345678", "33612345678"));
    assert!(phones_match("0033612345678", "33612345678"));
    assert!(phones_match("7214711", "7214711"));
    assert!(!phones_match("7214711", "5147214711"), "seven digits only match exactly");
    assert!(!phones_match("33612345678", "44612345678"), "different country codes");
    assert!(!phones_match("5147214712", "5147214711"));
    assert!(!phones_match("123456", "123456"), "too short to count");
}

#[test]
fn duplicates_are_found_by_phone_in_any_format_and_by_email_in_any_case() {
    let (_dir, _path, mut repo) = fresh();
    let ids = repo
        .batch(|b| {
            let id = |name: &str, phone: Option<&str>, email: Option<&str>| {
                b.customer(&customer(name, |c| {
                    c.phone = phone.map(String::from);
                    c.email = email.map(String::from);
                }))
            };
            let zoe = id("Zoë Ångström", Some("+1 (514) 721-4711"), None)?;
            let zoe2 = id("Zoe Angstrom", Some("514.721.4711"), None)?;
            let fr = id("Élodie Martin", Some("06 12 34 56 78"), None)?;
            let fr2 = id("E. Martin", Some("+33 6 12 34 56 78"), None)?;
            let anna = id("Anna Lee", None, Some("Anna.Lee@Example.com"))?;
            let anna2 = id("A. Lee", None, Some(" anna.lee@example.COM "))?;
            let acme = b.customer(&customer("Acme", |c| c.kind = CustomerKind::Enterprise))?;
            b.contact(&contact(acme, "Switchboard", Some("+44 20 7946 0958"), None))?;
            let acme2 = id("ACME UK", Some("020 7946 0958"), None)?;
            let orbit = id("Orbit", None, None)?;
            b.contact(&contact(orbit, "Buyer", None, Some("ÉLODIE@orbit.fr")))?;
            let orbit2 = id("Orbit Ltd", None, Some("élodie@orbit.fr"))?;
            // Look alike, but are not the same.
            let near = id("Near Miss", Some("+1 514 721 4712"), None)?;
            let local = id("Local", Some("721-4711"), None)?;
            let uk = id("Other country", Some("+44 6 12 34 56 79"), None)?;
            let other = id("Other Lee", None, Some("anna.lee@example.org"))?;
            // Its own contact shares its phone: not a duplicate of itself.
            let solo = id("Solo", Some("+49 30 1234567"), None)?;
            b.contact(&contact(solo, "Solo's desk", Some("030 1234567"), None))?;
            Ok([zoe, zoe2, fr, fr2, anna, anna2, acme, acme2, orbit, orbit2, near, local, uk, other, solo])
        })
        .unwrap();
    let [zoe, zoe2, fr, fr2, anna, anna2, acme, acme2, orbit, orbit2, near, local, uk, other, solo] = ids;
    // An archived customer with Zoë's number is not flagged.
    let gone = repo.create_customer(&customer("Archived Zoë", |c| c.phone = Some("5147214711".into()))).unwrap();
    let mut g = repo.customer(gone).unwrap();
    g.status = CustomerStatus::Archived;
    repo.update_customer(&g).unwrap();

    let groups = repo.duplicate_groups().unwrap();
    let members: Vec<Vec<i64>> = groups.iter().map(|g| g.customers.iter().map(|m| m.id).collect()).collect();
    assert_eq!(
        members,
        vec![vec![zoe, zoe2], vec![fr, fr2], vec![anna, anna2], vec![acme, acme2], vec![orbit, orbit2]]
    );
    let shared: Vec<(SharedKind, &str)> =
        groups.iter().map(|g| (g.shared[0].kind, g.shared[0].value.as_str())).collect();
    assert_eq!(
        shared,
        vec![
            (SharedKind::Phone, "5147214711"),
            (SharedKind::Phone, "612345678"),
            (SharedKind::Email, "anna.lee@example.com"),
            (SharedKind::Phone, "2079460958"),
            (SharedKind::Email, "élodie@orbit.fr"),
        ]
    );
    assert_eq!(groups[0].customers[0].name, "Zoë Ångström");
    assert_eq!(groups[0].customers[1].phone.as_deref(), Some("514.721.4711"));

    // The same, one customer at a time (the card's flag).
    assert_eq!(repo.duplicates_of(zoe).unwrap(), vec![zoe2]);
    assert_eq!(repo.duplicates_of(zoe2).unwrap(), vec![zoe]);
    assert_eq!(repo.duplicates_of(fr2).unwrap(), vec![fr]);
    assert_eq!(repo.duplicates_of(anna2).unwrap(), vec![anna]);
    assert_eq!(repo.duplicates_of(acme).unwrap(), vec![acme2]);
    assert_eq!(repo.duplicates_of(orbit2).unwrap(), vec![orbit]);
    for id in [near, local, uk, other, solo, gone] {
        assert_eq!(repo.duplicates_of(id).unwrap(), Vec::<i64>::new(), "#{id}");
    }
}

// ---------------------------------------------------------------- merge

/// Two customers with every kind of record; returns (keep, gone).
fn two_full_customers(repo: &mut Repo, path: &Path) -> (i64, i64) {
    let (keep, gone) = repo
        .batch(|b| {
            let keep = b.customer(&customer("Acme Industries", |c| {
                c.kind = CustomerKind::Enterprise;
                c.phone = Some("+1 (514) 721-4711".into());
                c.owner = Some("alice".into());
            }))?;
            let gone = b.customer(&customer("ACME", |c| {
                c.kind = CustomerKind::Enterprise;
                c.phone = Some("514.721.4711".into());
                c.email = Some("orders@acme.example".into());
                c.city = Some("Montréal".into());
                c.owner = Some("bob".into());
                c.vip_level = Some("Gold".into());
                c.note = Some("Prefers mornings".into());
                c.external_id = Some("CRM-42".into());
            }))?;
            for (who, n) in [(keep, 1), (gone, 2)] {
                for i in 0..n {
                    let name =
                        if who == gone && i == 0 { "Grace Hopper".to_string() } else { format!("Contact {who}-{i}") };
                    b.contact(&contact(who, &name, None, None))?;
                    let call = b.interaction(&call(who, &format!("call {i}")))?;
                    b.transaction(&tx(who, TxKind::Sale, 10_000 * (i + 1), i))?;
                    b.transaction(&tx(who, TxKind::Payment, 5_000, i + 1))?;
                    let deal = b.deal(&NewDeal {
                        customer_id: who,
                        title: format!("Deal {who}-{i}"),
                        amount: Money(100_000),
                        stage: "Lead".into(),
                        probability_pct: None,
                        expected_close: None,
                        competitors: None,
                        owner: None,
                        next_step: None,
                        created_at: t0(),
                    })?;
                    b.move_deal(deal, 1, "Qualified", rapport::domain::model::DealStatus::Open, None, t0())?;
                    b.reminder(&NewReminder {
                        customer_id: who,
                        kind: ReminderKind::Call,
                        due_at: t0() + Duration::days(3),
                        note: "call back".into(),
                        owner: None,
                        recurrence: None,
                        origin: None,
                    })?;
                    b.promise(&NewPromise {
                        customer_id: who,
                        interaction_id: Some(call),
                        text: "send the quote".into(),
                        due_at: t0() + Duration::days(1),
                    })?;
                    b.case(&NewCase {
                        customer_id: who,
                        title: "late delivery".into(),
                        description: None,
                        severity: Severity::Medium,
                        opened_at: t0(),
                        deadline_at: t0() + Duration::days(3),
                    })?;
                }
            }
            Ok((keep, gone))
        })
        .unwrap();
    repo.earn_points_for_sales(1).unwrap();
    repo.adjust_points(gone, 5, "welcome").unwrap();
    repo.adjust_points(keep, 3, "welcome").unwrap();
    // Both in two snapshots, gone's tier changing between them.
    repo.store_snapshot(NaiveDate::from_ymd_opt(2025, 4, 1).unwrap()).unwrap();
    let mut g = repo.customer(gone).unwrap();
    g.tier_pin = Some(rapport::domain::model::Tier::Top);
    repo.update_customer(&g).unwrap();
    repo.store_snapshot(NaiveDate::from_ymd_opt(2025, 5, 1).unwrap()).unwrap();
    let _ = path;
    (keep, gone)
}

#[test]
fn merge_moves_every_record_and_loses_none() {
    let (_dir, path, mut repo) = fresh();
    let (keep, gone) = two_full_customers(&mut repo, &path);
    let before = counts(&path);
    let keep_before = owned(&path, keep);
    let keep_keys_before = key_count(&path, keep);
    let gone_before = owned(&path, gone);
    for table in [
        "contacts",
        "interactions",
        "transactions",
        "deals",
        "reminders",
        "promises",
        "cases",
        "points_ledger",
        "tier_changes",
        "tier_latest",
    ] {
        assert!(gone_before[table] > 0, "gone has no {table}: {gone_before:?}");
    }
    let points_before = repo.points_balance(keep).unwrap() + repo.points_balance(gone).unwrap();
    let keep_version = repo.customer(keep).unwrap().version;
    let contact_version = repo.contacts_of(gone).unwrap()[0].version;

    let report = repo.merge_customers(keep, gone).unwrap();
    // Gone's tier history goes (two changes); keep's stands.
    assert_eq!(gone_before["tier_changes"], 2);
    assert_eq!(report.tier_history_dropped, 2);
    let after = counts(&path);
    for (table, n) in &before {
        let expected = match table.as_str() {
            "tier_changes" => n - 2,
            "tier_latest" => n - 1,
            "audit_log" => n + 2,
            // Money totals (not records): a row per customer with
            // transactions (both have some), so gone's goes with them.
            "customer_money" => n - 1,
            // Duplicate keys (not records) are derived from each customer's
            // own phones and emails, its contacts' included: checked below.
            "customer_keys" => after[table],
            _ => *n,
        };
        assert_eq!(after[table], expected, "rows of {table}");
    }
    let keep_after = owned(&path, keep);
    for (table, n) in owned(&path, gone) {
        if table == "customer_keys" {
            // Keep now has gone's email (its own was empty), so that key
            // too; gone, archived, keeps its own; neither is anyone's
            // duplicate now.
            assert!(key_count(&path, keep) > keep_keys_before, "{keep_after:?}");
            assert_eq!(repo.duplicates_of(keep).unwrap(), Vec::<i64>::new());
            continue;
        }
        assert_eq!(n, 0, "{table} still has rows of gone");
        if table == "customer_money" {
            // Not moved: keep's one row now sums both customers'
            // transactions (tests/money_totals.rs checks the sums).
            assert_eq!(keep_after[&table], 1);
            continue;
        }
        if table == "tier_changes" || table == "tier_latest" {
            assert_eq!(keep_after[&table], keep_before[&table], "{table}");
            assert!(!report.moved.iter().any(|(t, _)| *t == table), "{table} reported as moved");
            continue;
        }
        let dropped = 0;
        assert_eq!(keep_after[&table], keep_before[&table] + gone_before[&table] - dropped, "{table}");
        let moved = report.moved.iter().find(|(t, _)| *t == table).map(|(_, n)| *n as i64);
        assert_eq!(moved, Some(gone_before[&table] - dropped), "reported moves of {table}");
    }
    assert_eq!(repo.points_balance(keep).unwrap(), points_before);
    assert_eq!(repo.points_balance(gone).unwrap(), 0);

    // Gone is archived and says where it went.
    let g = repo.customer(gone).unwrap();
    assert_eq!(g.status, CustomerStatus::Archived);
    assert!(g.note.as_deref().unwrap().starts_with(&format!("merged into #{keep}")), "{:?}", g.note);
    // Keep's empty fields are filled; its own are kept.
    let k = repo.customer(keep).unwrap();
    assert_eq!(k.email.as_deref(), Some("orders@acme.example"));
    assert_eq!(k.city.as_deref(), Some("Montréal"));
    assert_eq!(k.vip_level.as_deref(), Some("Gold"));
    assert_eq!(k.note.as_deref(), Some("Prefers mornings"));
    assert_eq!(k.owner.as_deref(), Some("alice"));
    assert_eq!(k.phone.as_deref(), Some("+1 (514) 721-4711"));
    assert!(k.version > keep_version);
    assert_eq!(report.filled, ["email", "city", "vip_level", "note"]);
    // Moved rows are versioned as changed.
    let moved_contact = repo.contacts_of(keep).unwrap().into_iter().find(|c| c.name == "Grace Hopper").unwrap();
    assert!(moved_contact.version > contact_version);

    // Search finds keep by gone's contact and email, and nobody by gone.
    let hits: Vec<i64> = repo.search_customers("grace hopper", 0, 10).unwrap().into_iter().map(|r| r.id).collect();
    assert_eq!(hits, [keep]);
    let hits: Vec<i64> = repo.search_customers("orders@acme", 0, 10).unwrap().into_iter().map(|r| r.id).collect();
    assert_eq!(hits, [keep]);
    assert!(repo.duplicate_groups().unwrap().is_empty());

    // Audited on both, with the counts.
    let audit = repo.audit_for("customer", keep).unwrap();
    let merge = audit.iter().rev().find(|a| a.action == "merge").expect("merge audited on keep");
    let changes: serde_json::Value = serde_json::from_str(&merge.changes).unwrap();
    assert_eq!(changes["gone"], gone);
    assert_eq!(changes["moved"]["contacts"], 2);
    assert_eq!(changes["moved"]["transactions"], 4);
    assert!(repo.audit_for("customer", gone).unwrap().iter().any(|a| a.action == "merge"));

    // Not again, not into itself, not into an archived one.
    let snapshot = counts(&path);
    is_invalid(repo.merge_customers(keep, gone), "archived");
    is_invalid(repo.merge_customers(gone, keep), "archived");
    is_invalid(repo.merge_customers(keep, keep), "itself");
    assert!(matches!(repo.merge_customers(keep, 9_999), Err(RepoError::NotFound { .. })));
    assert_eq!(counts(&path), snapshot, "a refused merge writes nothing");
}

#[test]
fn merging_customers_without_records_fills_and_archives() {
    let (_dir, path, mut repo) = fresh();
    let keep = repo.create_customer(&customer("Kim", |c| c.email = Some("kim@example.com".into()))).unwrap();
    let gone = repo.create_customer(&customer("KIM", |c| c.email = Some("KIM@example.com".into()))).unwrap();
    let before = counts(&path);
    let r = repo.merge_customers(keep, gone).unwrap();
    assert_eq!(r.total_moved(), 0);
    assert!(r.filled.is_empty());
    assert_eq!(repo.customer(gone).unwrap().note.as_deref(), Some(format!("merged into #{keep}").as_str()));
    assert_eq!(counts(&path)["customers"], before["customers"]);
}

// ---------------------------------------------------------------- the commands

fn rapport(dir: &TempDir) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_rapport"));
    c.env("RAPPORT_CONFIG_DIR", dir.path()).env("TZ", "UTC").env_remove("RAPPORT_DB").env_remove("RAPPORT_CONFIG");
    c
}

fn run_json(dir: &TempDir, db: &Path, args: &[&str]) -> serde_json::Value {
    let out = rapport(dir).args(args).arg("--db").arg(db).output().unwrap();
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

fn fails(dir: &TempDir, db: &Path, args: &[&str], needle: &str) {
    let out = rapport(dir).args(args).arg("--db").arg(db).output().unwrap();
    assert!(!out.status.success(), "{args:?} should fail");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(needle), "{args:?}: {err:?} does not mention {needle:?}");
}

#[test]
fn the_commands_list_duplicates_merge_them_and_keep_points() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.db");
    rapport(&dir).args(["demo", "--customers", "80", "--db"]).arg(&db).assert().success();

    // Make a duplicate of a demo customer with a long phone, written differently.
    let (original, copy) = {
        let mut repo = Repo::open(&db, "tester").unwrap();
        let rows = repo.search_customers("", 0, 200).unwrap();
        let with_phone = rows
            .iter()
            .find(|r| {
                r.phone
                    .as_deref()
                    .is_some_and(|p| rapport::domain::text::phone_digits(p).trim_start_matches('0').len() >= 9)
            })
            .expect("a demo customer with a phone");
        let digits = rapport::domain::text::phone_digits(with_phone.phone.as_deref().unwrap());
        let dotted: String = digits
            .chars()
            .enumerate()
            .flat_map(|(i, c)| if i > 0 && i % 3 == 0 { vec!['.', c] } else { vec![c] })
            .collect();
        let copy = repo
            .create_customer(&customer(&format!("{} (copy)", with_phone.name), |c| c.phone = Some(dotted)))
            .unwrap();
        repo.create_contact(&contact(copy, "Zebedee Quill", None, None)).unwrap();
        (with_phone.id, copy)
    };

    let groups = run_json(&dir, &db, &["duplicates", "--format", "json"]);
    let group = groups
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["customers"].as_array().unwrap().iter().any(|m| m["id"] == copy))
        .expect("the copy is flagged");
    let ids: Vec<i64> = group["customers"].as_array().unwrap().iter().map(|m| m["id"].as_i64().unwrap()).collect();
    assert!(ids.contains(&original), "{group}");
    assert_eq!(group["shared"][0]["kind"], "phone");
    let text = rapport(&dir).args(["duplicates", "--db"]).arg(&db).output().unwrap();
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(text.contains(&format!("#{copy}")) && text.contains("shared phone"), "{text}");

    let out =
        rapport(&dir).args(["merge", &original.to_string(), &copy.to_string(), "--db"]).arg(&db).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains(&format!("merged #{copy} into #{original}")) && text.contains("contacts"), "{text}");
    fails(&dir, &db, &["merge", &original.to_string(), &copy.to_string()], "archived");
    fails(&dir, &db, &["merge", &original.to_string(), &original.to_string()], "itself");
    {
        let repo = Repo::open(&db, "tester").unwrap();
        assert_eq!(repo.customer(copy).unwrap().status, CustomerStatus::Archived);
        let hits: Vec<i64> = repo.search_customers("zebedee", 0, 10).unwrap().into_iter().map(|r| r.id).collect();
        assert_eq!(hits, [original]);
    }

    // Points: earn, then the ledger adds up to the balance.
    let any = original.to_string();
    let j = run_json(&dir, &db, &["points", &any, "--earn", "--format", "json"]);
    assert!(j["earned_entries"].as_u64().unwrap() > 0);
    let vip = {
        let repo = Repo::open(&db, "tester").unwrap();
        repo.search_customers("", 0, 200)
            .unwrap()
            .into_iter()
            .find(|r| repo.points_balance(r.id).unwrap() > 0)
            .expect("a VIP with points in the demo")
            .id
    };
    let id = vip.to_string();
    let j = run_json(&dir, &db, &["points", &id, "--limit", "10000", "--format", "json"]);
    let balance = j["balance"].as_i64().unwrap();
    let sum: i64 = j["ledger"].as_array().unwrap().iter().map(|e| e["delta"].as_i64().unwrap()).sum();
    assert_eq!(sum, balance);
    assert!(j["vip_level"].is_string());
    // Earning again makes nothing.
    let j = run_json(&dir, &db, &["points", &id, "--earn", "--format", "json"]);
    assert_eq!(j["earned_entries"], 0);
    assert_eq!(j["balance"], balance);

    let too_many = (balance + 1).to_string();
    fails(&dir, &db, &["points", &id, "--redeem", &too_many, "--reason", "too much"], "cannot go negative");
    fails(&dir, &db, &["points", &id, "--redeem", "1"], "--reason");
    fails(&dir, &db, &["points", &id, "--redeem", "1", "--reason", " "], "reason");
    let j = run_json(&dir, &db, &["points", &id, "--redeem", "1", "--reason", "voucher", "--format", "json"]);
    assert_eq!(j["balance"], balance - 1);
    assert_eq!(j["ledger"][0]["kind"], "redeem");
    let j = run_json(&dir, &db, &["points", &id, "--adjust", "-2", "--reason", "typo", "--format", "json"]);
    assert_eq!(j["balance"], balance - 3);
    assert_eq!(j["ledger"][0]["delta"], -2);
    let out = rapport(&dir).args(["points", &id, "--db"]).arg(&db).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains(&format!("{} point(s)", balance - 3)) && text.contains("typo"), "{text}");
    fails(&dir, &db, &["points", "99999"], "does not exist");

    // Switched off in the config: nothing changes.
    std::fs::write(dir.path().join("config.toml"), "[points]\nenabled = false\nper_unit = 2\n").unwrap();
    let cfg = dir.path().join("config.toml");
    let out = rapport(&dir)
        .args(["points", &id, "--adjust", "5", "--reason", "x", "--config"])
        .arg(&cfg)
        .arg("--db")
        .arg(&db)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("switched off"));
    std::fs::write(&cfg, "[points]\nper_unit_typo = 2\n").unwrap();
    let out = rapport(&dir).args(["points", &id, "--config"]).arg(&cfg).arg("--db").arg(&db).output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("per_unit_typo"));
}

/// What the full scan (`duplicate_groups`, the `M` view and `rapport
/// duplicates`) says `id` shares a phone or an email with directly.
fn linked_by_scan(repo: &Repo) -> BTreeMap<i64, Vec<i64>> {
    let mut out: BTreeMap<i64, std::collections::BTreeSet<i64>> = BTreeMap::new();
    for g in repo.duplicate_groups().unwrap() {
        for s in &g.shared {
            for id in &s.customer_ids {
                out.entry(*id).or_default().extend(s.customer_ids.iter().filter(|o| *o != id));
            }
        }
    }
    out.into_iter().map(|(k, v)| (k, v.into_iter().collect())).collect()
}

/// Every active customer's card flag (`duplicates_of`, a few index lookups)
/// names exactly the customers the full scan links it with: on a demo base
/// (shared company emails, phones in many formats), after an import, new,
/// edited and archived contacts, an edited and an archived customer, and a
/// merge; and on a bulk-loaded scale base.
#[test]
fn the_card_flag_finds_exactly_the_customers_the_full_scan_links() {
    let check = |repo: &Repo, label: &str| {
        let scan = linked_by_scan(repo);
        let mut ids = Vec::new();
        repo.each_customer(|c| {
            if c.status == rapport::domain::model::CustomerStatus::Active {
                ids.push(c.id);
            }
            Ok::<_, RepoError>(())
        })
        .unwrap();
        let mut flagged = 0;
        for id in ids {
            let want = scan.get(&id).cloned().unwrap_or_default();
            flagged += usize::from(!want.is_empty());
            assert_eq!(repo.duplicates_of(id).unwrap(), want, "{label}: customer {id}");
        }
        assert!(flagged > 0, "{label}: no duplicates at all to check");
    };

    let (dir, path, mut repo) = fresh();
    let today = NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
    rapport::demo::generate(
        &mut repo,
        &rapport::demo::DemoOptions { customers: 300, ..rapport::demo::DemoOptions::new(today) },
    )
    .unwrap();
    check(&repo, "demo");

    // The same base as schema 8 left it (every key in `customer_keys`, no
    // key columns): opening it migrates to the own-key columns with the
    // same keys and the same flags.
    let all_keys = |conn: &rusqlite::Connection| -> Vec<(i64, String)> {
        conn.prepare(
            "SELECT id, phone_key FROM customers WHERE phone_key IS NOT NULL
             UNION SELECT id, email_key FROM customers WHERE email_key IS NOT NULL
             UNION SELECT customer_id, key FROM customer_keys ORDER BY 1, 2",
        )
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
    };
    drop(repo);
    let conn = rusqlite::Connection::open(&path).unwrap();
    let keys_before = all_keys(&conn);
    undo::back_to(&conn, 9);
    conn.execute_batch(
        "INSERT OR IGNORE INTO customer_keys (customer_id, key)
             SELECT id, phone_key FROM customers WHERE phone_key IS NOT NULL
             UNION SELECT id, email_key FROM customers WHERE email_key IS NOT NULL;
         DROP INDEX customers_phone_key; DROP INDEX customers_email_key;
         ALTER TABLE customers DROP COLUMN phone_key; ALTER TABLE customers DROP COLUMN email_key;
         DROP INDEX customers_band; CREATE INDEX customers_tier ON customers (tier, contribution);
         DROP INDEX customers_lifecycle; CREATE INDEX customers_lifecycle ON customers (lifecycle);
         PRAGMA user_version = 8;",
    )
    .unwrap();
    drop(conn);
    let repo = Repo::open(&path, "alice").unwrap();
    let conn = rusqlite::Connection::open(&path).unwrap();
    assert_eq!(all_keys(&conn), keys_before);
    let own_in_table: i64 = conn
        .query_row(
            "SELECT count(*) FROM customer_keys k JOIN customers c ON c.id = k.customer_id
             WHERE k.key IN (c.phone_key, c.email_key)",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(own_in_table, 0, "own keys left in customer_keys after the migration");
    check(&repo, "demo migrated from schema 8");
    let mut repo = repo;

    // An import: one new customer with a demo customer's phone in another
    // format, one with a demo customer's email in capitals.
    let (a, b) = {
        let all = repo.search_customers("", 0, 300).unwrap();
        let a = all
            .iter()
            .find(|c| c.phone.as_deref().is_some_and(|p| p.chars().filter(char::is_ascii_digit).count() >= 9))
            .unwrap()
            .clone();
        let b = all.iter().find(|c| c.email.is_some() && c.id != a.id).unwrap().clone();
        (a, b)
    };
    let digits: String = a.phone.as_deref().unwrap().chars().filter(char::is_ascii_digit).collect();
    let csv = dir.path().join("more.csv");
    std::fs::write(
        &csv,
        format!(
            "external_id,name,phone,email\nX-1,Phone Twin,{}.{},\nX-2,Mail Twin,,{}\n",
            &digits[..3],
            &digits[3..],
            b.email.as_deref().unwrap().to_uppercase()
        ),
    )
    .unwrap();
    rapport(&dir).arg("--db").arg(&path).args(["import", "customers"]).arg(&csv).assert().success();
    let twin = repo.search_customers("Phone Twin", 0, 1).unwrap()[0].id;
    assert!(repo.duplicates_of(twin).unwrap().contains(&a.id));
    let mail_twin = repo.search_customers("Mail Twin", 0, 1).unwrap()[0].id;
    assert!(repo.duplicates_of(mail_twin).unwrap().contains(&b.id));
    check(&repo, "after the import");

    // Contacts: one sharing a phone, edited to share an email instead, one
    // archived; a customer's email changed; a customer archived; a merge.
    let k = repo
        .create_contact(&contact(twin, "Desk", Some(b.phone.as_deref().unwrap_or("+44 20 7946 0000")), None))
        .unwrap();
    check(&repo, "a new contact");
    let mut kc = repo.contact(k).unwrap();
    kc.phone = None;
    kc.email = Some(format!("  {}", b.email.as_deref().unwrap()));
    repo.update_contact(&kc).unwrap();
    check(&repo, "an edited contact");
    let mut kc = repo.contact(k).unwrap();
    kc.archived = true;
    repo.update_contact(&kc).unwrap();
    check(&repo, "an archived contact");
    let mut c = repo.customer(mail_twin).unwrap();
    c.email = Some("nobody-else@example.org".into());
    repo.update_customer(&c).unwrap();
    assert!(repo.duplicates_of(mail_twin).unwrap().is_empty());
    check(&repo, "an edited customer");
    let mut c = repo.customer(a.id).unwrap();
    c.status = rapport::domain::model::CustomerStatus::Archived;
    repo.update_customer(&c).unwrap();
    assert!(repo.duplicates_of(twin).unwrap().iter().all(|id| *id != a.id));
    check(&repo, "an archived customer");
    let (keep, gone) = linked_by_scan(&repo).into_iter().map(|(id, others)| (id, others[0])).next().unwrap();
    repo.merge_customers(keep, gone).unwrap();
    check(&repo, "a merge");

    // A bulk-loaded base.
    let scale = dir.path().join("scale.db");
    let mut big = Repo::open(&scale, "demo").unwrap();
    rapport::demo::scale::generate(
        &mut big,
        &rapport::demo::scale::ScaleOptions::new(2_000, today),
        &rapport::config::Config::default(),
    )
    .unwrap();
    check(&big, "scale");
}
