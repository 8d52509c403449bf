//! The customer list with search as you type: name (case- and
//! accent-insensitive, CJK), company, email, contacts, phone by digits.
//! Only the window of rows around the selection is read from the base.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::duplicates::DuplicatesView;
use super::widgets::{block, col as cell, scroll_top};
use super::{Effect, Env, Ui};
use crate::app::Action;
use crate::domain::lifecycle::Stage;
use crate::domain::model::{CustomerRow, CustomerStatus};
use crate::i18n::Txt;
use crate::keymap::Context;
use crate::repo::customers::ListFilter;

/// Rows read around the selection at a time.
const WINDOW: usize = 200;
/// Counting stops here; the list shows "10000+".
const COUNT_CAP: usize = crate::repo::customers::SORT_BELOW - 1;

#[derive(Default)]
pub struct CustomersPane {
    pub query: String,
    pub typing: bool,
    /// The search box was opened again on an earlier query: the next typed
    /// character starts a new one (the next caller), a Backspace edits the
    /// old one instead.
    replace_on_type: bool,
    rows: Vec<CustomerRow>,
    window_start: usize,
    pub selected: usize,
    top: usize,
    total: usize,
    height: usize,
    loaded_query: Option<String>,
    /// The query was typed but not searched yet (see [`CustomersPane::settle`]).
    unsearched: bool,
    /// Listing archived customers (to restore them) instead of active ones.
    pub archived: bool,
    /// Only customers in this lifecycle stage.
    pub lifecycle: Option<Stage>,
    /// The possible-duplicates view, when open.
    duplicates: Option<DuplicatesView>,
    error: Option<String>,
    /// The search index is still being filled (after a first import):
    /// searches read every customer meanwhile, and the title says so.
    indexing: bool,
}

impl CustomersPane {
    pub fn context(&self) -> Context {
        if self.typing { Context::SearchInput } else { Context::Customers }
    }

    /// Re-reads the count and the window (after a change in the base).
    pub fn reload(&mut self, env: &mut Env) {
        if let Some(v) = &mut self.duplicates {
            v.reload(env);
        }
        self.loaded_query = None;
        self.refresh(env);
    }

    /// Re-queries only when the query changed, then makes sure the window
    /// covers what is on screen.
    fn refresh(&mut self, env: &mut Env) {
        if self.loaded_query.as_deref() != Some(self.query.as_str()) {
            self.indexing = !self.query.trim().is_empty() && !env.repo.search_index_complete().unwrap_or(true);
            match env.repo.count_customers_in(&self.filter(), &self.query, COUNT_CAP + 1) {
                Ok(n) => {
                    self.total = n;
                    self.error = None;
                }
                Err(e) => self.error = Some(e.to_string()),
            }
            self.loaded_query = Some(self.query.clone());
            self.rows.clear();
            self.window_start = 0;
            self.selected = self.selected.min(self.total.saturating_sub(1));
        }
        let need_end = (self.top + self.height.max(1)).min(self.total);
        let have_end = self.window_start + self.rows.len();
        if self.total > 0 && (self.rows.is_empty() || self.top < self.window_start || need_end > have_end) {
            let start = self.top.saturating_sub(WINDOW / 2);
            match env.repo.search_customers_counted(&self.filter(), &self.query, start, WINDOW, self.total) {
                Ok(rows) => {
                    self.rows = rows;
                    self.window_start = start;
                }
                Err(e) => self.error = Some(e.to_string()),
            }
        }
    }

    fn filter(&self) -> ListFilter {
        ListFilter {
            status: if self.archived { CustomerStatus::Archived } else { CustomerStatus::Active },
            lifecycle: self.lifecycle,
        }
    }

    /// The customer under the cursor.
    pub fn selected_row(&self) -> Option<&CustomerRow> {
        self.selected.checked_sub(self.window_start).and_then(|i| self.rows.get(i))
    }

    fn move_to(&mut self, to: usize, env: &mut Env) {
        self.selected = to.min(self.total.saturating_sub(1));
        self.top = scroll_top(self.top, self.selected, self.height.max(1));
        self.refresh(env);
    }

