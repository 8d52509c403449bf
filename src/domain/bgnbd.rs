//! Churn warning: the BG/NBD model of Fader, Hardie & Lee (2005), "Counting
//! Your Customers the Easy Way: An Alternative to the Pareto/NBD Model",
//! Marketing Science 24(2), 275–284.
//!
//! While alive, a customer buys at rate λ (a Poisson process); after every
//! repeat purchase they drop out for good with probability p. Across the base
//! λ ~ Gamma(r, α) and p ~ Beta(a, b). A customer is summarised by
//! [`Rfm`] `(x, t_x, T)`: x repeat purchases, the last at t_x, observed for T
//! since the first purchase (their "birth"). From the four parameters
//! ([`Params`], fitted by maximum likelihood with [`fit`]) follow each
//! customer's probability of still being alive ([`p_alive`]) and the number of
//! purchases to expect over the next `t` ([`expected_purchases`]).
//!
//! Time is in whatever unit the caller chooses (weeks in the paper); the
//! parameter α is in that unit, the others have none. Everything here is pure
//! arithmetic: no I/O.

use std::cell::RefCell;
use std::collections::HashMap;

use argmin::core::{CostFunction, Executor, Gradient, State};
use argmin::solver::linesearch::MoreThuenteLineSearch;
use argmin::solver::neldermead::NelderMead;
use argmin::solver::quasinewton::LBFGS;
use chrono::NaiveDate;
use serde::Serialize;
use statrs::function::gamma::{digamma, ln_gamma};

/// One customer's purchase history in the model's terms.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Rfm {
    /// Repeat purchases: distinct purchase days after the first, x ≥ 0.
    pub x: f64,
    /// Time of the last purchase since the first (0 when x = 0), 0 ≤ t_x ≤ T.
    pub t_x: f64,
    /// Time from the first purchase to the end of calibration, T ≥ t_x.
    pub t: f64,
}

impl Rfm {
    /// Whether the triple is one the model can use: finite, x ≥ 0,
    /// 0 ≤ t_x ≤ T.
    pub fn is_valid(&self) -> bool {
        self.x.is_finite()
            && self.t_x.is_finite()
            && self.t.is_finite()
            && self.x >= 0.0
            && self.t_x >= 0.0
            && self.t_x <= self.t
    }
}

/// Summarises one customer's purchase dates (any order, duplicates allowed)
/// as of `calibration_end`, in units of `unit_days` days (7.0 for weeks).
///
/// - Several purchases on one day count once; purchases after
///   `calibration_end` are ignored.
/// - The first purchase day is the customer's birth; x = distinct days − 1.
/// - t_x = (last day − first day) / unit and T = (calibration_end − first
///   day) / unit, both plain differences of dates. A purchase on
///   `calibration_end` itself therefore has t_x = T, and a customer whose
///   first purchase is on `calibration_end` has T = 0.
///
/// This is the convention of the published CDNOW summary
/// (`cdnow_customers_summary.csv`): a customer first buying on 1997-01-01
/// with calibration ending 1997-09-30 has T = 272 / 7 = 38.86 weeks
/// (1997-09-30 − 1997-01-01 = 272 days), not the 273 days the 39-week period
/// spans when both ends are counted.
///
/// `None` without a purchase on or before `calibration_end`, or when
/// `unit_days` is not a positive finite number.
pub fn summarise(purchase_days: &[NaiveDate], calibration_end: NaiveDate, unit_days: f64) -> Option<Rfm> {
    if !(unit_days.is_finite() && unit_days > 0.0) {
        return None;
    }
    let mut days: Vec<NaiveDate> = purchase_days.iter().copied().filter(|d| *d <= calibration_end).collect();
    if days.is_empty() {
        return None;
    }
    days.sort_unstable();
    days.dedup();
    summarise_span(days.len(), days[0], days[days.len() - 1], calibration_end, unit_days)
}

/// As [`summarise`], from what it keeps of the dates: the number of distinct
/// purchase days on or before `calibration_end`, the first and the last of
/// them. For a reader that counts the days as they come (a scan of a whole
/// base) rather than holding every customer's dates.
///
/// `None` without a purchase day, when `first` > `last` or `last` is after
/// `calibration_end`, or when `unit_days` is not a positive finite number.
pub fn summarise_span(
    distinct_days: usize,
    first: NaiveDate,
    last: NaiveDate,
    calibration_end: NaiveDate,
    unit_days: f64,
) -> Option<Rfm> {
    if distinct_days == 0 || first > last || last > calibration_end || !(unit_days.is_finite() && unit_days > 0.0) {
        return None;
    }
    let span = |d: NaiveDate| (d - first).num_days() as f64 / unit_days;
    Some(Rfm { x: (distinct_days - 1) as f64, t_x: span(last), t: span(calibration_end) })
}

/// The model's four parameters, all positive: purchase rates λ ~ Gamma(r, α)
/// (shape r, rate α, in the caller's time unit) and dropout probabilities
/// p ~ Beta(a, b).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Params {
    pub r: f64,
    pub alpha: f64,
    pub a: f64,
    pub b: f64,
}

impl Params {
    /// Whether all four are positive and finite.
    pub fn is_valid(&self) -> bool {
        [self.r, self.alpha, self.a, self.b].iter().all(|v| v.is_finite() && *v > 0.0)
    }
}

/// ln(e^u + e^v) without overflow or underflow.
fn log_add_exp(u: f64, v: f64) -> f64 {
    let (hi, lo) = if u >= v { (u, v) } else { (v, u) };
    if lo == f64::NEG_INFINITY {
        return hi;
    }
    hi + (lo - hi).exp().ln_1p()
}

/// Integer x up to this are handled term by term in [`ln_gamma_ratio`] and
/// [`digamma_difference`].
const SMALL_COUNT: f64 = 64.0;

/// ln Γ(y+x) − ln Γ(y) for y > 0, x ≥ 0. For a whole x up to 64 (the usual
/// case: x counts purchase days) as Σ ln(y+i), which stays accurate when y
/// is huge and the two log-gammas would cancel to a few digits; otherwise
/// by `ln_gamma`.
fn ln_gamma_ratio(y: f64, x: f64) -> f64 {
    if x == x.floor() && (0.0..=SMALL_COUNT).contains(&x) {
        (0..x as u32).map(|i| (y + f64::from(i)).ln()).sum()
    } else {
        ln_gamma(y + x) - ln_gamma(y)
    }
}

/// ψ(y+x) − ψ(y), the derivative of [`ln_gamma_ratio`] in y; for a whole x
/// up to 64 as Σ 1/(y+i).
fn digamma_difference(y: f64, x: f64) -> f64 {
    if x == x.floor() && (0.0..=SMALL_COUNT).contains(&x) {
        (0..x as u32).map(|i| 1.0 / (y + f64::from(i))).sum()
    } else {
        digamma(y + x) - digamma(y)
    }
}

/// The part of one customer's log-likelihood that depends on x only:
/// ln A1 + ln A2 and, for x > 0, the constant of ln A4.
struct XTerms {
    /// r + x
    rx: f64,
    /// ln A1 + ln A2
    base: f64,
    /// ln a − ln(b + x − 1) when x > 0.
    a4: Option<f64>,
}

impl XTerms {
    fn new(p: &Params, x: f64) -> XTerms {
        let (r, alpha, a, b) = (p.r, p.alpha, p.a, p.b);
        // ln A1 = ln Γ(r+x) − ln Γ(r) + r ln α
        let ln_a1 = ln_gamma_ratio(r, x) + r * alpha.ln();
        // ln A2 = ln Γ(a+b) + ln Γ(b+x) − ln Γ(b) − ln Γ(a+b+x)
        let ln_a2 = ln_gamma_ratio(b, x) - ln_gamma_ratio(a + b, x);
        let a4 = (x > 0.0).then(|| a.ln() - (b + x - 1.0).ln());
        XTerms { rx: r + x, base: ln_a1 + ln_a2, a4 }
    }

    /// ln L given ln(α + T) and ln(α + t_x).
    fn ln_l(&self, ln_alpha_t: f64, ln_alpha_tx: f64) -> f64 {
        // ln A3 = −(r+x) ln(α+T); ln A4 = ln a − ln(b+x−1) − (r+x) ln(α+t_x)
        let ln_a3 = -self.rx * ln_alpha_t;
        match self.a4 {
            Some(c) => self.base + log_add_exp(ln_a3, c - self.rx * ln_alpha_tx),
            None => self.base + ln_a3,
        }
    }
}

