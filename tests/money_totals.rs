//! Each customer's money totals (`customer_money`, migration 6), kept by
//! triggers on `transactions`: they must equal the plain sums of the
//! transactions after every way the app writes them (inserts, a merge, an
//! import, a bulk load) and after any edit or delete made in SQL; and the
//! card's header, its ageing and the credit rule, now read from them, must
//! give what the old sums over every transaction gave.

use std::collections::BTreeMap;
use std::path::Path;

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use rapport::domain::ageing::ageing;
use rapport::domain::model::{CustomerKind, NewCustomer, NewTransaction, TxKind};
use rapport::domain::money::Money;
use rapport::repo::Repo;
use rapport::repo::bulk::BulkCustomer;
use rapport::repo::import::{CustomerRef, Finish, TransactionRecord};
use rusqlite::Connection;

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 6, 1, 12, 0, 0).unwrap()
}

fn tx(customer_id: i64, kind: TxKind, cents: i64, days_ago: i64, external_id: Option<&str>) -> NewTransaction {
    NewTransaction {
        customer_id,
        external_id: external_id.map(String::from),
        kind,
        amount: Money(cents),
        occurred_at: t0() - Duration::days(days_ago),
        reference: None,
    }
}

/// A second connection to the base, for the edits the app has no command
/// for and for reading the table itself.
fn raw(path: &Path) -> Connection {
    let c = Connection::open(path).unwrap();
    c.busy_timeout(std::time::Duration::from_secs(5)).unwrap();
    c
}

/// (entries, sales, positive sales, refunds + discounts, their absolute
/// values, payments + write-offs in absolute value) per customer.
type Totals = BTreeMap<i64, [i64; 6]>;

/// What the triggers kept (a row for each customer with transactions, and
/// none for the others).
fn kept(c: &Connection) -> Totals {
    let mut st = c
        .prepare("SELECT customer_id, entries, sales, sales_in, credits, credits_abs, settled FROM customer_money")
        .unwrap();
    let mut out = Totals::new();
    let rows = st
        .query_map([], |r| {
            Ok((r.get::<_, i64>(0)?, [r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?]))
        })
        .unwrap();
    for row in rows {
        let (id, t) = row.unwrap();
        assert!(t[0] > 0, "customer {id} has no transaction left, but a row: {t:?}");
        out.insert(id, t);
    }
    out
}

/// The same, summed here from every transaction.
fn summed(c: &Connection) -> Totals {
    let mut st = c.prepare("SELECT customer_id, kind, amount FROM transactions").unwrap();
    let mut out = Totals::new();
    let rows = st.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?, r.get::<_, i64>(2)?))).unwrap();
    for row in rows {
        let (id, kind, amount) = row.unwrap();
        let t = out.entry(id).or_default();
        t[0] += 1;
        match kind.as_str() {
            "sale" => {
                t[1] += amount;
                t[2] += amount.max(0);
            }
            "refund" | "discount" => {
                t[3] += amount;
                t[4] += amount.abs();
            }
            "payment" | "write_off" => t[5] += amount.abs(),
            _ => {}
        }
    }
    out
}

/// The kept totals equal the sums, and the card's header says so for every
/// customer.
fn check(repo: &Repo, c: &Connection, when: &str) {
    let sums = summed(c);
    assert_eq!(kept(c), sums, "{when}");
    let ids: Vec<i64> = c
        .prepare("SELECT id FROM customers")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    for id in ids {
        let t = sums.get(&id).copied().unwrap_or_default();
        let invoiced = t[1] + t[3];
        assert_eq!(
            repo.balance_of(id).unwrap(),
            (Money(invoiced), Money(t[5]), Money(invoiced - t[5])),
            "{when}: customer {id}"
        );
    }
}

fn customer(name: &str, external_id: &str) -> NewCustomer {
    NewCustomer { external_id: Some(external_id.into()), ..NewCustomer::named(CustomerKind::Individual, name) }
}

