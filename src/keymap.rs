//! Key bindings: which key does which [`Action`] in which [`Context`].
//!
//! Bindings live in TOML files, one array of tables per context:
//!
//! ```toml
//! [[global]]
//! on = "q"            # a key, or a space-separated sequence such as "g g"
//! action = "quit"     # an Action in snake_case; "noop" switches the key off
//! desc = "Quit rapport"
//! desc_zh = "退出"
//! ```
//!
//! Two sets are built in (`keymaps/default.toml` and `keymaps/vim.toml`);
//! the user's `keymap.toml` overrides single keys of the chosen set.
//! A broken file is reported with its name, the line and the offending key.

use std::fmt;
use std::path::Path;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use serde::de::IntoDeserializer;
use serde::{Deserialize, Serialize};
use toml::Spanned;
use toml::de::{DeTable, DeValue};

use crate::app::Action;
use crate::config::{Lang, line_of, with_source_line};

/// The built-in default key set.
pub const DEFAULT_TOML: &str = include_str!("../keymaps/default.toml");
/// The built-in vim-style key set.
pub const VIM_TOML: &str = include_str!("../keymaps/vim.toml");

/// Names of the built-in key sets, for `ui.keymap` in the config.
pub const BUILTIN_NAMES: &[&str] = &["default", "vim"];

// ---------------------------------------------------------------------------
// Context

/// Where a binding applies. The snake_case name is the TOML section name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Context {
    /// Everywhere except [`Context::Form`] and [`Context::SearchInput`].
    Global,
    /// The customer list.
    Customers,
    /// One customer's card.
    Card,
    /// The customer pyramid.
    Pyramid,
    /// The pipeline board.
    Pipeline,
    /// Care: today's triage.
    Care,
    /// The team view: agents' figures, service levels, competitors.
    Team,
    /// A form being filled in (typed characters are text).
    Form,
    /// The search box while typing (typed characters are text).
    SearchInput,
    /// The help screen.
    Help,
}

impl Context {
    /// Every context, in the order the help screen lists them.
    pub const ALL: &'static [Context] = &[
        Context::Global,
        Context::Customers,
        Context::Card,
        Context::Pyramid,
        Context::Pipeline,
        Context::Care,
        Context::Team,
        Context::Form,
        Context::SearchInput,
        Context::Help,
    ];

    /// The TOML section name (`"search_input"`).
    pub fn name(self) -> &'static str {
        match self {
            Context::Global => "global",
            Context::Customers => "customers",
            Context::Card => "card",
            Context::Pyramid => "pyramid",
            Context::Pipeline => "pipeline",
            Context::Care => "care",
            Context::Team => "team",
            Context::Form => "form",
            Context::SearchInput => "search_input",
            Context::Help => "help",
        }
    }

    /// The context whose section name is `name`.
    pub fn from_name(name: &str) -> Option<Context> {
        Context::ALL.iter().copied().find(|c| c.name() == name)
    }

    /// Whether global bindings apply in this context. They do not where
    /// typed characters are text (forms and the search box).
    pub fn uses_global(self) -> bool {
        !matches!(self, Context::Form | Context::SearchInput)
    }
}

impl fmt::Display for Context {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

// ---------------------------------------------------------------------------
// Key

/// One key press, normalised so that a key parsed from a file and the same
/// key reported by the terminal compare equal: shift is folded into the
/// character (`G`, `?`), shift-tab is [`KeyCode::BackTab`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Key {
    pub code: KeyCode,
    pub mods: KeyModifiers,
}

const MODIFIER_NAMES: &[(&str, KeyModifiers)] = &[
    ("ctrl", KeyModifiers::CONTROL),
    ("alt", KeyModifiers::ALT),
    ("shift", KeyModifiers::SHIFT),
    ("super", KeyModifiers::SUPER),
    ("hyper", KeyModifiers::HYPER),
    ("meta", KeyModifiers::META),
];

const NAMED_KEYS: &[(&str, KeyCode)] = &[
    ("space", KeyCode::Char(' ')),
    ("enter", KeyCode::Enter),
    ("esc", KeyCode::Esc),
    ("tab", KeyCode::Tab),
    ("backtab", KeyCode::BackTab),
    ("backspace", KeyCode::Backspace),
    ("up", KeyCode::Up),
    ("down", KeyCode::Down),
    ("left", KeyCode::Left),
    ("right", KeyCode::Right),
    ("pageup", KeyCode::PageUp),
    ("pagedown", KeyCode::PageDown),
    ("home", KeyCode::Home),
    ("end", KeyCode::End),
    ("delete", KeyCode::Delete),
    ("insert", KeyCode::Insert),
];

