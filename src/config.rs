//! config (being built).
