//! The pipeline analysis end to end: hand-built stage histories in a real
//! base, every figure worked out by hand below, then `rapport report
//! pipeline` on the same base and on a demo base.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use tempfile::TempDir;

use rapport::config::Config;
use rapport::domain::forecast::{
    self, Conversion, CycleTime, ForecastMonth, LostReason, Period, StageTime, WinRate, YearMonth,
};
use rapport::domain::model::{CustomerKind, DealStatus, NewCustomer, NewDeal};
use rapport::domain::money::Money;
use rapport::domain::pipeline::{Stage, StageTotals, stage_totals};
use rapport::repo::Repo;
use rapport::repo::batch::Batch;

// ---------------------------------------------------------------- helpers

/// 10:00 UTC on a day of 2025.
fn at(month: u32, day: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, month, day, 10, 0, 0).unwrap()
}

fn date(month: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, month, day).unwrap()
}

fn stages() -> Vec<Stage> {
    Config::default()
        .pipeline
        .stages
        .iter()
        .map(|s| Stage { name: s.name.clone(), probability_pct: s.probability_pct })
        .collect()
}

fn lost_reasons() -> Vec<String> {
    Config::default().pipeline.lost_reasons
}

fn march() -> Period {
    Period::new(date(3, 1), date(3, 31)).unwrap()
}

/// One deal: created in `stage` at `created`, then each move in turn.
struct D<'a> {
    title: &'a str,
    amount: i64,
    probability: Option<u8>,
    close: Option<NaiveDate>,
    stage: &'a str,
    created: DateTime<Utc>,
    moves: &'a [(&'a str, Option<&'a str>, DateTime<Utc>)],
}

fn add(b: &Batch, customer_id: i64, d: &D) -> rapport::repo::Result<i64> {
    let id = b.deal(&NewDeal {
        customer_id,
        title: d.title.into(),
        amount: Money(d.amount),
        stage: d.stage.into(),
        probability_pct: d.probability,
        expected_close: d.close,
        competitors: None,
        owner: None,
        next_step: None,
        created_at: d.created,
    })?;
    for (i, (to, reason, when)) in d.moves.iter().enumerate() {
        let status = match *to {
            "Won" => DealStatus::Won,
            "Lost" => DealStatus::Lost,
            _ => DealStatus::Open,
        };
        b.move_deal(id, 1 + i as i64, to, status, *reason, *when)?;
    }
    Ok(id)
}

