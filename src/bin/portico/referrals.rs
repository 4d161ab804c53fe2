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
        #[command(flatten)]
        change: ChangeArgs,
    },
    #[command(flatten)]
    Books(BookAction),
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

/// The firm's books beside the referrals, which statements are drawn from.
#[derive(Subcommand)]
enum BookAction {
    /// Record the fees collected on a won referral, moving it to won if it is not there yet.
    ///
    /// Running it again replaces the fees, the engagement type and, with --at, the date. The
    /// notes, --author and --force go with the move to won, when there is one.
    Won {
        /// The referral's number, such as 42 or #42.
        #[arg(value_parser = referral_id)]
        id: i64,
        /// The fees collected that commission is a share of, such as 12500 or 12500.50.
        #[arg(long)]
        fees: String,
        /// The engagement type, when partners.yaml pays that type on its own terms.
        #[arg(long)]
        engagement: Option<String>,
        /// When it was won: YYYY-MM-DD (UTC) or an RFC 3339 time; it orders the year's won
        /// referrals [default: the date already recorded, else when its status became won].
        #[arg(long, value_name = "DATE")]
        at: Option<String>,
        #[command(flatten)]
        change: ChangeArgs,
    },
    /// Record commission paid to a partner.
    Paid {
        /// The partner's id in partners.yaml.
        partner: String,
        /// The sum paid, such as 1875 or 1875.50.
        amount: String,
        /// When it was paid: YYYY-MM-DD (UTC) or an RFC 3339 time.
        #[arg(long, value_name = "DATE")]
        at: String,
        /// Shown with the payment on the partner's statement, such as an invoice number.
        #[arg(long)]
        note: Option<String>,
        /// Who recorded it [default: $PORTICO_AUTHOR, else $USER].
        #[arg(long)]
        author: Option<String>,
    },
    /// Record a referral the firm sent to a partner (the partner's side of reciprocity).
    Outbound {
        /// The partner's id in partners.yaml.
        partner: String,
        /// The client organisation referred.
        #[arg(long)]
        client: String,
        /// When it was sent: YYYY-MM-DD (UTC) or an RFC 3339 time [default: now].
        #[arg(long, value_name = "DATE")]
        at: Option<String>,
        /// Where it stands with the partner.
        #[arg(long, default_value = "submitted")]
        status: portico::intake::status::Status,
        /// Who recorded it [default: $PORTICO_AUTHOR, else $USER].
        #[arg(long)]
        author: Option<String>,
    },
}

/// What goes with a move along the ladder.
#[derive(Args)]
struct ChangeArgs {
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
}

impl ChangeArgs {
    fn into_change(
        self,
        status: portico::intake::status::Status,
    ) -> portico::intake::store::StatusChange {
        portico::intake::store::StatusChange {
            status,
            author: author(self.author),
            partner_note: self.note,
            internal_note: self.internal_note,
            force: self.force,
        }
    }
}

/// Who is recorded as making a change.
fn author(given: Option<String>) -> String {
    given
        .or_else(|| std::env::var("PORTICO_AUTHOR").ok())
        .or_else(|| std::env::var("USER").ok())
        .unwrap_or_else(|| "the partner team".to_string())
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
    on_runtime(run_referrals(args))
}

/// Runs a command over the referral database on a single-threaded runtime, reporting its
/// error if it fails.
pub fn on_runtime(
    command: impl std::future::Future<Output = Result<ExitCode, portico::intake::IntakeError>>,
) -> ExitCode {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build();
    let Ok(runtime) = runtime else {
        error!("cannot start the async runtime");
        return ExitCode::FAILURE;
    };
    runtime.block_on(command).unwrap_or_else(report_error)
}

async fn run_referrals(args: ReferralsArgs) -> Result<ExitCode, portico::intake::IntakeError> {
    use portico::intake::store::{Filter, Store};
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
        ReferralsAction::Status { id, status, change } => {
            let referral = store.change_status(id, change.into_change(status)).await?;
            info!("referral #{} is now {}", referral.id, referral.status);
        }
        ReferralsAction::Books(action) => {
            info!("{}", record(&store, &program, action, now).await?);
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

/// Records a win, a payment or an outbound referral, and says what was recorded.
async fn record(
    store: &portico::intake::store::SqliteStore,
    program: &portico::program::Program,
    action: BookAction,
    now: jiff::Timestamp,
) -> Result<String, portico::intake::IntakeError> {
    use portico::intake::store::{Accounts, NewWin, Outbound, Payment};
    use portico::referrals::{engagement_type, parse_money, past_date};
    use portico::statements::period::day;
    let invalid = portico::intake::IntakeError::Config;
    let date = |text: &str| past_date(text, now).map_err(invalid);
    let money = |amount: rust_decimal::Decimal| program.commission.currency.format(amount);
    match action {
        BookAction::Won { id, fees, engagement, at, change } => {
            let win = NewWin {
                fees: parse_money(program, &fees).map_err(invalid)?,
                engagement: engagement
                    .map(|e| engagement_type(program, &e))
                    .transpose()
                    .map_err(invalid)?,
                won_at: at.as_deref().map(date).transpose()?,
                change: change.into_change(portico::intake::status::Status::Won),
            };
            let win = store.record_win(id, win).await?;
            Ok(format!("referral #{id}: won {}, fees {}", day(win.won_at), money(win.fees)))
        }
        BookAction::Paid { partner, amount, at, note, author: by } => {
            known_partner(program, &partner)?;
            let amount = parse_money(program, &amount).map_err(invalid)?;
            let (partner_id, paid_at) = (partner, date(&at)?);
            let said = format!("paid {partner_id} {} on {}", money(amount), day(paid_at));
            let payment = Payment { partner_id, paid_at, amount, note };
            store.record_payment(payment, author(by)).await?;
            Ok(said)
        }
        BookAction::Outbound { partner, client, at, status, author: by } => {
            known_partner(program, &partner)?;
            let client_org = client.trim().to_string();
            if client_org.is_empty() {
                return Err(invalid("--client is empty; name the client organisation".into()));
            }
            let sent_at = at.as_deref().map(date).transpose()?.unwrap_or(now);
            let outbound = Outbound { partner_id: partner.clone(), client_org, sent_at, status };
            let id = store.record_outbound(outbound, author(by)).await?;
            // The record and the partner by id only: the client is referral content.
            Ok(format!("recorded outbound referral {id} to `{partner}`"))
        }
    }
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
