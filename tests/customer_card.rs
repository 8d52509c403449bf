//! The customer's whole record: the merged timeline (every kind of event,
//! newest first, paged with a cursor so nothing is lost or repeated), and
//! contacts edited, archived and restored with audit and conflict checks.

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use rapport::domain::model::{
    Channel, CustomerKind, DealStatus, Direction, NewCase, NewContact, NewCustomer, NewDeal, NewInteraction,
    NewPromise, NewReminder, NewTransaction, Outcome, ReminderKind, Severity, TxKind,
};
use rapport::domain::money::Money;
use rapport::repo::timeline::{Cursor, Event};
use rapport::repo::{Repo, RepoError};

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 6, 1, 12, 0, 0).unwrap()
}

fn fresh() -> (tempfile::TempDir, Repo) {
    let dir = tempfile::tempdir().unwrap();
    let repo = Repo::open(&dir.path().join("card.db"), "alice").unwrap();
    (dir, repo)
}

fn call(customer_id: i64, summary: &str, at: DateTime<Utc>) -> NewInteraction {
    NewInteraction {
        customer_id,
        channel: Channel::Call,
        direction: Direction::Inbound,
        summary: summary.into(),
        outcome: Outcome::Resolved,
        occurred_at: at,
        duration_secs: None,
    }
}

fn sale(customer_id: i64, cents: i64, at: DateTime<Utc>) -> NewTransaction {
    NewTransaction {
        customer_id,
        external_id: None,
        kind: TxKind::Sale,
        amount: Money(cents),
        occurred_at: at,
        reference: None,
    }
}

#[test]
fn the_timeline_merges_every_kind_newest_first() {
    let (_dir, mut repo) = fresh();
    let (id, other) = repo
        .batch(|b| {
            let id = b.customer(&NewCustomer::named(CustomerKind::Individual, "Zoë Ångström"))?;
            let other = b.customer(&NewCustomer::named(CustomerKind::Individual, "Someone Else"))?;
            b.interaction(&call(id, "first call", t0()))?;
            b.interaction(&call(other, "not hers", t0() + Duration::hours(1)))?;
            b.transaction(&sale(id, 12_000, t0() + Duration::days(1)))?;
            let deal = b.deal(&NewDeal {
                customer_id: id,
                title: "Studio upgrade".into(),
                amount: Money(150_000),
                stage: "Lead".into(),
                probability_pct: None,
                expected_close: None,
                competitors: None,
                owner: Some("alice".into()),
                next_step: None,
                created_at: t0() + Duration::days(2),
            })?;
            b.move_deal(deal, 1, "Qualified", DealStatus::Open, None, t0() + Duration::days(3))?;
            b.move_deal(deal, 2, "Won", DealStatus::Won, Some("Best fit"), t0() + Duration::days(4))?;
            let case = b.case(&NewCase {
                customer_id: id,
                title: "Late parcel".into(),
                description: None,
                severity: Severity::High,
                opened_at: t0() + Duration::days(5),
                deadline_at: t0() + Duration::days(8),
            })?;
            let at = |d| Some(t0() + Duration::days(d));
            b.case_progress(case, [at(5), at(5), at(6), None], None, Some((t0() + Duration::days(7), 4)))?;
            b.reminder(&NewReminder {
                customer_id: id,
                kind: ReminderKind::Call,
                due_at: t0() + Duration::days(9),
                note: "call back".into(),
                owner: None,
                recurrence: None,
                origin: None,
            })?;
            Ok((id, other))
        })
        .unwrap();
    repo.create_promise(&NewPromise { customer_id: id, interaction_id: None, text: "refund".into(), due_at: t0() })
        .unwrap();
    let all = repo.timeline(id, Cursor::START, 100).unwrap();
    assert!(all.windows(2).all(|w| w[0].at >= w[1].at), "newest first");
    let kinds: Vec<&str> = all
        .iter()
        .map(|e| match &e.event {
            Event::Interaction { .. } => "interaction",
            Event::Transaction { .. } => "transaction",
            Event::DealMove { from: None, .. } => "deal created",
            Event::DealMove { to, .. } if to == "Won" => "deal won",
            Event::DealMove { .. } => "deal moved",
            Event::CaseOpened { .. } => "case opened",
            Event::CaseClosed { .. } => "case closed",
            Event::Reminder { .. } => "reminder",
            Event::Promise { .. } => "promise",
        })
        .collect();
    // The promise was made now (the wall clock): newest of all.
    assert_eq!(
        kinds,
        [
            "promise",
            "reminder",
            "case closed",
            "case opened",
            "deal won",
            "deal moved",
            "deal created",
            "transaction",
            "interaction"
        ]
    );
    match &all[4].event {
        Event::DealMove { title, from, to, reason, .. } => {
            assert_eq!(
                (title.as_str(), from.as_deref(), to.as_str(), reason.as_deref()),
                ("Studio upgrade", Some("Qualified"), "Won", Some("Best fit"))
            );
        }
        e => panic!("{e:?}"),
    }
    assert!(matches!(all[2].event, Event::CaseClosed { satisfaction: Some(4), .. }));
    assert_eq!(repo.timeline(other, Cursor::START, 100).unwrap().len(), 1, "only the customer's own story");
}

