//! The team view and the competitor view end to end: a hand-built history
//! in a real base (every figure worked out by hand below), the repository's
//! inputs, then `rapport report team` / `competitors` on the same base and
//! on a demo base.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use chrono::{DateTime, NaiveDate, TimeDelta, TimeZone, Utc};
use rusqlite::params;
use tempfile::TempDir;

use rapport::config::Config;
use rapport::domain::forecast::{LostReason, Period};
use rapport::domain::model::{
    Channel, CustomerKind, DealStatus, Direction, NewCase, NewCustomer, NewDeal, NewInteraction, NewPromise,
    NewReminder, Outcome, ReminderKind, Severity,
};
use rapport::domain::money::Money;
use rapport::domain::team::{
    Column, Figures, Level, MissState, Target, Targets, TeamView, competitor_names, competitors, leads, team_view,
};
use rapport::repo::batch::Batch;
use rapport::repo::{Repo, RepoError};

// ---------------------------------------------------------------- helpers

fn t(month: u32, day: u32, h: u32, m: u32, s: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, month, day, h, m, s).unwrap()
}

/// hh:00 UTC on a day of 2025.
fn at(month: u32, day: u32, h: u32) -> DateTime<Utc> {
    t(month, day, h, 0, 0)
}

fn date(month: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, month, day).unwrap()
}

fn march() -> Period {
    Period::new(date(3, 1), date(3, 31)).unwrap()
}

/// The instant open items are judged against in the domain tests.
fn now() -> DateTime<Utc> {
    at(4, 10, 12)
}

fn teams() -> BTreeMap<String, Vec<String>> {
    BTreeMap::from([
        ("North".to_string(), vec!["ann".to_string(), "bob".to_string()]),
        ("South".to_string(), vec!["cy".to_string()]),
    ])
}

fn lost_reasons() -> Vec<String> {
    Config::default().pipeline.lost_reasons
}

fn hours(h: i64, s: i64) -> TimeDelta {
    TimeDelta::hours(h) + TimeDelta::seconds(s)
}

fn interaction(b: &Batch, agent: &str, customer_id: i64, when: DateTime<Utc>) -> rapport::repo::Result<i64> {
    b.interaction_by(
        agent,
        &NewInteraction {
            customer_id,
            channel: Channel::Call,
            direction: Direction::Outbound,
            summary: "call".into(),
            outcome: Outcome::Resolved,
            occurred_at: when,
            duration_secs: None,
        },
    )
}

/// A reminder owned by `owner` due at `due`, done at `done` if given.
fn reminder(
    b: &Batch,
    owner: Option<&str>,
    customer_id: i64,
    due: DateTime<Utc>,
    done: Option<DateTime<Utc>>,
) -> rapport::repo::Result<i64> {
    let id = b
        .reminder(&NewReminder {
            customer_id,
            kind: ReminderKind::Task,
            due_at: due,
            note: "care".into(),
            owner: owner.map(String::from),
            recurrence: None,
            origin: None,
        })?
        .expect("a reminder without origin is always made");
    if let Some(done) = done {
        b.complete_reminder(id, done)?;
    }
    Ok(id)
}

struct D<'a> {
    owner: Option<&'a str>,
    amount: i64,
    competitors: Option<&'a str>,
    created: DateTime<Utc>,
    /// Closing move: ("Won" | "Lost", reason, when).
    close: Option<(&'a str, Option<&'a str>, DateTime<Utc>)>,
}

fn deal(b: &Batch, customer_id: i64, title: &str, d: &D) -> rapport::repo::Result<i64> {
    let id = b.deal(&NewDeal {
        customer_id,
        title: title.into(),
        amount: Money(d.amount),
        stage: "Lead".into(),
        probability_pct: None,
        expected_close: None,
        competitors: d.competitors.map(String::from),
        owner: d.owner.map(String::from),
        next_step: None,
        created_at: d.created,
    })?;
    if let Some((to, reason, when)) = d.close {
        let status = if to == "Won" { DealStatus::Won } else { DealStatus::Lost };
        b.move_deal(id, 1, to, status, reason, when)?;
    }
    Ok(id)
}

/// Promises and complaints belong to the agent of the base they are made
/// through: one connection per agent.
fn as_agent(path: &Path, agent: &str, f: impl FnOnce(&Batch) -> rapport::repo::Result<()>) {
    let mut repo = Repo::open(path, agent).unwrap();
    repo.batch(f).unwrap();
}

fn promise(b: &Batch, customer_id: i64, due: DateTime<Utc>) -> rapport::repo::Result<i64> {
    b.promise(&NewPromise { customer_id, interaction_id: None, text: "call back".into(), due_at: due })
}

fn case(b: &Batch, customer_id: i64, opened: DateTime<Utc>) -> rapport::repo::Result<i64> {
    b.case(&NewCase {
        customer_id,
        title: "complaint".into(),
        description: None,
        severity: Severity::Medium,
        opened_at: opened,
        deadline_at: opened + TimeDelta::days(7),
    })
}

/// The repository has no call to settle a promise with a chosen status and
/// time, nor to stamp a complaint's 4A steps at chosen times: SQL.
fn settle_promise(conn: &rusqlite::Connection, id: i64, status: &str, done: Option<DateTime<Utc>>) {
    conn.execute(
        "UPDATE promises SET status = ?2, done_at = ?3 WHERE id = ?1",
        params![id, status, done.map(|d| d.timestamp())],
    )
    .unwrap();
}

