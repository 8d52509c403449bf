//! `rapport demo --scale N`: a large generated base for benchmarks and
//! trying rapport at size — N customers, 10·N transactions, N/5 deals and
//! N reminders, written in minutes through [`Repo::bulk_load`] (prepared
//! statements, one transaction, one audit entry).
//!
//! It is thinner than the rich demo ([`super::generate`]): no contacts,
//! interactions, promises or complaints, but the same name tables (Latin,
//! accented and CJK names, cities and phone formats) and realistic money:
//! each customer's yearly value follows a Pareto law (tail index 1, in
//! integer cents), so few customers bring most of the value; transactions
//! go to customers in proportion to a weight that grows with their value,
//! spread over the two years before `today`; a few percent of customers cost
//! more (refunds, service, written-off debt) than they buy.
//!
//! Everything comes from one seeded generator and `today` (no wall-clock
//! time is stored but the load's audit entry): the same options make the
//! same rows. Integer arithmetic only, so no floating-point detail of the
//! machine changes a row.

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, Utc};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::{
    AGENTS, COMPETITORS, CULTURES, Culture, DEFAULT_LOST_REASONS, DEFAULT_STAGES, EMAIL_DOMAINS, HISTORY_DAYS, Lang,
    MONTREAL, Place, TOKYO, VIP_LEVELS, WON_REASONS, YAMADA, YAMADA_PHONE, ZOE, ZOE_EMAIL, ZOE_PHONE, ascii_slug,
    texts,
};
use crate::config::Config;
use crate::domain::model::{CustomerKind, DealStatus, ReminderKind, ReminderStatus, TxKind};
use crate::domain::money::Money;
use crate::domain::text::phone_digits;
use crate::repo::bulk::{BulkCustomer, BulkDeal, BulkLoad, BulkReminder};
use crate::repo::{Repo, RepoError};

/// Transactions per customer, on average (exactly, per block of customers).
pub const TRANSACTIONS_PER_CUSTOMER: usize = 10;

/// One customer in this many has a deal (the last of each group of five).
pub const CUSTOMERS_PER_DEAL: usize = 5;

/// Customers planned together: their transactions add up to exactly
/// [`TRANSACTIONS_PER_CUSTOMER`] each.
const BLOCK: usize = 1_000;

/// What to generate.
#[derive(Debug, Clone, PartialEq)]
pub struct ScaleOptions {
    pub customers: usize,
    pub seed: u64,
    /// Everything is dated relative to this day (UTC).
    pub today: NaiveDate,
    /// Open stage names, in pipeline order.
    pub stages: Vec<String>,
    /// Reasons a lost deal is given.
    pub lost_reasons: Vec<String>,
}

impl ScaleOptions {
    /// `customers` customers, seed 42, the default pipeline and lost reasons.
    pub fn new(customers: usize, today: NaiveDate) -> ScaleOptions {
        ScaleOptions {
            customers,
            seed: 42,
            today,
            stages: DEFAULT_STAGES.iter().map(|s| s.to_string()).collect(),
            lost_reasons: DEFAULT_LOST_REASONS.iter().map(|s| s.to_string()).collect(),
        }
    }
}

/// How many rows of each kind were written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ScaleSummary {
    pub customers: usize,
    pub transactions: usize,
    pub deals: usize,
    /// Rows of the deals' stage history (creation, moves, closing).
    pub deal_moves: usize,
    pub reminders: usize,
}

/// Reads a size: a number of customers (`2000`, `250_000`), or one with a
/// `k` (thousand) or `m` (million) suffix: `10k`, `100k`, `1m`.
pub fn parse_scale(s: &str) -> Result<usize, String> {
    let t = s.trim().to_ascii_lowercase().replace(['_', ','], "");
    let (digits, mult) = match t.strip_suffix('m') {
        Some(d) => (d, 1_000_000),
        None => match t.strip_suffix('k') {
            Some(d) => (d, 1_000),
            None => (t.as_str(), 1),
        },
    };
    let n: usize = digits
        .parse()
        .ok()
        .and_then(|n: usize| n.checked_mul(mult))
        .ok_or_else(|| format!("\"{s}\" is not a size (a number of customers, or e.g. 10k, 100k, 1m)"))?;
    if n == 0 {
        return Err("the size must be at least 1 customer".into());
    }
    Ok(n)
}

