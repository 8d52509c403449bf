//! rapport: a customer-relationship manager that lives in the terminal.
//!
//! Dependencies point one way: `tui` → `app` → `panes` → `domain` and `repo`.

pub mod app;
pub mod config;
pub mod domain;
pub mod keymap;
pub mod paths;
pub mod repo;