fn acknowledge(conn: &rusqlite::Connection, id: i64, when: DateTime<Utc>) {
    conn.execute("UPDATE cases SET acknowledged_at = ?2 WHERE id = ?1", params![id, when.timestamp()]).unwrap();
}

fn close_case(conn: &rusqlite::Connection, id: i64, when: DateTime<Utc>) {
    conn.execute(
        "UPDATE cases SET status = 'closed', apologized_at = acknowledged_at, amended_at = ?2, closed_at = ?2,
                          satisfaction = 4
         WHERE id = ?1",
        params![id, when.timestamp()],
    )
    .unwrap();
}

// ---------------------------------------------------------------- the history

/// The hand-built base; March 2025 is the period of every figure below.
///
/// Interactions: ann 2-28 23:59:59 (out), 3-01 00:00:00, 3-15, 3-31
/// 23:59:59, 4-01 00:00:00 (out) → 3; bob 3-10, 3-20 → 2; dee only 2-15 →
/// no row (not in a team, nothing in the period).
///
/// Reminders (owner, due → done):
/// | R1 | ann  | 3-05 10:00 → 3-05 09:00 | on time               |
/// | R2 | ann  | 3-05 10:00 → 3-05 10:00 | on time (equal)       |
/// | R3 | ann  | 3-02 10:00 → 3-06 10:00 | late                  |
/// | R4 | bob  | 2-25 10:00 → 3-01 00:00 | late (period's start) |
/// | R5 | bob  | 3-31 10:00 → 4-01 00:00 | done after the period |
/// | R6 | bob  | 3-10 10:00, open        | not done              |
/// | R7 | none | 3-10 10:00 → 3-09 10:00 | on time, overall only |
///
/// Promises (callback on the date: deadline 23:59:59 of the due day):
/// | P1 | ann | due 3-03 10:00, kept 3-03 09:00   | settled, kept; met                 |
/// | P2 | ann | due 3-04 10:00, late 3-04 15:00   | settled, late; met (same day)      |
/// | P3 | ann | due 3-06 10:00, late 3-08 10:00   | settled, late; missed by 34 h 1 s  |
/// | P4 | ann | due 2-27 10:00, kept 2-27 09:00   | nothing in March                   |
/// | P5 | ann | due 2-27 10:00, late 3-02 10:00   | settled in March, judged in Feb    |
/// | P6 | bob | due 3-10 10:00, broken 3-11 10:00 | settled, broken; missed by 10 h 1 s |
/// | P7 | bob | due 3-31 18:00, open              | missed, open                       |
/// | P8 | bob | due 4-02 10:00, open              | nothing in March                   |
/// | P9 | bob | due 3-20 10:00, broken, no time   | settled 3-20, broken; missed       |
///
/// Complaints (ack within 4 h, close within 5 days):
/// | K1 | ann | opened 2-26 10:00, ack 2-26 12:00, closed 3-02 10:00 | close 4 d (in March), close met   |
/// | K2 | ann | opened 3-10 08:00, ack 3-10 09:30, closed 3-17 08:00 | ack 1.5 h met, close 7 d missed   |
/// | K3 | ann | opened 3-31 22:00, ack 4-01 01:00                    | nothing in March                 |
/// | K4 | ann | opened 3-20 10:00, ack 3-20 16:00, open              | ack 6 h missed by 2 h, close open |
/// | K5 | bob | opened 3-05 10:00, ack 3-05 11:00, closed 3-07 10:00 | ack 1 h, close 2 d, both met      |
/// | K6 | bob | opened 2-20 10:00, ack 2-20 10:30, open              | nothing in March                 |
///
/// Deals (Lost reasons from the configured list):
/// | D1 | ann  | 1,000.00 | "Acme CRM, Salesfolk"      | created 2-01, won 3-05            |
/// | D2 | bob  |   500.00 | "acme crm"                 | created 3-02, lost 3-10 "Price: too expensive" |
/// | D3 | bob  |   200.00 | " Salesfolk ,  河马软件 "  | created 3-03, open                |
/// | D4 | ann  |   300.00 | "Salesfolk"                | created 1-05, won 2-20 (before)   |
/// | D5 | ann  |   400.00 | "ACME crm,Acme CRM"        | created 3-25, won 4-01 (after)    |
/// | D6 | bob  |   250.00 | "Salesfolk"                | created 2-10, lost 3-31 23:59:59 "Timing" |
/// | D7 | none |   100.00 | none                       | created 3-01, won 3-15            |
/// | D8 | bob  |    50.00 | "Acme CRM"                 | created 3-01, lost 3-12 "price"   |
/// | D9 | ann  |    70.00 | "  "                       | created 3-01, open                |
fn hand_built(dir: &TempDir) -> PathBuf {
    let path = dir.path().join("team.db");
    let mut repo = Repo::open(&path, "tester").unwrap();
    let (acme, beta) = repo
        .batch(|b| {
            let acme = b.customer(&NewCustomer::named(CustomerKind::Enterprise, "Acme"))?;
            let beta = b.customer(&NewCustomer::named(CustomerKind::Individual, "Beta"))?;
            for when in [t(2, 28, 23, 59, 59), at(3, 1, 0), at(3, 15, 10), t(3, 31, 23, 59, 59), at(4, 1, 0)] {
                interaction(b, "ann", acme, when)?;
            }
            interaction(b, "bob", beta, at(3, 10, 10))?;
            interaction(b, "bob", acme, at(3, 20, 10))?;
            interaction(b, "dee", beta, at(2, 15, 10))?;

            reminder(b, Some("ann"), acme, at(3, 5, 10), Some(at(3, 5, 9)))?;
            reminder(b, Some("ann"), acme, at(3, 5, 10), Some(at(3, 5, 10)))?;
            reminder(b, Some("ann"), beta, at(3, 2, 10), Some(at(3, 6, 10)))?;
            reminder(b, Some("bob"), beta, at(2, 25, 10), Some(at(3, 1, 0)))?;
            reminder(b, Some("bob"), beta, at(3, 31, 10), Some(at(4, 1, 0)))?;
            reminder(b, Some("bob"), acme, at(3, 10, 10), None)?;
            reminder(b, None, acme, at(3, 10, 10), Some(at(3, 9, 10)))?;

            let d = |owner, amount, competitors, created, close| D { owner, amount, competitors, created, close };
            deal(
                b,
                acme,
                "D1",
                &d(Some("ann"), 100_000, Some("Acme CRM, Salesfolk"), at(2, 1, 10), Some(("Won", None, at(3, 5, 10)))),
            )?;
            deal(
                b,
                beta,
                "D2",
                &d(
                    Some("bob"),
                    50_000,
                    Some("acme crm"),
                    at(3, 2, 10),
                    Some(("Lost", Some("Price: too expensive"), at(3, 10, 10))),
                ),
            )?;
            deal(b, beta, "D3", &d(Some("bob"), 20_000, Some(" Salesfolk ,  河马软件 "), at(3, 3, 10), None))?;
            deal(
                b,
                acme,
                "D4",
                &d(Some("ann"), 30_000, Some("Salesfolk"), at(1, 5, 10), Some(("Won", None, at(2, 20, 10)))),
            )?;
            deal(
                b,
                acme,
                "D5",
                &d(Some("ann"), 40_000, Some("ACME crm,Acme CRM"), at(3, 25, 10), Some(("Won", None, at(4, 1, 0)))),
            )?;
            deal(
                b,
                beta,
                "D6",
                &d(
                    Some("bob"),
                    25_000,
                    Some("Salesfolk"),
                    at(2, 10, 10),
                    Some(("Lost", Some("Timing"), t(3, 31, 23, 59, 59))),
                ),
            )?;
            deal(b, acme, "D7", &d(None, 10_000, None, at(3, 1, 10), Some(("Won", None, at(3, 15, 10)))))?;
            deal(
                b,
                beta,
                "D8",
                &d(Some("bob"), 5_000, Some("Acme CRM"), at(3, 1, 10), Some(("Lost", Some("price"), at(3, 12, 10)))),
            )?;
            deal(b, acme, "D9", &d(Some("ann"), 7_000, Some("  "), at(3, 1, 10), None))?;
            Ok((acme, beta))
        })
        .unwrap();
    drop(repo);

    // Promise ids P1..P9 and complaint ids K1..K6 follow the order made.
    as_agent(&path, "ann", |b| {
        for due in [at(3, 3, 10), at(3, 4, 10), at(3, 6, 10), at(2, 27, 10), at(2, 27, 10)] {
            promise(b, acme, due)?;
        }
        Ok(())
    });
    as_agent(&path, "bob", |b| {
        for due in [at(3, 10, 10), at(3, 31, 18), at(4, 2, 10), at(3, 20, 10)] {
            promise(b, beta, due)?;
        }
        Ok(())
    });
    as_agent(&path, "ann", |b| {
        for opened in [at(2, 26, 10), at(3, 10, 8), at(3, 31, 22), at(3, 20, 10)] {
            case(b, acme, opened)?;
        }
        Ok(())
    });
    as_agent(&path, "bob", |b| {
        case(b, beta, at(3, 5, 10))?;
        case(b, beta, at(2, 20, 10))?;
        Ok(())
    });

    let conn = rusqlite::Connection::open(&path).unwrap();
    settle_promise(&conn, 1, "kept", Some(at(3, 3, 9)));
    settle_promise(&conn, 2, "late", Some(at(3, 4, 15)));
    settle_promise(&conn, 3, "late", Some(at(3, 8, 10)));
    settle_promise(&conn, 4, "kept", Some(at(2, 27, 9)));
    settle_promise(&conn, 5, "late", Some(at(3, 2, 10)));
    settle_promise(&conn, 6, "broken", Some(at(3, 11, 10)));
    settle_promise(&conn, 9, "broken", None);
    acknowledge(&conn, 1, at(2, 26, 12));
    close_case(&conn, 1, at(3, 2, 10));
    acknowledge(&conn, 2, t(3, 10, 9, 30, 0));
    close_case(&conn, 2, at(3, 17, 8));
    acknowledge(&conn, 3, at(4, 1, 1));
    acknowledge(&conn, 4, at(3, 20, 16));
    acknowledge(&conn, 5, at(3, 5, 11));
    close_case(&conn, 5, at(3, 7, 10));
    acknowledge(&conn, 6, t(2, 20, 10, 30, 0));
    path
}

