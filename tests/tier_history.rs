//! The tier snapshots kept as changes (migration 17): every day's snapshot,
//! the moves between the latest two and "ever Top or Growth" must read as
//! if each day's snapshot had been stored whole, after any sequence of
//! recomputes (new days and the same day again), pins, archives, new
//! customers, snapshots on demand and deletions of the latest days; and a
//! base whose snapshots were stored whole reads the same once migrated.

use std::collections::{BTreeMap, HashSet};

use chrono::NaiveDate;
use proptest::prelude::*;
use rapport::domain::model::{CustomerKind, CustomerStatus, NewCustomer, Tier};
use rapport::domain::money::Money;
use rapport::repo::Repo;
use rapport::repo::pyramid::Snapshotted;

mod undo;

type Snapshot = BTreeMap<i64, (Tier, i64)>;

fn day(n: u64) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 1, 1).unwrap() + chrono::Days::new(n)
}

/// What a snapshot taken now holds: each active customer's tier in force
/// and contribution, as stored.
fn whole(repo: &Repo, customers: i64) -> Snapshot {
    (1..=customers)
        .map(|id| repo.customer(id).unwrap())
        .filter(|c| c.status == CustomerStatus::Active)
        .map(|c| (c.id, (c.tier_pin.unwrap_or(c.tier), c.contribution.0)))
        .collect()
}

/// Moves between two whole snapshots, as the pyramid lists them.
fn moves(before: &Snapshot, after: &Snapshot) -> Vec<(i64, Tier, Tier, i64, i64)> {
    let mut out: Vec<_> = after
        .iter()
        .filter_map(|(id, (to, c))| {
            let (from, b) = before.get(id)?;
            (from != to).then_some((*id, *from, *to, *b, *c))
        })
        .collect();
    out.sort_by(|a, b| b.4.cmp(&a.4).then(a.0.cmp(&b.0)));
    out
}

/// Everything the history answers equals what the whole snapshots say.
fn check(repo: &Repo, model: &BTreeMap<NaiveDate, Snapshot>) {
    let days: Vec<NaiveDate> = model.keys().rev().copied().collect();
    assert_eq!(repo.snapshot_days(1000).unwrap(), days);
    for (d, want) in model {
        let got: Snapshot = repo.snapshot(*d).unwrap().into_iter().map(|(id, t, c)| (id, (t, c.0))).collect();
        assert_eq!(&got, want, "snapshot of {d}");
    }
    if let [after, before, ..] = days.as_slice() {
        let got: Vec<_> = repo
            .tier_moves(*before, *after)
            .unwrap()
            .into_iter()
            .map(|m| (m.customer_id, m.from, m.to, m.contribution_before.0, m.contribution_after.0))
            .collect();
        assert_eq!(got, moves(&model[before], &model[after]), "moves {before} -> {after}");
        // The pane's moves, read without names, are the same moves in the
        // same order; each name is the customer's.
        let named = repo.tier_moves(*before, *after).unwrap();
        let unnamed = repo.tier_moves_unnamed(*before, *after).unwrap();
        assert!(unnamed.iter().all(|m| m.name.is_empty()));
        let names = repo.names_of(&unnamed.iter().map(|m| m.customer_id).collect::<Vec<_>>()).unwrap();
        let filled: Vec<_> =
            unnamed.into_iter().zip(names).map(|(m, name)| rapport::repo::pyramid::TierMove { name, ..m }).collect();
        assert_eq!(filled, named);
        for m in &named {
            assert_eq!(m.name, repo.customer(m.customer_id).unwrap().name);
        }
    }
    // Any two days, not only the latest two.
    if days.len() >= 3 {
        let (a, b) = (days[days.len() - 1], days[1]);
        let got: Vec<_> = repo
            .tier_moves(a, b)
            .unwrap()
            .into_iter()
            .map(|m| (m.customer_id, m.from, m.to, m.contribution_before.0, m.contribution_after.0))
            .collect();
        assert_eq!(got, moves(&model[&a], &model[&b]), "moves {a} -> {b}");
    }
    let valuable: HashSet<i64> = model
        .values()
        .flat_map(|s| s.iter().filter(|(_, (t, _))| matches!(t, Tier::Top | Tier::Growth)).map(|(id, _)| *id))
        .collect();
    assert_eq!(repo.ever_valuable().unwrap(), valuable);
}

