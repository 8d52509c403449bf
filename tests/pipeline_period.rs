//! The pipeline analysis's period: each choice of the view (last 30 days,
//! last 90 days, this quarter, this year, a typed range) computed through
//! the view's own loader on a real base, with figures that differ from one
//! period to the next; and `rapport report pipeline --from/--to` giving the
//! same figures for the same days.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use tempfile::TempDir;

use rapport::config::Config;
use rapport::domain::forecast::{Analysis, CycleTime, DEFAULT_DAYS, Period, PeriodChoice, WinRate};
use rapport::domain::model::{CustomerKind, DealStatus, NewCustomer, NewDeal};
use rapport::domain::money::Money;
use rapport::domain::pipeline::Stage;
use rapport::panes::Env;
use rapport::panes::pipeline_analysis;
use rapport::repo::Repo;

fn at(y: i32, m: u32, d: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, 10, 0, 0).unwrap()
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

/// The view's clock: 2025-08-14 10:00 UTC (third quarter).
fn now() -> DateTime<Utc> {
    at(2025, 8, 14)
}

fn stages(config: &Config) -> Vec<Stage> {
    config.pipeline.stages.iter().map(|s| Stage { name: s.name.clone(), probability_pct: s.probability_pct }).collect()
}

/// | deal | history                                         | closed in                    |
/// |------|-------------------------------------------------|------------------------------|
/// | A    | Lead 2025-01-10, Qualified 02-01, Won 04-20     | the year, April              |
/// | B    | Lead 06-01, Lost 07-05 "Price"                  | 90 days, quarter, year       |
/// | C    | Qualified 07-20, Proposal 08-01, Won 08-10      | 30 and 90 days, quarter, year|
/// | D    | Lead 2024-12-01, Lost 2025-01-02 "Timing"       | the year                     |
fn base(dir: &TempDir) -> PathBuf {
    let path = dir.path().join("period.db");
    let mut repo = Repo::open(&path, "tester").unwrap();
    type Moves<'a> = &'a [(&'a str, Option<&'a str>, DateTime<Utc>)];
    let deals: [(&str, i64, &str, DateTime<Utc>, Moves); 4] = [
        ("A", 10_000, "Lead", at(2025, 1, 10), &[("Qualified", None, at(2025, 2, 1)), ("Won", None, at(2025, 4, 20))]),
        ("B", 20_000, "Lead", at(2025, 6, 1), &[("Lost", Some("Price"), at(2025, 7, 5))]),
        (
            "C",
            30_000,
            "Qualified",
            at(2025, 7, 20),
            &[("Proposal", None, at(2025, 8, 1)), ("Won", Some("Fit"), at(2025, 8, 10))],
        ),
        ("D", 40_000, "Lead", at(2024, 12, 1), &[("Lost", Some("Timing"), at(2025, 1, 2))]),
    ];
    repo.batch(|b| {
        let c = b.customer(&NewCustomer::named(CustomerKind::Enterprise, "Acme"))?;
        for (title, amount, stage, created, moves) in deals {
            let id = b.deal(&NewDeal {
                customer_id: c,
                title: title.into(),
                amount: Money(amount),
                stage: stage.into(),
                probability_pct: None,
                expected_close: None,
                competitors: None,
                owner: None,
                next_step: None,
                created_at: created,
            })?;
            for (i, (to, reason, when)) in moves.iter().enumerate() {
                let status = match *to {
                    "Won" => DealStatus::Won,
                    "Lost" => DealStatus::Lost,
                    _ => DealStatus::Open,
                };
                b.move_deal(id, 1 + i as i64, to, status, *reason, *when)?;
            }
        }
        Ok(())
    })
    .unwrap();
    path
}

/// The analysis exactly as the view computes it for `choice`.
fn view_analysis(path: &Path, choice: PeriodChoice) -> Analysis {
    // SAFETY: every test here sets the same value.
    unsafe { std::env::set_var("TZ", "UTC") };
    let config = Config::default();
    let mut repo = Repo::open(path, "tester").unwrap();
    let env = Env { repo: &mut repo, config: &config, now: now() };
    pipeline_analysis::load(&env, &stages(&config), choice).unwrap()
}

/// (period, win rate, cycle, deals entering Lead, lost reasons by name).
type Figures = (Period, WinRate, CycleTime, u64, Vec<(Option<String>, u64)>);

fn figures(a: &Analysis) -> Figures {
    let lost = a.lost_reasons.iter().map(|r| (r.reason.clone(), r.count)).collect();
    (a.period, a.win_rate, a.cycle, a.conversions[0].entered, lost)
}

fn period(from: NaiveDate, to: NaiveDate) -> Period {
    Period::new(from, to).unwrap()
}