fn view(path: &Path, targets: &Targets) -> TeamView {
    let repo = Repo::open_existing(path, "tester").unwrap();
    let inputs = repo.team_inputs(&march(), targets).unwrap();
    team_view(march(), now(), targets, &teams(), &inputs)
}

fn row<'a>(rows: &'a [rapport::domain::team::Row], name: &str) -> &'a Figures {
    &rows.iter().find(|r| r.name == name).unwrap_or_else(|| panic!("no row {name}")).figures
}

fn lvl(met: u64, missed: u64) -> Level {
    Level { met, missed }
}

// ---------------------------------------------------------------- the figures

#[test]
fn per_agent_figures_worked_out_by_hand() {
    let dir = tempfile::tempdir().unwrap();
    let v = view(&hand_built(&dir), &Targets::default());
    let names: Vec<&str> = v.agents.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names, ["ann", "bob", "cy"], "cy is in a team; dee did nothing in March");

    let ann = Figures {
        interactions: 3,
        care_on_time: 2,
        care_late: 1,
        promises_kept: 1,
        promises_late: 3,
        promises_broken: 0,
        acknowledged: 2,
        ack_hours_median: Some((1.5 + 6.0) / 2.0),
        closed: 2,
        close_days_median: Some((4.0 + 7.0) / 2.0),
        deals_won: 1,
        won_value: Money(100_000),
        ack_level: lvl(1, 1),
        close_level: lvl(1, 2),
        promise_level: lvl(2, 1),
    };
    assert_eq!(row(&v.agents, "ann"), &ann);
    assert_eq!(ann.promises_kept_rate(), Some(0.25));
    assert_eq!(ann.care_on_time_rate(), Some(2.0 / 3.0));

    let bob = Figures {
        interactions: 2,
        care_on_time: 0,
        care_late: 1,
        promises_kept: 0,
        promises_late: 0,
        promises_broken: 2,
        acknowledged: 1,
        ack_hours_median: Some(1.0),
        closed: 1,
        close_days_median: Some(2.0),
        deals_won: 0,
        won_value: Money(0),
        ack_level: lvl(1, 0),
        close_level: lvl(1, 0),
        promise_level: lvl(0, 3),
    };
    assert_eq!(row(&v.agents, "bob"), &bob);
    assert_eq!(bob.promises_kept_rate(), Some(0.0), "two broken: a true 0%");
    assert_eq!(bob.promise_level.share(), Some(0.0));

    // No events at all: every rate and time is "–", counts are 0.
    let cy = row(&v.agents, "cy");
    assert_eq!(cy, &Figures::default());
    assert_eq!(cy.promises_kept_rate(), None);
    assert_eq!(cy.care_on_time_rate(), None);
    for target in Target::ALL {
        assert_eq!(cy.level(target).share(), None);
    }
    for c in [Column::PromisesKept, Column::AckHours, Column::CloseDays, Column::AckLevel, Column::PromiseLevel] {
        assert_eq!(c.value(cy), None, "{c:?}");
    }
}

