//! `portico serve`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use tracing::error;

use crate::distinct;

#[derive(Args)]
pub struct ServeArgs {
    /// The folder that holds partners.yaml, content/ and themes/.
    #[arg(long, default_value = ".")]
    root: PathBuf,
    /// The port to listen on (0 picks a free one).
    #[arg(long, short, default_value_t = 4300)]
    port: u16,
    /// The address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    bind: std::net::IpAddr,
    /// Serve only this tier (repeat, or separate ids with commas, for several).
    #[arg(long = "tier", value_name = "ID", value_delimiter = ',')]
    tiers: Vec<String>,
    /// Include pages marked `draft: true`.
    #[arg(long)]
    drafts: bool,
    /// Open the preview in a browser.
    #[arg(long)]
    open: bool,
    /// Look for edits by polling, for file systems that send no change events.
    #[arg(long)]
    poll: bool,
}

pub fn run(args: ServeArgs) -> ExitCode {
    let options = portico::serve::ServeOptions {
        root: args.root,
        bind: args.bind,
        port: args.port,
        tiers: distinct(args.tiers),
        drafts: args.drafts,
        open: args.open,
        poll: args.poll,
    };
    match portico::serve::run(options) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            error!("{e}");
            ExitCode::FAILURE
        }
    }
}