/// The hand-built base. Ids are in the order below: A = 1 … M = 13.
///
/// | deal | history                                                     | now                         |
/// |------|-------------------------------------------------------------|-----------------------------|
/// | A    | Lead 3-02, Qualified 3-05, Proposal 3-10                    | open, 100.01, close 4-15    |
/// | B    | Lead 3-03, Proposal 3-08 (skips Qualified), Won 3-20        | won                         |
/// | C    | Lead 2-10, Qualified 3-04, Lost 3-15 "Price: too expensive" | lost                        |
/// | D    | Lead 1-05, Lost 2-20 "Price"                                | lost before the period      |
/// | E    | Qualified 3-06, Lost 3-16 "price"                           | lost                        |
/// | F    | Lead 3-07, Lost 3-09 "Went quiet: no reply"                 | lost                        |
/// | G    | Negotiation 2-01, Won 3-25                                  | won                         |
/// | H    | Proposal 3-12, Negotiation 4-03                             | open, 333.33 at 33%, 4-30   |
/// | I    | Lead 1-10                                                   | open, 150.05, close 2-10    |
/// | J    | Qualified 1-10                                              | open, 200.00, no date       |
/// | K    | Lead 1-10                                                   | open, 70.00 at 0%, no date  |
/// | L, M | Lead 1-10                                                   | open, 0.05 each, close 5-01 |
fn hand_built(dir: &TempDir) -> PathBuf {
    let path = dir.path().join("hand.db");
    let mut repo = Repo::open(&path, "tester").unwrap();
    repo.batch(|b| {
        let c = b.customer(&NewCustomer::named(CustomerKind::Enterprise, "Acme"))?;
        let none = None;
        let deals = [
            D {
                title: "A",
                amount: 10_001,
                probability: None,
                close: Some(date(4, 15)),
                stage: "Lead",
                created: at(3, 2),
                moves: &[("Qualified", none, at(3, 5)), ("Proposal", none, at(3, 10))],
            },
            D {
                title: "B",
                amount: 50_000,
                probability: None,
                close: Some(date(3, 20)),
                stage: "Lead",
                created: at(3, 3),
                moves: &[("Proposal", none, at(3, 8)), ("Won", Some("Best value"), at(3, 20))],
            },
            D {
                title: "C",
                amount: 40_000,
                probability: None,
                close: None,
                stage: "Lead",
                created: at(2, 10),
                moves: &[("Qualified", none, at(3, 4)), ("Lost", Some("Price: too expensive"), at(3, 15))],
            },
            D {
                title: "D",
                amount: 99_900,
                probability: None,
                close: None,
                stage: "Lead",
                created: at(1, 5),
                moves: &[("Lost", Some("Price"), at(2, 20))],
            },
            D {
                title: "E",
                amount: 20_000,
                probability: None,
                close: None,
                stage: "Qualified",
                created: at(3, 6),
                moves: &[("Lost", Some("price"), at(3, 16))],
            },
            D {
                title: "F",
                amount: 70_000,
                probability: None,
                close: None,
                stage: "Lead",
                created: at(3, 7),
                moves: &[("Lost", Some("Went quiet: no reply"), at(3, 9))],
            },
            D {
                title: "G",
                amount: 80_000,
                probability: None,
                close: None,
                stage: "Negotiation",
                created: at(2, 1),
                moves: &[("Won", none, at(3, 25))],
            },
            D {
                title: "H",
                amount: 33_333,
                probability: Some(33),
                close: Some(date(4, 30)),
                stage: "Proposal",
                created: at(3, 12),
                moves: &[("Negotiation", none, at(4, 3))],
            },
            D {
                title: "I",
                amount: 15_005,
                probability: None,
                close: Some(date(2, 10)),
                stage: "Lead",
                created: at(1, 10),
                moves: &[],
            },
            D {
                title: "J",
                amount: 20_000,
                probability: None,
                close: None,
                stage: "Qualified",
                created: at(1, 10),
                moves: &[],
            },
            D {
                title: "K",
                amount: 7_000,
                probability: Some(0),
                close: None,
                stage: "Lead",
                created: at(1, 10),
                moves: &[],
            },
            D {
                title: "L",
                amount: 5,
                probability: None,
                close: Some(date(5, 1)),
                stage: "Lead",
                created: at(1, 10),
                moves: &[],
            },
            D {
                title: "M",
                amount: 5,
                probability: None,
                close: Some(date(5, 1)),
                stage: "Lead",
                created: at(1, 10),
                moves: &[],
            },
        ];
        for d in &deals {
            add(b, c, d)?;
        }
        Ok(())
    })
    .unwrap();
    path
}

fn days(d: f64) -> Option<f64> {
    Some(d)
}

fn close_to(a: Option<f64>, b: Option<f64>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => (a - b).abs() < 1e-9,
        (None, None) => true,
        _ => false,
    }
}

fn conv(from: &str, to: &str, entered: u64, advanced: u64) -> Conversion {
    Conversion { from: from.into(), to: to.into(), entered, advanced }
}

// ---------------------------------------------------------------- the repository's window