#[test]
fn the_totals_follow_inserts_edits_deletes_a_merge_and_an_import() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("money.db");
    let mut repo = Repo::open(&path, "alice").unwrap();
    let c = raw(&path);
    check(&repo, &c, "empty");

    // Inserts, every kind, through the normal path.
    let ids = repo
        .batch(|b| {
            let mut ids = Vec::new();
            for (i, name) in ["Ada", "Bo", "Cy", "Di", "Ed"].iter().enumerate() {
                ids.push(b.customer(&customer(name, &format!("C{i}")))?);
            }
            let kinds = [
                TxKind::Sale,
                TxKind::Refund,
                TxKind::ServiceCost,
                TxKind::Discount,
                TxKind::WriteOff,
                TxKind::Payment,
            ];
            for (n, &id) in ids[..4].iter().enumerate() {
                for k in 0..30i64 {
                    let kind = kinds[(k as usize + n) % kinds.len()];
                    let x = format!("T{n}-{k}");
                    b.transaction(&tx(
                        id,
                        kind,
                        1_000 + 137 * k + n as i64,
                        200 - k,
                        (k % 3 == 0).then_some(x.as_str()),
                    ))?;
                }
            }
            Ok(ids)
        })
        .unwrap();
    repo.create_transaction(&tx(ids[4], TxKind::Sale, 50_000, 10, None)).unwrap();
    check(&repo, &c, "after the inserts");
    assert_ne!(repo.balance_of(ids[0]).unwrap(), (Money(0), Money(0), Money(0)));

    // Edits in SQL: the amount, the kind, the customer, several at once,
    // a column the totals do not read, odd signs; then deletes.
    let edit = |sql: &str| {
        let n = c.execute(sql, []).unwrap();
        assert!(n > 0, "{sql}");
    };
    let (a, b_, cy, di, ed) = (ids[0], ids[1], ids[2], ids[3], ids[4]);
    edit(&format!("UPDATE transactions SET amount = amount * 3 WHERE customer_id = {a} AND kind = 'sale'"));
    edit(&format!(
        "UPDATE transactions SET kind = 'refund', amount = -amount WHERE id = (SELECT min(id) FROM transactions
         WHERE customer_id = {b_} AND kind = 'sale')"
    ));
    edit(&format!(
        "UPDATE transactions SET kind = 'write_off', amount = -amount WHERE customer_id = {cy} AND kind = 'payment'"
    ));
    edit(&format!("UPDATE transactions SET kind = 'sale' WHERE customer_id = {di} AND kind = 'service_cost'"));
    edit(&format!("UPDATE transactions SET customer_id = {ed} WHERE customer_id = {a} AND kind = 'discount'"));
    edit(&format!(
        "UPDATE transactions SET customer_id = {di}, kind = 'payment', amount = 777 WHERE id = (SELECT max(id) FROM
         transactions WHERE customer_id = {cy} AND kind = 'sale')"
    ));
    edit(&format!("UPDATE transactions SET note = 'seen', reference = 'R' WHERE customer_id = {b_}"));
    edit(&format!("UPDATE transactions SET amount = -amount WHERE customer_id = {ed} AND kind = 'sale'"));
    edit(&format!("UPDATE transactions SET amount = amount WHERE customer_id = {cy}"));
    check(&repo, &c, "after the edits");
    edit(&format!("DELETE FROM transactions WHERE customer_id = {a} AND kind = 'refund'"));
    edit(&format!("DELETE FROM transactions WHERE id = (SELECT max(id) FROM transactions WHERE customer_id = {b_})"));
    edit(&format!("DELETE FROM transactions WHERE customer_id = {ed}"));
    check(&repo, &c, "after the deletes");
    assert_eq!(repo.balance_of(ed).unwrap(), (Money(0), Money(0), Money(0)));

    // A merge moves the money with the transactions.
    let before_a = repo.balance_of(a).unwrap();
    let before_b = repo.balance_of(b_).unwrap();
    let report = repo.merge_customers(b_, a).unwrap();
    assert!(report.moved.iter().any(|(t, n)| t == "transactions" && *n > 0), "{report:?}");
    assert!(!report.moved.iter().any(|(t, _)| t == "customer_money"), "{report:?}");
    check(&repo, &c, "after the merge");
    assert_eq!(repo.balance_of(a).unwrap(), (Money(0), Money(0), Money(0)));
    let after_b = repo.balance_of(b_).unwrap();
    assert_eq!(after_b.0.0, before_a.0.0 + before_b.0.0);
    assert_eq!(after_b.1.0, before_a.1.0 + before_b.1.0);

    // An import adds transactions and changes existing ones (matched by
    // external id): another customer, kind and amount.
    let record = |x: Option<&str>, who: &str, kind, cents, days| TransactionRecord {
        external_id: x.map(String::from),
        customer: CustomerRef::External(who.into()),
        kind,
        amount: Money(cents),
        occurred_at: t0() - Duration::days(days),
        reference: None,
        note: None,
    };
    let records = [
        record(Some("NEW-1"), "C2", TxKind::Sale, 12_345, 3),
        record(None, "C3", TxKind::Payment, 2_000, 2),
        record(Some("T2-0"), "C3", TxKind::Discount, -99, 1),
        record(Some("T3-3"), "C3", TxKind::Sale, 4_321, 1),
        record(Some("T1-6"), "C4", TxKind::Refund, -10, 1),
    ];
    repo.import(|imp| {
        for r in &records {
            imp.transaction(r)?.expect("a known customer");
        }
        Ok(((), Finish::Commit(serde_json::json!({"what": "test"}))))
    })
    .unwrap();
    check(&repo, &c, "after the import");
    // The triggers are back after it.
    repo.create_transaction(&tx(cy, TxKind::Payment, 321, 0, None)).unwrap();
    edit(&format!("UPDATE transactions SET customer_id = {ed} WHERE id = (SELECT max(id) FROM transactions)"));
    check(&repo, &c, "after writes following the import");
    // An import rolled back leaves the totals as they were.
    let before = kept(&c);
    repo.import(|imp| {
        imp.transaction(&record(Some("NEW-2"), "C2", TxKind::Sale, 1, 0))?.unwrap();
        imp.transaction(&record(Some("NEW-1"), "C4", TxKind::Sale, 1, 0))?.unwrap();
        Ok(((), Finish::Rollback))
    })
    .unwrap();
    assert_eq!(kept(&c), before);
    check(&repo, &c, "after a rolled back import");
    repo.create_transaction(&tx(di, TxKind::Refund, 55, 0, None)).unwrap();
    edit(&format!("DELETE FROM transactions WHERE id = (SELECT min(id) FROM transactions WHERE customer_id = {di})"));
    check(&repo, &c, "after writes following a rolled back import");
}