#[test]
fn overall_includes_unassigned_events() {
    let dir = tempfile::tempdir().unwrap();
    let v = view(&hand_built(&dir), &Targets::default());
    let all = Figures {
        interactions: 5,
        care_on_time: 3,
        care_late: 2,
        promises_kept: 1,
        promises_late: 3,
        promises_broken: 2,
        acknowledged: 3,
        ack_hours_median: Some(1.5),
        closed: 3,
        close_days_median: Some(4.0),
        deals_won: 2,
        won_value: Money(110_000),
        ack_level: lvl(2, 1),
        close_level: lvl(2, 2),
        promise_level: lvl(2, 4),
    };
    assert_eq!(v.overall, all);
    assert_eq!(v.overall.promises_kept_rate(), Some(1.0 / 6.0));
}

#[test]
fn teams_recompute_medians_and_rates_over_their_members() {
    let dir = tempfile::tempdir().unwrap();
    let v = view(&hand_built(&dir), &Targets::default());
    assert_eq!(v.teams.iter().map(|r| r.name.as_str()).collect::<Vec<_>>(), ["North", "South"]);
    assert_eq!(v.teams[0].members, ["ann", "bob"]);
    let north = Figures {
        interactions: 5,
        care_on_time: 2,
        care_late: 2,
        promises_kept: 1,
        promises_late: 3,
        promises_broken: 2,
        acknowledged: 3,
        // 1.5, 6 and 1 hours: the median of the three, not of the members' medians.
        ack_hours_median: Some(1.5),
        closed: 3,
        // 4, 7 and 2 days.
        close_days_median: Some(4.0),
        deals_won: 1,
        won_value: Money(100_000),
        ack_level: lvl(2, 1),
        close_level: lvl(2, 2),
        promise_level: lvl(2, 4),
    };
    assert_eq!(row(&v.teams, "North"), &north);
    assert_eq!(north.promises_kept_rate(), Some(1.0 / 6.0), "from the counts, not the mean of 25% and 0%");
    assert_eq!(row(&v.teams, "South"), &Figures::default());

    assert!(v.team_benchmarks.iter().all(|b| b.leaders == ["North"]), "{:?}", v.team_benchmarks);
    assert!(!v.team_benchmarks.iter().any(|b| b.column == Column::CareLate));
}

