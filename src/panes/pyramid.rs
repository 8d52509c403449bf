//! The customer pyramid: four bands, Top to Negative, each with its count,
//! share of value, total and strategy; Enter lists a band's customers.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::widgets::{block, cell, centered, fit, scroll_top};
use super::{Effect, Env, Ui};
use crate::app::Action;
use crate::domain::model::Tier;
use crate::domain::money::Money;
use crate::domain::pyramid::{Band, share_permille};
use crate::i18n::Txt;
use crate::keymap::Context;

const WINDOW: usize = 200;

#[derive(Default)]
pub struct PyramidPane {
    bands: [Band; 4],
    selected: usize,
    /// The open band's customers (a window of them), when a band is open.
    list: Option<BandList>,
    error: Option<String>,
}

struct BandList {
    tier: Tier,
    rows: Vec<(i64, String, Money)>,
    window_start: usize,
    selected: usize,
    top: usize,
    height: usize,
}

impl PyramidPane {
    pub fn context(&self) -> Context {
        Context::Pyramid
    }

    pub fn reload(&mut self, env: &mut Env) {
        match env.repo.tier_bands() {
            Ok(b) => {
                self.bands = b;
                self.error = None;
            }
            Err(e) => self.error = Some(e.to_string()),
        }
        if let Some(l) = &mut self.list {
            l.rows.clear();
            Self::fill(l, self.bands[tier_index(l.tier)].count as usize, env, &mut self.error);
        }
    }

    fn fill(l: &mut BandList, count: usize, env: &mut Env, error: &mut Option<String>) {
        l.selected = l.selected.min(count.saturating_sub(1));
        l.top = scroll_top(l.top, l.selected, l.height.max(1));
        let need_end = (l.top + l.height.max(1)).min(count);
        if count > 0 && (l.rows.is_empty() || l.top < l.window_start || need_end > l.window_start + l.rows.len()) {
            let start = l.top.saturating_sub(WINDOW / 2);
            match env.repo.customers_in_tier(l.tier, start, WINDOW) {
                Ok(rows) => {
                    l.rows = rows;
                    l.window_start = start;
                }
                Err(e) => *error = Some(e.to_string()),
            }
        }
    }

    pub fn handle(&mut self, action: Action, env: &mut Env) -> Effect {
        if let Some(l) = &mut self.list {
            let count = self.bands[tier_index(l.tier)].count as usize;
            let page = l.height.max(1);
            match action {
                Action::Up => l.selected = l.selected.saturating_sub(1),
                Action::Down => l.selected += 1,
                Action::PageUp => l.selected = l.selected.saturating_sub(page),
                Action::PageDown => l.selected += page,
                Action::First => l.selected = 0,
                Action::Last => l.selected = count.saturating_sub(1),
                Action::Back => {
                    self.list = None;
                    return Effect::None;
                }
                Action::Open | Action::LogInteraction => {
                    let row = l.selected.checked_sub(l.window_start).and_then(|i| l.rows.get(i));
                    return match (row, action) {
                        (Some(r), Action::Open) => Effect::OpenCustomer(r.0),
                        (Some(r), _) => Effect::LogInteraction(r.0),
                        _ => Effect::None,
                    };
                }
                _ => return Effect::Ignored,
            }
            Self::fill(l, count, env, &mut self.error);
            return Effect::None;
        }
        match action {
            Action::Up => self.selected = self.selected.saturating_sub(1),
            Action::Down => self.selected = (self.selected + 1).min(3),
            Action::First => self.selected = 0,
            Action::Last => self.selected = 3,
            Action::Open => {
                let mut l = BandList {
                    tier: Tier::ALL[self.selected],
                    rows: Vec::new(),
                    window_start: 0,
                    selected: 0,
                    top: 0,
                    height: 20,
                };
                Self::fill(&mut l, self.bands[self.selected].count as usize, env, &mut self.error);
                self.list = Some(l);
            }
            _ => return Effect::Ignored,
        }
        Effect::None
    }

    pub fn render(&mut self, f: &mut Frame, area: Rect, ui: &Ui) {
        let th = ui.theme;
        let positive: Money = self.bands.iter().map(|b| Money(b.total.0.max(0))).sum();
        let customers: u64 = self.bands.iter().map(|b| b.count).sum();
        let title = format!(
            "{} · {customers} {} · {} {}",
            ui.t(Txt::PanePyramid),
            ui.t(Txt::Customers),
            ui.t(Txt::Total),
            positive.short()
        );
        let outer = block(&title, th, self.list.is_none());
        let inner = outer.inner(area);
        f.render_widget(outer, area);
        if let Some(e) = &self.error {
            f.render_widget(Paragraph::new(Span::styled(fit(e, inner.width as usize, th), th.error())), inner);
            return;
        }
        let (pyr_area, list_area) = if self.list.is_some() {
            if inner.width >= 110 {
                let [a, b] = Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(inner);
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
        if let Some(a) = list_area {
            self.draw_list(f, a, ui);
        }
    }

    fn draw_pyramid(&self, f: &mut Frame, area: Rect, positive: Money, ui: &Ui) {
        let th = ui.theme;
        let band_h = (area.height / 4).clamp(3, 5);
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
            let title = ui.t(Txt::tier(*tier)).to_string();
            let mut bl = block(&title, th, sel);
            if sel {
                bl = bl.title_style(th.selected());
            }
            let inner = bl.inner(rect);
            let iw = inner.width as usize;
            let lines = vec![
                Line::from(Span::styled(
                    fit(&format!("{} {}{share}", b.count, ui.t(Txt::Customers)), iw, th),
                    th.tier(*tier),
                )),
                Line::from(Span::raw(fit(&format!("{} {}", ui.t(Txt::Total), b.total), iw, th))),
                Line::from(Span::styled(fit(ui.t(Txt::strategy(*tier)), iw, th), th.dim())),
            ];
            f.render_widget(Paragraph::new(lines).block(bl).centered(), rect);
        }
    }

    fn draw_list(&mut self, f: &mut Frame, area: Rect, ui: &Ui) {
        let th = ui.theme;
        let Some(l) = &mut self.list else { return };
        let title = format!("{} · {}", ui.t(Txt::BandCustomers), ui.t(Txt::tier(l.tier)));
        let bl = block(&title, th, true);
        let inner = bl.inner(area);
        f.render_widget(bl, area);
        l.height = inner.height as usize;
        l.top = scroll_top(l.top, l.selected, l.height.max(1));
        let count = self.bands[tier_index(l.tier)].count as usize;
        let w = inner.width as usize;
        let money_w = 18.min(w / 2);
        let name_w = w.saturating_sub(money_w + 2);
        let mut lines = Vec::new();
        if count == 0 {
            lines.push(Line::from(Span::styled(ui.t(Txt::EmptyBand), th.dim())));
        }
        for i in l.top..(l.top + l.height).min(count) {
            let Some((_, name, c)) = i.checked_sub(l.window_start).and_then(|j| l.rows.get(j)) else { break };
            let sel = i == l.selected;
            let cursor = if sel { format!("{} ", th.cursor()) } else { "  ".into() };
            let money = format!("{:>money_w$}", c.to_string());
            let style = if sel { th.selected() } else { Default::default() };
            lines.push(Line::from(vec![
                Span::raw(cursor),
                Span::styled(cell(name, name_w, th), style),
                Span::styled(money, style),
            ]));
        }
        f.render_widget(Paragraph::new(lines), inner);
    }
}

fn tier_index(t: Tier) -> usize {
    Tier::ALL.iter().position(|x| *x == t).unwrap_or(2)
}
