//! The customer pyramid: four bands, Top to Negative, each with its count,
//! share of value, total and strategy. Enter lists a band's customers with
//! their RFM scores and segment; `m` shows who moved between tiers since the
//! previous snapshot.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::widgets::{block, centered, col, fit, scroll_top};
use super::{Effect, Env, Ui};
use crate::app::Action;
use crate::domain::model::Tier;
use crate::domain::money::Money;
use crate::domain::pyramid::{Band, share_permille};
use crate::i18n::Txt;
use crate::keymap::Context;
use crate::repo::churn::WinBack;
use crate::repo::pyramid::{BandMember, TierMove};

const WINDOW: usize = 200;

/// Moves named on each side of the migration list's selection: more than
/// any screen shows between the selection and the list's top or bottom.
const NAMED_AROUND: usize = 250;

#[derive(Default)]
pub struct PyramidPane {
    bands: [Band; 4],
    selected: usize,
    mode: Mode,
    /// The two latest snapshot days (newest first).
    snapshots: Vec<chrono::NaiveDate>,
    moves: Vec<TierMove>,
    window_days: u32,
    error: Option<String>,
}

#[derive(Default)]
enum Mode {
    #[default]
    Bands,
    /// The open band's customers (a window of them).
    Members(BandList),
    /// Who moved since the previous snapshot.
    Migration(Scroll),
    /// Lost customers who were once Top or Growth.
    WinBack(Vec<WinBack>, Scroll),
}

#[derive(Default)]
struct Scroll {
    selected: usize,
    top: usize,
    height: usize,
}

struct BandList {
    tier: Tier,
    rows: Vec<BandMember>,
    window_start: usize,
    at: Scroll,
}

/// A band's arrivals from below (moved up) and from above (moved down).
pub fn band_moves(moves: &[TierMove], tier: Tier) -> (usize, usize) {
    let up = moves.iter().filter(|m| m.to == tier && m.from.rank() > tier.rank()).count();
    let down = moves.iter().filter(|m| m.to == tier && m.from.rank() < tier.rank()).count();
    (up, down)
}

impl PyramidPane {
    pub fn context(&self) -> Context {
        Context::Pyramid
    }

    pub fn reload(&mut self, env: &mut Env) {
        self.window_days = env.config.pyramid.window_days;
        let r = &*env.repo;
        let loaded = (|| -> crate::repo::Result<()> {
            self.bands = r.tier_bands()?;
            self.snapshots = r.snapshot_days(2)?;
            self.moves = match self.snapshots.as_slice() {
                [after, before] => r.tier_moves_unnamed(*before, *after)?,
                _ => Vec::new(),
            };
            Ok(())
        })();
        self.error = loaded.err().map(|e| e.to_string());
        self.name_moves(env);
        if let Mode::Members(l) = &mut self.mode {
            l.rows.clear();
            let count = self.bands[l.tier.rank()].count as usize;
            Self::fill(l, count, env, &mut self.error);
        }
    }

    /// Reads the names of the moves around the selection of the migration
    /// list (the bands need only the moves' counts, so the pane reads the
    /// moves without names).
    fn name_moves(&mut self, env: &mut Env) {
        let Mode::Migration(s) = &self.mode else { return };
        let (from, to) = (s.selected.saturating_sub(NAMED_AROUND), (s.selected + NAMED_AROUND).min(self.moves.len()));
        let Some(window) = self.moves.get_mut(from..to) else { return };
        let ids: Vec<i64> = window.iter().filter(|m| m.name.is_empty()).map(|m| m.customer_id).collect();
        if ids.is_empty() {
            return;
        }
        match env.repo.names_of(&ids) {
            Ok(names) => {
                let mut names = names.into_iter();
                for m in window.iter_mut().filter(|m| m.name.is_empty()) {
                    m.name = names.next().unwrap_or_default();
                }
            }
            Err(e) => self.error = Some(e.to_string()),
        }
    }

