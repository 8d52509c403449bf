//! The user's settings, from `config.toml` in the config directory.
//!
//! Every section is optional and every field has a default, so an empty or
//! missing file means "all defaults". A misspelt field is an error (not
//! silently ignored), reported with the file, the line and the field.
//!
//! ```toml
//! [ui]
//! keymap = "vim"
//! language = "zh"
//!
//! [pyramid]
//! top_share_pct = 40
//!
//! [[pipeline.stages]]
//! name = "Lead"
//! probability_pct = 10
//!
//! [team]
//! ack_target_hours = 4
//!
//! [team.teams]
//! North = ["alice", "bob"]
//! ```

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use serde::{Deserialize, Serialize};
use toml::de::{DeTable, DeValue};

/// The language of the interface.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Lang {
    #[default]
    En,
    Zh,
}

impl Lang {
    /// The language a code such as `"zh"`, `"zh_CN.UTF-8"` or `"en-GB"` stands
    /// for; `None` for anything else.
    pub fn from_code(code: &str) -> Option<Lang> {
        let lower = code.trim().to_ascii_lowercase();
        if lower.starts_with("zh") {
            Some(Lang::Zh)
        } else if lower.starts_with("en") {
            Some(Lang::En)
        } else {
            None
        }
    }

    /// The language the locale variables ask for: the first of `LC_ALL`,
    /// `LC_MESSAGES` and `LANG` that is set and not empty decides; Chinese
    /// if it starts with `zh`, else English.
    pub fn from_locale(lc_all: Option<&str>, lc_messages: Option<&str>, lang: Option<&str>) -> Lang {
        let chosen = [lc_all, lc_messages, lang].into_iter().flatten().find(|v| !v.trim().is_empty());
        match chosen {
            Some(v) if v.trim().to_ascii_lowercase().starts_with("zh") => Lang::Zh,
            _ => Lang::En,
        }
    }

    /// [`Lang::from_locale`] on this process's environment.
    pub fn from_env() -> Lang {
        let var = |name: &str| std::env::var(name).ok();
        Lang::from_locale(var("LC_ALL").as_deref(), var("LC_MESSAGES").as_deref(), var("LANG").as_deref())
    }

    /// `"en"` or `"zh"`.
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Zh => "zh",
        }
    }
}

/// Everything in `config.toml`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    pub ui: UiConfig,
    pub pyramid: PyramidConfig,
    pub pipeline: PipelineConfig,
    pub care: CareConfig,
    pub lifecycle: LifecycleConfig,
    pub team: TeamConfig,
    pub points: PointsConfig,
}

/// `[ui]`: how rapport looks and who is using it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct UiConfig {
    /// Draw with ASCII instead of box-drawing characters.
    pub ascii: bool,
    /// A built-in key set (`"default"`, `"vim"`) or the path of a keymap file.
    pub keymap: String,
    /// `"en"` or `"zh"`; unset means "from the locale".
    #[serde(skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    /// Command that dials a number, with `{number}` where the number goes
    /// (e.g. `"linphonecsh dial {number}"`); unset means no dialing.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dialer: Option<String>,
    /// The name recorded on interactions and in the audit log; unset means
    /// the operating-system user.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub agent: Option<String>,
}

impl Default for UiConfig {
    fn default() -> Self {
        UiConfig { ascii: false, keymap: "default".to_string(), language: None, dialer: None, agent: None }
    }
}

/// `[pyramid]`: how customers are banded by their contribution.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PyramidConfig {
    /// The contribution window, in days.
    pub window_days: u32,
    /// The top band: the customers who together make this share of revenue.
    pub top_share_pct: u32,
    /// The top and growth bands together make this share of revenue.
    pub growth_share_pct: u32,
    /// Contribution up by this % vs the previous window = rising fast.
    pub rising_pct: u32,
}

impl Default for PyramidConfig {
    fn default() -> Self {
        PyramidConfig { window_days: 365, top_share_pct: 50, growth_share_pct: 80, rising_pct: 50 }
    }
}