#[test]
fn each_column_has_its_benchmark() {
    let dir = tempfile::tempdir().unwrap();
    let v = view(&hand_built(&dir), &Targets::default());
    let b = &v.agent_benchmarks;
    for (column, leader) in [
        (Column::Interactions, "ann"),
        (Column::CareOnTime, "ann"),
        (Column::PromisesKept, "ann"),
        (Column::AckHours, "bob"),
        (Column::CloseDays, "bob"),
        (Column::DealsWon, "ann"),
        (Column::WonValue, "ann"),
        (Column::AckLevel, "bob"),
        (Column::CloseLevel, "bob"),
        (Column::PromiseLevel, "ann"),
    ] {
        let bench = b.iter().find(|x| x.column == column).unwrap_or_else(|| panic!("{column:?} has no benchmark"));
        assert_eq!(bench.leaders, [leader], "{column:?}");
        assert!(leads(b, leader, column));
        assert!(!leads(b, "cy", column), "{column:?}: no events, no benchmark");
    }
    assert_eq!(b.iter().find(|x| x.column == Column::AckHours).unwrap().value, 1.0);
    assert_eq!(b.iter().find(|x| x.column == Column::PromisesKept).unwrap().value, 0.25);
    assert!(!b.iter().any(|x| x.column == Column::CareLate), "more late items is no benchmark");

    let mut rows = v.agents.clone();
    rapport::domain::team::sort_rows(&mut rows, Column::CloseDays, false);
    assert_eq!(rows.iter().map(|r| r.name.as_str()).collect::<Vec<_>>(), ["bob", "ann", "cy"]);
    rapport::domain::team::sort_rows(&mut rows, Column::Interactions, false);
    assert_eq!(rows.iter().map(|r| r.name.as_str()).collect::<Vec<_>>(), ["ann", "bob", "cy"]);
}

#[test]
fn the_items_that_missed_and_by_how_much() {
    let dir = tempfile::tempdir().unwrap();
    let v = view(&hand_built(&dir), &Targets::default());
    let got: Vec<(Target, i64, Option<&str>, MissState, TimeDelta)> =
        v.misses.iter().map(|m| (m.target, m.id, m.agent.as_deref(), m.state, m.by)).collect();
    assert_eq!(
        got,
        vec![
            // K4: acknowledged 6 h after opening, deadline 4 h.
            (Target::Ack, 4, Some("ann"), MissState::Late, hours(2, 0)),
            // K2: closed after 7 days, deadline 5.
            (Target::Close, 2, Some("ann"), MissState::Late, hours(48, 0)),
            // K4: still open, deadline 3-25 10:00, now 4-10 12:00.
            (Target::Close, 4, Some("ann"), MissState::Open, hours(16 * 24 + 2, 0)),
            // P3: kept 3-08 10:00, deadline 3-06 23:59:59.
            (Target::Promise, 3, Some("ann"), MissState::Late, hours(34, 1)),
            // P6: broken 3-11 10:00, deadline 3-10 23:59:59.
            (Target::Promise, 6, Some("bob"), MissState::Broken, hours(10, 1)),
            // P9: broken without a time: by now.
            (Target::Promise, 9, Some("bob"), MissState::Broken, hours(20 * 24 + 12, 1)),
            // P7: open, deadline 3-31 23:59:59.
            (Target::Promise, 7, Some("bob"), MissState::Open, hours(9 * 24 + 12, 1)),
        ]
    );
    let k4 = &v.misses[0];
    assert_eq!((k4.customer.as_str(), k4.customer_id), ("Acme", 1));
    assert_eq!(k4.deadline, at(3, 20, 14));
    assert_eq!(k4.done_at, Some(at(3, 20, 16)));
    assert_eq!(k4.by_hours(), 2.0);
}

#[test]
fn promises_judged_by_their_due_time_without_callback_on_date() {
    let dir = tempfile::tempdir().unwrap();
    let targets = Targets { callback_on_date: false, ..Targets::default() };
    let v = view(&hand_built(&dir), &targets);
    // P1 met; P2 (5 h late) and P3 missed. P5 stays in February.
    assert_eq!(row(&v.agents, "ann").promise_level, lvl(1, 2));
    let promise_misses: Vec<(i64, TimeDelta)> =
        v.misses.iter().filter(|m| m.target == Target::Promise).map(|m| (m.id, m.by)).collect();
    assert_eq!(
        promise_misses,
        vec![
            (2, hours(5, 0)),
            (3, hours(48, 0)),
            (6, hours(24, 0)),
            (9, hours(21 * 24 + 2, 0)),
            (7, hours(9 * 24 + 18, 0))
        ]
    );
    // The kept rate does not depend on the target.
    assert_eq!(row(&v.agents, "ann").promises_kept_rate(), Some(0.25));
}

