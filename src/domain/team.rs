//! Team and monitoring (标杆管理, 竞赛, 监测系统): per-agent and per-team
//! figures over a period, the benchmark (leader) of each figure, service
//! levels against the configured targets with the items that missed, and
//! the competitor view. Pure functions over plain inputs; the repository
//! (`repo::team_stats`) supplies them.
//!
//! Conventions:
//! - A [`Period`] is whole UTC days, both ends included (see
//!   `domain::forecast`).
//! - An event belongs to the agent named on it: the interaction's agent, the
//!   reminder's, complaint's and deal's owner, the promise's agent. Names are
//!   compared exactly after trimming; an empty or missing name is
//!   "unassigned": such events count in the overall figures, not in any
//!   agent's or team's.
//! - A figure without any event behind it is `None` (shown "–"), never a
//!   misleading 0% or 100%. Counts stay counts (0 is a true 0).
//! - Times are fractional: hours (seconds / 3,600), days (seconds / 86,400).
//!   A negative duration (bad data: acknowledged before opened) counts as 0.

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, Days, NaiveTime, TimeDelta, Utc};

use super::forecast::{LostReason, Period, lost_reason_key};
use super::model::{DealStatus, PromiseStatus};
use super::money::Money;

const SECONDS_PER_HOUR: f64 = 3_600.0;
const SECONDS_PER_DAY: f64 = 86_400.0;

// ---------------------------------------------------------------------------
// Inputs

/// Interactions one agent logged in the period (already counted over it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentCount {
    pub agent: String,
    pub count: u64,
}

/// The reminders (care items) one owner marked done in the period, counted:
/// on time (`done_at ≤ due_at`) and late.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DoneCount {
    pub owner: Option<String>,
    pub on_time: u64,
    pub late: u64,
}

/// A promise made to a customer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PromiseEvent {
    pub id: i64,
    pub customer_id: i64,
    pub customer: String,
    pub agent: String,
    pub due_at: DateTime<Utc>,
    pub status: PromiseStatus,
    /// When it was kept (on time or late) or marked broken.
    pub done_at: Option<DateTime<Utc>>,
}

impl PromiseEvent {
    /// When the promise was settled (kept, late or broken): its `done_at`,
    /// or for a broken promise without one, its due time. `None` while open.
    pub fn settled_at(&self) -> Option<DateTime<Utc>> {
        match self.status {
            PromiseStatus::Open => None,
            PromiseStatus::Broken => Some(self.done_at.unwrap_or(self.due_at)),
            PromiseStatus::Kept | PromiseStatus::Late => self.done_at,
        }
    }
}

/// A complaint (case) with its timeline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseEvent {
    pub id: i64,
    pub customer_id: i64,
    pub customer: String,
    pub owner: Option<String>,
    pub opened_at: DateTime<Utc>,
    pub acknowledged_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
}

/// A deal's outcome: what the "deals won" figures need.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DealOutcome {
    pub id: i64,
    pub owner: Option<String>,
    pub amount: Money,
    pub status: DealStatus,
    pub closed_at: Option<DateTime<Utc>>,
}

/// Everything the team view is computed from. The lists may hold events
/// outside the period: each figure picks its own (the repository fetches a
/// little more than needed, see `Repo::team_inputs`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TeamInputs {
    /// Interactions per agent, counted over the period.
    pub interactions: Vec<AgentCount>,
    /// Reminders done in the period, per owner.
    pub reminders: Vec<DoneCount>,
    pub promises: Vec<PromiseEvent>,
    pub cases: Vec<CaseEvent>,
    pub deals: Vec<DealOutcome>,
}

// ---------------------------------------------------------------------------
// Service-level targets

/// The service-level targets (config `[team]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Targets {
    /// Acknowledge a complaint within this many hours of its opening.
    pub ack_hours: u32,
    /// Close a complaint within this many days of its opening.
    pub close_days: u32,
    /// `true`: a promise is met when kept by the end of its due day (UTC);
    /// `false`: when kept by its due time.
    pub callback_on_date: bool,
}

impl Default for Targets {
    fn default() -> Self {
        Targets { ack_hours: 4, close_days: 5, callback_on_date: true }
    }
}

impl Targets {
    /// When a complaint opened at `opened_at` must be acknowledged by.
    pub fn ack_deadline(&self, opened_at: DateTime<Utc>) -> DateTime<Utc> {
        opened_at + TimeDelta::hours(i64::from(self.ack_hours))
    }