/// Other spellings accepted in files (never produced by `Display`).
const KEY_ALIASES: &[(&str, KeyCode)] = &[
    ("return", KeyCode::Enter),
    ("escape", KeyCode::Esc),
    ("pgup", KeyCode::PageUp),
    ("pgdn", KeyCode::PageDown),
    ("del", KeyCode::Delete),
    ("ins", KeyCode::Insert),
];

impl Key {
    /// A key with the given code and modifiers, normalised.
    pub fn new(code: KeyCode, mods: KeyModifiers) -> Key {
        let mut mods = mods
            & (KeyModifiers::SHIFT
                | KeyModifiers::CONTROL
                | KeyModifiers::ALT
                | KeyModifiers::SUPER
                | KeyModifiers::HYPER
                | KeyModifiers::META);
        let shift = mods.contains(KeyModifiers::SHIFT);
        let code = match code {
            KeyCode::Char('\r') | KeyCode::Char('\n') => KeyCode::Enter,
            KeyCode::Char('\t') if shift => KeyCode::BackTab,
            KeyCode::Char('\t') => KeyCode::Tab,
            KeyCode::Char('\u{1b}') => KeyCode::Esc,
            KeyCode::Char(c) => KeyCode::Char(if shift { upper(c) } else { c }),
            KeyCode::Tab if shift => KeyCode::BackTab,
            other => other,
        };
        if matches!(code, KeyCode::Char(_) | KeyCode::BackTab) {
            mods.remove(KeyModifiers::SHIFT);
        }
        Key { code, mods }
    }

    /// A plain character key.
    pub fn char(c: char) -> Key {
        Key::new(KeyCode::Char(c), KeyModifiers::NONE)
    }

    /// The key a terminal event stands for, normalised like [`Key::parse`].
    pub fn from_event(event: &KeyEvent) -> Key {
        Key::new(event.code, event.modifiers)
    }

    /// Parses one key: a single character (`q`, `?`, `G`), a key name
    /// (`enter`, `esc`, `space`, `f5`, ...) or either of those after
    /// modifiers (`ctrl-x`, `alt-enter`, `shift-tab`).
    pub fn parse(text: &str) -> Result<Key, String> {
        if text.is_empty() {
            return Err("bad key \"\": empty".to_string());
        }
        let mut mods = KeyModifiers::NONE;
        let mut rest = text;
        while rest.chars().nth(1).is_some() {
            let Some((head, tail)) = rest.split_once('-') else {
                break;
            };
            if head.is_empty() {
                break;
            }
            let lower = head.to_ascii_lowercase();
            if tail.is_empty() {
                if MODIFIER_NAMES.iter().any(|(name, _)| *name == lower) {
                    return Err(format!("bad key {text:?}: no key after the modifier"));
                }
                break;
            }
            let found =
                MODIFIER_NAMES.iter().find(|(name, _)| *name == lower || (lower == "control" && *name == "ctrl"));
            match found {
                Some((name, m)) => {
                    if mods.contains(*m) {
                        return Err(format!("bad key {text:?}: {name} given twice"));
                    }
                    mods |= *m;
                    rest = tail;
                }
                None => {
                    return Err(format!(
                        "bad key {text:?}: unknown modifier {head:?} \
                         (use ctrl, alt, shift, super, hyper or meta)"
                    ));
                }
            }
        }
        let mut chars = rest.chars();
        let code = match (chars.next(), chars.next()) {
            (Some(c), None) => KeyCode::Char(c),
            _ => match named_key(rest) {
                Some(code) => code,
                None => {
                    return Err(format!(
                        "bad key {text:?}: expected a single character, a key name \
                         (enter, esc, tab, space, up, pagedown, f5, ...) or modifiers \
                         before one (ctrl-x)"
                    ));
                }
            },
        };
        if matches!(code, KeyCode::Char(c) if c.is_control()) {
            return Err(format!("bad key {text:?}: control characters cannot be bound; use a name"));
        }
        Ok(Key::new(code, mods))
    }

    /// Parses a space-separated sequence of keys (`"g g"`, `"ctrl-x ctrl-s"`).
    pub fn parse_seq(text: &str) -> Result<Vec<Key>, String> {
        let keys = text.split_whitespace().map(Key::parse).collect::<Result<Vec<_>, _>>()?;
        if keys.is_empty() {
            return Err(format!("bad key {text:?}: empty"));
        }
        Ok(keys)
    }
}

fn upper(c: char) -> char {
    let mut up = c.to_uppercase();
    match (up.next(), up.next()) {
        (Some(u), None) => u,
        _ => c,
    }
}

