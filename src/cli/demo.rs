//! `rapport demo`: fill a base with realistic demo data, optionally open it.

use chrono::Local;
use clap::Args;

use super::{Cli, open_repo};
use crate::config::Config;
use crate::demo::{DemoOptions, generate};

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// How many customers to make.
    #[arg(long, default_value_t = 300)]
    pub customers: usize,
    /// The random seed: the same seed makes the same base.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Open the TUI on the base afterwards (if the base already has data,
    /// it is opened as it is).
    #[arg(long)]
    pub open: bool,
}

pub fn run(cli: &Cli, config: &Config, args: &DemoArgs) -> anyhow::Result<i32> {
    let mut repo = open_repo(cli, config)?;
    if repo.customer_count()? > 0 {
        if args.open {
            drop(repo);
            return super::open::run(cli, config.clone());
        }
        anyhow::bail!("{} already holds customers; demo data goes into an empty base", repo.path().display());
    }
    let opts = DemoOptions {
        customers: args.customers,
        seed: args.seed,
        today: Local::now().date_naive(),
        stages: config.pipeline.stages.iter().map(|s| s.name.clone()).collect(),
        lost_reasons: config.pipeline.lost_reasons.clone(),
    };
    let s = generate(&mut repo, &opts)?;
    crate::services::pyramid::recompute(&mut repo, config, opts.today)?;
    eprintln!(
        "{}: {} customers, {} contacts, {} interactions, {} transactions, {} deals, {} reminders, {} promises, {} complaints",
        repo.path().display(),
        s.customers,
        s.contacts,
        s.interactions,
        s.transactions,
        s.deals,
        s.reminders,
        s.promises,
        s.cases
    );
    if args.open {
        drop(repo);
        return super::open::run(cli, config.clone());
    }
    Ok(0)
}