    /// When a complaint opened at `opened_at` must be closed by.
    pub fn close_deadline(&self, opened_at: DateTime<Utc>) -> DateTime<Utc> {
        opened_at + TimeDelta::days(i64::from(self.close_days))
    }

    /// When a promise due at `due_at` must be kept by: its due time, or with
    /// `callback_on_date` the last second (23:59:59 UTC) of its due day.
    pub fn promise_deadline(&self, due_at: DateTime<Utc>) -> DateTime<Utc> {
        if !self.callback_on_date {
            return due_at;
        }
        match due_at.date_naive().checked_add_days(Days::new(1)) {
            Some(next) => next.and_time(NaiveTime::MIN).and_utc() - TimeDelta::seconds(1),
            None => due_at,
        }
    }

    /// How long before a period a complaint may have opened and still have
    /// a deadline in it: the longer of the two targets.
    pub fn lookback(&self) -> TimeDelta {
        TimeDelta::hours(i64::from(self.ack_hours)).max(TimeDelta::days(i64::from(self.close_days)))
    }
}

/// One of the service-level targets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Target {
    /// Complaint acknowledged within `ack_hours`.
    Ack,
    /// Complaint closed within `close_days`.
    Close,
    /// Promise kept by its deadline ([`Targets::promise_deadline`]).
    Promise,
}

impl Target {
    pub const ALL: [Target; 3] = [Target::Ack, Target::Close, Target::Promise];

    /// `"ack"`, `"close"` or `"promise"`.
    pub fn code(self) -> &'static str {
        match self {
            Target::Ack => "ack",
            Target::Close => "close",
            Target::Promise => "promise",
        }
    }
}

/// Met and missed items of one target. An item is judged in the period that
/// holds its deadline: met when done by the deadline; missed when done
/// after it, when (a promise) broken, or when still not done once the
/// deadline has passed ("now"). An item not done whose deadline is still
/// ahead is not judged yet.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Level {
    pub met: u64,
    pub missed: u64,
}

impl Level {
    /// Items judged.
    pub fn judged(&self) -> u64 {
        self.met + self.missed
    }

    /// Share met, 0–1; `None` when nothing was judged.
    pub fn share(&self) -> Option<f64> {
        ratio(self.met, self.judged())
    }
}

/// How an item missed its target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MissState {
    /// Done, after the deadline.
    Late,
    /// Still not done, the deadline passed.
    Open,
    /// A promise marked broken.
    Broken,
}

impl MissState {
    /// `"late"`, `"open"` or `"broken"`.
    pub fn code(self) -> &'static str {
        match self {
            MissState::Late => "late",
            MissState::Open => "open",
            MissState::Broken => "broken",
        }
    }
}

/// An item that missed its target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Miss {
    pub target: Target,
    /// The complaint's or the promise's id.
    pub id: i64,
    pub customer_id: i64,
    pub customer: String,
    /// `None` when unassigned.
    pub agent: Option<String>,
    pub deadline: DateTime<Utc>,
    /// When it was done (acknowledged, closed, kept or marked broken).
    pub done_at: Option<DateTime<Utc>>,
    pub state: MissState,
    /// By how much: done (or, still open, "now") minus the deadline; never
    /// negative (a promise broken before its deadline missed by 0).
    pub by: TimeDelta,
}

impl Miss {
    /// [`Miss::by`] in hours.
    pub fn by_hours(&self) -> f64 {
        self.by.num_seconds() as f64 / SECONDS_PER_HOUR
    }
}

enum Verdict {
    Met,
    Missed(MissState, TimeDelta),
}

/// Judges one item whose deadline is `deadline` and which was done at
/// `done` (if at all); `None` when the deadline is outside the period, or
/// still ahead of `now` with the item not done.
fn judge(deadline: DateTime<Utc>, done: Option<DateTime<Utc>>, period: &Period, now: DateTime<Utc>) -> Option<Verdict> {
    if !period.contains(deadline) {
        return None;
    }
    match done {
        Some(d) if d <= deadline => Some(Verdict::Met),
        Some(d) => Some(Verdict::Missed(MissState::Late, d - deadline)),
        None if deadline < now => Some(Verdict::Missed(MissState::Open, now - deadline)),
        None => None,
    }
}

fn judge_ack(c: &CaseEvent, t: &Targets, period: &Period, now: DateTime<Utc>) -> Option<(Verdict, DateTime<Utc>)> {
    let deadline = t.ack_deadline(c.opened_at);
    judge(deadline, c.acknowledged_at, period, now).map(|v| (v, deadline))
}

