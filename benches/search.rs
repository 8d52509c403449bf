//! Search as you type: what one keystroke in the customer list costs the
//! base, i.e. `count_customers_in(q, 10_001)` then
//! `search_customers_counted(q, 0, 50, count)`,
//! for short and long Latin queries, CJK, phone digits (and the first two
//! typed, which are not yet a phone number) and a miss.
//!
//! The base is generated once per run into a temporary directory
//! (`RAPPORT_BENCH_CUSTOMERS` customers, 20,000 by default) with the demo
//! generator, then the pyramid is recomputed; or `RAPPORT_BENCH_SEARCH_DB=PATH`
//! names an existing base (e.g. one made by `rapport demo --scale 1m`),
//! whose search index is caught up first if it is not complete. See
//! BENCHMARKS.md.
//!
//! The base remembers the matches of the last search until it changes
//! (scrolling a result list reads them again); a keystroke is a new search,
//! so before every timed call another search is made, untimed.
//!
//! Besides criterion's estimates, each query is also timed call by call
//! (outside criterion) and its p50 / p99 / max printed to stderr as
//! `probe ...` lines, since the budget is a p99.
//!
//! Run: `cargo bench --bench search`

mod common;

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use rapport::repo::Repo;
use rapport::repo::customers::{ListFilter, SORT_BELOW};

/// The shared base, opened, its search index complete.
fn build_base() -> (Option<tempfile::TempDir>, Repo) {
    let (dir, path) = match std::env::var_os("RAPPORT_BENCH_SEARCH_DB") {
        Some(p) => (None, std::path::PathBuf::from(p)),
        None => {
            let (dir, path) = common::build_base();
            (Some(dir), path)
        }
    };
    let mut repo = Repo::open(&path, "bench").expect("open base");
    let t = Instant::now();
    repo.catch_up_search_index().expect("search index");
    eprintln!("search index caught up in {:.2?}; {} customers", t.elapsed(), repo.customer_count().expect("count"));
    (dir, repo)
}

/// Another search, so that the next one is not served from the matches
/// the base remembers (it finds nobody, through the index).
fn forget(repo: &Repo) {
    black_box(repo.count_customers("\u{1}\u{1}\u{1}", 10_001).expect("count"));
}

/// One keystroke's worth of queries, as the customer list issues them:
/// the count (capped), then the window of rows in view.
fn keystroke(repo: &Repo, q: &str) -> (usize, usize) {
    let filter = ListFilter::default();
    let n = repo.count_customers_in(&filter, q, SORT_BELOW).expect("count");
    let rows = repo.search_customers_counted(&filter, q, 0, 50, n).expect("search");
    (rows.len(), n)
}

/// Times `f` call by call (each after a [`forget`]) and prints p50, p99 and max.
fn probe(repo: &Repo, label: &str, mut f: impl FnMut()) {
    let mut times = Vec::new();
    let started = Instant::now();
    while times.len() < 2_000 && (times.len() < 50 || started.elapsed() < Duration::from_millis(1_500)) {
        forget(repo);
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
    ("latin_2_ma", "ma"),
    ("latin_3_mul", "mül"),
    ("latin_6_muller", "müller"),
    ("latin_3_mar", "mar"),
    ("latin_12_maria_garcia", "maria garcia"),
    ("cjk_2_yamada", "山田"),
    ("cjk_1_wang", "王"),
    ("cjk_1_yama", "山"),
    ("phone_721-4711", "721-4711"),
    ("digits_2_51", "51"),
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
        probe(&repo, &format!("search+count {name}"), || {
            black_box(keystroke(&repo, q));
        });
    }
    let mut g = c.benchmark_group("search_keystroke");
    for (name, q) in QUERIES {
        g.bench_function(*name, |b| {
            b.iter_batched(|| forget(&repo), |_| black_box(keystroke(&repo, black_box(q))), BatchSize::PerIteration)
        });
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