/// One stage of the pipeline and its win probability.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StageConfig {
    pub name: String,
    pub probability_pct: u8,
}

impl StageConfig {
    fn new(name: &str, probability_pct: u8) -> Self {
        StageConfig { name: name.to_string(), probability_pct }
    }
}

/// `[pipeline]`: the stages of a deal and when it counts as stalled.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PipelineConfig {
    /// Open stages in order (won and lost are not stages).
    pub stages: Vec<StageConfig>,
    /// A deal untouched for this many days is stalled.
    pub stall_days: u32,
    /// The reasons offered when a deal is lost.
    pub lost_reasons: Vec<String>,
}

impl Default for PipelineConfig {
    fn default() -> Self {
        PipelineConfig {
            stages: vec![
                StageConfig::new("Lead", 10),
                StageConfig::new("Qualified", 25),
                StageConfig::new("Proposal", 50),
                StageConfig::new("Negotiation", 75),
            ],
            stall_days: 14,
            lost_reasons: ["Price", "Competitor", "No budget", "No decision", "Timing", "Other"]
                .into_iter()
                .map(String::from)
                .collect(),
        }
    }
}

/// `[care]`: when a customer needs attention.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CareConfig {
    /// Default delay of a follow-up reminder, in days.
    pub follow_up_days: u32,
    /// An important customer not contacted for this many days needs a call.
    pub no_contact_days: u32,
    /// A Top or Growth customer whose probability of being "alive" (the
    /// churn model's P(alive)) is below this % is at risk.
    pub churn_threshold_pct: u32,
    /// Whether the care rules raise items at all.
    pub rules_enabled: bool,
    /// A promise's heads-up reminder comes this many hours before it is due.
    pub promise_notice_hours: u32,
    /// Each rule on its own: `[care.rules]`.
    pub rules: RuleSwitches,
    /// Hours a complaint of each severity has before its deadline:
    /// `[care.complaint_hours]`.
    pub complaint_hours: SeverityHours,
}

/// `[care.complaint_hours]`: the deadline of a complaint by severity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SeverityHours {
    pub low: u32,
    pub medium: u32,
    pub high: u32,
    pub critical: u32,
}

impl Default for SeverityHours {
    fn default() -> Self {
        SeverityHours { low: 120, medium: 72, high: 24, critical: 4 }
    }
}

impl SeverityHours {
    pub fn for_severity(&self, s: crate::domain::model::Severity) -> u32 {
        use crate::domain::model::Severity::*;
        match s {
            Low => self.low,
            Medium => self.medium,
            High => self.high,
            Critical => self.critical,
        }
    }
}

impl Default for CareConfig {
    fn default() -> Self {
        CareConfig {
            follow_up_days: 7,
            no_contact_days: 30,
            churn_threshold_pct: 50,
            rules_enabled: true,
            promise_notice_hours: 24,
            rules: RuleSwitches::default(),
            complaint_hours: SeverityHours::default(),
        }
    }
}

/// `[care.rules]`: switch single rules off.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RuleSwitches {
    /// A follow-up `follow_up_days` after each sale.
    pub follow_up: bool,
    /// Contacts' birthdays, on the day.
    pub birthday: bool,
    /// Top and Growth customers not contacted for `no_contact_days`.
    pub no_contact: bool,
    /// A customer who fell out of the Top tier.
    pub tier_drop: bool,
    /// Outstanding balance over the credit limit.
    pub credit: bool,
    /// An open complaint past its deadline.
    pub complaint: bool,
    /// A promise falling due.
    pub promise: bool,
    /// A Top or Growth customer the churn model says is drifting away.
    pub churn_risk: bool,
}

impl Default for RuleSwitches {
    fn default() -> Self {
        RuleSwitches {
            follow_up: true,
            birthday: true,
            no_contact: true,
            tier_drop: true,
            credit: true,
            complaint: true,
            promise: true,
            churn_risk: true,
        }
    }
}