fn judge_close(c: &CaseEvent, t: &Targets, period: &Period, now: DateTime<Utc>) -> Option<(Verdict, DateTime<Utc>)> {
    let deadline = t.close_deadline(c.opened_at);
    judge(deadline, c.closed_at, period, now).map(|v| (v, deadline))
}

fn judge_promise(
    p: &PromiseEvent,
    t: &Targets,
    period: &Period,
    now: DateTime<Utc>,
) -> Option<(Verdict, DateTime<Utc>)> {
    let deadline = t.promise_deadline(p.due_at);
    let verdict = match p.status {
        PromiseStatus::Broken => {
            if !period.contains(deadline) {
                return None;
            }
            let by = (p.done_at.unwrap_or(now) - deadline).max(TimeDelta::zero());
            Verdict::Missed(MissState::Broken, by)
        }
        PromiseStatus::Open => judge(deadline, None, period, now)?,
        PromiseStatus::Kept | PromiseStatus::Late => judge(deadline, p.done_at, period, now)?,
    };
    Some((verdict, deadline))
}

// ---------------------------------------------------------------------------
// Figures

/// The figures of one agent, one team, or everyone, over a period.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Figures {
    /// Interactions logged.
    pub interactions: u64,
    /// Reminders done in the period by their due time (`done_at ≤ due_at`).
    pub care_on_time: u64,
    /// Reminders done in the period after their due time.
    pub care_late: u64,
    /// Promises settled in the period ([`PromiseEvent::settled_at`]), by
    /// status.
    pub promises_kept: u64,
    pub promises_late: u64,
    pub promises_broken: u64,
    /// Complaints acknowledged in the period (whenever opened).
    pub acknowledged: u64,
    /// Median hours from opening to acknowledgement of those.
    pub ack_hours_median: Option<f64>,
    /// Complaints closed in the period (whenever opened).
    pub closed: u64,
    /// Median days from opening to closing of those.
    pub close_days_median: Option<f64>,
    /// Deals won in the period (status won, `closed_at` in the period).
    pub deals_won: u64,
    /// Their amounts.
    pub won_value: Money,
    /// Service levels, items judged in the period ([`Level`]).
    pub ack_level: Level,
    pub close_level: Level,
    pub promise_level: Level,
}

impl Figures {
    /// Kept / (kept + late + broken) among promises settled in the period;
    /// `None` when none was.
    pub fn promises_kept_rate(&self) -> Option<f64> {
        ratio(self.promises_kept, self.promises_settled())
    }

    /// Promises settled in the period.
    pub fn promises_settled(&self) -> u64 {
        self.promises_kept + self.promises_late + self.promises_broken
    }

    /// Care items done on time / done in the period; `None` when none was.
    pub fn care_on_time_rate(&self) -> Option<f64> {
        ratio(self.care_on_time, self.care_on_time + self.care_late)
    }

    /// The service level of one target.
    pub fn level(&self, target: Target) -> Level {
        match target {
            Target::Ack => self.ack_level,
            Target::Close => self.close_level,
            Target::Promise => self.promise_level,
        }
    }

    /// Whether anything at all happened (a row with nothing is all "–"/0).
    pub fn is_empty(&self) -> bool {
        self.interactions == 0
            && self.care_on_time + self.care_late == 0
            && self.promises_settled() == 0
            && self.acknowledged == 0
            && self.closed == 0
            && self.deals_won == 0
            && Target::ALL.iter().all(|t| self.level(*t).judged() == 0)
    }
}

fn ratio(part: u64, whole: u64) -> Option<f64> {
    (whole > 0).then(|| part as f64 / whole as f64)
}