fn named_key(name: &str) -> Option<KeyCode> {
    let lower = name.to_ascii_lowercase();
    if let Some((_, code)) = NAMED_KEYS.iter().chain(KEY_ALIASES).find(|(n, _)| *n == lower) {
        return Some(*code);
    }
    let digits = lower.strip_prefix('f')?;
    if digits.is_empty() || digits.len() > 2 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    match digits.parse::<u8>() {
        Ok(n @ 1..=24) => Some(KeyCode::F(n)),
        _ => None,
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (name, m) in MODIFIER_NAMES {
            if self.mods.contains(*m) {
                write!(f, "{name}-")?;
            }
        }
        if let Some((name, _)) = NAMED_KEYS.iter().find(|(_, code)| *code == self.code) {
            return f.write_str(name);
        }
        match self.code {
            KeyCode::Char(c) => write!(f, "{c}"),
            KeyCode::F(n) => write!(f, "f{n}"),
            other => write!(f, "{}", format!("{other:?}").to_lowercase()),
        }
    }
}

/// A key sequence as text: the keys separated by spaces (`"g g"`).
pub fn keys_to_string(keys: &[Key]) -> String {
    keys.iter().map(Key::to_string).collect::<Vec<_>>().join(" ")
}

// ---------------------------------------------------------------------------
// Bindings and errors

/// One key (or key sequence) bound to an action in a context.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binding {
    pub context: Context,
    pub keys: Vec<Key>,
    pub action: Action,
    pub desc: String,
    pub desc_zh: Option<String>,
}

impl Binding {
    /// The keys as text (`"g g"`, `"ctrl-c"`).
    pub fn keys_text(&self) -> String {
        keys_to_string(&self.keys)
    }

    /// The description in the given language (English when no Chinese
    /// text was given).
    pub fn description(&self, lang: Lang) -> &str {
        match (lang, &self.desc_zh) {
            (Lang::Zh, Some(zh)) if !zh.is_empty() => zh,
            _ => &self.desc,
        }
    }
}

/// The answer to "what do these keys do here?".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lookup {
    /// The keys are bound to this action.
    Action(Action),
    /// The keys begin a longer sequence: keep collecting keys.
    Prefix,
    /// The keys are bound to nothing.
    None,
}

/// A keymap that could not be loaded: the file, the line and what is wrong.
#[derive(Debug, thiserror::Error)]
#[error("{}{}: {kind}", .file, line_suffix(*.line))]
pub struct KeymapError {
    /// The file's label (a path, or `keymaps/default.toml` for a built-in set).
    pub file: String,
    /// 1-based line of the offending text, when known.
    pub line: Option<usize>,
    pub kind: KeymapErrorKind,
}

fn line_suffix(line: Option<usize>) -> String {
    line.map(|l| format!(" line {l}")).unwrap_or_default()
}

/// What is wrong with a keymap file.
#[derive(Debug, thiserror::Error)]
pub enum KeymapErrorKind {
    /// Not valid TOML.
    #[error("{0}")]
    Syntax(String),
    /// A section that names no context.
    #[error(
        "unknown section [{section}] (expected one of: global, customers, card, pyramid, \
         pipeline, care, form, search_input, help)"
    )]
    UnknownContext { section: String },
    /// A section that is not a list of bindings.
    #[error("[{section}] must be a list of bindings, each written [[{section}]]")]
    NotAList { section: String },
    /// A binding with a field it does not know.
    #[error("unknown field \"{field}\" (expected on, action, desc, desc_zh)")]
    UnknownField { field: String },
    /// A field of the wrong type.
    #[error("\"{field}\" must be a string, not {found}")]
    NotAString { field: String, found: String },
    /// A binding without `on` or `action`.
    #[error("binding in [{context}] has no \"{field}\"{}", for_key(.key))]
    MissingField { context: Context, field: &'static str, key: Option<String> },
    /// An action name that is not an [`Action`].
    #[error("unknown action \"{action}\" for key \"{key}\"")]
    UnknownAction { action: String, key: String },
    /// A key that cannot be parsed.
    #[error("{reason}")]
    BadKey { key: String, reason: String },
    /// The same key bound twice in one context of one file.
    #[error("key \"{key}\" is bound twice in [{context}] (also on line {other_line})")]
    Duplicate { key: String, context: Context, other_line: usize },
    /// A key that is also the start of a longer sequence in the same
    /// context. `key` is the binding at the reported line, `other_key` the
    /// one it clashes with, at `other_at`.
    #[error(
        "{}: a key cannot both do something and begin a sequence; unbind one with \
         action = \"noop\"",
        prefix_clash(.key, .other_key, *.context, .other_at)
    )]
    PrefixConflict { key: String, other_key: String, context: Context, other_at: String },
    /// `ui.keymap` names neither a built-in set nor a file.
    #[error("unknown keymap (expected \"default\", \"vim\" or the path of a keymap file)")]
    UnknownKeymap,
    /// The file exists but cannot be read.
    #[error("cannot read the file: {0}")]
    Io(#[source] std::io::Error),
}