/// `[lifecycle]`: new, active, declining and lost customers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LifecycleConfig {
    /// A customer whose first purchase is this recent is new.
    pub new_days: u32,
    /// A customer with no purchase for this long is lost.
    pub lost_days: u32,
    /// Below this probability of being "alive" a customer is lost.
    pub lost_p_alive_pct: u32,
    /// Below this probability of being "alive" a customer is declining.
    pub declining_p_alive_pct: u32,
    /// Expected purchases are counted over the next this many weeks.
    pub horizon_weeks: u32,
}

impl Default for LifecycleConfig {
    fn default() -> Self {
        LifecycleConfig {
            new_days: 90,
            lost_days: 365,
            lost_p_alive_pct: 10,
            declining_p_alive_pct: 50,
            horizon_weeks: 13,
        }
    }
}

/// `[team]`: teams of agents and the service-level targets of the team view.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TeamConfig {
    /// Team name → the agents in it (as named on interactions, deals,
    /// reminders, promises and complaints). An agent may be in several teams.
    pub teams: BTreeMap<String, Vec<String>>,
    /// A complaint should be acknowledged within this many hours of opening.
    pub ack_target_hours: u32,
    /// A complaint should be closed within this many days of opening.
    pub close_target_days: u32,
    /// `true`: a promise is on target when kept by the end of its due day
    /// (UTC); `false`: only when kept by its due time.
    pub callback_on_date: bool,
}

impl TeamConfig {
    /// The service-level targets these settings describe.
    pub fn targets(&self) -> crate::domain::team::Targets {
        crate::domain::team::Targets {
            ack_hours: self.ack_target_hours,
            close_days: self.close_target_days,
            callback_on_date: self.callback_on_date,
        }
    }
}

impl Default for TeamConfig {
    fn default() -> Self {
        TeamConfig { teams: BTreeMap::new(), ack_target_hours: 4, close_target_days: 5, callback_on_date: true }
    }
}

/// `[points]`: VIP points earned from sales.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PointsConfig {
    /// Points per whole currency unit of a sale (cents earn nothing).
    pub per_unit: u32,
    /// Whether points are earned, redeemed and adjusted at all.
    pub enabled: bool,
}

impl Default for PointsConfig {
    fn default() -> Self {
        PointsConfig { per_unit: 1, enabled: true }
    }
}

/// A value that parses but makes no sense: the field (a dotted path such
/// as `pyramid.top_share_pct` or `pipeline.stages[2].name`) and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct InvalidValue {
    pub field: String,
    pub message: String,
}

fn invalid(field: impl Into<String>, message: impl Into<String>) -> InvalidValue {
    InvalidValue { field: field.into(), message: message.into() }
}

/// A config file that could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file exists but cannot be read.
    #[error("{file}: cannot read the file: {source}")]
    Io {
        file: String,
        #[source]
        source: std::io::Error,
    },
    /// Not valid TOML, an unknown field, or a value of the wrong type.
    #[error("{file}{}: {message}", line_suffix(*.line))]
    Parse { file: String, line: Option<usize>, message: String },
    /// A value out of range or inconsistent with another.
    #[error("{file}{}: {}", line_suffix(*.line), .invalid)]
    Invalid { file: String, line: Option<usize>, invalid: InvalidValue },
}

impl ConfigError {
    /// The 1-based line the error is about, when known.
    pub fn line(&self) -> Option<usize> {
        match self {
            ConfigError::Io { .. } => None,
            ConfigError::Parse { line, .. } | ConfigError::Invalid { line, .. } => *line,
        }
    }
}

fn line_suffix(line: Option<usize>) -> String {
    line.map(|l| format!(" line {l}")).unwrap_or_default()
}

impl Config {
    /// The settings in `path`; defaults when `path` is `None` or the file
    /// does not exist.
    pub fn load(path: Option<&Path>) -> Result<Config, ConfigError> {
        let Some(path) = path else {
            return Ok(Config::default());
        };
        match std::fs::read_to_string(path) {
            Ok(src) => Config::from_toml(&src, &path.display().to_string()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Config::default()),
            Err(source) => Err(ConfigError::Io { file: path.display().to_string(), source }),
        }
    }

