//! The customer's card: who they are, their value, and their story so far
//! (contacts, recent interactions, open deals, open reminders and promises),
//! and, on a key, its history from the audit log: who changed what, when.

use chrono::Local;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::widgets::{block, clean, fit};
use super::{Effect, Env, Ui};
use crate::app::Action;
use crate::domain::ageing::Ageing;
use crate::domain::history::{Shown, field_changes};
use crate::domain::model::{Contact, Customer, CustomerStatus, Deal, Interaction, Reminder, Tier};
use crate::domain::money::Money;
use crate::i18n::Txt;
use crate::keymap::Context;
use crate::repo::audit::AuditEntry;
use crate::repo::promises::OpenPromise;
use crate::repo::timeline::{Cursor, Entry, Event};

/// How many recent interactions the card shows.
const RECENT: usize = 30;
/// How many open reminders and promises the overview lists (soonest
/// first; the timeline and care show them all).
const DUE_SHOWN: usize = 20;
/// How many history entries are read at a time.
const HISTORY_PAGE: usize = 200;
/// How many timeline entries are read at a time.
const TIMELINE_PAGE: usize = 300;

/// The card's tabs: everything at a glance, the whole story, the contacts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum Tab {
    #[default]
    Overview,
    Timeline,
    Contacts,
}

const TABS: [Tab; 3] = [Tab::Overview, Tab::Timeline, Tab::Contacts];

/// The timeline tab: entries read so far, newest first, a page at a time.
#[derive(Default)]
struct Timeline {
    entries: Vec<Entry>,
    /// Older entries than those read may be stored.
    more: bool,
    /// Newer entries than those read may be stored: the window was read
    /// from the story's end (End), and grows upwards as it is scrolled.
    newer: bool,
    scroll: usize,
}

impl Timeline {
    /// The newest `at_least` entries (a page at least).
    fn read(id: i64, at_least: usize, env: &Env) -> crate::repo::Result<Timeline> {
        let n = at_least.max(TIMELINE_PAGE);
        let entries = env.repo.timeline(id, Cursor::START, n)?;
        Ok(Timeline { more: entries.len() >= n, entries, newer: false, scroll: 0 })
    }

    /// The oldest `at_least` entries (a page at least): the story's end.
    fn read_end(id: i64, at_least: usize, env: &Env) -> crate::repo::Result<Timeline> {
        let n = at_least.max(TIMELINE_PAGE);
        let entries = env.repo.timeline_newer(id, Cursor::END, n)?;
        Ok(Timeline { newer: entries.len() >= n, entries, more: false, scroll: 0 })
    }

    /// Reads newer entries in above those read (a window from the end),
    /// until `need` entries are above the current top or the story's start
    /// is in; the scroll position follows what it showed.
    fn read_up(&mut self, id: i64, need: usize, env: &Env) -> crate::repo::Result<()> {
        while self.newer && self.scroll < need {
            let before = self.entries.first().map_or(Cursor::END, |e| e.cursor);
            let mut next = env.repo.timeline_newer(id, before, TIMELINE_PAGE)?;
            self.newer = next.len() >= TIMELINE_PAGE;
            self.scroll += next.len();
            next.append(&mut self.entries);
            self.entries = next;
        }
        Ok(())
    }

    /// Reads on until `need` entries are in, or the story ends.
    fn read_to(&mut self, id: i64, need: usize, env: &Env) -> crate::repo::Result<()> {
        while self.more && self.entries.len() < need {
            let after = self.entries.last().map_or(Cursor::START, |e| e.cursor);
            let next = env.repo.timeline(id, after, TIMELINE_PAGE)?;
            self.more = next.len() >= TIMELINE_PAGE;
            self.entries.extend(next);
        }
        Ok(())
    }
}

/// The history view: the audit log of the customer and its deals,
/// contacts, reminders, promises and complaints, newest first.
#[derive(Default)]
struct History {
    entries: Vec<AuditEntry>,
    /// Whether more entries may be stored beyond those read.
    more: bool,
    /// Lines the entries take on screen (one per entry, one per field).
    lines: u16,
    scroll: u16,
}

impl History {
    /// Reads the newest `at_least` entries (a page at least).
    fn read(id: i64, at_least: usize, env: &Env) -> crate::repo::Result<History> {
        let mut h = History::default();
        h.entries = env.repo.history_of("customer", id, at_least.max(HISTORY_PAGE), 0)?;
        h.more = h.entries.len() >= at_least.max(HISTORY_PAGE);
        h.count();
        Ok(h)
    }

    /// Reads the next page, if there may be one.
    fn read_more(&mut self, id: i64, env: &Env) -> crate::repo::Result<()> {
        if !self.more {
            return Ok(());
        }
        let next = env.repo.history_of("customer", id, HISTORY_PAGE, self.entries.len())?;
        self.more = next.len() >= HISTORY_PAGE;
        self.entries.extend(next);
        self.count();
        Ok(())
    }

    fn count(&mut self) {
        let n: usize = self.entries.iter().map(|e| 1 + field_changes(&e.changes).len()).sum();
        self.lines = n.min(u16::MAX as usize) as u16;
    }
}