#[test]
fn histories_are_the_deals_active_in_the_period_with_their_whole_history() {
    let dir = tempfile::tempdir().unwrap();
    let repo = Repo::open(&hand_built(&dir), "tester").unwrap();
    let h = repo.deal_histories(&march()).unwrap();
    // A, B, C, E, F, G, H moved in March; D closed in February; I–M did
    // nothing since January.
    assert_eq!(h.iter().map(|d| d.id).collect::<Vec<_>>(), [1, 2, 3, 5, 6, 7, 8]);
    let c = &h[2];
    assert_eq!(c.moves.len(), 3, "the February creation row is there too");
    assert_eq!(c.moves[0].at, at(2, 10));
    assert_eq!(c.status, DealStatus::Lost);
    assert_eq!(c.close_reason.as_deref(), Some("Price: too expensive"));
    assert_eq!(c.closed_at, Some(at(3, 15)));
    let hh = &h[6];
    assert_eq!(hh.moves.last().unwrap().at, at(4, 3), "rows after the period are there too");
    assert_eq!(hh.closed_at, None);

    let open = repo.open_deals_for_forecast().unwrap();
    assert_eq!(open.iter().map(|d| d.id).collect::<Vec<_>>(), [1, 8, 9, 10, 11, 12, 13]);
    assert_eq!(open[1].stage, "Negotiation");
    assert_eq!(open[1].probability_pct, Some(33));
    assert_eq!(open[3].expected_close, None);
}

// ---------------------------------------------------------------- the figures, by hand

#[test]
fn conversion_with_skips_and_deals_that_entered_before_the_period() {
    let dir = tempfile::tempdir().unwrap();
    let repo = Repo::open(&hand_built(&dir), "tester").unwrap();
    let h = repo.deal_histories(&march()).unwrap();
    let c = forecast::conversions(&stages(), &h, &march());
    assert_eq!(
        c,
        [
            // Entered Lead in March: A, B, F (C entered in February). A
            // reached Qualified, B skipped to Proposal: both advanced.
            conv("Lead", "Qualified", 3, 2),
            // A, C, E entered Qualified; only A went on.
            conv("Qualified", "Proposal", 3, 1),
            // A, B, H entered Proposal; B was won, H reached Negotiation in
            // April (after the period, still counts).
            conv("Proposal", "Negotiation", 3, 2),
            // G entered Negotiation in February, H in April: nobody in March.
            conv("Negotiation", "Won", 0, 0),
        ]
    );
    assert_eq!(c[0].rate(), Some(2.0 / 3.0));
    assert_eq!(c[1].rate(), Some(1.0 / 3.0));
    assert_eq!(c[3].rate(), None);
}

#[test]
fn win_rate_cycle_time_and_days_per_stage() {
    let dir = tempfile::tempdir().unwrap();
    let repo = Repo::open(&hand_built(&dir), "tester").unwrap();
    let h = repo.deal_histories(&march()).unwrap();
    // Won in March: B, G; lost: C, E, F (D was lost in February).
    let w = forecast::win_rate(&h, &march());
    assert_eq!(w, WinRate { won: 2, lost: 3 });
    assert_eq!(w.rate(), Some(0.4));
    // B: 3-03 → 3-20 = 17 days; G: 2-01 → 3-25 = 27 + 25 = 52 days.
    let cy = forecast::cycle_time(&h, &march());
    assert_eq!(cy, CycleTime { won: 2, avg_days: days(34.5) });

    let t = forecast::stage_times(&stages(), &h, &march());
    let expect = [
        // A 3, B 5, C 22 (2-10 → 3-04), F 2.
        StageTime { stage: "Lead".into(), stays: 4, avg_days: days(32.0 / 4.0) },
        // A 5, C 11, E 10.
        StageTime { stage: "Qualified".into(), stays: 3, avg_days: days(26.0 / 3.0) },
        // B 12; A is still there; H left in April.
        StageTime { stage: "Proposal".into(), stays: 1, avg_days: days(12.0) },
        // G 52 (its stay started before the period).
        StageTime { stage: "Negotiation".into(), stays: 1, avg_days: days(52.0) },
    ];
    for (got, want) in t.iter().zip(&expect) {
        assert_eq!((&got.stage, got.stays), (&want.stage, want.stays));
        assert!(close_to(got.avg_days, want.avg_days), "{got:?} vs {want:?}");
    }
}

