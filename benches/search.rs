//! Search as you type: what one keystroke in the customer list costs the
//! base, i.e. `search_customers(q, 0, 50)` plus `count_customers(q, 10_001)`,
//! for short and long Latin queries, CJK, phone digits and a miss.
//!
//! The base is generated once per run into a temporary directory
//! (`RAPPORT_BENCH_CUSTOMERS` customers, 20,000 by default) with the demo
//! generator, then the pyramid is recomputed. See BENCHMARKS.md.
//!
//! Besides criterion's estimates, each query is also timed call by call
//! (outside criterion) and its p50 / p99 / max printed to stderr as
//! `probe ...` lines, since the budget is a p99.
//!
//! Run: `cargo bench --bench search`

mod common;

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use rapport::repo::Repo;

/// The shared base, opened.
fn build_base() -> (tempfile::TempDir, Repo) {
    let (dir, path) = common::build_base();
    let repo = Repo::open(&path, "bench").expect("open base");
    (dir, repo)
}

/// One keystroke's worth of queries, as the list issues them.
fn keystroke(repo: &Repo, q: &str) -> (usize, usize) {
    let rows = repo.search_customers(q, 0, 50).expect("search");
    let n = repo.count_customers(q, 10_001).expect("count");
    (rows.len(), n)
}

/// Times `f` call by call and prints p50, p99 and max.
fn probe(label: &str, mut f: impl FnMut()) {
    let mut times = Vec::new();
    let started = Instant::now();
    while times.len() < 2_000 && (times.len() < 50 || started.elapsed() < Duration::from_millis(1_500)) {
        let t = Instant::now();
        f();
        times.push(t.elapsed());
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

const QUERIES: &[(&str, &str)] = &[
    ("latin_1_m", "m"),
    ("latin_3_mul", "mül"),
    ("latin_6_muller", "müller"),
    ("cjk_2_yamada", "山田"),
    ("cjk_1_wang", "王"),
    ("phone_721-4711", "721-4711"),
    ("phone_5147", "5147"),
    ("miss_zzzzzz", "zzzzzz"),
];

fn search(c: &mut Criterion) {
    let (_dir, repo) = build_base();
    for (name, q) in QUERIES {
        let (rows, n) = keystroke(&repo, q);
        eprintln!("query {name} ({q:?}): {rows} rows shown, {n} counted (cap 10001)");
    }
    for (name, q) in QUERIES {
        probe(&format!("search+count {name}"), || {
            black_box(keystroke(&repo, q));
        });
        probe(&format!("search only {name}"), || {
            black_box(repo.search_customers(q, 0, 50).expect("search"));
        });
        probe(&format!("count only {name}"), || {
            black_box(repo.count_customers(q, 10_001).expect("count"));
        });
    }
    let mut g = c.benchmark_group("search_keystroke");
    for (name, q) in QUERIES {
        g.bench_function(*name, |b| b.iter(|| black_box(keystroke(&repo, black_box(q)))));
    }
    g.finish();
}

fn config() -> Criterion {
    Criterion::default().sample_size(30).warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(3))
}

criterion_group! {
    name = benches;
    config = config();
    targets = search
}
criterion_main!(benches);