#[derive(Default)]
pub struct CardPane {
    pub customer: Option<Customer>,
    contacts: Vec<Contact>,
    interactions: Vec<Interaction>,
    deals: Vec<Deal>,
    reminders: Vec<Reminder>,
    promises: Vec<OpenPromise>,
    balance: (Money, Money, Money),
    ageing: Ageing,
    churn: Option<crate::repo::churn::ChurnRow>,
    points: i64,
    /// Open reminders and promises in all (the overview lists the soonest).
    due_count: usize,
    /// The newest entries of the VIP points ledger.
    ledger: Vec<crate::domain::points::PointsEntry>,
    duplicates: Vec<i64>,
    transactions: Vec<crate::domain::model::Transaction>,
    open_cases: i64,
    scroll: u16,
    /// The tier chooser, when open: the highlighted choice (4 = unpin).
    pin_choice: Option<usize>,
    body_lines: u16,
    body_height: u16,
    error: Option<String>,
    /// The history view, when open.
    history: Option<History>,
    tab: Tab,
    timeline: Option<Timeline>,
    /// Every contact, archived ones too (the contacts tab).
    all_contacts: Vec<Contact>,
    contact_sel: usize,
}

impl CardPane {
    pub fn context(&self) -> Context {
        Context::Card
    }

    pub fn customer_id(&self) -> Option<i64> {
        self.customer.as_ref().map(|c| c.id)
    }

    /// Reads everything the card shows for customer `id`.
    pub fn open(&mut self, id: i64, env: &mut Env) {
        if self.customer_id() != Some(id) {
            self.scroll = 0;
            self.history = None;
            self.tab = Tab::Overview;
            self.timeline = None;
            self.contact_sel = 0;
        }
        let r = &*env.repo;
        let loaded = (|| -> crate::repo::Result<()> {
            // The header, on every tab.
            self.customer = Some(r.customer(id)?);
            self.balance = r.balance_of(id)?;
            self.open_cases = r.open_case_count_of(id)?;
            self.churn = r.churn_of(id).ok();
            self.points = r.points_balance(id)?;
            self.duplicates = r.duplicates_of(id)?;
            // Then only what the open tab shows.
            match self.tab {
                Tab::Overview => {
                    self.contacts = r.contacts_of(id)?;
                    self.interactions = r.recent_interactions(id, RECENT)?;
                    self.deals = r.open_deals_of(id)?;
                    self.reminders = r.open_reminders_soonest(id, DUE_SHOWN)?;
                    self.promises = r.open_promises_soonest(id, DUE_SHOWN)?;
                    self.due_count = r.open_due_count_of(id)? as usize;
                    self.ageing = r.ageing_of(id, env.today())?;
                    self.transactions = r.recent_transactions(id, 10)?;
                    self.ledger = r.points_ledger(id, 5)?;
                }
                Tab::Timeline => {
                    let (n, scroll, from_end) =
                        self.timeline.as_ref().map_or((0, 0, false), |t| (t.entries.len(), t.scroll, t.newer));
                    let mut t = if from_end { Timeline::read_end(id, n, env)? } else { Timeline::read(id, n, env)? };
                    t.scroll = scroll.min(t.entries.len().saturating_sub(1));
                    self.timeline = Some(t);
                }
                Tab::Contacts => {
                    self.all_contacts = r.all_contacts_of(id)?;
                    self.contact_sel = self.contact_sel.min(self.all_contacts.len().saturating_sub(1));
                }
            }
            if let Some(h) = &self.history {
                // Keep the place; take in what changed meanwhile.
                let scroll = h.scroll;
                let mut fresh = History::read(id, h.entries.len(), env)?;
                fresh.scroll = scroll.min(fresh.lines.saturating_sub(1));
                self.history = Some(fresh);
            }
            Ok(())
        })();
        self.error = loaded.err().map(|e| e.to_string());
    }

    pub fn reload(&mut self, env: &mut Env) {
        if let Some(id) = self.customer_id() {
            self.open(id, env);
        }
    }

