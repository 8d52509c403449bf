//! The generated base every bench measures against.

use std::path::PathBuf;
use std::time::Instant;

use chrono::NaiveDate;
use rapport::demo::{self, DemoOptions};
use rapport::repo::Repo;

/// Customers in the base: `RAPPORT_BENCH_CUSTOMERS`, default 20,000.
pub fn base_size() -> usize {
    std::env::var("RAPPORT_BENCH_CUSTOMERS").ok().and_then(|s| s.parse().ok()).unwrap_or(20_000)
}

/// A demo base (the generator also computes its pyramid) in a temporary
/// directory, kept alive by the returned `TempDir`.
pub fn build_base() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("bench.db");
    let mut repo = Repo::open(&path, "bench").expect("open base");
    let started = Instant::now();
    let today = NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
    let sum = demo::generate(&mut repo, &DemoOptions { customers: base_size(), ..DemoOptions::new(today) })
        .expect("demo data");
    eprintln!(
        "base: {} customers, {} transactions, {} deals, {} reminders, {} interactions, built in {:.1?} at {}",
        sum.customers,
        sum.transactions,
        sum.deals,
        sum.reminders,
        sum.interactions,
        started.elapsed(),
        path.display()
    );
    // The machine is shared: say how busy it was.
    if let Ok(load) = std::fs::read_to_string("/proc/loadavg") {
        eprintln!("load average: {}", load.trim());
    }
    (dir, path)
}