fn prefix_clash(key: &str, other_key: &str, context: Context, other_at: &str) -> String {
    if other_key.len() > key.len() {
        format!("key \"{key}\" in [{context}] is the start of \"{other_key}\" ({other_at})")
    } else {
        format!(
            "key \"{key}\" in [{context}] starts with \"{other_key}\", which is bound itself \
             ({other_at})"
        )
    }
}

fn for_key(key: &Option<String>) -> String {
    key.as_ref().map(|k| format!(" for key \"{k}\"")).unwrap_or_default()
}

// ---------------------------------------------------------------------------
// Keymap

#[derive(Debug, Clone)]
struct Origin {
    file: String,
    line: usize,
    /// 0 for the base set, 1 for the user's overrides.
    layer: u8,
}

#[derive(Debug, Clone)]
struct Entry {
    binding: Binding,
    origin: Origin,
}

/// All the bindings in force.
#[derive(Debug, Clone)]
pub struct Keymap {
    entries: Vec<Entry>,
}

impl Default for Keymap {
    /// The built-in default set (checked by the tests, so it always loads).
    fn default() -> Self {
        Keymap::builtin("default").expect("the built-in default keymap is valid")
    }
}

impl Keymap {
    /// One of the built-in sets: `"default"` or `"vim"`.
    pub fn builtin(name: &str) -> Result<Keymap, KeymapError> {
        let (src, label) = match name {
            "default" => (DEFAULT_TOML, "keymaps/default.toml"),
            "vim" => (VIM_TOML, "keymaps/vim.toml"),
            _ => {
                return Err(KeymapError { file: name.to_string(), line: None, kind: KeymapErrorKind::UnknownKeymap });
            }
        };
        Keymap::from_toml(src, label)
    }

    /// A complete keymap from TOML text; `file_label` names it in errors.
    pub fn from_toml(src: &str, file_label: &str) -> Result<Keymap, KeymapError> {
        let mut keymap = parse_file(src, file_label, 0)?;
        keymap.fill_descriptions();
        keymap.check_prefixes()?;
        Ok(keymap)
    }