    pub fn handle(&mut self, action: Action, env: &mut Env) -> Effect {
        if let Some(choice) = &mut self.pin_choice {
            match action {
                Action::Up => *choice = choice.saturating_sub(1),
                Action::Down => *choice = (*choice + 1).min(Tier::ALL.len()),
                Action::Back | Action::Cancel | Action::PinTier => self.pin_choice = None,
                Action::Open | Action::Submit => {
                    let pin = Tier::ALL.get(*choice).copied();
                    self.pin_choice = None;
                    return self.save_pin(pin, env);
                }
                _ => {}
            }
            return Effect::None;
        }
        if self.history.is_some() {
            match self.handle_history(action, env) {
                Effect::Ignored => {}
                effect => return effect,
            }
        }
        if matches!(action, Action::Left | Action::Right) {
            let at = TABS.iter().position(|t| *t == self.tab).unwrap_or(0);
            let step = if action == Action::Right { 1 } else { TABS.len() - 1 };
            self.tab = TABS[(at + step) % TABS.len()];
            self.reload(env);
            return Effect::None;
        }
        match self.tab {
            Tab::Timeline => {
                if let effect @ (Effect::None | Effect::Error(_)) = self.handle_timeline(action, env) {
                    return effect;
                }
            }
            Tab::Contacts => {
                if let Some(effect) = self.handle_contacts(action, env) {
                    return effect;
                }
            }
            Tab::Overview => {}
        }
        let max = self.body_lines.saturating_sub(self.body_height);
        match action {
            Action::Up => self.scroll = self.scroll.saturating_sub(1),
            Action::Down => self.scroll = (self.scroll + 1).min(max),
            Action::PageUp => self.scroll = self.scroll.saturating_sub(self.body_height.max(1)),
            Action::PageDown => self.scroll = (self.scroll + self.body_height.max(1)).min(max),
            Action::First => self.scroll = 0,
            Action::Last => self.scroll = max,
            Action::LogInteraction => {
                return self.customer_id().map(Effect::LogInteraction).unwrap_or(Effect::None);
            }
            Action::Back => return Effect::Back,
            Action::NewReminder => {
                return self.customer.as_ref().map_or(Effect::None, |c| Effect::NewReminder(c.id, c.name.clone()));
            }
            Action::NewTransaction => {
                return self.customer.as_ref().map_or(Effect::None, |c| Effect::NewTransaction(c.id, c.name.clone()));
            }
            Action::LiftHold => {
                let Some(c) = &self.customer else { return Effect::None };
                let lang = env.config.language();
                if !c.on_hold {
                    return Effect::Error(Txt::NotOnHold.get(lang).into());
                }
                let id = c.id;
                return match env.repo.lift_hold(id, c.version) {
                    Ok(()) => {
                        self.open(id, env);
                        Effect::Saved(Txt::HoldLifted.get(lang).into())
                    }
                    Err(e) => Effect::Error(e.to_string()),
                };
            }
            Action::EditCustomer => {
                return self.customer.clone().map_or(Effect::None, |c| Effect::EditCustomer(Box::new(c)));
            }
            Action::Dial => {
                let Some(c) = &self.customer else { return Effect::None };
                let phone = c.phone.clone().or_else(|| self.contacts.iter().find_map(|k| k.phone.clone()));
                return match phone {
                    Some(p) => Effect::Dial(c.id, p),
                    None => Effect::Error(Txt::NoPhone.get(env.config.language()).into()),
                };
            }
            Action::Archive => {
                let Some(mut c) = self.customer.clone() else { return Effect::None };
                let archiving = c.status == CustomerStatus::Active;
                c.status = if archiving { CustomerStatus::Archived } else { CustomerStatus::Active };
                let lang = env.config.language();
                return match env.repo.update_customer(&c) {
                    Ok(_) => {
                        self.open(c.id, env);
                        Effect::Saved((if archiving { Txt::Archived } else { Txt::Restored }).get(lang).into())
                    }
                    Err(e) => Effect::Error(e.to_string()),
                };
            }
            Action::NewComplaint => {
                return self.customer.as_ref().map_or(Effect::None, |c| Effect::NewComplaint(c.id, c.name.clone()));
            }
            Action::NewDeal => {
                return self
                    .customer
                    .as_ref()
                    .map_or(Effect::None, |c| Effect::NewDeal(Some((c.id, c.name.clone())), 0));
            }
            Action::History => {
                let Some(id) = self.customer_id() else { return Effect::None };
                match History::read(id, 0, env) {
                    Ok(h) => self.history = Some(h),
                    Err(e) => return Effect::Error(e.to_string()),
                }
            }
            Action::PinTier => {
                let Some(c) = &self.customer else { return Effect::None };
                self.pin_choice = Some(c.tier_pin.map(Tier::rank).unwrap_or(Tier::ALL.len()));
            }
            _ => return Effect::Ignored,
        }
        Effect::None
    }

    /// Scrolling the timeline (reading on near the end); `Effect::Ignored`
    /// for keys that are the card's.
    fn handle_timeline(&mut self, action: Action, env: &mut Env) -> Effect {
        let Some(id) = self.customer_id() else { return Effect::Ignored };
        let page = self.body_height.saturating_sub(1).max(1) as usize;
        let Some(t) = &mut self.timeline else { return Effect::Ignored };
        let up = match action {
            Action::Up => 1,
            Action::PageUp => page,
            Action::Down | Action::PageDown => 0,
            // The story's end: its oldest page, not every page before it.
            Action::Last if t.more => {
                match Timeline::read_end(id, 2 * page, env) {
                    Ok(mut end) => {
                        end.scroll = end.entries.len().saturating_sub(page);
                        *t = end;
                    }
                    Err(e) => return Effect::Error(e.to_string()),
                }
                return Effect::None;
            }
            Action::First if t.newer => {
                match Timeline::read(id, 0, env) {
                    Ok(start) => *t = start,
                    Err(e) => return Effect::Error(e.to_string()),
                }
                return Effect::None;
            }
            Action::First | Action::Last => 0,
            _ => return Effect::Ignored,
        };
        // Read newer entries in above a window read from the end, so the
        // target and a page above it are in.
        if let Err(e) = t.read_up(id, up + page, env) {
            return Effect::Error(e.to_string());
        }
        let target = match action {
            Action::Up | Action::PageUp => t.scroll.saturating_sub(up),
            Action::Down => t.scroll + 1,
            Action::PageDown => t.scroll + page,
            Action::First => 0,
            _ => usize::MAX,
        };
        // Read on so the target and a page beyond it are in.
        let need = target.saturating_add(2 * page);
        if let Err(e) = t.read_to(id, need, env) {
            return Effect::Error(e.to_string());
        }
        t.scroll = target.min(t.entries.len().saturating_sub(page));
        Effect::None
    }

