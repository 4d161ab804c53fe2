//! `check --external`: whether the `http(s)` addresses pages link to still answer.
//!
//! Requests run concurrently but politely: a bounded number in flight, at most two at a time to
//! one host and a pause between their starts, a timeout, and retries with backoff for answers
//! that may pass (timeouts, 429, 5xx). Addresses that answered well recently are remembered in
//! a cache file and not asked again.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use tokio::sync::Semaphore;

/// How external links are checked.
#[derive(Debug, Clone)]
pub struct ExternalOptions {
    pub timeout: Duration,
    /// Further attempts after a failure that may pass.
    pub retries: u32,
    /// Requests in flight in all.
    pub concurrency: usize,
    /// Requests in flight to one host.
    pub per_host: usize,
    /// The least time between the starts of two requests to one host.
    pub host_interval: Duration,
    /// Where answers are remembered between runs; `None` to ask every time.
    pub cache: Option<PathBuf>,
    /// How long a good answer is trusted.
    pub fresh_for: Duration,
}

impl Default for ExternalOptions {
    fn default() -> ExternalOptions {
        ExternalOptions {
            timeout: Duration::from_secs(10),
            retries: 2,
            concurrency: 16,
            per_host: 2,
            host_interval: Duration::from_millis(200),
            cache: None,
            fresh_for: Duration::from_secs(24 * 3600),
        }
    }
}

/// What an address answered.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    Fine,
    /// An HTTP status that says the page is gone or refused.
    Status(u16),
    /// No answer: a timeout, a refused connection, a name that does not resolve.
    Unreachable(String),
}

#[derive(Serialize, Deserialize, Default)]
struct Cache {
    /// Address → Unix seconds of its last good answer.
    fine: BTreeMap<String, u64>,
}

/// Asks every address once (or takes the cache's word for it) and returns each verdict.
pub fn verdicts(urls: Vec<String>, options: &ExternalOptions) -> HashMap<String, Verdict> {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build();
    let Ok(runtime) = runtime else {
        let reason = "cannot start the async runtime".to_string();
        return urls.into_iter().map(|u| (u, Verdict::Unreachable(reason.clone()))).collect();
    };
    let mut cache = options.cache.as_deref().map(read_cache).unwrap_or_default();
    let now = unix_now();
    let fresh = |url: &String| {
        cache.fine.get(url).is_some_and(|&at| now.saturating_sub(at) < options.fresh_for.as_secs())
    };
    let (known, unknown): (Vec<String>, Vec<String>) = urls.into_iter().partition(fresh);
    tracing::debug!("{} external links remembered, {} to ask", known.len(), unknown.len());
    let asked = runtime.block_on(ask_all(unknown, options));
    for (url, verdict) in &asked {
        match verdict {
            Verdict::Fine => cache.fine.insert(url.clone(), now),
            _ => cache.fine.remove(url),
        };
    }
    if let Some(path) = &options.cache
        && let Err(e) = write_cache(path, &cache)
    {
        tracing::warn!("cannot save the external link cache `{}`: {e}", path.display());
    }
    known.into_iter().map(|u| (u, Verdict::Fine)).chain(asked).collect()
}

async fn ask_all(urls: Vec<String>, options: &ExternalOptions) -> Vec<(String, Verdict)> {
    crate::intake::outbox::install_crypto();
    let client = reqwest::Client::builder()
        .timeout(options.timeout)
        .redirect(reqwest::redirect::Policy::limited(5))
        .user_agent(concat!("portico-check/", env!("CARGO_PKG_VERSION")))
        .build();
    let Ok(client) = client else {
        let reason = "cannot set up the HTTP client".to_string();
        return urls.into_iter().map(|u| (u, Verdict::Unreachable(reason.clone()))).collect();
    };
    let polite = Arc::new(Polite::new(options));
    let tasks: Vec<_> = urls
        .into_iter()
        .map(|url| {
            let (client, polite, options) = (client.clone(), Arc::clone(&polite), options.clone());
            tokio::spawn(async move {
                let verdict = ask(&client, &polite, &url, &options).await;
                (url, verdict)
            })
        })
        .collect();
    let mut verdicts = Vec::new();
    for task in tasks {
        if let Ok(answer) = task.await {
            verdicts.push(answer);
        }
    }
    verdicts
}

/// The limits shared by every request: in flight in all, per host, and spacing per host.
struct Polite {
    all: Semaphore,
    per_host: usize,
    interval: Duration,
    hosts: Mutex<HashMap<String, (Arc<Semaphore>, Instant)>>,
}

impl Polite {
    fn new(options: &ExternalOptions) -> Polite {
        Polite {
            all: Semaphore::new(options.concurrency.max(1)),
            per_host: options.per_host.max(1),
            interval: options.host_interval,
            hosts: Mutex::new(HashMap::new()),
        }
    }

    /// The host's semaphore, and how long to wait so its requests start `interval` apart.
    fn slot(&self, host: &str) -> (Arc<Semaphore>, Duration) {
        let mut hosts = self.hosts.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        let entry = hosts
            .entry(host.to_string())
            .or_insert_with(|| (Arc::new(Semaphore::new(self.per_host)), now));
        let start = entry.1.max(now);
        entry.1 = start + self.interval;
        (Arc::clone(&entry.0), start - now)
    }
}

async fn ask(
    client: &reqwest::Client,
    polite: &Polite,
    url: &str,
    options: &ExternalOptions,
) -> Verdict {
    let host = url::Url::parse(url).ok().and_then(|u| u.host_str().map(str::to_string));
    let Some(host) = host else { return Verdict::Unreachable("not a valid address".into()) };
    let mut verdict = Verdict::Unreachable("not asked".into());
    for attempt in 0..=options.retries {
        if attempt > 0 {
            tokio::time::sleep(Duration::from_millis(500) * 2u32.pow(attempt - 1)).await;
        }
        let Ok(_all) = polite.all.acquire().await else { break };
        let (host_slots, wait) = polite.slot(&host);
        let Ok(_host) = host_slots.acquire().await else { break };
        tokio::time::sleep(wait).await;
        verdict = once(client, url).await;
        let may_pass = match &verdict {
            Verdict::Fine => false,
            Verdict::Status(status) => *status == 429 || *status >= 500,
            Verdict::Unreachable(_) => true,
        };
        if !may_pass {
            break;
        }
    }
    verdict
}

/// One attempt: `HEAD`, and `GET` when the server does not do `HEAD` properly.
async fn once(client: &reqwest::Client, url: &str) -> Verdict {
    let head = client.head(url).send().await;
    let response = match head {
        Ok(r) if matches!(r.status().as_u16(), 403 | 404 | 405 | 501) => {
            client.get(url).send().await
        }
        other => other,
    };
    match response {
        Ok(r) if r.status().is_success() => Verdict::Fine,
        Ok(r) => Verdict::Status(r.status().as_u16()),
        Err(e) if e.is_timeout() => Verdict::Unreachable("no answer before the timeout".into()),
        Err(e) if e.is_connect() => Verdict::Unreachable("the connection failed".into()),
        Err(e) => Verdict::Unreachable(e.without_url().to_string()),
    }
}

fn unix_now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

fn read_cache(path: &Path) -> Cache {
    std::fs::read(path)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .unwrap_or_default()
}

fn write_cache(path: &Path, cache: &Cache) -> std::io::Result<()> {
    let folder = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    std::fs::create_dir_all(folder)?;
    let mut file = tempfile::NamedTempFile::new_in(folder)?;
    serde_json::to_writer_pretty(&mut file, cache)?;
    file.persist(path).map_err(|e| e.error)?;
    Ok(())
}
