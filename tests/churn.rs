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

/// The app's daily job hands the pyramid it has just computed to the churn
/// recompute instead of computing it again: the stored figures are the same
/// as a recompute from scratch, customer by customer.
#[test]
fn the_daily_job_stores_the_same_churn_figures_as_a_recompute_from_scratch() {
    let dir = tempfile::tempdir().unwrap();
    let mut repo = Repo::open(&dir.path().join("c.db"), "alice").unwrap();
    let today = NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
    rapport::demo::generate(
        &mut repo,
        &rapport::demo::DemoOptions { customers: 400, ..rapport::demo::DemoOptions::new(today) },
    )
    .unwrap();
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
