//! The `portico` command: parses arguments, sets up logging and calls the library.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};
use portico::build::{BuildError, BuildOptions, BuildReport};
use portico::diagnostic::Diagnostic;
use tracing::{error, info, warn};

#[derive(Parser)]
#[command(name = "portico", version, about = "Build one static partner portal per tier")]
struct Cli {
    #[command(subcommand)]
    command: Command,
    #[command(flatten)]
    global: Global,
}

#[derive(Args)]
struct Global {
    /// Print less: only warnings and errors (-qq: only errors).
    #[arg(short, long, global = true, action = clap::ArgAction::Count, conflicts_with = "verbose")]
    quiet: u8,
    /// Print more: the decisions behind the build (-vv: everything).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    verbose: u8,
    /// When to use colour in messages.
    #[arg(long, global = true, value_enum, default_value_t = Color::Auto)]
    color: Color,
}

#[derive(Clone, Copy, ValueEnum)]
enum Color {
    Auto,
    Always,
    Never,
}

#[derive(Subcommand)]
enum Command {
    /// Build every tier's site (or those given with --tier) into the output folder.
    Build(BuildArgs),
}

#[derive(Args)]
struct BuildArgs {
    /// The folder that holds partners.yaml, content/ and themes/.
    #[arg(long, default_value = ".")]
    root: PathBuf,
    /// Where to write the sites, one folder per tier [default: <root>/public].
    #[arg(long, short)]
    output: Option<PathBuf>,
    /// Build only this tier (repeat for several).
    #[arg(long = "tier", value_name = "ID")]
    tiers: Vec<String>,
    /// Serve every tier under this URL instead of the program's base_url (e.g. http://127.0.0.1:8000/).
    #[arg(long)]
    base_url: Option<String>,
    /// Include pages marked `draft: true`.
    #[arg(long)]
    drafts: bool,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(&cli.global);
    match cli.command {
        Command::Build(args) => build(args),
    }
}

fn init_logging(global: &Global) {
    let level = match (global.quiet, global.verbose) {
        (0, 0) => "info",
        (1, _) => "warn",
        (_, 0) => "error",
        (_, 1) => "debug",
        _ => "trace",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("PORTICO_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(format!("portico={level},{level}")));
    let ansi = match global.color {
        Color::Always => true,
        Color::Never => false,
        Color::Auto => std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none(),
    };
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(ansi)
        .without_time()
        .with_target(false)
        .init();
}

fn build(args: BuildArgs) -> ExitCode {
    let options = BuildOptions {
        output: args.output.unwrap_or_else(|| args.root.join("public")),
        root: args.root,
        tiers: args.tiers,
        base_url: args.base_url,
        drafts: args.drafts,
    };
    info!("building {}", options.root.display());
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
        Err(e) => {
            error!("{e}; the previous output is unchanged where nothing was written");
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
fn strip_label(diagnostic: &Diagnostic) -> String {
    let text = diagnostic.to_string();
    text.split_once(": ").map(|(_, rest)| rest.to_string()).unwrap_or(text)
}

fn summarize(report: &BuildReport, options: &BuildOptions) {
    let tiers: Vec<String> =
        report.tiers.iter().map(|(id, pages)| format!("{id} {pages} pages")).collect();
    info!(
        "built {} tier{} into {} in {} ms: {}",
        report.tiers.len(),
        if report.tiers.len() == 1 { "" } else { "s" },
        options.output.display(),
        report.elapsed.as_millis(),
        tiers.join(", ")
    );
    info!(
        "{} files written, {} unchanged, {} removed",
        report.write.written, report.write.unchanged, report.write.removed
    );
}