/// Generates the base into an empty database, then computes the pyramid
/// once with `config`'s settings as of `today` (which also takes the day's
/// snapshot). Refuses (`RepoError::Invalid`) a base with customers and
/// options without an open stage.
pub fn generate(repo: &mut Repo, opts: &ScaleOptions, config: &Config) -> Result<ScaleSummary, RepoError> {
    let summary = load(repo, opts)?;
    crate::services::pyramid::recompute(repo, config, opts.today)?;
    Ok(summary)
}

/// Writes the base, without computing the pyramid (every customer is Low
/// until it is).
pub fn load(repo: &mut Repo, opts: &ScaleOptions) -> Result<ScaleSummary, RepoError> {
    if opts.stages.is_empty() || opts.stages.iter().any(|s| s.trim().is_empty()) {
        return Err(RepoError::Invalid("demo data needs at least one open pipeline stage, none of them blank".into()));
    }
    let what = serde_json::json!({"what": "demo scale", "size": opts.customers, "seed": opts.seed,
        "today": opts.today.to_string()});
    let mut g = Gen::new(opts);
    let ((), c) = repo.bulk_load(what, |b| {
        let mut start = 0;
        while start < opts.customers {
            let end = (start + BLOCK).min(opts.customers);
            g.block(b, start, end)?;
            start = end;
        }
        Ok(())
    })?;
    Ok(ScaleSummary {
        customers: c.customers,
        transactions: c.transactions,
        deals: c.deals,
        deal_moves: c.deal_moves,
        reminders: c.reminders,
    })
}

/// A name part: its native form and an ASCII one for e-mail addresses.
struct Part {
    native: &'static str,
    roman: String,
}

fn parts(xs: &'static [&'static str]) -> Vec<Part> {
    xs.iter()
        .map(|s| match s.split_once('|') {
            Some((native, roman)) => Part { native, roman: roman.to_string() },
            None => Part { native: s, roman: ascii_slug(s) },
        })
        .collect()
}

/// A culture's names, split once.
struct Names {
    c: &'static Culture,
    given: Vec<Part>,
    family: Vec<Part>,
    words: Vec<Part>,
}

/// The customer's story with the money.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Profile {
    /// No purchase yet.
    Prospect,
    /// Refunds, costs and bad debt outweigh what they buy.
    Negative,
    /// First purchase within the last three months.
    New,
    /// Stopped buying long ago.
    Churned,
    /// Buying more and more lately.
    Rising,
    Steady,
}

/// One customer, planned before anything is written.
struct Plan {
    names: usize,
    kind: CustomerKind,
    profile: Profile,
    /// Yearly value, cents.
    value: i64,
    /// The relationship's first and last active days, in days ago.
    start_ago: i64,
    end_ago: i64,
    owner: &'static str,
    place: &'static Place,
    transactions: usize,
}

struct Gen<'a> {
    opts: &'a ScaleOptions,
    rng: ChaCha8Rng,
    names: Vec<Names>,
    culture_weight: u32,
    /// Reused buffers.
    plans: Vec<Plan>,
    txs: Vec<(DateTime<Utc>, TxKind, i64)>,
}

