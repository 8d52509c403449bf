//! `rapport backup` while another connection keeps writing: the copy is a
//! sound base, holding one consistent snapshot of what was committed.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use assert_cmd::Command;
use rapport::domain::model::{CustomerKind, NewCustomer};
use rapport::repo::Repo;

/// The writer commits customers in batches of this many.
const BATCH: u64 = 100;

fn rapport(dir: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_rapport"));
    c.env("RAPPORT_CONFIG_DIR", dir).env("TZ", "UTC").env_remove("RAPPORT_DB");
    c
}

/// Commits one batch of [`BATCH`] customers (each with its audit entry).
fn commit_batch(repo: &mut Repo, batch: u64) {
    repo.batch(|b| {
        for i in 0..BATCH {
            let mut c = NewCustomer::named(CustomerKind::Individual, &format!("Zoë Ångström {batch}-{i}"));
            c.email = Some(format!("z{batch}.{i}@example.com"));
            c.note = Some("x".repeat(300));
            b.customer(&c)?;
        }
        Ok(())
    })
    .unwrap();
}

fn count(db: &Path, sql: &str) -> u64 {
    let conn = rusqlite::Connection::open(db).unwrap();
    conn.query_row(sql, [], |r| r.get::<_, i64>(0)).unwrap() as u64
}

#[test]
fn a_backup_taken_while_another_connection_writes_is_a_consistent_sound_copy() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("live.db");
    // A base big enough that the copy takes many steps (about 20 MB).
    let mut repo = Repo::open(&db, "setup").unwrap();
    for batch in 0..300 {
        commit_batch(&mut repo, batch);
    }
    drop(repo);

    // The writer: its own connection, committing batch after batch until told to stop.
    let committed = Arc::new(AtomicU64::new(300 * BATCH));
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let (db, committed, stop) = (db.clone(), Arc::clone(&committed), Arc::clone(&stop));
        std::thread::spawn(move || {
            let mut repo = Repo::open(&db, "writer").unwrap();
            let mut batch = 300;
            while !stop.load(Ordering::SeqCst) {
                commit_batch(&mut repo, batch);
                batch += 1;
                committed.store(batch * BATCH, Ordering::SeqCst);
            }
        })
    };
    // Let it get going, then back up while it writes: a few times, so that
    // commits surely land while a copy is being made.
    let deadline = Instant::now() + Duration::from_secs(120);
    while committed.load(Ordering::SeqCst) < 302 * BATCH {
        assert!(Instant::now() < deadline, "the writer does not commit");
        std::thread::sleep(Duration::from_millis(5));
    }
    let mut copies = Vec::new();
    for attempt in 0..5 {
        let before = committed.load(Ordering::SeqCst);
        let copy = dir.path().join(format!("copy{attempt}.db"));
        // A backup that restarts on every commit would never end: fail, not hang.
        let out = rapport(dir.path())
            .args(["backup", "--db"])
            .arg(&db)
            .arg(&copy)
            .timeout(Duration::from_secs(120))
            .output()
            .unwrap();
        let after = committed.load(Ordering::SeqCst);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        assert!(String::from_utf8_lossy(&out.stdout).contains("backed up"));
        copies.push((copy, before, after));
        if after > before && attempt >= 1 {
            break;
        }
    }
    stop.store(true, Ordering::SeqCst);
    writer.join().unwrap();
    assert!(
        copies.iter().any(|(_, before, after)| after > before),
        "no commit landed while a backup ran: the test proved nothing"
    );

    for (copy, before, after) in &copies {
        // The copy is a sound rapport base...
        let check = rapport(dir.path()).args(["check", "--db"]).arg(copy).output().unwrap();
        assert!(check.status.success(), "{}", String::from_utf8_lossy(&check.stderr));
        let said = String::from_utf8_lossy(&check.stdout);
        assert!(said.contains(": sound ("), "{said}");
        // ... holding one snapshot: whole batches only, each customer with
        // its audit entry, committed between the start and the end of the
        // backup (the writer's counter runs just behind its commits).
        let customers = count(copy, "SELECT count(*) FROM customers");
        let audited = count(copy, "SELECT count(*) FROM audit_log WHERE entity = 'customer' AND action = 'create'");
        assert_eq!(customers % BATCH, 0, "{customers} customers: a batch was copied in part");
        assert_eq!(audited, customers, "customers and their audit entries from different moments");
        assert!((*before..=after + BATCH).contains(&customers), "{customers} not in {before}..={after}");
        assert!(said.contains(&format!("{customers} customers")), "{said}");
    }
    // Nothing was left beside the copies.
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".part-"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn a_backup_never_overwrites_and_leaves_nothing_when_it_fails() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("live.db");
    commit_batch(&mut Repo::open(&db, "setup").unwrap(), 0);
    let copy = dir.path().join("copy.db");
    std::fs::write(&copy, "precious").unwrap();
    let out = rapport(dir.path()).args(["backup", "--db"]).arg(&db).arg(&copy).output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("already exists"));
    assert_eq!(std::fs::read_to_string(&copy).unwrap(), "precious");
    // Into a directory that does not exist: an error, and no file anywhere.
    let nowhere = dir.path().join("missing").join("copy.db");
    let out = rapport(dir.path()).args(["backup", "--db"]).arg(&db).arg(&nowhere).output().unwrap();
    assert!(!out.status.success());
    assert!(!String::from_utf8_lossy(&out.stderr).contains("panicked"));
    assert!(!nowhere.exists());
}
