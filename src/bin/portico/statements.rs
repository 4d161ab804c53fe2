//! `portico statements`: each partner's statement and the program scorecard for a period.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use portico::intake::IntakeError;
use portico::statements::activity::Activity;
use portico::statements::period::Period;
use portico::statements::{StatementOptions, folder, ledger};
use tracing::{error, info, warn};

use crate::{count, strip_label};

#[derive(Args)]
pub struct StatementsArgs {
    /// The folder that holds partners.yaml.
    #[arg(long, default_value = ".")]
    root: PathBuf,
    /// The period: a quarter (2026-Q4), a month (2026-11) or a year (2026), in UTC.
    #[arg(long, value_parser = Period::parse)]
    period: Period,
    /// The referral database `portico intake` writes
    /// [default: <root>/referrals.db, which may be missing when --ledger is given].
    #[arg(long)]
    db: Option<PathBuf>,
    /// A CSV ledger of referrals, payments and outbound referrals, for firms without the
    /// intake service (see the README for its columns).
    #[arg(long, value_name = "FILE")]
    ledger: Option<PathBuf>,
    /// The private folder to write into, never inside the published site
    /// [default: <root>/statements].
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Only this partner's statement (repeat, or separate ids with commas, for several).
    #[arg(long = "partner", value_name = "ID", value_delimiter = ',')]
    partners: Vec<String>,
}

pub fn run(args: StatementsArgs) -> ExitCode {
    crate::referrals::on_runtime(statements(args))
}

async fn statements(args: StatementsArgs) -> Result<ExitCode, IntakeError> {
    let program = portico::intake::load_program(&args.root)?;
    let options = StatementOptions {
        out: args.out.unwrap_or_else(|| args.root.join("statements")),
        root: args.root,
        period: args.period,
        partners: args.partners,
        as_of: jiff::Timestamp::now(),
    };
    // Refused before anything is read, so a wrong --out costs nothing.
    folder::refuse_published(&options.root, &options.out)
        .map_err(|e| IntakeError::Config(e.to_string()))?;
    let mut activity = Activity::default();
    let db = args.db.clone().unwrap_or_else(|| options.root.join("referrals.db"));
    if args.db.is_some() || args.ledger.is_none() || db.exists() {
        if !db.exists() {
            return Err(IntakeError::Config(format!(
                "no referral database at `{}`; pass --db with the file `portico intake` \
                 writes, or --ledger with a CSV ledger",
                db.display()
            )));
        }
        let store = portico::intake::open_store(&program, &db)
            .map_err(|e| IntakeError::Config(format!("cannot open `{}`: {e}", db.display())))?;
        activity = Activity::from_store(&store).await?;
    }
    if let Some(path) = &args.ledger {
        match ledger::read(path, &program) {
            Ok(from_ledger) => activity.extend(from_ledger),
            Err(problems) => {
                for problem in &problems {
                    error!("{}", strip_label(problem));
                }
                error!("the ledger has {}; nothing was written", count(problems.len(), "problem"));
                return Ok(ExitCode::FAILURE);
            }
        }
    }
    let written = portico::statements::write(&program, &activity, &options)
        .map_err(|e| IntakeError::Config(e.to_string()))?;
    for warning in &written.warnings {
        warn!("{warning}");
    }
    info!(
        "wrote {} and the scorecard for {} into {}",
        count(written.statements, "statement"),
        options.period,
        written.folder.display()
    );
    Ok(ExitCode::SUCCESS)
}