    fn fill(l: &mut BandList, count: usize, env: &mut Env, error: &mut Option<String>) {
        let s = &mut l.at;
        s.selected = s.selected.min(count.saturating_sub(1));
        s.top = scroll_top(s.top, s.selected, s.height.max(1));
        let need_end = (s.top + s.height.max(1)).min(count);
        if count > 0 && (l.rows.is_empty() || s.top < l.window_start || need_end > l.window_start + l.rows.len()) {
            let start = s.top.saturating_sub(WINDOW / 2);
            match env.repo.band_members(l.tier, start, WINDOW) {
                Ok(rows) => {
                    l.rows = rows;
                    l.window_start = start;
                }
                Err(e) => *error = Some(e.to_string()),
            }
        }
    }

    fn step(s: &mut Scroll, action: Action, count: usize) -> bool {
        let page = s.height.max(1);
        match action {
            Action::Up => s.selected = s.selected.saturating_sub(1),
            Action::Down => s.selected = (s.selected + 1).min(count.saturating_sub(1)),
            Action::PageUp => s.selected = s.selected.saturating_sub(page),
            Action::PageDown => s.selected = (s.selected + page).min(count.saturating_sub(1)),
            Action::First => s.selected = 0,
            Action::Last => s.selected = count.saturating_sub(1),
            _ => return false,
        }
        true
    }

    pub fn handle(&mut self, action: Action, env: &mut Env) -> Effect {
        match action {
            Action::Migration => {
                self.mode = match self.mode {
                    Mode::Migration(_) => Mode::Bands,
                    _ => Mode::Migration(Scroll { height: 10, ..Scroll::default() }),
                };
                self.name_moves(env);
                return Effect::None;
            }
            Action::Snapshot => return Effect::Recompute,
            Action::WinBack => {
                self.mode = match self.mode {
                    Mode::WinBack(..) => Mode::Bands,
                    _ => match env.repo.win_back(500) {
                        Ok(rows) => Mode::WinBack(rows, Scroll { height: 10, ..Scroll::default() }),
                        Err(e) => return Effect::Error(e.to_string()),
                    },
                };
                return Effect::None;
            }
            _ => {}
        }
        match &mut self.mode {
            Mode::Members(l) => {
                let count = self.bands[l.tier.rank()].count as usize;
                if Self::step(&mut l.at, action, count) {
                    Self::fill(l, count, env, &mut self.error);
                    return Effect::None;
                }
                match action {
                    Action::Back => self.mode = Mode::Bands,
                    Action::Open | Action::LogInteraction => {
                        let row = l.at.selected.checked_sub(l.window_start).and_then(|i| l.rows.get(i));
                        return match (row, action) {
                            (Some(r), Action::Open) => Effect::OpenCustomer(r.id),
                            (Some(r), _) => Effect::LogInteraction(r.id),
                            _ => Effect::None,
                        };
                    }
                    _ => return Effect::Ignored,
                }
            }
            Mode::Migration(s) => {
                if Self::step(s, action, self.moves.len()) {
                    self.name_moves(env);
                    return Effect::None;
                }
                match action {
                    Action::Back => self.mode = Mode::Bands,
                    Action::Open => {
                        return self
                            .moves
                            .get(s.selected)
                            .map_or(Effect::None, |m| Effect::OpenCustomer(m.customer_id));
                    }
                    _ => return Effect::Ignored,
                }
            }
            Mode::WinBack(rows, s) => {
                if Self::step(s, action, rows.len()) {
                    return Effect::None;
                }
                match action {
                    Action::Back => self.mode = Mode::Bands,
                    Action::Open => {
                        return rows.get(s.selected).map_or(Effect::None, |r| Effect::OpenCustomer(r.customer_id));
                    }
                    Action::LogInteraction => {
                        return rows.get(s.selected).map_or(Effect::None, |r| Effect::LogInteraction(r.customer_id));
                    }
                    _ => return Effect::Ignored,
                }
            }
            Mode::Bands => match action {
                Action::Up => self.selected = self.selected.saturating_sub(1),
                Action::Down => self.selected = (self.selected + 1).min(3),
                Action::First => self.selected = 0,
                Action::Last => self.selected = 3,
                Action::Open => {
                    let mut l = BandList {
                        tier: Tier::ALL[self.selected],
                        rows: Vec::new(),
                        window_start: 0,
                        at: Scroll { height: 20, ..Scroll::default() },
                    };
                    Self::fill(&mut l, self.bands[self.selected].count as usize, env, &mut self.error);
                    self.mode = Mode::Members(l);
                }
                _ => return Effect::Ignored,
            },
        }
        Effect::None
    }

