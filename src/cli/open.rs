//! `rapport` with no subcommand: open the TUI.

use std::io::IsTerminal;

use chrono::Local;

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
    let mut repo = open_repo(cli, &config)?;
    if !repo.is_read_only() {
        crate::services::pyramid::recompute(&mut repo, &config, Local::now().date_naive())?;
    }
    let theme = Theme::from_env(cli.ascii || config.ui.ascii);
    let mut app = App::new(repo, config, keymap, &keymap_name, theme);
    if let Some(number) = &cli.phone {
        app.open_phone(number);
    }
    let exit = tui::run(&mut app)?;
    Ok(match exit {
        Exit::Quit => 0,
        // The conventional codes for death by SIGTERM and SIGHUP.
        Exit::Terminated => 143,
        Exit::HungUp => 129,
    })
}