/// The log-likelihood of `data` under `p`, the paper's equation (6):
///
/// L(r, α, a, b | x, t_x, T) = A1 · A2 · (A3 + δ_{x>0} A4), with
/// A1 = Γ(r+x) α^r / Γ(r), A2 = Γ(a+b) Γ(b+x) / (Γ(b) Γ(a+b+x)),
/// A3 = (α+T)^−(r+x), A4 = a / (b+x−1) · (α+t_x)^−(r+x).
///
/// Computed in logs (`ln_gamma`, and ln(A3 + A4) as a log-sum-exp), so large
/// counts and long histories neither overflow nor underflow. For x = 0 the
/// A4 term is absent. Invalid parameters or customers give −∞, never NaN.
pub fn log_likelihood(p: &Params, data: &[Rfm]) -> f64 {
    if !p.is_valid() {
        return f64::NEG_INFINITY;
    }
    let mut total = 0.0;
    for c in data {
        if !c.is_valid() {
            return f64::NEG_INFINITY;
        }
        let terms = XTerms::new(p, c.x);
        total += terms.ln_l((p.alpha + c.t).ln(), (p.alpha + c.t_x).ln());
    }
    if total.is_nan() { f64::NEG_INFINITY } else { total }
}

/// The fewest customers [`fit`] accepts.
pub const MIN_CUSTOMERS: usize = 10;

/// A fitted model.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Fit {
    pub params: Params,
    /// The maximised log-likelihood, summed over all customers.
    pub log_likelihood: f64,
    /// Customers fitted.
    pub customers: usize,
    /// Optimiser iterations (L-BFGS, and Nelder–Mead if it was needed).
    pub iterations: u64,
}

/// Why a base could not be fitted. The messages are meant for the user.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FitError {
    #[error("no customers with purchases: the churn model needs purchase histories to fit")]
    NoCustomers,
    #[error(
        "only {customers} customer(s) with purchases: the churn model needs at least {minimum} to give meaningful numbers"
    )]
    TooFewCustomers { customers: usize, minimum: usize },
    #[error(
        "none of the {customers} customers has bought more than once: the churn model needs repeat buyers to tell active customers from lost ones"
    )]
    NoRepeatBuyers { customers: usize },
    #[error("customer {index} has an invalid purchase summary (x = {x}, t_x = {t_x}, T = {t}): {reason}")]
    InvalidCustomer { index: usize, x: f64, t_x: f64, t: f64, reason: &'static str },
    #[error("the churn model's optimiser failed: {0}")]
    Optimiser(String),
    #[error("the churn model did not converge to finite parameters; the purchase data may be too degenerate to fit")]
    NonFinite,
}

/// The customers aggregated: identical (x, t_x, T) triples are one cell with
/// a count, and each distinct x, T and t_x value is stored once, so that one
/// evaluation of the likelihood costs a handful of flops per distinct triple
/// and a few log-gammas per distinct x.
struct Aggregated {
    xs: Vec<f64>,
    ts: Vec<f64>,
    txs: Vec<f64>,
    /// (index into xs, into ts, into txs, count), sorted by x.
    cells: Vec<(u32, u32, u32, f64)>,
    /// Customers per distinct x.
    x_counts: Vec<f64>,
    total: f64,
}

/// The log-likelihood and, when asked for, its gradient with respect to
/// (r, α, a, b).
struct Evaluation {
    ll: f64,
    grad: [f64; 4],
}

/// A customer's cell: the bits of x, T and t_x, with t_x taken as 0 when
/// x = 0 (it does not enter the likelihood then).
fn cell_key(c: &Rfm) -> (u64, u64, u64) {
    let tx = if c.x > 0.0 { c.t_x } else { 0.0 };
    (c.x.to_bits(), c.t.to_bits(), tx.to_bits())
}

impl Aggregated {
    /// The customers in any order (the tests'; [`fit_owned`] sorts its own).
    #[cfg(test)]
    fn new(data: &[Rfm]) -> Aggregated {
        let mut sorted = data.to_vec();
        sorted.sort_unstable_by_key(cell_key);
        Aggregated::from_sorted(&sorted)
    }

    /// The customers counted run by run, `data` sorted by [`cell_key`]:
    /// no hash map of the triples, whose table for a million customers
    /// would take twice their 24 bytes each, and more while it grows.
    fn from_sorted(data: &[Rfm]) -> Aggregated {
        debug_assert!(data.is_sorted_by_key(cell_key));
        fn index(values: &mut Vec<f64>, lookup: &mut HashMap<u64, u32>, v: u64) -> u32 {
            *lookup.entry(v).or_insert_with(|| {
                values.push(f64::from_bits(v));
                (values.len() - 1) as u32
            })
        }
        let (mut xs, mut ts, mut txs) = (Vec::new(), Vec::new(), Vec::new());
        let (mut xi, mut ti, mut txi) = (HashMap::new(), HashMap::new(), HashMap::new());
        let same = |a: &Rfm, b: &Rfm| cell_key(a) == cell_key(b);
        let mut cells = Vec::with_capacity(data.chunk_by(same).count());
        for run in data.chunk_by(same) {
            let (x, t, tx) = cell_key(&run[0]);
            let n = run.len() as f64;
            cells.push((index(&mut xs, &mut xi, x), index(&mut ts, &mut ti, t), index(&mut txs, &mut txi, tx), n));
        }
        let mut x_counts = vec![0.0; xs.len()];
        for &(ix, _, _, n) in &cells {
            x_counts[ix as usize] += n;
        }
        Aggregated { xs, ts, txs, cells, x_counts, total: data.len() as f64 }
    }

    /// The log-likelihood summed over all customers, with its gradient if
    /// `with_gradient` (else the gradient is zero).
    ///
    /// Per customer, with w = A4 / (A3 + A4) (0 when x = 0):
    /// ∂/∂r = ψ(r+x) − ψ(r) + ln α − (1−w) ln(α+T) − w ln(α+t_x),
    /// ∂/∂α = r/α − (r+x) [(1−w)/(α+T) + w/(α+t_x)],
    /// ∂/∂a = ψ(a+b) − ψ(a+b+x) + w/a,
    /// ∂/∂b = ψ(a+b) + ψ(b+x) − ψ(b) − ψ(a+b+x) − w/(b+x−1).
    fn evaluate(&self, p: &Params, with_gradient: bool) -> Evaluation {
        let ln_t: Vec<f64> = self.ts.iter().map(|t| (p.alpha + t).ln()).collect();
        let ln_tx: Vec<f64> = self.txs.iter().map(|t| (p.alpha + t).ln()).collect();
        let terms: Vec<XTerms> = self.xs.iter().map(|&x| XTerms::new(p, x)).collect();
        let mut ll: f64 = terms.iter().zip(&self.x_counts).map(|(t, n)| n * t.base).sum();
        if !with_gradient {
            for &(ix, it, itx, n) in &self.cells {
                let x = &terms[ix as usize];
                // ln_l without the base, which is already counted per x.
                let ln_a3 = -x.rx * ln_t[it as usize];
                ll += n * match x.a4 {
                    Some(c) => log_add_exp(ln_a3, c - x.rx * ln_tx[itx as usize]),
                    None => ln_a3,
                };
            }
            return Evaluation { ll, grad: [0.0; 4] };
        }

        let inv_t: Vec<f64> = self.ts.iter().map(|t| 1.0 / (p.alpha + t)).collect();
        let inv_tx: Vec<f64> = self.txs.iter().map(|t| 1.0 / (p.alpha + t)).collect();
        // Σ n·w per distinct x, for the a and b terms.
        let mut w_sums = vec![0.0; self.xs.len()];
        let (mut dr, mut dalpha) = (0.0, 0.0);
        for &(ix, it, itx, n) in &self.cells {
            let x = &terms[ix as usize];
            let (it, itx) = (it as usize, itx as usize);
            let ln_a3 = -x.rx * ln_t[it];
            match x.a4 {
                Some(c) => {
                    let ln_a4 = c - x.rx * ln_tx[itx];
                    let d = ln_a4 - ln_a3;
                    let (lse, w) = if d > 0.0 {
                        let e = (-d).exp();
                        (ln_a4 + e.ln_1p(), 1.0 / (1.0 + e))
                    } else {
                        let e = d.exp();
                        (ln_a3 + e.ln_1p(), e / (1.0 + e))
                    };
                    ll += n * lse;
                    w_sums[ix as usize] += n * w;
                    dr -= n * ((1.0 - w) * ln_t[it] + w * ln_tx[itx]);
                    dalpha -= n * x.rx * ((1.0 - w) * inv_t[it] + w * inv_tx[itx]);
                }
                None => {
                    ll += n * ln_a3;
                    dr -= n * ln_t[it];
                    dalpha -= n * x.rx * inv_t[it];
                }
            }
        }
        let (r, alpha, a, b) = (p.r, p.alpha, p.a, p.b);
        let (mut da, mut db) = (0.0, 0.0);
        for (k, &x) in self.xs.iter().enumerate() {
            let n = self.x_counts[k];
            let psi_ab = digamma_difference(a + b, x);
            dr += n * (digamma_difference(r, x) + alpha.ln());
            dalpha += n * r / alpha;
            da -= n * psi_ab;
            db += n * (digamma_difference(b, x) - psi_ab);
            if x > 0.0 {
                da += w_sums[k] / a;
                db -= w_sums[k] / (b + x - 1.0);
            }
        }
        Evaluation { ll, grad: [dr, dalpha, da, db] }
    }
}

