//! `portico statements`: each partner's statement and the program scorecard for a period.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use portico::program::Program;
use portico::statements::activity::{self, Sources};
use portico::statements::folder::Private;
use portico::statements::period::Period;
use portico::statements::{StatementError, StatementOptions};
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
    /// [default: <root>/referrals.db, unless --ledger is given].
    #[arg(long)]
    db: Option<PathBuf>,
    /// A CSV ledger of referrals, payments and outbound referrals, for firms without the
    /// intake service (see the README for its columns). With it, the database is read only
    /// when --db names it.
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
    crate::referrals::on_runtime(async move {
        let program = portico::intake::load_program(&args.root)?;
        Ok(statements(&program, args).await.map_or_else(report, |()| ExitCode::SUCCESS))
    })
}

async fn statements(program: &Program, args: StatementsArgs) -> Result<(), StatementError> {
    let out = args.out.unwrap_or_else(|| args.root.join("statements"));
    // Checked before anything is read, so a wrong --out costs nothing.
    let out = Private::new(&args.root, &out)?;
    let as_of = jiff::Timestamp::now();
    let sources = Sources::new(&args.root, args.db, args.ledger);
    let activity = activity::read(program, &sources, as_of).await?;
    let options = StatementOptions { out, period: args.period, partners: args.partners, as_of };
    let written = portico::statements::write(program, &activity, &options)?;
    for warning in &written.warnings {
        warn!("{warning}");
    }
    info!(
        "wrote {} and the scorecard for {} into {}",
        count(written.statements, "statement"),
        options.period,
        written.folder.display()
    );
    Ok(())
}

/// Reports why no statement was written: every bad ledger row first, then the reason.
fn report(problem: StatementError) -> ExitCode {
    if let StatementError::Ledger(problems) = &problem {
        for problem in problems {
            error!("{}", strip_label(problem));
        }
    }
    error!("{problem}");
    ExitCode::FAILURE
}
