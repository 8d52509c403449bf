//! Care's figures over a period: how well promises were kept (overall and
//! per agent), how fast complaints were acknowledged and closed, and the
//! open complaints by age. Built on the team figures (`domain::team`), so
//! the care pane, `rapport report care` and the team view never disagree.

use chrono::{DateTime, Utc};

use super::forecast::Period;
use super::team::{Figures, Row, TeamView};

/// Open complaints' ages: under 1 day, 1–3 days, 3–7 days, 7 days or more.
pub const AGE_BUCKETS: [&str; 4] = ["<1d", "1-3d", "3-7d", "7d+"];

/// The age bucket (index into [`AGE_BUCKETS`]) of a complaint opened at
/// `opened_at`, as of `now`. A future opening (clock skew) counts as new.
pub fn age_bucket(opened_at: DateTime<Utc>, now: DateTime<Utc>) -> usize {
    let hours = (now - opened_at).num_hours();
    match hours {
        h if h < 24 => 0,
        h if h < 72 => 1,
        h if h < 168 => 2,
        _ => 3,
    }
}

/// Everything care's figures view and `rapport report care` show.
#[derive(Debug, Clone, PartialEq)]
pub struct CareFigures {
    pub period: Period,
    /// Everyone, unassigned items included.
    pub overall: Figures,
    /// The agents with a promise settled or judged, or a complaint
    /// acknowledged or closed, in the period; by name.
    pub agents: Vec<Row>,
    /// Complaints open now.
    pub open_cases: u64,
    /// Of those, how many in each of [`AGE_BUCKETS`].
    pub open_by_age: [u64; 4],
}

fn has_care(f: &Figures) -> bool {
    f.promises_settled() > 0 || f.promise_level.judged() > 0 || f.acknowledged > 0 || f.closed > 0
}

/// Care's figures from the team view of the same period and the opening
/// times of the complaints open at `now`.
pub fn care_figures(view: &TeamView, open_cases_opened_at: &[DateTime<Utc>], now: DateTime<Utc>) -> CareFigures {
    let mut open_by_age = [0u64; 4];
    for t in open_cases_opened_at {
        open_by_age[age_bucket(*t, now)] += 1;
    }
    CareFigures {
        period: view.period,
        overall: view.overall.clone(),
        agents: view.agents.iter().filter(|r| has_care(&r.figures)).cloned().collect(),
        open_cases: open_cases_opened_at.len() as u64,
        open_by_age,
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use chrono::{NaiveDate, TimeZone};

    use super::*;
    use crate::domain::model::PromiseStatus;
    use crate::domain::team::{AgentCount, PromiseEvent, Targets, TeamInputs, team_view};

    fn at(d: u32, h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, d, h, 0, 0).unwrap()
    }

    fn promise(
        id: i64,
        agent: &str,
        due: DateTime<Utc>,
        status: PromiseStatus,
        done: Option<DateTime<Utc>>,
    ) -> PromiseEvent {
        PromiseEvent {
            id,
            customer_id: 1,
            customer: "c".into(),
            agent: agent.into(),
            due_at: due,
            status,
            done_at: done,
        }
    }

    #[test]
    fn ages_fall_in_their_buckets() {
        let now = at(25, 10);
        assert_eq!(age_bucket(at(25, 9), now), 0);
        assert_eq!(age_bucket(at(26, 9), now), 0, "a future opening counts as new");
        assert_eq!(age_bucket(at(24, 10), now), 1);
        assert_eq!(age_bucket(at(22, 11), now), 1);
        assert_eq!(age_bucket(at(22, 10), now), 2);
        assert_eq!(age_bucket(at(18, 11), now), 2);
        assert_eq!(age_bucket(at(18, 10), now), 3);
    }

    #[test]
    fn kept_rate_per_agent_and_overall_and_idle_agents_left_out() {
        let period =
            Period::new(NaiveDate::from_ymd_opt(2026, 11, 1).unwrap(), NaiveDate::from_ymd_opt(2026, 11, 30).unwrap())
                .unwrap();
        let inputs = TeamInputs {
            interactions: vec![AgentCount { agent: "idle".into(), count: 5 }],
            promises: vec![
                promise(1, "ann", at(10, 12), PromiseStatus::Kept, Some(at(10, 9))),
                promise(2, "ann", at(11, 12), PromiseStatus::Late, Some(at(12, 9))),
                promise(3, "bo", at(12, 12), PromiseStatus::Broken, Some(at(12, 13))),
                promise(4, "bo", at(13, 12), PromiseStatus::Kept, Some(at(13, 8))),
                promise(5, "", at(14, 12), PromiseStatus::Kept, Some(at(14, 8))),
                // Settled before the period: not counted.
                promise(6, "ann", at(1, 0) - chrono::Duration::days(3), PromiseStatus::Broken, None),
            ],
            ..TeamInputs::default()
        };
        let view = team_view(period, at(25, 10), &Targets::default(), &BTreeMap::new(), &inputs);
        let f = care_figures(&view, &[at(25, 9), at(20, 9), at(1, 9)], at(25, 10));
        assert_eq!((f.overall.promises_kept, f.overall.promises_late, f.overall.promises_broken), (3, 1, 1));
        assert_eq!(f.overall.promises_kept_rate(), Some(0.6));
        let names: Vec<&str> = f.agents.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["ann", "bo"], "the agent with only calls is not a care row");
        assert_eq!(f.agents[0].figures.promises_kept_rate(), Some(0.5));
        assert_eq!(f.agents[1].figures.promises_kept_rate(), Some(0.5));
        assert_eq!((f.open_cases, f.open_by_age), (3, [1, 0, 1, 1]));
    }
}