#[derive(Debug, Clone)]
enum Op {
    /// A recompute stores these figures (customer index, tier, contribution)
    /// and snapshots `days` after the latest snapshot (0: the same day).
    Recompute {
        days: u64,
        figures: Vec<(usize, Tier, i64)>,
    },
    Pin(usize, Option<Tier>),
    Archive(usize, bool),
    NewCustomer,
    /// A snapshot on demand, `days` after the latest.
    Snapshot {
        days: u64,
    },
    /// The latest `n` days' snapshots deleted.
    DeleteLatest(usize),
    /// A recompute as of a day before the latest snapshot.
    Earlier,
}

fn tier() -> impl Strategy<Value = Tier> {
    prop_oneof![Just(Tier::Top), Just(Tier::Growth), Just(Tier::Low), Just(Tier::Negative)]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0..3u64, prop::collection::vec((0..40usize, tier(), -3..4i64), 0..12))
            .prop_map(|(days, figures)| Op::Recompute { days, figures }),
        1 => (0..40usize, prop::option::of(tier())).prop_map(|(i, t)| Op::Pin(i, t)),
        1 => (0..40usize, any::<bool>()).prop_map(|(i, a)| Op::Archive(i, a)),
        1 => Just(Op::NewCustomer),
        1 => (0..2u64).prop_map(|days| Op::Snapshot { days }),
        1 => (1..3usize).prop_map(Op::DeleteLatest),
        1 => Just(Op::Earlier),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn every_day_reads_as_if_stored_whole(ops in prop::collection::vec(op(), 1..25)) {
        let dir = tempfile::tempdir().unwrap();
        let mut repo = Repo::open(&dir.path().join("t.db"), "test").unwrap();
        let mut customers = 0i64;
        for i in 0..8 {
            customers = repo.create_customer(&NewCustomer::named(CustomerKind::Individual, &format!("C{i}"))).unwrap();
        }
        let mut model: BTreeMap<NaiveDate, Snapshot> = BTreeMap::new();
        let next = |model: &BTreeMap<NaiveDate, Snapshot>, days: u64| {
            model.keys().next_back().map_or(day(10), |d| *d + chrono::Days::new(days))
        };
        for op in ops {
            match op {
                Op::Recompute { days, figures } => {
                    let d = next(&model, days);
                    let mut rows: BTreeMap<i64, (i64, Tier, Money, Option<_>)> = (1..=customers)
                        .map(|id| repo.customer(id).unwrap())
                        .map(|c| (c.id, (c.id, c.tier, c.contribution, None)))
                        .collect();
                    for (i, t, c) in figures {
                        let id = 1 + (i as i64 % customers);
                        rows.insert(id, (id, t, Money(c * 100), None));
                    }
                    let places = repo.pyramid_places().unwrap();
                    repo.store_recomputed(places, d, rows.into_values()).unwrap();
                    model.insert(d, whole(&repo, customers));
                }
                Op::Pin(i, t) => {
                    let mut c = repo.customer(1 + (i as i64 % customers)).unwrap();
                    c.tier_pin = t;
                    repo.update_customer(&c).unwrap();
                }
                Op::Archive(i, archived) => {
                    let mut c = repo.customer(1 + (i as i64 % customers)).unwrap();
                    c.status = if archived { CustomerStatus::Archived } else { CustomerStatus::Active };
                    repo.update_customer(&c).unwrap();
                }
                Op::NewCustomer => {
                    customers = repo.create_customer(&NewCustomer::named(CustomerKind::Household, "New")).unwrap();
                }
                Op::Snapshot { days } => {
                    let d = next(&model, days);
                    let written = matches!(repo.store_snapshot(d).unwrap(), Snapshotted::Written { .. });
                    prop_assert!(written, "no snapshot written for {}", d);
                    model.insert(d, whole(&repo, customers));
                }
                Op::DeleteLatest(n) => {
                    let days: Vec<NaiveDate> = model.keys().rev().take(n).copied().collect();
                    if let Some(from) = days.last() {
                        prop_assert_eq!(repo.delete_snapshots_from(*from).unwrap(), days.len());
                        model.retain(|d, _| d < from);
                    }
                }
                Op::Earlier => {
                    if let Some(latest) = model.keys().next_back().copied() {
                        prop_assert_eq!(
                            repo.store_snapshot(latest - chrono::Days::new(1)).unwrap(),
                            Snapshotted::LaterDayExists
                        );
                    }
                }
            }
            check(&repo, &model);
        }
        repo.integrity_check().unwrap();
    }
}

