//! The preview's HTTP side: each tier under `/<tier>/`, an index of tiers at `/`, and a
//! server-sent-events stream that tells open pages to reload.
//!
//! Served HTML gets a small reload script, and an error panel while the latest build has
//! problems; nothing else differs from what `build` writes.

use std::convert::Infallible;
use std::sync::{Arc, RwLock};

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, Uri, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use tokio::sync::broadcast;
use tokio_stream::StreamExt;
use tokio_stream::wrappers::{BroadcastStream, WatchStream};

use super::live::{Reload, Snapshot};
use crate::markdown::escape;
use crate::site_url::percent_decode;

/// Where open pages listen for reloads.
pub const EVENTS_PATH: &str = "/__portico/events";

/// What every request handler shares.
#[derive(Clone)]
pub struct AppState {
    /// The snapshot being served; a rebuild swaps in a new one.
    pub current: Arc<RwLock<Arc<Snapshot>>>,
    pub reloads: broadcast::Sender<Reload>,
    /// Shown on the tier index.
    pub root: Arc<str>,
    /// Becomes `true` when the server is stopping.
    pub stopping: tokio::sync::watch::Receiver<bool>,
}

/// The preview's router; a function so tests can call it without a socket.
pub fn app(state: AppState) -> Router {
    Router::new().route(EVENTS_PATH, get(events)).fallback(get(file)).with_state(state)
}

async fn events(
    State(state): State<AppState>,
) -> Sse<impl tokio_stream::Stream<Item = Result<Event, Infallible>>> {
    // A page that fell behind missed some reloads: it reloads whatever they were.
    let reloads = BroadcastStream::new(state.reloads.subscribe())
        .map(|reload| Some(reload.unwrap_or(Reload::Everything)));
    // The stream ends when the server stops, or an open page would keep it from stopping.
    let stopping = WatchStream::new(state.stopping.clone()).filter(|stop| *stop).map(|_| None);
    let stream = reloads.merge(stopping).take_while(Option::is_some).filter_map(|reload| {
        let data = match reload? {
            Reload::Nothing => return None,
            Reload::Everything => serde_json::json!({ "reload": "*" }),
            Reload::Pages(pages) => serde_json::json!({ "reload": pages }),
        };
        Some(Ok(Event::default().data(data.to_string())))
    });
    Sse::new(stream).keep_alive(KeepAlive::default())
}

async fn file(State(state): State<AppState>, uri: Uri) -> Response {
    let live = state.current.read().unwrap_or_else(|poisoned| poisoned.into_inner()).clone();
    let path = percent_decode(uri.path());
    if path.split('/').any(|part| part == "..") {
        return (StatusCode::BAD_REQUEST, "bad path").into_response();
    }
    let trimmed = path.trim_start_matches('/');
    let (tier, rest) = trimmed.split_once('/').unwrap_or((trimmed, ""));
    if !live.tiers().iter().any(|t| t.id == tier) {
        let status = if trimmed.is_empty() { StatusCode::OK } else { StatusCode::NOT_FOUND };
        return html(status, tier_index(&live, &state.root), &live);
    }
    if !trimmed.contains('/') {
        return Redirect::permanent(&format!("/{tier}/")).into_response();
    }
    let wanted = if rest.is_empty() || rest.ends_with('/') {
        format!("{rest}index.html")
    } else {
        rest.to_string()
    };
    if let Some(served) = live.file(tier, &wanted) {
        return match served.bytes() {
            Ok(bytes) => respond(StatusCode::OK, &wanted, &bytes, &live),
            Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, format!("cannot read the file: {e}"))
                .into_response(),
        };
    }
    if live.file(tier, &format!("{rest}/index.html")).is_some() {
        return Redirect::permanent(&format!("{}/", uri.path())).into_response();
    }
    match live.file(tier, "404.html").and_then(|f| f.bytes().ok()) {
        Some(bytes) => respond(StatusCode::NOT_FOUND, "404.html", &bytes, &live),
        None => (StatusCode::NOT_FOUND, "not found").into_response(),
    }
}

fn respond(status: StatusCode, path: &str, bytes: &[u8], live: &Snapshot) -> Response {
    if path.ends_with(".html") {
        return html(status, String::from_utf8_lossy(bytes).into_owned(), live);
    }
    let mime = mime_guess::from_path(path).first_or_octet_stream();
    let mut response = (status, bytes.to_vec()).into_response();
    if let Ok(value) = HeaderValue::from_str(mime.as_ref()) {
        response.headers_mut().insert(header::CONTENT_TYPE, value);
    }
    no_store(response)
}

/// An HTML response with the reload script and, while the build is broken, the problems.
fn html(status: StatusCode, mut page: String, live: &Snapshot) -> Response {
    let mut addition = String::new();
    if !live.problems().is_empty() {
        addition.push_str(&error_panel(live.problems()));
    }
    addition.push_str(&reload_script());
    match page.rfind("</body>") {
        Some(at) => page.insert_str(at, &addition),
        None => page.push_str(&addition),
    }
    let mut response = (status, page).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
    no_store(response)
}

/// A preview must never show a cached page.
fn no_store(mut response: Response) -> Response {
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

fn reload_script() -> String {
    format!(
        "<script>(function(){{var s=new EventSource(\"{EVENTS_PATH}\");\
         s.onmessage=function(e){{var d=JSON.parse(e.data);\
         var here=location.pathname.replace(/index\\.html$/,\"\");\
         if(d.reload===\"*\"||d.reload.indexOf(here)>=0){{location.reload();}}}};}})();</script>\n"
    )
}

fn error_panel(problems: &[String]) -> String {
    let items: String = problems.iter().map(|p| format!("<pre>{}</pre>", escape(p))).collect();
    format!(
        "<div id=\"portico-errors\" role=\"alert\" style=\"position:fixed;inset:0 0 auto 0;max-height:70vh;\
         overflow:auto;z-index:2147483647;background:#fff5f5;color:#5c0d0d;border-bottom:4px solid #b42318;\
         padding:1rem 1.25rem;font:14px/1.5 ui-monospace,monospace\">\
         <strong style=\"font:600 16px system-ui,sans-serif\">The build failed; this is the last good version. \
         Fix the problem and save: the page reloads.</strong>{items}</div>\n"
    )
}

fn tier_index(live: &Snapshot, root: &str) -> String {
    let items: String = live
        .tiers()
        .iter()
        .map(|t| {
            format!(
                "<li><a href=\"/{}/\">{}</a> <code>/{}/</code></li>",
                escape(&t.id),
                escape(&t.name),
                escape(&t.id)
            )
        })
        .collect();
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>portico preview</title>\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"></head>\
         <body style=\"font:16px/1.6 system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem\">\
         <h1>Preview of {}</h1><p>Each tier's portal, as its partners will see it:</p><ul>{items}</ul></body></html>",
        escape(root)
    )
}
