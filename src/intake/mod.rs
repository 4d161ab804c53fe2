//! `portico intake`: the small service that takes partners' referrals.
//!
//! A referral moves through: [`guard`] (origin, rate limit) → [`http`] (content type, size,
//! answer format) → [`submission`] (allow-list, validation) → [`store`] (one durable commit
//! with its duplicate flag and queued notifications) → [`outbox`] (webhook and email, retried
//! until delivered). [`pages`] renders what a browser sees; [`status`] is the workflow ladder.

pub mod address;
pub mod config;
pub mod guard;
pub mod http;
pub mod outbox;
pub mod pages;
pub mod server;
pub mod status;
pub mod store;
pub mod submission;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Notify, watch};

use self::config::{Deployment, IntakeConfig};
use self::outbox::{Email, Outbox, Webhook};
use self::store::{SqliteStore, Store, StoreError, StoreSettings};
use crate::diagnostic::Diagnostic;
use crate::program::Program;

/// How `portico intake` was started.
#[derive(Debug, Clone)]
pub struct IntakeOptions {
    pub root: PathBuf,
    pub listen: SocketAddr,
    pub db: PathBuf,
    pub deployment: Deployment,
    /// The wait before the first retry of a failed notification.
    pub retry_base: Duration,
}

#[derive(Debug, thiserror::Error)]
pub enum IntakeError {
    #[error("`partners.yaml` has problems")]
    Program(Vec<Diagnostic>),
    #[error("{0}")]
    Config(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cannot listen on {address}: {source}")]
    Listen { address: SocketAddr, source: std::io::Error },
}

/// Reads `partners.yaml` under `root`.
pub fn load_program(root: &Path) -> Result<Program, IntakeError> {
    crate::program::load(&root.join("partners.yaml")).map_err(IntakeError::Program)
}

/// Opens the referral database with the settings `partners.yaml` gives it.
pub fn open_store(program: &Program, db: &Path) -> Result<SqliteStore, StoreError> {
    let settings = StoreSettings {
        protection_window_hours: program.intake.protection_window_hours,
        channels: outbox::channels(
            program.intake.webhook.is_some(),
            program.intake.email.is_some(),
        ),
    };
    SqliteStore::open(db, settings)
}

/// Runs the service until SIGINT or SIGTERM, then finishes the requests in flight.
pub fn run(options: IntakeOptions) -> Result<(), IntakeError> {
    let runtime = tokio::runtime::Runtime::new()
        .map_err(|e| IntakeError::Config(format!("cannot start the async runtime: {e}")))?;
    runtime.block_on(serve(options))
}

async fn serve(options: IntakeOptions) -> Result<(), IntakeError> {
    let program = load_program(&options.root)?;
    let config = IntakeConfig::new(&program, &options.deployment).map_err(IntakeError::Config)?;
    let outbox = Arc::new(Outbox {
        config: config.clone(),
        webhook: webhook(&program)?,
        email: email(&program)?,
        retry_base: options.retry_base,
    });
    let theme =
        crate::theme::Theme::load(&options.root, &program.theme).map_err(IntakeError::Program)?;
    let store: Arc<dyn Store> = Arc::new(open_store(&program, &options.db)?);
    let listener = tokio::net::TcpListener::bind(options.listen)
        .await
        .map_err(|source| IntakeError::Listen { address: options.listen, source })?;
    let address = listener
        .local_addr()
        .map_err(|source| IntakeError::Listen { address: options.listen, source })?;
    let limiter = Arc::new(guard::Limiter::new(config.limits.submissions_per_minute));
    let route = if config.route.is_empty() { "/".to_string() } else { config.route.clone() };
    let sweeper = guard::sweep_regularly(Arc::clone(&limiter));
    let wake = Arc::new(Notify::new());
    let (stop, stopped) = watch::channel(false);
    let deliveries =
        tokio::spawn(outbox::run(outbox, Arc::clone(&store), Arc::clone(&wake), stopped));
    let intake = Arc::new(http::Intake {
        config,
        store,
        pages: pages::Pages::new(theme),
        limiter,
        outbox: wake,
        last_id: Default::default(),
    });
    tracing::info!(
        "taking referrals on http://{address}{} (database `{}`)",
        route,
        options.db.display()
    );
    let connections = server::ConnectionLimits {
        per_client: (!options.deployment.behind_proxy).then_some(64),
        ..Default::default()
    };
    let stopping = async {
        shutdown_signal().await;
        tracing::info!("stopping: finishing requests in flight; the outbox is kept for next time");
    };
    server::serve(listener, http::app(intake), connections, stopping).await;
    sweeper.abort();
    let _ = stop.send(true);
    if tokio::time::timeout(Duration::from_secs(15), deliveries).await.is_err() {
        tracing::warn!("a notification was still being sent; it will be sent again on restart");
    }
    Ok(())
}

fn webhook(program: &Program) -> Result<Option<Webhook>, IntakeError> {
    let Some(settings) = &program.intake.webhook else { return Ok(None) };
    let secret = std::env::var(&settings.secret_env).unwrap_or_default();
    if secret.chars().count() < 16 {
        return Err(IntakeError::Config(format!(
            "the webhook needs a signing secret of at least 16 characters in the environment \
             variable `{}`",
            settings.secret_env
        )));
    }
    Webhook::new(settings.clone(), secret.into_bytes()).map(Some).map_err(IntakeError::Config)
}

fn email(program: &Program) -> Result<Option<Email>, IntakeError> {
    let Some(settings) = &program.intake.email else { return Ok(None) };
    let url = std::env::var(&settings.smtp_env).map_err(|_| {
        IntakeError::Config(format!(
            "email notifications need an SMTP URL such as `smtps://user:password@mail.example.com` \
             in the environment variable `{}`",
            settings.smtp_env
        ))
    })?;
    Email::new(settings.clone(), &url).map(Some).map_err(IntakeError::Config)
}

/// Resolves on Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {}
        () = terminate => {}
    }
}