/// The median of `values` (mean of the two middle ones for an even count);
/// `None` when empty.
pub fn median(values: &mut [f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let n = values.len();
    Some(if n % 2 == 1 { values[n / 2] } else { (values[n / 2 - 1] + values[n / 2]) / 2.0 })
}

/// An agent's name as events carry it: trimmed; empty means unassigned.
fn agent_name(name: Option<&str>) -> Option<&str> {
    name.map(str::trim).filter(|n| !n.is_empty())
}

fn span(from: DateTime<Utc>, to: DateTime<Utc>, unit: f64) -> f64 {
    (to - from).num_seconds().max(0) as f64 / unit
}

/// The figures over `period` of the events whose agent `who` accepts
/// (`who` gets `None` for unassigned events). `now` decides whether an
/// item not done yet has missed its deadline.
pub fn figures(
    period: &Period,
    now: DateTime<Utc>,
    targets: &Targets,
    inputs: &TeamInputs,
    who: impl Fn(Option<&str>) -> bool,
) -> Figures {
    let mut f = Figures::default();
    for c in &inputs.interactions {
        if who(agent_name(Some(&c.agent))) {
            f.interactions += c.count;
        }
    }
    for r in &inputs.reminders {
        if who(agent_name(r.owner.as_deref())) {
            f.care_on_time += r.on_time;
            f.care_late += r.late;
        }
    }
    let add = |level: &mut Level, verdict: Option<(Verdict, DateTime<Utc>)>| match verdict {
        Some((Verdict::Met, _)) => level.met += 1,
        Some((Verdict::Missed(..), _)) => level.missed += 1,
        None => {}
    };
    for p in &inputs.promises {
        if !who(agent_name(Some(&p.agent))) {
            continue;
        }
        if p.settled_at().is_some_and(|t| period.contains(t)) {
            match p.status {
                PromiseStatus::Kept => f.promises_kept += 1,
                PromiseStatus::Late => f.promises_late += 1,
                PromiseStatus::Broken => f.promises_broken += 1,
                PromiseStatus::Open => {}
            }
        }
        add(&mut f.promise_level, judge_promise(p, targets, period, now));
    }
    let mut ack_hours = Vec::new();
    let mut close_days = Vec::new();
    for c in &inputs.cases {
        if !who(agent_name(c.owner.as_deref())) {
            continue;
        }
        if let Some(a) = c.acknowledged_at.filter(|a| period.contains(*a)) {
            ack_hours.push(span(c.opened_at, a, SECONDS_PER_HOUR));
        }
        if let Some(x) = c.closed_at.filter(|x| period.contains(*x)) {
            close_days.push(span(c.opened_at, x, SECONDS_PER_DAY));
        }
        add(&mut f.ack_level, judge_ack(c, targets, period, now));
        add(&mut f.close_level, judge_close(c, targets, period, now));
    }
    f.acknowledged = ack_hours.len() as u64;
    f.ack_hours_median = median(&mut ack_hours);
    f.closed = close_days.len() as u64;
    f.close_days_median = median(&mut close_days);
    for d in &inputs.deals {
        if d.status == DealStatus::Won
            && d.closed_at.is_some_and(|t| period.contains(t))
            && who(agent_name(d.owner.as_deref()))
        {
            f.deals_won += 1;
            f.won_value = f.won_value + d.amount;
        }
    }
    f
}

/// Every item that missed its target in `period` (judged as in [`Level`]),
/// unassigned ones included; by target (ack, close, promise), then
/// deadline, then id.
pub fn misses(period: &Period, now: DateTime<Utc>, targets: &Targets, inputs: &TeamInputs) -> Vec<Miss> {
    let mut out = Vec::new();
    for c in &inputs.cases {
        let agent = agent_name(c.owner.as_deref()).map(str::to_string);
        for (target, judged, done_at) in [
            (Target::Ack, judge_ack(c, targets, period, now), c.acknowledged_at),
            (Target::Close, judge_close(c, targets, period, now), c.closed_at),
        ] {
            if let Some((Verdict::Missed(state, by), deadline)) = judged {
                out.push(Miss {
                    target,
                    id: c.id,
                    customer_id: c.customer_id,
                    customer: c.customer.clone(),
                    agent: agent.clone(),
                    deadline,
                    done_at,
                    state,
                    by,
                });
            }
        }
    }
    for p in &inputs.promises {
        if let Some((Verdict::Missed(state, by), deadline)) = judge_promise(p, targets, period, now) {
            out.push(Miss {
                target: Target::Promise,
                id: p.id,
                customer_id: p.customer_id,
                customer: p.customer.clone(),
                agent: agent_name(Some(&p.agent)).map(str::to_string),
                deadline,
                done_at: p.done_at,
                state,
                by,
            });
        }
    }
    out.sort_by(|a, b| a.target.cmp(&b.target).then(a.deadline.cmp(&b.deadline)).then(a.id.cmp(&b.id)));
    out
}

// ---------------------------------------------------------------------------
// Rows, columns, benchmarks

/// A column of the team view: sortable, and (except `CareLate`) with a
/// benchmark.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Column {
    Interactions,
    CareOnTime,
    CareLate,
    PromisesKept,
    AckHours,
    CloseDays,
    DealsWon,
    WonValue,
    AckLevel,
    CloseLevel,
    PromiseLevel,
}

/// Which end of a column leads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Better {
    Higher,
    Lower,
}

impl Column {
    pub const ALL: [Column; 11] = [
        Column::Interactions,
        Column::CareOnTime,
        Column::CareLate,
        Column::PromisesKept,
        Column::AckHours,
        Column::CloseDays,
        Column::DealsWon,
        Column::WonValue,
        Column::AckLevel,
        Column::CloseLevel,
        Column::PromiseLevel,
    ];

