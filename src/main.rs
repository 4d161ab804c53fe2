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
    /// Preview every tier on 127.0.0.1, rebuilding and reloading on each save.
    Serve(ServeArgs),
}

#[derive(Args)]
struct ServeArgs {
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

#[derive(Args)]
struct BuildArgs {
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
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(&cli.global);
    match cli.command {
        Command::Build(args) => build(args),
        Command::Serve(args) => serve(args),
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
        .event_format(Plain { ansi })
        .init();
}

/// Messages as a person reads them: milestones bare, problems labelled `warning:`/`error:`.
struct Plain {
    ansi: bool,
}

impl<S, N> tracing_subscriber::fmt::FormatEvent<S, N> for Plain
where
    S: tracing::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
    N: for<'a> tracing_subscriber::fmt::FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        context: &tracing_subscriber::fmt::FmtContext<'_, S, N>,
        mut writer: tracing_subscriber::fmt::format::Writer<'_>,
        event: &tracing::Event<'_>,
    ) -> std::fmt::Result {
        let (label, colour) = match *event.metadata().level() {
            tracing::Level::ERROR => ("error: ", "\x1b[1;31m"),
            tracing::Level::WARN => ("warning: ", "\x1b[1;33m"),
            tracing::Level::INFO => ("", ""),
            _ => ("debug: ", "\x1b[2m"),
        };
        match (self.ansi, label.is_empty()) {
            (true, false) => write!(writer, "{colour}{label}\x1b[0m")?,
            (_, false) => write!(writer, "{label}")?,
            (_, true) => {}
        }
        context.field_format().format_fields(writer.by_ref(), event)?;
        writeln!(writer)
    }
}

/// Tier ids as given, trimmed, without repeats.
fn distinct(ids: Vec<String>) -> Vec<String> {
    let mut tiers: Vec<String> = Vec::new();
    for tier in ids.into_iter().map(|t| t.trim().to_string()).filter(|t| !t.is_empty()) {
        if !tiers.contains(&tier) {
            tiers.push(tier);
        }
    }
    tiers
}

fn serve(args: ServeArgs) -> ExitCode {
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

fn build(args: BuildArgs) -> ExitCode {
    let tiers = distinct(args.tiers);
    let options = BuildOptions {
        output: args.output.unwrap_or_else(|| args.root.join("public")),
        root: args.root,
        tiers,
        base_url: args.base_url,
        drafts: args.drafts,
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
fn strip_label(diagnostic: &Diagnostic) -> String {
    let text = diagnostic.to_string();
    text.split_once(": ").map(|(_, rest)| rest.to_string()).unwrap_or(text)
}

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

/// `1 page`, `3 pages`.
fn count(n: usize, noun: &str) -> String {
    if n == 1 { format!("1 {noun}") } else { format!("{n} {noun}s") }
}
