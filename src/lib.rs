//! portico turns a program's `partners.yaml` and its markdown content into one static site per
//! partner tier.
//!
//! The modules follow the build pipeline: [`program`] and [`content`] load and validate the
//! input, [`markdown`] renders each body once, [`tier`] decides visibility, [`render`] turns each
//! tier's view into files, [`search`] indexes each tier's rendered pages, and [`output`] writes
//! only what changed. [`build`] runs the pipeline.

#![allow(
    clippy::result_large_err,
    reason = "a Diagnostic is built only on the error path, where its size costs nothing"
)]

pub mod build;
pub mod check;
pub mod commission;
pub mod content;
pub mod diagnostic;
pub mod fingerprint;
pub mod intake;
pub mod markdown;
pub mod output;
pub mod program;
pub mod referrals;
pub mod render;
pub mod search;
pub mod serve;
pub mod site_url;
pub mod statements;
pub mod theme;
pub mod tier;
mod yaml;