#[test]
fn a_period_without_closed_deals_has_no_win_rate() {
    let dir = tempfile::tempdir().unwrap();
    let repo = Repo::open(&hand_built(&dir), "tester").unwrap();
    let april = Period::new(date(4, 1), date(4, 30)).unwrap();
    let h = repo.deal_histories(&april).unwrap();
    assert_eq!(h.iter().map(|d| d.id).collect::<Vec<_>>(), [8]);
    let w = forecast::win_rate(&h, &april);
    assert_eq!((w.won, w.lost, w.rate()), (0, 0, None));
    assert_eq!(forecast::cycle_time(&h, &april), CycleTime { won: 0, avg_days: None });
    assert!(forecast::lost_reasons(&h, &lost_reasons(), &april).is_empty());
    let c = forecast::conversions(&stages(), &h, &april);
    assert_eq!(c[3], conv("Negotiation", "Won", 1, 0));
    // H's Proposal stay (3-12 → 4-03, 22 days) ended in April.
    let t = forecast::stage_times(&stages(), &h, &april);
    assert_eq!((t[2].stays, t[2].avg_days), (1, days(22.0)));
}

#[test]
fn lost_reasons_are_grouped_by_their_listed_reason() {
    let dir = tempfile::tempdir().unwrap();
    let repo = Repo::open(&hand_built(&dir), "tester").unwrap();
    let h = repo.deal_histories(&march()).unwrap();
    let r = forecast::lost_reasons(&h, &lost_reasons(), &march());
    assert_eq!(
        r,
        [
            // C "Price: too expensive" and E "price"; D was lost in February.
            LostReason { reason: Some("Price".into()), count: 2, total: Money(60_000) },
            // Not in the list: the text before the colon.
            LostReason { reason: Some("Went quiet".into()), count: 1, total: Money(70_000) },
        ]
    );
}

#[test]
fn forecast_by_month_with_overrides_no_date_and_rounding() {
    let dir = tempfile::tempdir().unwrap();
    let mut repo = Repo::open(&hand_built(&dir), "tester").unwrap();
    let open = repo.open_deals_for_forecast().unwrap();
    let today = date(3, 31);
    let f = forecast::forecast_by_month(&stages(), &open, today);
    let month = |m| Some(YearMonth { year: 2025, month: m });
    assert_eq!(
        f,
        [
            // I: 150.05 × 10% = 15.005 → 15.01; overdue since 2-10.
            ForecastMonth { month: month(2), count: 1, total: Money(15_005), weighted: Money(1_501), overdue: 1 },
            // A: 100.01 × 50% = 50.005 → 50.01; H: 333.33 × 33% (its own,
            // not Negotiation's 75%) = 109.9989 → 110.00.
            ForecastMonth { month: month(4), count: 2, total: Money(43_334), weighted: Money(16_001), overdue: 0 },
            // L and M: 0.05 × 10% = 0.005 → 0.01 each.
            ForecastMonth { month: month(5), count: 2, total: Money(10), weighted: Money(2), overdue: 0 },
            // J: 200 × 25% = 50; K: 70 × 0% (its own) = 0.
            ForecastMonth { month: None, count: 2, total: Money(27_000), weighted: Money(5_000), overdue: 0 },
        ]
    );

    // The per-stage figures are the board's: Lead rounds per group of equal
    // probability (I, L, M: 150.15 × 10% = 15.015 → 15.02; K: 0), one cent
    // less than the sum of the deals' own roundings (15.01 + 0.01 + 0.01).
    let figures = forecast::stage_figures(&stages(), &open);
    assert_eq!(
        figures,
        [
            StageTotals { count: 4, total: Money(22_015), weighted: Money(1_502) },
            StageTotals { count: 1, total: Money(20_000), weighted: Money(5_000) },
            StageTotals { count: 1, total: Money(10_001), weighted: Money(5_001) },
            StageTotals { count: 1, total: Money(33_333), weighted: Money(11_000) },
        ]
    );
    assert_eq!(figures, stage_totals(&stages(), &repo.open_deal_groups().unwrap()));

    // Moving a deal changes the forecast's weight, not its month.
    let a = repo.deal(1).unwrap();
    repo.move_deal(1, a.version, "Negotiation", DealStatus::Open, None).unwrap();
    let f = forecast::forecast_by_month(&stages(), &repo.open_deals_for_forecast().unwrap(), today);
    // A: 100.01 × 75% = 75.0075 → 75.01.
    assert_eq!(f[1].weighted, Money(7_501 + 11_000));
}

