//! The terminal backend: ratatui's crossterm backend with a `draw` that
//! sends fewer bytes for the same frame, for thin terminals on slow links.
//!
//! ratatui's own `draw` moves the cursor with a full `CSI row;col H` before
//! every cell that is not right after the previous one, which includes the
//! cell after every wide (CJK) character; sends foreground and background
//! together whenever either changes; sends one escape per attribute; and
//! ends every frame with three resets. Here:
//! - the cursor's place is followed through wide characters, and a jump
//!   along the same row is a `CSI n C` (3–5 bytes instead of 6–8);
//! - one `CSI ... m` per change of style, holding only what changed;
//! - the frame ends with a reset only when the style in force is not the
//!   default.
//!
//! Where a symbol's width on the terminal could differ from what ratatui
//! assumes (emoji, combining sequences), the place is not trusted and the
//! next cell is addressed in full, as before. Everything other than `draw`
//! is the crossterm backend's.

use std::fmt::Write as _;
use std::io::{self, Write};

use ratatui::backend::{Backend, ClearType, CrosstermBackend, WindowSize};
use ratatui::buffer::Cell;
use ratatui::layout::{Position, Size};
use ratatui::style::{Color, Modifier};

pub struct LeanBackend<W: Write> {
    inner: CrosstermBackend<W>,
}

impl<W: Write> LeanBackend<W> {
    pub fn new(writer: W) -> LeanBackend<W> {
        LeanBackend { inner: CrosstermBackend::new(writer) }
    }
}

/// Escapes queued on the backend (synchronized update, cursor, clearing)
/// go straight to the writer, as with the crossterm backend.
impl<W: Write> Write for LeanBackend<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.inner.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        Write::flush(&mut self.inner)
    }
}

/// The style the terminal draws with now.
#[derive(Clone, Copy, PartialEq, Eq)]
struct Pen {
    fg: Color,
    bg: Color,
    modifier: Modifier,
}

impl Pen {
    const DEFAULT: Pen = Pen { fg: Color::Reset, bg: Color::Reset, modifier: Modifier::empty() };

    fn of(cell: &Cell) -> Pen {
        Pen { fg: cell.fg, bg: cell.bg, modifier: cell.modifier }
    }
}

/// SGR parameters of the attributes, in the order ratatui's backend sets them.
const ATTRIBUTES: [(Modifier, &str); 8] = [
    (Modifier::BOLD, "1"),
    (Modifier::DIM, "2"),
    (Modifier::ITALIC, "3"),
    (Modifier::UNDERLINED, "4"),
    (Modifier::SLOW_BLINK, "5"),
    (Modifier::RAPID_BLINK, "6"),
    (Modifier::REVERSED, "7"),
    (Modifier::HIDDEN, "8"),
];

/// The SGR parameters (without `CSI` and `m`) that take the terminal from
/// `from` to `to`; empty when they are the same.
fn style_change(from: Pen, to: Pen) -> String {
    let mut params: Vec<String> = Vec::new();
    let removed = from.modifier - to.modifier;
    let mut added = to.modifier - from.modifier;
    if removed.contains(Modifier::REVERSED) {
        params.push("27".into());
    }
    if removed.intersects(Modifier::BOLD | Modifier::DIM) {
        // One "normal intensity" ends both; put back whichever stays.
        params.push("22".into());
        added |= to.modifier & (Modifier::BOLD | Modifier::DIM);
    }
    if removed.contains(Modifier::ITALIC) {
        params.push("23".into());
    }
    if removed.contains(Modifier::UNDERLINED) {
        params.push("24".into());
    }
    if removed.intersects(Modifier::SLOW_BLINK | Modifier::RAPID_BLINK) {
        params.push("25".into());
        added |= to.modifier & (Modifier::SLOW_BLINK | Modifier::RAPID_BLINK);
    }
    if removed.contains(Modifier::HIDDEN) {
        params.push("28".into());
    }
    if removed.contains(Modifier::CROSSED_OUT) {
        params.push("29".into());
    }
    for (m, p) in ATTRIBUTES {
        if added.contains(m) {
            params.push(p.into());
        }
    }
    if added.contains(Modifier::CROSSED_OUT) {
        params.push("9".into());
    }
    if from.fg != to.fg {
        params.push(color_param(to.fg, false));
    }
    if from.bg != to.bg {
        params.push(color_param(to.bg, true));
    }
    params.join(";")
}

/// The SGR parameter of a colour (the same colours ratatui's backend sends,
/// in their shortest form).
fn color_param(c: Color, background: bool) -> String {
    let base = |index: u8| -> String {
        let code = match (index < 8, background) {
            (true, false) => 30 + index,
            (true, true) => 40 + index,
            (false, false) => 90 + index - 8,
            (false, true) => 100 + index - 8,
        };
        code.to_string()
    };
    let layer = if background { "48" } else { "38" };
    match c {
        Color::Reset => (if background { "49" } else { "39" }).into(),
        Color::Black => base(0),
        Color::Red => base(1),
        Color::Green => base(2),
        Color::Yellow => base(3),
        Color::Blue => base(4),
        Color::Magenta => base(5),
        Color::Cyan => base(6),
        Color::Gray => base(7),
        Color::DarkGray => base(8),
        Color::LightRed => base(9),
        Color::LightGreen => base(10),
        Color::LightYellow => base(11),
        Color::LightBlue => base(12),
        Color::LightMagenta => base(13),
        Color::LightCyan => base(14),
        Color::White => base(15),
        Color::Indexed(i) => format!("{layer};5;{i}"),
        Color::Rgb(r, g, b) => format!("{layer};2;{r};{g};{b}"),
    }
}

