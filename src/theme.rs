//! Colours and glyphs. With `NO_COLOR` the theme uses no colour at all,
//! only bold, reverse and underline; in ASCII mode no box-drawing glyphs.

use ratatui::style::{Color, Modifier, Style};
use ratatui::symbols::border;

use crate::domain::model::Tier;

#[derive(Debug, Clone)]
pub struct Theme {
    pub color: bool,
    pub ascii: bool,
}

impl Theme {
    /// `color` is false when `NO_COLOR` is set (to anything non-empty).
    pub fn new(ascii: bool, no_color: bool) -> Theme {
        Theme { color: !no_color, ascii }
    }

    /// Reads `NO_COLOR` from the environment.
    pub fn from_env(ascii: bool) -> Theme {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        Theme::new(ascii, no_color)
    }

    fn fg(&self, c: Color) -> Style {
        if self.color { Style::default().fg(c) } else { Style::default() }
    }

    pub fn border_set(&self) -> border::Set<'static> {
        if self.ascii {
            border::Set {
                top_left: "+",
                top_right: "+",
                bottom_left: "+",
                bottom_right: "+",
                vertical_left: "|",
                vertical_right: "|",
                horizontal_top: "-",
                horizontal_bottom: "-",
            }
        } else {
            border::PLAIN
        }
    }

    pub fn border(&self) -> Style {
        self.fg(Color::DarkGray)
    }

    pub fn focused_border(&self) -> Style {
        if self.color { Style::default().fg(Color::Cyan) } else { Style::default().add_modifier(Modifier::BOLD) }
    }

    pub fn title(&self) -> Style {
        Style::default().add_modifier(Modifier::BOLD)
    }

    /// The selected row: reverse video works on every terminal.
    pub fn selected(&self) -> Style {
        Style::default().add_modifier(Modifier::REVERSED)
    }

    pub fn dim(&self) -> Style {
        if self.color { Style::default().fg(Color::DarkGray) } else { Style::default() }
    }

    pub fn header(&self) -> Style {
        self.fg(Color::Yellow).add_modifier(Modifier::BOLD)
    }

    pub fn error(&self) -> Style {
        self.fg(Color::Red).add_modifier(Modifier::BOLD)
    }

    pub fn ok(&self) -> Style {
        self.fg(Color::Green)
    }

    /// Something that needs attention (stalled, late, on hold): bold (and
    /// red in colour), so it stands out with `NO_COLOR` too.
    pub fn alert(&self) -> Style {
        self.fg(Color::Red).add_modifier(Modifier::BOLD)
    }

    pub fn tab_active(&self) -> Style {
        if self.color {
            Style::default().fg(Color::Black).bg(Color::Cyan).add_modifier(Modifier::BOLD)
        } else {
            Style::default().add_modifier(Modifier::REVERSED | Modifier::BOLD)
        }
    }

    pub fn tier(&self, t: Tier) -> Style {
        match t {
            Tier::Top => self.fg(Color::Yellow).add_modifier(Modifier::BOLD),
            Tier::Growth => self.fg(Color::Green),
            Tier::Low => self.fg(Color::Gray),
            Tier::Negative => self.fg(Color::Red),
        }
    }

    /// The marker before the selected row.
    pub fn cursor(&self) -> &'static str {
        if self.ascii { ">" } else { "▶" }
    }

    /// The glyph that fills pyramid bands.
    pub fn band_fill(&self) -> &'static str {
        if self.ascii { "#" } else { "█" }
    }

    pub fn separator(&self) -> &'static str {
        if self.ascii { "|" } else { "│" }
    }

    /// Up and down arrows for moves between tiers.
    pub fn arrows(&self) -> (&'static str, &'static str) {
        if self.ascii { ("^", "v") } else { ("↑", "↓") }
    }

    pub fn ellipsis_scroll(&self) -> (&'static str, &'static str) {
        if self.ascii { ("<", ">") } else { ("◀", "▶") }
    }
}
