//! Argument parsing and the subcommands. `rapport` alone opens the TUI.

mod backup;
mod care;
mod care_report;
mod completions;
mod customers;
mod demo;
mod export;
mod import;
mod open;
mod report;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::config::Config;
use crate::repo::Repo;

#[derive(Debug, Parser)]
#[command(name = "rapport", version, about = "A customer-relationship manager that lives in the terminal")]
pub struct Cli {
    /// The database file (default: rapport.db in your data directory).
    #[arg(long, global = true, env = "RAPPORT_DB", value_name = "PATH")]
    pub db: Option<PathBuf>,
    /// The config file (default: config.toml in your config directory).
    #[arg(long, global = true, env = "RAPPORT_CONFIG", value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// Who you are in the audit log and on interactions (default: config, then the OS user).
    #[arg(long, global = true, value_name = "NAME")]
    pub user: Option<String>,
    /// Key set: "default", "vim", or a keymap file.
    #[arg(long, value_name = "NAME")]
    pub keymap: Option<String>,
    /// Draw with ASCII characters only (no box-drawing glyphs).
    #[arg(long)]
    pub ascii: bool,
    /// A new base is made readable and writable by this group too (a team on one server; see README).
    #[arg(long, global = true, value_name = "GROUP")]
    pub shared_group: Option<String>,
    /// Open straight on the card of the customer with this phone number.
    #[arg(long, value_name = "NUMBER")]
    pub phone: Option<String>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Fill a database with realistic demo data (Latin, accented and CJK names).
    Demo(demo::DemoArgs),
    /// Copy the database with SQLite's online backup (safe while in use).
    Backup(backup::BackupArgs),
    /// Print figures as text or JSON for scripts: pyramid, pipeline, team, competitors, care, churn.
    Report(report::ReportArgs),
    /// The triage list: everything overdue or due today, Top customers first.
    Today(care::TodayArgs),
    /// Care for scripts and cron: run-rules.
    Care(care::CareArgs),
    /// Import customers, contacts or transactions from CSV (contacts also from vCard).
    Import(import::ImportArgs),
    /// Export a table as CSV or JSON (contacts also as vCard, reminders as iCalendar).
    Export(export::ExportArgs),
    /// Check the database file's integrity and schema.
    Check,
    /// A customer's VIP points: earn from sales, redeem, adjust; prints the ledger and balance.
    Points(customers::PointsArgs),
    /// Customers sharing a phone or an email (possible duplicates).
    Duplicates(customers::DuplicatesArgs),
    /// Merge customer GONE_ID into KEEP_ID (every record moves; GONE_ID is archived).
    Merge(customers::MergeArgs),
    /// Print a shell completion script (bash, zsh or fish) to stdout.
    Completions(completions::CompletionsArgs),
}

/// Runs rapport; returns the process exit code.
pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if !e.use_stderr() => e.exit(),
        // `rapport report` without a report: the help of `report`, as clap
        // writes it, is the clearest answer.
        Err(e) if e.kind() == clap::error::ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            let _ = e.print();
            return 2;
        }
        Err(e) => {
            eprintln!("rapport: {}", usage_error_line(&e.render().to_string()));
            return 2;
        }
    };
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("rapport: {e:#}");
            1
        }
    }
}

/// A usage error as clap writes it (an "error:" line, indented details,
/// a usage line, a pointer to --help) on one line: the error and its
/// details, then the usage.
fn usage_error_line(rendered: &str) -> String {
    let mut said: Vec<&str> = Vec::new();
    let mut usage = None;
    for line in rendered.lines().map(str::trim).filter(|l| !l.is_empty()) {
        if let Some(u) = line.strip_prefix("Usage: ") {
            usage = Some(u);
        } else if !line.starts_with("For more information") {
            said.push(line.strip_prefix("error: ").unwrap_or(line));
        }
    }
    let mut out = said.join(" ");
    if let Some(u) = usage {
        out.push_str(&format!(" (usage: {u}; see --help)"));
    }
    out
}

