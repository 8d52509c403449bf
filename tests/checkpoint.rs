//! The TUI's connection never checkpoints the WAL inside a commit (so no
//! keystroke pays for copying the log into the base); its checkpointer
//! thread does it, and stops with the app.

mod common;

use std::time::{Duration, Instant};

use rapport::domain::model::{CustomerKind, NewCustomer};
use rapport::repo::Repo;

/// Waits for `done`, up to `limit`; whether it came.
fn within(limit: Duration, mut done: impl FnMut() -> bool) -> bool {
    let until = Instant::now() + limit;
    while Instant::now() < until {
        if done() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    done()
}

#[test]
fn the_app_leaves_checkpoints_to_its_thread_which_copies_the_log_into_the_base() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = common::app(&dir, false, false);
    assert_eq!(app.repo.wal_autocheckpoint().unwrap(), 0, "the app's commits must not checkpoint");
    let base = app.repo.path().to_path_buf();
    let wal = base.with_extension("db-wal");
    // Far past the 1,000 pages at which a commit would have checkpointed:
    // each customer its own commit, as keystrokes make them.
    let size = |p: &std::path::Path| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0);
    let before = size(&base);
    let n = 2_500;
    for i in 0..n {
        let mut c = NewCustomer::named(CustomerKind::Individual, &format!("Checkpoint {i:05} {}", "x".repeat(300)));
        c.note = Some("y".repeat(1_000));
        app.repo.create_customer(&c).unwrap();
    }
    assert!(size(&wal) > 0);
    // The thread copies the log into the base file, which only a
    // checkpoint writes to.
    assert!(within(Duration::from_secs(30), || size(&base) > before + 1_000_000), "no checkpoint reached the base");
    // Everything is there for another connection, through the base.
    let other = Repo::open(&base, "bob").unwrap();
    assert_eq!(other.search_customers("Checkpoint", 0, n + 10).unwrap().len(), n);
    drop(app);
}

#[test]
fn other_connections_keep_sqlite_checkpoints() {
    let dir = tempfile::tempdir().unwrap();
    let repo = Repo::open(&dir.path().join("c.db"), "cli").unwrap();
    assert_eq!(repo.wal_autocheckpoint().unwrap(), 1_000);
    let held = repo.defer_checkpoints().unwrap();
    assert!(held.is_some());
    assert_eq!(repo.wal_autocheckpoint().unwrap(), 0);
}