#[test]
fn a_bulk_load_fills_the_totals() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bulk.db");
    let mut repo = Repo::open(&path, "alice").unwrap();
    let c = raw(&path);
    let kinds =
        [TxKind::Sale, TxKind::Payment, TxKind::Refund, TxKind::Discount, TxKind::WriteOff, TxKind::ServiceCost];
    let ((), counts) = repo
        .bulk_load(serde_json::json!({}), |b| {
            for id in 1..=40i64 {
                b.customer(&BulkCustomer {
                    id,
                    external_id: &format!("B{id}"),
                    kind: CustomerKind::Household,
                    name: &format!("Bulk {id}"),
                    company: None,
                    email: None,
                    phone: None,
                    city: "Lyon",
                    country: "FR",
                    owner: "alice",
                    vip_level: None,
                    credit_limit: None,
                    created_at: t0(),
                })?;
            }
            // Not in customer order, and one customer without any.
            for k in 0..2_000i64 {
                let id = 1 + (k * 7) % 39;
                b.transaction(id, kinds[(k % 6) as usize], Money(100 + k), t0() - Duration::hours(k))?;
            }
            Ok(())
        })
        .unwrap();
    assert_eq!(counts.transactions, 2_000);
    check(&repo, &c, "after the bulk load");
    assert_eq!(kept(&c).len(), 39);
    // The triggers are back: the next writes are counted too.
    repo.create_transaction(&tx(40, TxKind::Sale, 5_000, 0, None)).unwrap();
    c.execute("UPDATE transactions SET customer_id = 40 WHERE customer_id = 1", []).unwrap();
    c.execute("DELETE FROM transactions WHERE customer_id = 2", []).unwrap();
    check(&repo, &c, "after writes following the bulk load");

    // A load that fails leaves no totals behind.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("failed.db");
    let mut repo = Repo::open(&path, "alice").unwrap();
    let failed = repo.bulk_load(serde_json::json!({}), |b| {
        b.customer(&BulkCustomer {
            id: 1,
            external_id: "F1",
            kind: CustomerKind::Individual,
            name: "Fails",
            company: None,
            email: None,
            phone: None,
            city: "Lyon",
            country: "FR",
            owner: "alice",
            vip_level: None,
            credit_limit: None,
            created_at: t0(),
        })?;
        b.transaction(1, TxKind::Sale, Money(10), t0())?;
        b.transaction(1, TxKind::Sale, Money(-1), t0())
    });
    assert!(failed.is_err());
    let c = raw(&path);
    assert!(kept(&c).is_empty());
    check(&repo, &c, "after a failed bulk load");
    let id = repo.batch(|b| b.customer(&customer("After", "A1"))).unwrap();
    repo.create_transaction(&tx(id, TxKind::Sale, 10, 0, None)).unwrap();
    check(&repo, &c, "the triggers after a failed bulk load");
}