/// Runs rapport with these arguments (the first is the program name), as
/// `main` would, but returns instead of exiting: for benches and scripts
/// that drive the real command path from code.
pub fn run_args<I, T>(args: I) -> anyhow::Result<i32>
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    run(Cli::try_parse_from(args)?)
}

fn run(cli: Cli) -> anyhow::Result<i32> {
    // Completions need no config (a broken one must not break the shell).
    if let Some(Command::Completions(args)) = &cli.command {
        return completions::run(args);
    }
    let config = load_config(&cli)?;
    match &cli.command {
        None => open::run(&cli, config),
        Some(Command::Demo(args)) => demo::run(&cli, &config, args),
        Some(Command::Backup(args)) => backup::run(&cli, &config, args),
        Some(Command::Today(args)) => care::today(&cli, &config, args),
        Some(Command::Care(args)) => care::run(&cli, &config, args),
        Some(Command::Report(args)) => report::run(&cli, &config, args),
        Some(Command::Import(args)) => import::run(&cli, &config, args),
        Some(Command::Export(args)) => export::run(&cli, &config, args),
        Some(Command::Points(args)) => customers::points(&cli, &config, args),
        Some(Command::Duplicates(args)) => customers::duplicates(&cli, &config, args),
        Some(Command::Merge(args)) => customers::merge(&cli, &config, args),
        Some(Command::Completions(args)) => completions::run(args),
        Some(Command::Check) => {
            let repo = Repo::open_existing(&db_path(&cli)?, &agent(&cli, &config))?;
            repo.integrity_check()?;
            println!(
                "{}: sound (file and references checked; schema {}, {} customers)",
                repo.path().display(),
                repo.schema_version()?,
                repo.customer_count()?
            );
            Ok(0)
        }
    }
}

/// The config from `--config`, `RAPPORT_CONFIG` or the config directory.
pub fn load_config(cli: &Cli) -> anyhow::Result<Config> {
    let path = cli.config.clone().or_else(crate::paths::config_file);
    if cli.config.is_some() && path.as_ref().is_some_and(|p| !p.exists()) {
        anyhow::bail!("config file {} does not exist", path.unwrap_or_default().display());
    }
    Ok(Config::load(path.as_deref())?)
}

/// The database path from `--db`, `RAPPORT_DB` or the data directory.
pub fn db_path(cli: &Cli) -> anyhow::Result<PathBuf> {
    cli.db
        .clone()
        .or_else(crate::paths::default_db_path)
        .ok_or_else(|| anyhow::anyhow!("no data directory for this user: pass --db PATH or set RAPPORT_DB"))
}

/// Writes a command's output to stdout. A reader that went away (`| head`)
/// is not an error.
pub fn emit(text: &str) -> anyhow::Result<()> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.into()),
        _ => Ok(()),
    }
}

/// Who changes are recorded as: `--user`, else the config, else the OS user.
pub fn agent(cli: &Cli, config: &Config) -> String {
    cli.user.clone().unwrap_or_else(|| config.agent())
}

/// Opens (creating if needed) the base as the configured agent.
pub fn open_repo(cli: &Cli, config: &Config) -> anyhow::Result<Repo> {
    let path = db_path(cli)?;
    if let Some(group) = &cli.shared_group {
        use crate::repo::file_access::{Access, create_base_file, group_id};
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent)?;
        }
        create_base_file(&path, Access::Group(group_id(group)?))?;
    }
    Ok(Repo::open(&path, &agent(cli, config))?)
}

/// Opens a base that must already exist (reports, exports, backups).
pub fn open_existing_repo(cli: &Cli, config: &Config) -> anyhow::Result<Repo> {
    Ok(Repo::open_existing(&db_path(cli)?, &agent(cli, config))?)
}
