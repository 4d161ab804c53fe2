//! portico's integration tests, in one binary so that the suite links once: each module below
//! is one area of the product, driven through the library or the real `portico` binary.

mod common;

mod aliases;
mod browser;
mod check;
mod check_external;
mod corpus;
mod escaping;
mod example_portal;
mod feeds;
mod front_matter;
mod incremental;
mod intake_connections;
mod intake_http;
mod intake_notify;
mod intake_router;
mod output;
mod program_pages;
mod referral_pages;
mod serve;
mod statements;
mod structure;
mod templates;
mod tier_isolation;
mod training;
