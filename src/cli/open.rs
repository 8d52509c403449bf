//! `rapport` with no subcommand: open the TUI.

use std::io::IsTerminal;

use super::{Cli, open_repo};
use crate::app::App;
use crate::config::Config;
use crate::keymap::Keymap;
use crate::theme::Theme;
use crate::tui::{self, Exit};

pub fn run(cli: &Cli, config: Config) -> anyhow::Result<i32> {
    if !std::io::stdout().is_terminal() || !std::io::stdin().is_terminal() {
        anyhow::bail!("the rapport screen needs a terminal; for scripts use a subcommand (rapport --help)");
    }
    let keymap_name = cli.keymap.clone().unwrap_or_else(|| config.ui.keymap.clone());
    let user_keys = crate::paths::user_keymap_file();
    let keymap = Keymap::load(&keymap_name, user_keys.as_deref())?;
    let repo = open_repo(cli, &config)?;
    let theme = Theme::from_env(cli.ascii || config.ui.ascii);
    let mut app = App::new(repo, config, keymap, &keymap_name, theme);
    // Today's tiers and snapshot, computed beside the screen.
    app.start_recompute();
    if let Some(number) = &cli.phone {
        app.open_phone(number);
    }
    app.restore_draft();
    let exit = tui::run(&mut app)?;
    if exit != Exit::Quit {
        app.save_draft();
    }
    Ok(match exit {
        Exit::Quit => 0,
        // The conventional codes for death by SIGTERM and SIGHUP.
        Exit::Terminated => 143,
        Exit::HungUp => 129,
    })
}
