//! The pipeline board: one column per open stage with its count, total and
//! weighted total; cards with customer, amount, expected close and days in
//! stage; stalled and late deals marked in words, not colour alone. Narrow
//! terminals show fewer columns and scroll to the selected one.
//!
//! Columns may hold tens of thousands of deals: each keeps only a window of
//! cards around those in view, re-read from the base when the selection
//! leaves it; the headers' counts and totals come from one grouped query.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::widgets::{block, fit};
use super::{Effect, Env, Ui};
use crate::app::Action;
use crate::domain::forecast::{Period, PeriodChoice};
use crate::domain::model::{Deal, DealStatus};
use crate::domain::money::Money;
use crate::domain::pipeline::{Stage, StageTotals, stage_totals};
use crate::i18n::Txt;
use crate::keymap::Context;
use crate::repo::deals::{BoardFilter, CardSort, StageMove};

/// The narrowest a column may be drawn.
const MIN_COL: u16 = 26;
/// Lines per card.
const CARD_LINES: usize = 4;
/// Cards that fit in a column until a frame says otherwise.
const DEFAULT_ROOM: usize = 12;

/// The cards of one column that are loaded: the `offset`-th card of the
/// column (in its order) and those after it.
#[derive(Default)]
struct Window {
    offset: usize,
    cards: Vec<Deal>,
}

impl Window {
    fn get(&self, k: usize) -> Option<&Deal> {
        self.cards.get(k.checked_sub(self.offset)?)
    }

    fn holds(&self, range: std::ops::Range<usize>) -> bool {
        range.start >= self.offset && range.end <= self.offset + self.cards.len()
    }
}

/// Cards that fit in a column drawn `height` rows high (borders and the two
/// header lines take 4).
fn room_for(height: u16) -> usize {
    (height as usize).saturating_sub(4) / CARD_LINES
}

/// The first card drawn when card `sel` is selected and `room` fit.
fn first_shown(sel: usize, room: usize) -> usize {
    sel.saturating_sub(room.saturating_sub(1))
}

#[derive(Default)]
pub struct PipelinePane {
    stages: Vec<Stage>,
    totals: Vec<StageTotals>,
    /// Per column, the cards loaded.
    cards: Vec<Window>,
    col: usize,
    /// Per column, the selected card's place in the column.
    card: Vec<usize>,
    /// Cards that fit in a column, as the last frame drew them (0: none yet).
    room: usize,
    first_col: usize,
    won_lost: (i64, i64, Money),
    stall_days: i64,
    filter: BoardFilter,
    /// The analysis view, when open (computed when opened).
    analysis: Option<crate::domain::forecast::Analysis>,
    /// The period the analysis covers (kept while the view is closed).
    period: PeriodChoice,
    error: Option<String>,
}

impl PipelinePane {
    pub fn context(&self) -> Context {
        Context::Pipeline
    }

    pub fn reload(&mut self, env: &mut Env) {
        self.stages = env
            .config
            .pipeline
            .stages
            .iter()
            .map(|s| Stage { name: s.name.clone(), probability_pct: s.probability_pct })
            .collect();
        self.stall_days = env.config.pipeline.stall_days as i64;
        let r = &*env.repo;
        let loaded = (|| -> crate::repo::Result<()> {
            self.totals = stage_totals(&self.stages, &r.open_deal_groups_where(&self.filter)?);
            self.won_lost = r.closed_deal_counts()?;
            Ok(())
        })();
        self.error = loaded.err().map(|e| e.to_string());
        let n = self.stages.len();
        self.card.resize(n, 0);
        self.cards.clear();
        self.cards.resize_with(n, Window::default);
        for i in 0..n {
            self.card[i] = self.card[i].min(self.count(i).saturating_sub(1));
            self.load_window(i, env);
        }
        self.col = self.col.min(n.saturating_sub(1));
    }

    /// Deals in column `i` (as its header counts them).
    fn count(&self, i: usize) -> usize {
        self.totals.get(i).map_or(0, |t| t.count as usize)
    }

