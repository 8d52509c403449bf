//! A one-line question (the board's text filter): type, enter applies.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};

use super::widgets::{block, centered, clean, fit};
use super::{Effect, Env, Ui};
use crate::app::Action;
use crate::i18n::Txt;

pub struct PromptForm {
    pub text: String,
}

impl PromptForm {
    pub fn new(text: &str) -> PromptForm {
        PromptForm { text: text.to_string() }
    }

    pub fn type_char(&mut self, c: char) {
        self.text.push(c);
    }

    pub fn backspace(&mut self) {
        self.text.pop();
    }

    pub fn handle(&mut self, action: Action, _env: &mut Env) -> Effect {
        match action {
            Action::Cancel | Action::Back => Effect::Back,
            Action::Submit => Effect::BoardFilter(self.text.trim().to_string()),
            _ => Effect::None,
        }
    }

    pub fn render(&self, f: &mut Frame, area: Rect, ui: &Ui) {
        let th = ui.theme;
        let rect = centered(area, 60.min(area.width), 5);
        f.render_widget(Clear, rect);
        let b = block(ui.t(Txt::FilterTitle), th, true);
        let inner = b.inner(rect);
        f.render_widget(b, rect);
        let w = inner.width as usize;
        let lines = vec![
            Line::from(Span::styled(fit(&format!("{}_", clean(&self.text, th)), w, th), th.selected())),
            Line::from(Span::styled(fit(ui.t(Txt::FilterHint), w, th), th.dim())),
        ];
        f.render_widget(Paragraph::new(lines), inner);
    }
}
