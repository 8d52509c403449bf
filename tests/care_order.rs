//! The care list reads each source in its order and merges them; open
//! reminders carry their customer's band (kept by triggers, migration 13).
//! Whatever was written meanwhile, the list is exactly the one a plain
//! sort of everything due gives: by the customer's tier in force (Top
//! first), then due time, source and id.

mod undo;

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use rapport::config::Config;
use rapport::domain::model::{ReminderKind, Tier};
use rapport::repo::Repo;
use rapport::repo::reminders::{DueFilter, DueKind, DueSource};

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 25).unwrap()
}

fn until() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 26, 0, 0, 0).unwrap()
}

/// Everything due, by a plain sort: (source, id, tier) in list order.
fn sorted(repo: &Repo, filter: &DueFilter) -> Vec<(i64, i64, String)> {
    let conn = rusqlite::Connection::open(repo.path()).unwrap();
    let (src, kind) = match filter.kind {
        DueKind::All => (None, None),
        DueKind::Source(s) => (Some(s as i64), None),
        DueKind::Reminder(k) => (Some(0), Some(k.code())),
    };
    let mut st = conn
        .prepare(
            "SELECT src, id, tier FROM (
                 SELECT 0 AS src, r.id, coalesce(c.tier_pin, c.tier) AS tier, r.kind, r.due_at, r.owner
                 FROM reminders r JOIN customers c ON c.id = r.customer_id
                 WHERE r.status IN ('open', 'snoozed') AND r.due_at < ?1
                 UNION ALL
                 SELECT 1, p.id, coalesce(c.tier_pin, c.tier), 'promise', p.due_at, p.agent
                 FROM promises p JOIN customers c ON c.id = p.customer_id WHERE p.status = 'open' AND p.due_at < ?1
                 UNION ALL
                 SELECT 2, k.id, coalesce(c.tier_pin, c.tier), k.severity, k.deadline_at, k.owner
                 FROM cases k JOIN customers c ON c.id = k.customer_id WHERE k.status = 'open' AND k.deadline_at < ?1)
             WHERE (?2 IS NULL OR owner = ?2) AND (?3 IS NULL OR src = ?3) AND (?4 IS NULL OR kind = ?4)
             ORDER BY CASE tier WHEN 'top' THEN 0 WHEN 'growth' THEN 1 WHEN 'low' THEN 2 ELSE 3 END, due_at, src, id",
        )
        .unwrap();
    st.query_map(rusqlite::params![until().timestamp(), filter.owner, src, kind], |r| {
        Ok((r.get(0)?, r.get(1)?, r.get(2)?))
    })
    .unwrap()
    .collect::<Result<_, _>>()
    .unwrap()
}

fn listed(repo: &Repo, filter: &DueFilter, offset: usize, limit: usize) -> Vec<(i64, i64, String)> {
    repo.due_items_for(until(), filter, offset, limit)
        .unwrap()
        .into_iter()
        .map(|i| (i.source as i64, i.id, i.tier.code().to_string()))
        .collect()
}

fn check(repo: &Repo, when: &str) {
    let owner = repo.due_items(until(), 0, 1).unwrap().first().and_then(|i| i.owner.clone());
    let filters = [
        DueFilter::default(),
        DueFilter { owner: owner.clone(), kind: DueKind::All },
        DueFilter { owner: None, kind: DueKind::Source(DueSource::Reminder) },
        DueFilter { owner: None, kind: DueKind::Source(DueSource::Promise) },
        DueFilter { owner: None, kind: DueKind::Source(DueSource::Case) },
        DueFilter { owner: None, kind: DueKind::Reminder(ReminderKind::Call) },
    ];
    for f in &filters {
        let all = sorted(repo, f);
        assert_eq!(listed(repo, f, 0, 1_000_000), all, "{when}: {f:?}");
        let mut streamed = Vec::new();
        let n = repo
            .each_due_item(until(), f, |i| {
                streamed.push((i.source as i64, i.id, i.tier.code().to_string()));
                Ok(())
            })
            .unwrap();
        assert_eq!((n, &streamed), (all.len(), &all), "{when}: {f:?} streamed");
        for (offset, limit) in [(0, 7), (5, 20), (all.len().saturating_sub(3), 50), (all.len() + 5, 10)] {
            let window: Vec<_> = all.iter().skip(offset).take(limit).cloned().collect();
            assert_eq!(listed(repo, f, offset, limit), window, "{when}: {f:?} at {offset}+{limit}");
        }
    }
    let all = sorted(repo, &DueFilter::default());
    assert!(all.len() > 50, "{when}: only {} due", all.len());
    assert!(all.iter().any(|r| r.0 == 1) && all.iter().any(|r| r.0 == 2), "{when}: no promise or complaint due");
}

#[test]
fn the_care_list_is_the_plain_sort_whatever_was_written() {
    let dir = tempfile::tempdir().unwrap();
    let mut repo = Repo::open(&dir.path().join("c.db"), "alice").unwrap();
    rapport::demo::generate(
        &mut repo,
        &rapport::demo::DemoOptions { customers: 400, ..rapport::demo::DemoOptions::new(today()) },
    )
    .unwrap();
    check(&repo, "demo base");
    let all = sorted(&repo, &DueFilter::default());
    assert!(all.iter().any(|r| r.2 == "top") && all.iter().any(|r| r.2 == "low"), "one band only");
    let config = Config::default();

    // Tiers move: a recompute far ahead (most customers change: the bulk
    // path), then back.
    rapport::services::pyramid::recompute(&mut repo, &config, NaiveDate::from_ymd_opt(2028, 12, 1).unwrap()).unwrap();
    check(&repo, "after a recompute that moves most customers");
    rapport::services::pyramid::recompute(&mut repo, &config, today()).unwrap();
    check(&repo, "back to today");

    // A customer with reminders due is pinned to Top, then another merged into them.
    let items = repo.due_items(until(), 0, 10_000).unwrap();
    let low = items.iter().rev().find(|i| i.tier == Tier::Low && i.source == DueSource::Reminder).unwrap().clone();
    let mut c = repo.customer(low.customer_id).unwrap();
    c.tier_pin = Some(Tier::Top);
    repo.update_customer(&c).unwrap();
    assert_eq!(
        repo.due_items(until(), 0, 10_000)
            .unwrap()
            .iter()
            .find(|i| i.id == low.id && i.source == low.source)
            .unwrap()
            .tier,
        Tier::Top
    );
    check(&repo, "a pin");
    let other = items
        .iter()
        .find(|i| i.customer_id != low.customer_id && i.source == DueSource::Reminder && i.tier != Tier::Top)
        .unwrap();
    repo.merge_customers(low.customer_id, other.customer_id).unwrap();
    check(&repo, "a merge");

    // Items done and snoozed, new reminders, the care rules.
    let items = repo.due_items(until(), 0, 10_000).unwrap();
    repo.complete_due(&items[0], until()).unwrap();
    repo.snooze_due(&items[1], until() - Duration::hours(1)).unwrap();
    repo.snooze_due(&items[2], until() + Duration::days(3)).unwrap();
    check(&repo, "done and snoozed");
    rapport::services::care::run_rules(&mut repo, &config, until()).unwrap();
    check(&repo, "after the care rules");

    // A base from before the column (schema 12): set by the migration.
    drop(repo);
    let conn = rusqlite::Connection::open(dir.path().join("c.db")).unwrap();
    undo::back_to(&conn, 12);
    drop(conn);
    let repo = Repo::open(&dir.path().join("c.db"), "alice").unwrap();
    check(&repo, "migrated");
}
