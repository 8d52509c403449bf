//! Care's figures view (`v` in care): for a period, the promise-kept rate
//! overall and per agent, complaint acknowledge and close times (medians),
//! and the complaints open now by age. The same figures as
//! `rapport report care`.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::period::Span4;
use super::widgets::{block, col, fit, scroll_top};
use super::{Effect, Env, Ui};
use crate::app::Action;
use crate::domain::care_figures::{AGE_BUCKETS, CareFigures};
use crate::domain::team::Figures;
use crate::i18n::Txt;

#[derive(Default)]
pub struct CareFiguresView {
    span: Span4,
    figures: Option<CareFigures>,
    selected: usize,
    error: Option<String>,
}

fn pct(v: Option<f64>) -> String {
    v.map(|v| format!("{:.0}%", v * 100.0)).unwrap_or_else(|| "–".into())
}

fn num(v: Option<f64>) -> String {
    v.map(|v| format!("{v:.1}")).unwrap_or_else(|| "–".into())
}

/// The columns of an agent row: name, then figures.
fn cells(f: &Figures) -> [String; 7] {
    [
        f.promises_settled().to_string(),
        f.promises_kept.to_string(),
        f.promises_late.to_string(),
        f.promises_broken.to_string(),
        pct(f.promises_kept_rate()),
        num(f.ack_hours_median),
        num(f.close_days_median),
    ]
}

const HEADERS: [Txt; 7] =
    [Txt::ColSettled, Txt::ColKept, Txt::ColCareLate, Txt::ColBroken, Txt::ColKeptPct, Txt::ColAckH, Txt::ColCloseD];

impl CareFiguresView {
    pub fn reload(&mut self, env: &mut Env) {
        let period = self.span.period(env.today());
        match crate::services::care::figures(env.repo, env.config, period, env.now) {
            Ok(f) => {
                self.selected = self.selected.min(f.agents.len().saturating_sub(1));
                self.figures = Some(f);
                self.error = None;
            }
            Err(e) => self.error = Some(e.to_string()),
        }
    }

    /// A typed range for the period; an error message when it is not one.
    pub fn set_range(&mut self, text: &str, env: &mut Env) -> Result<(), String> {
        self.span = Span4::parse_range(text, env.config.language())?;
        self.reload(env);
        Ok(())
    }

    pub fn handle(&mut self, action: Action, env: &mut Env) -> Effect {
        let n = self.figures.as_ref().map_or(0, |f| f.agents.len());
        match action {
            Action::TeamPeriod => {
                let Some(next) = self.span.next() else { return Effect::AskTeamRange };
                self.span = next;
                self.reload(env);
            }
            Action::Up => self.selected = self.selected.saturating_sub(1),
            Action::Down => self.selected = (self.selected + 1).min(n.saturating_sub(1)),
            Action::First => self.selected = 0,
            Action::Last => self.selected = n.saturating_sub(1),
            _ => return Effect::Ignored,
        }
        Effect::None
    }

    pub fn render(&self, f: &mut Frame, area: Rect, ui: &Ui) {
        let th = ui.theme;
        let title = format!("{} · {} · {}", ui.t(Txt::PaneCare), ui.t(Txt::CareFigures), self.span.label(ui));
        let bl = block(&title, th, true);
        let inner = bl.inner(area);
        f.render_widget(bl, area);
        let w = inner.width as usize;
        let mut lines = Vec::new();
        if let Some(e) = &self.error {
            lines.push(Line::from(Span::styled(fit(e, w, th), th.error())));
        }
        let Some(c) = &self.figures else {
            f.render_widget(Paragraph::new(lines), inner);
            return;
        };
        let o = &c.overall;
        let promises = format!(
            "{}: {} ({} {}: {} {}, {} {}, {} {}) · {} {}",
            ui.t(Txt::PromisesKept),
            pct(o.promises_kept_rate()),
            o.promises_settled(),
            ui.t(Txt::ColSettled).to_lowercase(),
            o.promises_kept,
            ui.t(Txt::ColKept).to_lowercase(),
            o.promises_late,
            ui.t(Txt::ColCareLate).to_lowercase(),
            o.promises_broken,
            ui.t(Txt::ColBroken).to_lowercase(),
            ui.t(Txt::OnTarget),
            pct(o.promise_level.share()),
        );
        let handled = format!(
            "{}: {} {} ({} {} h) · {} {} ({} {} d)",
            ui.t(Txt::Complaints),
            o.acknowledged,
            ui.t(Txt::Acknowledged),
            ui.t(Txt::MedianLabel),
            num(o.ack_hours_median),
            o.closed,
            ui.t(Txt::ClosedLabel),
            ui.t(Txt::MedianLabel),
            num(o.close_days_median),
        );
        let ages: Vec<String> = AGE_BUCKETS.iter().zip(c.open_by_age).map(|(k, n)| format!("{k} {n}")).collect();
        let open =
            format!("{} {}: {} ({})", ui.t(Txt::Complaints), ui.t(Txt::OpenByAge), c.open_cases, ages.join(" · "));
        for text in [promises, handled, open] {
            lines.push(Line::from(Span::raw(fit(&text, w, th))));
        }
        lines.push(Line::from(""));
        let num_w = 8;
        let name_w = w.saturating_sub(2 + num_w * HEADERS.len()).max(8);
        let mut header = format!("  {}", col(ui.t(Txt::ColAgent), name_w, th));
        for h in HEADERS {
            header += &format!("{:>width$}", fit(ui.t(h), num_w - 1, th), width = num_w);
        }
        lines.push(Line::from(Span::styled(fit(&header, w, th), th.header())));
        if c.agents.is_empty() {
            lines.push(Line::from(Span::styled(fit(ui.t(Txt::NoCareActivity), w, th), th.dim())));
        }
        let height = (inner.height as usize).saturating_sub(lines.len());
        let top = scroll_top(0, self.selected, height.max(1));
        for (i, r) in c.agents.iter().enumerate().skip(top).take(height) {
            let sel = i == self.selected;
            let style = if sel { th.selected() } else { Default::default() };
            let cursor = if sel { format!("{} ", th.cursor()) } else { "  ".into() };
            let mut text = format!("{cursor}{}", col(&r.name, name_w, th));
            for v in cells(&r.figures) {
                text += &format!("{v:>num_w$}");
            }
            lines.push(Line::from(Span::styled(fit(&text, w, th), style)));
        }
        f.render_widget(Paragraph::new(lines), inner);
    }
}