    /// A stable name, as in the JSON report and `--sort`.
    pub fn code(self) -> &'static str {
        match self {
            Column::Interactions => "interactions",
            Column::CareOnTime => "care_on_time",
            Column::CareLate => "care_late",
            Column::PromisesKept => "promises_kept_rate",
            Column::AckHours => "ack_hours_median",
            Column::CloseDays => "close_days_median",
            Column::DealsWon => "deals_won",
            Column::WonValue => "won_value",
            Column::AckLevel => "ack_met",
            Column::CloseLevel => "close_met",
            Column::PromiseLevel => "promise_met",
        }
    }

    /// The column a [`Column::code`] names.
    pub fn parse(s: &str) -> Result<Column, String> {
        let s = s.trim();
        Column::ALL.into_iter().find(|c| c.code().eq_ignore_ascii_case(s)).ok_or_else(|| {
            format!("unknown column \"{s}\" (expected one of: {})", Column::ALL.map(|c| c.code()).join(", "))
        })
    }

    /// Which end leads: higher for counts, value and rates, lower for
    /// times; `None` for late care items (no benchmark).
    pub fn better(self) -> Option<Better> {
        match self {
            Column::CareLate => None,
            Column::AckHours | Column::CloseDays => Some(Better::Lower),
            _ => Some(Better::Higher),
        }
    }

    /// The column's value in `f`, as a number to compare; `None` is "–".
    pub fn value(self, f: &Figures) -> Option<f64> {
        match self {
            Column::Interactions => Some(f.interactions as f64),
            Column::CareOnTime => Some(f.care_on_time as f64),
            Column::CareLate => Some(f.care_late as f64),
            Column::PromisesKept => f.promises_kept_rate(),
            Column::AckHours => f.ack_hours_median,
            Column::CloseDays => f.close_days_median,
            Column::DealsWon => Some(f.deals_won as f64),
            Column::WonValue => Some(f.won_value.0 as f64),
            Column::AckLevel => f.ack_level.share(),
            Column::CloseLevel => f.close_level.share(),
            Column::PromiseLevel => f.promise_level.share(),
        }
    }
}

/// One row of the view: an agent (no members) or a team.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub name: String,
    /// A team's agents as configured; empty for an agent's row.
    pub members: Vec<String>,
    pub figures: Figures,
}

/// The leader(s) of one column: the best value and every row that has it.
#[derive(Debug, Clone, PartialEq)]
pub struct Benchmark {
    pub column: Column,
    pub value: f64,
    /// Names of the rows with the best value (several on a tie), in row order.
    pub leaders: Vec<String>,
}

impl Benchmark {
    pub fn leads(&self, name: &str) -> bool {
        self.leaders.iter().any(|l| l == name)
    }
}

/// The benchmark of each column that has one ([`Column::better`]), in
/// [`Column::ALL`] order. Rows with "–" do not compete; a column whose best
/// is "higher" and 0 (nobody did anything) has no benchmark.
pub fn benchmarks(rows: &[Row]) -> Vec<Benchmark> {
    let mut out = Vec::new();
    for column in Column::ALL {
        let Some(better) = column.better() else { continue };
        let values = rows.iter().filter_map(|r| column.value(&r.figures).map(|v| (r, v)));
        let best = values.clone().map(|(_, v)| v).reduce(|a, b| match better {
            Better::Higher => a.max(b),
            Better::Lower => a.min(b),
        });
        let Some(best) = best else { continue };
        if better == Better::Higher && best <= 0.0 {
            continue;
        }
        let leaders = values.filter(|(_, v)| *v == best).map(|(r, _)| r.name.clone()).collect();
        out.push(Benchmark { column, value: best, leaders });
    }
    out
}

/// Whether `name` leads `column` among `benchmarks`.
pub fn leads(benchmarks: &[Benchmark], name: &str, column: Column) -> bool {
    benchmarks.iter().any(|b| b.column == column && b.leads(name))
}

/// Sorts rows by `column`, best first (for columns without a "better",
/// highest first), or the other way round with `reverse`; "–" always last;
/// ties by name.
pub fn sort_rows(rows: &mut [Row], column: Column, reverse: bool) {
    let lower_first = column.better() == Some(Better::Lower);
    rows.sort_by(|a, b| {
        let order = match (column.value(&a.figures), column.value(&b.figures)) {
            (Some(x), Some(y)) => {
                let o = if lower_first { x.total_cmp(&y) } else { y.total_cmp(&x) };
                if reverse { o.reverse() } else { o }
            }
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (None, None) => Ordering::Equal,
        };
        order.then_with(|| a.name.cmp(&b.name))
    });
}

