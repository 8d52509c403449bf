//! Each customer's lifecycle stage (PRODUCT.md section 1, "Lifecycle"),
//! derived from their purchases, their P(alive) under the churn model
//! ([`super::bgnbd`]) and their contribution in two consecutive periods.
//!
//! The first rule that matches decides (precedence, top to bottom):
//!
//! | stage     | when                                                                              |
//! |-----------|-----------------------------------------------------------------------------------|
//! | prospect  | no purchase yet                                                                   |
//! | lost      | P(alive) < `lost_p_alive`, or no purchase for `lost_days` days or more           |
//! | new       | first purchase at most `new_days` days ago                                       |
//! | declining | P(alive) < `declining_p_alive`, or contribution shrinking (recent < previous, previous > 0) |
//! | growing   | contribution rising (recent > previous and recent > 0)                            |
//! | mature    | otherwise: buying, steady                                                         |
//!
//! So a customer who bought for the first time 40 days ago but whose P(alive)
//! is already below the lost threshold is lost, not new; a new customer is
//! never declining or growing (their previous period is empty by nature); and
//! a P(alive) below the declining threshold outweighs a rising contribution.
//! Without a P(alive) (the model could not be fitted, or is not finite) only
//! the day and contribution rules apply.

use serde::{Deserialize, Serialize};

/// A customer's lifecycle stage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// No purchase yet.
    Prospect,
    /// First purchase recent.
    New,
    /// Contribution rising.
    Growing,
    /// Buying, steady.
    Mature,
    /// P(alive) falling or contribution shrinking.
    Declining,
    /// P(alive) very low or no purchase for a long time.
    Lost,
}

impl Stage {
    pub const ALL: &'static [Stage] =
        &[Stage::Prospect, Stage::New, Stage::Growing, Stage::Mature, Stage::Declining, Stage::Lost];

    /// The code used in storage, reports and on the command line.
    pub fn code(self) -> &'static str {
        match self {
            Stage::Prospect => "prospect",
            Stage::New => "new",
            Stage::Growing => "growing",
            Stage::Mature => "mature",
            Stage::Declining => "declining",
            Stage::Lost => "lost",
        }
    }

    /// Parses a code; unknown codes are an error naming them and the choices.
    pub fn parse(s: &str) -> Result<Stage, String> {
        Stage::ALL.iter().copied().find(|st| st.code() == s).ok_or_else(|| {
            format!(
                "unknown lifecycle stage \"{s}\" (expected one of: {})",
                Stage::ALL.iter().map(|st| st.code()).collect::<Vec<_>>().join(", ")
            )
        })
    }
}

impl std::fmt::Display for Stage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code())
    }
}

impl std::str::FromStr for Stage {
    type Err = String;

    fn from_str(s: &str) -> Result<Stage, String> {
        Stage::parse(s)
    }
}

/// Where the stages begin; read from the config.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct LifecycleThresholds {
    /// A first purchase at most this many days ago makes a customer new.
    pub new_days: u32,
    /// This many days or more without a purchase make a customer lost.
    pub lost_days: u32,
    /// P(alive) below this makes a customer lost.
    pub lost_p_alive: f64,
    /// P(alive) below this makes a customer declining.
    pub declining_p_alive: f64,
}

impl Default for LifecycleThresholds {
    fn default() -> Self {
        LifecycleThresholds { new_days: 90, lost_days: 365, lost_p_alive: 0.10, declining_p_alive: 0.50 }
    }
}

/// What the stage of one customer depends on, as of one day.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct StageInput {
    /// Purchases (or purchase days) so far.
    pub purchases: usize,
    /// Days from the first purchase to the as-of day; `None` without one.
    pub days_since_first: Option<i64>,
    /// Days from the last purchase to the as-of day; `None` without one.
    pub days_since_last: Option<i64>,
    /// P(alive) under the fitted churn model; `None` when there is no fit.
    pub p_alive: Option<f64>,
    /// Contribution in the recent period, minor units.
    pub contribution_recent: i64,
    /// Contribution in the period before it, minor units.
    pub contribution_previous: i64,
}

