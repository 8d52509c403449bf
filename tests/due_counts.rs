//! The care list's counts of due reminders come from the open reminders
//! counted per day, owner and kind (`open_reminder_days`, migration 20,
//! kept by triggers) plus the last part day, and the team view's done
//! reminders from those counted per day of completion and owner
//! (`done_reminder_days`, migration 21) plus the part days at the period's
//! ends; whatever was written, they equal a plain count of `reminders`,
//! and the day counts equal a plain grouping.

mod undo;

use chrono::{DateTime, Duration, TimeZone, Utc};
use proptest::prelude::*;
use rapport::domain::model::{CustomerKind, NewCustomer, NewReminder, ReminderKind, ReminderStatus};
use rapport::repo::Repo;
use rapport::repo::bulk::{BulkCustomer, BulkReminder};
use rapport::repo::reminders::{DueFilter, DueKind, ReminderEdit};

const OWNERS: [Option<&str>; 3] = [None, Some("ann"), Some("bob")];

fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 20, 0, 0, 0).unwrap()
}

/// Open reminders due before `until`, counted plainly.
fn plain(repo: &Repo, until: DateTime<Utc>, owner: Option<&str>, kind: Option<&str>) -> i64 {
    let conn = rusqlite::Connection::open(repo.path()).unwrap();
    conn.query_row(
        "SELECT count(*) FROM reminders WHERE status IN ('open', 'snoozed') AND due_at < ?1
           AND (?2 IS NULL OR owner = ?2) AND (?3 IS NULL OR kind = ?3)",
        rusqlite::params![until.timestamp(), owner, kind],
        |r| r.get(0),
    )
    .unwrap()
}

/// Rows of day counts: day, owner, kind, open reminders.
type DayCounts = Vec<(i64, String, String, i64)>;

/// The day counts as stored, and as a plain grouping gives them.
fn day_counts(repo: &Repo) -> (DayCounts, DayCounts) {
    let conn = rusqlite::Connection::open(repo.path()).unwrap();
    let read = |sql: &str| -> DayCounts {
        conn.prepare(sql)
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    };
    (
        read("SELECT day, owner, kind, n FROM open_reminder_days ORDER BY 1, 2, 3"),
        read(
            "SELECT due_at / 86400, coalesce(owner, ''), kind, count(*) FROM reminders
             WHERE status IN ('open', 'snoozed') GROUP BY 1, 2, 3 ORDER BY 1, 2, 3",
        ),
    )
}

/// The done day counts as stored, and as a plain grouping gives them.
fn done_day_counts(repo: &Repo) -> (DayCounts, DayCounts) {
    let conn = rusqlite::Connection::open(repo.path()).unwrap();
    let read = |sql: &str| -> DayCounts {
        conn.prepare(sql)
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get::<_, i64>(2)?.to_string(), r.get(3)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    };
    (
        read("SELECT day, owner, on_time, late FROM done_reminder_days ORDER BY 1, 2"),
        read(
            "SELECT done_at / 86400, coalesce(owner, ''), sum(done_at <= due_at), sum(done_at > due_at) FROM reminders
             WHERE status = 'done' AND done_at IS NOT NULL GROUP BY 1, 2 ORDER BY 1, 2",
        ),
    )
}

