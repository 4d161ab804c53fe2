//! `portico build`: the build and its summary.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use portico::build::{BuildError, BuildOptions, BuildReport};
use portico::diagnostic::Diagnostic;
use tracing::{error, info, warn};

use crate::{count, distinct, strip_label};

#[derive(Args)]
pub struct BuildArgs {
    /// The folder that holds partners.yaml, content/ and themes/.
    #[arg(long, default_value = ".")]
    root: PathBuf,
    /// Where to write the sites, one folder per tier [default: <root>/public].
    #[arg(long, short)]
    output: Option<PathBuf>,
    /// Build only this tier (repeat, or separate ids with commas, for several).
    #[arg(long = "tier", value_name = "ID", value_delimiter = ',')]
    tiers: Vec<String>,
    /// Serve every tier under this URL instead of the program's base_url (e.g. http://127.0.0.1:8000/).
    #[arg(long)]
    base_url: Option<String>,
    /// Include pages marked `draft: true`.
    #[arg(long)]
    drafts: bool,
    /// Publish even with broken links, missing anchors or links into hidden tiers (they are
    /// reported as warnings).
    #[arg(long)]
    allow_broken_links: bool,
}

pub fn run(args: BuildArgs) -> ExitCode {
    let tiers = distinct(args.tiers);
    let options = BuildOptions {
        output: args.output.unwrap_or_else(|| args.root.join("public")),
        root: args.root,
        tiers,
        base_url: args.base_url,
        drafts: args.drafts,
        allow_broken_links: args.allow_broken_links,
    };
    info!("building {}", options.root.display());
    if options.drafts {
        warn!("drafts are included: do not publish this output");
    }
    match portico::build::build(&options) {
        Ok(report) => {
            report_warnings(&report.warnings);
            summarize(&report, &options);
            ExitCode::SUCCESS
        }
        Err(BuildError::Invalid(problems)) => {
            for problem in &problems {
                error!("{}", strip_label(problem));
            }
            error!("{}; nothing was written", BuildError::Invalid(problems));
            ExitCode::FAILURE
        }
        Err(e @ BuildError::Render(_)) => {
            error!("{e}");
            error!("nothing was written; the previous output is unchanged");
            ExitCode::FAILURE
        }
        Err(e) => {
            error!("{e}");
            ExitCode::FAILURE
        }
    }
}

/// How many warnings of one kind to print before summarising the rest.
const WARNINGS_PER_KIND: usize = 5;

/// Prints warnings, grouping repeats so a large site does not flood the terminal.
fn report_warnings(warnings: &[Diagnostic]) {
    let mut counts: std::collections::BTreeMap<&str, usize> = Default::default();
    let mut hidden = 0;
    for warning in warnings {
        let kind = warning.message.split('`').next().unwrap_or("");
        let seen = counts.entry(kind).or_default();
        *seen += 1;
        if *seen <= WARNINGS_PER_KIND {
            warn!("{}", strip_label(warning));
        } else {
            hidden += 1;
        }
    }
    if hidden > 0 {
        warn!("{hidden} more warnings like the ones above were not shown");
    }
}

/// tracing prints the level itself; drop the diagnostic's own `error:`/`warning:` label.
fn summarize(report: &BuildReport, options: &BuildOptions) {
    let tiers: Vec<String> =
        report.tiers.iter().map(|(id, pages)| format!("{id} {}", count(*pages, "page"))).collect();
    info!(
        "built {} into {} in {} ms: {}",
        count(report.tiers.len(), "tier"),
        options.output.display(),
        report.elapsed.as_millis(),
        tiers.join(", ")
    );
    let write = &report.write;
    let warnings = match report.warnings.len() {
        0 => String::new(),
        n => format!(", {}", count(n, "warning")),
    };
    info!(
        "{} written, {} unchanged, {} removed{warnings}",
        count(write.written, "file"),
        write.unchanged,
        write.removed
    );
    if !write.foreign.is_empty() {
        let shown: Vec<String> =
            write.foreign.iter().take(5).map(|p| format!("`{}`", p.display())).collect();
        let more = if write.foreign.len() > shown.len() { ", …" } else { "" };
        warn!(
            "{} in the output folder {} not written by portico and {} left in place: {}{more}",
            count(write.foreign.len(), "file"),
            if write.foreign.len() == 1 { "was" } else { "were" },
            if write.foreign.len() == 1 { "was" } else { "were" },
            shown.join(", ")
        );
    }
    if !options.tiers.is_empty() {
        info!("other tiers' folders were left as they were; a full build refreshes them");
    }
}
