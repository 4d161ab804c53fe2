//! The intake's HTTP face: the router, and how each outcome is answered to a plain HTML form
//! and to a JavaScript caller.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use http_body_util::{BodyExt, LengthLimitError, Limited};
use serde_json::json;
use tokio::sync::Notify;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::timeout::TimeoutLayer;

use super::config::{BODY_LIMIT, IntakeConfig};
use super::guard::{self, Limiter, Refusal};
use super::pages::{self, Pages};
use super::store::{NewReferral, Receipt, Store, StoreError, Submitted, Token};
use super::submission::{self, FieldErrors, Malformed, Posted};
use crate::site_url::BaseUrl;

/// Everything the handlers share.
pub struct Intake {
    pub config: IntakeConfig,
    pub store: Arc<dyn Store>,
    pub pages: Pages,
    pub limiter: Arc<Limiter>,
    /// Woken when a new notification is queued.
    pub outbox: Arc<Notify>,
    /// The newest referral id handed out, for decoy answers to bots.
    pub last_id: AtomicI64,
}

/// The service's routes with every defence in place; tests call it without a socket.
pub fn app(intake: Arc<Intake>) -> Router {
    let origins = intake.config.origins.iter().filter_map(|o| HeaderValue::from_str(o).ok());
    let cors = CorsLayer::new()
        .allow_origin(AllowOrigin::list(origins))
        .allow_methods([Method::GET, Method::POST])
        .allow_headers([header::CONTENT_TYPE, header::ACCEPT, IDEMPOTENCY_KEY])
        .expose_headers([header::LOCATION, header::RETRY_AFTER])
        .max_age(Duration::from_secs(3600));
    let timeout = intake.config.limits.request_timeout;
    let route = &intake.config.route;
    let submissions = if route.is_empty() { "/" } else { route.as_str() };
    Router::new()
        .route(submissions, post(submit))
        .route(&format!("{route}/{{token}}"), get(track))
        .route("/health", get(|| async { "ok\n" }))
        .layer(middleware::from_fn_with_state(Arc::clone(&intake), guard))
        .layer(TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, timeout))
        .layer(cors)
        .with_state(intake)
}

const IDEMPOTENCY_KEY: HeaderName = HeaderName::from_static("idempotency-key");

/// How the caller wants its answer: a page for a browser's form post, JSON for `fetch`.
#[derive(Clone, Copy, PartialEq)]
enum Wants {
    Page,
    Json,
}

impl Wants {
    fn of(headers: &HeaderMap) -> Wants {
        let text = |name| headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default();
        let accept = text(header::ACCEPT);
        let json_first =
            accept.split(',').next().is_some_and(|a| a.trim().starts_with("application/json"));
        if is_json(text(header::CONTENT_TYPE)) || json_first { Wants::Json } else { Wants::Page }
    }
}

fn is_json(content_type: &str) -> bool {
    let essence = content_type.split(';').next().unwrap_or_default().trim();
    essence.eq_ignore_ascii_case("application/json")
}

/// Says which origin was refused and how to allow it, for the engineer setting up the portal;
/// a browser only shows its user a network error.
fn refused_origin(headers: &HeaderMap) {
    let origin = headers.get(header::ORIGIN).or_else(|| headers.get(header::REFERER));
    let origin = origin.and_then(|v| v.to_str().ok()).unwrap_or("(none sent)");
    let origin: String = origin.chars().take(200).filter(|c| !c.is_control()).collect();
    tracing::info!(
        "refused a post from origin `{origin}`; if that is a portal page, add it to \
         `program.intake.origins` in partners.yaml and restart"
    );
}

/// Refuses posts from other sites and clients over their allowance, and sets the headers
/// every answer carries.
async fn guard(State(intake): State<Arc<Intake>>, request: Request, next: Next) -> Response {
    let is_post = request.method() == Method::POST;
    let wants = Wants::of(request.headers());
    let client = guard::client_address(&request, &intake.config);
    let refused =
        if is_post { guard::check_origin(request.headers(), &intake.config) } else { Ok(()) }
            .and_then(|()| intake.limiter.admit(client, is_post));
    let mut response = match refused {
        Ok(()) => next.run(request).await,
        Err(Refusal::Origin) => {
            refused_origin(request.headers());
            problem(
                &intake,
                wants,
                StatusCode::FORBIDDEN,
                "Not from the portal",
                "referrals are accepted only from the partner portal's own pages",
            )
        }
        Err(Refusal::TooMany(wait)) => {
            let seconds = wait.as_secs() + 1;
            let mut response = problem(
                &intake,
                wants,
                StatusCode::TOO_MANY_REQUESTS,
                "Too many requests",
                &format!("too many requests from your address; try again in {seconds} seconds"),
            );
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(seconds));
            response
        }
    };
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    // Pages of this service send their origin when they post (the form shown again after a
    // mistake must), but never a full address; tracking pages tighten this to no-referrer.
    headers.entry(header::REFERRER_POLICY).or_insert(HeaderValue::from_static("same-origin"));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    response
}

