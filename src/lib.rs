//! rapport: a customer-relationship manager that lives in the terminal.
//!
//! Dependencies point one way: `tui` → `app` → `panes` → `domain` and `repo`.

pub mod app;
pub mod cli;
pub mod config;
pub mod demo;
pub mod domain;
pub mod i18n;
pub mod keymap;
pub mod panes;
pub mod paths;
pub mod repo;
pub mod services;
pub mod theme;
pub mod tui;
