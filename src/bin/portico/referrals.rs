//! `portico referrals`: the partner team's commands over the referral database.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Subcommand, ValueEnum};
use tracing::{error, info};

use crate::intake::report_error;

#[derive(Args)]
pub struct ReferralsArgs {
    /// The folder that holds partners.yaml.
    #[arg(long, default_value = ".")]
    root: PathBuf,
    /// The SQLite database the intake service writes.
    /// [default: <root>/referrals.db]
    #[arg(long)]
    db: Option<PathBuf>,
    #[command(subcommand)]
    action: ReferralsAction,
}

#[derive(Subcommand)]
enum ReferralsAction {
    /// List referrals, oldest first, without personal data.
    List {
        #[command(flatten)]
        filter: FilterArgs,
        /// Only referrals still unacknowledged past the response SLA.
        #[arg(long)]
        overdue: bool,
    },
    /// Show one referral in full, with its history and notification log.
    Show {
        /// The referral's number, such as 42 or #42.
        #[arg(value_parser = referral_id)]
        id: i64,
    },
    /// Move a referral along the status ladder.
    Status {
        #[arg(value_parser = referral_id)]
        id: i64,
        /// submitted, acknowledged, contacted, meeting, proposal, won, lost, declined,
        /// duplicate or expired.
        status: portico::intake::status::Status,
        /// A note the partner sees on the tracking page.
        #[arg(long)]
        note: Option<String>,
        /// A note only the firm sees.
        #[arg(long)]
        internal_note: Option<String>,
        /// Who made the change [default: $PORTICO_AUTHOR, else $USER].
        #[arg(long)]
        author: Option<String>,
        /// Allow a move the ladder does not, such as reopening a closed referral.
        #[arg(long)]
        force: bool,
    },
    /// Export referrals with their personal data, for a CRM or a spreadsheet.
    Export {
        #[command(flatten)]
        filter: FilterArgs,
        #[arg(long, value_enum, default_value_t = ExportFormat::Csv)]
        format: ExportFormat,
        /// Write to this file instead of standard output.
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
    /// List referrals not acknowledged within the program's response SLA; exits 1 while any
    /// is still waiting, for use from cron.
    Sla,
}

#[derive(Args)]
struct FilterArgs {
    /// Only this partner's referrals.
    #[arg(long)]
    partner: Option<String>,
    /// Only referrals at this status.
    #[arg(long)]
    status: Option<portico::intake::status::Status>,
}

#[derive(Clone, Copy, ValueEnum)]
enum ExportFormat {
    Csv,
    Json,
}

fn referral_id(text: &str) -> Result<i64, String> {
    text.trim_start_matches('#').parse().map_err(|_| format!("`{text}` is not a referral number"))
}

pub fn run(args: ReferralsArgs) -> ExitCode {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build();
    let Ok(runtime) = runtime else {
        error!("cannot start the async runtime");
        return ExitCode::FAILURE;
    };
    match runtime.block_on(run_referrals(args)) {
        Ok(code) => code,
        Err(e) => report_error(e),
    }
}

async fn run_referrals(args: ReferralsArgs) -> Result<ExitCode, portico::intake::IntakeError> {
    use portico::intake::store::{Filter, StatusChange, Store};
    use portico::referrals;
    let program = portico::intake::load_program(&args.root)?;
    let db = args.db.unwrap_or_else(|| args.root.join("referrals.db"));
    if !db.exists() {
        return Err(portico::intake::IntakeError::Config(format!(
            "no referral database at `{}`; pass --db with the file `portico intake` writes",
            db.display()
        )));
    }
    let store = portico::intake::open_store(&program, &db).map_err(|e| {
        portico::intake::IntakeError::Config(format!("cannot open `{}`: {e}", db.display()))
    })?;
    let filter = |f: FilterArgs| -> Result<Filter, portico::intake::IntakeError> {
        if let Some(partner) = &f.partner {
            known_partner(&program, partner)?;
        }
        Ok(Filter { partner: f.partner, status: f.status })
    };
    let now = jiff::Timestamp::now();
    match args.action {
        ReferralsAction::List { filter: f, overdue } => {
            let list = referrals::select(&store, &program, &filter(f)?, overdue).await?;
            print!("{}", referrals::table(&program, &list, now));
        }
        ReferralsAction::Show { id } => {
            let tracking = program.intake_url.as_deref().map(|u| u.trim_end_matches('/'));
            print!("{}", referrals::show(&store, &program, id, tracking).await?);
        }
        ReferralsAction::Status { id, status, note, internal_note, author, force } => {
            let author = author
                .or_else(|| std::env::var("PORTICO_AUTHOR").ok())
                .or_else(|| std::env::var("USER").ok())
                .unwrap_or_else(|| "the partner team".to_string());
            let change = StatusChange { status, author, partner_note: note, internal_note, force };
            let referral = store.change_status(id, change).await?;
            info!("referral #{} is now {}", referral.id, referral.status);
        }
        ReferralsAction::Export { filter: f, format, output } => {
            let list = referrals::select(&store, &program, &filter(f)?, false).await?;
            let format = match format {
                ExportFormat::Csv => referrals::Format::Csv,
                ExportFormat::Json => referrals::Format::Json,
            };
            write_export(&program, &list, format, output.as_deref())?;
        }
        ReferralsAction::Sla => {
            print!("{}", referrals::sla_report(&store, &program).await?);
            let overdue = referrals::select(&store, &program, &Filter::default(), true).await?;
            if !overdue.is_empty() {
                return Ok(ExitCode::FAILURE);
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Refuses a `--partner` that names no partner, instead of listing nothing.
fn known_partner(
    program: &portico::program::Program,
    id: &str,
) -> Result<(), portico::intake::IntakeError> {
    if program.partners.iter().any(|p| p.id == id) {
        return Ok(());
    }
    let ids = program.partners.iter().map(|p| p.id.as_str());
    let hint = portico::diagnostic::suggest(id, ids, |all| format!("partners: {all}"));
    Err(portico::intake::IntakeError::Config(format!("no partner `{id}` in partners.yaml; {hint}")))
}

/// Writes an export whole or not at all: to a private temporary file (mode 0600, a fresh name,
/// so no link planted beside the target is followed) renamed over the target.
fn write_export(
    program: &portico::program::Program,
    list: &[portico::intake::store::Referral],
    format: portico::referrals::Format,
    output: Option<&std::path::Path>,
) -> Result<(), portico::intake::IntakeError> {
    let failed = |path: &std::path::Path, e: std::io::Error| {
        portico::intake::IntakeError::Config(format!("cannot write `{}`: {e}", path.display()))
    };
    let Some(path) = output else {
        let stdout = std::io::stdout();
        return match portico::referrals::export(program, list, format, &mut stdout.lock()) {
            // `export | head` closes the pipe early; that is the reader's choice, not a failure.
            Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
                Err(failed(std::path::Path::new("standard output"), e))
            }
            _ => Ok(()),
        };
    };
    let folder = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => std::path::Path::new("."),
    };
    let mut temp = tempfile::NamedTempFile::new_in(folder).map_err(|e| failed(path, e))?;
    portico::referrals::export(program, list, format, temp.as_file_mut())
        .and_then(|()| temp.as_file().sync_all())
        .map_err(|e| failed(path, e))?;
    temp.persist(path).map_err(|e| failed(path, e.error))?;
    info!("exported {} referrals to {}", list.len(), path.display());
    Ok(())
}