    /// The keymap in force: the built-in set `name` (or, if `name` is the
    /// path of an existing file, that file), then the user's file, when it
    /// exists, overriding single keys. A user binding for the same context
    /// and keys replaces the base one, new keys are added, and
    /// `action = "noop"` switches a key off.
    pub fn load(name: &str, user_file: Option<&Path>) -> Result<Keymap, KeymapError> {
        let mut keymap = match Keymap::builtin(name) {
            Ok(keymap) => keymap,
            Err(KeymapError { kind: KeymapErrorKind::UnknownKeymap, .. }) if Path::new(name).is_file() => {
                let src = read_file(Path::new(name))?;
                Keymap::from_toml(&src, name)?
            }
            Err(e) => return Err(e),
        };
        if let Some(path) = user_file {
            match std::fs::read_to_string(path) {
                Ok(src) => {
                    let user = parse_file(&src, &path.display().to_string(), 1)?;
                    keymap.apply_overrides(user);
                    keymap.fill_descriptions();
                    keymap.check_prefixes()?;
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => {
                    return Err(KeymapError {
                        file: path.display().to_string(),
                        line: None,
                        kind: KeymapErrorKind::Io(e),
                    });
                }
            }
        }
        Ok(keymap)
    }

    /// Every binding, in file order (including `noop` ones).
    pub fn bindings(&self) -> impl Iterator<Item = &Binding> {
        self.entries.iter().map(|e| &e.binding)
    }

    /// What `pressed` does in `ctx`. A binding of the context beats a
    /// global one for the same keys; global bindings do not apply in forms
    /// or the search box.
    pub fn lookup(&self, ctx: Context, pressed: &[Key]) -> Lookup {
        if pressed.is_empty() {
            return Lookup::None;
        }
        if let Some(found) = self.lookup_in(ctx, pressed) {
            return found;
        }
        if ctx != Context::Global
            && ctx.uses_global()
            && let Some(found) = self.lookup_in(Context::Global, pressed)
        {
            return found;
        }
        Lookup::None
    }

    fn lookup_in(&self, ctx: Context, pressed: &[Key]) -> Option<Lookup> {
        let mut prefix = false;
        let mut noop = false;
        for b in self.entries.iter().map(|e| &e.binding) {
            if b.context != ctx {
                continue;
            }
            if b.action == Action::Noop {
                noop |= b.keys == pressed;
            } else if b.keys == pressed {
                return Some(Lookup::Action(b.action));
            } else if b.keys.len() > pressed.len() && b.keys.starts_with(pressed) {
                prefix = true;
            }
        }
        if prefix {
            Some(Lookup::Prefix)
        } else if noop {
            Some(Lookup::Action(Action::Noop))
        } else {
            None
        }
    }

    /// The bindings to show on the help screen: by context, then in
    /// [`Action::ALL`] order; switched-off keys are left out.
    pub fn bindings_for_help(&self) -> Vec<&Binding> {
        let mut out: Vec<&Binding> =
            self.entries.iter().map(|e| &e.binding).filter(|b| b.action != Action::Noop).collect();
        out.sort_by_key(|b| (b.context, action_rank(b.action)));
        out
    }

    /// The keys that do `action` in `ctx`, as text: the context's own keys
    /// first, then global ones that are not shadowed there.
    pub fn keys_for(&self, ctx: Context, action: Action) -> Vec<String> {
        if action == Action::Noop {
            return Vec::new();
        }
        let mut contexts = vec![ctx];
        if ctx != Context::Global && ctx.uses_global() {
            contexts.push(Context::Global);
        }
        let mut out: Vec<String> = Vec::new();
        for c in contexts {
            for b in self.entries.iter().map(|e| &e.binding) {
                if b.context == c && b.action == action && self.lookup(ctx, &b.keys) == Lookup::Action(action) {
                    let text = b.keys_text();
                    if !out.contains(&text) {
                        out.push(text);
                    }
                }
            }
        }
        out
    }

    fn apply_overrides(&mut self, user: Keymap) {
        for entry in user.entries {
            let same = self
                .entries
                .iter()
                .position(|e| e.binding.context == entry.binding.context && e.binding.keys == entry.binding.keys);
            match same {
                Some(i) => self.entries[i] = entry,
                None => self.entries.push(entry),
            }
        }
    }

    /// Bindings given without `desc` borrow the description of another
    /// binding of the same action (preferring the same context), else a
    /// description made from the action's name.
    fn fill_descriptions(&mut self) {
        for i in 0..self.entries.len() {
            if !self.entries[i].binding.desc.trim().is_empty() {
                continue;
            }
            let (ctx, action) = (self.entries[i].binding.context, self.entries[i].binding.action);
            let donor = self
                .entries
                .iter()
                .filter(|e| e.binding.action == action && !e.binding.desc.trim().is_empty())
                .min_by_key(|e| e.binding.context != ctx)
                .map(|e| (e.binding.desc.clone(), e.binding.desc_zh.clone()));
            let b = &mut self.entries[i].binding;
            match donor {
                Some((desc, desc_zh)) => {
                    b.desc = desc;
                    if b.desc_zh.is_none() {
                        b.desc_zh = desc_zh;
                    }
                }
                None => b.desc = action_title(action),
            }
        }
    }

    /// A key that does something cannot also begin a longer sequence in
    /// the same context: the longer one could never be typed.
    fn check_prefixes(&self) -> Result<(), KeymapError> {
        let live: Vec<&Entry> = self.entries.iter().filter(|e| e.binding.action != Action::Noop).collect();
        for short in &live {
            for long in &live {
                let (s, l) = (&short.binding, &long.binding);
                if s.context == l.context && l.keys.len() > s.keys.len() && l.keys.starts_with(&s.keys) {
                    // Blame the binding the user wrote (the higher layer),
                    // then the later one in the file.
                    let blame_short = (short.origin.layer, short.origin.line) >= (long.origin.layer, long.origin.line);
                    let (here, there) = if blame_short { (short, long) } else { (long, short) };
                    return Err(KeymapError {
                        file: here.origin.file.clone(),
                        line: Some(here.origin.line),
                        kind: KeymapErrorKind::PrefixConflict {
                            key: here.binding.keys_text(),
                            other_key: there.binding.keys_text(),
                            context: s.context,
                            other_at: if here.origin.file == there.origin.file {
                                format!("line {}", there.origin.line)
                            } else {
                                format!("{} line {}", there.origin.file, there.origin.line)
                            },
                        },
                    });
                }
            }
        }
        Ok(())
    }
}

fn action_rank(action: Action) -> usize {
    Action::ALL.iter().position(|a| *a == action).unwrap_or(usize::MAX)
}

/// "log_interaction" → "Log interaction".
fn action_title(action: Action) -> String {
    let name = action_name(action).replace('_', " ");
    let mut chars = name.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => name,
    }
}