/// The stage of one customer; see the module's table for the rules and
/// their precedence. A non-finite P(alive) counts as none.
pub fn stage(input: &StageInput, t: &LifecycleThresholds) -> Stage {
    if input.purchases == 0 {
        return Stage::Prospect;
    }
    let p_alive = input.p_alive.filter(|p| p.is_finite());
    let below = |threshold: f64| p_alive.is_some_and(|p| p < threshold);
    if below(t.lost_p_alive) || input.days_since_last.is_some_and(|d| d >= i64::from(t.lost_days)) {
        return Stage::Lost;
    }
    if input.days_since_first.is_some_and(|d| d <= i64::from(t.new_days)) {
        return Stage::New;
    }
    let (recent, previous) = (input.contribution_recent, input.contribution_previous);
    if below(t.declining_p_alive) || (previous > 0 && recent < previous) {
        return Stage::Declining;
    }
    if recent > previous && recent > 0 {
        return Stage::Growing;
    }
    Stage::Mature
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: LifecycleThresholds =
        LifecycleThresholds { new_days: 90, lost_days: 365, lost_p_alive: 0.10, declining_p_alive: 0.50 };

    /// A steady customer: first bought 400 days ago, last 20 days ago,
    /// likely alive, same contribution in both periods.
    fn steady() -> StageInput {
        StageInput {
            purchases: 6,
            days_since_first: Some(400),
            days_since_last: Some(20),
            p_alive: Some(0.9),
            contribution_recent: 10_000,
            contribution_previous: 10_000,
        }
    }

    #[test]
    fn defaults_are_the_products() {
        assert_eq!(LifecycleThresholds::default(), T);
    }

    #[test]
    fn prospect_without_purchases() {
        assert_eq!(stage(&StageInput::default(), &T), Stage::Prospect);
        // Even with a (meaningless) low P(alive) or contributions.
        let i = StageInput { p_alive: Some(0.0), contribution_recent: 500, ..StageInput::default() };
        assert_eq!(stage(&i, &T), Stage::Prospect);
    }

    #[test]
    fn mature_when_steady() {
        assert_eq!(stage(&steady(), &T), Stage::Mature);
        // Both periods empty is steady too.
        let i = StageInput { contribution_recent: 0, contribution_previous: 0, ..steady() };
        assert_eq!(stage(&i, &T), Stage::Mature);
        // No fit: the other rules still apply.
        assert_eq!(stage(&StageInput { p_alive: None, ..steady() }, &T), Stage::Mature);
    }

    #[test]
    fn lost_by_p_alive_or_silence() {
        assert_eq!(stage(&StageInput { p_alive: Some(0.09), ..steady() }, &T), Stage::Lost);
        assert_eq!(stage(&StageInput { p_alive: Some(0.10), ..steady() }, &T), Stage::Declining);
        assert_eq!(stage(&StageInput { days_since_last: Some(365), ..steady() }, &T), Stage::Lost);
        assert_eq!(stage(&StageInput { days_since_last: Some(364), ..steady() }, &T), Stage::Mature);
        // Lost outranks new and growing.
        let i = StageInput { days_since_first: Some(30), p_alive: Some(0.05), ..steady() };
        assert_eq!(stage(&i, &T), Stage::Lost);
        let i = StageInput { p_alive: Some(0.01), contribution_recent: 50_000, ..steady() };
        assert_eq!(stage(&i, &T), Stage::Lost);
    }

    #[test]
    fn new_within_new_days() {
        let i = StageInput { purchases: 1, days_since_first: Some(90), days_since_last: Some(90), ..steady() };
        assert_eq!(stage(&i, &T), Stage::New);
        let i = StageInput { days_since_first: Some(91), ..i };
        assert_eq!(stage(&i, &T), Stage::Mature);
        // New outranks declining and growing.
        let i = StageInput { days_since_first: Some(10), p_alive: Some(0.3), ..steady() };
        assert_eq!(stage(&i, &T), Stage::New);
        let i = StageInput { days_since_first: Some(10), contribution_recent: 1, contribution_previous: 0, ..steady() };
        assert_eq!(stage(&i, &T), Stage::New);
        // Bought today.
        let i = StageInput { purchases: 1, days_since_first: Some(0), days_since_last: Some(0), ..steady() };
        assert_eq!(stage(&i, &T), Stage::New);
    }

    #[test]
    fn declining_by_p_alive_or_shrinking_contribution() {
        assert_eq!(stage(&StageInput { p_alive: Some(0.49), ..steady() }, &T), Stage::Declining);
        assert_eq!(stage(&StageInput { p_alive: Some(0.50), ..steady() }, &T), Stage::Mature);
        assert_eq!(stage(&StageInput { contribution_recent: 9_999, ..steady() }, &T), Stage::Declining);
        // From something to nothing.
        assert_eq!(stage(&StageInput { contribution_recent: 0, ..steady() }, &T), Stage::Declining);
        // A less negative contribution is not "previous > 0": not declining.
        let i = StageInput { contribution_recent: -200, contribution_previous: -100, ..steady() };
        assert_eq!(stage(&i, &T), Stage::Mature);
        // Low P(alive) outweighs a rising contribution.
        let i = StageInput { p_alive: Some(0.3), contribution_recent: 20_000, ..steady() };
        assert_eq!(stage(&i, &T), Stage::Declining);
    }

    #[test]
    fn growing_when_contribution_rises() {
        assert_eq!(stage(&StageInput { contribution_recent: 10_001, ..steady() }, &T), Stage::Growing);
        let i = StageInput { contribution_recent: 1, contribution_previous: 0, ..steady() };
        assert_eq!(stage(&i, &T), Stage::Growing);
        // Rising from a loss to a smaller loss or to zero is not growth.
        let i = StageInput { contribution_recent: 0, contribution_previous: -500, ..steady() };
        assert_eq!(stage(&i, &T), Stage::Mature);
        let i = StageInput { contribution_recent: 300, contribution_previous: -500, ..steady() };
        assert_eq!(stage(&i, &T), Stage::Growing);
    }

    #[test]
    fn non_finite_p_alive_is_ignored() {
        assert_eq!(stage(&StageInput { p_alive: Some(f64::NAN), ..steady() }, &T), Stage::Mature);
        assert_eq!(stage(&StageInput { p_alive: Some(f64::NEG_INFINITY), ..steady() }, &T), Stage::Mature);
    }

    #[test]
    fn custom_thresholds() {
        let t = LifecycleThresholds { new_days: 30, lost_days: 60, lost_p_alive: 0.2, declining_p_alive: 0.7 };
        assert_eq!(stage(&StageInput { days_since_last: Some(60), ..steady() }, &t), Stage::Lost);
        assert_eq!(stage(&StageInput { p_alive: Some(0.15), ..steady() }, &t), Stage::Lost);
        assert_eq!(stage(&StageInput { p_alive: Some(0.6), ..steady() }, &t), Stage::Declining);
        let i = StageInput { days_since_first: Some(31), days_since_last: Some(5), ..steady() };
        assert_eq!(stage(&i, &t), Stage::Mature);
        let t: LifecycleThresholds = toml::from_str("lost_days = 200").unwrap();
        assert_eq!(t, LifecycleThresholds { lost_days: 200, ..LifecycleThresholds::default() });
    }

    #[test]
    fn codes_round_trip() {
        for s in Stage::ALL {
            assert_eq!(Stage::parse(s.code()), Ok(*s));
            assert_eq!(s.code().parse::<Stage>(), Ok(*s));
            assert_eq!(s.to_string(), s.code());
        }
        let e = Stage::parse("dead").unwrap_err();
        assert!(e.contains("\"dead\"") && e.contains("prospect, new, growing, mature, declining, lost"), "{e}");
    }
}