    pub fn render(&mut self, f: &mut Frame, area: Rect, ui: &Ui) {
        let th = ui.theme;
        let positive: Money = self.bands.iter().take(3).map(|b| Money(b.total.0.max(0))).sum();
        let customers: u64 = self.bands.iter().map(|b| b.count).sum();
        let title = format!(
            "{} · {customers} {} · {} {} · {} {}{}",
            ui.t(Txt::PanePyramid),
            ui.t(Txt::Customers),
            ui.t(Txt::Total),
            positive.short(),
            ui.t(Txt::Window),
            self.window_days,
            ui.t(Txt::DaysShort)
        );
        let outer = block(&title, th, matches!(self.mode, Mode::Bands));
        let inner = outer.inner(area);
        f.render_widget(outer, area);
        if let Some(e) = &self.error {
            f.render_widget(Paragraph::new(Span::styled(fit(e, inner.width as usize, th), th.error())), inner);
            return;
        }
        let side = !matches!(self.mode, Mode::Bands);
        let (pyr_area, side_area) = if side {
            if inner.width >= 110 {
                let [a, b] = Layout::horizontal([Constraint::Percentage(45), Constraint::Percentage(55)]).areas(inner);
                (Some(a), Some(b))
            } else {
                (None, Some(inner))
            }
        } else {
            (Some(inner), None)
        };
        if let Some(a) = pyr_area {
            self.draw_pyramid(f, a, positive, ui);
        }
        if let Some(a) = side_area {
            match &self.mode {
                Mode::Members(_) => self.draw_members(f, a, ui),
                Mode::Migration(_) => self.draw_migration(f, a, ui),
                Mode::WinBack(..) => self.draw_win_back(f, a, ui),
                Mode::Bands => {}
            }
        }
    }

    fn draw_pyramid(&self, f: &mut Frame, area: Rect, positive: Money, ui: &Ui) {
        let th = ui.theme;
        let band_h = (area.height / 4).clamp(3, 6);
        let rows = Layout::vertical([Constraint::Length(band_h); 4]).split(centered(area, area.width, band_h * 4));
        for (i, tier) in Tier::ALL.iter().enumerate() {
            let b = &self.bands[i];
            // The pyramid's shape: each band wider than the one above.
            let pct = [46u16, 64, 82, 100][i];
            let w = (area.width as u32 * pct as u32 / 100) as u16;
            let rect = centered(rows[i], w.max(24.min(area.width)), rows[i].height);
            let sel = i == self.selected;
            let share = if *tier == Tier::Negative {
                String::new()
            } else {
                let p = share_permille(b.total, positive);
                format!(" · {}.{}% {}", p / 10, p % 10, ui.t(Txt::ShareOfValue))
            };
            let (up, down) = band_moves(&self.moves, *tier);
            // The selected band is marked in its title only (reverse video
            // and the cursor), not by restyling its whole border: a move
            // between bands then redraws two titles, not two frames.
            let name = ui.t(Txt::tier(*tier));
            let bl = if sel {
                block(&format!("{} {name}", th.cursor()), th, false).title_style(th.selected())
            } else {
                block(name, th, false)
            };
            let inner = bl.inner(rect);
            let iw = inner.width as usize;
            let (u, d) = th.arrows();
            let migrated = self.snapshots.len() == 2;
            // With room, the moves get a line of their own; without, they
            // follow the total.
            let total = if migrated && inner.height < 4 {
                format!("{} {} · {u}{up} {d}{down}", ui.t(Txt::Total), b.total)
            } else {
                format!("{} {}", ui.t(Txt::Total), b.total)
            };
            let mut lines = vec![
                Line::from(Span::styled(
                    fit(&format!("{} {}{share}", b.count, ui.t(Txt::Customers)), iw, th),
                    th.tier(*tier),
                )),
                Line::from(Span::raw(fit(&total, iw, th))),
                Line::from(Span::styled(fit(ui.t(Txt::strategy(*tier)), iw, th), th.dim())),
            ];
            if migrated && inner.height >= 4 {
                let moved = format!("{u}{up} {d}{down} {}", ui.t(Txt::SinceSnapshot));
                lines.push(Line::from(Span::styled(fit(&moved, iw, th), th.dim())));
            }
            f.render_widget(Paragraph::new(lines).block(bl).centered(), rect);
        }
    }