    /// Keys of the contacts tab: choosing one, new, edit, archive or
    /// restore. `None` for keys that are the card's.
    fn handle_contacts(&mut self, action: Action, env: &mut Env) -> Option<Effect> {
        let c = self.customer.as_ref()?;
        let (id, name) = (c.id, c.name.clone());
        let n = self.all_contacts.len();
        let selected = self.all_contacts.get(self.contact_sel).cloned();
        let lang = env.config.language();
        Some(match action {
            Action::Up => {
                self.contact_sel = self.contact_sel.saturating_sub(1);
                Effect::None
            }
            Action::Down => {
                self.contact_sel = (self.contact_sel + 1).min(n.saturating_sub(1));
                Effect::None
            }
            Action::NewDeal | Action::NewCustomer => Effect::NewContact(id, name),
            Action::EditCustomer | Action::Open => match selected {
                Some(k) => Effect::EditContact(Box::new(k), name),
                None => Effect::NewContact(id, name),
            },
            Action::Archive => {
                let Some(mut k) = selected else { return Some(Effect::None) };
                k.archived = !k.archived;
                let text = if k.archived { Txt::ContactArchived } else { Txt::ContactRestored };
                match env.repo.update_contact(&k) {
                    Ok(_) => {
                        self.open(id, env);
                        // Archived contacts sort last: the selection follows this one.
                        if let Some(at) = self.all_contacts.iter().position(|x| x.id == k.id) {
                            self.contact_sel = at;
                        }
                        Effect::Saved(text.get(lang).into())
                    }
                    Err(e) => Effect::Error(e.to_string()),
                }
            }
            _ => return None,
        })
    }

    /// Keys while the history is open: scrolling, and closing it. Others
    /// are the card's (`Effect::Ignored`).
    fn handle_history(&mut self, action: Action, env: &mut Env) -> Effect {
        let id = self.customer_id();
        let page = self.body_height.max(1);
        let Some(h) = &mut self.history else { return Effect::Ignored };
        let max = h.lines.saturating_sub(page);
        match action {
            Action::Up => h.scroll = h.scroll.saturating_sub(1),
            Action::Down => h.scroll = (h.scroll + 1).min(max),
            Action::PageUp => h.scroll = h.scroll.saturating_sub(page),
            Action::PageDown => h.scroll = (h.scroll + page).min(max),
            Action::First => h.scroll = 0,
            Action::Last => h.scroll = max,
            Action::History | Action::Back | Action::Cancel => {
                self.history = None;
                return Effect::None;
            }
            _ => return Effect::Ignored,
        }
        // Near the end of what was read: read on.
        if h.more
            && h.scroll + 2 * page >= h.lines
            && let Some(id) = id
        {
            if let Err(e) = h.read_more(id, env) {
                return Effect::Error(e.to_string());
            }
            if matches!(action, Action::PageDown | Action::Last) {
                let max = h.lines.saturating_sub(page);
                h.scroll = if action == Action::Last { max } else { h.scroll.min(max) };
            }
        }
        Effect::None
    }

    /// Saves a tier pin (or its removal), refusing if someone else changed
    /// the customer meanwhile.
    fn save_pin(&mut self, pin: Option<Tier>, env: &mut Env) -> Effect {
        let Some(mut c) = self.customer.clone() else { return Effect::None };
        if c.tier_pin == pin {
            return Effect::None;
        }
        c.tier_pin = pin;
        match env.repo.update_customer(&c) {
            Ok(_) => {
                self.open(c.id, env);
                Effect::Saved(Txt::Pinned2.get(env.config.language()).to_string())
            }
            Err(e) => {
                let msg = e.to_string();
                self.open(c.id, env);
                Effect::Error(msg)
            }
        }
    }

    pub fn render(&mut self, f: &mut Frame, area: Rect, ui: &Ui) {
        let th = ui.theme;
        let Some(c) = &self.customer else {
            let msg = self.error.clone().unwrap_or_default();
            f.render_widget(
                Paragraph::new(Span::styled(msg, th.error())).block(block(ui.t(Txt::PaneCard), th, true)),
                area,
            );
            return;
        };
        let [head_area, body_area] = Layout::vertical([Constraint::Length(6), Constraint::Min(1)]).areas(area);
        let title = format!("{} · {}", clean(&c.name, th), ui.t(Txt::kind(c.kind)));
        let head_block = block(&title, th, true);
        let inner = head_block.inner(head_area);
        f.render_widget(head_block, head_area);
        f.render_widget(Paragraph::new(self.header_lines(c, inner.width as usize, ui)), inner);

        if self.history.is_some() {
            self.draw_history(f, body_area, ui);
            if let Some(choice) = self.pin_choice {
                self.draw_pin_chooser(f, area, choice, ui);
            }
            return;
        }
        let [tabs_area, body_area] = Layout::vertical([Constraint::Length(1), Constraint::Min(1)]).areas(body_area);
        f.render_widget(Paragraph::new(self.tab_bar(tabs_area.width as usize, ui)), tabs_area);
        match self.tab {
            Tab::Overview => {}
            Tab::Timeline => {
                self.draw_timeline(f, body_area, ui);
                if let Some(choice) = self.pin_choice {
                    self.draw_pin_chooser(f, area, choice, ui);
                }
                return;
            }
            Tab::Contacts => {
                self.draw_contacts(f, body_area, ui);
                if let Some(choice) = self.pin_choice {
                    self.draw_pin_chooser(f, area, choice, ui);
                }
                return;
            }
        }
        let wide = body_area.width >= 120;
        let (left, right) = self.body_lines(ui, if wide { body_area.width / 2 } else { body_area.width });
        if wide {
            let [l, r] = Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(body_area);
            self.draw_body(f, l, left, ui);
            self.draw_body(f, r, right, ui);
        } else {
            let mut all = left;
            all.push(Line::raw(""));
            all.extend(right);
            self.draw_body(f, body_area, all, ui);
        }
        if let Some(choice) = self.pin_choice {
            self.draw_pin_chooser(f, area, choice, ui);
        }
    }

