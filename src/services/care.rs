//! Running the care rules: read, propose, write once per occasion.

use chrono::{DateTime, Utc};

use crate::config::{Config, Lang};
use crate::domain::care_figures::{CareFigures, care_figures};
use crate::domain::care_rules::{Proposal, Rule, RuleSettings, each_proposal};
use crate::domain::forecast::Period;
use crate::domain::team::team_view;
use crate::i18n::Txt;
use crate::repo::{Repo, Result};

/// Care's figures over `period` (promises kept, complaint times), with open
/// complaints aged and open items judged as of `now`.
pub fn figures(repo: &Repo, config: &Config, period: Period, now: DateTime<Utc>) -> Result<CareFigures> {
    let targets = config.team.targets();
    let inputs = repo.team_inputs(&period, &targets)?;
    let view = team_view(period, now, &targets, &config.team.teams, &inputs);
    Ok(care_figures(&view, &repo.open_cases_opened_at()?, now))
}

/// The rules the config leaves on.
pub fn enabled_rules(config: &Config) -> Vec<Rule> {
    let c = &config.care;
    if !c.rules_enabled {
        return Vec::new();
    }
    let s = &c.rules;
    [
        (Rule::FollowUp, s.follow_up),
        (Rule::Birthday, s.birthday),
        (Rule::NoContact, s.no_contact),
        (Rule::TierDrop, s.tier_drop),
        (Rule::Credit, s.credit),
        (Rule::Complaint, s.complaint),
        (Rule::Promise, s.promise),
        (Rule::ChurnRisk, s.churn_risk),
    ]
    .into_iter()
    .filter_map(|(r, on)| on.then_some(r))
    .collect()
}

/// The note a rule's reminder carries, in the user's language.
pub fn note(p: &Proposal, lang: Lang) -> String {
    let label = match p.rule {
        Rule::FollowUp => Txt::RuleFollowUp,
        Rule::Birthday => Txt::RuleBirthday,
        Rule::NoContact => Txt::RuleNoContact,
        Rule::TierDrop => Txt::RuleTierDrop,
        Rule::Credit => Txt::RuleCredit,
        Rule::Complaint => Txt::RuleComplaint,
        Rule::Promise => Txt::RulePromise,
        Rule::ChurnRisk => Txt::RuleChurnRisk,
    };
    format!("{}: {}", label.get(lang), p.detail)
}

/// Runs every enabled rule as of `now`; returns the reminders it raised.
/// Running it again raises nothing new.
pub fn run_rules(repo: &mut Repo, config: &Config, now: DateTime<Utc>) -> Result<Vec<Proposal>> {
    let mut made = Vec::new();
    run_rules_each(repo, config, now, |p| made.push(p))?;
    Ok(made)
}

/// As [`run_rules`], handing each reminder raised to `raised` instead of
/// keeping them (a first run on a million customers raises hundreds of
/// thousands).
pub fn run_rules_each(
    repo: &mut Repo,
    config: &Config,
    now: DateTime<Utc>,
    mut raised: impl FnMut(Proposal),
) -> Result<()> {
    let enabled = enabled_rules(config);
    if enabled.is_empty() {
        return Ok(());
    }
    let inputs = repo.rule_inputs(now, config.care.follow_up_days)?;
    let settings = RuleSettings {
        now,
        follow_up_days: config.care.follow_up_days,
        no_contact_days: config.care.no_contact_days,
        promise_notice_hours: config.care.promise_notice_hours,
        enabled,
    };
    let lang = config.language();
    repo.raise_reminders(|emit| each_proposal(&inputs, &settings, emit), |p| note(p, lang), &mut raised)
}
