//! The churn model on real data: the CDNOW sample and its published summary
//! and estimates (../shared/data/cdnow, see its README). Where that folder is
//! absent (a clone elsewhere), the tests say so and skip.

mod shared_data;

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;

use chrono::NaiveDate;
use rapport::domain::bgnbd::{self, FitError, Params, Rfm};

fn data_dir() -> Option<PathBuf> {
    shared_data::dir("cdnow")
}

fn calibration_end() -> NaiveDate {
    NaiveDate::from_ymd_opt(1997, 9, 30).unwrap()
}

/// `CDNOW_sample.txt`: customer id, sample id, date YYYYMMDD, CDs, dollars.
/// Purchase days by sample id, and the customer id each sample id stands for.
fn sample_purchases(dir: &std::path::Path) -> (BTreeMap<u32, Vec<NaiveDate>>, HashMap<u32, u32>) {
    let text = std::fs::read_to_string(dir.join("cdnow/CDNOW_sample.txt")).expect("read CDNOW_sample.txt");
    let mut days: BTreeMap<u32, Vec<NaiveDate>> = BTreeMap::new();
    let mut customer_of: HashMap<u32, u32> = HashMap::new();
    for (n, line) in text.lines().enumerate() {
        let f: Vec<&str> = line.split_whitespace().collect();
        if f.is_empty() {
            continue;
        }
        assert_eq!(f.len(), 5, "line {}: {line:?}", n + 1);
        let customer: u32 = f[0].parse().unwrap();
        let sample: u32 = f[1].parse().unwrap();
        let date = NaiveDate::parse_from_str(f[2], "%Y%m%d").unwrap_or_else(|e| panic!("line {}: {e}", n + 1));
        let previous = customer_of.insert(sample, customer);
        assert!(previous.is_none_or(|c| c == customer), "sample id {sample} names two customers");
        days.entry(sample).or_default().push(date);
    }
    (days, customer_of)
}

/// `cdnow_customers_summary.csv`: ID, frequency, recency, T (weeks).
fn published_summary(dir: &std::path::Path) -> BTreeMap<u32, Rfm> {
    let mut reader = csv::Reader::from_path(dir.join("cdnow/cdnow_customers_summary.csv")).expect("summary csv");
    assert_eq!(reader.headers().unwrap(), vec!["ID", "frequency", "recency", "T"]);
    reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            let v = |i: usize| r[i].parse::<f64>().unwrap();
            (r[0].parse().unwrap(), Rfm { x: v(1), t_x: v(2), t: v(3) })
        })
        .collect()
}

/// Every customer's (x, t_x, T) in weeks, derived from the raw purchases.
fn derived(dir: &std::path::Path) -> BTreeMap<u32, Rfm> {
    let (days, _) = sample_purchases(dir);
    days.into_iter()
        .map(|(id, d)| (id, bgnbd::summarise(&d, calibration_end(), 7.0).expect("a purchase in calibration")))
        .collect()
}

#[test]
fn summaries_match_the_published_file() {
    let Some(dir) = data_dir() else { return };
    let (days, customer_of) = sample_purchases(&dir);
    let published = published_summary(&dir);
    let ours = derived(&dir);
    assert_eq!(ours.len(), 2357);
    assert_eq!(published.len(), 2357);
    // The summary's ID is the sample id (1..=2357), not the master file's
    // customer id: the first row (ID 1) is customer 00004, sample id 0001.
    assert_eq!(customer_of[&1], 4);
    assert_eq!(ours.keys().collect::<Vec<_>>(), published.keys().collect::<Vec<_>>());
    let mut worst = 0.0f64;
    for (id, want) in &published {
        let got = ours[id];
        assert_eq!(got.x, want.x, "customer {id}: x {got:?} vs {want:?} from {:?}", days[id]);
        for (g, w, what) in [(got.t_x, want.t_x, "t_x"), (got.t, want.t, "T")] {
            assert!((g - w).abs() <= 0.01, "customer {id}: {what} {g} vs {w} ({got:?} vs {want:?})");
            worst = worst.max((g - w).abs());
        }
    }
    eprintln!("largest difference from the published summary: {worst:.5} week");
}

