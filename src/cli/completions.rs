//! `rapport completions bash|zsh|fish`: a completion script on stdout, made
//! by clap_complete from the same argument definitions the parser uses, so
//! it cannot drift from the real subcommands and flags.

use clap::{Args, CommandFactory, ValueEnum};
use clap_complete::Shell;

use super::Cli;

/// The shells a script can be made for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CompletionShell {
    Bash,
    Zsh,
    Fish,
}

const COMPLETIONS_HELP: &str = "\
Install (or source from your shell's rc file):
  bash   rapport completions bash > ~/.local/share/bash-completion/completions/rapport
  zsh    rapport completions zsh > ~/.zfunc/_rapport   (with fpath+=~/.zfunc before compinit)
  fish   rapport completions fish > ~/.config/fish/completions/rapport.fish";

#[derive(Debug, Args)]
#[command(after_long_help = COMPLETIONS_HELP)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    pub shell: CompletionShell,
}

/// The completion script for `shell`, as text.
pub fn script(shell: CompletionShell) -> String {
    let shell = match shell {
        CompletionShell::Bash => Shell::Bash,
        CompletionShell::Zsh => Shell::Zsh,
        CompletionShell::Fish => Shell::Fish,
    };
    let mut cmd = Cli::command();
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut cmd, "rapport", &mut out);
    String::from_utf8_lossy(&out).into_owned()
}

pub fn run(args: &CompletionsArgs) -> anyhow::Result<i32> {
    super::emit(&script(args.shell))?;
    Ok(0)
}