// ---------------------------------------------------------------------------
// The team view

/// Everything the team view shows.
#[derive(Debug, Clone, PartialEq)]
pub struct TeamView {
    pub period: Period,
    /// The instant open items are judged against.
    pub now: DateTime<Utc>,
    pub targets: Targets,
    /// One row per agent, by name: every agent named in a team, and every
    /// agent with an event in the period.
    pub agents: Vec<Row>,
    /// One row per configured team, by name.
    pub teams: Vec<Row>,
    /// Everyone, unassigned events included.
    pub overall: Figures,
    pub agent_benchmarks: Vec<Benchmark>,
    pub team_benchmarks: Vec<Benchmark>,
    /// See [`misses`].
    pub misses: Vec<Miss>,
}

/// The team view over `period`. `teams` is team name → agents (config
/// `[team.teams]`); team figures are recomputed over the members' events
/// (sums, medians over their events, rates from their counts).
pub fn team_view(
    period: Period,
    now: DateTime<Utc>,
    targets: &Targets,
    teams: &BTreeMap<String, Vec<String>>,
    inputs: &TeamInputs,
) -> TeamView {
    let members: BTreeMap<&str, BTreeSet<&str>> = teams
        .iter()
        .map(|(name, agents)| (name.as_str(), agents.iter().filter_map(|a| agent_name(Some(a))).collect()))
        .collect();
    let configured: BTreeSet<&str> = members.values().flatten().copied().collect();
    let mut seen: BTreeSet<&str> = configured.clone();
    seen.extend(inputs.interactions.iter().filter_map(|c| agent_name(Some(&c.agent))));
    seen.extend(inputs.reminders.iter().filter_map(|r| agent_name(r.owner.as_deref())));
    seen.extend(inputs.promises.iter().filter_map(|p| agent_name(Some(&p.agent))));
    seen.extend(inputs.cases.iter().filter_map(|c| agent_name(c.owner.as_deref())));
    seen.extend(inputs.deals.iter().filter_map(|d| agent_name(d.owner.as_deref())));

    let agents: Vec<Row> = seen
        .into_iter()
        .filter_map(|name| {
            let f = figures(&period, now, targets, inputs, |a| a == Some(name));
            (configured.contains(name) || !f.is_empty()).then(|| Row {
                name: name.to_string(),
                members: Vec::new(),
                figures: f,
            })
        })
        .collect();
    let teams: Vec<Row> = members
        .iter()
        .map(|(name, set)| Row {
            name: name.to_string(),
            members: set.iter().map(|s| s.to_string()).collect(),
            figures: figures(&period, now, targets, inputs, |a| a.is_some_and(|a| set.contains(a))),
        })
        .collect();
    TeamView {
        period,
        now,
        targets: *targets,
        agent_benchmarks: benchmarks(&agents),
        team_benchmarks: benchmarks(&teams),
        overall: figures(&period, now, targets, inputs, |_| true),
        misses: misses(&period, now, targets, inputs),
        agents,
        teams,
    }
}

// ---------------------------------------------------------------------------
// Competitors

/// A deal that names competitors.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompetitorDeal {
    pub id: i64,
    pub customer_id: i64,
    pub customer: String,
    pub title: String,
    pub owner: Option<String>,
    pub amount: Money,
    pub status: DealStatus,
    /// As typed: names separated by commas.
    pub competitors: String,
    pub close_reason: Option<String>,
    pub created_at: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
}

impl CompetitorDeal {
    /// Whether the deal was active at some time in `period`: created before
    /// its end, and not closed before its start.
    pub fn active_in(&self, period: &Period) -> bool {
        self.created_at < period.end() && self.closed_at.is_none_or(|c| c >= period.start())
    }

    /// Closed with `status` (its status now) in `period`.
    fn closed_in(&self, status: DealStatus, period: &Period) -> bool {
        self.status == status && self.closed_at.is_some_and(|c| period.contains(c))
    }
}

