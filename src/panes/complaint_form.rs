//! Opening a complaint from a customer's card: title, severity (its
//! deadline follows from the config), description.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};

use super::widgets::{block, cell, centered, clean, fit};
use super::{Effect, Env, Ui};
use crate::app::Action;
use crate::domain::model::{NewCase, Severity};
use crate::i18n::Txt;

pub struct ComplaintForm {
    customer_id: i64,
    customer_name: String,
    focus: usize,
    pub title: String,
    severity: usize,
    description: String,
    error: Option<String>,
}

impl ComplaintForm {
    pub fn new(customer_id: i64, customer_name: &str) -> ComplaintForm {
        ComplaintForm {
            customer_id,
            customer_name: customer_name.into(),
            focus: 0,
            title: String::new(),
            severity: 1,
            description: String::new(),
            error: None,
        }
    }

    /// The focused field, when it holds prose (the title or the
    /// description) that may be written in an external editor.
    pub fn long_text_mut(&mut self) -> Option<&mut String> {
        match self.focus {
            0 => Some(&mut self.title),
            2 => Some(&mut self.description),
            _ => None,
        }
    }

    pub fn type_char(&mut self, c: char) {
        self.error = None;
        match self.focus {
            0 => self.title.push(c),
            2 => self.description.push(c),
            _ => {}
        }
    }

    pub fn backspace(&mut self) {
        match self.focus {
            0 => self.title.pop(),
            2 => self.description.pop(),
            _ => None,
        };
    }

    pub fn handle(&mut self, action: Action, env: &mut Env) -> Effect {
        let n = Severity::ALL.len();
        match action {
            Action::NextField | Action::Down => self.focus = (self.focus + 1) % 3,
            Action::PrevField | Action::Up => self.focus = (self.focus + 2) % 3,
            Action::Left if self.focus == 1 => self.severity = (self.severity + n - 1) % n,
            Action::Right if self.focus == 1 => self.severity = (self.severity + 1) % n,
            Action::Cancel | Action::Back => return Effect::Back,
            Action::Submit => {
                let lang = env.config.language();
                if self.title.trim().is_empty() {
                    self.error = Some(Txt::ErrTitleRequired.get(lang).into());
                    self.focus = 0;
                    return Effect::None;
                }
                let severity = Severity::ALL[self.severity];
                let hours = env.config.care.complaint_hours.for_severity(severity);
                let c = NewCase {
                    customer_id: self.customer_id,
                    title: self.title.trim().into(),
                    description: Some(self.description.trim().to_string()).filter(|s| !s.is_empty()),
                    severity,
                    opened_at: env.now,
                    deadline_at: env.now + chrono::Duration::hours(hours as i64),
                };
                return match env.repo.create_case(&c) {
                    Ok(_) => Effect::Saved(Txt::CaseOpened.get(lang).into()),
                    Err(e) => {
                        self.error = Some(e.to_string());
                        Effect::None
                    }
                };
            }
            _ => {}
        }
        Effect::None
    }

    pub fn render(&self, f: &mut Frame, area: Rect, ui: &Ui) {
        let th = ui.theme;
        let rect = centered(area, 70.min(area.width), 8 + u16::from(self.error.is_some()));
        f.render_widget(Clear, rect);
        let b = block(&format!("{} · {}", ui.t(Txt::NewComplaint), clean(&self.customer_name, th)), th, true);
        let inner = b.inner(rect);
        f.render_widget(b, rect);
        let w = inner.width as usize;
        let sev = Severity::ALL[self.severity];
        let values = [
            (Txt::FieldTitle, format!("{}{}", self.title, if self.focus == 0 { "_" } else { "" })),
            (Txt::FieldSeverity, format!("< {} >", sev.code())),
            (Txt::FieldDescription, format!("{}{}", self.description, if self.focus == 2 { "_" } else { "" })),
        ];
        let mut lines = Vec::new();
        for (i, (label, value)) in values.iter().enumerate() {
            let style = if i == self.focus { th.selected() } else { Default::default() };
            let marker = if i == self.focus { th.cursor() } else { " " };
            lines.push(Line::from(vec![
                Span::raw(format!("{marker} ")),
                Span::styled(cell(ui.t(*label), 14, th), th.header()),
                Span::styled(fit(value, w.saturating_sub(16), th), style),
            ]));
        }
        lines.push(Line::raw(""));
        if let Some(e) = &self.error {
            lines.push(Line::from(Span::styled(fit(e, w, th), th.error())));
        }
        lines.push(Line::from(Span::styled(fit(ui.t(Txt::DealFormHint), w, th), th.dim())));
        f.render_widget(Paragraph::new(lines), inner);
    }
}