    pub fn handle(&mut self, action: Action, env: &mut Env) -> Effect {
        if !self.typing && (action == Action::Duplicates || (self.duplicates.is_some() && action == Action::Back)) {
            if self.duplicates.take().is_none() {
                let mut v = DuplicatesView::default();
                v.reload(env);
                self.duplicates = Some(v);
            }
            return Effect::None;
        }
        if action == Action::Search {
            self.duplicates = None;
        }
        if let Some(v) = &mut self.duplicates {
            return v.handle(action, env);
        }
        let page = self.height.max(1);
        match action {
            Action::Up => self.move_to(self.selected.saturating_sub(1), env),
            Action::Down => self.move_to(self.selected + 1, env),
            Action::PageUp => self.move_to(self.selected.saturating_sub(page), env),
            Action::PageDown => self.move_to(self.selected + page, env),
            Action::First => self.move_to(0, env),
            Action::Last => self.move_to(self.total.saturating_sub(1), env),
            Action::Search if !self.typing => {
                self.typing = true;
                self.replace_on_type = !self.query.is_empty();
            }
            Action::NewCustomer if !self.typing => return Effect::NewCustomer(None),
            Action::LifecycleFilter if !self.typing => {
                // All, then each stage in turn, then all again.
                self.lifecycle = match self.lifecycle {
                    None => Stage::ALL.first().copied(),
                    Some(s) => Stage::ALL.iter().skip_while(|x| **x != s).nth(1).copied(),
                };
                self.selected = 0;
                self.top = 0;
                self.reload(env);
            }
            Action::ToggleArchived if !self.typing => {
                self.archived = !self.archived;
                self.selected = 0;
                self.top = 0;
                self.reload(env);
            }
            Action::Open => {
                self.typing = false;
                return match self.selected_row() {
                    Some(r) => Effect::OpenCustomer(r.id),
                    None => Effect::None,
                };
            }
            Action::LogInteraction if !self.typing => {
                return match self.selected_row() {
                    Some(r) => Effect::LogInteraction(r.id),
                    None => Effect::None,
                };
            }
            Action::Back if self.typing => self.typing = false,
            Action::Back if !self.query.is_empty() => {
                self.query.clear();
                self.selected = 0;
                self.top = 0;
                self.refresh(env);
            }
            _ => return Effect::Ignored,
        }
        Effect::None
    }

    /// A character typed into the search box (searched at
    /// [`CustomersPane::settle`]).
    pub fn type_char(&mut self, c: char) {
        if std::mem::take(&mut self.replace_on_type) {
            self.query.clear();
        }
        self.query.push(c);
        self.selected = 0;
        self.top = 0;
        self.unsearched = true;
    }

    pub fn backspace(&mut self) {
        self.replace_on_type = false;
        self.query.pop();
        self.selected = 0;
        self.top = 0;
        self.unsearched = true;
    }

    /// Clears the query (ctrl-u while typing).
    pub fn clear_query(&mut self) {
        self.replace_on_type = false;
        self.query.clear();
        self.selected = 0;
        self.top = 0;
        self.unsearched = true;
    }

    /// Runs the search for what was typed, once, however many characters
    /// came since the last one: a fast typist (or a paste) costs one search
    /// per frame, not one per character, which matters when a search of a
    /// million customers takes a noticeable time. Called before anything
    /// reads the list: the next frame, or the next action.
    pub fn settle(&mut self, env: &mut Env) {
        if std::mem::take(&mut self.unsearched) {
            self.refresh(env);
        }
    }