/// The optimisers' objective: minus the mean log-likelihood, over
/// log-parameters (so every parameter stays positive). Outside a generous box
/// (each parameter within e^±30) or where the likelihood is not finite, the
/// cost is +∞ (and the gradient zero), which Nelder–Mead treats as "worse
/// than anything" and a line search as a failed step.
struct Objective<'a> {
    data: &'a Aggregated,
    /// Whether the solver needs gradients (L-BFGS): then `cost` computes
    /// the gradient along, in the same pass, for the call that follows.
    with_gradient: bool,
    /// The last point whose gradient was computed, with its cost and
    /// gradient: a line search asks for both at the same point, and one pass
    /// over the data gives both.
    cache: RefCell<Option<Cached>>,
}

/// A point, its cost and its gradient.
type Cached = (Vec<f64>, f64, Vec<f64>);

/// Bound on |ln parameter| during the search.
const LOG_BOUND: f64 = 30.0;

fn params_of(theta: &[f64]) -> Params {
    Params { r: theta[0].exp(), alpha: theta[1].exp(), a: theta[2].exp(), b: theta[3].exp() }
}

impl<'a> Objective<'a> {
    fn new(data: &'a Aggregated, with_gradient: bool) -> Self {
        Objective { data, with_gradient, cache: RefCell::new(None) }
    }

    fn in_bounds(theta: &[f64]) -> bool {
        theta.iter().all(|v| v.is_finite() && v.abs() <= LOG_BOUND)
    }

    /// Cost and gradient with respect to the log-parameters.
    fn cost_and_gradient(&self, theta: &[f64]) -> (f64, Vec<f64>) {
        if let Some((at, cost, grad)) = self.cache.borrow().as_ref()
            && at.as_slice() == theta
        {
            return (*cost, grad.clone());
        }
        let result = if Self::in_bounds(theta) {
            let p = params_of(theta);
            let e = self.data.evaluate(&p, true);
            let scale = -1.0 / self.data.total;
            let chain = [p.r, p.alpha, p.a, p.b];
            let grad: Vec<f64> = e.grad.iter().zip(chain).map(|(g, v)| scale * g * v).collect();
            if e.ll.is_finite() && grad.iter().all(|g| g.is_finite()) {
                (scale * e.ll, grad)
            } else {
                (f64::INFINITY, vec![0.0; 4])
            }
        } else {
            (f64::INFINITY, vec![0.0; 4])
        };
        *self.cache.borrow_mut() = Some((theta.to_vec(), result.0, result.1.clone()));
        result
    }
}

impl CostFunction for Objective<'_> {
    type Param = Vec<f64>;
    type Output = f64;

    fn cost(&self, theta: &Self::Param) -> Result<f64, argmin::core::Error> {
        if let Some((at, cost, _)) = self.cache.borrow().as_ref()
            && at == theta
        {
            return Ok(*cost);
        }
        if self.with_gradient {
            return Ok(self.cost_and_gradient(theta).0);
        }
        if !Self::in_bounds(theta) {
            return Ok(f64::INFINITY);
        }
        let ll = self.data.evaluate(&params_of(theta), false).ll / self.data.total;
        Ok(if ll.is_finite() { -ll } else { f64::INFINITY })
    }
}

impl Gradient for Objective<'_> {
    type Param = Vec<f64>;
    type Gradient = Vec<f64>;

    fn gradient(&self, theta: &Self::Param) -> Result<Vec<f64>, argmin::core::Error> {
        Ok(self.cost_and_gradient(theta).1)
    }
}

/// L-BFGS stops when the gradient of the mean negative log-likelihood with
/// respect to the log-parameters is below this (Euclidean norm).
const GRADIENT_TOLERANCE: f64 = 1e-9;
/// L-BFGS also stops when an iteration changes the cost by less than this:
/// near the optimum the line search would otherwise chase rounding noise.
const COST_TOLERANCE: f64 = 1e-13;
/// An L-BFGS result is accepted when its gradient is at most this; otherwise
/// Nelder–Mead takes over.
const GRADIENT_ACCEPT: f64 = 1e-6;
const LBFGS_MAX_ITERS: u64 = 500;
/// Nelder–Mead stops when the costs (mean negative log-likelihoods) of the
/// simplex's vertices differ by less than this (standard deviation).
const SD_TOLERANCE: f64 = 1e-13;
/// Iterations per Nelder–Mead run.
const NM_MAX_ITERS: u64 = 2_000;
/// Nelder–Mead runs at most; each restarts from the previous best with a
/// fresh simplex, which guards against a simplex that collapsed early.
const NM_RUNS: usize = 3;

/// L-BFGS with a Moré–Thuente line search from `start`: the best point, its
/// cost and the iterations, or `None` if the solver failed.
fn run_lbfgs(agg: &Aggregated, start: &[f64]) -> Option<(Vec<f64>, f64, u64)> {
    let solver = LBFGS::new(MoreThuenteLineSearch::new(), 7)
        .with_tolerance_grad(GRADIENT_TOLERANCE)
        .ok()?
        .with_tolerance_cost(COST_TOLERANCE)
        .ok()?;
    let result = Executor::new(Objective::new(agg, true), solver)
        .configure(|s| s.param(start.to_vec()).max_iters(LBFGS_MAX_ITERS))
        .run()
        .ok()?;
    let state = result.state();
    let best = state.get_best_param()?.clone();
    Some((best, state.get_best_cost(), state.get_iter()))
}

/// Nelder–Mead from `start`, restarted until a run no longer improves.
fn run_nelder_mead(agg: &Aggregated, start: &[f64]) -> Result<(Vec<f64>, f64, u64), FitError> {
    let mut best = start.to_vec();
    let mut best_cost = Objective::new(agg, false).cost(&best).unwrap_or(f64::INFINITY);
    let mut iterations = 0;
    for run in 0..NM_RUNS {
        let step = if run == 0 { 0.5 } else { 0.1 };
        let mut simplex = vec![best.clone()];
        for i in 0..best.len() {
            let mut v = best.clone();
            v[i] += step;
            simplex.push(v);
        }
        let solver =
            NelderMead::new(simplex).with_sd_tolerance(SD_TOLERANCE).map_err(|e| FitError::Optimiser(e.to_string()))?;
        let result = Executor::new(Objective::new(agg, false), solver)
            .configure(|s| s.max_iters(NM_MAX_ITERS))
            .run()
            .map_err(|e| FitError::Optimiser(e.to_string()))?;
        let state = result.state();
        iterations += state.get_iter();
        let cost = state.get_best_cost();
        let improved = cost < best_cost - SD_TOLERANCE;
        if cost < best_cost {
            best_cost = cost;
            best = state.get_best_param().cloned().ok_or(FitError::NonFinite)?;
        }
        if !improved && run > 0 {
            break;
        }
    }
    Ok((best, best_cost, iterations))
}