#[test]
fn fit_reproduces_the_published_estimates() {
    let Some(dir) = data_dir() else { return };
    let data: Vec<Rfm> = derived(&dir).into_values().collect();
    let started = std::time::Instant::now();
    let fit = bgnbd::fit(&data).expect("CDNOW fits");
    eprintln!("fit in {:?}: {fit:?}", started.elapsed());
    let p = fit.params;
    for (got, want, name) in [(p.r, 0.243, "r"), (p.alpha, 4.414, "alpha"), (p.a, 0.793, "a"), (p.b, 2.426, "b")] {
        assert!((got - want).abs() <= 0.01 * want, "{name} = {got}, published {want}");
    }
    assert!((fit.log_likelihood - -9582.4).abs() <= 0.5, "log-likelihood {}", fit.log_likelihood);
    assert_eq!(fit.customers, 2357);
    // The reported log-likelihood is the plain one at the fitted parameters.
    assert!((fit.log_likelihood - bgnbd::log_likelihood(&p, &data)).abs() < 1e-6);
    // And the published parameters do no better.
    let paper = Params { r: 0.243, alpha: 4.414, a: 0.793, b: 2.426 };
    assert!(bgnbd::log_likelihood(&paper, &data) <= fit.log_likelihood + 1e-9);

    // The published summary itself gives the same fit.
    let published: Vec<Rfm> = published_summary(&dir).into_values().collect();
    let again = bgnbd::fit(&published).unwrap();
    assert!((again.log_likelihood - fit.log_likelihood).abs() < 0.5);
}

#[test]
fn predictions_are_sane() {
    let Some(dir) = data_dir() else { return };
    let customers = derived(&dir);
    let data: Vec<Rfm> = customers.values().copied().collect();
    let p = bgnbd::fit(&data).unwrap().params;

    for (id, c) in customers.iter().take(50) {
        let alive = bgnbd::p_alive(&p, c);
        assert!(alive.is_finite() && (0.0..=1.0).contains(&alive), "customer {id}: {alive}");
        if c.x == 0.0 {
            assert_eq!(alive, 1.0);
        }
        for t in [1.0, 10.0, 39.0, 52.0] {
            let e = bgnbd::expected_purchases(&p, c, t);
            assert!(e.is_finite() && e >= 0.0, "customer {id}: E[Y({t})] = {e}");
        }
    }

    // Customer 1 (x = 2, t_x = 30.43, T = 38.86): the figures Fader, Hardie
    // and Lee's spreadsheet note gives for this history, 39 weeks ahead.
    let c = customers[&1];
    let e39 = bgnbd::expected_purchases(&p, &c, 39.0);
    eprintln!("customer 1: {c:?}, P(alive) {:.4}, E[Y(39)] {e39:.4}", bgnbd::p_alive(&p, &c));
    assert!((e39 - 1.226).abs() < 0.01, "E[Y(39)] = {e39}");

    // More recent last purchase, same x and T: more likely alive, more
    // purchases to come.
    let (x, t) = (3.0, 38.0);
    let mut last = (0.0, 0.0);
    for k in 0..=38 {
        let c = Rfm { x, t_x: k as f64, t };
        let now = (bgnbd::p_alive(&p, &c), bgnbd::expected_purchases(&p, &c, 39.0));
        assert!(now.0 > last.0 && now.1 > last.1, "t_x = {k}: {now:?} after {last:?}");
        last = now;
    }
    // More repeat purchases at the same recency: more purchases to come.
    let at = |x: f64| bgnbd::expected_purchases(&p, &Rfm { x, t_x: 36.0, t: 38.0 }, 39.0);
    assert!(at(1.0) < at(3.0) && at(3.0) < at(10.0));
    // Across the base, the expected purchases in the next 39 weeks are of
    // the size of the purchases observed in the calibration 39 weeks.
    let expected: f64 = data.iter().map(|c| bgnbd::expected_purchases(&p, c, 39.0)).sum();
    let observed: f64 = data.iter().map(|c| c.x).sum();
    eprintln!("expected repeat purchases over the next 39 weeks: {expected:.0} (calibration: {observed:.0})");
    assert!(expected > 0.3 * observed && expected < 1.5 * observed);
}

#[test]
fn degenerate_bases_get_clear_errors() {
    let e = bgnbd::fit(&[]).unwrap_err();
    assert_eq!(e, FitError::NoCustomers);
    assert!(e.to_string().contains("no customers"), "{e}");

    let e = bgnbd::fit(&[Rfm { x: 2.0, t_x: 10.0, t: 20.0 }]).unwrap_err();
    assert!(matches!(e, FitError::TooFewCustomers { customers: 1, .. }), "{e}");
    assert!(e.to_string().contains("only 1 customer"), "{e}");

    let none_returned: Vec<Rfm> = (0..100).map(|i| Rfm { x: 0.0, t_x: 0.0, t: 10.0 + i as f64 }).collect();
    let e = bgnbd::fit(&none_returned).unwrap_err();
    assert_eq!(e, FitError::NoRepeatBuyers { customers: 100 });
    assert!(e.to_string().contains("none of the 100 customers has bought more than once"), "{e}");
}
