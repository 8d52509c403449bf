//! The shell side: subcommands as scripts and cron call them.

use assert_cmd::Command;

fn rapport(dir: &tempfile::TempDir) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_rapport"));
    c.env("RAPPORT_CONFIG_DIR", dir.path()).env("TZ", "UTC").env_remove("RAPPORT_DB");
    c
}

fn demo(dir: &tempfile::TempDir) -> std::path::PathBuf {
    let db = dir.path().join("demo.db");
    rapport(dir).args(["demo", "--customers", "120", "--db"]).arg(&db).assert().success();
    db
}

fn report(dir: &tempfile::TempDir, db: &std::path::Path, extra: &[&str]) -> serde_json::Value {
    let out =
        rapport(dir).args(["report", "pyramid", "--format", "json"]).args(extra).arg("--db").arg(db).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn pyramid_report_json_has_every_tier_and_customer() {
    let dir = tempfile::tempdir().unwrap();
    let db = demo(&dir);
    let j = report(&dir, &db, &["--customers"]);
    let tiers: Vec<&str> = j["tiers"].as_array().unwrap().iter().map(|t| t["tier"].as_str().unwrap()).collect();
    assert_eq!(tiers, ["top", "growth", "low", "negative"]);
    let counted: u64 = j["tiers"].as_array().unwrap().iter().map(|t| t["count"].as_u64().unwrap()).sum();
    let customers = j["customers"].as_array().unwrap();
    assert_eq!(counted as usize, customers.len());
    assert_eq!(j["customer_count"].as_u64().unwrap() as usize, customers.len());
    // Shares of the positive bands add up to one.
    let share: f64 = j["tiers"].as_array().unwrap()[..3].iter().map(|t| t["share"].as_f64().unwrap()).sum();
    assert!((share - 1.0).abs() < 1e-9, "{share}");
    for c in customers {
        for key in ["id", "tier", "contribution", "r", "f", "m", "segment"] {
            assert!(c.get(key).is_some(), "{key} missing in {c}");
        }
        if let Some(r) = c["r"].as_u64() {
            assert!((1..=5).contains(&r));
        } else {
            assert_eq!(c["segment"], "no_purchases");
        }
    }
    // Sorted by contribution, descending.
    let contributions: Vec<i64> = customers.iter().map(|c| c["contribution"].as_i64().unwrap()).collect();
    assert!(contributions.windows(2).all(|w| w[0] >= w[1]));
}

#[test]
fn the_config_and_flags_move_the_pyramid() {
    let dir = tempfile::tempdir().unwrap();
    let db = demo(&dir);
    let year = report(&dir, &db, &[]);
    let month = report(&dir, &db, &["--window", "30"]);
    assert_eq!(month["window_days"], 30);
    assert_ne!(year["positive_total"], month["positive_total"]);
    // The same through the config file.
    std::fs::write(dir.path().join("config.toml"), "[pyramid]\nwindow_days = 30\n").unwrap();
    let from_config = report(&dir, &db, &[]);
    assert_eq!(from_config["window_days"], 30);
    assert_eq!(from_config["positive_total"], month["positive_total"]);
    // A stricter top share leaves fewer customers in Top.
    let narrow = report(&dir, &db, &["--top-share", "20"]);
    assert!(narrow["tiers"][0]["count"].as_u64() < from_config["tiers"][0]["count"].as_u64());
}

#[test]
fn bad_input_gets_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    let db = demo(&dir);
    let out = rapport(&dir).args(["report", "pyramid", "--as-of", "2025-02-30", "--db"]).arg(&db).output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("\"2025-02-30\" is not a date"));
    let out = rapport(&dir).args(["report", "pyramid", "--db"]).arg(dir.path().join("missing.db")).output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no such file"));
    assert!(!dir.path().join("missing.db").exists());
    std::fs::write(dir.path().join("config.toml"), "[pyramid]\nwindow_dayz = 30\n").unwrap();
    let out = rapport(&dir).args(["report", "pyramid", "--db"]).arg(&db).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(err.contains("config.toml") && err.contains("line 2") && err.contains("window_dayz"), "{err}");
    assert!(!err.contains("panicked"));
}

#[test]
fn demo_refuses_a_base_with_data_and_backup_copies_it() {
    let dir = tempfile::tempdir().unwrap();
    let db = demo(&dir);
    let out = rapport(&dir).args(["demo", "--db"]).arg(&db).output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("already holds customers"));
    let copy = dir.path().join("copy.db");
    rapport(&dir).args(["backup", "--db"]).arg(&db).arg(&copy).assert().success();
    let out = rapport(&dir).args(["check", "--db"]).arg(&copy).output().unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("ok (schema"));
    assert!(String::from_utf8_lossy(&out.stdout).contains("120 customers"));
}

#[test]
fn the_audit_log_exports_who_changed_what() {
    let dir = tempfile::tempdir().unwrap();
    let db = demo(&dir);
    {
        let mut repo = rapport::repo::Repo::open(&db, "auditor").unwrap();
        let id = repo.search_customers("zoe", 0, 1).unwrap()[0].id;
        let mut c = repo.customer(id).unwrap();
        c.city = Some("Québec".into());
        repo.update_customer(&c).unwrap();
    }
    let out = rapport(&dir).args(["export", "audit", "--format", "json", "--db"]).arg(&db).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let rows: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let last = rows.as_array().unwrap().last().unwrap();
    assert_eq!(last["agent"], "auditor");
    assert_eq!(last["action"], "update");
    assert_eq!(last["entity"], "customer");
    let changes: serde_json::Value = serde_json::from_str(last["changes"].as_str().unwrap()).unwrap();
    assert_eq!(changes["city"][1], "Québec");
}