    /// Parses and validates TOML text; `file_label` names it in errors.
    pub fn from_toml(src: &str, file_label: &str) -> Result<Config, ConfigError> {
        let config: Config = toml::from_str(src).map_err(|e| ConfigError::Parse {
            file: file_label.to_string(),
            line: e.span().map(|s| line_of(src, s.start)),
            message: with_source_line(src, e.message(), e.span()),
        })?;
        config.validate().map_err(|invalid| ConfigError::Invalid {
            file: file_label.to_string(),
            line: line_of_field(src, &invalid.field),
            invalid,
        })?;
        Ok(config)
    }

    /// Checks that the values make sense together.
    pub fn validate(&self) -> Result<(), InvalidValue> {
        let p = &self.pyramid;
        if p.window_days == 0 {
            return Err(invalid("pyramid.window_days", "must be at least 1 day"));
        }
        for (field, value) in
            [("pyramid.top_share_pct", p.top_share_pct), ("pyramid.growth_share_pct", p.growth_share_pct)]
        {
            if !(1..=100).contains(&value) {
                return Err(invalid(field, format!("{value} is not a share between 1 and 100")));
            }
        }
        if p.top_share_pct >= p.growth_share_pct {
            return Err(invalid(
                "pyramid.top_share_pct",
                format!("{} must be less than pyramid.growth_share_pct ({})", p.top_share_pct, p.growth_share_pct),
            ));
        }
        if p.rising_pct == 0 {
            return Err(invalid("pyramid.rising_pct", "must be at least 1"));
        }

        let stages = &self.pipeline.stages;
        if stages.is_empty() {
            return Err(invalid("pipeline.stages", "at least one stage is needed"));
        }
        for (i, stage) in stages.iter().enumerate() {
            let name = stage.name.trim();
            if name.is_empty() {
                return Err(invalid(format!("pipeline.stages[{i}].name"), "must not be empty"));
            }
            if stages[..i].iter().any(|s| s.name.trim().eq_ignore_ascii_case(name)) {
                return Err(invalid(format!("pipeline.stages[{i}].name"), format!("stage {name:?} is listed twice")));
            }
            if stage.probability_pct > 100 {
                return Err(invalid(
                    format!("pipeline.stages[{i}].probability_pct"),
                    format!("{} is not a probability between 0 and 100", stage.probability_pct),
                ));
            }
            if i > 0 && stage.probability_pct <= stages[i - 1].probability_pct {
                return Err(invalid(
                    format!("pipeline.stages[{i}].probability_pct"),
                    format!(
                        "{} must be higher than the previous stage's ({}): probabilities \
                         increase along the pipeline",
                        stage.probability_pct,
                        stages[i - 1].probability_pct
                    ),
                ));
            }
        }
        if self.pipeline.stall_days == 0 {
            return Err(invalid("pipeline.stall_days", "must be at least 1 day"));
        }
        for (i, reason) in self.pipeline.lost_reasons.iter().enumerate() {
            if reason.trim().is_empty() {
                return Err(invalid(format!("pipeline.lost_reasons[{i}]"), "must not be empty"));
            }
        }

        let c = &self.care;
        if c.follow_up_days == 0 {
            return Err(invalid("care.follow_up_days", "must be at least 1 day"));
        }
        if c.no_contact_days == 0 {
            return Err(invalid("care.no_contact_days", "must be at least 1 day"));
        }
        if !(1..=100).contains(&c.churn_threshold_pct) {
            return Err(invalid(
                "care.churn_threshold_pct",
                format!("{} is not a share between 1 and 100", c.churn_threshold_pct),
            ));
        }

        let l = &self.lifecycle;
        if l.new_days == 0 {
            return Err(invalid("lifecycle.new_days", "must be at least 1 day"));
        }
        if l.lost_days == 0 {
            return Err(invalid("lifecycle.lost_days", "must be at least 1 day"));
        }
        for (field, value) in [
            ("lifecycle.lost_p_alive_pct", l.lost_p_alive_pct),
            ("lifecycle.declining_p_alive_pct", l.declining_p_alive_pct),
        ] {
            if value > 100 {
                return Err(invalid(field, format!("{value} is not a probability between 0 and 100")));
            }
        }
        if l.lost_p_alive_pct >= l.declining_p_alive_pct {
            return Err(invalid(
                "lifecycle.lost_p_alive_pct",
                format!(
                    "{} must be less than lifecycle.declining_p_alive_pct ({})",
                    l.lost_p_alive_pct, l.declining_p_alive_pct
                ),
            ));
        }

        let t = &self.team;
        if t.ack_target_hours == 0 {
            return Err(invalid("team.ack_target_hours", "must be at least 1 hour"));
        }
        if t.close_target_days == 0 {
            return Err(invalid("team.close_target_days", "must be at least 1 day"));
        }
        for (name, members) in &t.teams {
            if name.trim().is_empty() {
                return Err(invalid("team.teams", "a team name must not be empty"));
            }
            if members.is_empty() {
                return Err(invalid(format!("team.teams.{name}"), "a team needs at least one agent"));
            }
            for (i, agent) in members.iter().enumerate() {
                let agent = agent.trim();
                if agent.is_empty() {
                    return Err(invalid(format!("team.teams.{name}[{i}]"), "an agent's name must not be empty"));
                }
                if members[..i].iter().any(|m| m.trim() == agent) {
                    return Err(invalid(
                        format!("team.teams.{name}[{i}]"),
                        format!("agent {agent:?} is listed twice in team {name:?}"),
                    ));
                }
            }
        }

        if let Some(lang) = &self.ui.language
            && Lang::from_code(lang).is_none()
        {
            return Err(invalid("ui.language", format!("{lang:?} is not \"en\" or \"zh\"")));
        }
        if self.ui.keymap.trim().is_empty() {
            return Err(invalid("ui.keymap", "must name a key set (\"default\", \"vim\") or a keymap file"));
        }
        if let Some(agent) = &self.ui.agent
            && agent.trim().is_empty()
        {
            return Err(invalid("ui.agent", "must not be empty (leave it out to use your login name)"));
        }
        Ok(())
    }

