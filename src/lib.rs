//! rapport: a customer-relationship manager that lives in the terminal.
//!
//! Dependencies point one way: `tui` → `app` → `panes` → `domain` and `repo`.

pub mod app;
pub mod config;
pub mod demo;
pub mod domain;
pub mod keymap;
pub mod paths;
pub mod repo;
pub mod i18n;
pub mod panes;
pub mod theme;
pub mod tui;
pub mod services;
pub mod cli;
