//! The team view: per agent (or team) for this month — interactions, care
//! items done on time, promises kept, median times to acknowledge and close
//! complaints, deals won and their value, service levels met — with the
//! best of each column marked as its benchmark; and the competitors named
//! on deals, won and lost against.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::period::Span4;
use super::widgets::{block, col, fit, scroll_top};
use super::{Effect, Env, Ui};
use crate::app::Action;
use crate::domain::model::Deal;
use crate::domain::money::Money;
use crate::domain::team::{Column, Competitor, Row, TeamView, competitors, leads, sort_rows, team_view};
use crate::i18n::Txt;
use crate::keymap::Context;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum Mode {
    #[default]
    Agents,
    Teams,
    /// The service-level items that missed their target.
    Misses,
    Competitors,
}

#[derive(Default)]
pub struct TeamPane {
    mode: Mode,
    span: Span4,
    /// The deals of the selected competitor, when listed (Enter).
    deals: Option<(String, Vec<Deal>, usize)>,
    view: Option<TeamView>,
    competitors: Vec<Competitor>,
    sort: usize,
    selected: usize,
    error: Option<String>,
}

/// The columns shown: all of them when wide, the core ones at 80.
fn columns(width: u16) -> Vec<Column> {
    if width >= 150 {
        Column::ALL.to_vec()
    } else {
        vec![Column::Interactions, Column::CareOnTime, Column::PromisesKept, Column::AckHours, Column::WonValue]
    }
}

fn header(c: Column) -> Txt {
    match c {
        Column::Interactions => Txt::ColInteractions,
        Column::CareOnTime => Txt::ColCareOnTime,
        Column::CareLate => Txt::ColCareLate,
        Column::PromisesKept => Txt::ColKept,
        Column::AckHours => Txt::ColAckH,
        Column::CloseDays => Txt::ColCloseD,
        Column::DealsWon => Txt::ColWon,
        Column::WonValue => Txt::ColWonValue,
        Column::AckLevel => Txt::ColAckMet,
        Column::CloseLevel => Txt::ColCloseMet,
        Column::PromiseLevel => Txt::ColPromiseMet,
    }
}

fn show(c: Column, v: Option<f64>) -> String {
    let Some(v) = v else { return "–".into() };
    match c {
        Column::PromisesKept | Column::AckLevel | Column::CloseLevel | Column::PromiseLevel => {
            format!("{:.0}%", v * 100.0)
        }
        Column::AckHours | Column::CloseDays => format!("{v:.1}"),
        Column::WonValue => Money(v as i64).short(),
        _ => format!("{v:.0}"),
    }
}

impl TeamPane {
    pub fn context(&self) -> Context {
        Context::Team
    }

    /// A typed range "YYYY-MM-DD YYYY-MM-DD" (or "FROM..TO"); an error
    /// message when it is not one.
    pub fn set_range(&mut self, text: &str, env: &mut Env) -> Result<(), String> {
        self.span = Span4::parse_range(text, env.config.language())?;
        self.reload(env);
        Ok(())
    }

    pub fn reload(&mut self, env: &mut Env) {
        let today = env.today();
        let period = self.span.period(today);
        let t = &env.config.team;
        let targets = t.targets();
        let r = &*env.repo;
        let loaded = (|| -> crate::repo::Result<()> {
            let inputs = r.team_inputs(&period, &targets)?;
            let mut view = team_view(period, env.now, &targets, &t.teams, &inputs);
            let column = Column::ALL[self.sort % Column::ALL.len()];
            sort_rows(&mut view.agents, column, false);
            sort_rows(&mut view.teams, column, false);
            self.view = Some(view);
            Ok(())
        })();
        self.error = loaded.err().map(|e| e.to_string());
        if self.mode == Mode::Competitors {
            self.load_competitors(env);
        }
    }