/// The header's invoiced / paid / outstanding as it was computed before
/// migration 6: summed over every transaction.
fn old_balance(c: &Connection, id: i64) -> (Money, Money, Money) {
    let (inv, paid): (i64, i64) = c
        .query_row(
            "SELECT coalesce(sum(CASE WHEN kind = 'sale' THEN amount END), 0) +
                    coalesce(sum(CASE WHEN kind IN ('refund', 'discount') THEN amount END), 0),
                    coalesce(sum(CASE WHEN kind IN ('payment', 'write_off') THEN abs(amount) END), 0)
             FROM transactions WHERE customer_id = ?1",
            [id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    (Money(inv), Money(paid), Money(inv - paid))
}

/// Ageing as it was computed before: every invoice, and everything that
/// settles them summed.
fn old_ageing(c: &Connection, id: i64, today: NaiveDate) -> rapport::domain::ageing::Ageing {
    let settled: i64 = c
        .query_row(
            "SELECT coalesce(sum(CASE WHEN kind IN ('payment', 'write_off', 'refund', 'discount') THEN abs(amount) END), 0)
             FROM transactions WHERE customer_id = ?1",
            [id],
            |r| r.get(0),
        )
        .unwrap();
    let mut st =
        c.prepare("SELECT occurred_at, amount FROM transactions WHERE customer_id = ?1 AND kind = 'sale'").unwrap();
    let invoices: Vec<(NaiveDate, Money)> = st
        .query_map([id], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?)))
        .unwrap()
        .map(|r| {
            let (at, amount) = r.unwrap();
            (DateTime::from_timestamp(at, 0).unwrap().date_naive(), Money(amount))
        })
        .collect();
    ageing(&invoices, Money(settled), today)
}

/// The credit rule's customers over their limit, as computed before.
fn old_over_limit(c: &Connection) -> Vec<(i64, Money, Money)> {
    let mut st = c
        .prepare(
            "SELECT c.id, coalesce(sum(CASE WHEN t.kind IN ('sale', 'refund', 'discount') THEN t.amount END), 0)
                        - coalesce(sum(CASE WHEN t.kind IN ('payment', 'write_off') THEN abs(t.amount) END), 0),
                    c.credit_limit
             FROM customers c JOIN transactions t ON t.customer_id = c.id
             WHERE c.credit_limit IS NOT NULL AND c.status = 'active'
             GROUP BY c.id",
        )
        .unwrap();
    st.query_map([], |r| Ok((r.get(0)?, Money(r.get(1)?), Money(r.get(2)?))))
        .unwrap()
        .map(Result::unwrap)
        .filter(|(_, out, limit)| out > limit)
        .collect()
}