    /// The interface language: `ui.language` if set, else from the locale.
    pub fn language(&self) -> Lang {
        self.ui.language.as_deref().and_then(Lang::from_code).unwrap_or_else(Lang::from_env)
    }

    /// Who is at the keyboard: `ui.agent`, else the login name, else `"unknown"`.
    pub fn agent(&self) -> String {
        if let Some(agent) = self.ui.agent.as_deref().filter(|a| !a.trim().is_empty()) {
            return agent.to_string();
        }
        ["USER", "USERNAME", "LOGNAME"]
            .iter()
            .filter_map(|v| std::env::var(v).ok())
            .find(|v| !v.trim().is_empty())
            // No login variables (cron, some SSH setups): the home folder's name.
            .or_else(|| {
                let home = std::env::var_os("HOME")?;
                let name = std::path::Path::new(&home).file_name()?.to_string_lossy().to_string();
                (!name.is_empty()).then_some(name)
            })
            .unwrap_or_else(|| "unknown".to_string())
    }

    /// The default settings as a TOML document (no comments), a starting
    /// point for a user's `config.toml`.
    pub fn default_toml() -> String {
        toml::to_string_pretty(&Config::default()).unwrap_or_default()
    }
}

impl fmt::Display for Lang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// 1-based line number of a byte offset.
pub(crate) fn line_of(src: &str, offset: usize) -> usize {
    let end = offset.min(src.len());
    src.as_bytes()[..end].iter().filter(|b| **b == b'\n').count() + 1
}

/// A TOML error message followed by the text of the line it points at, so
/// the offending key or value is named even when the message does not.
pub(crate) fn with_source_line(src: &str, message: &str, span: Option<std::ops::Range<usize>>) -> String {
    let message = message.trim();
    let Some(span) = span else {
        return message.to_string();
    };
    let line_no = line_of(src, span.start);
    let text = src.lines().nth(line_no - 1).unwrap_or("").trim();
    if text.is_empty() {
        return message.to_string();
    }
    let mut shown: String = text.chars().take(60).collect();
    if shown.len() < text.len() {
        shown.push('…');
    }
    format!("{message} (in `{shown}`)")
}

