//! The pyramid on real data nobody on this project wrote: CDNOW purchases
//! and the Chinook customers and invoices (see ../shared/data/README.md).
//! Where that folder is absent (a clone elsewhere), the tests say so and skip.

mod shared_data;

use std::collections::HashMap;
use std::path::PathBuf;

use chrono::{NaiveDate, TimeZone, Utc};
use rapport::domain::model::{CustomerKind, NewCustomer, NewTransaction, Tier, TxKind};
use rapport::domain::money::Money;
use rapport::repo::Repo;

fn data_dir() -> Option<PathBuf> {
    shared_data::dir("chinook")
}

/// Dollars as written in the files ("11.77", "1.98") to cents, exactly.
fn cents(s: &str) -> i64 {
    Money::parse(s).unwrap_or_else(|e| panic!("{e}")).0
}

fn noon(d: NaiveDate) -> chrono::DateTime<Utc> {
    Utc.from_utc_datetime(&d.and_hms_opt(12, 0, 0).unwrap())
}

/// The pyramid rules written out plainly, independent of the crate: sort by
/// contribution (ties by id), cumulative share of the positive total, the
/// crosser belongs to the upper band, rising Low customers are Growth.
fn expected_tiers(contrib: &[(i64, i64, i64, i64)]) -> HashMap<i64, Tier> {
    let total: i64 = contrib.iter().map(|c| c.1.max(0)).sum();
    let mut order: Vec<_> = contrib.to_vec();
    order.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let mut cum = 0i64;
    let mut out = HashMap::new();
    for (id, c, recent, previous) in order {
        let rising = recent > 0 && recent * 100 >= previous * 150;
        let tier = if c < 0 {
            Tier::Negative
        } else if c > 0 && (cum as i128) * 100 < total as i128 * 50 {
            Tier::Top
        } else if (c > 0 && (cum as i128) * 100 < total as i128 * 80) || rising {
            Tier::Growth
        } else {
            Tier::Low
        };
        if c > 0 {
            cum += c;
        }
        out.insert(id, tier);
    }
    out
}

#[test]
fn cdnow_pyramid_matches_an_independent_computation() {
    let Some(dir) = data_dir() else { return };
    let text = std::fs::read_to_string(dir.join("cdnow/CDNOW_master.txt")).unwrap();
    // customer id, date YYYYMMDD, number of CDs, dollar value.
    let rows: Vec<(i64, NaiveDate, i64)> = text
        .lines()
        // A header line, then data.
        .filter(|l| l.split_whitespace().next().is_some_and(|f| f.bytes().all(|b| b.is_ascii_digit())))
        .map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            (f[0].parse().unwrap(), NaiveDate::parse_from_str(f[1], "%Y%m%d").unwrap(), cents(f[3]))
        })
        .collect();
    assert_eq!(rows.len(), 69_659);

    let dir_tmp = tempfile::tempdir().unwrap();
    let mut repo = Repo::open(&dir_tmp.path().join("cdnow.db"), "import").unwrap();
    let mut ids: HashMap<i64, i64> = HashMap::new();
    repo.batch(|b| {
        for (cdnow_id, day, amount) in &rows {
            let id = match ids.get(cdnow_id) {
                Some(id) => *id,
                None => {
                    let mut c = NewCustomer::named(CustomerKind::Individual, &format!("CDNOW {cdnow_id:05}"));
                    c.external_id = Some(format!("cdnow-{cdnow_id}"));
                    let id = b.customer(&c)?;
                    ids.insert(*cdnow_id, id);
                    id
                }
            };
            b.transaction(&NewTransaction {
                customer_id: id,
                external_id: None,
                kind: TxKind::Sale,
                amount: Money(*amount),
                occurred_at: noon(*day),
                reference: None,
            })?;
        }
        Ok(())
    })
    .unwrap();
    assert_eq!(ids.len(), 23_570);

    // The report, through the real binary, as of 1998-06-30 with a 547-day window.
    let out = assert_cmd::Command::new(env!("CARGO_BIN_EXE_rapport"))
        .args(["report", "pyramid", "--format", "json", "--customers", "--as-of", "1998-06-30", "--window", "547"])
        .arg("--db")
        .arg(dir_tmp.path().join("cdnow.db"))
        .env("RAPPORT_CONFIG_DIR", dir_tmp.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();

    // The independent computation over the raw file: the window holds the
    // days after 1998-06-30 − 547 days, up to and including 1998-06-30.
    let as_of = NaiveDate::from_ymd_opt(1998, 6, 30).unwrap();
    let first = as_of - chrono::Duration::days(546);
    let recent_from = as_of - chrono::Duration::days(89);
    let previous_from = as_of - chrono::Duration::days(179);
    let mut per: HashMap<i64, (i64, i64, i64)> = HashMap::new();
    for (cdnow_id, day, amount) in &rows {
        let e = per.entry(ids[cdnow_id]).or_default();
        if *day >= first && *day <= as_of {
            e.0 += amount;
        }
        if *day >= recent_from && *day <= as_of {
            e.1 += amount;
        } else if *day >= previous_from && *day < recent_from {
            e.2 += amount;
        }
    }
    let contrib: Vec<(i64, i64, i64, i64)> = per.iter().map(|(id, (c, r, p))| (*id, *c, *r, *p)).collect();
    let expected = expected_tiers(&contrib);

    let customers = report["customers"].as_array().unwrap();
    assert_eq!(customers.len(), 23_570);
    for c in customers {
        let id = c["id"].as_i64().unwrap();
        assert_eq!(c["contribution"].as_i64().unwrap(), per[&id].0, "customer {id}");
        assert_eq!(c["tier"].as_str().unwrap(), expected[&id].code(), "customer {id}");
    }
    let total: i64 = rows.iter().map(|r| r.2).sum();
    assert_eq!(report["positive_total"].as_i64().unwrap(), total);
    for (i, t) in Tier::ALL.iter().enumerate() {
        let n = expected.values().filter(|x| *x == t).count() as u64;
        let sum: i64 = expected.iter().filter(|(_, x)| *x == t).map(|(id, _)| per[id].0).sum();
        assert_eq!(report["tiers"][i]["count"].as_u64().unwrap(), n, "{t}");
        assert_eq!(report["tiers"][i]["total"].as_i64().unwrap(), sum, "{t}");
    }
    // The published shape of CDNOW: a small head brings half the revenue.
    let top = report["tiers"][0]["count"].as_u64().unwrap();
    assert!(top > 0 && top < 23_570 / 10, "top band of {top} customers");
    assert!(report["tiers"][0]["share"].as_f64().unwrap() >= 0.5);
}