    fn draw_members(&mut self, f: &mut Frame, area: Rect, ui: &Ui) {
        let th = ui.theme;
        let Mode::Members(l) = &mut self.mode else { return };
        let title = format!("{} · {}", ui.t(Txt::BandCustomers), ui.t(Txt::tier(l.tier)));
        let bl = block(&title, th, true);
        let inner = bl.inner(area);
        f.render_widget(bl, area);
        l.at.height = (inner.height as usize).saturating_sub(1);
        l.at.top = scroll_top(l.at.top, l.at.selected, l.at.height.max(1));
        let count = self.bands[l.tier.rank()].count as usize;
        let w = inner.width as usize;
        let (money_w, rfm_w) = (15, 7);
        let seg_w = if w >= 60 { 18 } else { 0 };
        let alive_w = if w >= 72 { 9 } else { 0 };
        let exp_w = if w >= 80 { 9 } else { 0 };
        let name_w = w.saturating_sub(2 + money_w + rfm_w + seg_w + alive_w + exp_w);
        let header = format!(
            "  {}{}{}{}",
            col(ui.t(Txt::ColName), name_w, th),
            format_args!("{:>width$} ", ui.t(Txt::ColContribution), width = money_w - 1),
            col("R F M", rfm_w, th),
            col(ui.t(Txt::ColSegment), seg_w, th)
        ) + &col("P(alive)", alive_w, th)
            + &col(ui.t(Txt::ColExpected), exp_w, th);
        let mut lines = vec![Line::from(Span::styled(fit(&header, w, th), th.header()))];
        if count == 0 {
            lines.push(Line::from(Span::styled(ui.t(Txt::EmptyBand), th.dim())));
        }
        for i in l.at.top..(l.at.top + l.at.height).min(count) {
            let Some(m) = i.checked_sub(l.window_start).and_then(|j| l.rows.get(j)) else { break };
            let sel = i == l.at.selected;
            let cursor = if sel { format!("{} ", th.cursor()) } else { "  ".into() };
            let style = if sel { th.selected() } else { Default::default() };
            let name = if m.pinned { format!("{} *", m.name) } else { m.name.clone() };
            let rfm = m.rfm.map(|(r, f, m)| format!("{r} {f} {m}")).unwrap_or_else(|| "–".into());
            let seg = m.segment.map(|s| ui.t(Txt::segment(s))).unwrap_or("–");
            lines.push(Line::from(vec![
                Span::raw(cursor),
                Span::styled(col(&name, name_w, th), style),
                Span::styled(format!("{:>width$} ", m.contribution.to_string(), width = money_w - 1), style),
                Span::styled(col(&rfm, rfm_w, th), style),
                Span::styled(col(seg, seg_w, th), style.patch(th.dim())),
                Span::styled(
                    col(&m.p_alive.map(|p| format!("{:.0}%", p * 100.0)).unwrap_or_else(|| "–".into()), alive_w, th),
                    style,
                ),
                Span::styled(
                    col(&m.expected_purchases.map(|e| format!("{e:.1}")).unwrap_or_else(|| "–".into()), exp_w, th),
                    style,
                ),
            ]));
        }
        f.render_widget(Paragraph::new(lines), inner);
    }