/// A base whose snapshots were stored whole (schema 16), with a customer
/// who leaves a snapshot and comes back, tier moves and a contribution that
/// alone changes, reads the same after migration 17, and its history goes
/// on from there.
#[test]
fn whole_snapshots_read_the_same_once_migrated() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.db");
    {
        let mut repo = Repo::open(&path, "test").unwrap();
        for i in 0..5 {
            repo.create_customer(&NewCustomer::named(CustomerKind::Individual, &format!("C{i}"))).unwrap();
        }
    }
    let rows: &[(&str, i64, &str, i64)] = &[
        ("2026-01-01", 1, "top", 900),
        ("2026-01-01", 2, "growth", 500),
        ("2026-01-01", 3, "low", 10),
        ("2026-01-01", 4, "negative", -5),
        // 2 drops to Low, 3's contribution alone changes, 4 leaves, 5 arrives.
        ("2026-01-02", 1, "top", 900),
        ("2026-01-02", 2, "low", 40),
        ("2026-01-02", 3, "low", 20),
        ("2026-01-02", 5, "growth", 300),
        // 4 comes back as Top; 1 drops to Growth.
        ("2026-01-05", 1, "growth", 800),
        ("2026-01-05", 2, "low", 40),
        ("2026-01-05", 3, "low", 20),
        ("2026-01-05", 4, "top", 1000),
        ("2026-01-05", 5, "growth", 300),
    ];
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        undo::back_to(&conn, 16);
        conn.execute_batch("DELETE FROM tier_snapshots").unwrap();
        for (d, id, t, c) in rows {
            conn.execute(
                "INSERT INTO tier_snapshots (taken_on, customer_id, tier, contribution) VALUES (?1, ?2, ?3, ?4)",
                rusqlite::params![d, id, t, c],
            )
            .unwrap();
        }
    }
    let mut repo = Repo::open(&path, "test").unwrap();
    assert_eq!(repo.schema_version().unwrap(), rapport::repo::MIGRATIONS.len() as i64);
    let mut model: BTreeMap<NaiveDate, Snapshot> = BTreeMap::new();
    for (d, id, t, c) in rows {
        let d = NaiveDate::parse_from_str(d, "%Y-%m-%d").unwrap();
        model.entry(d).or_default().insert(*id, (Tier::parse(t).unwrap(), *c));
    }
    check(&repo, &model);
    let n = |sql: &str| -> i64 { repo_count(&path, sql) };
    // Four rows for the first day, then only what changed: 2, 3, 4 (left)
    // and 5 on the second; 1 and 4 on the third.
    assert_eq!(n("SELECT count(*) FROM tier_changes"), 4 + 4 + 2);
    assert_eq!(n("SELECT count(*) FROM sqlite_schema WHERE name = 'tier_snapshots'"), 0);

    // The history goes on: a snapshot on demand compares with the latest.
    let d = NaiveDate::from_ymd_opt(2026, 1, 6).unwrap();
    repo.store_snapshot(d).unwrap();
    model.insert(d, whole(&repo, 5));
    check(&repo, &model);
}

fn repo_count(path: &std::path::Path, sql: &str) -> i64 {
    rusqlite::Connection::open(path).unwrap().query_row(sql, [], |r| r.get(0)).unwrap()
}