    /// " Overview │ Timeline │ Contacts    ←/→ tabs", the current one marked.
    fn tab_bar(&self, w: usize, ui: &Ui) -> Line<'static> {
        let th = ui.theme;
        let sep = if th.ascii { " | " } else { " │ " };
        let mut spans = vec![Span::raw(" ")];
        for (i, t) in TABS.iter().enumerate() {
            if i > 0 {
                spans.push(Span::styled(sep, th.dim()));
            }
            let name = ui.t(match t {
                Tab::Overview => Txt::TabOverview,
                Tab::Timeline => Txt::TabTimeline,
                Tab::Contacts => Txt::TabContacts,
            });
            if *t == self.tab {
                spans.push(Span::styled(format!("[{name}]"), th.selected()));
            } else {
                spans.push(Span::raw(name.to_string()));
            }
        }
        let used: usize = spans.iter().map(|s| crate::domain::text::width(&s.content)).sum();
        let hint = format!("   {}", super::widgets::clean(ui.t(Txt::TabHint), th));
        if used + crate::domain::text::width(&hint) <= w {
            spans.push(Span::styled(hint, th.dim()));
        }
        Line::from(spans)
    }

    /// The whole story, newest first, one line per entry.
    fn draw_timeline(&mut self, f: &mut Frame, area: Rect, ui: &Ui) {
        let th = ui.theme;
        let b = block("", th, false);
        let inner = b.inner(area);
        f.render_widget(b, area);
        self.body_height = inner.height;
        let w = inner.width as usize;
        let Some(t) = &self.timeline else { return };
        let mut lines: Vec<Line<'static>> = Vec::new();
        if t.entries.is_empty() {
            lines.push(Line::from(Span::styled(format!("  {}", ui.t(Txt::NoTimeline)), th.dim())));
        }
        for e in t.entries.iter().skip(t.scroll).take(inner.height as usize) {
            let when = e.at.with_timezone(&Local).format("%Y-%m-%d %H:%M").to_string();
            let (kind, text, style) = timeline_text(&e.event, ui);
            lines.push(Line::from(vec![
                Span::styled(format!("{when}  "), th.dim()),
                Span::styled(super::widgets::col(&kind, 16, th), style),
                Span::raw(fit(&text, w.saturating_sub(when.chars().count() + 18), th)),
            ]));
        }
        f.render_widget(Paragraph::new(lines), inner);
    }

    /// Every contact, archived ones marked; the selected one highlighted.
    fn draw_contacts(&mut self, f: &mut Frame, area: Rect, ui: &Ui) {
        let th = ui.theme;
        let title = format!("{} ({}) · {}", ui.t(Txt::Contacts), self.all_contacts.len(), ui.t(Txt::ContactsHint));
        let b = block(&title, th, false);
        let inner = b.inner(area);
        f.render_widget(b, area);
        self.body_height = inner.height;
        let w = inner.width as usize;
        let mut lines: Vec<Line<'static>> = Vec::new();
        if self.all_contacts.is_empty() {
            lines.push(Line::from(Span::styled(format!("  {}", ui.t(Txt::NoContacts)), th.dim())));
        }
        let height = inner.height as usize;
        let top = super::widgets::scroll_top(0, self.contact_sel, height.max(1));
        for (i, k) in self.all_contacts.iter().enumerate().skip(top).take(height) {
            let sel = i == self.contact_sel;
            let mut s = format!("{} {}", if sel { th.cursor() } else { " " }, k.name);
            for part in [k.role.as_deref(), k.phone.as_deref(), k.email.as_deref()].into_iter().flatten() {
                s += &format!(" · {part}");
            }
            if let Some(bd) = k.birthday {
                s += &format!(" · {}", bd.format("%Y-%m-%d"));
            }
            if k.archived {
                s += &format!(" ({})", ui.t(Txt::ArchivedTag));
            }
            let style = match (sel, k.archived) {
                (true, _) => th.selected(),
                (false, true) => th.dim(),
                _ => Style::default(),
            };
            lines.push(Line::from(Span::styled(fit(&s, w, th), style)));
        }
        f.render_widget(Paragraph::new(lines), inner);
    }

    fn draw_pin_chooser(&self, f: &mut Frame, area: Rect, choice: usize, ui: &Ui) {
        let th = ui.theme;
        let rect = super::widgets::centered(area, 44, Tier::ALL.len() as u16 + 3);
        f.render_widget(ratatui::widgets::Clear, rect);
        let bl = block(ui.t(Txt::PinTitle), th, true);
        let inner = bl.inner(rect);
        f.render_widget(bl, rect);
        let names: Vec<&str> =
            Tier::ALL.iter().map(|t| ui.t(Txt::tier(*t))).chain(std::iter::once(ui.t(Txt::Unpin))).collect();
        let current = self.customer.as_ref().and_then(|c| c.tier_pin);
        let lines: Vec<Line> = names
            .iter()
            .enumerate()
            .map(|(i, n)| {
                let cursor = if i == choice { th.cursor() } else { " " };
                let mark = if Tier::ALL.get(i).copied() == current && current.is_some() { " *" } else { "" };
                let style = if i == choice { th.selected() } else { Style::default() };
                Line::from(Span::styled(fit(&format!("{cursor} {n}{mark}"), inner.width as usize, th), style))
            })
            .collect();
        f.render_widget(Paragraph::new(lines), inner);
    }

    /// The history view in `area`: one line per entry (when, who, what was
    /// done to which record), then one per field: old → new.
    fn draw_history(&mut self, f: &mut Frame, area: Rect, ui: &Ui) {
        let th = ui.theme;
        let Some(h) = &self.history else { return };
        let count = format!("{}{}", h.entries.len(), if h.more { "+" } else { "" });
        let title = format!("{} ({count}) · {}", ui.t(Txt::HistoryTitle), ui.t(Txt::HistoryHint));
        let b = block(&title, th, true);
        let inner = b.inner(area);
        let w = inner.width as usize;
        let arrow = if th.ascii { "->" } else { "→" };
        let mut lines: Vec<Line<'static>> = Vec::new();
        if h.entries.is_empty() {
            lines.push(Line::from(Span::styled(format!("  {}", ui.t(Txt::NoHistory)), th.dim())));
        }
        for e in &h.entries {
            let when = e.at.with_timezone(&Local).format("%Y-%m-%d %H:%M");
            let action = match e.action.as_str() {
                "create" => ui.t(Txt::ActCreate).to_string(),
                "update" => ui.t(Txt::ActUpdate).to_string(),
                other => other.replace('_', " "),
            };
            let what = match e.entity.as_str() {
                "customer" => ui.t(Txt::EntCustomer).to_string(),
                other => {
                    let name = match other {
                        "deal" => ui.t(Txt::EntDeal),
                        "contact" => ui.t(Txt::EntContact),
                        "reminder" => ui.t(Txt::EntReminder),
                        "promise" => ui.t(Txt::Promise),
                        "case" => ui.t(Txt::Complaint),
                        other => other,
                    };
                    format!("{name} #{}", e.entity_id)
                }
            };
            let when = format!("{when}  ");
            let rest = format!("{} · {action} {what}", e.agent);
            lines.push(Line::from(vec![
                Span::styled(when.clone(), th.dim()),
                Span::styled(fit(&rest, w.saturating_sub(when.chars().count()), th), th.header()),
            ]));
            for c in field_changes(&e.changes) {
                let show = |v: &Shown| match v {
                    Shown::Empty => {
                        if th.ascii {
                            "-".to_string()
                        } else {
                            "–".to_string()
                        }
                    }
                    Shown::Text(t) => t.clone(),
                    Shown::Money(m) => m.to_string(),
                    Shown::Time(t) => t.with_timezone(&Local).format("%Y-%m-%d %H:%M").to_string(),
                    Shown::Flag(b) => ui.t(if *b { Txt::Yes } else { Txt::No }).to_string(),
                };
                let field = if c.field.is_empty() {
                    String::new()
                } else {
                    format!("{}: ", Txt::field_name(&c.field, ui.lang))
                };
                let change = match &c.old {
                    Some(old) => format!("{} {arrow} {}", show(old), show(&c.new)),
                    None => show(&c.new),
                };
                lines.push(Line::raw(fit(&format!("    {field}{change}"), w, th)));
            }
        }
        self.body_height = inner.height;
        let scroll = h.scroll.min((lines.len() as u16).saturating_sub(inner.height));
        f.render_widget(Paragraph::new(lines).scroll((scroll, 0)).block(b), area);
    }

    fn draw_body(&mut self, f: &mut Frame, area: Rect, lines: Vec<Line<'static>>, ui: &Ui) {
        let b = block("", ui.theme, false);
        let inner = b.inner(area);
        self.body_height = inner.height;
        self.body_lines = self.body_lines.max(lines.len() as u16);
        let scroll = self.scroll.min((lines.len() as u16).saturating_sub(inner.height));
        f.render_widget(Paragraph::new(lines).scroll((scroll, 0)).block(b), area);
    }

    fn header_lines(&self, c: &Customer, w: usize, ui: &Ui) -> Vec<Line<'static>> {
        let th = ui.theme;
        let tier = c.effective_tier();
        let mut first = vec![Span::styled(ui.t(Txt::tier(tier)).to_string(), th.tier(tier))];
        if c.tier_pin.is_some() {
            first.push(Span::styled(format!(" ({})", ui.t(Txt::Pinned)), th.dim()));
        }
        if let Some((r, f, m)) = c.rfm {
            first.push(Span::raw(format!("  RFM {r}{f}{m}")));
        }
        if let Some(s) = c.segment {
            first.push(Span::styled(format!(" {}", ui.t(Txt::segment(s))), th.dim()));
        }
        if let Some(v) = &c.vip_level {
            first.push(Span::raw(format!(
                "  {} {} · {} {}",
                ui.t(Txt::Vip),
                clean(v, th),
                self.points,
                ui.t(Txt::Points)
            )));
        }
        if !self.duplicates.is_empty() {
            let ids: Vec<String> = self.duplicates.iter().map(|d| format!("#{d}")).collect();
            first.push(Span::styled(format!("  {} {}", ui.t(Txt::PossibleDuplicate), ids.join(" ")), th.alert()));
        }
        if let Some(ch) = &self.churn {
            if !ch.lifecycle.is_empty() {
                first.push(Span::styled(format!("  {}", ui.t(Txt::lifecycle(&ch.lifecycle))), th.dim()));
            }
            if let Some(p) = ch.p_alive {
                first.push(Span::raw(format!("  P(alive) {:.0}%", p * 100.0)));
            }
            if let Some(e) = ch.expected_purchases {
                first.push(Span::styled(format!(" · {} {e:.1}", ui.t(Txt::ExpectedNext)), th.dim()));
            }
            if ch.churn_risk {
                first.push(Span::styled(format!("  {}", ui.t(Txt::AtRisk)), th.alert()));
            }
        }
        if c.on_hold {
            first.push(Span::styled(format!("  {}", ui.t(Txt::OnHold)), th.alert()));
        }
        if c.status == CustomerStatus::Archived {
            first.push(Span::styled(format!("  {}", ui.t(Txt::ArchivedBanner)), th.alert()));
        }
        if self.open_cases > 0 {
            first.push(Span::styled(format!("  {} {}", self.open_cases, ui.t(Txt::OpenComplaints)), th.alert()));
        }
        let (inv, paid, out) = self.balance;
        let field = |label: Txt, v: Option<&str>| format!("{}: {}", ui.t(label), v.unwrap_or("–"));
        let loc = [c.city.as_deref(), c.country.as_deref()].into_iter().flatten().collect::<Vec<_>>().join(", ");
        vec![
            Line::from(first),
            Line::raw(fit(
                &format!("{}   {}", field(Txt::Phone, c.phone.as_deref()), field(Txt::Email, c.email.as_deref())),
                w,
                th,
            )),
            Line::raw(fit(
                &format!(
                    "{}   {}   {}",
                    field(Txt::Company, c.company.as_deref()),
                    field(Txt::Location, (!loc.is_empty()).then_some(loc.as_str())),
                    field(Txt::Owner, c.owner.as_deref())
                ),
                w,
                th,
            )),
            Line::raw(fit(
                &format!(
                    "{}: {}   {}: {} ({} {}, {} {})",
                    ui.t(Txt::Contribution),
                    c.contribution,
                    ui.t(Txt::Outstanding),
                    out,
                    ui.t(Txt::Invoiced),
                    inv,
                    ui.t(Txt::Paid),
                    paid
                ),
                w,
                th,
            )),
        ]
    }

    /// The body as two lists of lines: (contacts, deals, reminders) and
    /// (interactions); stacked on narrow terminals.
    fn body_lines(&self, ui: &Ui, width: u16) -> (Vec<Line<'static>>, Vec<Line<'static>>) {
        let th = ui.theme;
        let w = width.saturating_sub(2) as usize;
        let head = |t: Txt, n: usize| Line::from(Span::styled(format!("{} ({n})", ui.t(t)), th.header()));
        let none = |t: Txt| Line::from(Span::styled(format!("  {}", ui.t(t)), th.dim()));
        let today = ui.today();

        let mut left = vec![head(Txt::Contacts, self.contacts.len())];
        if self.contacts.is_empty() {
            left.push(none(Txt::NoContacts));
        }
        for k in &self.contacts {
            let mut s = format!("  {}", k.name);
            for part in [k.role.as_deref(), k.phone.as_deref(), k.email.as_deref()].into_iter().flatten() {
                s += &format!(" · {part}");
            }
            if let Some(b) = k.birthday {
                s += &format!(" · {}", b.format("%m-%d"));
            }
            left.push(Line::raw(fit(&s, w, th)));
        }

        left.push(Line::raw(""));
        left.push(head(Txt::OpenDeals, self.deals.len()));
        if self.deals.is_empty() {
            left.push(none(Txt::NoOpenDeals));
        }
        for d in &self.deals {
            let late = d.expected_close.is_some_and(|e| e < today);
            let close = d.expected_close.map(|e| e.format("%Y-%m-%d").to_string()).unwrap_or_else(|| "–".into());
            let s = format!("  {} · {} · {} · {} {close}", d.stage, d.title, d.amount, ui.t(Txt::Closes));
            let mut spans = vec![Span::raw(fit(&s, w.saturating_sub(if late { 6 } else { 0 }), th))];
            if late {
                spans.push(Span::styled(format!(" {}", ui.t(Txt::Late)), th.alert()));
            }
            left.push(Line::from(spans));
        }

        left.push(Line::raw(""));
        left.push(head(Txt::OpenReminders, self.due_count.max(self.reminders.len() + self.promises.len())));
        if self.reminders.is_empty() && self.promises.is_empty() {
            left.push(none(Txt::NoOpenReminders));
        }
        let mut due: Vec<(chrono::DateTime<chrono::Utc>, String)> = self
            .reminders
            .iter()
            .map(|r| (r.due_at, format!("{} · {}", r.kind.code().replace('_', " "), r.note)))
            .chain(self.promises.iter().map(|p| (p.due_at, format!("{} · {}", ui.t(Txt::Promise), p.text))))
            .collect();
        due.sort_by_key(|(t, _)| *t);
        let more = self.due_count.max(due.len()).saturating_sub(DUE_SHOWN);
        for (at, what) in due.into_iter().take(DUE_SHOWN) {
            let local = at.with_timezone(&Local);
            let style = if local.date_naive() < today { th.alert() } else { Style::default() };
            let s = format!("  {} {}", local.format("%Y-%m-%d %H:%M"), what);
            left.push(Line::from(Span::styled(fit(&s, w, th), style)));
        }
        if more > 0 {
            left.push(Line::from(Span::styled(format!("  … +{more}"), th.dim())));
        }

        let mut right = vec![head(Txt::RecentInteractions, self.interactions.len())];
        if self.interactions.is_empty() {
            right.push(none(Txt::NoInteractions));
        }
        for i in &self.interactions {
            let when = i.occurred_at.with_timezone(&Local).format("%Y-%m-%d %H:%M");
            let arrow = match i.direction {
                crate::domain::model::Direction::Inbound => "<-",
                crate::domain::model::Direction::Outbound => "->",
            };
            let s = format!(
                "  {when} {arrow} {} · {} · {} · {}",
                ui.t(Txt::channel(i.channel)),
                i.summary,
                ui.t(Txt::outcome(i.outcome)),
                i.agent
            );
            right.push(Line::raw(fit(&s, w, th)));
        }
        let mut money = vec![Line::raw("")];
        money.push(head(Txt::Money, self.transactions.len()));
        let a = &self.ageing;
        if a.total().0 > 0 {
            money.push(Line::raw(fit(
                &format!(
                    "  {}: 0–30 {} · 31–60 {} · 61–90 {} · 90+ {}",
                    ui.t(Txt::Ageing),
                    a.buckets[0].short(),
                    a.buckets[1].short(),
                    a.buckets[2].short(),
                    a.buckets[3].short()
                ),
                w,
                th,
            )));
        }
        for t in &self.transactions {
            let s = format!(
                "  {} {:<12} {:>12}  {}",
                t.occurred_at.with_timezone(&Local).format("%Y-%m-%d"),
                t.kind.code().replace('_', " "),
                t.amount.to_string(),
                t.reference.as_deref().unwrap_or("")
            );
            money.push(Line::raw(fit(&s, w, th)));
        }

        if !self.ledger.is_empty() {
            money.push(Line::raw(""));
            money.push(Line::from(Span::styled(
                format!("{} ({} {})", ui.t(Txt::PointsLedger), self.points, ui.t(Txt::Points)),
                th.header(),
            )));
            for e in &self.ledger {
                let s = format!(
                    "  {} {:>+7} {} · {} · {}",
                    e.created_at.with_timezone(&Local).format("%Y-%m-%d"),
                    e.delta,
                    e.kind.code(),
                    e.reason,
                    e.agent
                );
                money.push(Line::raw(fit(&s, w, th)));
            }
        }
        right.extend(money);
        (left, right)
    }
}

