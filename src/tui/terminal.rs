//! Entering and leaving the alternate screen, raw mode, and the panic hook
//! that restores the terminal before the panic message is printed.

use std::io::{BufWriter, Stdout, Write};
use std::sync::atomic::{AtomicBool, Ordering};

use crossterm::cursor::{Hide, Show};
use crossterm::terminal::{
    BeginSynchronizedUpdate, Clear, ClearType, EndSynchronizedUpdate, EnterAlternateScreen, LeaveAlternateScreen,
    disable_raw_mode, enable_raw_mode,
};
use crossterm::{execute, queue};
use ratatui::Terminal;

use super::lean_backend::LeanBackend;

/// Whether the terminal is in rapport's mode (raw, alternate screen).
static ACTIVE: AtomicBool = AtomicBool::new(false);

type Backend = LeanBackend<BufWriter<Stdout>>;

/// Owns the terminal while the TUI runs; restores it when dropped.
pub struct TerminalGuard {
    terminal: Terminal<Backend>,
}

impl TerminalGuard {
    pub fn enter() -> std::io::Result<TerminalGuard> {
        enable_raw_mode()?;
        ACTIVE.store(true, Ordering::SeqCst);
        let mut out = BufWriter::with_capacity(64 * 1024, std::io::stdout());
        if let Err(e) = execute!(out, EnterAlternateScreen, Hide) {
            restore_terminal();
            return Err(e);
        }
        let terminal = Terminal::new(LeanBackend::new(out))?;
        Ok(TerminalGuard { terminal })
    }

    /// Draws one frame inside a synchronized update, so the terminal shows
    /// it whole, and sends it in one write.
    pub fn draw(&mut self, f: impl FnOnce(&mut ratatui::Frame)) -> std::io::Result<()> {
        queue!(self.terminal.backend_mut(), BeginSynchronizedUpdate)?;
        self.terminal.draw(f)?;
        queue!(self.terminal.backend_mut(), EndSynchronizedUpdate)?;
        self.terminal.backend_mut().flush()
    }

    /// Hands the terminal to another program (an editor): the normal
    /// screen, cooked mode, the cursor shown.
    pub fn suspend(&mut self) -> std::io::Result<()> {
        self.terminal.backend_mut().flush()?;
        restore_terminal();
        Ok(())
    }

    /// Takes the terminal back after [`TerminalGuard::suspend`] and redraws
    /// everything on the next frame. (Not `Terminal::clear`, which asks the
    /// terminal for the cursor position: a round trip on a slow link.)
    pub fn resume(&mut self) -> std::io::Result<()> {
        enable_raw_mode()?;
        ACTIVE.store(true, Ordering::SeqCst);
        execute!(self.terminal.backend_mut(), EnterAlternateScreen, Hide, Clear(ClearType::All))?;
        // A blank frame: the next real one then differs from it everywhere
        // and is drawn whole.
        self.draw(|f| f.render_widget(ratatui::widgets::Clear, f.area()))
    }

    pub fn autoresize(&mut self) -> std::io::Result<()> {
        self.terminal.autoresize()
    }

    /// Leaves the terminal as it was found.
    pub fn restore(self) {
        drop(self);
    }

    /// The terminal is gone (SIGHUP): write nothing more to it.
    pub fn abandon(self) {
        ACTIVE.store(false, Ordering::SeqCst);
        let _ = disable_raw_mode();
        std::mem::forget(self);
    }
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        let _ = self.terminal.backend_mut().flush();
        restore_terminal();
    }
}

/// Restores the terminal once; safe to call from a panic hook.
pub fn restore_terminal() {
    if ACTIVE.swap(false, Ordering::SeqCst) {
        let mut out = std::io::stdout();
        let _ = execute!(out, EndSynchronizedUpdate, LeaveAlternateScreen, Show);
        let _ = disable_raw_mode();
        let _ = out.flush();
    }
}

/// Restores the terminal before the previous hook prints the panic, so the
/// message is readable and the shell usable.
pub fn install_panic_hook() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        restore_terminal();
        previous(info);
    }));
}