#[test]
fn chinook_customers_and_invoices_make_a_pyramid() {
    let Some(dir) = data_dir() else { return };
    let dir_tmp = tempfile::tempdir().unwrap();
    let mut repo = Repo::open(&dir_tmp.path().join("chinook.db"), "import").unwrap();
    let mut customers = csv::Reader::from_path(dir.join("chinook/customers.csv")).unwrap();
    let mut invoices = csv::Reader::from_path(dir.join("chinook/invoices.csv")).unwrap();
    let mut ids: HashMap<String, i64> = HashMap::new();
    let mut per: HashMap<i64, (i64, i64, i64)> = HashMap::new();
    let as_of = NaiveDate::from_ymd_opt(2025, 12, 31).unwrap();
    repo.batch(|b| {
        for r in customers.records() {
            let r = r.unwrap();
            let mut c = NewCustomer::named(CustomerKind::Individual, &format!("{} {}", &r[1], &r[2]));
            c.external_id = Some(format!("chinook-{}", &r[0]));
            c.company = Some(r[3].to_string()).filter(|s| !s.is_empty());
            c.city = Some(r[5].to_string());
            c.country = Some(r[7].to_string());
            c.phone = Some(r[9].to_string()).filter(|s| !s.is_empty());
            c.email = Some(r[10].to_string());
            let id = b.customer(&c)?;
            ids.insert(r[0].to_string(), id);
            per.insert(id, (0, 0, 0));
        }
        for r in invoices.records() {
            let r = r.unwrap();
            let id = ids[&r[1]];
            let day = NaiveDate::parse_from_str(&r[2], "%Y-%m-%d").unwrap();
            let amount = cents(&r[3]);
            let e = per.get_mut(&id).unwrap();
            e.0 += amount;
            if day > as_of - chrono::Duration::days(90) {
                e.1 += amount;
            } else if day > as_of - chrono::Duration::days(180) {
                e.2 += amount;
            }
            b.transaction(&NewTransaction {
                customer_id: id,
                external_id: Some(format!("chinook-invoice-{}", &r[0])),
                kind: TxKind::Sale,
                amount: Money(amount),
                occurred_at: noon(day),
                reference: Some(format!("invoice {}", &r[0])),
            })?;
        }
        Ok(())
    })
    .unwrap();
    assert_eq!(ids.len(), 59);

    // Five years: every invoice (2021–2025) is in the window.
    let mut config = rapport::config::Config::default();
    config.pyramid.window_days = 1826;
    let p = rapport::services::pyramid::recompute(&mut repo, &config, as_of).unwrap();
    let contrib: Vec<_> = per.iter().map(|(id, (c, r, pr))| (*id, *c, *r, *pr)).collect();
    let expected = expected_tiers(&contrib);
    for c in &p.customers {
        assert_eq!(c.tier, expected[&c.customer_id], "customer {}", c.customer_id);
    }
    let total: i64 = per.values().map(|v| v.0).sum();
    assert_eq!(p.positive_total, Money(total));
    assert_eq!(p.bands.iter().map(|b| b.count).sum::<u64>(), 59);
    // Chinook's invoices are nearly uniform: the top band is far from "a few".
    assert!(p.bands[0].count > 10, "{:?}", p.bands);

    // And the pane shows it: "Luís Gonçalves" is findable and the pyramid draws the bands.
    let bands = repo.tier_bands().unwrap();
    assert_eq!(bands.iter().map(|b| b.total.0).sum::<i64>(), total);
    assert_eq!(repo.search_customers("luis goncalves", 0, 5).unwrap()[0].name, "Luís Gonçalves");
}