#[test]
fn the_whole_analysis_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let repo = Repo::open(&hand_built(&dir), "tester").unwrap();
    let a = forecast::analyse(
        &stages(),
        &lost_reasons(),
        march(),
        date(3, 31),
        &repo.deal_histories(&march()).unwrap(),
        &repo.open_deals_for_forecast().unwrap(),
    );
    assert_eq!((a.open_count, a.open_total, a.open_weighted), (7, Money(85_349), Money(22_504)));
    assert_eq!(a.win_rate, WinRate { won: 2, lost: 3 });
    assert_eq!(a.conversions.len(), 4);
    assert_eq!(a.lost_reasons.len(), 2);
}

// ---------------------------------------------------------------- the command

fn rapport(dir: &TempDir) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_rapport"));
    c.env("RAPPORT_CONFIG_DIR", dir.path()).env("TZ", "UTC").env_remove("RAPPORT_DB");
    c
}

fn report(dir: &TempDir, db: &Path, extra: &[&str]) -> serde_json::Value {
    let out =
        rapport(dir).args(["report", "pipeline", "--format", "json"]).args(extra).arg("--db").arg(db).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn report_on_the_hand_built_base() {
    let dir = tempfile::tempdir().unwrap();
    let db = hand_built(&dir);
    let j = report(&dir, &db, &["--from", "2025-03-01", "--to", "2025-03-31"]);
    assert_eq!((j["from"].as_str(), j["to"].as_str()), (Some("2025-03-01"), Some("2025-03-31")));
    let conv: Vec<(String, u64, u64, Option<f64>)> = j["conversion"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["from"].as_str().unwrap().to_string(),
                c["entered"].as_u64().unwrap(),
                c["advanced"].as_u64().unwrap(),
                c["rate"].as_f64(),
            )
        })
        .collect();
    assert_eq!(conv[0], ("Lead".to_string(), 3, 2, Some(2.0 / 3.0)));
    assert_eq!(conv[3], ("Negotiation".to_string(), 0, 0, None));
    assert!(j["conversion"][3]["rate"].is_null());
    assert_eq!(j["win_rate"]["rate"].as_f64(), Some(0.4));
    assert_eq!(j["cycle"]["avg_days"].as_f64(), Some(34.5));
    assert_eq!(j["lost_reasons"][0]["reason"], "Price");
    assert_eq!(j["lost_reasons"][0]["total"], 60_000);
    assert_eq!(j["stages"][0]["weighted"], 1_502);
    assert_eq!(j["open"]["total"], 85_349);
    let last = j["forecast"].as_array().unwrap().last().unwrap().clone();
    assert!(last["month"].is_null());
    assert_eq!(last["total"], 27_000);

    let text = rapport(&dir)
        .args(["report", "pipeline", "--from", "2025-04-01", "--to", "2025-04-30", "--db"])
        .arg(&db)
        .output()
        .unwrap();
    assert!(text.status.success());
    let text = String::from_utf8(text.stdout).unwrap();
    assert!(text.contains("win rate: – (0 won, 0 lost)"), "{text}");
    assert!(text.contains("Negotiation → Won"), "{text}");
    assert!(text.contains("no date"), "{text}");
}

#[test]
fn bad_dates_and_periods_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let db = hand_built(&dir);
    for args in [
        &["--from", "2025-02-30"][..],
        &["--to", "31/03/2025"],
        &["--from", "2025-04-01", "--to", "2025-03-01"],
        &["--format", "xml"],
    ] {
        let out = rapport(&dir).args(["report", "pipeline"]).args(args).arg("--db").arg(&db).output().unwrap();
        assert!(!out.status.success(), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!err.contains("panicked"), "{err}");
        assert!(err.contains("2025") || err.contains("xml"), "{args:?}: {err}");
        assert!(out.stdout.is_empty());
    }
}