/// One competitor's figures over a period.
#[derive(Debug, Clone, PartialEq)]
pub struct Competitor {
    /// The first spelling met (deals in the order given).
    pub name: String,
    /// Deals naming it that were active in the period ([`CompetitorDeal::active_in`]), any status.
    pub deals: u64,
    /// Of those, won in the period.
    pub won: u64,
    /// Of those, lost in the period.
    pub lost: u64,
    /// The amounts of all those deals (open and closed): the value at stake.
    pub value: Money,
    /// Reasons of the deals lost in the period, grouped and ordered as the
    /// pipeline's lost reasons (`forecast::lost_reasons`): most frequent first.
    pub lost_reasons: Vec<LostReason>,
    /// The deals, by id.
    pub deal_ids: Vec<i64>,
}

impl Competitor {
    /// Won / (won + lost) in the period; `None` when none closed.
    pub fn win_rate(&self) -> Option<f64> {
        ratio(self.won, self.won + self.lost)
    }

    /// Deals not closed in the period (open then).
    pub fn open(&self) -> u64 {
        self.deals - self.won - self.lost
    }
}

/// The grouping key of a competitor's name: inner blanks collapsed, lower case.
fn competitor_key(name: &str) -> String {
    name.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase()
}

/// The competitors a deal names: split on commas (`,`, `，`, `、`),
/// trimmed, blanks dropped, each name once (ignoring case), in order.
pub fn competitor_names(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut keys: BTreeSet<String> = BTreeSet::new();
    for part in text.split([',', '，', '、']) {
        let name = part.split_whitespace().collect::<Vec<_>>().join(" ");
        if !name.is_empty() && keys.insert(competitor_key(&name)) {
            out.push(name);
        }
    }
    out
}