/// Fits the model to `data` by maximum likelihood.
///
/// The customers are first aggregated (identical triples counted once).
/// Minus the mean log-likelihood is then minimised over (ln r, ln α, ln a,
/// ln b), starting from r = 1, α = mean T, a = 1, b = 1: by L-BFGS (argmin)
/// with the analytic gradient, and, should that fail or stop away from a
/// stationary point, by Nelder–Mead (argmin) restarted from its best point
/// until a run no longer improves.
///
/// Errors: no customers, fewer than [`MIN_CUSTOMERS`], no repeat buyers
/// (every x = 0: the likelihood then has no maximum in a, b), an invalid
/// triple, or an optimiser that fails or ends on non-finite numbers. A
/// returned fit always has finite, positive parameters and a finite
/// log-likelihood. Bases without a finite maximum (e.g. nobody ever seems to
/// drop out) end with parameters at the edge of the search box, e^±30.
pub fn fit(data: &[Rfm]) -> Result<Fit, FitError> {
    fit_owned(data.to_vec())
}

/// As [`fit`], taking the customers rather than borrowing them: they are
/// sorted in place to be counted, and freed before the optimiser runs, so
/// that a large base's triples are held once (24 bytes a customer), not
/// twice. The same result as [`fit`], to the last bit.
pub fn fit_owned(mut data: Vec<Rfm>) -> Result<Fit, FitError> {
    if data.is_empty() {
        return Err(FitError::NoCustomers);
    }
    if data.len() < MIN_CUSTOMERS {
        return Err(FitError::TooFewCustomers { customers: data.len(), minimum: MIN_CUSTOMERS });
    }
    for (index, c) in data.iter().enumerate() {
        let reason = if !(c.x.is_finite() && c.t_x.is_finite() && c.t.is_finite()) {
            Some("values must be finite")
        } else if c.x < 0.0 {
            Some("x must not be negative")
        } else if c.t_x < 0.0 {
            Some("t_x must not be negative")
        } else if c.t_x > c.t {
            Some("t_x must not exceed T")
        } else {
            None
        };
        if let Some(reason) = reason {
            return Err(FitError::InvalidCustomer { index, x: c.x, t_x: c.t_x, t: c.t, reason });
        }
    }
    if data.iter().all(|c| c.x == 0.0) {
        return Err(FitError::NoRepeatBuyers { customers: data.len() });
    }

    let customers = data.len();
    // Summed in the caller's order, before the sort.
    let mean_t = data.iter().map(|c| c.t).sum::<f64>() / customers as f64;
    data.sort_unstable_by_key(cell_key);
    let agg = Aggregated::from_sorted(&data);
    drop(data);
    let start = vec![0.0, mean_t.max(1e-6).ln(), 0.0, 0.0];
    let mut iterations = 0;
    let mut found = None;
    if let Some((theta, cost, iters)) = run_lbfgs(&agg, &start) {
        iterations += iters;
        let (_, grad) = Objective::new(&agg, true).cost_and_gradient(&theta);
        let norm = grad.iter().map(|g| g * g).sum::<f64>().sqrt();
        if cost.is_finite() && norm <= GRADIENT_ACCEPT {
            found = Some((theta, cost));
        } else if cost.is_finite() {
            // Not converged, but a better start for Nelder–Mead.
            let (theta, cost, iters) = run_nelder_mead(&agg, &theta)?;
            iterations += iters;
            found = Some((theta, cost));
        }
    }
    let (best, best_cost) = match found {
        Some(found) => found,
        None => {
            let (theta, cost, iters) = run_nelder_mead(&agg, &start)?;
            iterations += iters;
            (theta, cost)
        }
    };

    let params = params_of(&best);
    let ll = -best_cost * agg.total;
    if !best_cost.is_finite() || !params.is_valid() || !ll.is_finite() {
        return Err(FitError::NonFinite);
    }
    Ok(Fit { params, log_likelihood: ll, customers, iterations })
}

/// ln of the odds-of-death ratio a/(b+x−1) · ((α+T)/(α+t_x))^(r+x), which
/// makes P(alive) = 1 / (1 + ratio) for x > 0.
fn ln_death_odds(p: &Params, c: &Rfm) -> f64 {
    p.a.ln() - (p.b + c.x - 1.0).ln() + (p.r + c.x) * ((p.alpha + c.t).ln() - (p.alpha + c.t_x).ln())
}

/// P(alive | x, t_x, T), the paper's equation (13):
/// 1 / (1 + δ_{x>0} · a/(b+x−1) · ((α+T)/(α+t_x))^(r+x)).
///
/// A customer without repeat purchases (x = 0) is alive with probability 1:
/// in the BG/NBD model dropout can only happen right after a repeat
/// purchase. Always within [0, 1] and finite; for invalid parameters or
/// customers the answer is 1 for x = 0 and otherwise the formula with its
/// terms clamped (never NaN).
pub fn p_alive(p: &Params, c: &Rfm) -> f64 {
    if c.x.is_nan() || c.x <= 0.0 {
        return 1.0;
    }
    let d = ln_death_odds(p, c);
    if d.is_nan() {
        return 1.0;
    }
    // The logistic 1 / (1 + e^d), written to avoid overflow either way.
    let v = if d > 0.0 {
        let e = (-d).exp();
        e / (1.0 + e)
    } else {
        1.0 / (1.0 + d.exp())
    };
    v.clamp(0.0, 1.0)
}

/// Most terms a hypergeometric series may take.
pub const MAX_SERIES_TERMS: usize = 1_000_000;
/// A series stops once the bound on its remaining terms is below this
/// fraction of the running sum.
const SERIES_TOLERANCE: f64 = 1e-17;

/// A sum of the series Σ_{n ≥ n0} t_n with t_{n+1} = t_n · R(n),
/// R(n) = z (n+p)(n+q) / ((n+c)(n+1)): the shape of every hypergeometric
/// series here.
struct Series {
    sum: f64,
    /// Bound on the error of `sum`: rounding (ε · Σ |t_n|) plus, for a series
    /// cut off at [`MAX_SERIES_TERMS`], the estimated tail; +∞ when unknown.
    error: f64,
}

/// The index past which |R(n)| < 1 for good, so that the terms only shrink:
/// |R(n)| ≥ 1 exactly between the roots of (|z|−1)n² + (|z|(p+q)−c−1)n +
/// |z|pq − c, once n is past −p, −q and −c (where the factors keep their
/// signs).
fn turning_point(p: f64, q: f64, c: f64, z: f64) -> f64 {
    let z = z.abs();
    let (qa, qb, qc) = (z - 1.0, z * (p + q) - c - 1.0, z * p * q - c);
    let d = qb * qb - 4.0 * qa * qc;
    let root = if d >= 0.0 { (-qb - d.sqrt()) / (2.0 * qa) } else { 0.0 };
    root.max(-p).max(-q).max(-c).max(0.0) + 1.0
}

/// Sums Σ_{n ≥ n0} t_n, t_{n0} = sign · e^{ln_first}, t_{n+1} = t_n · R(n)
/// with R as in [`Series`]. A first term too small to represent is carried
/// as a logarithm until the terms grow representable (or are known to stay
/// negligible). A series whose terms still grow after [`MAX_SERIES_TERMS`]
/// is not summed at all. Stops once past [`turning_point`] the geometric bound on the
/// rest, |t_n| ρ/(1−ρ) with ρ = max(|R(n)|, |z|), is below
/// [`SERIES_TOLERANCE`] of the sum, or after [`MAX_SERIES_TERMS`] terms with
/// that bound as the tail's estimate.
fn sum_series(ln_first: f64, sign: f64, n0: f64, (p, q, c, z): (f64, f64, f64, f64)) -> Series {
    const LN_TINY: f64 = -700.0;
    let unknown = Series { sum: f64::NAN, error: f64::INFINITY };
    if sign == 0.0 || ln_first == f64::NEG_INFINITY {
        return Series { sum: 0.0, error: 0.0 };
    }
    if ln_first.is_nan() || sign.is_nan() {
        return unknown;
    }
    let ratio = |n: f64| z * (n + p) * (n + q) / ((n + c) * (n + 1.0));
    let n_turn = turning_point(p, q, c, z);
    if n_turn - n0 > MAX_SERIES_TERMS as f64 {
        // Still growing after the most terms allowed: hopeless.
        return unknown;
    }
    let (mut lt, mut sign, mut n) = (ln_first, sign.signum(), n0);
    let mut steps = 0;
    while lt < LN_TINY {
        let r = ratio(n);
        // All further terms vanish, or shrink from here on while negligible.
        if r == 0.0 || (n > n_turn && r.abs() < 1.0) {
            return Series { sum: 0.0, error: 0.0 };
        }
        if steps >= MAX_SERIES_TERMS || r.is_nan() {
            return unknown;
        }
        sign *= r.signum();
        lt += r.abs().ln();
        n += 1.0;
        steps += 1;
    }
    let mut term = sign * lt.exp();
    let (mut sum, mut abs_sum) = (term, term.abs());
    while steps < MAX_SERIES_TERMS {
        let r = ratio(n);
        term *= r;
        n += 1.0;
        steps += 1;
        sum += term;
        abs_sum += term.abs();
        if !abs_sum.is_finite() {
            return unknown;
        }
        let rho = r.abs().max(z.abs());
        let rest = if rho < 1.0 { term.abs() * rho / (1.0 - rho) } else { f64::INFINITY };
        if term == 0.0 || (n > n_turn && rest <= SERIES_TOLERANCE * sum.abs()) {
            return Series { sum, error: f64::EPSILON * abs_sum };
        }
    }
    // Cut off: add the geometric estimate of the rest.
    let r = ratio(n);
    if n > n_turn && r.abs() < 1.0 {
        let tail = term * r / (1.0 - r);
        Series { sum: sum + tail, error: f64::EPSILON * abs_sum + tail.abs() }
    } else {
        unknown
    }
}