impl<'a> Gen<'a> {
    fn new(opts: &'a ScaleOptions) -> Gen<'a> {
        Gen {
            opts,
            rng: ChaCha8Rng::seed_from_u64(opts.seed),
            names: CULTURES
                .iter()
                .map(|c| Names { c, given: parts(c.given), family: parts(c.family), words: parts(c.words) })
                .collect(),
            culture_weight: CULTURES.iter().map(|c| c.weight).sum(),
            plans: Vec::with_capacity(BLOCK),
            txs: Vec::new(),
        }
    }

    fn range(&mut self, lo: i64, hi: i64) -> i64 {
        if hi <= lo { lo } else { self.rng.random_range(lo..=hi) }
    }

    fn chance(&mut self, pct: u32) -> bool {
        self.rng.random_range(0..100) < pct
    }

    fn pick<T: Copy>(&mut self, xs: &[T]) -> T {
        xs[self.rng.random_range(0..xs.len())]
    }

    /// Seconds at `hour:minute` UTC, `days_ago` days before today.
    fn at(&self, days_ago: i64, hour: u32, minute: u32) -> DateTime<Utc> {
        let day = self.opts.today - Duration::days(days_ago);
        day.and_time(NaiveTime::from_hms_opt(hour, minute, 0).unwrap_or_default()).and_utc()
    }

    /// A moment in office hours `days_ago` days before today.
    fn moment(&mut self, days_ago: i64) -> DateTime<Utc> {
        let hour = self.range(8, 18) as u32;
        let minute = self.range(0, 59) as u32;
        self.at(days_ago, hour, minute)
    }

    fn culture(&mut self) -> usize {
        let mut r = self.rng.random_range(0..self.culture_weight);
        for (k, c) in CULTURES.iter().enumerate() {
            if r < c.weight {
                return k;
            }
            r -= c.weight;
        }
        0
    }

    /// A phone number in one of the place's formats, never one of the
    /// numbers of the two named customers.
    fn phone(&mut self, place: &Place) -> String {
        loop {
            let pattern = self.pick(place.phones);
            let s: String = pattern
                .chars()
                .map(|c| match c {
                    'N' => char::from(b'0' + self.rng.random_range(0..10u8)),
                    'M' => char::from(b'0' + self.rng.random_range(2..10u8)),
                    c => c,
                })
                .collect();
            let d = phone_digits(&s);
            if !d.ends_with("7214711") && !d.ends_with("312345678") {
                return s;
            }
        }
    }

    fn text(&mut self, template: &str, lang: Lang) -> String {
        let t = texts(lang);
        let product = self.pick(t.products);
        let n = self.pick(&[5, 10, 12, 20, 25, 50, 100, 250]);
        let year = self.opts.today.year() - self.range(0, 1) as i32;
        let reference = format!("INV-{year}-{:05}", self.range(1, 99_999));
        template.replace("{product}", product).replace("{n}", &n.to_string()).replace("{ref}", &reference)
    }

    // --- one block of customers ------------------------------------------

    fn block(&mut self, b: &mut BulkLoad, start: usize, end: usize) -> Result<(), RepoError> {
        let mut plans = std::mem::take(&mut self.plans);
        plans.clear();
        for i in start..end {
            let p = self.plan(i);
            plans.push(p);
        }
        apportion(&mut plans, TRANSACTIONS_PER_CUSTOMER * (end - start));
        for (k, p) in plans.iter().enumerate() {
            let i = start + k;
            let id = i as i64 + 1;
            self.customer(b, i, p)?;
            self.money(b, id, p)?;
            if i % CUSTOMERS_PER_DEAL == CUSTOMERS_PER_DEAL - 1 {
                self.deal(b, id, p)?;
            }
            self.reminder(b, id, p)?;
        }
        self.plans = plans;
        Ok(())
    }

    fn plan(&mut self, i: usize) -> Plan {
        let named = i < 2;
        let names = match i {
            0 => culture_with_given("花子|hanako"),
            1 => culture_with_given("Zoë"),
            _ => self.culture(),
        };
        let c = self.names[names].c;
        let kind = if named {
            CustomerKind::Individual
        } else {
            match self.range(0, 99) {
                0..15 => CustomerKind::Enterprise,
                15..40 => CustomerKind::Household,
                _ => CustomerKind::Individual,
            }
        };
        let profile = if named {
            Profile::Steady
        } else {
            match self.range(0, 99) {
                0..5 => Profile::Prospect,
                5..10 => Profile::Negative,
                10..18 => Profile::New,
                18..30 => Profile::Churned,
                30..38 => Profile::Rising,
                _ => Profile::Steady,
            }
        };
        let place: &'static Place = match i {
            0 => &TOKYO,
            1 => &MONTREAL,
            _ => &c.places[self.range(0, c.places.len() as i64 - 1) as usize],
        };
        let owner: &'static str = if matches!(c.lang, Lang::Zh | Lang::Ja | Lang::Ko) && self.chance(50) {
            "chen"
        } else {
            self.pick(AGENTS)
        };
        // Yearly value (cents), Pareto-like with tail index 1.
        let base: i64 = match kind {
            CustomerKind::Enterprise => 150_000,
            CustomerKind::Household => 20_000,
            CustomerKind::Individual => 12_000,
        };
        let u = self.range(1, 100_000);
        let value = (base * 100_000 / u).min(base * 300);
        let (start_ago, end_ago) = match profile {
            Profile::Prospect => (self.range(0, HISTORY_DAYS), 0),
            Profile::Negative => (self.range(60, 700), self.range(0, 30)),
            Profile::New => (self.range(5, 89), 0),
            Profile::Churned => {
                let s = self.range(420, HISTORY_DAYS - 1);
                (s, self.range(250, s - 60))
            }
            Profile::Rising => (self.range(200, HISTORY_DAYS - 1), 0),
            Profile::Steady => {
                if self.chance(60) {
                    (HISTORY_DAYS - 1, 0)
                } else {
                    (self.range(120, HISTORY_DAYS - 1), self.range(0, 20))
                }
            }
        };
        Plan { names, kind, profile, value, start_ago, end_ago, owner, place, transactions: 0 }
    }

    fn customer(&mut self, b: &mut BulkLoad, i: usize, p: &Plan) -> Result<(), RepoError> {
        let c = self.names[p.names].c;
        let (n_given, n_family) = (self.names[p.names].given.len() as i64, self.names[p.names].family.len() as i64);
        let mut company = None;
        let mut credit_limit = None;
        let (name, email, phone) = match i {
            0 => (YAMADA.to_string(), Some("taro.yamada@example.com".to_string()), Some(YAMADA_PHONE.to_string())),
            1 => (ZOE.to_string(), Some(ZOE_EMAIL.to_string()), Some(ZOE_PHONE.to_string())),
            _ => match p.kind {
                CustomerKind::Enterprise => {
                    let (name, slug) = self.company(p.names);
                    let email = if self.chance(85) {
                        let local = self.pick(&["info", "contact", "sales", "office", "billing"]);
                        Some(format!("{local}@{slug}.example"))
                    } else {
                        None
                    };
                    if self.chance(70) {
                        let pct = self.range(20, 60);
                        credit_limit = Some(Money((p.value * pct / 100 / 100_000).max(1) * 100_000));
                    }
                    (name, email, Some(self.phone(p.place)))
                }
                CustomerKind::Household => {
                    let f = self.range(0, n_family - 1) as usize;
                    let family = &self.names[p.names].family[f];
                    let name = c.household.replace("{family}", family.native);
                    let roman = family.roman.clone();
                    let phone = if self.chance(90) { Some(self.phone(p.place)) } else { None };
                    let email = if self.chance(75) {
                        let domain = self.pick(EMAIL_DOMAINS);
                        Some(format!("{roman}.family{}@{domain}", self.range(1, 999)))
                    } else {
                        None
                    };
                    (name, email, phone)
                }
                CustomerKind::Individual => {
                    let g = self.range(0, n_given - 1) as usize;
                    let f = self.range(0, n_family - 1) as usize;
                    let middle = if !c.family_first && self.chance(25) {
                        let m = self.range(0, n_given - 1) as usize;
                        self.names[p.names].given[m].native.chars().next()
                    } else {
                        None
                    };
                    let n = &self.names[p.names];
                    let (given, family) = (&n.given[g], &n.family[f]);
                    let name = match middle {
                        _ if c.family_first => format!("{}{}", family.native, given.native),
                        Some(m) => format!("{} {m}. {}", given.native, family.native),
                        None => format!("{} {}", given.native, family.native),
                    };
                    let (gr, fr) = (given.roman.clone(), family.roman.clone());
                    let phone = if self.chance(92) { Some(self.phone(p.place)) } else { None };
                    let email = if self.chance(85) {
                        let domain = self.pick(EMAIL_DOMAINS);
                        Some(match self.range(0, 2) {
                            0 => format!("{gr}.{fr}{}@{domain}", self.range(1, 999)),
                            1 => format!("{}{fr}{}@{domain}", &gr[..1.min(gr.len())], self.range(1, 9999)),
                            _ => format!("{fr}.{gr}{}@{domain}", self.range(1, 99)),
                        })
                    } else {
                        None
                    };
                    if self.chance(8) {
                        company = Some(self.company(p.names).0);
                    }
                    (name, email, phone)
                }
            },
        };
        let vip_level = if p.profile != Profile::Prospect {
            let pct = if p.value > 5 * 20_000 { 30 } else { 8 };
            if self.chance(pct) { Some(self.pick(VIP_LEVELS)) } else { None }
        } else {
            None
        };
        let created_at = self.at(p.start_ago, 9, 0);
        b.customer(&BulkCustomer {
            id: i as i64 + 1,
            external_id: &format!("scale-{:07}", i + 1),
            kind: p.kind,
            name: &name,
            company: company.as_deref(),
            email: email.as_deref(),
            phone: phone.as_deref(),
            city: p.place.city,
            country: p.place.country,
            owner: p.owner,
            vip_level,
            credit_limit,
            created_at,
        })?;
        Ok(())
    }

    /// A company name of the culture and its ASCII slug (for e-mail domains).
    fn company(&mut self, names: usize) -> (String, String) {
        let n = &self.names[names];
        let pattern = n.c.companies[self.rng.random_range(0..n.c.companies.len())];
        let family = &n.family[self.rng.random_range(0..n.family.len())];
        let word = &n.words[self.rng.random_range(0..n.words.len())];
        let (native, roman) = match pattern.split_once('|') {
            Some((a, r)) => (a, Some(r)),
            None => (pattern, None),
        };
        let name = native.replace("{family}", family.native).replace("{word}", word.native);
        let slug = match roman {
            Some(r) => r.replace("{family}", &family.roman).replace("{word}", &word.roman),
            None => ascii_slug(&name),
        };
        (name, slug)
    }

    /// The customer's transactions, oldest first.
    fn money(&mut self, b: &mut BulkLoad, id: i64, p: &Plan) -> Result<(), RepoError> {
        let n = p.transactions as i64;
        if n == 0 {
            return Ok(());
        }
        let span = (p.start_ago - p.end_ago + 1).max(1);
        // The average sale that makes the yearly value over the active span,
        // about four transactions in five being sales.
        let avg = (p.value * span * 100 / 365 / (n * 80)).max(500);
        let negative = p.profile == Profile::Negative;
        let mut txs = std::mem::take(&mut self.txs);
        txs.clear();
        for _ in 0..n {
            let mut ago = self.range(p.end_ago, p.start_ago);
            if p.profile == Profile::Rising {
                // Twice as likely to be recent.
                ago = ago.min(self.range(p.end_ago, p.start_ago));
            }
            let r = self.range(0, 99);
            let (kind, pct) = if negative {
                match r {
                    0..40 => (TxKind::Sale, self.range(50, 150)),
                    40..50 => (TxKind::Payment, self.range(50, 150)),
                    50..75 => (TxKind::Refund, self.range(100, 200)),
                    75..92 => (TxKind::ServiceCost, self.range(100, 200)),
                    _ => (TxKind::WriteOff, self.range(100, 200)),
                }
            } else {
                match r {
                    0..78 => (TxKind::Sale, self.range(50, 150)),
                    78..90 => (TxKind::Payment, self.range(50, 150)),
                    90..94 => (TxKind::Refund, self.range(30, 100)),
                    94..97 => (TxKind::Discount, self.range(5, 15)),
                    97..99 => (TxKind::ServiceCost, self.range(10, 40)),
                    _ => (TxKind::WriteOff, self.range(50, 100)),
                }
            };
            let mut amount = avg * pct / 100;
            if p.profile == Profile::Rising && ago < 90 && kind == TxKind::Sale {
                amount *= 2;
            }
            // Whole currency units most of the time.
            let cents = if self.chance(70) { 0 } else { self.range(0, 99) };
            let amount = (amount / 100 * 100 + cents).max(100);
            let at = self.moment(ago);
            txs.push((at, kind, amount));
        }
        txs.sort_by_key(|t| t.0);
        for &(at, kind, amount) in &txs {
            b.transaction(id, kind, Money(amount), at)?;
        }
        self.txs = txs;
        Ok(())
    }

    fn deal(&mut self, b: &mut BulkLoad, customer_id: i64, p: &Plan) -> Result<(), RepoError> {
        let n_stages = self.opts.stages.len();
        let r = self.range(0, 99);
        let (status, walked) = match r {
            0..55 => (DealStatus::Open, self.early_stage()),
            55..80 => (DealStatus::Won, self.range(0, n_stages as i64 - 1) as usize),
            _ => (DealStatus::Lost, self.range(0, n_stages as i64 - 1) as usize),
        };
        let stale = status == DealStatus::Open && self.chance(20);
        let last_ago = match status {
            DealStatus::Open if stale => self.range(100, 300),
            DealStatus::Open => self.range(0, 30),
            _ => self.range(1, HISTORY_DAYS - 60),
        };
        // Days ago of each stage, walking back from the last one.
        let steps = walked + 1 + usize::from(status != DealStatus::Open);
        let mut agos = vec![last_ago];
        for _ in 1..steps {
            let prev = agos[agos.len() - 1];
            let gap = self.range(2, 21);
            agos.push((prev + gap).min(HISTORY_DAYS - 1));
        }
        agos.reverse();
        let opts: &'a ScaleOptions = self.opts;
        let stages = &opts.stages;
        let stage_names: Vec<&str> = (0..steps)
            .map(|k| match status {
                DealStatus::Won if k == steps - 1 => "Won",
                DealStatus::Lost if k == steps - 1 => "Lost",
                _ => stages[k.min(n_stages - 1)].as_str(),
            })
            .collect();
        let mut moves: Vec<(&str, DateTime<Utc>)> = Vec::with_capacity(steps);
        for (k, ago) in agos.iter().enumerate() {
            let minute = self.range(0, 59) as u32;
            moves.push((stage_names[k], self.at(*ago, 10, minute)));
        }
        let lang = self.names[p.names].c.lang;
        let lang = if lang != Lang::En && self.chance(25) { Lang::En } else { lang };
        let template = self.pick(texts(lang).deals);
        let title = self.text(template, lang);
        let pct = if p.kind == CustomerKind::Enterprise { self.range(10, 60) } else { self.range(30, 120) };
        let amount = Money((p.value * pct / 100 / 1_000 * 1_000).max(10_000));
        let today = self.opts.today;
        let expected_close = match status {
            DealStatus::Open if self.chance(if stale { 60 } else { 15 }) => today - Duration::days(self.range(1, 45)),
            DealStatus::Open => today + Duration::days(self.range(7, 120)),
            _ => today - Duration::days(last_ago) + Duration::days(self.range(-10, 20)),
        };
        let competitors = if self.chance(if status == DealStatus::Lost { 60 } else { 30 }) {
            Some(self.pick(COMPETITORS))
        } else {
            None
        };
        let probability_pct =
            if status == DealStatus::Open && self.chance(10) { Some(self.range(5, 95) as u8) } else { None };
        let next_step =
            if status == DealStatus::Open && self.chance(70) { Some(self.pick(texts(lang).next_steps)) } else { None };
        let close_reason = match status {
            DealStatus::Won => Some(self.pick(WON_REASONS).to_string()),
            DealStatus::Lost if !self.opts.lost_reasons.is_empty() => {
                let j = self.range(0, self.opts.lost_reasons.len() as i64 - 1) as usize;
                Some(self.opts.lost_reasons[j].clone())
            }
            _ => None,
        };
        let owner = if self.chance(80) { p.owner } else { self.pick(AGENTS) };
        b.deal(&BulkDeal {
            customer_id,
            title: &title,
            amount,
            status,
            probability_pct,
            expected_close: Some(expected_close),
            competitors,
            owner,
            next_step,
            close_reason: close_reason.as_deref(),
            moves: &moves,
        })?;
        Ok(())
    }

    /// An open stage, earlier ones more likely (a pipeline narrows).
    fn early_stage(&mut self) -> usize {
        let n = self.opts.stages.len() as i64;
        let mut r = self.range(0, n * (n + 1) / 2 - 1);
        for k in 0..n {
            let w = n - k;
            if r < w {
                return k as usize;
            }
            r -= w;
        }
        0
    }

    fn reminder(&mut self, b: &mut BulkLoad, customer_id: i64, p: &Plan) -> Result<(), RepoError> {
        let kind = match self.range(0, 99) {
            0..30 => ReminderKind::Call,
            30..60 => ReminderKind::FollowUp,
            60..80 => ReminderKind::Task,
            80..90 => ReminderKind::Birthday,
            _ => ReminderKind::NoContact,
        };
        // Due from two months ago to three months ahead.
        let due_in = self.range(-60, 90);
        let hour = self.range(9, 17) as u32;
        let due_at = self.at(-due_in, hour, 0);
        let created_at = due_at - Duration::days(self.range(1, 30));
        let (status, done_at) = if due_in < 0 {
            match self.range(0, 99) {
                0..65 => (ReminderStatus::Done, Some(due_at + Duration::hours(self.range(0, 30)))),
                65..75 => (ReminderStatus::Cancelled, None),
                _ => (ReminderStatus::Open, None),
            }
        } else {
            (ReminderStatus::Open, None)
        };
        let lang = self.names[p.names].c.lang;
        let note = match kind {
            ReminderKind::Birthday => "Birthday: send a card".to_string(),
            ReminderKind::NoContact => "No contact for a while: call".to_string(),
            _ => {
                let template = self.pick(texts(lang).reminders);
                self.text(template, lang)
            }
        };
        let owner = p.owner;
        b.reminder(&BulkReminder { customer_id, kind, due_at, note: &note, owner, status, done_at, created_at })?;
        Ok(())
    }
}

