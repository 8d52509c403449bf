//! The generated base every bench measures against.

use std::path::PathBuf;
use std::time::Instant;

use chrono::NaiveDate;
use rapport::demo::{self, DemoOptions};
use rapport::repo::Repo;

/// Customers in the base: `RAPPORT_BENCH_CUSTOMERS`, default 20,000.
#[allow(dead_code)]
pub fn base_size() -> usize {
    std::env::var("RAPPORT_BENCH_CUSTOMERS").ok().and_then(|s| s.parse().ok()).unwrap_or(20_000)
}

/// A demo base (the generator also computes its pyramid) in a temporary
/// directory, kept alive by the returned `TempDir`.
#[allow(dead_code)]
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

/// Runs `step` (which returns the duration of its timed part) call by call,
/// at least 50 and at most `max_calls` times within about 1.5 s, and prints
/// p50, p99 and max as a `probe` line (the budgets are p99s).
#[allow(dead_code)]
pub fn probe(label: &str, max_calls: usize, step: &mut dyn FnMut() -> std::time::Duration) {
    let mut times = Vec::new();
    let started = Instant::now();
    while times.len() < max_calls && (times.len() < 50 || started.elapsed() < std::time::Duration::from_millis(1_500)) {
        times.push(step());
    }
    times.sort();
    let pct = |p: usize| times[(times.len() * p / 100).min(times.len() - 1)];
    eprintln!(
        "probe {label}: n={} p50={:.3?} p99={:.3?} max={:.3?}",
        times.len(),
        pct(50),
        pct(99),
        times[times.len() - 1]
    );
}

/// Probes `step`, then benchmarks it with criterion.
#[allow(dead_code)]
pub fn bench_step(
    c: &mut criterion::Criterion,
    name: &str,
    max_calls: usize,
    mut step: impl FnMut() -> std::time::Duration,
) {
    probe(name, max_calls, &mut step);
    c.bench_function(name, |b| b.iter_custom(|iters| (0..iters).map(|_| step()).sum()));
}
