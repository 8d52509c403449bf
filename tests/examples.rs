//! The files in `examples/` are what a new user copies first, so they must
//! stay true: the config is every setting at its default, the keymap loads
//! over both built-in sets, the CSV and vCard files import cleanly under
//! `--strict` with the figures worked out by hand below, and the dialer
//! script writes the number it is given.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use rapport::app::Action;
use rapport::config::Config;
use rapport::keymap::{Context, Key, Keymap, Lookup};

fn example(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples").join(name)
}

fn rapport(dir: &tempfile::TempDir) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_rapport"));
    c.env("RAPPORT_CONFIG_DIR", dir.path()).env("TZ", "UTC").env_remove("RAPPORT_DB");
    c
}

#[test]
fn the_example_config_is_every_setting_at_its_default() {
    let src = std::fs::read_to_string(example("config.toml")).unwrap();
    let config = Config::from_toml(&src, "examples/config.toml").unwrap();
    assert_eq!(config, Config::default());
    // Every section and setting of the config appears in the example
    // (settings without a default value, commented out).
    let full = toml::to_string(&Config::default()).unwrap();
    let bare = |l: &str| l.trim_start().trim_start_matches('#').trim_start().to_string();
    for line in full.lines().filter(|l| l.starts_with('[')) {
        assert!(src.lines().any(|l| bare(l).starts_with(line)), "{line} missing from examples/config.toml");
    }
    for key in ["language", "dialer", "agent"].into_iter().chain(full.lines().filter_map(|l| l.split(" = ").next())) {
        if key.starts_with('[') || key.is_empty() {
            continue;
        }
        assert!(
            src.lines().any(|l| bare(l).starts_with(&format!("{key} ="))),
            "{key} missing from examples/config.toml"
        );
    }
}

#[test]
fn the_example_keymap_loads_over_both_built_in_sets() {
    let key = |code| Key::from_event(&KeyEvent::new(code, KeyModifiers::NONE));
    for base in ["default", "vim"] {
        let km = Keymap::load(base, Some(&example("keymap.toml"))).unwrap();
        let f2 = [key(KeyCode::F(2))];
        assert_eq!(km.lookup(Context::Customers, &f2), Lookup::Action(Action::LogInteraction), "{base}");
        assert_eq!(km.lookup(Context::Card, &f2), Lookup::Action(Action::LogInteraction), "{base}");
        let ctrl_d = [Key::from_event(&KeyEvent::new(KeyCode::Char('d'), KeyModifiers::CONTROL))];
        assert_eq!(km.lookup(Context::Card, &ctrl_d), Lookup::Action(Action::Dial), "{base}");
        // q no longer quits from the list; ctrl-c still does.
        assert_ne!(km.lookup(Context::Customers, &[key(KeyCode::Char('q'))]), Lookup::Action(Action::Quit), "{base}");
        let ctrl_c = [Key::from_event(&KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL))];
        assert_eq!(km.lookup(Context::Customers, &ctrl_c), Lookup::Action(Action::Quit), "{base}");
    }
}

#[test]
fn the_example_files_import_strictly_with_the_figures_worked_out_by_hand() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("ex.db");
    for (kind, file, summary) in [
        ("customers", "customers.csv", "5 added, 0 updated, 0 unchanged, 0 rejected"),
        ("contacts", "contacts.csv", "3 added, 0 updated, 0 unchanged, 0 rejected"),
        ("transactions", "transactions.csv", "10 added, 0 updated, 0 unchanged, 0 rejected"),
        ("contacts", "contacts.vcf", "2 added, 0 updated, 0 unchanged, 0 rejected, 2 customers created"),
    ] {
        let out = rapport(&dir).arg("--db").arg(&db).args(["import", kind]).arg(example(file)).arg("--strict").output();
        let out = out.unwrap();
        let said = String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success() && said.contains(summary), "{file}: {said}");
    }
    // Contribution as of 2026-09-01 over 365 days, in cents: sales minus
    // refunds, discounts and service costs; payments are not contribution.
    let out = rapport(&dir)
        .arg("--db")
        .arg(&db)
        .args(["report", "pyramid", "--format", "json", "--customers", "--as-of", "2026-09-01"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let j: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let by_ext =
        |ext: &str| j["customers"].as_array().unwrap().iter().find(|c| c["external_id"] == ext).cloned().unwrap();
    for (ext, cents, tier) in [
        ("C-1001", 12_000, "low"),
        ("C-1002", 480_000 - 24_000, "growth"),
        ("C-1003", 3_550 - 3_550, "low"),
        ("C-1004", 0, "low"),
        ("C-1005", 1_890_000 - 45_000, "top"),
    ] {
        let c = by_ext(ext);
        assert_eq!((c["contribution"].as_i64().unwrap(), c["tier"].as_str().unwrap()), (cents, tier), "{ext}");
    }
    assert_eq!(j["customer_count"], 7, "five from the CSV, two organisations from the vCard file");
    // The multi-line note and the quoted company came through whole.
    let out = rapport(&dir).arg("--db").arg(&db).args(["export", "customers", "--format", "json"]).output().unwrap();
    let customers: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let find = |ext: &str| customers.as_array().unwrap().iter().find(|c| c["external_id"] == ext).cloned().unwrap();
    assert_eq!(find("C-1005")["note"], "Two sites:\nBerlin and Köln");
    assert_eq!(find("C-1002")["company"], "Ferreira & Filhos, Lda.");
    assert_eq!(find("C-1003")["name"], "山田 太郎");
}

#[test]
fn the_example_dialer_writes_the_number_it_is_given() {
    let dir = tempfile::tempdir().unwrap();
    let status =
        std::process::Command::new(example("dialer.sh")).arg("+4670123").env("TMPDIR", dir.path()).status().unwrap();
    assert!(status.success());
    let log = std::fs::read_to_string(dir.path().join("rapport-dialer.log")).unwrap();
    assert!(log.trim_end().ends_with(" dial +4670123"), "{log}");
}