#[test]
fn the_header_ageing_and_credit_rule_equal_the_old_sums_on_a_varied_base() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("demo.db");
    let mut repo = Repo::open(&path, "alice").unwrap();
    let today = NaiveDate::from_ymd_opt(2025, 11, 25).unwrap();
    rapport::demo::generate(
        &mut repo,
        &rapport::demo::DemoOptions { customers: 200, ..rapport::demo::DemoOptions::new(today) },
    )
    .unwrap();
    let c = raw(&path);
    // Odd rows the app would not write but the sums must still agree on:
    // a negative sale, a positive refund, a negative payment; and credit
    // limits, some under what is owed, one negative.
    c.execute_batch(
        "UPDATE transactions SET amount = -amount WHERE id IN (SELECT id FROM transactions WHERE kind = 'sale' LIMIT 3);
         UPDATE transactions SET amount = abs(amount) WHERE id IN (SELECT id FROM transactions WHERE kind = 'refund' LIMIT 3);
         UPDATE transactions SET amount = -amount WHERE id IN (SELECT id FROM transactions WHERE kind = 'payment' LIMIT 3);
         UPDATE customers SET credit_limit = (id % 7) * 50000 WHERE id % 3 = 0;
         UPDATE customers SET credit_limit = -1 WHERE id = 5;",
    )
    .unwrap();
    check(&repo, &c, "the demo base");
    let ids: Vec<i64> = c
        .prepare("SELECT id FROM customers")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let (mut owing, mut partly_read, mut spread) = (0, 0, 0);
    for &id in &ids {
        assert_eq!(repo.balance_of(id).unwrap(), old_balance(&c, id), "customer {id}");
        let (open, part) = repo.receivables_of(id).unwrap();
        let expected = old_ageing(&c, id, today);
        assert_eq!(ageing(&open, part, today), expected, "customer {id}");
        // Read by bucket sums, on days that move invoices between buckets.
        for day in [today, today - Duration::days(17), today + Duration::days(45), today + Duration::days(400)] {
            let a = repo.ageing_of(id, day).unwrap();
            assert_eq!(a, old_ageing(&c, id, day), "customer {id} on {day}");
            if a.buckets.iter().filter(|b| b.0 > 0).count() > 1 {
                spread += 1;
            }
        }
        if expected.total().0 > 0 {
            owing += 1;
            let invoices: i64 = c
                .query_row("SELECT count(*) FROM transactions WHERE customer_id = ?1 AND kind = 'sale'", [id], |r| {
                    r.get(0)
                })
                .unwrap();
            if (open.len() as i64) < invoices {
                partly_read += 1;
            }
        }
    }
    assert!(owing > 10, "the base should have customers who owe: {owing}");
    assert!(spread > 0, "some customers should owe in several age buckets");
    assert!(partly_read > 0, "ageing should read only the newest invoices of some: {partly_read}");
    let over = repo.rule_inputs(t0(), 14).unwrap().over_limit;
    assert!(!over.is_empty());
    assert_eq!(over, old_over_limit(&c));
    // The same after a merge of two customers who both have money.
    let pair: Vec<i64> = c
        .prepare(
            "SELECT customer_id FROM customer_money WHERE entries > 5 AND customer_id IN
                  (SELECT id FROM customers WHERE status = 'active') ORDER BY customer_id LIMIT 2",
        )
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    repo.merge_customers(pair[0], pair[1]).unwrap();
    for id in pair {
        assert_eq!(repo.balance_of(id).unwrap(), old_balance(&c, id), "customer {id}");
        let (open, part) = repo.receivables_of(id).unwrap();
        assert_eq!(ageing(&open, part, today), old_ageing(&c, id, today), "customer {id}");
        assert_eq!(repo.ageing_of(id, today).unwrap(), old_ageing(&c, id, today), "customer {id}");
    }
    assert_eq!(repo.rule_inputs(t0(), 14).unwrap().over_limit, old_over_limit(&c));
    check(&repo, &c, "after a merge in the demo base");
}
