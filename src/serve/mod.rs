//! `portico serve`: build in memory, serve every tier on loopback, rebuild on each edit and
//! tell open pages to reload.
//!
//! Three parts: [`live`] holds the built site, [`http`] answers requests and streams reload
//! events, [`watch`] turns file edits into rebuilds. A broken edit never stops the server.

pub mod http;
pub mod live;
pub mod watch;

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Instant;

use tokio::sync::broadcast;

use crate::site_url::BaseUrl;
use http::AppState;
use live::{Live, LiveOptions, Reload};

/// What `portico serve` was asked to do.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    pub root: PathBuf,
    pub bind: IpAddr,
    /// 0 picks any free port.
    pub port: u16,
    pub tiers: Vec<String>,
    pub drafts: bool,
    pub open: bool,
    pub poll: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error(
        "port {port} on {bind} is in use\n  help: pass another `--port`, or `--port 0` for any free port"
    )]
    PortInUse { bind: IpAddr, port: u16 },
    #[error("cannot listen on {address}: {source}")]
    Listen { address: SocketAddr, source: std::io::Error },
    #[error("cannot watch `{path}` for edits: {source}\n  help: try `--poll`")]
    Watch { path: PathBuf, source: notify_debouncer_full::notify::Error },
    #[error("the server stopped: {0}")]
    Server(std::io::Error),
}

/// Runs the preview until Ctrl-C.
pub fn run(options: ServeOptions) -> Result<(), ServeError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(ServeError::Server)?;
    runtime.block_on(serve(options))
}

async fn serve(options: ServeOptions) -> Result<(), ServeError> {
    if !options.bind.is_loopback() {
        tracing::warn!(
            "serving on {}: anyone who can reach this address sees every tier, drafts included",
            options.bind
        );
    }
    let address = SocketAddr::new(options.bind, options.port);
    let listener =
        tokio::net::TcpListener::bind(address).await.map_err(|source| match source.kind() {
            std::io::ErrorKind::AddrInUse => {
                ServeError::PortInUse { bind: options.bind, port: options.port }
            }
            _ => ServeError::Listen { address, source },
        })?;
    let address = listener.local_addr().map_err(|source| ServeError::Listen { address, source })?;
    let url = format!("http://{address}/");
    let base = BaseUrl::parse(&url).expect("a socket address makes a valid URL");
    let live_options = LiveOptions {
        root: options.root.clone(),
        drafts: options.drafts,
        tiers: options.tiers.clone(),
        base,
    };
    let mut live = Live::new(live_options);
    let started = Instant::now();
    live.rebuild_pages();
    tracing::info!("built in {} ms", started.elapsed().as_millis());
    let current = Arc::new(RwLock::new(live.snapshot()));
    let (reloads, _) = broadcast::channel(64);
    let root_name: Arc<str> = options.root.display().to_string().into();
    let (stop, stopping) = tokio::sync::watch::channel(false);
    let state =
        AppState { current: current.clone(), reloads: reloads.clone(), root: root_name, stopping };
    // Only the watcher's thread rebuilds; requests keep reading the previous snapshot meanwhile.
    // The search index is built on a thread of its own, the first one while the server
    // already answers.
    let live = Arc::new(Mutex::new(live));
    let indexer = start_indexer(live.clone(), current.clone());

    // Events name absolute paths; compare them with absolute ones.
    let root = options.root.canonicalize().unwrap_or_else(|_| options.root.clone());
    let _watcher = watch::watch(&root, &root.join("public"), options.poll, move || {
        let started = Instant::now();
        let mut live = lock(&live);
        let reload = live.rebuild_pages();
        *current.write().unwrap_or_else(|p| p.into_inner()) = live.snapshot();
        match &reload {
            Reload::Nothing => {
                tracing::debug!("rebuilt in {} ms: nothing changed", started.elapsed().as_millis())
            }
            Reload::Pages(pages) => {
                let count = pages.len();
                let noun = if count == 1 { "page" } else { "pages" };
                tracing::info!(
                    "rebuilt in {} ms: {count} {noun} changed",
                    started.elapsed().as_millis()
                );
                tracing::debug!(
                    "changed: {}",
                    pages.iter().map(String::as_str).collect::<Vec<_>>().join(" ")
                );
            }
            Reload::Everything => tracing::info!("rebuilt in {} ms", started.elapsed().as_millis()),
        }
        // No open page is fine: nobody to tell.
        let _ = reloads.send(reload);
        let _ = indexer.send(());
    })
    .map_err(|source| ServeError::Watch { path: options.root.clone(), source })?;

    tracing::info!("serving {url} (Ctrl-C to stop)");
    if options.open {
        open_browser(&url);
    }
    axum::serve(listener, http::app(state))
        .with_graceful_shutdown(async move {
            let _ = tokio::signal::ctrl_c().await;
            tracing::info!("stopping");
            let _ = stop.send(true);
        })
        .await
        .map_err(ServeError::Server)
}

fn lock(live: &Mutex<Live>) -> std::sync::MutexGuard<'_, Live> {
    live.lock().unwrap_or_else(|p| p.into_inner())
}

/// Starts the thread that keeps the search index up to date, and returns what wakes it after
/// a rebuild. It builds an index without holding `live`, so a rebuild never waits for it: on a
/// large site an index takes seconds, and an edit made meanwhile is shown at once (its index
/// follows).
fn start_indexer(
    live: Arc<Mutex<Live>>,
    current: Arc<RwLock<Arc<live::Snapshot>>>,
) -> std::sync::mpsc::Sender<()> {
    let (wake, woken) = std::sync::mpsc::channel();
    // Pagefind splits part of its work over the rayon pool it runs in; a pool of its own keeps
    // that work from queueing ahead of a rebuild's pages in the shared one.
    let pool = rayon::ThreadPoolBuilder::new().num_threads(1).build();
    std::thread::spawn(move || {
        while woken.recv().is_ok() {
            // One pass covers every rebuild so far.
            while woken.try_recv().is_ok() {}
            match &pool {
                Ok(pool) => pool.install(|| index_until_current(&live, &current)),
                Err(_) => index_until_current(&live, &current),
            }
        }
    });
    wake.send(()).expect("the indexer is running");
    wake
}

/// Indexes the stale tiers, again while rebuilds made meanwhile leave one stale. A failure is
/// logged and tried again after the next rebuild, not over and over.
fn index_until_current(live: &Mutex<Live>, current: &RwLock<Arc<live::Snapshot>>) {
    loop {
        let stale = lock(live).stale_search();
        if stale.is_empty() {
            return;
        }
        for pending in stale {
            let started = Instant::now();
            let index = match crate::search::build(pending) {
                Ok(index) => index,
                Err(error) => {
                    tracing::error!("{error}");
                    return;
                }
            };
            let tier = index.tier().to_string();
            let mut live = lock(live);
            live.install_search(index);
            *current.write().unwrap_or_else(|p| p.into_inner()) = live.snapshot();
            tracing::debug!(
                "tier `{tier}`: search index updated in {} ms",
                started.elapsed().as_millis()
            );
        }
    }
}

fn open_browser(url: &str) {
    let opener = if cfg!(target_os = "macos") { "open" } else { "xdg-open" };
    if let Err(e) = std::process::Command::new(opener).arg(url).spawn() {
        tracing::warn!("cannot open a browser with `{opener}`: {e}; open {url} yourself");
    }
}
