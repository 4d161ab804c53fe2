//! `portico intake`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use tracing::error;

use crate::strip_label;

#[derive(Args)]
pub struct IntakeArgs {
    /// The folder that holds partners.yaml (and themes/ for the intake's pages).
    #[arg(long, default_value = ".")]
    root: PathBuf,
    /// The address and port to listen on.
    #[arg(long, default_value = "127.0.0.1:8787")]
    listen: std::net::SocketAddr,
    /// The SQLite database that holds the referrals; keep it out of git
    /// [default: <root>/referrals.db].
    #[arg(long)]
    db: Option<PathBuf>,
    /// Where the portal is served instead of partners.yaml's base_url, as with
    /// `build --base-url`: the thank-you redirect goes there, and its pages may post.
    #[arg(long, value_name = "URL")]
    base_url: Option<String>,
    /// Referrals accepted per minute from one client address (0 turns the limit off).
    #[arg(long, value_name = "N", default_value_t = 20)]
    rate_limit: u32,
    /// Take the client's address from X-Forwarded-For: only behind a proxy that sets it.
    #[arg(long)]
    behind_proxy: bool,
    /// Seconds before a failed notification is first retried; each further wait doubles.
    #[arg(long, value_name = "SECONDS", default_value_t = 30)]
    retry_base: u64,
}

pub fn run(args: IntakeArgs) -> ExitCode {
    let base_url = match args.base_url.as_deref().map(portico::site_url::BaseUrl::parse) {
        None => None,
        Some(Ok(base)) => Some(base),
        Some(Err(reason)) => {
            error!("--base-url: {reason}; write a full URL such as `http://127.0.0.1:8000/`");
            return ExitCode::FAILURE;
        }
    };
    let options = portico::intake::IntakeOptions {
        db: args.db.unwrap_or_else(|| args.root.join("referrals.db")),
        root: args.root,
        listen: args.listen,
        deployment: portico::intake::config::Deployment {
            limits: portico::intake::config::Limits {
                submissions_per_minute: args.rate_limit,
                ..Default::default()
            },
            behind_proxy: args.behind_proxy,
            base_url,
        },
        retry_base: std::time::Duration::from_secs(args.retry_base.max(1)),
    };
    match portico::intake::run(options) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => report_error(e),
    }
}

pub fn report_error(error: portico::intake::IntakeError) -> ExitCode {
    if let portico::intake::IntakeError::Program(problems) = &error {
        for problem in problems {
            error!("{}", strip_label(problem));
        }
    }
    error!("{error}");
    ExitCode::FAILURE
}