    pub fn render(&mut self, f: &mut Frame, area: Rect, ui: &Ui) {
        if let Some(v) = &self.duplicates {
            v.render(f, area, ui);
            return;
        }
        let th = ui.theme;
        let [search_area, list_area] = Layout::vertical([Constraint::Length(3), Constraint::Min(1)]).areas(area);

        let caret = if self.typing { "_" } else { "" };
        let hint = if self.query.is_empty() && !self.typing {
            let keys = ui.keymap.keys_for(Context::Customers, Action::Search).join("/");
            Line::from(Span::styled(format!("{}  ({keys})", ui.t(Txt::SearchHint)), th.dim()))
        } else {
            // An earlier query that the next character replaces is shown
            // selected, as a text field shows selected text.
            let style =
                if self.replace_on_type && self.typing { th.selected() } else { ratatui::style::Style::default() };
            Line::from(vec![Span::styled(super::widgets::clean(&self.query, th), style), Span::raw(caret.to_string())])
        };
        let search = Paragraph::new(hint).block(block(ui.t(Txt::SearchLabel), th, self.typing));
        f.render_widget(search, search_area);

        let count = if self.total > COUNT_CAP { format!("{COUNT_CAP}+") } else { self.total.to_string() };
        let mut title = format!("{} · {count} {}", ui.t(Txt::PaneCustomers), ui.t(Txt::Matches));
        if self.archived {
            title += &format!(" · {}", ui.t(Txt::ArchivedBanner));
        }
        if let Some(l) = self.lifecycle {
            title += &format!(" · {}", ui.t(Txt::lifecycle(l.code())));
        }
        if self.indexing {
            title += &format!(" · {}", ui.t(Txt::SearchIndexing));
        }
        let outer = block(&title, th, !self.typing);
        let inner = outer.inner(list_area);
        f.render_widget(outer, list_area);

        let body_height = inner.height.saturating_sub(1) as usize;
        if self.height != body_height {
            self.height = body_height;
            self.top = scroll_top(self.top, self.selected, body_height.max(1));
        }
        let cols = Columns::for_width(inner.width as usize);
        let mut lines = vec![Line::from(Span::styled(cols.header(ui), th.header()))];
        if let Some(e) = &self.error {
            lines.push(Line::from(Span::styled(super::widgets::fit(e, inner.width as usize, th), th.error())));
        } else if self.total == 0 {
            let msg = if self.query.is_empty() {
                let key =
                    ui.keymap.keys_for(Context::Customers, Action::LoadDemo).into_iter().next().unwrap_or_default();
                ui.t(Txt::EmptyBase).replace("{key}", &key)
            } else {
                ui.t(Txt::NoMatch).to_string()
            };
            lines.push(Line::from(Span::styled(msg, th.dim())));
        }
        for i in self.top..(self.top + body_height).min(self.total) {
            let Some(row) = i.checked_sub(self.window_start).and_then(|j| self.rows.get(j)) else { break };
            let sel = i == self.selected;
            let mut spans = cols.row(row, sel, ui);
            if sel {
                for s in &mut spans {
                    s.style = s.style.patch(th.selected());
                }
            }
            lines.push(Line::from(spans));
        }
        f.render_widget(Paragraph::new(lines), inner);
    }
}

/// Column widths for a list this wide: narrow terminals drop columns
/// rather than crush them.
struct Columns {
    tier: usize,
    name: usize,
    kind: usize,
    phone: usize,
    rest: usize,
}

impl Columns {
    fn for_width(w: usize) -> Columns {
        let w = w.saturating_sub(2);
        let tier = 11;
        let kind = if w >= 70 { 11 } else { 0 };
        let phone = if w >= 56 { 19 } else { 0 };
        let flexible = w.saturating_sub(tier + kind + phone);
        let (name, rest) = if w >= 90 { (flexible * 45 / 100, flexible - flexible * 45 / 100) } else { (flexible, 0) };
        Columns { tier, name, kind, phone, rest }
    }

    fn header(&self, ui: &Ui) -> String {
        let th = ui.theme;
        let mut s = format!("  {}{}", cell(ui.t(Txt::ColTier), self.tier, th), cell(ui.t(Txt::ColName), self.name, th));
        if self.kind > 0 {
            s += &cell(ui.t(Txt::ColKind), self.kind, th);
        }
        if self.phone > 0 {
            s += &cell(ui.t(Txt::ColPhone), self.phone, th);
        }
        if self.rest > 0 {
            s += &cell(ui.t(Txt::ColCompany), self.rest, th);
        }
        s
    }

    fn row<'a>(&self, r: &CustomerRow, selected: bool, ui: &Ui) -> Vec<Span<'a>> {
        let th = ui.theme;
        let tier = r.effective_tier();
        let mut tier_text = ui.t(Txt::tier(tier)).to_string();
        if r.tier_pin.is_some() {
            tier_text.push('*');
        }
        let cursor = if selected { format!("{} ", th.cursor()) } else { "  ".into() };
        let mut name = r.name.clone();
        if r.on_hold {
            name = format!("! {name}");
        }
        let mut spans = vec![
            Span::raw(cursor),
            Span::styled(cell(&tier_text, self.tier, th), th.tier(tier)),
            Span::styled(cell(&name, self.name, th), if r.on_hold { th.alert() } else { Default::default() }),
        ];
        if self.kind > 0 {
            spans.push(Span::styled(cell(ui.t(Txt::kind(r.kind)), self.kind, th), th.dim()));
        }
        if self.phone > 0 {
            spans.push(Span::raw(cell(r.phone.as_deref().unwrap_or(""), self.phone, th)));
        }
        if self.rest > 0 {
            let rest = r.company.as_deref().or(r.email.as_deref()).unwrap_or("");
            spans.push(Span::styled(cell(rest, self.rest, th), th.dim()));
        }
        spans
    }
}