#[test]
fn tighter_targets_change_the_levels_not_the_figures() {
    let dir = tempfile::tempdir().unwrap();
    let loose = view(&hand_built(&dir), &Targets::default());
    let tight = view(
        &hand_built(&tempfile::tempdir().unwrap()),
        &Targets { ack_hours: 1, close_days: 2, ..Targets::default() },
    );
    // Acknowledge within 1 h: K5 (1 h, equal to the target) met; K2 (1.5 h) and
    // K4 (6 h) missed; K3's deadline is now 3-31 23:00, acknowledged 4-01 01:00.
    assert_eq!(tight.overall.ack_level, lvl(1, 3));
    // Close within 2 days: K5 (2 d) met; K2 and K4 (open) missed; K1's
    // deadline (2-28) and K3's (4-02) fall outside March.
    assert_eq!(tight.overall.close_level, lvl(1, 2));
    assert_eq!(tight.overall.ack_hours_median, loose.overall.ack_hours_median);
    assert_eq!(tight.overall.close_days_median, loose.overall.close_days_median);
}

#[test]
fn a_period_of_one_day_at_the_edge() {
    let dir = tempfile::tempdir().unwrap();
    let path = hand_built(&dir);
    let repo = Repo::open_existing(&path, "tester").unwrap();
    let last = Period::new(date(3, 31), date(3, 31)).unwrap();
    let inputs = repo.team_inputs(&last, &Targets::default()).unwrap();
    let v = team_view(last, now(), &Targets::default(), &teams(), &inputs);
    // ann's 23:59:59 interaction is in, the 4-01 00:00:00 one is not.
    assert_eq!(row(&v.agents, "ann").interactions, 1);
    // P7's deadline is on the 31st.
    assert_eq!(row(&v.agents, "bob").promise_level, lvl(0, 1));
    // K3 opened on the 31st, acknowledged on 4-01: not in this day.
    assert_eq!(row(&v.agents, "ann").acknowledged, 0);
    assert_eq!(v.overall.ack_level, lvl(0, 0));

    let first = Period::new(date(3, 1), date(3, 1)).unwrap();
    let inputs = repo.team_inputs(&first, &Targets::default()).unwrap();
    let v = team_view(first, now(), &Targets::default(), &teams(), &inputs);
    assert_eq!(row(&v.agents, "ann").interactions, 1);
    assert_eq!((row(&v.agents, "bob").care_on_time, row(&v.agents, "bob").care_late), (0, 1));

    let april = Period::new(date(4, 1), date(4, 30)).unwrap();
    let inputs = repo.team_inputs(&april, &Targets::default()).unwrap();
    let v = team_view(april, now(), &Targets::default(), &teams(), &inputs);
    // K3: acknowledged 4-01 01:00 (3 h after opening), deadline 4-01 02:00: met;
    // close deadline 4-05 22:00 passed at "now" with K3 still open.
    assert_eq!(row(&v.agents, "ann").ack_hours_median, Some(3.0));
    assert_eq!(row(&v.agents, "ann").ack_level, lvl(1, 0));
    assert_eq!(row(&v.agents, "ann").close_level, lvl(0, 1));
    // D5 won on 4-01 00:00.
    assert_eq!((row(&v.agents, "ann").deals_won, row(&v.agents, "ann").won_value), (1, Money(40_000)));
    // P8 is due 4-02 and still open: missed; R5 done 4-01 after its due time.
    assert_eq!(row(&v.agents, "bob").promise_level, lvl(0, 1));
    assert_eq!(row(&v.agents, "bob").care_late, 1);
}

// ---------------------------------------------------------------- competitors

#[test]
fn competitors_with_several_per_deal() {
    let dir = tempfile::tempdir().unwrap();
    let path = hand_built(&dir);
    let repo = Repo::open_existing(&path, "tester").unwrap();
    let deals = repo.competitor_deals(&march()).unwrap();
    // D4 closed before March; D7 names nobody; D9 only blanks.
    assert_eq!(deals.iter().map(|d| d.id).collect::<Vec<_>>(), [1, 2, 3, 5, 6, 8]);
    let c = competitors(&march(), &lost_reasons(), &deals);
    type Summary<'a> = (&'a str, u64, u64, u64, u64, Option<f64>, Money);
    let summary: Vec<Summary> =
        c.iter().map(|c| (c.name.as_str(), c.deals, c.open(), c.won, c.lost, c.win_rate(), c.value)).collect();
    assert_eq!(
        summary,
        vec![
            // D1 (won), D2 (lost), D5 (won after March: open then), D8 (lost).
            ("Acme CRM", 4, 1, 1, 2, Some(1.0 / 3.0), Money(100_000 + 50_000 + 40_000 + 5_000)),
            // D1 (won), D3 (open), D6 (lost on the period's last second).
            ("Salesfolk", 3, 1, 1, 1, Some(0.5), Money(100_000 + 20_000 + 25_000)),
            ("河马软件", 1, 1, 0, 0, None, Money(20_000)),
        ]
    );
    assert_eq!(c[0].deal_ids, [1, 2, 5, 8]);
    assert_eq!(c[1].deal_ids, [1, 3, 6]);
    assert_eq!(
        c[0].lost_reasons,
        vec![LostReason { reason: Some("Price".into()), count: 2, total: Money(55_000) }],
        "\"Price: too expensive\" and \"price\" are the configured Price"
    );
    assert_eq!(c[1].lost_reasons, vec![LostReason { reason: Some("Timing".into()), count: 1, total: Money(25_000) }]);
    assert!(c[2].lost_reasons.is_empty());

    assert_eq!(competitor_names("ACME crm,Acme CRM"), ["ACME crm"], "once per deal");

    // February: D1 (open then), D4 (won 2-20), D6 (open then).
    let feb = Period::new(date(2, 1), date(2, 28)).unwrap();
    let c = competitors(&feb, &lost_reasons(), &repo.competitor_deals(&feb).unwrap());
    let summary: Vec<(&str, u64, u64, u64)> = c.iter().map(|c| (c.name.as_str(), c.deals, c.won, c.lost)).collect();
    assert_eq!(summary, vec![("Salesfolk", 3, 1, 0), ("Acme CRM", 1, 0, 0)]);
}

