//! Possible duplicates (`M` on the customer list): customers sharing a
//! phone (after folding) or an email, group by group. Choose the customer
//! to keep with ←/→ and merge the others into it (`m`, then `m` again to
//! confirm): every contact, interaction, transaction, deal, reminder, case
//! and point moves in one transaction, audited; the merged ones are archived.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::widgets::{block, fit, scroll_top};
use super::{Effect, Env, Ui};
use crate::app::Action;
use crate::i18n::Txt;
use crate::repo::duplicates::{DuplicateGroup, SharedKind};

#[derive(Default)]
pub struct DuplicatesView {
    groups: Vec<DuplicateGroup>,
    /// The selected group, and in it the customer to keep.
    group: usize,
    keep: usize,
    /// Waiting for the second `m` that confirms the merge.
    confirming: bool,
    error: Option<String>,
}

impl DuplicatesView {
    pub fn reload(&mut self, env: &mut Env) {
        match env.repo.duplicate_groups() {
            Ok(g) => {
                self.groups = g;
                self.group = self.group.min(self.groups.len().saturating_sub(1));
                self.keep = self.keep.min(self.groups.get(self.group).map_or(0, |g| g.customers.len() - 1));
                self.error = None;
            }
            Err(e) => self.error = Some(e.to_string()),
        }
    }

    pub fn handle(&mut self, action: Action, env: &mut Env) -> Effect {
        let n = self.groups.len();
        let members = self.groups.get(self.group).map_or(0, |g| g.customers.len());
        if action != Action::Merge {
            self.confirming = false;
        }
        match action {
            Action::Up => {
                self.group = self.group.saturating_sub(1);
                self.keep = 0;
            }
            Action::Down => {
                self.group = (self.group + 1).min(n.saturating_sub(1));
                self.keep = 0;
            }
            Action::First => self.group = 0,
            Action::Last => self.group = n.saturating_sub(1),
            Action::Left => self.keep = self.keep.saturating_sub(1),
            Action::Right => self.keep = (self.keep + 1).min(members.saturating_sub(1)),
            Action::Open => {
                return self
                    .groups
                    .get(self.group)
                    .and_then(|g| g.customers.get(self.keep))
                    .map_or(Effect::None, |c| Effect::OpenCustomer(c.id));
            }
            Action::Merge => return self.merge(env),
            _ => return Effect::Ignored,
        }
        Effect::None
    }

    /// First `m`: ask. Second: merge every other customer of the group
    /// into the chosen one.
    fn merge(&mut self, env: &mut Env) -> Effect {
        let Some(g) = self.groups.get(self.group) else { return Effect::None };
        if !self.confirming {
            self.confirming = true;
            return Effect::None;
        }
        self.confirming = false;
        let keep = g.customers[self.keep.min(g.customers.len() - 1)].id;
        let gone: Vec<i64> = g.customers.iter().map(|c| c.id).filter(|id| *id != keep).collect();
        let mut moved = 0;
        for id in &gone {
            match env.repo.merge_customers(keep, *id) {
                Ok(report) => moved += report.total_moved(),
                Err(e) => {
                    self.reload(env);
                    return Effect::Error(e.to_string());
                }
            }
        }
        self.keep = 0;
        let lang = env.config.language();
        let ids: Vec<String> = gone.iter().map(|id| format!("#{id}")).collect();
        Effect::Saved(format!(
            "{} {} → #{keep}: {moved} {}",
            Txt::Merged.get(lang),
            ids.join(", "),
            Txt::RecordsMoved.get(lang)
        ))
    }

    pub fn render(&self, f: &mut Frame, area: Rect, ui: &Ui) {
        let th = ui.theme;
        let title = format!("{} · {} {}", ui.t(Txt::Duplicates), self.groups.len(), ui.t(Txt::Groups));
        let bl = block(&title, th, true);
        let inner = bl.inner(area);
        f.render_widget(bl, area);
        let w = inner.width as usize;
        let mut lines: Vec<Line> = Vec::new();
        let hint = if self.confirming {
            let keep = self.groups.get(self.group).and_then(|g| g.customers.get(self.keep));
            let name = keep.map(|c| format!("#{} {}", c.id, c.name)).unwrap_or_default();
            Line::from(Span::styled(
                fit(&format!("{} {name}? {}", ui.t(Txt::MergeInto), ui.t(Txt::MergeConfirm)), w, th),
                th.alert(),
            ))
        } else {
            Line::from(Span::styled(fit(ui.t(Txt::DuplicatesHint), w, th), th.dim()))
        };
        lines.push(hint);
        if let Some(e) = &self.error {
            lines.push(Line::from(Span::styled(fit(e, w, th), th.error())));
        }
        if self.groups.is_empty() {
            lines.push(Line::from(Span::styled(fit(ui.t(Txt::NoDuplicates), w, th), th.ok())));
        }
        // Each group: what they share, then one line per customer.
        let mut body: Vec<(usize, Line)> = Vec::new();
        for (gi, g) in self.groups.iter().enumerate() {
            let sel = gi == self.group;
            let shared: Vec<String> = g
                .shared
                .iter()
                .map(|s| {
                    let kind = ui.t(match s.kind {
                        SharedKind::Phone => Txt::Phone,
                        SharedKind::Email => Txt::Email,
                    });
                    format!("{} {}", kind.to_lowercase(), s.value)
                })
                .collect();
            let head = format!("{} {}", if sel { th.cursor() } else { " " }, shared.join(" · "));
            body.push((gi, Line::from(Span::styled(fit(&head, w, th), if sel { th.header() } else { th.dim() }))));
            for (ci, c) in g.customers.iter().enumerate() {
                let keep = sel && ci == self.keep;
                let mark = if keep { format!("[{}]", ui.t(Txt::Keep)) } else { String::new() };
                let s = format!(
                    "   {} #{} {} · {} · {}",
                    super::widgets::cell(&mark, 8, th),
                    c.id,
                    c.name,
                    c.phone.as_deref().unwrap_or("–"),
                    c.email.as_deref().unwrap_or("–")
                );
                body.push((
                    gi,
                    Line::from(Span::styled(fit(&s, w, th), if keep { th.selected() } else { Default::default() })),
                ));
            }
        }
        let height = (inner.height as usize).saturating_sub(lines.len());
        let first = body.iter().position(|(g, _)| *g == self.group).unwrap_or(0);
        let top = scroll_top(0, first, height.max(1));
        lines.extend(body.into_iter().skip(top).take(height).map(|(_, l)| l));
        f.render_widget(Paragraph::new(lines), inner);
    }
}