    /// The competitors named on the period's deals: read only while their
    /// view is shown (every deal that names one is read: 72,000 of the
    /// 200,000 deals of the 1M demo base, a tenth of a second and more).
    fn load_competitors(&mut self, env: &mut Env) {
        let period = self.span.period(env.today());
        match env.repo.competitor_deals(&period) {
            Ok(deals) => self.competitors = competitors(&period, &env.config.pipeline.lost_reasons, &deals),
            Err(e) => self.error = Some(e.to_string()),
        }
    }

    fn len(&self) -> usize {
        match (self.mode, &self.view) {
            (Mode::Agents, Some(v)) => v.agents.len(),
            (Mode::Teams, Some(v)) => v.teams.len(),
            (Mode::Misses, Some(v)) => v.misses.len(),
            (Mode::Competitors, _) => self.competitors.len(),
            _ => 0,
        }
    }

    pub fn handle(&mut self, action: Action, env: &mut Env) -> Effect {
        if let Some((_, deals, sel)) = &mut self.deals {
            match action {
                Action::Up => *sel = sel.saturating_sub(1),
                Action::Down => *sel = (*sel + 1).min(deals.len().saturating_sub(1)),
                Action::Back => self.deals = None,
                Action::Open => return deals.get(*sel).map_or(Effect::None, |d| Effect::OpenCustomer(d.customer_id)),
                _ => return Effect::Ignored,
            }
            return Effect::None;
        }
        let n = self.len();
        match action {
            Action::TeamPeriod => {
                let Some(next) = self.span.next() else { return Effect::AskTeamRange };
                self.span = next;
                self.reload(env);
            }
            Action::Open if self.mode == Mode::Competitors => {
                let Some(c) = self.competitors.get(self.selected) else { return Effect::None };
                let deals = c.deal_ids.iter().filter_map(|id| env.repo.deal(*id).ok()).collect();
                self.deals = Some((c.name.clone(), deals, 0));
            }
            Action::Open if self.mode == Mode::Misses => {
                return self
                    .view
                    .as_ref()
                    .and_then(|v| v.misses.get(self.selected))
                    .map_or(Effect::None, |m| Effect::OpenCustomer(m.customer_id));
            }
            Action::Up => self.selected = self.selected.saturating_sub(1),
            Action::Down => self.selected = (self.selected + 1).min(n.saturating_sub(1)),
            Action::First => self.selected = 0,
            Action::Last => self.selected = n.saturating_sub(1),
            Action::TeamMode => {
                self.mode = match self.mode {
                    Mode::Agents => Mode::Teams,
                    Mode::Teams => Mode::Misses,
                    Mode::Misses => Mode::Competitors,
                    Mode::Competitors => Mode::Agents,
                };
                self.selected = 0;
                if self.mode == Mode::Competitors {
                    self.load_competitors(env);
                } else {
                    self.competitors = Vec::new();
                }
            }
            Action::SortCards => {
                self.sort = (self.sort + 1) % Column::ALL.len();
                self.reload(env);
            }
            _ => return Effect::Ignored,
        }
        Effect::None
    }

    pub fn render(&mut self, f: &mut Frame, area: Rect, ui: &Ui) {
        let th = ui.theme;
        let mode = match self.mode {
            Mode::Agents => Txt::TeamAgents,
            Mode::Teams => Txt::TeamTeams,
            Mode::Misses => Txt::TeamMisses,
            Mode::Competitors => Txt::TeamCompetitors,
        };
        let sort = Column::ALL[self.sort % Column::ALL.len()];
        let span = self.span.label(ui);
        let mut title = format!("{} · {} · {span}", ui.t(Txt::PaneTeam), ui.t(mode));
        if matches!(self.mode, Mode::Agents | Mode::Teams) {
            title += &format!(" · {} {}", ui.t(Txt::SortedOn), ui.t(header(sort)));
        }
        let bl = block(&title, th, true);
        let inner = bl.inner(area);
        f.render_widget(bl, area);
        if let Some(e) = &self.error {
            f.render_widget(Paragraph::new(Span::styled(fit(e, inner.width as usize, th), th.error())), inner);
            return;
        }
        let lines = match (&self.deals, self.mode) {
            (Some(_), _) => self.deal_lines(inner, ui),
            (None, Mode::Competitors) => self.competitor_lines(inner, ui),
            (None, Mode::Misses) => self.miss_lines(inner, ui),
            (None, _) => self.row_lines(inner, ui),
        };
        f.render_widget(Paragraph::new(lines), inner);
    }