/// One timeline entry as (kind column, text, style of the kind).
fn timeline_text(e: &Event, ui: &Ui) -> (String, String, Style) {
    let th = ui.theme;
    let opt = |s: &Option<String>| s.as_deref().map(|s| format!(" · {s}")).unwrap_or_default();
    match e {
        Event::Interaction { channel, direction, summary, outcome, agent } => {
            let arrow = match direction {
                crate::domain::model::Direction::Inbound => "<-",
                crate::domain::model::Direction::Outbound => "->",
            };
            (
                format!("{} {arrow}", ui.t(Txt::channel(*channel))),
                format!("{summary} · {} · {agent}", ui.t(Txt::outcome(*outcome))),
                Style::default(),
            )
        }
        Event::Transaction { kind, amount, reference } => {
            (kind.code().replace('_', " "), format!("{amount}{}", opt(reference)), th.dim())
        }
        Event::DealMove { title, amount, from, to, reason, agent } => {
            let what = match from {
                None => format!("{} · {to}", ui.t(Txt::EvCreated)),
                Some(f) => format!("{f} → {to}"),
            };
            (
                ui.t(Txt::EntDeal).to_lowercase(),
                format!("{title} ({}) · {what}{} · {agent}", amount.short(), opt(reason)),
                th.header(),
            )
        }
        Event::CaseOpened { title, severity, owner } => (
            ui.t(Txt::Complaint).to_string(),
            format!("{} ({}): {title}{}", ui.t(Txt::EvOpened), severity.code(), opt(owner)),
            th.alert(),
        ),
        Event::CaseClosed { title, satisfaction, owner } => (
            ui.t(Txt::Complaint).to_string(),
            format!(
                "{}: {title}{}{}",
                ui.t(Txt::EvClosed),
                satisfaction.map(|s| format!(" · {s}/5")).unwrap_or_default(),
                opt(owner)
            ),
            th.ok(),
        ),
        Event::Reminder { kind, note, status, owner } => {
            (kind.code().replace('_', " "), format!("{note} ({}){}", status.code(), opt(owner)), Style::default())
        }
        Event::Promise { text, due_at, status, agent } => (
            ui.t(Txt::Promise).to_string(),
            format!(
                "{text} · {} {} ({}) · {agent}",
                ui.t(Txt::EvDue),
                due_at.with_timezone(&Local).format("%Y-%m-%d"),
                status.code()
            ),
            Style::default(),
        ),
    }
}
