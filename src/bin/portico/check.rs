//! `portico check`: findings for people or for machines, and an exit code for CI.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, ValueEnum};
use portico::check::{CheckOptions, Report};
use tracing::{error, info, warn};

use crate::distinct;

#[derive(Args)]
pub struct CheckArgs {
    /// The folder that holds partners.yaml, content/ and themes/.
    #[arg(long, default_value = ".")]
    root: PathBuf,
    /// Check only this tier (repeat, or separate ids with commas, for several).
    #[arg(long = "tier", value_name = "ID", value_delimiter = ',')]
    tiers: Vec<String>,
    /// Include pages marked `draft: true`.
    #[arg(long)]
    drafts: bool,
    /// How to print the findings: for people, or as one JSON document on standard output.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
    /// Fail (exit 1) on warnings too, not just on errors.
    #[arg(long)]
    deny_warnings: bool,
    /// Also check that the http(s) addresses pages link to still answer.
    #[arg(long)]
    external: bool,
    /// Seconds to wait for each external address.
    #[arg(long, value_name = "SECONDS", default_value_t = 10)]
    external_timeout: u64,
    /// Where to remember addresses that answered well, for a day
    /// [default: <root>/.portico-cache/external-links.json].
    #[arg(long, value_name = "FILE")]
    link_cache: Option<PathBuf>,
}

#[derive(Clone, Copy, PartialEq, ValueEnum)]
enum Format {
    Human,
    Json,
}

pub fn run(args: CheckArgs) -> ExitCode {
    let external = args.external.then(|| portico::check::ExternalOptions {
        timeout: std::time::Duration::from_secs(args.external_timeout.max(1)),
        cache: Some(
            args.link_cache.unwrap_or_else(|| args.root.join(".portico-cache/external-links.json")),
        ),
        ..Default::default()
    });
    let options = CheckOptions {
        root: args.root,
        tiers: distinct(args.tiers),
        drafts: args.drafts,
        external,
    };
    let report = portico::check::check(&options);
    match args.format {
        Format::Json => println!("{}", json(&report)),
        Format::Human => print_human(&report),
    }
    let failed = report.errors() > 0 || (args.deny_warnings && report.warnings() > 0);
    if failed { ExitCode::FAILURE } else { ExitCode::SUCCESS }
}

fn json(report: &Report) -> String {
    let value = serde_json::json!({
        "tiers": report.tiers,
        "errors": report.errors(),
        "warnings": report.warnings(),
        "findings": report.findings,
    });
    serde_json::to_string_pretty(&value).expect("findings serialize")
}

fn print_human(report: &Report) {
    for finding in &report.findings {
        let mut text = crate::strip_label(&finding.diagnostic);
        if !finding.tiers.is_empty() {
            text.push_str(&format!(
                "\n  in tier{}: {}",
                if finding.tiers.len() == 1 { "" } else { "s" },
                finding.tiers.join(", ")
            ));
        }
        if finding.is_error() { error!("{text}") } else { warn!("{text}") }
    }
    let tiers = report.tiers.len();
    info!(
        "checked {} tier{}: {}, {}",
        tiers,
        if tiers == 1 { "" } else { "s" },
        crate::count(report.errors(), "error"),
        crate::count(report.warnings(), "warning")
    );
}