/// How far the cursor moves when `symbol` is printed, when every terminal
/// agrees on it: one printable ASCII character, or one character of the
/// planes below the emoji (box drawing, Latin, CJK, Hangul, kana) that is
/// not a combining mark. `None`: address the next cell in full.
fn trusted_width(symbol: &str) -> Option<u16> {
    let mut chars = symbol.chars();
    let c = chars.next()?;
    if chars.next().is_some() {
        return None;
    }
    if c.is_ascii() {
        return (!c.is_ascii_control()).then_some(1);
    }
    if ('\u{2600}'..='\u{27bf}').contains(&c) || c >= '\u{1f000}' || c == '\u{fe0f}' {
        return None;
    }
    match unicode_width::UnicodeWidthChar::width(c) {
        Some(w @ 1..=2) => Some(w as u16),
        _ => None,
    }
}

impl<W: Write> Backend for LeanBackend<W> {
    type Error = io::Error;

    fn draw<'a, I>(&mut self, content: I) -> io::Result<()>
    where
        I: Iterator<Item = (u16, u16, &'a Cell)>,
    {
        let out = &mut self.inner;
        let mut pen = Pen::DEFAULT;
        // Where the terminal's cursor is, when known.
        let mut at: Option<(u16, u16)> = None;
        let mut seq = String::new();
        for (x, y, cell) in content {
            seq.clear();
            match at {
                Some(p) if p == (x, y) => {}
                Some((cx, cy)) if cy == y && x > cx => {
                    let n = x - cx;
                    if n == 1 {
                        seq.push_str("\x1b[C");
                    } else {
                        let _ = write!(seq, "\x1b[{n}C");
                    }
                }
                _ => {
                    let _ = write!(seq, "\x1b[{};{}H", y + 1, x + 1);
                }
            }
            let want = Pen::of(cell);
            if want != pen {
                let _ = write!(seq, "\x1b[{}m", style_change(pen, want));
                pen = want;
            }
            seq.push_str(cell.symbol());
            out.write_all(seq.as_bytes())?;
            at = trusted_width(cell.symbol()).map(|w| (x + w, y));
        }
        if pen != Pen::DEFAULT {
            out.write_all(b"\x1b[0m")?;
        }
        Ok(())
    }

    fn append_lines(&mut self, n: u16) -> io::Result<()> {
        self.inner.append_lines(n)
    }

    fn hide_cursor(&mut self) -> io::Result<()> {
        self.inner.hide_cursor()
    }

    fn show_cursor(&mut self) -> io::Result<()> {
        self.inner.show_cursor()
    }

    fn get_cursor_position(&mut self) -> io::Result<Position> {
        self.inner.get_cursor_position()
    }

    fn set_cursor_position<P: Into<Position>>(&mut self, position: P) -> io::Result<()> {
        self.inner.set_cursor_position(position)
    }

    fn clear(&mut self) -> io::Result<()> {
        self.inner.clear()
    }

    fn clear_region(&mut self, clear_type: ClearType) -> io::Result<()> {
        self.inner.clear_region(clear_type)
    }

    fn size(&self) -> io::Result<Size> {
        self.inner.size()
    }

    fn window_size(&mut self) -> io::Result<WindowSize> {
        self.inner.window_size()
    }

    fn flush(&mut self) -> io::Result<()> {
        Backend::flush(&mut self.inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pen(fg: Color, bg: Color, modifier: Modifier) -> Pen {
        Pen { fg, bg, modifier }
    }

    #[test]
    fn a_style_change_sends_only_what_changed_in_one_sequence() {
        let plain = Pen::DEFAULT;
        assert_eq!(style_change(plain, plain), "");
        assert_eq!(style_change(plain, pen(Color::DarkGray, Color::Reset, Modifier::empty())), "90");
        assert_eq!(style_change(plain, pen(Color::Reset, Color::Reset, Modifier::REVERSED)), "7");
        let bold_yellow = pen(Color::Yellow, Color::Reset, Modifier::BOLD);
        assert_eq!(style_change(plain, bold_yellow), "1;33");
        assert_eq!(style_change(bold_yellow, plain), "22;39");
        // Dropping bold keeps dim: normal intensity, then dim again.
        let both = pen(Color::Reset, Color::Reset, Modifier::BOLD | Modifier::DIM);
        assert_eq!(style_change(both, pen(Color::Reset, Color::Reset, Modifier::DIM)), "22;2");
        assert_eq!(
            style_change(plain, pen(Color::Indexed(208), Color::Rgb(1, 2, 3), Modifier::empty())),
            "38;5;208;48;2;1;2;3"
        );
        assert_eq!(style_change(plain, pen(Color::Reset, Color::Blue, Modifier::empty())), "44");
        assert_eq!(style_change(plain, pen(Color::Reset, Color::LightCyan, Modifier::empty())), "106");
    }

    #[test]
    fn only_symbols_every_terminal_agrees_on_are_followed() {
        assert_eq!(trusted_width("a"), Some(1));
        assert_eq!(trusted_width("│"), Some(1));
        assert_eq!(trusted_width("é"), Some(1));
        assert_eq!(trusted_width("山"), Some(2));
        assert_eq!(trusted_width("한"), Some(2));
        assert_eq!(trusted_width("e\u{301}"), None);
        assert_eq!(trusted_width("😀"), None);
        assert_eq!(trusted_width("☎"), None);
        assert_eq!(trusted_width("\u{301}"), None);
        assert_eq!(trusted_width(""), None);
    }
}