    fn row_lines(&self, area: Rect, ui: &Ui) -> Vec<Line<'static>> {
        let th = ui.theme;
        let Some(v) = &self.view else { return Vec::new() };
        let (rows, marks): (&[Row], _) = match self.mode {
            Mode::Teams => (&v.teams, &v.team_benchmarks),
            _ => (&v.agents, &v.agent_benchmarks),
        };
        let cols = columns(area.width);
        let name_w = 14usize;
        let cw = ((area.width as usize).saturating_sub(name_w + 2) / cols.len()).clamp(8, 13);
        let mut head = format!("  {}", col(ui.t(Txt::ColAgent), name_w, th));
        for c in &cols {
            head += &format!("{:>w$} ", ui.t(header(*c)), w = cw - 1);
        }
        let mut lines = vec![Line::from(Span::styled(fit(&head, area.width as usize, th), th.header()))];
        if rows.is_empty() {
            lines.push(Line::from(Span::styled(ui.t(Txt::NobodyYet), th.dim())));
        }
        let height = (area.height as usize).saturating_sub(5);
        let top = scroll_top(0, self.selected, height.max(1));
        for (i, r) in rows.iter().enumerate().skip(top).take(height) {
            let sel = i == self.selected;
            let base = if sel { th.selected() } else { Default::default() };
            let cursor = if sel { format!("{} ", th.cursor()) } else { "  ".into() };
            let mut spans = vec![Span::raw(cursor), Span::styled(col(&r.name, name_w, th), base)];
            for c in &cols {
                let lead = leads(marks, &r.name, *c);
                let text = format!("{}{}", show(*c, c.value(&r.figures)), if lead { "*" } else { " " });
                spans.push(Span::styled(format!("{text:>w$}", w = cw), if lead { th.ok().patch(base) } else { base }));
            }
            lines.push(Line::from(spans));
        }
        let o = &v.overall;
        let share = |l: &crate::domain::team::Level| {
            l.share().map(|s| format!("{:.0}%", s * 100.0)).unwrap_or_else(|| "–".into())
        };
        lines.push(Line::raw(""));
        lines.push(Line::from(Span::styled(
            fit(
                &format!(
                    "{}: ack ≤{}h {} · close ≤{}d {} · promises {} · {} {}",
                    ui.t(Txt::ServiceLevels),
                    v.targets.ack_hours,
                    share(&o.ack_level),
                    v.targets.close_days,
                    share(&o.close_level),
                    share(&o.promise_level),
                    v.misses.len(),
                    ui.t(Txt::Misses)
                ),
                area.width as usize,
                th,
            ),
            th.header(),
        )));
        lines.push(Line::from(Span::styled(fit(ui.t(Txt::Benchmark), area.width as usize, th), th.dim())));
        lines
    }

    fn miss_lines(&self, area: Rect, ui: &Ui) -> Vec<Line<'static>> {
        let th = ui.theme;
        let w = area.width as usize;
        let Some(v) = &self.view else { return Vec::new() };
        let mut lines = vec![Line::from(Span::styled(
            fit(
                &format!(
                    "  {}{}{}{}{}",
                    col(ui.t(Txt::ColTarget), 10, th),
                    col(ui.t(Txt::ColAgent), 12, th),
                    col(ui.t(Txt::ColCustomer), 24, th),
                    col(ui.t(Txt::ColDeadline), 18, th),
                    ui.t(Txt::ColLateBy)
                ),
                w,
                th,
            ),
            th.header(),
        ))];
        if v.misses.is_empty() {
            lines.push(Line::from(Span::styled(ui.t(Txt::NothingMissed), th.ok())));
        }
        let height = (area.height as usize).saturating_sub(1);
        let top = scroll_top(0, self.selected, height.max(1));
        for (i, m) in v.misses.iter().enumerate().skip(top).take(height) {
            let sel = i == self.selected;
            let base = if sel { th.selected() } else { Default::default() };
            let cursor = if sel { format!("{} ", th.cursor()) } else { "  ".into() };
            let deadline = m.deadline.with_timezone(&chrono::Local).format("%Y-%m-%d %H:%M").to_string();
            lines.push(Line::from(vec![
                Span::raw(cursor),
                Span::styled(
                    format!(
                        "{}{}{}{}",
                        col(m.target.code(), 10, th),
                        col(m.agent.as_deref().unwrap_or("–"), 12, th),
                        col(&m.customer, 24, th),
                        col(&deadline, 18, th)
                    ),
                    base,
                ),
                Span::styled(format!("{:.1} h ({})", m.by_hours(), m.state.code()), th.alert().patch(base)),
            ]));
        }
        lines
    }

    fn deal_lines(&self, area: Rect, ui: &Ui) -> Vec<Line<'static>> {
        let th = ui.theme;
        let w = area.width as usize;
        let Some((name, deals, sel)) = &self.deals else { return Vec::new() };
        let mut lines =
            vec![Line::from(Span::styled(fit(&format!("{} · {name}", ui.t(Txt::DealsAgainst)), w, th), th.header()))];
        for (i, d) in deals.iter().enumerate() {
            let s = i == *sel;
            let base = if s { th.selected() } else { Default::default() };
            let cursor = if s { format!("{} ", th.cursor()) } else { "  ".into() };
            let reason = d.close_reason.clone().unwrap_or_default();
            lines.push(Line::from(vec![
                Span::raw(cursor),
                Span::styled(
                    fit(
                        &format!(
                            "{}{}{}{:>10}  {reason}",
                            col(&d.customer_name, 22, th),
                            col(&d.title, 26, th),
                            col(d.status.code(), 6, th),
                            d.amount.short()
                        ),
                        w.saturating_sub(2),
                        th,
                    ),
                    base,
                ),
            ]));
        }
        lines
    }

    fn competitor_lines(&self, area: Rect, ui: &Ui) -> Vec<Line<'static>> {
        let th = ui.theme;
        let w = area.width as usize;
        let name_w = 18;
        let reason_w = w.saturating_sub(2 + name_w + 7 * 3 + 10 + 12);
        let mut lines = vec![Line::from(Span::styled(
            fit(
                &format!(
                    "  {}{:>6} {:>6} {:>6} {:>9} {:>11} {}",
                    col(ui.t(Txt::ColCompetitor), name_w, th),
                    ui.t(Txt::ColDeals),
                    ui.t(Txt::ColWon),
                    ui.t(Txt::ColLost),
                    ui.t(Txt::ColWinRate),
                    ui.t(Txt::ColAtStake),
                    ui.t(Txt::ColTopLost)
                ),
                w,
                th,
            ),
            th.header(),
        ))];
        if self.competitors.is_empty() {
            lines.push(Line::from(Span::styled(ui.t(Txt::NobodyYet), th.dim())));
        }
        let height = (area.height as usize).saturating_sub(1);
        let top = scroll_top(0, self.selected, height.max(1));
        for (i, c) in self.competitors.iter().enumerate().skip(top).take(height) {
            let sel = i == self.selected;
            let base = if sel { th.selected() } else { Default::default() };
            let cursor = if sel { format!("{} ", th.cursor()) } else { "  ".into() };
            let rate = c.win_rate().map(|r| format!("{:.0}%", r * 100.0)).unwrap_or_else(|| "–".into());
            let reason = c.lost_reasons.first().and_then(|r| r.reason.clone()).unwrap_or_else(|| "–".into());
            lines.push(Line::from(vec![
                Span::raw(cursor),
                Span::styled(col(&c.name, name_w, th), base),
                Span::styled(
                    format!("{:>6} {:>6} {:>6} {:>9} {:>11} ", c.deals, c.won, c.lost, rate, c.value.short()),
                    base,
                ),
                Span::styled(fit(&reason, reason_w, th), base.patch(th.dim())),
            ]));
        }
        lines
    }
}