// ---------------------------------------------------------------- the command

fn rapport(dir: &TempDir) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_rapport"));
    c.env("RAPPORT_CONFIG_DIR", dir.path()).env("TZ", "UTC").env_remove("RAPPORT_DB").env_remove("RAPPORT_CONFIG");
    c
}

fn report(dir: &TempDir, what: &str, db: &Path, extra: &[&str]) -> serde_json::Value {
    let out = rapport(dir).args(["report", what, "--format", "json"]).args(extra).arg("--db").arg(db).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

fn write_teams_config(dir: &TempDir) {
    std::fs::write(
        dir.path().join("config.toml"),
        "[team]\nack_target_hours = 4\nclose_target_days = 5\n\n[team.teams]\nNorth = [\"ann\", \"bob\"]\nSouth = [\"cy\"]\n",
    )
    .unwrap();
}

#[test]
fn report_team_on_the_hand_built_base() {
    let dir = tempfile::tempdir().unwrap();
    let db = hand_built(&dir);
    write_teams_config(&dir);
    let j = report(&dir, "team", &db, &["--from", "2025-03-01", "--to", "2025-03-31"]);
    assert_eq!((j["from"].as_str(), j["to"].as_str()), (Some("2025-03-01"), Some("2025-03-31")));
    let agents = j["agents"].as_array().unwrap();
    assert_eq!(agents.iter().map(|a| a["name"].as_str().unwrap()).collect::<Vec<_>>(), ["ann", "bob", "cy"]);
    let ann = &agents[0];
    assert_eq!(ann["interactions"], 3);
    assert_eq!(ann["promises_kept_rate"].as_f64(), Some(0.25));
    assert_eq!(ann["ack_hours_median"].as_f64(), Some(3.75));
    assert_eq!(ann["close_days_median"].as_f64(), Some(5.5));
    assert_eq!(ann["won_value"], 100_000);
    assert!(ann["benchmark"].as_array().unwrap().iter().any(|c| c == "interactions"));
    let cy = &agents[2];
    for key in ["promises_kept_rate", "ack_hours_median", "close_days_median", "care_on_time_rate"] {
        assert!(cy[key].is_null(), "{key}: {}", cy[key]);
    }
    assert_eq!(j["teams"][0]["name"], "North");
    assert_eq!(j["teams"][0]["members"], serde_json::json!(["ann", "bob"]));
    assert_eq!(j["teams"][0]["ack_hours_median"].as_f64(), Some(1.5));
    assert_eq!(j["overall"]["deals_won"], 2);
    let sl = &j["service_levels"];
    assert_eq!((sl["overall"]["ack"]["met"].as_u64(), sl["overall"]["ack"]["missed"].as_u64()), (Some(2), Some(1)));
    assert_eq!(sl["overall"]["promise"]["share"].as_f64(), Some(2.0 / 6.0));
    assert!(sl["agents"][2]["close"]["share"].is_null());
    // Every deadline is long past: the same misses as on 4-10, by other amounts for the open ones.
    let misses: Vec<(String, i64)> = j["misses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["target"].as_str().unwrap().to_string(), m["id"].as_i64().unwrap()))
        .collect();
    let expected =
        [("ack", 4), ("close", 2), ("close", 4), ("promise", 3), ("promise", 6), ("promise", 9), ("promise", 7)];
    assert_eq!(misses, expected.map(|(t, i)| (t.to_string(), i)));
    assert_eq!(j["misses"][0]["by_hours"].as_f64(), Some(2.0));
    assert_eq!(j["misses"][0]["state"], "late");

    // Sorted by a column, best first.
    let j = report(&dir, "team", &db, &["--from", "2025-03-01", "--to", "2025-03-31", "--sort", "ack_hours_median"]);
    let names: Vec<&str> = j["agents"].as_array().unwrap().iter().map(|a| a["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["bob", "ann", "cy"]);

    let out = rapport(&dir)
        .args(["report", "team", "--from", "2025-03-01", "--to", "2025-03-31", "--db"])
        .arg(&db)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    for needle in ["agents", "teams", "service levels", "missed", "North", "3*", "25.0%*", "(2/3)", "#4"] {
        assert!(text.contains(needle), "{needle} missing in\n{text}");
    }
}

#[test]
fn report_competitors_on_the_hand_built_base() {
    let dir = tempfile::tempdir().unwrap();
    let db = hand_built(&dir);
    let j = report(&dir, "competitors", &db, &["--from", "2025-03-01", "--to", "2025-03-31"]);
    let c = &j["competitors"][0];
    assert_eq!(c["name"], "Acme CRM");
    assert_eq!((c["deals"].as_u64(), c["won"].as_u64(), c["lost"].as_u64()), (Some(4), Some(1), Some(2)));
    assert_eq!(c["value"], 195_000);
    assert_eq!(c["lost_reasons"][0]["reason"], "Price");
    assert!(j["competitors"][2]["win_rate"].is_null());
    let deal_ids: Vec<i64> = j["deals"].as_array().unwrap().iter().map(|d| d["id"].as_i64().unwrap()).collect();
    assert_eq!(deal_ids, [1, 2, 3, 5, 6, 8]);

    let out = rapport(&dir)
        .args(["report", "competitors", "--from", "2025-03-01", "--to", "2025-03-31", "--db"])
        .arg(&db)
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("Price (2)"), "{text}");
    assert!(text.contains("河马软件"), "{text}");
}

#[test]
fn bad_arguments_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let db = hand_built(&dir);
    for (what, args) in [
        ("team", &["--from", "2025-04-01", "--to", "2025-03-01"][..]),
        ("team", &["--sort", "speed"]),
        ("competitors", &["--to", "2025-02-30"]),
    ] {
        let out = rapport(&dir).args(["report", what]).args(args).arg("--db").arg(&db).output().unwrap();
        assert!(!out.status.success(), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!err.contains("panicked"), "{err}");
        assert!(out.stdout.is_empty());
    }
    // An invalid [team] section is reported with its field.
    std::fs::write(dir.path().join("config.toml"), "[team]\nack_target_hours = 0\n").unwrap();
    let out = rapport(&dir).args(["report", "team", "--db"]).arg(&db).output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("team.ack_target_hours"));
}

#[test]
fn report_team_on_a_demo_base() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.db");
    rapport(&dir).args(["demo", "--customers", "120", "--db"]).arg(&db).assert().success();
    let j = report(&dir, "team", &db, &[]);
    for key in ["from", "to", "now", "targets", "agents", "teams", "overall", "benchmarks", "service_levels", "misses"]
    {
        assert!(j.get(key).is_some(), "{key} missing");
    }
    let from = NaiveDate::parse_from_str(j["from"].as_str().unwrap(), "%Y-%m-%d").unwrap();
    let to = NaiveDate::parse_from_str(j["to"].as_str().unwrap(), "%Y-%m-%d").unwrap();
    assert_eq!(chrono::Datelike::day(&from), 1, "this month by default");
    assert_eq!(
        (chrono::Datelike::month(&from), chrono::Datelike::year(&from)),
        (chrono::Datelike::month(&to), chrono::Datelike::year(&to))
    );

    // A wider period so the demo's history shows; the per-agent interaction
    // counts add up to the interactions logged in it.
    let period = Period::new(to - chrono::Days::new(89), to).unwrap();
    let (f, t) = (period.from().to_string(), period.to().to_string());
    let j = report(&dir, "team", &db, &["--from", &f, "--to", &t]);
    let repo = Repo::open_existing(&db, "tester").unwrap();
    let mut expected: HashMap<String, u64> = HashMap::new();
    repo.each_interaction::<RepoError>(|i| {
        if period.contains(i.occurred_at) {
            *expected.entry(i.agent).or_default() += 1;
        }
        Ok(())
    })
    .unwrap();
    let per_agent: HashMap<String, u64> = j["agents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| (a["name"].as_str().unwrap().to_string(), a["interactions"].as_u64().unwrap()))
        .filter(|(_, n)| *n > 0)
        .collect();
    assert_eq!(per_agent, expected);
    let total: u64 = expected.values().sum();
    assert!(total > 0, "the demo logs interactions in the last 90 days");
    assert_eq!(j["overall"]["interactions"].as_u64(), Some(total));

    // Every rate is a fraction or null; every benchmark names an agent row.
    let names: Vec<&str> = j["agents"].as_array().unwrap().iter().map(|a| a["name"].as_str().unwrap()).collect();
    for a in j["agents"].as_array().unwrap() {
        for key in ["promises_kept_rate", "care_on_time_rate"] {
            let r = &a[key];
            assert!(r.is_null() || (0.0..=1.0).contains(&r.as_f64().unwrap()), "{key}: {r}");
        }
    }
    for b in j["benchmarks"]["agents"].as_array().unwrap() {
        for l in b["leaders"].as_array().unwrap() {
            assert!(names.contains(&l.as_str().unwrap()), "{l}");
        }
    }
    for m in j["misses"].as_array().unwrap() {
        assert!(m["by_hours"].as_f64().unwrap() >= 0.0);
    }

    let c = report(&dir, "competitors", &db, &["--from", &f, "--to", &t]);
    assert!(c.get("competitors").is_some() && c.get("deals").is_some());
    for x in c["competitors"].as_array().unwrap() {
        let (deals, won, lost, open) = (
            x["deals"].as_u64().unwrap(),
            x["won"].as_u64().unwrap(),
            x["lost"].as_u64().unwrap(),
            x["open"].as_u64().unwrap(),
        );
        assert_eq!(won + lost + open, deals);
        assert_eq!(x["deal_ids"].as_array().unwrap().len() as u64, deals);
    }

    let out = rapport(&dir).args(["report", "team", "--db"]).arg(&db).output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    for heading in ["agents", "teams", "service levels", "missed"] {
        assert!(text.contains(heading), "{heading} missing");
    }
}