    fn draw_migration(&mut self, f: &mut Frame, area: Rect, ui: &Ui) {
        let th = ui.theme;
        let Mode::Migration(s) = &mut self.mode else { return };
        let title = match self.snapshots.as_slice() {
            [after, before] => format!("{} · {before} → {after} · {}", ui.t(Txt::Migration), self.moves.len()),
            _ => ui.t(Txt::Migration).to_string(),
        };
        let bl = block(&title, th, true);
        let inner = bl.inner(area);
        f.render_widget(bl, area);
        let w = inner.width as usize;
        let mut lines = Vec::new();
        let mut summary = Vec::new();
        let (u, d) = th.arrows();
        for t in Tier::ALL {
            let (up, down) = band_moves(&self.moves, *t);
            summary.push(format!("{} {u}{up} {d}{down}", ui.t(Txt::tier(*t))));
        }
        lines.push(Line::from(Span::styled(fit(&summary.join("  "), w, th), th.header())));
        if self.snapshots.len() < 2 {
            lines.push(Line::from(Span::styled(fit(ui.t(Txt::NoMigrationYet), w, th), th.dim())));
        } else if self.moves.is_empty() {
            lines.push(Line::from(Span::styled(fit(ui.t(Txt::NobodyMoved), w, th), th.dim())));
        }
        s.height = (inner.height as usize).saturating_sub(1);
        s.top = scroll_top(s.top, s.selected, s.height.max(1));
        let tier_w = 24;
        let name_w = w.saturating_sub(2 + tier_w + 16);
        // A Top customer who dropped is marked in words, made room for by
        // the name: at 80 columns the mark after the row was cut off, and
        // without colours nothing else showed it.
        let mark = format!(" {}", ui.t(Txt::TopDropped));
        for (i, m) in self.moves.iter().enumerate().skip(s.top).take(s.height) {
            let sel = i == s.selected;
            let cursor = if sel { format!("{} ", th.cursor()) } else { "  ".into() };
            let style = if sel { th.selected() } else { Default::default() };
            let dropped_top = m.from == Tier::Top;
            let name_w =
                if dropped_top { name_w.saturating_sub(crate::domain::text::width(&mark)).max(4) } else { name_w };
            let arrow = if m.to.rank() < m.from.rank() { u } else { d };
            let change = format!("{} {arrow} {}", ui.t(Txt::tier(m.from)), ui.t(Txt::tier(m.to)));
            let mut spans = vec![
                Span::raw(cursor),
                Span::styled(col(&m.name, name_w, th), style),
                Span::styled(col(&change, tier_w, th), if dropped_top { th.alert().patch(style) } else { style }),
                Span::styled(format!("{:>15}", m.contribution_after.short()), style),
            ];
            if dropped_top {
                spans.push(Span::styled(mark.clone(), th.alert()));
            }
            lines.push(Line::from(spans));
        }
        f.render_widget(Paragraph::new(lines), inner);
    }
}

impl PyramidPane {
    fn draw_win_back(&mut self, f: &mut Frame, area: Rect, ui: &Ui) {
        let th = ui.theme;
        let Mode::WinBack(rows, s) = &mut self.mode else { return };
        let bl = block(&format!("{} · {}", ui.t(Txt::WinBackTitle), rows.len()), th, true);
        let inner = bl.inner(area);
        f.render_widget(bl, area);
        let w = inner.width as usize;
        let mut lines = Vec::new();
        if rows.is_empty() {
            lines.push(Line::from(Span::styled(fit(ui.t(Txt::NoWinBack), w, th), th.dim())));
        }
        s.height = inner.height as usize;
        s.top = scroll_top(s.top, s.selected, s.height.max(1));
        let name_w = w.saturating_sub(2 + 16 + 12);
        for (i, r) in rows.iter().enumerate().skip(s.top).take(s.height) {
            let sel = i == s.selected;
            let style = if sel { th.selected() } else { Default::default() };
            let cursor = if sel { format!("{} ", th.cursor()) } else { "  ".into() };
            let p = r.p_alive.map(|p| format!("P {:.0}%", p * 100.0)).unwrap_or_else(|| "–".into());
            lines.push(Line::from(vec![
                Span::raw(cursor),
                Span::styled(col(&r.name, name_w, th), style),
                Span::styled(format!("{:>15} ", r.contribution.short()), style),
                Span::styled(format!("{p:>11}"), style.patch(th.dim())),
            ]));
        }
        f.render_widget(Paragraph::new(lines), inner);
    }
}
