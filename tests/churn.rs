//! The churn model end to end: the CDNOW sample imported as sales, fitted
//! through `rapport report churn`, reproduces the published BG/NBD
//! estimates (Fader, Hardie & Lee 2005); degenerate bases get a message,
//! never NaN; valuable customers at risk get a care reminder.

mod shared_data;

use std::collections::HashMap;
use std::path::PathBuf;

use chrono::{NaiveDate, TimeZone, Utc};
use rapport::config::Config;
use rapport::domain::model::{CustomerKind, NewCustomer, NewTransaction, TxKind};
use rapport::domain::money::Money;
use rapport::repo::Repo;

fn data_dir() -> Option<PathBuf> {
    shared_data::dir("cdnow")
}

fn rapport(dir: &tempfile::TempDir, db: &std::path::Path, args: &[&str]) -> std::process::Output {
    assert_cmd::Command::new(env!("CARGO_BIN_EXE_rapport"))
        .args(args)
        .arg("--db")
        .arg(db)
        .env("RAPPORT_CONFIG_DIR", dir.path())
        .env("TZ", "UTC")
        .output()
        .unwrap()
}

#[test]
fn cdnow_sample_reproduces_the_published_fit() {
    let Some(data) = data_dir() else { return };
    let text = std::fs::read_to_string(data.join("cdnow/CDNOW_sample.txt")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("cdnow.db");
    let mut repo = Repo::open(&db, "import").unwrap();
    let mut ids: HashMap<String, i64> = HashMap::new();
    repo.batch(|b| {
        // customer id, sample id, date YYYYMMDD, CDs, dollars
        for line in text.lines() {
            let f: Vec<&str> = line.split_whitespace().collect();
            if f.len() < 5 {
                continue;
            }
            let id = match ids.get(f[1]) {
                Some(id) => *id,
                None => {
                    let mut c = NewCustomer::named(CustomerKind::Individual, &format!("CDNOW {}", f[1]));
                    c.external_id = Some(format!("cdnow-sample-{}", f[1]));
                    let id = b.customer(&c)?;
                    ids.insert(f[1].to_string(), id);
                    id
                }
            };
            let day = NaiveDate::parse_from_str(f[2], "%Y%m%d").unwrap();
            b.transaction(&NewTransaction {
                customer_id: id,
                external_id: None,
                kind: TxKind::Sale,
                amount: Money::parse(f[4]).unwrap(),
                occurred_at: Utc.from_utc_datetime(&day.and_hms_opt(12, 0, 0).unwrap()),
                reference: None,
            })?;
        }
        Ok(())
    })
    .unwrap();
    assert_eq!(ids.len(), 2_357);
    drop(repo);

    let out = rapport(&dir, &db, &["report", "churn", "--format", "json", "--as-of", "1997-09-30", "--customers"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let j: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let p = &j["params"];
    for (name, published) in [("r", 0.243), ("alpha", 4.414), ("a", 0.793), ("b", 2.426)] {
        let got = p[name].as_f64().unwrap();
        assert!((got - published).abs() / published < 0.01, "{name}: {got} vs {published}");
    }
    let ll = j["log_likelihood"].as_f64().unwrap();
    assert!((ll - -9582.4).abs() < 0.5, "log-likelihood {ll}");
    assert_eq!(j["customers"], 2_357);
    let customers = j["per_customer"].as_array().unwrap();
    for c in customers {
        let p = c["p_alive"].as_f64().unwrap();
        assert!((0.0..=1.0).contains(&p), "{c}");
        assert!(c["expected_purchases"].as_f64().unwrap() >= 0.0, "{c}");
    }
    // Customer 1 of the sample (summary: x = 2, t_x = 30.43, T = 38.86).
    let first = customers.iter().find(|c| c["external_id"] == "cdnow-sample-0001").unwrap();
    assert_eq!(first["x"], 2.0);
    assert!((first["t_x"].as_f64().unwrap() - 30.43).abs() < 0.01);
    assert!((first["T"].as_f64().unwrap() - 38.86).abs() < 0.01);
    let stages: u64 = j["stages"].as_array().unwrap().iter().map(|s| s["customers"].as_u64().unwrap()).sum();
    assert_eq!(stages, 2_357);
}

#[test]
fn a_base_too_small_to_fit_says_so_and_flags_nobody() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("tiny.db");
    let mut repo = Repo::open(&db, "t").unwrap();
    let id = repo.create_customer(&NewCustomer::named(CustomerKind::Individual, "Only One")).unwrap();
    repo.create_transaction(&NewTransaction {
        customer_id: id,
        external_id: None,
        kind: TxKind::Sale,
        amount: Money(1_000),
        occurred_at: Utc::now(),
        reference: None,
    })
    .unwrap();
    drop(repo);
    let out = rapport(&dir, &db, &["report", "churn", "--format", "json", "--customers"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!text.to_lowercase().contains("nan"), "{text}");
    let j: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert!(j["params"].is_null());
    assert!(j["message"].as_str().unwrap().contains("at least"), "{j}");
    assert_eq!(j["at_risk"], 0);
    assert!(j["per_customer"][0]["p_alive"].is_null());
    let out = rapport(&dir, &db, &["report", "churn"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("not fitted:"));
}

#[test]
fn valuable_customers_at_risk_get_a_care_reminder_once() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.db");
    assert!(rapport(&dir, &db, &["demo", "--customers", "300"]).status.success());
    let mut repo = Repo::open(&db, "t").unwrap();
    let mut config = Config::default();
    // A high threshold so the demo base has valuable customers at risk.
    config.care.churn_threshold_pct = 95;
    let today = chrono::Local::now().date_naive();
    let c = rapport::services::churn::recompute(&mut repo, &config, today).unwrap();
    assert!(c.fit.is_ok(), "{:?}", c.fit);
    let at_risk: Vec<_> = c.customers.iter().filter(|x| x.at_risk).collect();
    assert!(!at_risk.is_empty());
    assert!(
        at_risk
            .iter()
            .all(|x| matches!(x.tier, rapport::domain::model::Tier::Top | rapport::domain::model::Tier::Growth))
    );
    let made = rapport::services::care::run_rules(&mut repo, &config, Utc::now()).unwrap();
    let churn: Vec<_> = made.iter().filter(|p| p.rule.code() == "churn_risk").collect();
    assert_eq!(churn.len(), at_risk.len());
    let again = rapport::services::care::run_rules(&mut repo, &config, Utc::now()).unwrap();
    assert!(again.iter().all(|p| p.rule.code() != "churn_risk"));
}

#[test]
fn win_back_lists_lost_customers_who_were_once_valuable_and_lists_filter_by_stage() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.db");
    assert!(rapport(&dir, &db, &["demo", "--customers", "300"]).status.success());
    let out = rapport(&dir, &db, &["report", "churn", "--format", "json"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let j: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let repo = Repo::open(&db, "t").unwrap();
    let valuable = repo.ever_valuable().unwrap();
    let lost = j["stages"].as_array().unwrap().iter().find(|s| s["stage"] == "lost").unwrap()["customers"].as_u64();
    let win_back = j["win_back"].as_array().unwrap();
    assert!(win_back.len() as u64 <= lost.unwrap());
    for w in win_back {
        let id = w["id"].as_i64().unwrap();
        assert_eq!(repo.churn_of(id).unwrap().lifecycle, "lost");
        assert!(valuable.contains(&id));
    }
    // Every lost customer once valuable is listed.
    let expected = repo
        .search_customers_in(
            &rapport::repo::customers::ListFilter {
                status: rapport::domain::model::CustomerStatus::Active,
                lifecycle: Some(rapport::domain::lifecycle::Stage::Lost),
            },
            "",
            0,
            10_000,
        )
        .unwrap();
    assert_eq!(expected.len() as u64, lost.unwrap(), "the lifecycle filter lists exactly the lost customers");
    let listed = expected.iter().filter(|c| valuable.contains(&c.id)).count();
    assert_eq!(listed, win_back.len());
}

/// A 400-customer demo base dated 2026-11-25, and that day.
fn demo_base() -> (tempfile::TempDir, Repo, NaiveDate) {
    let dir = tempfile::tempdir().unwrap();
    let mut repo = Repo::open(&dir.path().join("c.db"), "alice").unwrap();
    let today = NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
    rapport::demo::generate(
        &mut repo,
        &rapport::demo::DemoOptions { customers: 400, ..rapport::demo::DemoOptions::new(today) },
    )
    .unwrap();
    (dir, repo, today)
}

/// The app's daily job hands the pyramid it has just computed to the churn
/// recompute instead of computing it again: the stored figures are the same
/// as a recompute from scratch, customer by customer.
#[test]
fn the_daily_job_stores_the_same_churn_figures_as_a_recompute_from_scratch() {
    let (_dir, mut repo, today) = demo_base();
    let config = Config::default();
    let stored = |repo: &Repo| -> Vec<String> {
        let mut ids = Vec::new();
        repo.each_customer(|c| {
            ids.push(c.id);
            Ok::<_, rapport::repo::RepoError>(())
        })
        .unwrap();
        ids.iter().map(|id| format!("{:?}", repo.churn_of(*id).ok())).collect()
    };
    rapport::services::pyramid::recompute(&mut repo, &config, today).unwrap();
    let from_scratch = rapport::services::churn::recompute(&mut repo, &config, today).unwrap();
    assert!(from_scratch.customers.iter().any(|c| c.at_risk) || from_scratch.fit.is_ok());
    let want = stored(&repo);
    // Blank the stored figures, so that only the second path can restore them.
    {
        let conn = rusqlite::Connection::open(repo.path()).unwrap();
        conn.execute_batch(
            "UPDATE customers SET p_alive = NULL, expected_purchases = NULL, lifecycle = NULL, churn_risk = 0",
        )
        .unwrap();
    }
    assert_ne!(stored(&repo), want);
    let placed = rapport::services::pyramid::recompute(&mut repo, &config, today).unwrap();
    rapport::services::churn::recompute_with(&mut repo, &config, today, &placed).unwrap();
    assert_eq!(stored(&repo), want);
}

/// The churn figures as the model defines them, computed the long way round,
/// independently of `services::churn`: every customer's sale dates in full
/// (`Repo::purchase_days`), summarised with `bgnbd::summarise`, the two
/// contribution periods from `Repo::pyramid_inputs`, the tiers from a map of
/// the pyramid. (The computation the app did before it streamed the base.)
fn churn_the_long_way(
    repo: &Repo,
    config: &Config,
    as_of: NaiveDate,
    placed: &rapport::services::pyramid::Pyramid,
) -> rapport::services::churn::Churn {
    use rapport::domain::bgnbd;
    use rapport::domain::lifecycle::{LifecycleThresholds, StageInput, stage};
    use rapport::domain::model::Tier;
    use rapport::services::churn::{Churn, ChurnCustomer, UNIT_DAYS};

    let tiers: HashMap<i64, Tier> = placed.customers.iter().map(|c| (c.customer_id, c.tier)).collect();
    let days = repo.purchase_days(as_of).unwrap();
    let rfms: Vec<Option<bgnbd::Rfm>> = days.iter().map(|(_, d)| bgnbd::summarise(d, as_of, UNIT_DAYS)).collect();
    let data: Vec<bgnbd::Rfm> = rfms.iter().flatten().copied().collect();
    let fit = bgnbd::fit(&data);
    let periods: HashMap<i64, (i64, i64)> = repo
        .pyramid_inputs(as_of, config.pyramid.window_days)
        .unwrap()
        .into_iter()
        .map(|i| (i.value.customer_id, (i.value.recent.0, i.value.previous.0)))
        .collect();
    let l = &config.lifecycle;
    let t = LifecycleThresholds {
        new_days: l.new_days,
        lost_days: l.lost_days,
        lost_p_alive: l.lost_p_alive_pct as f64 / 100.0,
        declining_p_alive: l.declining_p_alive_pct as f64 / 100.0,
    };
    let customers = days
        .iter()
        .zip(rfms)
        .map(|((id, d), rfm)| {
            let (p, e) = match (&fit, rfm) {
                (Ok(f), Some(r)) => {
                    let p = bgnbd::p_alive(&f.params, &r);
                    let e = bgnbd::expected_purchases(&f.params, &r, l.horizon_weeks as f64);
                    (p.is_finite().then_some(p), e.is_finite().then_some(e))
                }
                _ => (None, None),
            };
            let (recent, previous) = periods.get(id).copied().unwrap_or_default();
            let stage = stage(
                &StageInput {
                    purchases: d.len(),
                    days_since_first: d.first().map(|f| (as_of - *f).num_days()),
                    days_since_last: d.last().map(|l| (as_of - *l).num_days()),
                    p_alive: p,
                    contribution_recent: recent,
                    contribution_previous: previous,
                },
                &t,
            );
            let tier = tiers.get(id).copied().unwrap_or(Tier::Low);
            let at_risk = matches!(tier, Tier::Top | Tier::Growth)
                && p.is_some_and(|p| p < config.care.churn_threshold_pct as f64 / 100.0);
            ChurnCustomer { customer_id: *id, rfm, p_alive: p, expected: e, stage, tier, at_risk }
        })
        .collect();
    Churn { as_of, horizon_weeks: l.horizon_weeks, fit, customers }
}

/// The app's daily job streams the base (one compact summary per customer,
/// scored and stored as it is read): what it stores, customer by customer
/// and for the fit, is exactly what the full computation gives, and that is
/// the model's figures computed the long way round. The base has a pinned
/// customer, an archived one with sales, customers in most stages, Low
/// customers below the risk threshold and valuable ones flagged, so a wrong
/// tier, stage, period or customer set shows.
#[test]
fn the_streamed_recompute_stores_exactly_what_the_full_computation_gives() {
    use rapport::domain::lifecycle::Stage;
    use rapport::domain::model::{CustomerStatus, Tier};
    use rapport::repo::churn::{ChurnRow, StoredFit};
    use rapport::services::{churn, pyramid};

    let (_dir, mut repo, today) = demo_base();
    let mut config = Config::default();
    // A high threshold, so that customers of every tier fall below it.
    config.care.churn_threshold_pct = 95;
    let days = repo.purchase_days(today).unwrap();
    let buyers: Vec<i64> = days.iter().filter(|(_, d)| d.len() > 1).map(|(id, _)| *id).collect();
    // An archived customer with sales: not scored, not stored.
    let archived = buyers[3];
    let mut c = repo.customer(archived).unwrap();
    c.status = CustomerStatus::Archived;
    repo.update_customer(&c).unwrap();
    // A customer pinned to Top, whatever their figures say.
    let pinned = buyers[buyers.len() - 1];
    let mut c = repo.customer(pinned).unwrap();
    c.tier_pin = Some(Tier::Top);
    repo.update_customer(&c).unwrap();

    let placed = pyramid::recompute(&mut repo, &config, today).unwrap();
    let want = churn_the_long_way(&repo, &config, today, &placed);
    let fit = want.fit.as_ref().expect("the demo base can be fitted");

    // The base exercises what the figures depend on.
    let risk = config.care.churn_threshold_pct as f64 / 100.0;
    assert!(!want.customers.iter().any(|c| c.customer_id == archived));
    assert!(want.customers.iter().any(|c| c.customer_id == pinned && c.tier == Tier::Top));
    let below = |tiers: &[Tier]| {
        want.customers.iter().filter(|c| tiers.contains(&c.tier) && c.p_alive.is_some_and(|p| p < risk)).count()
    };
    assert!(below(&[Tier::Top, Tier::Growth]) > 0, "valuable customers at risk");
    assert!(below(&[Tier::Low, Tier::Negative]) > 0, "other customers below the threshold, not at risk");
    let stages: std::collections::BTreeSet<Stage> = want.customers.iter().map(|c| c.stage).collect();
    assert!(stages.len() >= 5, "{stages:?}");
    assert!(stages.contains(&Stage::Growing) || stages.contains(&Stage::Declining), "{stages:?}");

    // Blank the stored figures, so that only the streamed path can set them.
    rusqlite::Connection::open(repo.path())
        .unwrap()
        .execute_batch(
            "UPDATE customers SET p_alive = NULL, expected_purchases = NULL, lifecycle = NULL, churn_risk = 0;
             DELETE FROM churn_fits;",
        )
        .unwrap();
    let summary = churn::recompute_with(&mut repo, &config, today, &placed).unwrap();

    // The full computation gives the model's figures...
    let full = churn::compute_with(&repo, &config, today, &placed).unwrap();
    assert_eq!(full, want);
    // ... and the streamed recompute stored exactly those, for everyone.
    for c in &full.customers {
        let stored = repo.churn_of(c.customer_id).unwrap();
        let expected = ChurnRow {
            customer_id: c.customer_id,
            p_alive: c.p_alive,
            expected_purchases: c.expected,
            lifecycle: c.stage.code().to_string(),
            churn_risk: c.at_risk,
        };
        assert_eq!(stored, expected, "{c:?}");
    }
    let blank = ChurnRow {
        customer_id: archived,
        p_alive: None,
        expected_purchases: None,
        lifecycle: String::new(),
        churn_risk: false,
    };
    assert_eq!(repo.churn_of(archived).unwrap(), blank);
    assert_eq!(
        repo.latest_fit().unwrap(),
        Some(StoredFit {
            as_of: today.to_string(),
            customers: full.customers.len() as i64,
            params: Some((fit.params.r, fit.params.alpha, fit.params.a, fit.params.b, fit.log_likelihood)),
            message: None,
        })
    );
    assert_eq!(summary, full.summary());
    assert_eq!(summary.customers, full.customers.len());
    assert_eq!(summary.at_risk, full.customers.iter().filter(|c| c.at_risk).count());
    assert_eq!(summary.stages, full.stage_counts());

    // `recompute` stores the same and returns the full computation.
    let again = churn::recompute(&mut repo, &config, today).unwrap();
    assert_eq!(again, want);
}
