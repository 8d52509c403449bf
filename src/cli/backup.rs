//! `rapport backup DEST`: SQLite's online backup, safe while agents work.

use std::path::PathBuf;

use clap::Args;

use super::{Cli, open_existing_repo};
use crate::config::Config;

#[derive(Debug, Args)]
pub struct BackupArgs {
    /// Where to write the copy (must not exist yet).
    pub dest: PathBuf,
}

pub fn run(cli: &Cli, config: &Config, args: &BackupArgs) -> anyhow::Result<i32> {
    if args.dest.exists() {
        anyhow::bail!("{} already exists; choose a new file name", args.dest.display());
    }
    let repo = open_existing_repo(cli, config)?;
    repo.backup_to(&args.dest)?;
    println!("backed up {} to {}", repo.path().display(), args.dest.display());
    Ok(0)
}