/// Done reminders in [from, to) per owner (none for ''), on time and late,
/// counted plainly.
fn plain_done(repo: &Repo, from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<(Option<String>, u64, u64)> {
    let conn = rusqlite::Connection::open(repo.path()).unwrap();
    conn.prepare(
        "SELECT nullif(coalesce(owner, ''), ''), sum(done_at <= due_at), sum(done_at > due_at) FROM reminders
         WHERE status = 'done' AND done_at >= ?1 AND done_at < ?2 GROUP BY 1 ORDER BY 1",
    )
    .unwrap()
    .query_map([from.timestamp(), to.timestamp()], |r| {
        Ok((r.get(0)?, r.get::<_, i64>(1)? as u64, r.get::<_, i64>(2)? as u64))
    })
    .unwrap()
    .collect::<Result<_, _>>()
    .unwrap()
}

/// Every count the care list and the team view can ask for, at times on
/// and around day boundaries, checked against the plain counts.
fn check(repo: &Repo) {
    let (stored, grouped) = day_counts(repo);
    assert_eq!(stored, grouped, "the day counts");
    let (stored, grouped) = done_day_counts(repo);
    assert_eq!(stored, grouped, "the done day counts");
    for (from, to) in
        [(0, 9 * 86_400), (1, 3 * 86_400 - 1), (43_200, 86_400 + 3_600), (86_400, 4 * 86_400), (7_200, 7_300)]
    {
        let (from, to) = (start() + Duration::seconds(from), start() + Duration::seconds(to));
        let mut got: Vec<_> =
            repo.done_counts(from, to).unwrap().into_iter().map(|c| (c.owner, c.on_time, c.late)).collect();
        got.sort();
        assert_eq!(got, plain_done(repo, from, to), "done in [{from}, {to})");
    }
    let kinds = [None, Some(ReminderKind::Call), Some(ReminderKind::Birthday)];
    for day in 0..8 {
        for secs in [0, 1, 43_200, 86_399] {
            let until = start() + Duration::days(day) + Duration::seconds(secs);
            for owner in OWNERS {
                for kind in kinds {
                    let filter = DueFilter {
                        owner: owner.map(str::to_string),
                        kind: kind.map_or(DueKind::All, DueKind::Reminder),
                    };
                    let (r, _, _) = repo.due_counts_for(until, &filter).unwrap();
                    assert_eq!(r, plain(repo, until, owner, kind.map(|k| k.code())), "until {until}, {filter:?}");
                }
            }
        }
    }
}

#[derive(Debug, Clone)]
enum Op {
    /// A reminder: due (minutes from the start), owner, kind, repeating.
    Create(i64, usize, usize, bool),
    /// Done, snoozed (to minutes from the start) or cancelled: the n-th
    /// open reminder.
    Done(usize),
    Snooze(usize, i64),
    Cancel(usize),
    /// Edited: due, owner, kind.
    Edit(usize, i64, usize, usize),
    /// The n-th done or cancelled reminder opened again (no screen does
    /// this; a script through `sqlite3` could, and the triggers follow).
    Reopen(usize),
}

fn op() -> impl Strategy<Value = Op> {
    let minutes = 0i64..(8 * 24 * 60);
    prop_oneof![
        3 => (minutes.clone(), 0..3usize, 0..3usize, any::<bool>()).prop_map(|(m, o, k, r)| Op::Create(m, o, k, r)),
        1 => any::<usize>().prop_map(Op::Done),
        1 => (any::<usize>(), minutes.clone()).prop_map(|(i, m)| Op::Snooze(i, m)),
        1 => any::<usize>().prop_map(Op::Cancel),
        1 => (any::<usize>(), minutes, 0..3usize, 0..3usize).prop_map(|(i, m, o, k)| Op::Edit(i, m, o, k)),
        1 => any::<usize>().prop_map(Op::Reopen),
    ]
}

const KINDS: [ReminderKind; 3] = [ReminderKind::Call, ReminderKind::Birthday, ReminderKind::Task];

fn apply(repo: &mut Repo, customer: i64, op: &Op) {
    let at = |m: i64| start() + Duration::minutes(m);
    // Every open reminder, in list order.
    let open = repo
        .due_items_for(start() + Duration::days(400), &DueFilter::default(), 0, 10_000)
        .unwrap()
        .into_iter()
        .filter(|i| i.source == rapport::repo::reminders::DueSource::Reminder)
        .collect::<Vec<_>>();
    let pick = |i: usize| (!open.is_empty()).then(|| open[i % open.len()].clone());
    match op {
        Op::Create(m, o, k, repeats) => {
            repo.create_reminder(&NewReminder {
                customer_id: customer,
                kind: KINDS[*k],
                due_at: at(*m),
                note: "n".into(),
                owner: OWNERS[*o].map(str::to_string),
                recurrence: repeats.then(|| "days:3".to_string()),
                origin: None,
            })
            .unwrap();
        }
        Op::Done(i) => {
            if let Some(item) = pick(*i) {
                // Done at a time of its own: on time or late, on one day or another.
                repo.complete_due(&item, item.due_at + Duration::minutes((*i % 5000) as i64 - 2500)).unwrap();
            }
        }
        Op::Snooze(i, m) => {
            if let Some(item) = pick(*i) {
                repo.snooze_due(&item, at(*m)).unwrap();
            }
        }
        Op::Cancel(i) => {
            if let Some(item) = pick(*i) {
                repo.cancel_due(&item, at(60)).unwrap();
            }
        }
        Op::Edit(i, m, o, k) => {
            if let Some(item) = pick(*i) {
                let r = repo.reminder(item.id).unwrap();
                let edit = ReminderEdit {
                    kind: KINDS[*k],
                    due_at: at(*m),
                    note: "edited".into(),
                    owner: OWNERS[*o].map(str::to_string),
                    recurrence: None,
                };
                repo.update_reminder(item.id, r.version, &edit).unwrap();
            }
        }
        Op::Reopen(i) => {
            let conn = rusqlite::Connection::open(repo.path()).unwrap();
            let closed: Vec<i64> = conn
                .prepare("SELECT id FROM reminders WHERE status IN ('done', 'cancelled') ORDER BY id")
                .unwrap()
                .query_map([], |r| r.get(0))
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap();
            if !closed.is_empty() {
                conn.execute(
                    "UPDATE reminders SET status = 'open', done_at = NULL WHERE id = ?1",
                    [closed[i % closed.len()]],
                )
                .unwrap();
                // And one done reminder given to someone else, as a script might.
                conn.execute(
                    "UPDATE reminders SET owner = 'bob' WHERE id = (SELECT min(id) FROM reminders WHERE status = 'done')",
                    [],
                )
                .unwrap();
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn the_counts_equal_a_plain_count_after_any_writes(ops in proptest::collection::vec(op(), 1..40)) {
        let dir = tempfile::tempdir().unwrap();
        let mut repo = Repo::open(&dir.path().join("d.db"), "ann").unwrap();
        let customer = repo.create_customer(&NewCustomer::named(CustomerKind::Individual, "Due Counts")).unwrap();
        for op in &ops {
            apply(&mut repo, customer, op);
        }
        check(&repo);
    }
}

#[test]
fn a_bulk_load_and_the_migration_count_the_open_reminders() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("b.db");
    let mut repo = Repo::open(&path, "ann").unwrap();
    let customer = 1;
    repo.bulk_load(serde_json::json!({}), |load| {
        load.customer(&BulkCustomer {
            id: customer,
            external_id: "b-1",
            kind: CustomerKind::Individual,
            name: "Bulk",
            company: None,
            email: None,
            phone: None,
            city: "",
            country: "",
            owner: "ann",
            vip_level: None,
            credit_limit: None,
            created_at: start() - Duration::days(2),
        })?;
        for i in 0..500i64 {
            let status = if i % 5 == 0 { ReminderStatus::Done } else { ReminderStatus::Open };
            load.reminder(&BulkReminder {
                customer_id: customer,
                kind: KINDS[(i % 3) as usize],
                due_at: start() + Duration::minutes(i * 23),
                note: "bulk",
                owner: ["ann", "bob", ""][(i % 3) as usize],
                status,
                done_at: (status == ReminderStatus::Done).then(|| start() + Duration::days(1)),
                created_at: start() - Duration::days(1),
            })?;
        }
        Ok(())
    })
    .unwrap();
    check(&repo);
    // The triggers are back: one more reminder is counted.
    apply(&mut repo, customer, &Op::Create(30, 1, 0, false));
    check(&repo);

    // A base written before migration 20 gets its counts when opened.
    drop(repo);
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        undo::back_to(&conn, 19);
    }
    let repo = Repo::open(&path, "ann").unwrap();
    check(&repo);
}
