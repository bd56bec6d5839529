//! config (being built).

pub mod rules;