#[test]
fn paging_the_timeline_loses_and_repeats_nothing() {
    let (_dir, mut repo) = fresh();
    // 2,500 entries, many at the very same instant across two sources.
    let id = repo
        .batch(|b| {
            let id = b.customer(&NewCustomer::named(CustomerKind::Enterprise, "Long Story AG"))?;
            for i in 0..1_500 {
                b.interaction(&call(id, &format!("call {i}"), t0() + Duration::hours(i / 3)))?;
            }
            for i in 0..1_000 {
                b.transaction(&sale(id, 100 + i, t0() + Duration::hours(i / 2)))?;
            }
            Ok(id)
        })
        .unwrap();
    let mut seen = Vec::new();
    let mut after = Cursor::START;
    loop {
        let page = repo.timeline(id, after, 97).unwrap();
        if page.is_empty() {
            break;
        }
        after = page.last().unwrap().cursor;
        seen.extend(page);
    }
    assert_eq!(seen.len(), 2_500);
    assert!(seen.windows(2).all(|w| w[0].at >= w[1].at));
    let mut calls: Vec<String> = seen
        .iter()
        .filter_map(|e| match &e.event {
            Event::Interaction { summary, .. } => Some(summary.clone()),
            _ => None,
        })
        .collect();
    calls.sort();
    calls.dedup();
    assert_eq!(calls.len(), 1_500, "every call once");
    let total: i64 = seen
        .iter()
        .filter_map(|e| match &e.event {
            Event::Transaction { amount, .. } => Some(amount.0),
            _ => None,
        })
        .sum();
    assert_eq!(total, (0..1_000).map(|i| 100 + i).sum::<i64>(), "every sale once");

    // From the end upwards (the End key), page by page: the same entries.
    let mut pages = Vec::new();
    let mut before = Cursor::END;
    loop {
        let page = repo.timeline_newer(id, before, 89).unwrap();
        if page.is_empty() {
            break;
        }
        assert!(page.windows(2).all(|w| w[0].at >= w[1].at), "each page newest first");
        before = page.first().unwrap().cursor;
        pages.push(page);
    }
    let from_end: Vec<Cursor> = pages.into_iter().rev().flatten().map(|e| e.cursor).collect();
    assert_eq!(from_end, seen.iter().map(|e| e.cursor).collect::<Vec<_>>());
}