/// The line where a dotted field path (`pipeline.stages[2].name`) is
/// written, or `None` when the file leaves it at its default.
fn line_of_field(src: &str, field: &str) -> Option<usize> {
    let doc = DeTable::parse(src).ok()?;
    let mut table: &DeTable<'_> = doc.get_ref();
    let mut value: Option<&toml::Spanned<DeValue<'_>>> = None;
    for part in field.split('.') {
        let (name, index) = match part.split_once('[') {
            Some((name, rest)) => (name, rest.trim_end_matches(']').parse::<usize>().ok()),
            None => (part, None),
        };
        if let Some(v) = value {
            match v.get_ref() {
                DeValue::Table(t) => table = t,
                _ => return None,
            }
        }
        let mut found = table.get(name)?;
        if let Some(i) = index {
            match found.get_ref() {
                DeValue::Array(items) => found = items.get(i)?,
                _ => return None,
            }
        }
        value = Some(found);
    }
    value.map(|v| line_of(src, v.span().start))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_round_trip() {
        let config = Config::default();
        assert!(config.validate().is_ok());
        let text = Config::default_toml();
        assert_eq!(Config::from_toml(&text, "x").unwrap(), config);
        assert_eq!(Config::from_toml("", "x").unwrap(), config);
    }

    #[test]
    fn locale_decides_the_language() {
        assert_eq!(Lang::from_locale(None, None, Some("zh_CN.UTF-8")), Lang::Zh);
        assert_eq!(Lang::from_locale(Some("en_US.UTF-8"), None, Some("zh_CN.UTF-8")), Lang::En);
        assert_eq!(Lang::from_locale(Some(""), Some("zh_TW"), Some("C")), Lang::Zh);
        assert_eq!(Lang::from_locale(None, None, None), Lang::En);
        assert_eq!(Lang::from_locale(None, None, Some("C.UTF-8")), Lang::En);
    }

    #[test]
    fn configured_language_beats_the_locale() {
        let mut config = Config::default();
        config.ui.language = Some("zh".into());
        assert_eq!(config.language(), Lang::Zh);
        config.ui.language = Some("en".into());
        assert_eq!(config.language(), Lang::En);
    }

    #[test]
    fn field_lines_are_found() {
        let src = "[pyramid]\nwindow_days = 30\n\n[[pipeline.stages]]\nname = \"A\"\nprobability_pct = 10\n\n[[pipeline.stages]]\nname = \"B\"\nprobability_pct = 5\n";
        assert_eq!(line_of_field(src, "pyramid.window_days"), Some(2));
        assert_eq!(line_of_field(src, "pipeline.stages[1].probability_pct"), Some(10));
        assert_eq!(line_of_field(src, "pyramid.top_share_pct"), None);
        let err = Config::from_toml(src, "c.toml").unwrap_err();
        assert_eq!(err.line(), Some(10));
        assert!(err.to_string().starts_with("c.toml line 10: pipeline.stages[1].probability_pct"), "{err}");
    }

    #[test]
    fn stage_rules() {
        let bad = |stages: Vec<StageConfig>| {
            let mut c = Config::default();
            c.pipeline.stages = stages;
            c.validate().unwrap_err().field
        };
        assert_eq!(bad(vec![]), "pipeline.stages");
        assert_eq!(bad(vec![StageConfig::new(" ", 10)]), "pipeline.stages[0].name");
        assert_eq!(bad(vec![StageConfig::new("A", 10), StageConfig::new("a", 20)]), "pipeline.stages[1].name");
        assert_eq!(bad(vec![StageConfig::new("A", 101)]), "pipeline.stages[0].probability_pct");
        assert_eq!(
            bad(vec![StageConfig::new("A", 10), StageConfig::new("B", 10)]),
            "pipeline.stages[1].probability_pct"
        );
    }
}