/// The Gaussian hypergeometric function ₂F₁(a, b; c; z) = Σ (a)_n (b)_n /
/// ((c)_n n!) zⁿ by its power series.
///
/// Valid for |z| < 1 (the series converges geometrically with ratio → |z|)
/// and c not 0, −1, −2, …; otherwise the answer is `None`. The series is
/// summed until the bound on the remaining terms falls below 1e−17 of the
/// sum; `None` if that takes more than [`MAX_SERIES_TERMS`] terms (|z|
/// within about 4·10⁻⁵ of 1, or huge parameters) or the sum is not finite.
/// Terminating series (a or b a non-positive integer) are exact up to
/// rounding. Parameters with large alternating terms (a or b ≪ 0) lose
/// precision to cancellation.
pub fn hyp2f1(a: f64, b: f64, c: f64, z: f64) -> Option<f64> {
    if z.is_nan()
        || z.abs() >= 1.0
        || (c <= 0.0 && c == c.floor())
        || !(a.is_finite() && b.is_finite() && c.is_finite())
    {
        return None;
    }
    let s = sum_series(0.0, 1.0, 0.0, (a, b, c, z));
    (s.sum.is_finite() && s.error <= 1e-12 * s.sum.abs().max(1.0)).then_some(s.sum)
}

/// E[Y(t) | x, t_x, T]: the purchases to expect in the next `t` (same unit as
/// the data) from a customer with history `c`, the paper's equation (10):
///
/// E = (a+b+x−1)/(a−1) · [1 − (1−z)^(r+x) ₂F₁(r+x, b+x; a+b+x−1; z)] · P(alive),
/// with z = t/(α+T+t), so 1 − z = (α+T)/(α+T+t).
///
/// As printed, the formula is 0/0 at a = 1 and loses digits near it, and its
/// series can overflow for large x. It is evaluated in whichever of two
/// equivalent forms carries the smaller error (estimated from the sums of
/// the terms' magnitudes). With ε = a−1, c = a+b+x−1 and
/// L = ln(1−z) = −ln(1 + t/(α+T)):
///
/// - (A) Euler's transformation ₂F₁(r+x, b+x; c; z) =
///   (1−z)^(ε−r−x) ₂F₁(a+b−1−r, ε; c; z), then ₂F₁(·, ε; c; z) = 1 + εK/c:
///   E = P(alive) · [−c (e^{εL} − 1)/ε − e^{εL} K], with
///   K = Σ_{n≥1} (a+b−1−r)_n (a)_{n−1} / ((a+b+x)_{n−1} n!) zⁿ and
///   (e^{εL} − 1)/ε → L as ε → 0. Stable at and around a = 1 and for any
///   c; its terms alternate in sign (and cancel) only while n < r+1−a−b.
/// - (B) the printed form, whose series has positive terms when c > 0: used
///   when (A) would cancel (r well above a+b) or needs too many terms (a
///   huge, as on a fit where everybody's dropout probability looks alike).
///
/// Both series converge for z < 1, which always holds (α > 0); each stops
/// as [`hyp2f1`] does, and past [`MAX_SERIES_TERMS`] terms (t ≳ 25,000 ·
/// (α+T): thousands of years in weeks) the geometric tail is estimated
/// instead of summed. The result is finite and ≥ 0 for all valid inputs
/// (x ≥ 0, 0 ≤ t_x ≤ T, t ≥ 0, positive finite parameters); `t ≤ 0` gives 0,
/// and invalid inputs give 0 rather than NaN.
pub fn expected_purchases(p: &Params, c: &Rfm, t: f64) -> f64 {
    if t.is_nan() || t <= 0.0 || !p.is_valid() || !c.is_valid() {
        return 0.0;
    }
    let (r, alpha, a, b, x) = (p.r, p.alpha, p.a, p.b, c.x);
    let at = alpha + c.t;
    let z = t / (at + t);
    let ln_1mz = -(t / at).ln_1p();
    let eps = a - 1.0;
    let cc = a + b + x - 1.0;

    // (A): K' = e^{εL} K, started from its first term so that neither
    // factor over- or underflows alone. Its ratio is R(n) with p = a+b−1−r,
    // q = a−1 = ε and c → c (since (a+b+x)_{n−1} = (c+1)_{n−1}).
    let p1 = a + b - 1.0 - r;
    let k = sum_series(p1.abs().ln() + z.ln() + eps * ln_1mz, p1.signum(), 1.0, (p1, eps, cc, z));
    let first = if eps * ln_1mz == 0.0 { -cc * ln_1mz } else { -cc * (eps * ln_1mz).exp_m1() / eps };
    let value_a = first - k.sum;
    let error_a = f64::EPSILON * first.abs() + k.error;

    let mut value = value_a;
    let a_is_accurate = error_a <= 1e-10 * value_a.abs();
    if !a_is_accurate && cc > 0.0 && eps != 0.0 {
        // (B): Q = (1−z)^(r+x) ₂F₁(r+x, b+x; c; z), all terms positive.
        let q = sum_series((r + x) * ln_1mz, 1.0, 0.0, (r + x, b + x, cc, z));
        let value_b = cc / eps * (1.0 - q.sum);
        let error_b = (f64::EPSILON + q.error) * (cc / eps).abs();
        if value_b.is_finite() && (error_a.is_nan() || !value_a.is_finite() || error_b < error_a) {
            value = value_b;
        }
    }
    let e = p_alive(p, c) * value;
    if e.is_finite() { e.max(0.0) } else { 0.0 }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    /// The paper's published estimates for CDNOW (weeks).
    const PAPER: Params = Params { r: 0.243, alpha: 4.414, a: 0.793, b: 2.426 };

    #[test]
    fn summarise_follows_the_cdnow_convention() {
        // Customer 1 of the CDNOW sample: two repeat days, one purchase after
        // calibration, T = 272 days.
        let days = [d("1997-08-02"), d("1997-01-01"), d("1997-01-18"), d("1997-12-12"), d("1997-01-18")];
        let s = summarise(&days, d("1997-09-30"), 7.0).unwrap();
        assert_eq!(s.x, 2.0);
        assert!((s.t_x - 213.0 / 7.0).abs() < 1e-12);
        assert!((s.t - 272.0 / 7.0).abs() < 1e-12);
        assert!((s.t - 38.86).abs() < 0.005);
    }

    #[test]
    fn summarise_edges() {
        let end = d("2024-06-30");
        assert_eq!(summarise(&[], end, 7.0), None);
        assert_eq!(summarise(&[d("2024-07-01")], end, 7.0), None);
        assert_eq!(summarise(&[end], end, 1.0), Some(Rfm { x: 0.0, t_x: 0.0, t: 0.0 }));
        // Same day thrice: one purchase.
        assert_eq!(summarise(&[end, end, end], end, 1.0), Some(Rfm { x: 0.0, t_x: 0.0, t: 0.0 }));
        // Purchase on the calibration end: t_x = T.
        let s = summarise(&[d("2024-06-01"), end], end, 1.0).unwrap();
        assert_eq!(s, Rfm { x: 1.0, t_x: 29.0, t: 29.0 });
        assert_eq!(summarise(&[end], end, 0.0), None);
        assert_eq!(summarise(&[end], end, f64::NAN), None);
    }

    #[test]
    fn summarise_span_is_summarise_from_the_count_and_the_ends() {
        let end = d("2024-06-30");
        let days = [d("2024-01-03"), d("2023-11-20"), d("2024-01-03"), d("2024-06-30"), d("2024-02-29")];
        assert_eq!(
            summarise_span(4, d("2023-11-20"), end, end, 7.0),
            summarise(&days, end, 7.0),
            "the same floats, not just close ones"
        );
        assert_eq!(summarise_span(1, end, end, end, 1.0), summarise(&[end], end, 1.0));
        assert_eq!(summarise_span(0, end, end, end, 7.0), None);
        assert_eq!(summarise_span(2, d("2024-07-01"), d("2024-07-02"), end, 7.0), None);
        assert_eq!(summarise_span(2, d("2024-06-02"), d("2024-06-01"), end, 7.0), None);
        assert_eq!(summarise_span(1, end, end, end, 0.0), None);
    }

    #[test]
    fn hyp2f1_known_values() {
        // ₂F₁(1, 1; 2; z) = −ln(1−z)/z
        for z in [-0.9, -0.3, 0.1, 0.5, 0.9, 0.99] {
            let want = -(1.0f64 - z).ln() / z;
            let got = hyp2f1(1.0, 1.0, 2.0, z).unwrap();
            assert!((got - want).abs() < 1e-12 * want.abs(), "z={z}: {got} vs {want}");
        }
        // ₂F₁(a, b; b; z) = (1−z)^−a
        let got = hyp2f1(2.5, 3.0, 3.0, 0.7).unwrap();
        assert!((got - 0.3f64.powf(-2.5)).abs() < 1e-10 * got);
        // Terminating: ₂F₁(−2, b; c; z) = 1 − 2bz/c + b(b+1)z²/(c(c+1))
        let got = hyp2f1(-2.0, 1.5, 2.5, 0.4).unwrap();
        let want = 1.0 - 2.0 * 1.5 * 0.4 / 2.5 + 1.5 * 2.5 * 0.16 / (2.5 * 3.5);
        assert!((got - want).abs() < 1e-14);
        assert_eq!(hyp2f1(1.0, 1.0, 2.0, 1.0), None);
        assert_eq!(hyp2f1(1.0, 1.0, -1.0, 0.5), None);
    }

    /// Equation (10) as printed, with the plain series.
    fn textbook_expected(p: &Params, c: &Rfm, t: f64) -> f64 {
        let (r, alpha, a, b, x) = (p.r, p.alpha, p.a, p.b, c.x);
        let z = t / (alpha + c.t + t);
        let f = hyp2f1(r + x, b + x, a + b + x - 1.0, z).unwrap();
        let bracket = 1.0 - ((alpha + c.t) / (alpha + c.t + t)).powf(r + x) * f;
        (a + b + x - 1.0) / (a - 1.0) * bracket * p_alive(p, c)
    }

    #[test]
    fn expected_purchases_matches_equation_10() {
        let customers = [
            Rfm { x: 0.0, t_x: 0.0, t: 38.86 },
            Rfm { x: 2.0, t_x: 30.43, t: 38.86 },
            Rfm { x: 7.0, t_x: 35.0, t: 36.0 },
            Rfm { x: 1.0, t_x: 2.0, t: 30.0 },
        ];
        let params =
            [PAPER, Params { r: 2.0, alpha: 10.0, a: 3.0, b: 5.0 }, Params { r: 0.5, alpha: 1.0, a: 0.3, b: 0.9 }];
        for p in &params {
            for c in &customers {
                for t in [1.0, 10.0, 39.0, 52.0] {
                    let got = expected_purchases(p, c, t);
                    let want = textbook_expected(p, c, t);
                    assert!((got - want).abs() < 1e-9 * want.abs().max(1e-3), "{p:?} {c:?} t={t}: {got} vs {want}");
                }
            }
        }
    }

    /// E[Y(t) | x, t_x, T] by a route independent of any series: given
    /// alive, λ ~ Gamma(r+x, α+T) and p ~ Beta(a, b+x), and a customer with
    /// (λ, p) makes (1 − e^{−λpt})/p purchases in t on average, so
    /// E = P(alive) ∫ (1 − (1 + pt/(α+T))^−(r+x))/p Beta(p; a, b+x) dp,
    /// integrated by tanh-sinh quadrature (p = 1/(1 + e^{−π sinh u})).
    fn quadrature_expected(p: &Params, c: &Rfm, t: f64) -> f64 {
        let (rx, bx, u) = (p.r + c.x, p.b + c.x, t / (p.alpha + c.t));
        let ln_beta = ln_gamma(p.a) + ln_gamma(bx) - ln_gamma(p.a + bx);
        let h = 1.0 / 256.0;
        let mut sum = 0.0;
        let mut k: f64 = -8.0 / h;
        while k <= 8.0 / h {
            let v = k * h;
            let s = std::f64::consts::PI * v.sinh();
            // ln p and ln(1 − p), accurate at both ends.
            let (ln_p, ln_q) = (-(-s).exp().ln_1p(), -s.exp().ln_1p());
            let pp = ln_p.exp();
            let g = if pp < 1e-200 { rx * u } else { -(-rx * (pp * u).ln_1p()).exp_m1() / pp };
            let ln_w = p.a * ln_p + bx * ln_q - ln_beta + (std::f64::consts::PI * v.cosh()).ln();
            sum += g * ln_w.exp();
            k += 1.0;
        }
        p_alive(p, c) * sum * h
    }

    #[test]
    fn expected_purchases_matches_quadrature() {
        let params = [
            PAPER,
            Params { r: 2.0, alpha: 10.0, a: 3.0, b: 5.0 },
            Params { r: 0.5, alpha: 1.0, a: 0.3, b: 0.9 },
            Params { r: 1.0, alpha: 3.0, a: 1.0, b: 2.0 },
            // r far above a + b: the Euler form's series alternates.
            Params { r: 60.0, alpha: 30.0, a: 0.5, b: 1.5 },
            Params { r: 150.0, alpha: 0.5, a: 4.0, b: 0.2 },
            // Large a: dropout after nearly every purchase.
            Params { r: 0.7, alpha: 2.0, a: 80.0, b: 1.0 },
            Params { r: 0.05, alpha: 200.0, a: 0.05, b: 40.0 },
        ];
        let customers = [
            Rfm { x: 0.0, t_x: 0.0, t: 0.0 },
            Rfm { x: 0.0, t_x: 0.0, t: 38.86 },
            Rfm { x: 2.0, t_x: 30.43, t: 38.86 },
            Rfm { x: 25.0, t_x: 50.0, t: 52.0 },
            Rfm { x: 200.0, t_x: 400.0, t: 410.0 },
        ];
        for p in &params {
            for c in &customers {
                for t in [0.5, 39.0, 520.0] {
                    let got = expected_purchases(p, c, t);
                    let want = quadrature_expected(p, c, t);
                    assert!((got - want).abs() <= 1e-7 * want.abs().max(1e-6), "{p:?} {c:?} t={t}: {got} vs {want}");
                }
            }
        }
    }

    #[test]
    fn expected_purchases_when_dropout_is_the_same_for_all() {
        // a, b → ∞ with a/(a+b) = m: p is m for everybody, and
        // E = P(alive) (1 − (1 + m t/(α+T))^−(r+x)) / m.
        for (a, b) in [(1e9, 3e9), (7e11, 2e12)] {
            let p = Params { r: 0.4, alpha: 5.0, a, b };
            for c in [Rfm { x: 0.0, t_x: 0.0, t: 30.0 }, Rfm { x: 4.0, t_x: 20.0, t: 30.0 }] {
                let t = 52.0;
                let m = a / (a + b + c.x);
                let want = p_alive(&p, &c) * (1.0 - (1.0 + m * t / (p.alpha + c.t)).powf(-(p.r + c.x))) / m;
                let got = expected_purchases(&p, &c, t);
                assert!((got - want).abs() < 1e-6 * want, "{p:?} {c:?}: {got} vs {want}");
            }
        }
    }

    #[test]
    fn expected_purchases_continuous_at_a_equal_1() {
        let c = Rfm { x: 3.0, t_x: 20.0, t: 30.0 };
        let at = |a: f64| expected_purchases(&Params { r: 0.8, alpha: 5.0, a, b: 2.0 }, &c, 26.0);
        let mid = at(1.0);
        assert!(mid.is_finite() && mid > 0.0);
        assert!((at(1.0 - 1e-7) - mid).abs() < 1e-6 * mid);
        assert!((at(1.0 + 1e-7) - mid).abs() < 1e-6 * mid);
        assert!((at(0.999) - mid).abs() < 1e-2 * mid);
    }

    #[test]
    fn expected_purchases_from_birth_for_x0_t0() {
        // A customer just born (x = 0, T = 0) is alive, with λ ~ Gamma(r, α)
        // and p ~ Beta(a, b): E[Y(t)] is the paper's unconditional
        // equation (9): (a+b−1)/(a−1) [1 − (α/(α+t))^r ₂F₁(r, b; a+b−1; t/(α+t))].
        let p = PAPER;
        let t = 39.0;
        let f = hyp2f1(p.r, p.b, p.a + p.b - 1.0, t / (p.alpha + t)).unwrap();
        let want = (p.a + p.b - 1.0) / (p.a - 1.0) * (1.0 - (p.alpha / (p.alpha + t)).powf(p.r) * f);
        let got = expected_purchases(&p, &Rfm { x: 0.0, t_x: 0.0, t: 0.0 }, t);
        assert!((got - want).abs() < 1e-10, "{got} vs {want}");
    }

    #[test]
    fn p_alive_cases() {
        assert_eq!(p_alive(&PAPER, &Rfm { x: 0.0, t_x: 0.0, t: 30.0 }), 1.0);
        // Bought at the very end: a/(b+x−1) odds only.
        let c = Rfm { x: 2.0, t_x: 30.0, t: 30.0 };
        let want = 1.0 / (1.0 + PAPER.a / (PAPER.b + 1.0));
        assert!((p_alive(&PAPER, &c) - want).abs() < 1e-15);
        // A frequent buyer silent for very long: practically dead, not NaN.
        let c = Rfm { x: 500.0, t_x: 1.0, t: 10_000.0 };
        assert_eq!(p_alive(&PAPER, &c), 0.0);
    }

    #[test]
    fn log_likelihood_by_hand() {
        // x = 0: ln L = ln A1 + ln A2 + ln A3 with x = 0, i.e. r ln α − r ln(α+T).
        let p = PAPER;
        let c = Rfm { x: 0.0, t_x: 0.0, t: 10.0 };
        let want = p.r * p.alpha.ln() - p.r * (p.alpha + 10.0).ln();
        assert!((log_likelihood(&p, &[c]) - want).abs() < 1e-12);
        // x = 1: A1 = r α^r, A2 = b/(a+b), A3 + A4 = (α+T)^−(r+1) + a/b (α+t_x)^−(r+1).
        let c = Rfm { x: 1.0, t_x: 4.0, t: 10.0 };
        let l = p.r * p.alpha.powf(p.r) * p.b / (p.a + p.b)
            * ((p.alpha + 10.0).powf(-(p.r + 1.0)) + p.a / p.b * (p.alpha + 4.0).powf(-(p.r + 1.0)));
        assert!((log_likelihood(&p, &[c]) - l.ln()).abs() < 1e-12);
        assert_eq!(log_likelihood(&Params { r: -1.0, ..p }, &[c]), f64::NEG_INFINITY);
        assert_eq!(log_likelihood(&p, &[Rfm { x: 1.0, t_x: 11.0, t: 10.0 }]), f64::NEG_INFINITY);
    }

    #[test]
    fn aggregated_likelihood_equals_the_sum() {
        let mut data = Vec::new();
        for i in 0..200 {
            let x = (i % 7) as f64;
            let t = 20.0 + (i % 5) as f64;
            let t_x = if x > 0.0 { (i % 11) as f64 } else { 0.0 };
            data.push(Rfm { x, t_x, t });
        }
        let agg = Aggregated::new(&data);
        assert!(agg.cells.len() < data.len());
        let want = log_likelihood(&PAPER, &data);
        for with_gradient in [false, true] {
            let got = agg.evaluate(&PAPER, with_gradient).ll;
            assert!((got - want).abs() < 1e-9 * want.abs(), "{got} vs {want}");
        }
    }

    #[test]
    fn aggregated_cells_count_each_distinct_triple_once_in_key_order() {
        let data: Vec<Rfm> = (0..500)
            .map(|i| {
                let x = (i % 4) as f64;
                // t_x differs for x = 0 too: it must not split those cells.
                Rfm { x, t_x: (i % 3) as f64, t: 10.0 + (i % 6) as f64 }
            })
            .collect();
        let mut naive: HashMap<(u64, u64, u64), f64> = HashMap::new();
        for c in &data {
            *naive.entry(cell_key(c)).or_insert(0.0) += 1.0;
        }
        let agg = Aggregated::new(&data);
        let got: Vec<((u64, u64, u64), f64)> = agg
            .cells
            .iter()
            .map(|&(ix, it, itx, n)| {
                let key =
                    (agg.xs[ix as usize].to_bits(), agg.ts[it as usize].to_bits(), agg.txs[itx as usize].to_bits());
                (key, n)
            })
            .collect();
        let mut want: Vec<_> = naive.into_iter().collect();
        want.sort_unstable_by_key(|(k, _)| *k);
        assert_eq!(got, want);
        assert_eq!(agg.total, 500.0);
        let per_x: f64 = agg.x_counts.iter().sum();
        assert_eq!(per_x, 500.0);
    }

    #[test]
    fn fit_owned_is_fit_whatever_the_order() {
        let data: Vec<Rfm> = (0..400)
            .map(|i| {
                let x = [0.0, 0.0, 1.0, 2.0, 4.0][i % 5];
                let t = 20.0 + (i % 17) as f64;
                Rfm { x, t_x: if x > 0.0 { t * ((i % 9) as f64) / 9.0 } else { 0.0 }, t }
            })
            .collect();
        let f = fit(&data).unwrap();
        assert_eq!(fit_owned(data.clone()), Ok(f));
        // The data are sorted inside: a caller's order changes nothing but
        // the sum for the starting point.
        let mut reversed = data.clone();
        reversed.reverse();
        let r = fit(&reversed).unwrap();
        assert!((r.log_likelihood - f.log_likelihood).abs() < 1e-6 * f.log_likelihood.abs());
    }

    #[test]
    fn gradient_matches_finite_differences() {
        let data: Vec<Rfm> = (0..300)
            .map(|i| {
                let x = [0.0, 0.0, 1.0, 2.0, 5.0, 12.0][i % 6];
                let t = 10.0 + (i % 13) as f64 * 2.5;
                Rfm { x, t_x: if x > 0.0 { t * ((i % 7) as f64 + 0.5) / 8.0 } else { 0.0 }, t }
            })
            .collect();
        let agg = Aggregated::new(&data);
        for p in [PAPER, Params { r: 2.0, alpha: 0.5, a: 3.0, b: 0.7 }] {
            let g = agg.evaluate(&p, true).grad;
            let theta = [p.r, p.alpha, p.a, p.b];
            for k in 0..4 {
                let h = 1e-6 * theta[k];
                let mut up = theta;
                up[k] += h;
                let mut down = theta;
                down[k] -= h;
                let at = |v: [f64; 4]| agg.evaluate(&Params { r: v[0], alpha: v[1], a: v[2], b: v[3] }, false).ll;
                let numeric = (at(up) - at(down)) / (2.0 * h);
                assert!((g[k] - numeric).abs() < 1e-5 * numeric.abs().max(1.0), "{p:?} d{k}: {} vs {numeric}", g[k]);
            }
        }
    }

    #[test]
    fn fit_errors_read_well() {
        assert_eq!(fit(&[]), Err(FitError::NoCustomers));
        let one = [Rfm { x: 1.0, t_x: 2.0, t: 3.0 }];
        assert_eq!(fit(&one), Err(FitError::TooFewCustomers { customers: 1, minimum: MIN_CUSTOMERS }));
        let zeros = vec![Rfm { x: 0.0, t_x: 0.0, t: 5.0 }; 50];
        let e = fit(&zeros).unwrap_err();
        assert_eq!(e, FitError::NoRepeatBuyers { customers: 50 });
        assert!(e.to_string().contains("bought more than once"), "{e}");
        let mut bad = vec![Rfm { x: 1.0, t_x: 2.0, t: 3.0 }; 20];
        bad[7].t_x = 4.0;
        let e = fit(&bad).unwrap_err();
        assert!(matches!(e, FitError::InvalidCustomer { index: 7, .. }), "{e}");
        assert!(e.to_string().contains("t_x must not exceed T"), "{e}");
        bad[7].t_x = f64::NAN;
        assert!(fit(&bad).unwrap_err().to_string().contains("finite"));
    }

    #[test]
    fn fit_recovers_a_simulated_base() {
        // The BG/NBD process itself with r = 1, a = b = 1, where the draws
        // are easy: λ ~ Exp(α) and p ~ U(0, 1). 4,000 customers born over
        // half a year, observed for a year (weeks, continuous times).
        use rand::{Rng, SeedableRng};
        let truth = Params { r: 1.0, alpha: 5.0, a: 1.0, b: 1.0 };
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        let mut unit = move || 1.0 - rng.random::<f64>();
        let data: Vec<Rfm> = (0..4000)
            .map(|_| {
                let t_obs = 52.0 - 26.0 * unit();
                let lambda = -unit().ln() / truth.alpha;
                let p = unit();
                let (mut x, mut t_x, mut now) = (0.0, 0.0, 0.0);
                loop {
                    now += -unit().ln() / lambda;
                    if now > t_obs {
                        break;
                    }
                    x += 1.0;
                    t_x = now;
                    if unit() < p {
                        break;
                    }
                }
                Rfm { x, t_x, t: t_obs }
            })
            .collect();
        let f = fit(&data).unwrap();
        assert_eq!(f.customers, 4000);
        assert!((f.log_likelihood - log_likelihood(&f.params, &data)).abs() < 1e-6 * f.log_likelihood.abs());
        assert!(f.log_likelihood >= log_likelihood(&truth, &data));
        let p = f.params;
        for (got, want) in [(p.r, truth.r), (p.alpha, truth.alpha), (p.a, truth.a), (p.b, truth.b)] {
            assert!((got / want).ln().abs() < 0.3, "{p:?} vs {truth:?}");
        }
        // The fallback optimiser, on its own, finds the same maximum.
        let agg = Aggregated::new(&data);
        let mean_t = data.iter().map(|c| c.t).sum::<f64>() / 4000.0;
        let (theta, cost, _) = run_nelder_mead(&agg, &[0.0, mean_t.ln(), 0.0, 0.0]).unwrap();
        assert!((-cost * 4000.0 - f.log_likelihood).abs() < 1e-6, "{} vs {}", -cost * 4000.0, f.log_likelihood);
        let nm = params_of(&theta);
        for (u, v) in [(nm.r, p.r), (nm.alpha, p.alpha), (nm.a, p.a), (nm.b, p.b)] {
            assert!((u - v).abs() < 1e-4 * v, "{nm:?} vs {p:?}");
        }
    }

    #[test]
    fn fit_on_a_ridge_stays_finite() {
        // Every repeat buyer looks alike: the dropout probability is the
        // same for all, so a and b run off to infinity along a/(a+b) fixed.
        // The fit stops somewhere on that ridge, finite.
        let mut data = Vec::new();
        for i in 0..300u32 {
            let t = 20.0 + (i % 20) as f64;
            let x = [0.0, 0.0, 0.0, 1.0, 2.0, 4.0][(i % 6) as usize];
            let t_x = if x > 0.0 { t * ((i % 9) as f64 + 1.0) / 10.0 } else { 0.0 };
            data.push(Rfm { x, t_x, t });
        }
        let f = fit(&data).unwrap();
        assert!(f.params.is_valid() && f.log_likelihood.is_finite(), "{f:?}");
        for c in &data {
            let (alive, e) = (p_alive(&f.params, c), expected_purchases(&f.params, c, 52.0));
            assert!((0.0..=1.0).contains(&alive) && e.is_finite() && e >= 0.0);
        }
    }

    #[test]
    fn fit_never_returns_nan_on_odd_bases() {
        // Everybody bought on every day they could: no sign of dropout.
        let data: Vec<Rfm> = (1..=30).map(|i| Rfm { x: i as f64, t_x: i as f64, t: i as f64 }).collect();
        match fit(&data) {
            Ok(f) => assert!(f.params.is_valid() && f.log_likelihood.is_finite()),
            Err(e) => assert!(!e.to_string().is_empty()),
        }
        // One repeat buyer among many, all T = 0 except one.
        let mut data = vec![Rfm { x: 0.0, t_x: 0.0, t: 0.0 }; 30];
        data[0] = Rfm { x: 1.0, t_x: 1.0, t: 1.0 };
        match fit(&data) {
            Ok(f) => assert!(f.params.is_valid() && f.log_likelihood.is_finite()),
            Err(e) => assert!(!e.to_string().is_empty()),
        }
    }

    fn params() -> impl Strategy<Value = Params> {
        (-5.0f64..5.0, -5.0f64..7.0, -5.0f64..5.0, -5.0f64..5.0).prop_map(|(r, alpha, a, b)| Params {
            r: r.exp(),
            alpha: alpha.exp(),
            a: a.exp(),
            b: b.exp(),
        })
    }

    fn customer() -> impl Strategy<Value = Rfm> {
        (0u32..300, 0.0f64..=1.0, 0.0f64..2000.0).prop_map(|(x, f, t)| {
            let x = x as f64;
            Rfm { x, t_x: if x > 0.0 { f * t } else { 0.0 }, t }
        })
    }

    proptest! {
        #[test]
        fn p_alive_is_a_probability(p in params(), c in customer()) {
            let v = p_alive(&p, &c);
            prop_assert!(v.is_finite() && (0.0..=1.0).contains(&v), "{v}");
        }

        #[test]
        fn expected_purchases_finite_and_non_negative(p in params(), c in customer(), t in 0.0f64..5000.0) {
            let v = expected_purchases(&p, &c, t);
            prop_assert!(v.is_finite() && v >= 0.0, "{v}");
        }

        #[test]
        fn expected_purchases_grows_with_t(p in params(), c in customer(), t in 0.1f64..500.0) {
            let short = expected_purchases(&p, &c, t);
            let long = expected_purchases(&p, &c, 2.0 * t);
            prop_assert!(long >= short * (1.0 - 1e-9) - 1e-12, "{short} then {long}");
        }

        #[test]
        fn p_alive_rises_with_recency(p in params(), x in 1u32..50, t in 1.0f64..500.0, f in 0.0f64..0.99) {
            let x = x as f64;
            let early = p_alive(&p, &Rfm { x, t_x: f * t, t });
            let late = p_alive(&p, &Rfm { x, t_x: (f + 0.01) * t, t });
            prop_assert!(late >= early, "{early} then {late}");
        }

        #[test]
        fn log_likelihood_is_finite(p in params(), c in customer()) {
            // A density, so it may be positive; never NaN or infinite for a
            // valid customer and parameters.
            let v = log_likelihood(&p, &[c]);
            prop_assert!(v.is_finite(), "{v}");
        }

        #[test]
        fn summarise_is_consistent(offsets in proptest::collection::vec(0i64..400, 0..20), end in 0i64..400) {
            let day0 = NaiveDate::from_ymd_opt(2024, 1, 1).unwrap();
            let days: Vec<NaiveDate> = offsets.iter().map(|o| day0 + chrono::Days::new(*o as u64)).collect();
            let end_day = day0 + chrono::Days::new(end as u64);
            let mut seen: Vec<i64> = offsets.iter().copied().filter(|o| *o <= end).collect();
            seen.sort_unstable();
            seen.dedup();
            match summarise(&days, end_day, 7.0) {
                None => prop_assert!(seen.is_empty()),
                Some(s) => {
                    prop_assert!(s.is_valid());
                    prop_assert_eq!(s.x, (seen.len() - 1) as f64);
                    prop_assert_eq!(s.t_x, (seen[seen.len() - 1] - seen[0]) as f64 / 7.0);
                    prop_assert_eq!(s.t, (end - seen[0]) as f64 / 7.0);
                }
            }
        }
    }
}
