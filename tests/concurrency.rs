//! Many agents, one file: ten `rapport` processes writing to the same base
//! at once (imports, care rules, reports) lose nothing, duplicate nothing,
//! and none fails on a busy lock.

use std::process::{Command, Stdio};

use rapport::domain::model::{CustomerKind, NewCustomer};
use rapport::repo::Repo;

#[test]
fn ten_processes_writing_at_once_lose_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("shared.db");
    {
        let mut repo = Repo::open(&db, "setup").unwrap();
        repo.batch(|b| {
            for i in 0..50 {
                let mut c = NewCustomer::named(CustomerKind::Individual, &format!("Shared customer {i:02}"));
                c.external_id = Some(format!("c{i}"));
                b.customer(&c)?;
            }
            Ok(())
        })
        .unwrap();
    }
    // Ten agents, each importing its own 300 transactions.
    let mut files = Vec::new();
    for agent in 0..10 {
        let path = dir.path().join(format!("agent{agent}.csv"));
        let mut text = String::from("external_id,customer_external_id,date,amount,kind\n");
        for n in 0..300 {
            text +=
                &format!("a{agent}-t{n},c{},2026-0{}-{:02},{}.{:02},sale\n", n % 50, 1 + n % 9, 1 + n % 28, n, agent);
        }
        std::fs::write(&path, text).unwrap();
        files.push(path);
    }
    let children: Vec<_> = files
        .iter()
        .enumerate()
        .map(|(agent, file)| {
            let mut cmd = Command::new(env!("CARGO_BIN_EXE_rapport"));
            cmd.args(["--user", &format!("agent{agent}"), "import", "transactions"])
                .arg(file)
                .arg("--db")
                .arg(&db)
                .env("RAPPORT_CONFIG_DIR", dir.path())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped());
            cmd.spawn().unwrap()
        })
        .collect();
    // Meanwhile, readers and the care rules on the same file.
    let readers: Vec<_> = (0..3)
        .map(|_| {
            Command::new(env!("CARGO_BIN_EXE_rapport"))
                .args(["care", "run-rules", "--db"])
                .arg(&db)
                .env("RAPPORT_CONFIG_DIR", dir.path())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for child in children.into_iter().chain(readers) {
        let out = child.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "a process failed: {err}");
        assert!(!err.contains("locked") && !err.contains("busy"), "{err}");
    }
    let repo = Repo::open(&db, "check").unwrap();
    repo.integrity_check().unwrap();
    let mut total = 0;
    for i in 0..50 {
        let id = repo.search_customers(&format!("Shared customer {i:02}"), 0, 1).unwrap()[0].id;
        total += repo.recent_transactions(id, 10_000).unwrap().len();
    }
    assert_eq!(total, 3_000, "every imported row is there exactly once");
    // Importing everything again adds nothing.
    for file in &files {
        let out = Command::new(env!("CARGO_BIN_EXE_rapport"))
            .args(["import", "transactions"])
            .arg(file)
            .arg("--db")
            .arg(&db)
            .env("RAPPORT_CONFIG_DIR", dir.path())
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }
    let mut again = 0;
    for i in 0..50 {
        let id = repo.search_customers(&format!("Shared customer {i:02}"), 0, 1).unwrap()[0].id;
        again += repo.recent_transactions(id, 10_000).unwrap().len();
    }
    assert_eq!(again, 3_000);
}
