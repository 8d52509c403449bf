//! A one-line question: the board's text filter, a complaint's Anticipate
//! note, a closing complaint's satisfaction. Enter applies; esc cancels.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};

use super::widgets::{block, centered, clean, fit};
use super::{Effect, Env, Ui};
use crate::app::Action;
use crate::domain::model::{Case, Step4A};
use crate::i18n::Txt;

/// What the answer is for.
pub enum Purpose {
    BoardFilter,
    TeamRange,
    /// The pipeline analysis's period.
    AnalysisRange,
    Anticipate(Box<Case>),
    Satisfaction(Box<Case>),
}

pub struct PromptForm {
    purpose: Purpose,
    pub text: String,
    error: Option<String>,
}

impl PromptForm {
    pub fn new(purpose: Purpose, text: &str) -> PromptForm {
        PromptForm { purpose, text: text.to_string(), error: None }
    }

    pub fn type_char(&mut self, c: char) {
        self.error = None;
        self.text.push(c);
    }

    pub fn backspace(&mut self) {
        self.text.pop();
    }

    pub fn handle(&mut self, action: Action, env: &mut Env) -> Effect {
        match action {
            Action::Cancel | Action::Back => Effect::Back,
            Action::Submit => self.submit(env),
            _ => Effect::None,
        }
    }

    fn submit(&mut self, env: &mut Env) -> Effect {
        let lang = env.config.language();
        let text = self.text.trim().to_string();
        let result = match &self.purpose {
            Purpose::BoardFilter => return Effect::BoardFilter(text),
            Purpose::TeamRange => return Effect::TeamRange(text),
            Purpose::AnalysisRange => return Effect::AnalysisRange(text),
            Purpose::Anticipate(c) => env
                .repo
                .tick_case_step(c.id, c.version, Step4A::Anticipate, Some(&text), env.now)
                .map(|_| Txt::StepDone),
            Purpose::Satisfaction(c) => match text.parse::<u8>() {
                Ok(s) if (1..=5).contains(&s) => {
                    env.repo.close_case(c.id, c.version, s, env.now).map(|_| Txt::CaseClosed)
                }
                _ => {
                    self.error = Some(Txt::ErrSatisfaction.get(lang).to_string());
                    return Effect::None;
                }
            },
        };
        match result {
            Ok(t) => Effect::Saved(t.get(lang).to_string()),
            Err(e) => {
                self.error = Some(e.to_string());
                Effect::None
            }
        }
    }

    pub fn render(&self, f: &mut Frame, area: Rect, ui: &Ui) {
        let th = ui.theme;
        let (title, hint, subject) = match &self.purpose {
            Purpose::BoardFilter => (Txt::FilterTitle, Txt::FilterHint, None),
            Purpose::TeamRange => (Txt::RangeTitle, Txt::RangeHint, None),
            Purpose::AnalysisRange => (Txt::RangeTitle, Txt::AnalysisRangeHint, None),
            Purpose::Anticipate(c) => (Txt::AnticipateTitle, Txt::AnticipateHint, Some(c)),
            Purpose::Satisfaction(c) => (Txt::SatisfactionTitle, Txt::SatisfactionHint, Some(c)),
        };
        let rect = centered(area, 64.min(area.width), 6 + u16::from(self.error.is_some()));
        f.render_widget(Clear, rect);
        let title = match subject {
            Some(c) => format!("{} · {}", ui.t(title), clean(&c.customer_name, th)),
            None => ui.t(title).to_string(),
        };
        let b = block(&title, th, true);
        let inner = b.inner(rect);
        f.render_widget(b, rect);
        let w = inner.width as usize;
        let mut lines = Vec::new();
        if let Some(c) = subject {
            lines.push(Line::from(Span::raw(fit(&c.title, w, th))));
        }
        lines.push(Line::from(Span::styled(fit(&format!("{}_", clean(&self.text, th)), w, th), th.selected())));
        lines.push(Line::from(Span::styled(fit(ui.t(hint), w, th), th.dim())));
        if let Some(e) = &self.error {
            lines.push(Line::from(Span::styled(fit(e, w, th), th.error())));
        }
        f.render_widget(Paragraph::new(lines), inner);
    }
}