/// Per competitor named on the deals active in `period`: deals, won and
/// lost in the period, value at stake and lost reasons (keys as
/// [`lost_reason_key`] with the configured reasons). Names are grouped
/// ignoring case, under the first spelling met. Sorted by deals, then
/// value, descending, then name.
pub fn competitors(period: &Period, configured_lost_reasons: &[String], deals: &[CompetitorDeal]) -> Vec<Competitor> {
    let mut out: Vec<Competitor> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut reasons: Vec<HashMap<Option<String>, usize>> = Vec::new();
    for d in deals.iter().filter(|d| d.active_in(period)) {
        let won = d.closed_in(DealStatus::Won, period);
        let lost = d.closed_in(DealStatus::Lost, period);
        for name in competitor_names(&d.competitors) {
            let i = *index.entry(competitor_key(&name)).or_insert_with(|| {
                out.push(Competitor {
                    name,
                    deals: 0,
                    won: 0,
                    lost: 0,
                    value: Money::ZERO,
                    lost_reasons: Vec::new(),
                    deal_ids: Vec::new(),
                });
                reasons.push(HashMap::new());
                out.len() - 1
            });
            let c = &mut out[i];
            c.deals += 1;
            c.value = c.value + d.amount;
            c.deal_ids.push(d.id);
            c.won += u64::from(won);
            if lost {
                c.lost += 1;
                let key = lost_reason_key(d.close_reason.as_deref(), configured_lost_reasons);
                let folded = key.as_ref().map(|k| k.to_lowercase());
                let j = *reasons[i].entry(folded).or_insert_with(|| {
                    c.lost_reasons.push(LostReason { reason: key, count: 0, total: Money::ZERO });
                    c.lost_reasons.len() - 1
                });
                c.lost_reasons[j].count += 1;
                c.lost_reasons[j].total = c.lost_reasons[j].total + d.amount;
            }
        }
    }
    for c in &mut out {
        c.deal_ids.sort_unstable();
        c.lost_reasons.sort_by(|a, b| {
            b.count.cmp(&a.count).then(b.total.cmp(&a.total)).then_with(|| match (&a.reason, &b.reason) {
                (Some(x), Some(y)) => x.cmp(y),
                (Some(_), None) => Ordering::Less,
                (None, Some(_)) => Ordering::Greater,
                (None, None) => Ordering::Equal,
            })
        });
    }
    out.sort_by(|a, b| {
        b.deals
            .cmp(&a.deals)
            .then(b.value.cmp(&a.value))
            .then_with(|| competitor_key(&a.name).cmp(&competitor_key(&b.name)))
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{NaiveDate, TimeZone};

    fn at(day: u32, hour: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2025, 3, day, hour, 0, 0).unwrap()
    }

    fn march() -> Period {
        Period::new(NaiveDate::from_ymd_opt(2025, 3, 1).unwrap(), NaiveDate::from_ymd_opt(2025, 3, 31).unwrap())
            .unwrap()
    }

    fn case(
        id: i64,
        owner: &str,
        opened: DateTime<Utc>,
        ack: Option<DateTime<Utc>>,
        closed: Option<DateTime<Utc>>,
    ) -> CaseEvent {
        CaseEvent {
            id,
            customer_id: 1,
            customer: "C".into(),
            owner: Some(owner.into()),
            opened_at: opened,
            acknowledged_at: ack,
            closed_at: closed,
        }
    }

    #[test]
    fn medians() {
        assert_eq!(median(&mut []), None);
        assert_eq!(median(&mut [3.0]), Some(3.0));
        assert_eq!(median(&mut [4.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&mut [4.0, 1.0, 2.0, 10.0]), Some(3.0));
    }

    #[test]
    fn competitor_names_are_split_trimmed_and_unique() {
        assert_eq!(competitor_names(" Acme ,  Big   Co,acme,, "), vec!["Acme", "Big Co"]);
        assert_eq!(competitor_names("华为，中兴、 Cisco"), vec!["华为", "中兴", "Cisco"]);
        assert!(competitor_names(" , ").is_empty());
    }

    #[test]
    fn promise_deadline_on_the_date_or_the_time() {
        let t = Targets::default();
        assert_eq!(t.promise_deadline(at(3, 10)), Utc.with_ymd_and_hms(2025, 3, 3, 23, 59, 59).unwrap());
        let exact = Targets { callback_on_date: false, ..t };
        assert_eq!(exact.promise_deadline(at(3, 10)), at(3, 10));
        assert_eq!(t.lookback(), TimeDelta::days(5));
    }

    #[test]
    fn service_levels_judge_items_by_their_deadline() {
        let now = at(20, 12);
        let t = Targets::default();
        let inputs = TeamInputs {
            cases: vec![
                // ack in 2 h: met; closed after 6 days: missed by 1 day.
                case(1, "ann", at(2, 8), Some(at(2, 10)), Some(at(8, 8))),
                // opened 28 Feb 22:00: ack deadline 1 Mar 02:00 in the period, acked at 03:00: late by 1 h.
                case(2, "ann", Utc.with_ymd_and_hms(2025, 2, 28, 22, 0, 0).unwrap(), Some(at(1, 3)), None),
                // never acknowledged, deadline passed: open miss; close deadline 24 Mar still ahead.
                case(3, "bob", at(19, 0), None, None),
            ],
            ..TeamInputs::default()
        };
        let f = figures(&march(), now, &t, &inputs, |_| true);
        assert_eq!(f.ack_level, Level { met: 1, missed: 2 });
        assert_eq!(f.close_level, Level { met: 0, missed: 2 });
        assert_eq!(f.acknowledged, 2);
        assert_eq!(f.ack_hours_median, Some((2.0 + 5.0) / 2.0));
        assert_eq!(f.close_days_median, Some(6.0));
        let m = misses(&march(), now, &t, &inputs);
        let got: Vec<(Target, i64, MissState, i64)> =
            m.iter().map(|m| (m.target, m.id, m.state, m.by.num_hours())).collect();
        assert_eq!(
            got,
            vec![
                (Target::Ack, 2, MissState::Late, 1),
                (Target::Ack, 3, MissState::Open, 32),
                (Target::Close, 2, MissState::Open, 14 * 24 + 14),
                (Target::Close, 1, MissState::Late, 24),
            ]
        );
    }

    #[test]
    fn benchmarks_pick_the_best_and_skip_nothing_done() {
        let row = |name: &str, interactions, ack: Option<f64>| Row {
            name: name.into(),
            members: vec![],
            figures: Figures { interactions, ack_hours_median: ack, ..Figures::default() },
        };
        let rows = vec![row("a", 3, Some(5.0)), row("b", 3, None), row("c", 1, Some(2.0))];
        let b = benchmarks(&rows);
        assert!(leads(&b, "a", Column::Interactions) && leads(&b, "b", Column::Interactions));
        assert!(leads(&b, "c", Column::AckHours) && !leads(&b, "a", Column::AckHours));
        assert!(!b.iter().any(|b| b.column == Column::DealsWon), "nobody won a deal");
        assert!(!b.iter().any(|b| b.column == Column::CareLate));
        let mut sorted = rows.clone();
        sort_rows(&mut sorted, Column::AckHours, false);
        assert_eq!(sorted.iter().map(|r| r.name.as_str()).collect::<Vec<_>>(), ["c", "a", "b"]);
        sort_rows(&mut sorted, Column::AckHours, true);
        assert_eq!(sorted.iter().map(|r| r.name.as_str()).collect::<Vec<_>>(), ["a", "c", "b"]);
        assert_eq!(Column::parse("Won_Value"), Ok(Column::WonValue));
        assert!(Column::parse("speed").is_err());
    }
}