    fn room(&self) -> usize {
        if self.room == 0 { DEFAULT_ROOM } else { self.room }
    }

    /// Makes sure the cards column `i` shows are loaded: if not, reads the
    /// ones in view with a view's worth on either side.
    fn load_window(&mut self, i: usize, env: &Env) {
        let (count, room) = (self.count(i), self.room());
        let first = first_shown(self.card[i], room);
        let (start, end) = (first.min(count), (first + room).min(count));
        if self.cards[i].holds(start..end) {
            return;
        }
        let offset = start.saturating_sub(room);
        let end = (offset + 3 * room).min(count);
        let stage = &self.stages[i].name;
        // Past the middle of a long column, read from its end: fewer rows
        // to skip.
        let read = if offset > count / 2 {
            env.repo.board_column_from_end(stage, &self.filter, count - end, end - offset)
        } else {
            env.repo.board_column(stage, &self.filter, offset, 3 * room)
        };
        match read {
            Ok(cards) => self.cards[i] = Window { offset, cards },
            Err(e) => self.error = Some(e.to_string()),
        }
    }

    fn selected_deal(&self) -> Option<&Deal> {
        self.cards.get(self.col)?.get(*self.card.get(self.col)?)
    }

    /// Shows only deals matching `text` (empty: all).
    pub fn set_text_filter(&mut self, text: String, env: &mut Env) {
        self.filter.text = text;
        self.reload(env);
    }

    /// Recomputes the analysis for the chosen period.
    fn load_analysis(&mut self, env: &Env) -> Effect {
        match super::pipeline_analysis::load(env, &self.stages, self.period) {
            Ok(a) => {
                self.analysis = Some(a);
                Effect::None
            }
            Err(e) => Effect::Error(e),
        }
    }

    /// A typed range for the analysis (`YYYY-MM-DD..YYYY-MM-DD`); an error
    /// message, and the period unchanged, when it is not one.
    pub fn set_analysis_range(&mut self, text: &str, env: &mut Env) -> Result<(), String> {
        self.period = PeriodChoice::Range(Period::parse_range(text)?);
        match self.load_analysis(env) {
            Effect::Error(e) => Err(e),
            _ => Ok(()),
        }
    }

    /// Moves the selected deal `step` stages and keeps it selected.
    fn move_selected(&mut self, step: isize, env: &mut Env) -> Effect {
        let lang = env.config.language();
        let Some(d) = self.selected_deal().cloned() else { return Effect::None };
        let to = self.col as isize + step;
        if to < 0 {
            return Effect::None;
        }
        let Some(stage) = self.stages.get(to as usize).map(|s| s.name.clone()) else {
            return Effect::Error(Txt::LastOpenStage.get(lang).to_string());
        };
        let m = StageMove { to_stage: &stage, status: DealStatus::Open, reason: None, at: env.now };
        if let Err(e) = env.repo.move_deal_as(d.id, d.version, &m) {
            self.reload(env);
            return Effect::Error(e.to_string());
        }
        // The selection follows the deal to its place in the next column.
        let rank = env.repo.deal(d.id).and_then(|moved| env.repo.board_rank(&moved, &self.filter));
        self.col = to as usize;
        if let Ok(k) = rank {
            self.card[self.col] = k;
        }
        self.reload(env);
        Effect::SavedHere(format!("{} {stage}", Txt::Moved.get(lang)))
    }