/// The snake_case name of an action, as written in keymap files.
pub fn action_name(action: Action) -> String {
    match toml::Value::try_from(action) {
        Ok(toml::Value::String(s)) => s,
        _ => format!("{action:?}"),
    }
}

fn parse_action(name: &str) -> Option<Action> {
    let de: serde::de::value::StrDeserializer<'_, serde::de::value::Error> = name.into_deserializer();
    Action::deserialize(de).ok()
}

fn read_file(path: &Path) -> Result<String, KeymapError> {
    std::fs::read_to_string(path).map_err(|e| KeymapError {
        file: path.display().to_string(),
        line: None,
        kind: KeymapErrorKind::Io(e),
    })
}

fn type_name(v: &DeValue<'_>) -> String {
    match v {
        DeValue::String(_) => "a string",
        DeValue::Integer(_) => "an integer",
        DeValue::Float(_) => "a number",
        DeValue::Boolean(_) => "true/false",
        DeValue::Datetime(_) => "a date",
        DeValue::Array(_) => "a list",
        DeValue::Table(_) => "a table",
    }
    .to_string()
}

/// Parses one file into bindings, without merging or conflict checks.
/// When several things are wrong, the first in the file is reported.
fn parse_file(src: &str, label: &str, layer: u8) -> Result<Keymap, KeymapError> {
    let err = |offset: usize, kind: KeymapErrorKind| (offset, kind);
    let doc = DeTable::parse(src).map_err(|e| KeymapError {
        file: label.to_string(),
        line: e.span().map(|s| line_of(src, s.start)),
        kind: KeymapErrorKind::Syntax(with_source_line(src, e.message(), e.span())),
    })?;

    let mut errors: Vec<(usize, KeymapErrorKind)> = Vec::new();
    let mut entries: Vec<(usize, Entry)> = Vec::new();

    for (section, value) in doc.get_ref().iter() {
        let Some(ctx) = Context::from_name(section.get_ref()) else {
            errors.push(err(
                section.span().start,
                KeymapErrorKind::UnknownContext { section: section.get_ref().to_string() },
            ));
            continue;
        };
        let DeValue::Array(items) = value.get_ref() else {
            errors.push(err(section.span().start, KeymapErrorKind::NotAList { section: ctx.name().to_string() }));
            continue;
        };
        for item in items.iter() {
            let DeValue::Table(table) = item.get_ref() else {
                errors.push(err(item.span().start, KeymapErrorKind::NotAList { section: ctx.name().to_string() }));
                continue;
            };
            match parse_binding(ctx, item.span().start, table) {
                Ok((offset, binding)) => entries.push((
                    offset,
                    Entry { binding, origin: Origin { file: label.to_string(), line: line_of(src, offset), layer } },
                )),
                Err(e) => errors.push(e),
            }
        }
    }

    // Sections come back sorted by name; restore the file's order.
    entries.sort_by_key(|(offset, _)| *offset);
    for (i, (offset, entry)) in entries.iter().enumerate() {
        if let Some((_, first)) = entries[..i]
            .iter()
            .find(|(_, e)| e.binding.context == entry.binding.context && e.binding.keys == entry.binding.keys)
        {
            errors.push(err(
                *offset,
                KeymapErrorKind::Duplicate {
                    key: entry.binding.keys_text(),
                    context: entry.binding.context,
                    other_line: first.origin.line,
                },
            ));
        }
    }

    if let Some((offset, kind)) = errors.into_iter().min_by_key(|(offset, _)| *offset) {
        return Err(KeymapError { file: label.to_string(), line: Some(line_of(src, offset)), kind });
    }
    Ok(Keymap { entries: entries.into_iter().map(|(_, e)| e).collect() })
}

type Located = (usize, KeymapErrorKind);

