//! The churn model's fit on a base of 100,000 customers (PRODUCT.md
//! section 7: ≤ 1 s), and the per-customer predictions that follow a fit.
//!
//! The base is simulated deterministically (seeded) from the BG/NBD process
//! itself with CDNOW-like parameters (weeks: r = 0.243, α = 4.414,
//! a = 0.793, b = 2.426): first purchases spread over a year, calibration
//! ending a year after the last of them, purchase times rounded to days and
//! summarised with `bgnbd::summarise` as the app does (outside the timing).
//! Day rounding leaves many identical (x, t_x, T) triples, as real bases
//! have; the distinct count is printed.
//!
//! Run: `cargo bench --bench bgnbd` (or `-- --quick`). The base size can be
//! changed with `RAPPORT_BENCH_CUSTOMERS`.

use std::collections::HashSet;
use std::hint::black_box;
use std::time::Instant;

use chrono::{Days, NaiveDate};
use criterion::{Criterion, criterion_group, criterion_main};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rapport::domain::bgnbd::{self, Params, Rfm};

const TRUE: Params = Params { r: 0.243, alpha: 4.414, a: 0.793, b: 2.426 };

fn base_size() -> usize {
    std::env::var("RAPPORT_BENCH_CUSTOMERS").ok().and_then(|s| s.parse().ok()).unwrap_or(100_000)
}

fn normal(rng: &mut ChaCha8Rng) -> f64 {
    // Box–Muller; 1 − u keeps the logarithm finite.
    let u: f64 = 1.0 - rng.random::<f64>();
    let v: f64 = rng.random();
    (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
}

/// Gamma(shape, 1) by Marsaglia and Tsang's method (boosted below shape 1).
fn gamma(rng: &mut ChaCha8Rng, shape: f64) -> f64 {
    if shape < 1.0 {
        let u: f64 = 1.0 - rng.random::<f64>();
        return gamma(rng, shape + 1.0) * u.powf(1.0 / shape);
    }
    let d = shape - 1.0 / 3.0;
    let c = 1.0 / (9.0 * d).sqrt();
    loop {
        let x = normal(rng);
        let v = (1.0 + c * x).powi(3);
        if v <= 0.0 {
            continue;
        }
        let u: f64 = 1.0 - rng.random::<f64>();
        if u.ln() < 0.5 * x * x + d - d * v + d * v.ln() {
            return d * v;
        }
    }
}

/// One customer's purchase days: born on `birth`, buying at rate λ
/// (per week) and dropping out with probability p after each repeat
/// purchase, observed up to `end`.
fn simulate(rng: &mut ChaCha8Rng, birth: NaiveDate, end: NaiveDate) -> Vec<NaiveDate> {
    let lambda = gamma(rng, TRUE.r) / TRUE.alpha;
    let (ga, gb) = (gamma(rng, TRUE.a), gamma(rng, TRUE.b));
    let p = ga / (ga + gb);
    let horizon = (end - birth).num_days() as f64 / 7.0;
    let mut days = vec![birth];
    let mut t = 0.0;
    loop {
        let u: f64 = 1.0 - rng.random::<f64>();
        t += -u.ln() / lambda;
        if t.is_nan() || t > horizon {
            break;
        }
        days.push(birth + Days::new((t * 7.0).floor() as u64));
        if rng.random::<f64>() < p {
            break;
        }
    }
    days
}

fn synthetic_base(n: usize) -> Vec<Rfm> {
    let mut rng = ChaCha8Rng::seed_from_u64(20_050_401);
    let start = NaiveDate::from_ymd_opt(2024, 1, 1).unwrap();
    let end = NaiveDate::from_ymd_opt(2025, 12, 31).unwrap();
    (0..n)
        .map(|_| {
            let birth = start + Days::new(rng.random_range(0..366));
            let days = simulate(&mut rng, birth, end);
            bgnbd::summarise(&days, end, 7.0).expect("born before the end")
        })
        .collect()
}

fn bench_fit(c: &mut Criterion) {
    let n = base_size();
    let data = synthetic_base(n);
    let distinct: HashSet<(u64, u64, u64)> =
        data.iter().map(|c| (c.x.to_bits(), c.t_x.to_bits(), c.t.to_bits())).collect();
    let repeat = data.iter().filter(|c| c.x > 0.0).count();
    let started = Instant::now();
    let fit = bgnbd::fit(&data).expect("the synthetic base fits");
    eprintln!(
        "probe bgnbd: {n} customers, {repeat} repeat buyers, {} distinct (x, t_x, T); one fit {:?}, {} iterations; \
         r {:.3} alpha {:.3} a {:.3} b {:.3} (simulated with r {} alpha {} a {} b {}); log-likelihood {:.1}",
        distinct.len(),
        started.elapsed(),
        fit.iterations,
        fit.params.r,
        fit.params.alpha,
        fit.params.a,
        fit.params.b,
        TRUE.r,
        TRUE.alpha,
        TRUE.a,
        TRUE.b,
        fit.log_likelihood,
    );
    let mut group = c.benchmark_group("bgnbd");
    group.sample_size(10);
    group.bench_function(format!("fit {n} customers"), |b| b.iter(|| bgnbd::fit(black_box(&data)).unwrap()));
    // What a refit's follow-up costs: every customer's P(alive) and
    // expected purchases over the next 52 weeks.
    group.bench_function(format!("predict {n} customers"), |b| {
        b.iter(|| {
            black_box(&data)
                .iter()
                .map(|c| bgnbd::p_alive(&fit.params, c) + bgnbd::expected_purchases(&fit.params, c, 52.0))
                .sum::<f64>()
        })
    });
    group.finish();
}

criterion_group!(benches, bench_fit);
criterion_main!(benches);