#[test]
fn each_period_gives_its_own_figures() {
    let dir = tempfile::tempdir().unwrap();
    let db = base(&dir);
    let today = date(2025, 8, 14);
    let got = |c| figures(&view_analysis(&db, c));
    let reason = |r: &str, n| (Some(r.to_string()), n);
    // 2025-07-16 ..= 08-14: only C, won after 21 days.
    assert_eq!(
        got(PeriodChoice::Last30),
        (
            period(date(2025, 7, 16), today),
            WinRate { won: 1, lost: 0 },
            CycleTime { won: 1, avg_days: Some(21.0) },
            0,
            vec![]
        )
    );
    // 05-17 ..= 08-14: B (created in Lead, lost) and C.
    assert_eq!(
        got(PeriodChoice::Last90),
        (
            period(date(2025, 5, 17), today),
            WinRate { won: 1, lost: 1 },
            CycleTime { won: 1, avg_days: Some(21.0) },
            1,
            vec![reason("Price", 1)]
        )
    );
    // 07-01 ..= 08-14: B's loss and C, but B entered Lead in June.
    assert_eq!(
        got(PeriodChoice::ThisQuarter),
        (
            period(date(2025, 7, 1), today),
            WinRate { won: 1, lost: 1 },
            CycleTime { won: 1, avg_days: Some(21.0) },
            0,
            vec![reason("Price", 1)]
        )
    );
    // 01-01 ..= 08-14: all four closings; A took 100 days, C 21.
    assert_eq!(
        got(PeriodChoice::ThisYear),
        (
            period(date(2025, 1, 1), today),
            WinRate { won: 2, lost: 2 },
            CycleTime { won: 2, avg_days: Some(60.5) },
            2,
            // Equal counts: the larger amount (D's 400.00) first.
            vec![reason("Timing", 1), reason("Price", 1)]
        )
    );
    // April, typed: A's win alone.
    let april = Period::parse_range("2025-04-01..2025-04-30").unwrap();
    assert_eq!(
        got(PeriodChoice::Range(april)),
        (april, WinRate { won: 1, lost: 0 }, CycleTime { won: 1, avg_days: Some(100.0) }, 0, vec![])
    );
}

// ---------------------------------------------------------------- the command

fn report(dir: &TempDir, db: &Path, extra: &[&str]) -> serde_json::Value {
    let out = Command::new(env!("CARGO_BIN_EXE_rapport"))
        .env("RAPPORT_CONFIG_DIR", dir.path())
        .env("TZ", "UTC")
        .env_remove("RAPPORT_DB")
        .args(["report", "pipeline", "--format", "json"])
        .args(extra)
        .arg("--db")
        .arg(db)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The period figures of the report's JSON, in the shape of [`figures`].
fn report_figures(j: &serde_json::Value) -> Figures {
    let d = |k: &str| NaiveDate::parse_from_str(j[k].as_str().unwrap(), "%Y-%m-%d").unwrap();
    let lost = j["lost_reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["reason"].as_str().map(String::from), r["count"].as_u64().unwrap()))
        .collect();
    (
        period(d("from"), d("to")),
        WinRate { won: j["win_rate"]["won"].as_u64().unwrap(), lost: j["win_rate"]["lost"].as_u64().unwrap() },
        CycleTime { won: j["cycle"]["won"].as_u64().unwrap(), avg_days: j["cycle"]["avg_days"].as_f64() },
        j["conversion"][0]["entered"].as_u64().unwrap(),
        lost,
    )
}

#[test]
fn the_report_and_the_view_agree_on_every_period() {
    let dir = tempfile::tempdir().unwrap();
    let db = base(&dir);
    let today = date(2025, 8, 14);
    for choice in [
        PeriodChoice::Last30,
        PeriodChoice::Last90,
        PeriodChoice::ThisQuarter,
        PeriodChoice::ThisYear,
        PeriodChoice::Range(period(date(2025, 4, 1), date(2025, 4, 30))),
    ] {
        let p = choice.period(today);
        let (from, to) = (p.from().to_string(), p.to().to_string());
        let j = report(&dir, &db, &["--from", &from, "--to", &to]);
        let view = view_analysis(&db, choice);
        assert_eq!(report_figures(&j), figures(&view), "{choice:?}");
        // Every conversion and stage time, not only the first.
        let conv: Vec<(u64, u64)> = j["conversion"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| (c["entered"].as_u64().unwrap(), c["advanced"].as_u64().unwrap()))
            .collect();
        assert_eq!(conv, view.conversions.iter().map(|c| (c.entered, c.advanced)).collect::<Vec<_>>(), "{choice:?}");
        let stays: Vec<u64> =
            j["stage_days"].as_array().unwrap().iter().map(|s| s["stays"].as_u64().unwrap()).collect();
        assert_eq!(stays, view.stage_times.iter().map(|t| t.stays).collect::<Vec<_>>(), "{choice:?}");
    }
    // Without --from, the report's period is the view's default one.
    let j = report(&dir, &db, &["--to", "2025-08-14"]);
    assert_eq!(PeriodChoice::default(), PeriodChoice::Last90);
    assert_eq!(report_figures(&j).0, Period::last_days(today, DEFAULT_DAYS));
    assert_eq!(report_figures(&j), figures(&view_analysis(&db, PeriodChoice::default())));
}
