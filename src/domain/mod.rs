//! Pure logic: no I/O, no terminal, no SQL.

pub mod ageing;
pub mod bgnbd;
pub mod care_figures;
pub mod care_rules;
pub mod conflict;
pub mod dates;
pub mod forecast;
pub mod history;
pub mod ical;
pub mod lifecycle;
pub mod model;
pub mod money;
pub mod pipeline;
pub mod points;
pub mod pyramid;
pub mod recurrence;
pub mod rfm;
pub mod team;
pub mod text;
pub mod vcard;