#[test]
fn report_on_a_demo_base() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.db");
    rapport(&dir).args(["demo", "--customers", "150", "--db"]).arg(&db).assert().success();
    let j = report(&dir, &db, &[]);
    for key in [
        "from",
        "to",
        "today",
        "stages",
        "open",
        "forecast",
        "conversion",
        "win_rate",
        "stage_days",
        "cycle",
        "lost_reasons",
    ] {
        assert!(j.get(key).is_some(), "{key} missing");
    }
    let from = NaiveDate::parse_from_str(j["from"].as_str().unwrap(), "%Y-%m-%d").unwrap();
    let to = NaiveDate::parse_from_str(j["to"].as_str().unwrap(), "%Y-%m-%d").unwrap();
    assert_eq!((to - from).num_days(), 89, "the last 90 days by default");

    // Per-stage figures are the open deals per stage, as the library sees them.
    let repo = Repo::open_existing(&db, "tester").unwrap();
    let mut per_stage: HashMap<String, (u64, i64)> = HashMap::new();
    for g in repo.open_deal_groups().unwrap() {
        let e = per_stage.entry(g.stage.clone()).or_default();
        e.0 += g.count;
        e.1 += g.total.0;
    }
    let js = j["stages"].as_array().unwrap();
    assert_eq!(js.len(), stages().len());
    for (s, st) in js.iter().zip(stages()) {
        assert_eq!(s["stage"], st.name.as_str());
        let (count, total) = per_stage.get(&st.name).copied().unwrap_or_default();
        assert_eq!(s["count"].as_u64().unwrap(), count, "{}", st.name);
        assert_eq!(s["total"].as_i64().unwrap(), total, "{}", st.name);
        assert_eq!(
            s["count"].as_u64().unwrap() as usize,
            repo.open_deals_in_stage(&st.name, 0, 100_000).unwrap().len(),
            "{}",
            st.name
        );
    }
    assert!(per_stage.values().map(|v| v.0).sum::<u64>() > 0, "the demo has open deals");

    // The forecast covers the whole open pipeline.
    let months = j["forecast"].as_array().unwrap();
    let open_total: i64 = per_stage.values().map(|v| v.1).sum();
    let open_count: u64 = per_stage.values().map(|v| v.0).sum();
    assert_eq!(months.iter().map(|m| m["total"].as_i64().unwrap()).sum::<i64>(), open_total);
    assert_eq!(months.iter().map(|m| m["count"].as_u64().unwrap()).sum::<u64>(), open_count);
    assert_eq!(j["open"]["total"].as_i64().unwrap(), open_total);
    assert_eq!(
        months.iter().map(|m| m["weighted"].as_i64().unwrap()).sum::<i64>(),
        j["open"]["weighted"].as_i64().unwrap()
    );

    // Rates are fractions or null; the conversion table has one row per stage.
    let conv = j["conversion"].as_array().unwrap();
    assert_eq!(conv.len(), stages().len());
    assert_eq!(conv.last().unwrap()["to"], "Won");
    let rates = conv.iter().map(|c| &c["rate"]).chain([&j["win_rate"]["rate"]]);
    for r in rates {
        assert!(r.is_null() || (0.0..=1.0).contains(&r.as_f64().unwrap()), "{r}");
    }
    assert!(conv.iter().any(|c| c["entered"].as_u64().unwrap() > 0), "demo deals move in the last 90 days");
    let won = j["win_rate"]["won"].as_u64().unwrap();
    assert_eq!(j["cycle"]["won"].as_u64().unwrap(), won);
    let lost: u64 = j["lost_reasons"].as_array().unwrap().iter().map(|r| r["count"].as_u64().unwrap()).sum();
    assert_eq!(lost, j["win_rate"]["lost"].as_u64().unwrap());
    for r in j["lost_reasons"].as_array().unwrap() {
        let reason = r["reason"].as_str().unwrap();
        assert!(lost_reasons().iter().any(|l| l == reason), "{reason} is a configured reason");
    }

    // The text form has every section.
    let out = rapport(&dir).args(["report", "pipeline", "--db"]).arg(&db).output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    for heading in [
        "open deals by stage",
        "forecast by month",
        "conversion",
        "win rate",
        "cycle time",
        "days per stage",
        "lost reasons",
    ] {
        assert!(text.contains(heading), "{heading} missing:\n{text}");
    }
}
