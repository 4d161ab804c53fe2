//! The `portico` command: parses arguments, sets up logging and hands each subcommand to its
//! module here, which calls the library.

mod build;
mod check;
mod intake;
mod referrals;
mod serve;
mod statements;

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};
use portico::diagnostic::Diagnostic;

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
    /// Print more: the decisions behind what portico does (-vv: everything).
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
    Build(build::BuildArgs),
    /// Check every tier's links, anchors and sections, and everything build checks; writes
    /// nothing.
    Check(check::CheckArgs),
    /// Preview every tier on 127.0.0.1, rebuilding and reloading on each save.
    Serve(serve::ServeArgs),
    /// Take partners' referrals over HTTP, as the portal's referral form posts them.
    Intake(intake::IntakeArgs),
    /// Work with stored referrals: list, show, move along the status ladder, export.
    Referrals(referrals::ReferralsArgs),
    /// Write each partner's statement and the program scorecard for a period, privately.
    Statements(statements::StatementsArgs),
}

fn main() -> ExitCode {
    free_large_buffers_at_once();
    let cli = Cli::parse();
    init_logging(&cli.global);
    match cli.command {
        Command::Build(args) => build::run(args),
        Command::Check(args) => check::run(args),
        Command::Serve(args) => serve::run(args),
        Command::Intake(args) => intake::run(args),
        Command::Referrals(args) => referrals::run(args),
        Command::Statements(args) => statements::run(args),
    }
}

/// glibc raises its threshold for giving a large block its own mapping each time such a block
/// is freed. After that, a build's large short-lived buffers (a long page's HTML, a batch of
/// pages) come from the heap, where freed space stays with the process: the three tiers of the
/// 1,107-page bench corpus peaked at 58 MB instead of 44 MB. Setting the threshold, here to
/// glibc's own starting value, keeps it fixed. The preview and the intake service keep it too:
/// memory they free goes back to the system sooner.
fn free_large_buffers_at_once() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes a setting of the allocator, before any other thread exists.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 128 * 1024);
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

fn strip_label(diagnostic: &Diagnostic) -> String {
    let text = diagnostic.to_string();
    text.split_once(": ").map(|(_, rest)| rest.to_string()).unwrap_or(text)
}

/// `1 page`, `3 errors`.
pub fn count(n: usize, noun: &str) -> String {
    if n == 1 { format!("1 {noun}") } else { format!("{n} {noun}s") }
}