#[test]
fn contacts_are_edited_archived_and_restored_with_audit_and_conflicts() {
    let (_dir, mut repo) = fresh();
    let id = repo.create_customer(&NewCustomer::named(CustomerKind::Enterprise, "Nordwind Logistik")).unwrap();
    let k = repo
        .create_contact(&NewContact {
            customer_id: id,
            name: "Jürgen Weiß".into(),
            role: Some("Buyer".into()),
            email: None,
            phone: Some("+49 40 1234567".into()),
            birthday: None,
        })
        .unwrap();
    let mut c = repo.contact(k).unwrap();
    c.phone = Some("+49 40 7654321".into());
    c.birthday = NaiveDate::from_ymd_opt(1970, 3, 9);
    let v = repo.update_contact(&c).unwrap();
    // The search follows the contact's new phone.
    assert_eq!(repo.search_customers("7654321", 0, 5).unwrap().len(), 1);
    assert!(repo.search_customers("1234567", 0, 5).unwrap().is_empty());
    // A save from the old version is refused; nothing written.
    let mut stale = c.clone();
    stale.role = Some("CEO".into());
    assert!(matches!(repo.update_contact(&stale), Err(RepoError::Conflict { .. })));
    assert_eq!(repo.contact(k).unwrap().role.as_deref(), Some("Buyer"));
    // Archive: hidden from the overview, still there; then restored.
    let mut now = repo.contact(k).unwrap();
    assert_eq!(now.version, v);
    now.archived = true;
    repo.update_contact(&now).unwrap();
    assert!(repo.contacts_of(id).unwrap().is_empty());
    assert_eq!(repo.all_contacts_of(id).unwrap().len(), 1);
    let mut back = repo.contact(k).unwrap();
    back.archived = false;
    repo.update_contact(&back).unwrap();
    assert_eq!(repo.contacts_of(id).unwrap().len(), 1);
    let actions: Vec<String> = repo.audit_for("contact", k).unwrap().into_iter().map(|e| e.action).collect();
    assert_eq!(actions, ["create", "update", "archive", "restore"]);
    let update = &repo.audit_for("contact", k).unwrap()[1];
    let changes: serde_json::Value = serde_json::from_str(&update.changes).unwrap();
    assert_eq!(changes["phone"], serde_json::json!(["+49 40 1234567", "+49 40 7654321"]));
    assert_eq!(changes["birthday"], serde_json::json!([null, "1970-03-09"]));
    let mut empty = repo.contact(k).unwrap();
    empty.name = "  ".into();
    assert!(matches!(repo.update_contact(&empty), Err(RepoError::Invalid(_))));
}

#[test]
fn ageing_from_the_newest_invoices_equals_ageing_from_all_of_them() {
    use rapport::domain::ageing::ageing;
    let (_dir, mut repo) = fresh();
    let today = NaiveDate::from_ymd_opt(2025, 12, 31).unwrap();
    let tx = |id, kind, cents: i64, days_ago: i64| NewTransaction {
        customer_id: id,
        external_id: None,
        kind,
        amount: Money(cents),
        occurred_at: today.and_hms_opt(12, 0, 0).unwrap().and_utc() - Duration::days(days_ago),
        reference: None,
    };
    // Three customers: partly paid, wholly paid, over-paid; sales on many days.
    let ids = repo
        .batch(|b| {
            let mut ids = vec![];
            for (name, paid) in [("Partly", 123_456), ("Wholly", 0), ("Over", 9_999_999)] {
                let id = b.customer(&NewCustomer::named(CustomerKind::Individual, name))?;
                let mut total = 0;
                for d in 0..200 {
                    let cents = 1_000 + (d * 37 % 500);
                    total += cents;
                    b.transaction(&tx(id, TxKind::Sale, cents, d * 3))?;
                }
                let paid = if paid == 0 { total } else { paid };
                b.transaction(&tx(id, TxKind::Payment, paid / 2, 5))?;
                b.transaction(&tx(id, TxKind::Discount, paid - paid / 2, 1))?;
                ids.push(id);
            }
            Ok(ids)
        })
        .unwrap();
    for id in ids {
        let all = repo.recent_transactions(id, 10_000).unwrap();
        let invoices: Vec<(NaiveDate, Money)> =
            all.iter().filter(|t| t.kind == TxKind::Sale).map(|t| (t.occurred_at.date_naive(), t.amount)).collect();
        let settled: i64 = all.iter().filter(|t| t.kind != TxKind::Sale).map(|t| t.amount.0.abs()).sum();
        let expected = ageing(&invoices, Money(settled), today);
        let (open, part) = repo.receivables_of(id).unwrap();
        assert!(open.len() < invoices.len() || expected.total().0 > 0, "only the unpaid invoices are read");
        assert_eq!(ageing(&open, part, today), expected, "customer {id}");
    }
}