    pub fn handle(&mut self, action: Action, env: &mut Env) -> Effect {
        let n = self.stages.len();
        if n == 0 {
            return Effect::Ignored;
        }
        if action == Action::Analysis || (self.analysis.is_some() && action == Action::Back) {
            if self.analysis.take().is_some() {
                return Effect::None;
            }
            return self.load_analysis(env);
        }
        if self.analysis.is_some() {
            if action != Action::AnalysisPeriod {
                return Effect::Ignored;
            }
            let Some(next) = self.period.next() else { return Effect::AskAnalysisRange };
            self.period = next;
            return self.load_analysis(env);
        }
        match action {
            Action::StageNext => return self.move_selected(1, env),
            Action::StagePrev => return self.move_selected(-1, env),
            Action::Won | Action::Lost => {
                return self
                    .selected_deal()
                    .map_or(Effect::None, |d| Effect::CloseDeal(Box::new(d.clone()), action == Action::Won));
            }
            Action::NewDeal => return Effect::NewDeal(None, self.col),
            Action::EditDeal => {
                return self.selected_deal().map_or(Effect::None, |d| Effect::EditDeal(Box::new(d.clone())));
            }
            Action::FilterMine => {
                self.filter.owner = match self.filter.owner {
                    Some(_) => None,
                    None => Some(env.repo.agent().to_string()),
                };
                self.reload(env);
                return Effect::None;
            }
            Action::FilterText => return Effect::AskBoardFilter(self.filter.text.clone()),
            Action::SortCards => {
                self.filter.sort = match self.filter.sort {
                    CardSort::Amount => CardSort::CloseDate,
                    CardSort::CloseDate => CardSort::Age,
                    CardSort::Age => CardSort::Amount,
                };
                self.reload(env);
                return Effect::None;
            }
            _ => {}
        }
        let len = self.count(self.col);
        let c = &mut self.card[self.col];
        match action {
            Action::Left => self.col = self.col.saturating_sub(1),
            Action::Right => self.col = (self.col + 1).min(n - 1),
            Action::Up => *c = c.saturating_sub(1),
            Action::Down => *c = (*c + 1).min(len.saturating_sub(1)),
            Action::PageUp => *c = c.saturating_sub(5),
            Action::PageDown => *c = (*c + 5).min(len.saturating_sub(1)),
            Action::First => *c = 0,
            Action::Last => *c = len.saturating_sub(1),
            Action::Open => return self.selected_deal().map_or(Effect::None, |d| Effect::OpenCustomer(d.customer_id)),
            Action::LogInteraction => {
                return self.selected_deal().map_or(Effect::None, |d| Effect::LogInteraction(d.customer_id));
            }
            _ => return Effect::Ignored,
        }
        self.load_window(self.col, env);
        Effect::None
    }

    pub fn render(&mut self, f: &mut Frame, area: Rect, ui: &Ui) {
        let th = ui.theme;
        let (won, lost, won_value) = self.won_lost;
        let open: u64 = self.totals.iter().map(|t| t.count).sum();
        let weighted: Money = self.totals.iter().map(|t| t.weighted).sum();
        let mut title = format!(
            "{} · {open} {} · {} {} · {}: {won} / {lost} ({})",
            ui.t(Txt::PanePipeline),
            ui.t(Txt::Deals),
            ui.t(Txt::Weighted),
            weighted.short(),
            ui.t(Txt::WonLost),
            won_value.short()
        );
        if let Some(o) = &self.filter.owner {
            title += &format!(" · {}: {o}", ui.t(Txt::FilterMine));
        }
        if !self.filter.text.is_empty() {
            title += &format!(" · \"{}\"", self.filter.text);
        }
        let sort = match self.filter.sort {
            CardSort::Amount => None,
            CardSort::CloseDate => Some(Txt::SortClose),
            CardSort::Age => Some(Txt::SortAge),
        };
        if let Some(s) = sort {
            title += &format!(" · {} {}", ui.t(Txt::SortedBy), ui.t(s));
        }
        if let Some(a) = &self.analysis {
            super::pipeline_analysis::render(f, area, a, self.period, ui);
            return;
        }
        let outer = block(&title, th, true);
        let inner = outer.inner(area);
        f.render_widget(outer, area);
        if let Some(e) = &self.error {
            f.render_widget(Paragraph::new(Span::styled(fit(e, inner.width as usize, th), th.error())), inner);
            return;
        }
        let n = self.stages.len();
        if n == 0 {
            return;
        }
        let visible = ((inner.width / MIN_COL) as usize).clamp(1, n);
        if self.col < self.first_col {
            self.first_col = self.col;
        } else if self.col >= self.first_col + visible {
            self.first_col = self.col + 1 - visible;
        }
        self.first_col = self.first_col.min(n - visible);
        let cols = Layout::horizontal(vec![Constraint::Ratio(1, visible as u32); visible]).split(inner);
        // Remembered for the next window read (rendering never queries).
        self.room = room_for(inner.height).max(1);
        for (slot, i) in (self.first_col..self.first_col + visible).enumerate() {
            self.draw_column(f, cols[slot], i, ui);
        }
        // Say that more columns lie to either side.
        let (l, r) = th.ellipsis_scroll();
        if self.first_col > 0 {
            f.render_widget(Paragraph::new(l), Rect { x: area.x, y: area.y + area.height / 2, width: 1, height: 1 });
        }
        if self.first_col + visible < n {
            let x = area.x + area.width - 1;
            f.render_widget(Paragraph::new(r), Rect { x, y: area.y + area.height / 2, width: 1, height: 1 });
        }
    }