async fn submit(State(intake): State<Arc<Intake>>, headers: HeaderMap, body: Body) -> Response {
    let wants = Wants::of(&headers);
    let mut posted = match read_posted(&headers, body).await {
        Ok(posted) => posted,
        Err((status, title, message)) => return problem(&intake, wants, status, title, &message),
    };
    if posted.is_spam() {
        return spam(&intake, wants).await;
    }
    if let Some(key) = headers.get(IDEMPOTENCY_KEY) {
        posted.add_idempotency_header(key.as_bytes());
    }
    let known = |id: &str| intake.config.partners.contains_key(id);
    let submission = match submission::validate(&posted, known) {
        Ok(submission) => submission,
        Err(errors) => return invalid(&intake, wants, &posted, &errors),
    };
    let partner_id = submission.partner_id.clone();
    let referral = NewReferral {
        partner_id: submission.partner_id,
        fields: submission.fields,
        idempotency_key: submission.idempotency_key,
        token: Token::generate(),
    };
    let stored = intake.store.submit(referral).await;
    answer_submission(&intake, wants, &partner_id, &posted, stored)
}

type Unreadable = (StatusCode, &'static str, String);
type Parser = fn(&[u8]) -> Result<Posted, Malformed>;

/// The body as posted fields, or why it cannot be read: 415 for anything but UTF-8 form or
/// JSON, 413 past the size limit, 400 for a body that is cut off or malformed.
async fn read_posted(headers: &HeaderMap, body: Body) -> Result<Posted, Unreadable> {
    let text = |name| headers.get(name).and_then(|v| v.to_str().ok());
    let content_type = text(header::CONTENT_TYPE).unwrap_or_default();
    let essence = content_type.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    let encoded =
        text(header::CONTENT_ENCODING).is_some_and(|e| !e.eq_ignore_ascii_case("identity"));
    let parse: Parser = match essence.as_str() {
        _ if encoded || !utf8_charset(content_type) => unsupported()?,
        "application/x-www-form-urlencoded" => Posted::from_form,
        "application/json" => Posted::from_json,
        _ => unsupported()?,
    };
    let too_large = || {
        let message = format!(
            "the referral is larger than {} KiB; shorten the longest answers",
            BODY_LIMIT / 1024
        );
        (StatusCode::PAYLOAD_TOO_LARGE, "Too large", message)
    };
    let declared = text(header::CONTENT_LENGTH).and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|length| length > BODY_LIMIT) {
        return Err(too_large());
    }
    let bytes = match Limited::new(body, BODY_LIMIT).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(e) if e.downcast_ref::<LengthLimitError>().is_some() => return Err(too_large()),
        Err(_) => {
            let message = "the body ended before it was complete; submit again".to_string();
            return Err((StatusCode::BAD_REQUEST, "Incomplete referral", message));
        }
    };
    parse(&bytes)
        .map_err(|malformed| (StatusCode::BAD_REQUEST, "Malformed referral", malformed.to_string()))
}

fn unsupported() -> Result<Parser, Unreadable> {
    let message = "send the referral as application/x-www-form-urlencoded or application/json, \
        in UTF-8 and uncompressed";
    Err((StatusCode::UNSUPPORTED_MEDIA_TYPE, "Unsupported format", message.to_string()))
}

fn answer_submission(
    intake: &Intake,
    wants: Wants,
    partner_id: &str,
    posted: &Posted,
    stored: Result<Submitted, StoreError>,
) -> Response {
    match stored {
        Ok(Submitted::Stored(receipt)) => {
            match receipt.duplicate_of {
                Some(earlier) => tracing::info!(
                    "referral #{} stored (possible duplicate of #{earlier})",
                    receipt.id
                ),
                None => tracing::info!("referral #{} stored", receipt.id),
            }
            intake.outbox.notify_one();
            intake.last_id.fetch_max(receipt.id, Ordering::Relaxed);
            received(intake, wants, intake.config.portal_of(Some(partner_id)), &receipt)
        }
        Ok(Submitted::Replayed(receipt)) => {
            tracing::info!("a retry of referral #{} answered again", receipt.id);
            received(intake, wants, intake.config.portal_of(Some(partner_id)), &receipt)
        }
        Ok(Submitted::KeyReused) => {
            let mut errors = FieldErrors::default();
            errors.0.insert(
                "idempotency_key".into(),
                "already used for a different referral; reload the form and submit again".into(),
            );
            invalid(intake, wants, posted, &errors)
        }
        Err(e) => {
            tracing::error!("a referral was not stored: {e}");
            let mut response = problem(
                intake,
                wants,
                StatusCode::SERVICE_UNAVAILABLE,
                "Not stored",
                "your referral was not stored; please submit it again in a minute",
            );
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("30"));
            response
        }
    }
}