/// The culture whose given names include `name` (the named customers').
fn culture_with_given(name: &str) -> usize {
    CULTURES.iter().position(|c| c.given.contains(&name)).unwrap_or(0)
}

/// Shares `total` transactions among the block's customers in proportion
/// to a weight that grows with their value (largest remainders get the
/// rest, ties to the first), so the block gets exactly `total`. Prospects
/// get none, unless the whole block is prospects.
fn apportion(plans: &mut [Plan], total: usize) {
    let weight = |p: &Plan| -> u64 {
        if p.profile == Profile::Prospect {
            return 0;
        }
        // 4 + 4·√(value / 1% of an individual's base): 8 to about 70.
        4 + 4 * (p.value as u64 / 120).isqrt().min(16)
    };
    let mut w: Vec<u64> = plans.iter().map(weight).collect();
    if w.iter().all(|x| *x == 0) {
        w.iter_mut().for_each(|x| *x = 1);
    }
    let sum: u64 = w.iter().sum();
    let total = total as u64;
    let mut given = 0;
    let mut rest: Vec<(u64, usize)> = Vec::with_capacity(plans.len());
    for (k, p) in plans.iter_mut().enumerate() {
        let share = total * w[k];
        p.transactions = (share / sum) as usize;
        given += share / sum;
        rest.push((share % sum, k));
    }
    rest.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    for &(_, k) in rest.iter().take((total - given) as usize) {
        plans[k].transactions += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_scale("10k"), Ok(10_000));
        assert_eq!(parse_scale("100K"), Ok(100_000));
        assert_eq!(parse_scale("1m"), Ok(1_000_000));
        assert_eq!(parse_scale("2000"), Ok(2_000));
        assert_eq!(parse_scale("250_000"), Ok(250_000));
        assert!(parse_scale("0").is_err());
        assert!(parse_scale("lots").is_err());
        assert!(parse_scale("-5").is_err());
    }

    #[test]
    fn apportion_gives_exactly_the_total() {
        let opts = ScaleOptions::new(10, NaiveDate::from_ymd_opt(2026, 1, 1).unwrap());
        let mut g = Gen::new(&opts);
        for n in [1, 7, 999, 1000] {
            let mut plans: Vec<Plan> = (0..n).map(|i| g.plan(i + 2)).collect();
            apportion(&mut plans, 10 * n);
            assert_eq!(plans.iter().map(|p| p.transactions).sum::<usize>(), 10 * n);
            if n > 100 {
                assert!(plans.iter().filter(|p| p.profile == Profile::Prospect).all(|p| p.transactions == 0));
            }
        }
    }
}
