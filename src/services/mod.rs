//! Operations that combine the domain with the repository, shared by the
//! TUI and the subcommands.

pub mod care;
pub mod churn;
pub mod pyramid;
