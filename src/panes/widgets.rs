//! Drawing helpers shared by panes: framed blocks, fitted cells, windows of
//! rows around a selection.

use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders};

use crate::domain::text;
use crate::theme::Theme;

/// A bordered block with a title, in the theme's glyphs.
pub fn block<'a>(title: &str, theme: &Theme, focused: bool) -> Block<'a> {
    let b = Block::default().borders(Borders::ALL).border_set(theme.border_set()).border_style(if focused {
        theme.focused_border()
    } else {
        theme.border()
    });
    if title.is_empty() { b } else { b.title(Span::styled(format!(" {} ", clean(title, theme)), theme.title())) }
}

/// Text from the database made safe to draw: escape sequences and control
/// characters removed; in ASCII mode nothing but ASCII is changed.
pub fn clean(s: &str, theme: &Theme) -> String {
    let s = text::sanitize(s);
    if theme.ascii { ascii_arrows(&s).replace('…', "~") } else { s }
}

/// Safe text cut or padded to exactly `cells` terminal cells.
pub fn cell(s: &str, cells: usize, theme: &Theme) -> String {
    let s = text::sanitize(s);
    let s = if theme.ascii { ascii_arrows(&s) } else { s };
    let s = text::pad(&s, cells);
    if theme.ascii { s.replace('…', "~") } else { s }
}

/// Arrows as ASCII for terminals without them (`--ascii`): `<-` `->` `^` `v`.
pub fn ascii_arrows(s: &str) -> String {
    if !s.contains(['←', '→', '↑', '↓']) {
        return s.to_string();
    }
    s.replace('←', "<-").replace('→', "->").replace('↑', "^").replace('↓', "v")
}

/// A table column: safe text in `cells - 1` cells and one space, so
/// neighbouring columns never run together.
pub fn col(s: &str, cells: usize, theme: &Theme) -> String {
    if cells == 0 {
        return String::new();
    }
    let mut out = cell(s, cells - 1, theme);
    out.push(' ');
    out
}

/// Safe text cut to at most `cells` cells.
pub fn fit(s: &str, cells: usize, theme: &Theme) -> String {
    let s = text::sanitize(s);
    let s = if theme.ascii { ascii_arrows(&s) } else { s };
    let s = text::truncate(&s, cells);
    if theme.ascii { s.replace('…', "~") } else { s }
}

/// A line of one styled span.
pub fn line<'a>(s: String, style: Style) -> Line<'a> {
    Line::from(Span::styled(s, style))
}

/// The first row to show so that `selected` is visible in `height` rows,
/// keeping the previous `top` when possible.
pub fn scroll_top(top: usize, selected: usize, height: usize) -> usize {
    if height == 0 {
        return selected;
    }
    if selected < top {
        selected
    } else if selected >= top + height {
        selected + 1 - height
    } else {
        top
    }
}

/// Centres a `w`×`h` rectangle in `area`, clamped to it.
pub fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let w = w.min(area.width);
    let h = h.min(area.height);
    Rect { x: area.x + (area.width - w) / 2, y: area.y + (area.height - h) / 2, width: w, height: h }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scrolling_keeps_selection_visible() {
        assert_eq!(scroll_top(0, 5, 10), 0);
        assert_eq!(scroll_top(0, 12, 10), 3);
        assert_eq!(scroll_top(5, 2, 10), 2);
        assert_eq!(scroll_top(3, 7, 10), 3);
    }

    #[test]
    fn ascii_mode_has_no_ellipsis_glyph() {
        let t = Theme::new(true, true);
        assert_eq!(cell("abcdefgh", 4, &t), "abc~");
    }
}