fn utf8_charset(content_type: &str) -> bool {
    content_type.split(';').skip(1).all(|param| match param.split_once('=') {
        Some((name, value)) if name.trim().eq_ignore_ascii_case("charset") => {
            value.trim().trim_matches('"').eq_ignore_ascii_case("utf-8")
        }
        _ => true,
    })
}

/// The answer to a stored referral: 201 with its tracking link for JSON callers, a 303 to the
/// portal's thank-you page for a form post.
fn received(intake: &Intake, wants: Wants, portal: &BaseUrl, receipt: &Receipt) -> Response {
    let tracking = intake.config.tracking_url(receipt.token.as_str());
    match wants {
        Wants::Json => {
            let body = json!({
                "id": receipt.id,
                "status": "submitted",
                "submitted_at": receipt.submitted_at,
                "tracking_url": tracking,
            });
            (StatusCode::CREATED, [(header::LOCATION, tracking)], axum::Json(body)).into_response()
        }
        Wants::Page => {
            let thanks = format!(
                "{}?tracking={}",
                portal.absolute(&format!("{}/", crate::content::REFERRAL_RECEIVED)),
                url::form_urlencoded::byte_serialize(tracking.as_bytes()).collect::<String>()
            );
            (StatusCode::SEE_OTHER, [(header::LOCATION, thanks)]).into_response()
        }
    }
}

/// A bot filled in the honeypot or left it out: it is told what a person would be told, and
/// nothing is stored.
async fn spam(intake: &Intake, wants: Wants) -> Response {
    if let Err(e) = intake.store.count_spam().await {
        tracing::warn!("cannot count a spam submission: {e}");
    }
    tracing::info!("a submission tripped the spam trap; nothing stored");
    // Shaped like a real receipt (the next id, a time to the millisecond) and sent to the
    // portal every tier can see, so the answer tells a bot nothing.
    let now = jiff::Timestamp::now().as_millisecond();
    let decoy = Receipt {
        id: intake.last_id.load(Ordering::Relaxed) + 1,
        token: Token::generate(),
        submitted_at: jiff::Timestamp::from_millisecond(now).unwrap_or_default(),
        duplicate_of: None,
    };
    received(intake, wants, &intake.config.public_portal, &decoy)
}

fn invalid(intake: &Intake, wants: Wants, posted: &Posted, errors: &FieldErrors) -> Response {
    match wants {
        Wants::Json => {
            let body = json!({ "error": "some fields need fixing", "fields": errors });
            (StatusCode::UNPROCESSABLE_ENTITY, axum::Json(body)).into_response()
        }
        Wants::Page => {
            let page = intake.pages.retry(&intake.config, &posted.values(), &errors.0);
            (StatusCode::UNPROCESSABLE_ENTITY, Html(page)).into_response()
        }
    }
}

fn problem(
    intake: &Intake,
    wants: Wants,
    status: StatusCode,
    title: &str,
    message: &str,
) -> Response {
    match wants {
        Wants::Json => (status, axum::Json(json!({ "error": message }))).into_response(),
        Wants::Page => {
            (status, Html(intake.pages.notice(&intake.config, title, message))).into_response()
        }
    }
}

async fn track(
    State(intake): State<Arc<Intake>>,
    Path(token): Path<String>,
    headers: HeaderMap,
) -> Response {
    let wants = Wants::of(&headers);
    let found = match Token::parse(&token) {
        Some(token) => intake.store.track(&token).await,
        None => Ok(None),
    };
    let mut response = match found {
        Ok(Some(referral)) => match wants {
            Wants::Json => {
                axum::Json(pages::tracking_json(&intake.config, &referral)).into_response()
            }
            Wants::Page => Html(intake.pages.tracking(&intake.config, &referral)).into_response(),
        },
        Ok(None) => problem(
            &intake,
            wants,
            StatusCode::NOT_FOUND,
            "No such referral",
            "no referral has this tracking link; check that the whole link was copied",
        ),
        Err(e) => {
            tracing::error!("cannot read a referral: {e}");
            problem(
                &intake,
                wants,
                StatusCode::SERVICE_UNAVAILABLE,
                "Try again",
                "the referral cannot be shown right now; try again in a minute",
            )
        }
    };
    // The token is in this page's address; no link on it may pass that on.
    response.headers_mut().insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    response
}
