//! The shell side: subcommands as scripts and cron call them.

mod pty;

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
    assert!(String::from_utf8_lossy(&out.stdout).contains(": sound ("));
    assert!(String::from_utf8_lossy(&out.stdout).contains("120 customers"));
}

/// `check` says plainly when a base is not sound: a record whose customer
/// is gone is reported, with a non-zero exit and nothing on stdout.
#[test]
fn check_says_a_base_with_a_dangling_reference_is_not_sound() {
    let dir = tempfile::tempdir().unwrap();
    let db = demo(&dir);
    {
        let conn = rusqlite::Connection::open(&db).unwrap();
        conn.execute_batch(
            "PRAGMA foreign_keys = OFF;
             INSERT INTO contacts (customer_id, name, created_at, updated_at) VALUES (999999, 'Orphan', 0, 0);",
        )
        .unwrap();
    }
    let out = rapport(&dir).args(["check", "--db"]).arg(&db).output().unwrap();
    assert!(!out.status.success());
    assert!(out.stdout.is_empty(), "{}", String::from_utf8_lossy(&out.stdout));
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains("1 record(s) refer to records that are not there: contacts #"), "{said}");
    assert!(said.contains("missing customers record"), "{said}");
}

/// A file whose pages were overwritten in the middle: `check` says so on
/// one line (how many faults, the first), not SQLite's raw report.
#[test]
fn check_says_a_damaged_file_is_not_sound_on_one_line() {
    use std::io::{Seek, SeekFrom, Write};
    let dir = tempfile::tempdir().unwrap();
    let db = demo(&dir);
    let len = std::fs::metadata(&db).unwrap().len();
    {
        let mut f = std::fs::OpenOptions::new().write(true).open(&db).unwrap();
        // Three pages of noise from page 20 on (the header and schema stay).
        f.seek(SeekFrom::Start(20 * 4096)).unwrap();
        let noise: Vec<u8> = (0..3 * 4096u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
        f.write_all(&noise).unwrap();
    }
    assert!(len > 23 * 4096, "the demo base is {len} bytes");
    let out = rapport(&dir).args(["check", "--db"]).arg(&db).output().unwrap();
    assert!(!out.status.success());
    assert!(out.stdout.is_empty(), "{}", String::from_utf8_lossy(&out.stdout));
    let said = String::from_utf8_lossy(&out.stderr);
    assert_eq!(said.trim_end().lines().count(), 1, "{said}");
    assert!(said.contains("the database file is NOT sound (damaged: "), "{said}");
    assert!(!said.contains("*** in database"), "{said}");
}

/// A base this user may only read, in a directory they may not write
/// (another user's base, a read-only mount): SQLite cannot make the shared
/// memory file of a WAL base there, yet `check` and `export` read it, and
/// nothing is written. As root (who may write anything) the commands run
/// as `nobody` through `runuser`.
#[test]
fn a_base_this_user_may_only_read_is_checked_and_exported() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let db = demo(&dir);
    let ro = dir.path().join("ro");
    std::fs::create_dir(&ro).unwrap();
    let base = ro.join("base.db");
    std::fs::copy(&db, &base).unwrap();
    let mode = |p: &std::path::Path, m: u32| std::fs::set_permissions(p, std::fs::Permissions::from_mode(m)).unwrap();
    mode(&base, 0o444);
    mode(&ro, 0o555);
    mode(dir.path(), 0o755);
    let root = unsafe { libc::geteuid() } == 0;
    let run = |args: &[&str]| {
        let mut c = if root {
            let mut c = std::process::Command::new("runuser");
            c.args(["-u", "nobody", "--", env!("CARGO_BIN_EXE_rapport")]);
            c
        } else {
            std::process::Command::new(env!("CARGO_BIN_EXE_rapport"))
        };
        c.args(args).arg("--db").arg(&base).env("RAPPORT_CONFIG_DIR", dir.path()).env("TZ", "UTC");
        c.env_remove("RAPPORT_DB").output()
    };
    let before = std::fs::read(&base).unwrap();
    let out = match run(&["check"]) {
        Ok(out) => out,
        Err(e) if root => {
            eprintln!("skipped: runuser is not available ({e})");
            return;
        }
        Err(e) => panic!("{e}"),
    };
    let said = String::from_utf8_lossy(&out.stderr);
    if root && said.contains("runuser:") {
        eprintln!("skipped: runuser cannot switch to nobody here ({said})");
        return;
    }
    assert!(out.status.success(), "{said}");
    assert!(String::from_utf8_lossy(&out.stdout).contains(": sound (") && said.is_empty(), "{said}");
    let out = run(&["export", "customers", "--format", "json"]).unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let customers: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(customers.as_array().unwrap().len(), 120);
    // Writing is refused in words, and the file is as it was.
    let csv = dir.path().join("one.csv");
    std::fs::write(&csv, "name\nNew Person\n").unwrap();
    mode(&csv, 0o644);
    let out = run(&["import", "customers", csv.to_str().unwrap()]).unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("read-only"), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(std::fs::read(&base).unwrap(), before);

    // A log beside it that holds commits (a copy taken while the base was
    // in use): reading the file alone would silently show old data, so the
    // base is refused with the reason.
    mode(&ro, 0o755);
    let live = dir.path().join("live.db");
    std::fs::copy(&db, &live).unwrap();
    let writer = rusqlite::Connection::open(&live).unwrap();
    writer.execute_batch("PRAGMA wal_autocheckpoint = 0; UPDATE customers SET city = 'Newcity' WHERE id = 1;").unwrap();
    std::fs::copy(&live, &base).unwrap();
    let mut wal = base.as_os_str().to_owned();
    wal.push("-wal");
    let mut live_wal = live.as_os_str().to_owned();
    live_wal.push("-wal");
    std::fs::copy(&live_wal, &wal).unwrap();
    assert!(std::fs::metadata(&wal).unwrap().len() > 0);
    drop(writer);
    mode(&base, 0o444);
    mode(std::path::Path::new(&wal), 0o444);
    mode(&ro, 0o555);
    let out = run(&["check"]).unwrap();
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && out.stdout.is_empty(), "{said}");
    assert!(said.contains("its log (-wal file) holds changes"), "{said}");

    // A writer holding the base locked (a first load writes through a
    // rollback journal): a reader waits, then says so; it never reads
    // the half-written file.
    mode(&ro, 0o755);
    std::fs::remove_file(&wal).unwrap();
    std::fs::copy(&db, &base).unwrap();
    let writer = rusqlite::Connection::open(&base).unwrap();
    writer
        .execute_batch(
            "PRAGMA journal_mode = DELETE; BEGIN EXCLUSIVE;
             UPDATE customers SET name = 'HALF-WRITTEN' WHERE id = 1;",
        )
        .unwrap();
    mode(&base, 0o644);
    mode(&ro, 0o555);
    let out = run(&["export", "customers", "--format", "csv"]).unwrap();
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{said}");
    assert!(!String::from_utf8_lossy(&out.stdout).contains("HALF-WRITTEN"));
    assert!(said.contains("holds it locked for writing"), "{said}");
    writer.execute_batch("ROLLBACK").unwrap();
    mode(&ro, 0o755);
}

