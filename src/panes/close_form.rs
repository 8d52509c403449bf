//! Closing a deal as won or lost: both ask for a reason. Lost picks one of
//! the configured reasons (←/→) and may add a detail.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};

use super::widgets::{block, centered, clean, fit};
use super::{Effect, Env, Ui};
use crate::app::Action;
use crate::domain::model::{Deal, DealStatus};
use crate::i18n::Txt;
use crate::repo::deals::StageMove;

pub struct CloseForm {
    deal: Deal,
    won: bool,
    reasons: Vec<String>,
    reason: usize,
    pub detail: String,
    error: Option<Txt>,
}

impl CloseForm {
    pub fn new(deal: Deal, won: bool, lost_reasons: &[String]) -> CloseForm {
        CloseForm { deal, won, reasons: lost_reasons.to_vec(), reason: 0, detail: String::new(), error: None }
    }

    pub fn type_char(&mut self, c: char) {
        self.error = None;
        self.detail.push(c);
    }

    pub fn backspace(&mut self) {
        self.detail.pop();
    }

    /// The reason as stored: "Price: found it cheaper", "Price", or the
    /// won reason typed.
    fn reason_text(&self) -> Option<String> {
        let detail = self.detail.trim();
        if self.won {
            return (!detail.is_empty()).then(|| detail.to_string());
        }
        let r = self.reasons.get(self.reason)?;
        Some(if detail.is_empty() { r.clone() } else { format!("{r}: {detail}") })
    }

    pub fn handle(&mut self, action: Action, env: &mut Env) -> Effect {
        let n = self.reasons.len().max(1);
        match action {
            Action::Left | Action::Up if !self.won => self.reason = (self.reason + n - 1) % n,
            Action::Right | Action::Down if !self.won => self.reason = (self.reason + 1) % n,
            Action::Cancel | Action::Back => return Effect::Back,
            Action::Submit => {
                let Some(reason) = self.reason_text() else {
                    self.error = Some(Txt::ErrReasonRequired);
                    return Effect::None;
                };
                let (stage, status, msg) = if self.won {
                    ("Won", DealStatus::Won, Txt::DealWon)
                } else {
                    ("Lost", DealStatus::Lost, Txt::DealLost)
                };
                let m = StageMove { to_stage: stage, status, reason: Some(&reason), at: env.now };
                return match env.repo.move_deal_as(self.deal.id, self.deal.version, &m) {
                    Ok(()) => Effect::Saved(msg.get(env.config.language()).to_string()),
                    Err(e) => Effect::Error(e.to_string()),
                };
            }
            _ => {}
        }
        Effect::None
    }

    pub fn render(&self, f: &mut Frame, area: Rect, ui: &Ui) {
        let th = ui.theme;
        let rect = centered(area, 64.min(area.width), if self.won { 7 } else { 8 });
        f.render_widget(Clear, rect);
        let t = if self.won { Txt::MarkWon } else { Txt::MarkLost };
        let title = format!("{} · {}", ui.t(t), clean(&self.deal.title, th));
        let b = block(&title, th, true);
        let inner = b.inner(rect);
        f.render_widget(b, rect);
        let w = inner.width as usize;
        let mut lines =
            vec![Line::from(Span::raw(fit(&format!("{} · {}", self.deal.customer_name, self.deal.amount), w, th)))];
        if !self.won {
            let r = self.reasons.get(self.reason).map(String::as_str).unwrap_or("");
            lines.push(Line::from(vec![
                Span::styled(format!("{} ", ui.t(Txt::Reason)), th.header()),
                Span::styled(format!("< {} >", clean(r, th)), th.selected()),
                Span::styled(format!("  {}", ui.t(Txt::FormHintChoice)), th.dim()),
            ]));
        }
        let label = if self.won { Txt::Reason } else { Txt::Detail };
        lines.push(Line::from(vec![
            Span::styled(format!("{} ", ui.t(label)), th.header()),
            Span::raw(format!("{}_", clean(&self.detail, th))),
        ]));
        if let Some(e) = self.error {
            lines.push(Line::from(Span::styled(fit(ui.t(e), w, th), th.error())));
        }
        lines.push(Line::from(Span::styled(fit(ui.t(Txt::CloseHint), w, th), th.dim())));
        f.render_widget(Paragraph::new(lines), inner);
    }
}
