//! `rapport demo`: fill a base with realistic demo data, optionally open it.

use chrono::Local;
use clap::Args;

use super::{Cli, open_repo};
use crate::config::Config;
use crate::demo::scale::ScaleOptions;
use crate::demo::{DemoOptions, generate};

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// How many customers to make.
    #[arg(long, default_value_t = 300)]
    pub customers: usize,
    /// A large, thinner base instead (for benchmarks): SIZE customers (a
    /// number, or 10k, 100k, 1m), 10 transactions each, a deal for one in
    /// five, a reminder each; no contacts, interactions or complaints.
    #[arg(long, value_name = "SIZE", value_parser = crate::demo::scale::parse_scale, conflicts_with = "customers")]
    pub scale: Option<usize>,
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
    if let Some(size) = args.scale {
        let mut opts = ScaleOptions::new(size, Local::now().date_naive());
        opts.seed = args.seed;
        opts.stages = config.pipeline.stages.iter().map(|s| s.name.clone()).collect();
        opts.lost_reasons = config.pipeline.lost_reasons.clone();
        let started = std::time::Instant::now();
        let s = crate::demo::scale::load(&mut repo, &opts)?;
        let loaded = started.elapsed();
        crate::services::pyramid::recompute(&mut repo, config, opts.today)?;
        eprintln!(
            "{}: {} customers, {} transactions, {} deals, {} reminders; written in {:.1?}, pyramid in {:.1?}",
            repo.path().display(),
            s.customers,
            s.transactions,
            s.deals,
            s.reminders,
            loaded,
            started.elapsed() - loaded
        );
    } else {
        demo(&mut repo, config, args)?;
    }
    if args.open {
        drop(repo);
        return super::open::run(cli, config.clone());
    }
    Ok(0)
}

/// The rich demo base.
fn demo(repo: &mut crate::repo::Repo, config: &Config, args: &DemoArgs) -> anyhow::Result<()> {
    let opts = DemoOptions {
        customers: args.customers,
        seed: args.seed,
        today: Local::now().date_naive(),
        stages: config.pipeline.stages.iter().map(|s| s.name.clone()).collect(),
        lost_reasons: config.pipeline.lost_reasons.clone(),
    };
    let s = generate(repo, &opts)?;
    crate::services::pyramid::recompute(repo, config, opts.today)?;
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
    Ok(())
}