    fn draw_column(&self, f: &mut Frame, area: Rect, i: usize, ui: &Ui) {
        let th = ui.theme;
        let s = &self.stages[i];
        let t = self.totals.get(i).cloned().unwrap_or_default();
        let focused = i == self.col;
        let title = format!("{} {}% · {}", s.name, s.probability_pct, t.count);
        let bl = block(&title, th, focused);
        let inner = bl.inner(area);
        f.render_widget(bl, area);
        let w = inner.width as usize;
        let mut lines = vec![
            Line::from(Span::styled(fit(&format!("{} {}", ui.t(Txt::Total), t.total.short()), w, th), th.header())),
            Line::from(Span::styled(
                fit(&format!("{} {}", ui.t(Txt::Weighted), t.weighted.short()), w, th),
                th.header(),
            )),
        ];
        let window = self.cards.get(i);
        if self.count(i) == 0 || window.is_none_or(|w| w.cards.is_empty()) {
            lines.push(Line::from(Span::styled(ui.t(Txt::NoDealsInStage), th.dim())));
        }
        let room = room_for(area.height);
        let sel = self.card.get(i).copied().unwrap_or(0);
        let first = first_shown(sel, room);
        let today = ui.today();
        let now = ui.now;
        let shown = (first..first + room.max(1)).map_while(|k| Some((k, window?.get(k)?)));
        for (k, d) in shown {
            let selected = focused && k == sel;
            let style = if selected { th.selected() } else { Default::default() };
            let days = (now - d.stage_changed_at).num_days().max(0);
            let stalled = (now - d.last_activity_at).num_days() >= self.stall_days;
            let late = d.expected_close.is_some_and(|e| e < today);
            let mut flags = vec![Span::raw(format!("{days}{} ", ui.t(Txt::DaysShort)))];
            if stalled {
                flags.push(Span::styled(format!("{} ", ui.t(Txt::Stalled)), th.alert()));
            }
            if late {
                flags.push(Span::styled(format!("{} ", ui.t(Txt::Late)), th.alert()));
            }
            let cursor = if selected { th.cursor() } else { " " };
            lines.push(Line::from(vec![
                Span::raw(format!("{cursor} ")),
                Span::styled(fit(&d.customer_name, w.saturating_sub(2), th), style.patch(th.title())),
            ]));
            lines.push(Line::from(Span::styled(fit(&format!("  {}", d.title), w, th), style)));
            let close = d.expected_close.map(|e| e.format("%Y-%m-%d").to_string()).unwrap_or_else(|| "–".into());
            lines.push(Line::from(Span::raw(fit(&format!("  {} · {close}", d.amount.short()), w, th))));
            let mut flag_line = vec![Span::raw("  ")];
            flag_line.extend(flags);
            lines.push(Line::from(flag_line));
        }
        f.render_widget(Paragraph::new(lines), inner);
    }
}