/// A usage error is one line on stderr (the error, its details, the
/// usage) with exit code 2; --help still prints the whole help, code 0.
#[test]
fn a_usage_error_is_one_line() {
    let dir = tempfile::tempdir().unwrap();
    for (args, says) in [
        (
            &["report", "pyramid", "--format", "xml"][..],
            "invalid value 'xml' for '--format <FORMAT>' [possible values: text, json]",
        ),
        (&["--bogus"][..], "unexpected argument '--bogus' found"),
        (
            &["import"][..],
            "the following required arguments were not provided: <KIND> <FILE> (usage: rapport import <KIND> <FILE>; see --help)",
        ),
    ] {
        let out = rapport(&dir).args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(out.stdout.is_empty());
        let said = String::from_utf8_lossy(&out.stderr);
        assert_eq!(said.lines().count(), 1, "{args:?}: {said}");
        assert!(said.starts_with("rapport: ") && said.contains(says), "{args:?}: {said}");
    }
    let out = rapport(&dir).args(["import", "--help"]).output().unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).lines().count() > 10);
    // A command that needs a subcommand, without one: its help, as written.
    let out = rapport(&dir).args(["report"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.lines().count() > 3 && said.contains("pyramid") && !said.starts_with("rapport: "), "{said}");
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

#[test]
fn completions_cover_the_subcommands_for_each_shell() {
    let dir = tempfile::tempdir().unwrap();
    // A broken config must not break completions.
    std::fs::write(dir.path().join("config.toml"), "[pyramid]\nwindow_dayz = 30\n").unwrap();
    for shell in ["bash", "zsh", "fish"] {
        let out = rapport(&dir).args(["completions", shell]).output().unwrap();
        assert!(out.status.success(), "{shell}: {}", String::from_utf8_lossy(&out.stderr));
        assert!(out.stderr.is_empty(), "{shell}: {}", String::from_utf8_lossy(&out.stderr));
        let script = String::from_utf8(out.stdout).unwrap();
        // fish spells a long option `-l db`.
        let db_flag = if shell == "fish" { "-l db" } else { "--db" };
        for word in ["import", "export", "backup", "completions", "customers", db_flag] {
            assert!(script.contains(word), "{shell} script lacks {word}");
        }
        let path = dir.path().join(format!("rapport.{shell}"));
        std::fs::write(&path, &script).unwrap();
        // The shell itself must accept the script, where it is installed.
        let check: &[&str] = match shell {
            "bash" => &["-n"],
            "zsh" => &["-n"],
            _ => &["--no-execute"],
        };
        match std::process::Command::new(shell).args(check).arg(&path).output() {
            Ok(o) => assert!(o.status.success(), "{shell} rejects its script: {}", String::from_utf8_lossy(&o.stderr)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && shell != "bash" => {
                eprintln!("{shell} is not installed: syntax not checked");
            }
            Err(e) => panic!("cannot run {shell}: {e}"),
        }
    }
    let out = rapport(&dir).args(["completions", "powershell"]).output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("bash"));
}

/// A customers CSV with `rows` rows.
fn customers_csv(dir: &tempfile::TempDir, rows: usize) -> std::path::PathBuf {
    let path = dir.path().join("customers.csv");
    let mut text = String::from("external_id,name,email,phone\n");
    for i in 0..rows {
        text += &format!("c{i},Zoë Ångström {i},z{i}@example.com,+1 514 721 {i:04}\n");
    }
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn import_progress_stays_off_a_piped_stderr_and_stdout() {
    let dir = tempfile::tempdir().unwrap();
    let csv = customers_csv(&dir, 12_000);
    let out = rapport(&dir)
        .args(["import", "customers"])
        .arg(&csv)
        .arg("--db")
        .arg(dir.path().join("a.db"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(stdout.starts_with("customers from ") && stdout.contains("12000 added"), "{stdout}");
    assert_eq!(stdout.lines().count(), 1, "{stdout}");
    assert!(!stdout.contains('\r'));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(!stderr.contains("rows read") && !stderr.contains('\r'), "progress on a pipe: {stderr:?}");
}

#[test]
fn import_progress_is_drawn_in_place_on_a_terminal() {
    let dir = tempfile::tempdir().unwrap();
    // The first progress line comes at row 10,000 whatever the speed.
    let csv = customers_csv(&dir, 12_000);
    let db = dir.path().join("a.db");
    let args = ["import", "customers", csv.to_str().unwrap(), "--db", db.to_str().unwrap()];
    let mut term = pty::Spawn::new(dir.path(), &args).start();
    let status = term.wait_exit_within(std::time::Duration::from_secs(120));
    assert!(status.success(), "{}", term.dump());
    let raw = term.raw_text();
    assert!(raw.contains("\r10,000 rows read, "), "no progress line: {}", term.dump());
    assert!(raw.contains(" rows/s, ") && raw.contains("%\x1b[K"), "{}", term.dump());
    // Cleared at the end: the summary is what stays on the screen.
    assert!(raw.contains("\r\x1b[Kcustomers from "), "{}", term.dump());
    let screen = term.screen();
    assert!(screen.contains("12000 added") && !screen.contains("rows read"), "{screen}");
}
