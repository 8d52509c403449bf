//! `?`: the key bindings in force, generated from the keymap itself, so the
//! help can never drift from the keys.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};

use super::widgets::{block, cell, centered};
use super::{Effect, Ui};
use crate::app::Action;
use crate::config::Lang;
use crate::i18n::Txt;
use crate::keymap::{Context, Keymap};

#[derive(Default)]
pub struct HelpPane {
    scroll: usize,
    height: usize,
    lines: usize,
}

pub fn context_name(c: Context) -> Txt {
    match c {
        Context::Global => Txt::CtxGlobal,
        Context::Customers => Txt::CtxCustomers,
        Context::Card => Txt::CtxCard,
        Context::Pyramid => Txt::CtxPyramid,
        Context::Pipeline => Txt::CtxPipeline,
        Context::Care => Txt::CtxCare,
        Context::Team => Txt::CtxTeam,
        Context::Form => Txt::CtxForm,
        Context::SearchInput => Txt::CtxSearchInput,
        Context::Help => Txt::CtxHelp,
    }
}

/// The rows of the help table: (where, keys, description).
pub fn rows(keymap: &Keymap, lang: Lang) -> Vec<(Context, String, String)> {
    keymap
        .bindings_for_help()
        .into_iter()
        .filter(|b| b.action != Action::Noop)
        .map(|b| {
            let keys = b.keys.iter().map(|k| k.to_string()).collect::<Vec<_>>().join(" ");
            let desc = match (lang, &b.desc_zh) {
                (Lang::Zh, Some(z)) => z.clone(),
                _ => b.desc.clone(),
            };
            (b.context, keys, desc)
        })
        .collect()
}

impl HelpPane {
    pub fn context(&self) -> Context {
        Context::Help
    }

    pub fn handle(&mut self, action: Action) -> Effect {
        let max = self.lines.saturating_sub(self.height);
        match action {
            Action::Up => self.scroll = self.scroll.saturating_sub(1),
            Action::Down => self.scroll = (self.scroll + 1).min(max),
            Action::PageUp => self.scroll = self.scroll.saturating_sub(self.height.max(1)),
            Action::PageDown => self.scroll = (self.scroll + self.height.max(1)).min(max),
            Action::First => self.scroll = 0,
            Action::Last => self.scroll = max,
            Action::Back | Action::Help | Action::Quit | Action::Cancel => return Effect::Back,
            _ => return Effect::None,
        }
        Effect::None
    }

    pub fn render(&mut self, f: &mut Frame, area: Rect, ui: &Ui, keymap_name: &str) {
        let th = ui.theme;
        let rect = centered(area, area.width.saturating_sub(4).max(20), area.height.saturating_sub(2).max(5));
        f.render_widget(Clear, rect);
        let bl = block(&format!("{} · {keymap_name}", ui.t(Txt::PaneHelp)), th, true);
        let inner = bl.inner(rect);
        f.render_widget(bl, rect);
        let w = inner.width as usize;
        let (cw, kw) = (16.min(w / 4), 14.min(w / 4));
        let dw = w.saturating_sub(cw + kw);
        let mut lines = vec![Line::from(Span::styled(
            format!(
                "{}{}{}",
                cell(ui.t(Txt::HelpContext), cw, th),
                cell(ui.t(Txt::HelpKeys), kw, th),
                cell(ui.t(Txt::HelpAction), dw, th)
            ),
            th.header(),
        ))];
        let mut last = None;
        for (ctx, keys, desc) in rows(ui.keymap, ui.lang) {
            let where_ = if last == Some(ctx) { String::new() } else { ui.t(context_name(ctx)).to_string() };
            last = Some(ctx);
            lines.push(Line::from(vec![
                Span::styled(cell(&where_, cw, th), th.dim()),
                Span::styled(cell(&keys, kw, th), th.title()),
                Span::raw(cell(&desc, dw, th)),
            ]));
        }
        self.height = (inner.height as usize).saturating_sub(1);
        self.lines = lines.len().saturating_sub(1);
        self.scroll = self.scroll.min(self.lines.saturating_sub(self.height));
        let header = lines.remove(0);
        let body: Vec<Line> = lines.into_iter().skip(self.scroll).collect();
        let mut all = vec![header];
        all.extend(body);
        f.render_widget(Paragraph::new(all), inner);
    }
}