/// One `[[context]]` table → a binding and the offset of its `on` value.
fn parse_binding(ctx: Context, table_offset: usize, table: &DeTable<'_>) -> Result<(usize, Binding), Located> {
    let mut on: Option<&Spanned<DeValue<'_>>> = None;
    let mut action: Option<&Spanned<DeValue<'_>>> = None;
    let mut desc: Option<&Spanned<DeValue<'_>>> = None;
    let mut desc_zh: Option<&Spanned<DeValue<'_>>> = None;
    let mut first_error: Option<Located> = None;
    let mut note = |e: Located| {
        if first_error.as_ref().is_none_or(|(o, _)| e.0 < *o) {
            first_error = Some(e);
        }
    };

    for (key, value) in table.iter() {
        let slot = match key.get_ref().as_ref() {
            "on" => &mut on,
            "action" => &mut action,
            "desc" => &mut desc,
            "desc_zh" => &mut desc_zh,
            other => {
                note((key.span().start, KeymapErrorKind::UnknownField { field: other.to_string() }));
                continue;
            }
        };
        if !matches!(value.get_ref(), DeValue::String(_)) {
            note((
                value.span().start,
                KeymapErrorKind::NotAString { field: key.get_ref().to_string(), found: type_name(value.get_ref()) },
            ));
        }
        *slot = Some(value);
    }
    let (has_on, has_action) = (on.is_some(), action.is_some());
    let text = |v: Option<&Spanned<DeValue<'_>>>| -> Option<(usize, String)> {
        match v.map(|v| (v.span().start, v.get_ref())) {
            Some((offset, DeValue::String(s))) => Some((offset, s.to_string())),
            _ => None,
        }
    };
    let on = text(on);
    let action = text(action);

    let keys = match &on {
        Some((offset, s)) => match Key::parse_seq(s) {
            Ok(keys) => Some(keys),
            Err(reason) => {
                note((*offset, KeymapErrorKind::BadKey { key: s.clone(), reason }));
                None
            }
        },
        None if has_on => None,
        None => {
            note((table_offset, KeymapErrorKind::MissingField { context: ctx, field: "on", key: None }));
            None
        }
    };
    let parsed_action = match &action {
        Some((offset, name)) => match parse_action(name) {
            Some(a) => Some(a),
            None => {
                note((
                    *offset,
                    KeymapErrorKind::UnknownAction {
                        action: name.clone(),
                        key: on.as_ref().map(|(_, s)| s.clone()).unwrap_or_default(),
                    },
                ));
                None
            }
        },
        None if has_action => None,
        None => {
            note((
                on.as_ref().map(|(o, _)| *o).unwrap_or(table_offset),
                KeymapErrorKind::MissingField {
                    context: ctx,
                    field: "action",
                    key: on.as_ref().map(|(_, s)| s.clone()),
                },
            ));
            None
        }
    };
    if let Some(e) = first_error {
        return Err(e);
    }
    let (Some(keys), Some(action), Some((offset, _))) = (keys, parsed_action, on) else {
        // Unreachable: every missing piece above records an error.
        return Err((table_offset, KeymapErrorKind::Syntax("incomplete binding".to_string())));
    };
    Ok((
        offset,
        Binding {
            context: ctx,
            keys,
            action,
            desc: text(desc).map(|(_, s)| s).unwrap_or_default(),
            desc_zh: text(desc_zh).map(|(_, s)| s).filter(|s| !s.is_empty()),
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossterm::event::KeyEvent;

    fn k(s: &str) -> Key {
        Key::parse(s).unwrap()
    }

    #[test]
    fn parses_plain_and_named_keys() {
        assert_eq!(k("q"), Key::char('q'));
        assert_eq!(k("G"), Key::char('G'));
        assert_eq!(k("?"), Key::char('?'));
        assert_eq!(k("-"), Key::char('-'));
        assert_eq!(k("space"), Key::char(' '));
        assert_eq!(k("Enter").code, KeyCode::Enter);
        assert_eq!(k("f12").code, KeyCode::F(12));
        assert_eq!(k("ctrl-c"), Key::new(KeyCode::Char('c'), KeyModifiers::CONTROL));
        assert_eq!(k("ctrl--"), Key::new(KeyCode::Char('-'), KeyModifiers::CONTROL));
        assert_eq!(k("alt-x").mods, KeyModifiers::ALT);
        assert_eq!(k("shift-tab"), Key::new(KeyCode::BackTab, KeyModifiers::NONE));
        assert_eq!(k("shift-g"), Key::char('G'));
        assert_eq!(k("backtab"), k("shift-tab"));
        assert_eq!(k("ctrl-alt-delete").mods, KeyModifiers::CONTROL | KeyModifiers::ALT);
    }

    #[test]
    fn rejects_bad_keys() {
        for bad in ["", "--", "ctlr-x", "enterr", "f0", "f25", "alt-", "ctrl-ctrl-x", "gg", "\u{7}"] {
            assert!(Key::parse(bad).is_err(), "{bad:?} should be rejected");
        }
        assert!(Key::parse("ctlr-x").unwrap_err().contains("ctlr"));
    }

    #[test]
    fn events_normalise_like_parsed_keys() {
        let shifted_g = KeyEvent::new(KeyCode::Char('G'), KeyModifiers::SHIFT);
        assert_eq!(Key::from_event(&shifted_g), k("G"));
        let shifted_lower = KeyEvent::new(KeyCode::Char('g'), KeyModifiers::SHIFT);
        assert_eq!(Key::from_event(&shifted_lower), k("G"));
        let question = KeyEvent::new(KeyCode::Char('?'), KeyModifiers::SHIFT);
        assert_eq!(Key::from_event(&question), k("?"));
        let backtab = KeyEvent::new(KeyCode::BackTab, KeyModifiers::SHIFT);
        assert_eq!(Key::from_event(&backtab), k("backtab"));
        let shift_tab = KeyEvent::new(KeyCode::Tab, KeyModifiers::SHIFT);
        assert_eq!(Key::from_event(&shift_tab), k("shift-tab"));
        let ctrl_c = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL);
        assert_eq!(Key::from_event(&ctrl_c), k("ctrl-c"));
        let shift_up = KeyEvent::new(KeyCode::Up, KeyModifiers::SHIFT);
        assert_eq!(Key::from_event(&shift_up), k("shift-up"));
    }

    #[test]
    fn display_is_canonical() {
        for (input, shown) in [
            ("ctrl-c", "ctrl-c"),
            ("Control-C", "ctrl-C"),
            ("g", "g"),
            ("ENTER", "enter"),
            ("space", "space"),
            ("shift-tab", "backtab"),
            ("pgdn", "pagedown"),
            ("F5", "f5"),
            ("alt-shift-left", "alt-shift-left"),
        ] {
            assert_eq!(k(input).to_string(), shown);
        }
        assert_eq!(keys_to_string(&Key::parse_seq("g  g").unwrap()), "g g");
    }

    #[test]
    fn action_names_round_trip() {
        for a in Action::ALL {
            assert_eq!(parse_action(&action_name(*a)), Some(*a));
        }
        assert_eq!(action_name(Action::LogInteraction), "log_interaction");
        assert_eq!(action_title(Action::LogInteraction), "Log interaction");
    }

    #[test]
    fn context_names_match_serde() {
        for c in Context::ALL {
            let v = toml::Value::try_from(c).unwrap();
            assert_eq!(v.as_str(), Some(c.name()));
            assert_eq!(Context::from_name(c.name()), Some(*c));
        }
    }

    #[test]
    fn context_beats_global_and_forms_ignore_global() {
        let km = Keymap::from_toml(
            r#"
[[global]]
on = "q"
action = "quit"
[[help]]
on = "q"
action = "back"
"#,
            "t.toml",
        )
        .unwrap();
        assert_eq!(km.lookup(Context::Help, &[k("q")]), Lookup::Action(Action::Back));
        assert_eq!(km.lookup(Context::Customers, &[k("q")]), Lookup::Action(Action::Quit));
        assert_eq!(km.lookup(Context::Form, &[k("q")]), Lookup::None);
        assert_eq!(km.lookup(Context::SearchInput, &[k("q")]), Lookup::None);
        assert_eq!(km.lookup(Context::Customers, &[]), Lookup::None);
        assert_eq!(km.keys_for(Context::Help, Action::Quit), Vec::<String>::new());
        assert_eq!(km.keys_for(Context::Card, Action::Quit), vec!["q"]);
    }

    #[test]
    fn missing_desc_is_borrowed_or_made_up() {
        let km = Keymap::from_toml(
            r#"
[[global]]
on = "q"
action = "quit"
desc = "Quit rapport"
desc_zh = "退出"
[[global]]
on = "ctrl-c"
action = "quit"
[[global]]
on = "r"
action = "refresh"
"#,
            "t.toml",
        )
        .unwrap();
        let b: Vec<&Binding> = km.bindings().collect();
        assert_eq!(b[1].desc, "Quit rapport");
        assert_eq!(b[1].description(Lang::Zh), "退出");
        assert_eq!(b[2].desc, "Refresh");
        assert_eq!(b[2].description(Lang::Zh), "Refresh");
    }

    #[test]
    fn duplicate_key_in_one_file_is_an_error() {
        let err = Keymap::from_toml(
            "[[global]]\non = \"q\"\naction = \"quit\"\n[[global]]\non = \"q\"\naction = \"help\"\n",
            "dup.toml",
        )
        .unwrap_err();
        assert_eq!(err.line, Some(5));
        assert!(err.to_string().contains("also on line 2"), "{err}");
    }
}
