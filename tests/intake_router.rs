//! The intake router, called without a socket: every answer a client can get.

use std::path::Path;
use std::sync::Arc;

use crate::common::intake::{ORIGIN, PARTNERS_YAML, form_body, json_body};
use axum::Router;
use axum::body::Body;
use axum::http::{Request, Response, StatusCode, header};
use portico::intake::config::{Deployment, IntakeConfig, Limits};
use portico::intake::guard::Limiter;
use portico::intake::http::{Intake, app};
use portico::intake::pages::Pages;
use portico::intake::status::Status;
use portico::intake::store::{
    Filter, NewReferral, StatusChange, Store, StoreError, Submitted, Token,
};
use tempfile::TempDir;
use tower::ServiceExt;

struct Fixture {
    _dir: TempDir,
    store: Arc<dyn Store>,
    router: Router,
}

impl Fixture {
    fn new() -> Fixture {
        Fixture::with(PARTNERS_YAML, 100)
    }

    fn with(partners_yaml: &str, per_minute: u32) -> Fixture {
        Fixture::limited(
            partners_yaml,
            Limits { submissions_per_minute: per_minute, ..Limits::default() },
        )
    }

    fn limited(partners_yaml: &str, limits: Limits) -> Fixture {
        Fixture::deployed(partners_yaml, limits, false)
    }

    fn deployed(partners_yaml: &str, limits: Limits, behind_proxy: bool) -> Fixture {
        let dir = TempDir::new().unwrap();
        let program = portico::program::parse(Path::new("partners.yaml"), partners_yaml).unwrap();
        let store: Arc<dyn Store> =
            Arc::new(portico::intake::open_store(&program, &dir.path().join("r.db")).unwrap());
        let router = router(&program, Arc::clone(&store), limits, behind_proxy);
        Fixture { _dir: dir, store, router }
    }

    async fn send(&self, request: Request<Body>) -> Answer {
        let response = self.router.clone().oneshot(request).await.unwrap();
        Answer::read(response).await
    }

    async fn post_form(&self, body: &str) -> Answer {
        self.send(post("application/x-www-form-urlencoded", body.to_string())).await
    }

    async fn post_json(&self, body: &str) -> Answer {
        self.send(post("application/json", body.to_string())).await
    }

    async fn stored(&self) -> Vec<portico::intake::store::Referral> {
        self.store.list(&Filter::default()).await.unwrap()
    }
}

fn router(
    program: &portico::program::Program,
    store: Arc<dyn Store>,
    limits: Limits,
    behind_proxy: bool,
) -> Router {
    let deployment = Deployment { limits, behind_proxy, base_url: None };
    let config = IntakeConfig::new(program, &deployment).unwrap();
    let theme = portico::theme::Theme::load(Path::new("/nonexistent"), "default").unwrap();
    app(Arc::new(Intake {
        config,
        store,
        pages: Pages::new(theme),
        limiter: Arc::new(Limiter::new(limits.submissions_per_minute)),
        outbox: Default::default(),
        last_id: Default::default(),
    }))
}

fn post(content_type: &str, body: impl Into<Body>) -> Request<Body> {
    let accept = if content_type == "application/json" { "application/json" } else { "text/html" };
    Request::post("/referrals")
        .header(header::ORIGIN, ORIGIN)
        .header(header::CONTENT_TYPE, content_type)
        .header(header::ACCEPT, accept)
        .body(body.into())
        .unwrap()
}

struct Answer {
    status: StatusCode,
    headers: axum::http::HeaderMap,
    body: String,
}

impl Answer {
    async fn read(response: Response<Body>) -> Answer {
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
        Answer { status, headers, body: String::from_utf8_lossy(&bytes).into_owned() }
    }

    fn header(&self, name: &str) -> &str {
        self.headers.get(name).map_or("", |v| v.to_str().unwrap())
    }

    fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|_| panic!("not JSON: {}", self.body))
    }
}

#[tokio::test]
async fn form_post_is_stored_and_redirected_to_the_partners_thank_you_page() {
    let fixture = Fixture::new();
    let answer = fixture.post_form(&form_body(&[])).await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);
    let location = answer.header("location");
    let prefix = "https://partners.example.com/strategic/referral-received/?tracking=\
        https%3A%2F%2Fintake.example.com%2Freferrals%2F";
    assert!(location.starts_with(prefix), "{location}");
    let stored = fixture.stored().await;
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].fields.client_org, "Acme Manufacturing");
    assert!(location.ends_with(&stored[0].token));
}

#[tokio::test]
async fn json_post_gets_201_with_id_status_and_tracking_url() {
    let fixture = Fixture::new();
    let answer = fixture.post_json(&json_body(&[])).await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.body);
    let body = answer.json();
    assert_eq!(body["status"], "submitted");
    let tracking = body["tracking_url"].as_str().unwrap();
    assert!(tracking.starts_with("https://intake.example.com/referrals/"));
    assert_eq!(answer.header("location"), tracking);
    assert_eq!(body["id"], fixture.stored().await[0].id);
}

#[tokio::test]
async fn names_are_stored_exactly_as_typed() {
    let fixture = Fixture::new();
    let names = ["Zoë Ångström", "山田 太郎", "مريم الحسيني"];
    for (i, name) in names.iter().enumerate() {
        let key = format!("key-{i}");
        let body = json_body(&[("referrer_name", name), ("idempotency_key", &key)]);
        assert_eq!(fixture.post_json(&body).await.status, StatusCode::CREATED);
    }
    let stored: Vec<String> =
        fixture.stored().await.into_iter().map(|r| r.fields.referrer_name).collect();
    assert_eq!(stored, names);
}

#[tokio::test]
async fn invalid_fields_get_422_with_a_message_each() {
    let fixture = Fixture::new();
    let body = json_body(&[("referrer_email", "not-an-email"), ("partner_id", "ghost")]);
    let answer = fixture.post_json(&body).await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
    let fields = &answer.json()["fields"];
    assert!(fields["referrer_email"].as_str().unwrap().contains("not an email address"));
    assert!(fields["partner_id"].as_str().unwrap().contains("no partner has this ID"));
    assert!(fixture.stored().await.is_empty());
}

#[tokio::test]
async fn invalid_form_post_shows_the_form_again_with_values_kept() {
    let fixture = Fixture::new();
    let body = form_body(&[("client_org", "Café <Ölberg> & Söhne"), ("challenge", "")]);
    let answer = fixture.post_form(&body).await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(answer.header("content-type").starts_with("text/html"));
    assert!(answer.body.contains("Café &lt;Ölberg&gt; &amp; Söhne"), "{}", answer.body);
    assert!(!answer.body.contains("<Ölberg>"));
    assert!(answer.body.contains("required"));
    assert!(answer.body.contains("not stored yet"));
}

#[tokio::test]
async fn unknown_fields_are_rejected() {
    let fixture = Fixture::new();
    let answer = fixture.post_json(&json_body(&[("is_admin", "true")])).await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(answer.json()["fields"]["is_admin"].as_str().unwrap().contains("unknown field"));
}

#[tokio::test]
async fn invalid_utf8_is_400() {
    let fixture = Fixture::new();
    let mut body = form_body(&[]).into_bytes();
    body.extend_from_slice(b"&context=%C3%28");
    let answer = fixture.send(post("application/x-www-form-urlencoded", body)).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    let raw = [br#"{"referrer_name":""#.as_slice(), b"\xff\xfe", b"\"}"].concat();
    let answer = fixture.send(post("application/json", raw)).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert!(fixture.stored().await.is_empty());
}

#[tokio::test]
async fn oversized_body_is_413_whether_declared_or_streamed() {
    let fixture = Fixture::new();
    let huge = form_body(&[("context", &"x".repeat(300_000))]);
    let answer = fixture.post_form(&huge).await;
    assert_eq!(answer.status, StatusCode::PAYLOAD_TOO_LARGE);
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
        (0..300).map(|_| Ok(vec![b'a'; 1024])).collect();
    let streamed = Body::from_stream(futures_stream(chunks));
    let answer = fixture.send(post("application/json", streamed)).await;
    assert_eq!(answer.status, StatusCode::PAYLOAD_TOO_LARGE);
}

fn futures_stream(
    chunks: Vec<Result<Vec<u8>, std::io::Error>>,
) -> impl tokio_stream::Stream<Item = Result<Vec<u8>, std::io::Error>> {
    tokio_stream::iter(chunks)
}

#[tokio::test]
async fn other_content_types_are_415() {
    let fixture = Fixture::new();
    for content_type in ["text/plain", "multipart/form-data; boundary=x", "application/xml"] {
        let answer = fixture.send(post(content_type, form_body(&[]))).await;
        assert_eq!(answer.status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{content_type}");
    }
    let latin1 = "application/x-www-form-urlencoded; charset=iso-8859-1";
    assert_eq!(
        fixture.send(post(latin1, form_body(&[]))).await.status,
        StatusCode::UNSUPPORTED_MEDIA_TYPE
    );
}

#[tokio::test]
async fn too_many_posts_get_429_with_retry_after() {
    let fixture = Fixture::with(PARTNERS_YAML, 2);
    for i in 0..2 {
        let key = format!("k{i}");
        let answer = fixture.post_json(&json_body(&[("idempotency_key", &key)])).await;
        assert_eq!(answer.status, StatusCode::CREATED);
    }
    let answer = fixture.post_json(&json_body(&[("idempotency_key", "k3")])).await;
    assert_eq!(answer.status, StatusCode::TOO_MANY_REQUESTS);
    let wait: u64 = answer.header("retry-after").parse().unwrap();
    assert!((1..=60).contains(&wait), "{wait}");
    assert_eq!(answer.header("access-control-allow-origin"), ORIGIN);
    assert_eq!(fixture.stored().await.len(), 2);
}

#[tokio::test]
async fn same_idempotency_key_stores_one_referral_and_answers_the_same() {
    let fixture = Fixture::new();
    let body = json_body(&[("idempotency_key", "3f1c-retry")]);
    let first = fixture.post_json(&body).await;
    let second = fixture.post_json(&body).await;
    assert_eq!(first.status, StatusCode::CREATED);
    assert_eq!(second.status, StatusCode::CREATED);
    assert_eq!(first.json(), second.json());
    assert_eq!(fixture.stored().await.len(), 1);

    let changed = json_body(&[("idempotency_key", "3f1c-retry"), ("client_org", "Other Co")]);
    let reused = fixture.post_json(&changed).await;
    assert_eq!(reused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(reused.json()["fields"]["idempotency_key"].as_str().unwrap().contains("already used"));
    assert_eq!(fixture.stored().await.len(), 1);
}

#[tokio::test]
async fn honeypot_filled_or_missing_fakes_success_and_stores_nothing() {
    let fixture = Fixture::new();
    let filled = fixture.post_json(&json_body(&[("website", "http://spam.example")])).await;
    assert_eq!(filled.status, StatusCode::CREATED);
    assert!(filled.json()["tracking_url"].is_string());
    let missing = form_body(&[]).replace("&website=", "");
    assert_eq!(fixture.post_form(&missing).await.status, StatusCode::SEE_OTHER);
    assert!(fixture.stored().await.is_empty());
    assert_eq!(fixture.store.spam_count().await.unwrap(), 2);
}

#[tokio::test]
async fn posts_from_other_origins_are_refused() {
    let fixture = Fixture::new();
    for origin in [
        "https://partners.example.com.evil.test",
        "http://partners.example.com",
        "null",
        "https://evil.test",
    ] {
        let mut request = post("application/json", json_body(&[]));
        request.headers_mut().insert(header::ORIGIN, origin.parse().unwrap());
        let answer = fixture.send(request).await;
        assert_eq!(answer.status, StatusCode::FORBIDDEN, "{origin}");
        assert_eq!(answer.header("access-control-allow-origin"), "", "{origin}");
    }
    let mut bare = post("application/json", json_body(&[]));
    bare.headers_mut().remove(header::ORIGIN);
    assert_eq!(fixture.send(bare).await.status, StatusCode::FORBIDDEN);
    let mut referred = post("application/json", json_body(&[]));
    referred.headers_mut().remove(header::ORIGIN);
    referred
        .headers_mut()
        .insert(header::REFERER, "https://partners.example.com/strategic/refer/".parse().unwrap());
    assert_eq!(fixture.send(referred).await.status, StatusCode::CREATED);
    assert_eq!(fixture.stored().await.len(), 1);
}

#[tokio::test]
async fn cors_preflight_and_error_answers_name_only_portal_origins() {
    let fixture = Fixture::new();
    let preflight = |origin: &str| {
        Request::options("/referrals")
            .header(header::ORIGIN, origin)
            .header(header::ACCESS_CONTROL_REQUEST_METHOD, "POST")
            .header(header::ACCESS_CONTROL_REQUEST_HEADERS, "content-type")
            .body(Body::empty())
            .unwrap()
    };
    let allowed = fixture.send(preflight(ORIGIN)).await;
    assert!(allowed.status.is_success());
    assert_eq!(allowed.header("access-control-allow-origin"), ORIGIN);
    assert!(allowed.header("access-control-allow-methods").contains("POST"));
    let evil = fixture.send(preflight("https://partners.example.com.evil.test")).await;
    assert_eq!(evil.header("access-control-allow-origin"), "");

    let invalid = fixture.post_json(&json_body(&[("referrer_email", "x")])).await;
    assert_eq!(invalid.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(invalid.header("access-control-allow-origin"), ORIGIN);
    let huge = fixture.post_json(&"x".repeat(300_000)).await;
    assert_eq!(huge.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(huge.header("access-control-allow-origin"), ORIGIN);
}

#[tokio::test]
async fn second_partner_referring_the_same_client_is_flagged_as_possible_duplicate() {
    let fixture = Fixture::new();
    fixture.post_json(&json_body(&[("idempotency_key", "a1")])).await;
    let same_partner = json_body(&[("idempotency_key", "a2"), ("client_org", "Acme again")]);
    fixture.post_json(&same_partner).await;
    let by_email = json_body(&[
        ("partner_id", "birch"),
        ("client_domain", ""),
        ("client_contact_email", "JO@acme.example"),
    ]);
    assert_eq!(fixture.post_json(&by_email).await.status, StatusCode::CREATED);
    let stored = fixture.stored().await;
    assert_eq!(stored[0].duplicate_of, None);
    assert_eq!(stored[1].duplicate_of, None, "the same partner again is no attribution conflict");
    assert_eq!(stored[2].duplicate_of, Some(stored[0].id));
    assert!(stored[2].history[0].internal_note.as_deref().unwrap().contains("possible duplicate"));
}

#[tokio::test]
async fn duplicates_are_flagged_only_within_the_protection_window() {
    let yaml = PARTNERS_YAML.replace(
        "  response_sla: 24h\n",
        "  response_sla: 24h\n  intake:\n    protection_window: 0h\n",
    );
    let fixture = Fixture::with(&yaml, 100);
    fixture.post_json(&json_body(&[])).await;
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    fixture.post_json(&json_body(&[("partner_id", "birch")])).await;
    assert_eq!(fixture.stored().await[1].duplicate_of, None);
}

#[tokio::test]
async fn tracking_page_shows_status_and_partner_notes_but_not_internal_ones() {
    let fixture = Fixture::new();
    let created = fixture.post_json(&json_body(&[])).await.json();
    let id = created["id"].as_i64().unwrap();
    let change = StatusChange {
        status: Status::Acknowledged,
        author: "Dana".into(),
        partner_note: Some("Dana Whit will call the client on Monday.".into()),
        internal_note: Some("Existing relationship with their CFO".into()),
        force: false,
    };
    fixture.store.change_status(id, change).await.unwrap();
    let path = created["tracking_url"].as_str().unwrap().replace("https://intake.example.com", "");
    let page = fixture.send(Request::get(&path).body(Body::empty()).unwrap()).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Acknowledged"));
    assert!(page.body.contains("Dana Whit will call the client on Monday."));
    assert!(!page.body.contains("CFO"));
    assert!(!page.body.contains("jo@acme.example"), "tracking pages show no client contact");
    assert_eq!(page.header("referrer-policy"), "no-referrer");
    assert_eq!(page.header("cache-control"), "no-store");

    let json = fixture
        .send(
            Request::get(&path)
                .header(header::ACCEPT, "application/json")
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .json();
    assert_eq!(json["status"], "acknowledged");
    assert_eq!(json["history"].as_array().unwrap().len(), 2);
    assert!(!json.to_string().contains("CFO"));
}

#[tokio::test]
async fn unknown_or_malformed_tokens_are_404() {
    let fixture = Fixture::new();
    fixture.post_json(&json_body(&[])).await;
    let guess = Token::generate();
    for path in [
        format!("/referrals/{}", guess.as_str()),
        "/referrals/1".into(),
        "/referrals/..%2F..".into(),
    ] {
        let answer = fixture.send(Request::get(&path).body(Body::empty()).unwrap()).await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{path}");
    }
}

/// A store whose disk is gone: every write fails.
struct BrokenStore;

#[async_trait::async_trait]
impl Store for BrokenStore {
    async fn submit(&self, _: NewReferral) -> Result<Submitted, StoreError> {
        Err(StoreError::Commit("disk I/O error".into()))
    }
    async fn count_spam(&self) -> Result<(), StoreError> {
        Err(StoreError::Closed)
    }
    async fn spam_count(&self) -> Result<u64, StoreError> {
        Err(StoreError::Closed)
    }
    async fn track(
        &self,
        _: &Token,
    ) -> Result<Option<portico::intake::store::Referral>, StoreError> {
        Err(StoreError::Closed)
    }
    async fn referral(&self, id: i64) -> Result<portico::intake::store::Referral, StoreError> {
        Err(StoreError::NotFound(id))
    }
    async fn list(&self, _: &Filter) -> Result<Vec<portico::intake::store::Referral>, StoreError> {
        Err(StoreError::Closed)
    }
    async fn change_status(
        &self,
        id: i64,
        _: StatusChange,
    ) -> Result<portico::intake::store::Referral, StoreError> {
        Err(StoreError::NotFound(id))
    }
    async fn due_deliveries(
        &self,
        _: jiff::Timestamp,
        _: usize,
    ) -> Result<Vec<portico::intake::store::Delivery>, StoreError> {
        Err(StoreError::Closed)
    }
    async fn next_delivery_at(&self) -> Result<Option<jiff::Timestamp>, StoreError> {
        Err(StoreError::Closed)
    }
    async fn record_attempt(
        &self,
        _: i64,
        _: portico::intake::store::Attempt,
    ) -> Result<(), StoreError> {
        Err(StoreError::Closed)
    }
    async fn delivery_log(
        &self,
        _: i64,
    ) -> Result<Vec<portico::intake::store::LoggedAttempt>, StoreError> {
        Err(StoreError::Closed)
    }
}

#[tokio::test]
async fn a_referral_that_was_not_stored_never_gets_a_success() {
    let program = portico::program::parse(Path::new("partners.yaml"), PARTNERS_YAML).unwrap();
    let router = router(&program, Arc::new(BrokenStore), Limits::default(), false);
    for request in [
        post("application/json", json_body(&[])),
        post("application/x-www-form-urlencoded", form_body(&[])),
    ] {
        let answer = Answer::read(router.clone().oneshot(request).await.unwrap()).await;
        assert_eq!(answer.status, StatusCode::SERVICE_UNAVAILABLE);
        assert!(answer.body.contains("not stored"));
    }
}

#[tokio::test]
async fn a_body_that_never_finishes_times_out_with_408() {
    let limits =
        Limits { request_timeout: std::time::Duration::from_millis(300), ..Limits::default() };
    let fixture = Fixture::limited(PARTNERS_YAML, limits);
    let first: Result<Vec<u8>, std::io::Error> = Ok(b"{\"partner_id\":".to_vec());
    let trickle =
        tokio_stream::StreamExt::chain(tokio_stream::iter([first]), tokio_stream::pending());
    let answer = fixture.send(post("application/json", Body::from_stream(trickle))).await;
    assert_eq!(answer.status, StatusCode::REQUEST_TIMEOUT);
    assert!(fixture.stored().await.is_empty());
}

async fn post_from(fixture: &Fixture, forwarded_for: &str, key: &str) -> StatusCode {
    let mut request = post("application/json", json_body(&[("idempotency_key", key)]));
    request.headers_mut().insert("x-forwarded-for", forwarded_for.parse().unwrap());
    fixture.send(request).await.status
}

#[tokio::test]
async fn forwarded_for_is_ignored_unless_behind_a_proxy() {
    let limits = Limits { submissions_per_minute: 1, ..Limits::default() };
    let direct = Fixture::limited(PARTNERS_YAML, limits);
    assert_eq!(post_from(&direct, "198.51.100.1", "a").await, StatusCode::CREATED);
    assert_eq!(post_from(&direct, "198.51.100.2", "b").await, StatusCode::TOO_MANY_REQUESTS);

    let proxied = Fixture::deployed(PARTNERS_YAML, limits, true);
    assert_eq!(post_from(&proxied, "203.0.113.9, 198.51.100.1", "c").await, StatusCode::CREATED);
    assert_eq!(post_from(&proxied, "198.51.100.1, 198.51.100.2", "d").await, StatusCode::CREATED);
    let spoofed = "198.51.100.2, 198.51.100.1";
    assert_eq!(post_from(&proxied, spoofed, "e").await, StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn idempotency_key_header_is_checked_like_the_field() {
    let fixture = Fixture::new();
    let with_header = |key: &[u8], body: String| {
        let mut request = post("application/json", body);
        request
            .headers_mut()
            .insert("idempotency-key", axum::http::HeaderValue::from_bytes(key).unwrap());
        request
    };
    let body = || json_body(&[]);
    let first = fixture.send(with_header(b"retry-1", body())).await;
    let again = fixture.send(with_header(b"retry-1", body())).await;
    assert_eq!(first.status, StatusCode::CREATED);
    assert_eq!(first.json(), again.json());
    for bad in ["k".repeat(129).as_bytes(), "cl\u{e9}-1".as_bytes(), b"has spaces"] {
        let answer = fixture.send(with_header(bad, body())).await;
        assert_eq!(
            answer.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{:?}",
            String::from_utf8_lossy(bad)
        );
    }
    let both =
        fixture.send(with_header(b"retry-2", json_body(&[("idempotency_key", "retry-3")]))).await;
    assert_eq!(both.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(fixture.stored().await.len(), 1);
}

#[tokio::test]
async fn a_honeypot_sent_twice_is_a_broken_form_not_a_bot() {
    let fixture = Fixture::new();
    let answer = fixture.post_form(&format!("{}&website=", form_body(&[]))).await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn decoy_answers_look_like_real_ones_and_name_no_partner_tier() {
    let fixture = Fixture::new();
    let real = fixture.post_json(&json_body(&[])).await.json();
    let decoy =
        fixture.post_json(&json_body(&[("website", "x"), ("idempotency_key", "d")])).await.json();
    assert_eq!(decoy["id"], real["id"].as_i64().unwrap() + 1);
    let digits = |at: &serde_json::Value| {
        let text = at.as_str().unwrap().trim_end_matches('Z');
        text.split_once('.').map_or(0, |(_, fraction)| fraction.len())
    };
    assert!(digits(&decoy["submitted_at"]) <= 3, "{}", decoy["submitted_at"]);
    assert!(digits(&real["submitted_at"]) <= 3, "{}", real["submitted_at"]);
    let form = fixture.post_form(&form_body(&[("website", "x")])).await;
    assert!(
        form.header("location").starts_with("https://partners.example.com/referral-network/"),
        "{}",
        form.header("location")
    );
}

#[tokio::test]
async fn the_same_contact_email_written_differently_is_still_a_duplicate() {
    let fixture = Fixture::new();
    let pairs = [
        ("jo@uniq4.example", "jo@uniq4.example."),
        ("jo@uniq9.example", "jo@\u{ff55}\u{ff4e}\u{ff49}\u{ff51}9.example"),
        ("jo@b\u{fc}cher4.example", "jo@xn--bcher4-3ya.example"),
        ("j\u{f6}@case.example", "J\u{d6}@case.example"),
    ];
    for (n, (first, second)) in pairs.iter().enumerate() {
        let key = format!("first-{n}");
        fixture
            .post_json(&json_body(&[
                ("client_domain", ""),
                ("client_contact_email", first),
                ("idempotency_key", &key),
            ]))
            .await;
        let key = format!("second-{n}");
        let later = json_body(&[
            ("partner_id", "birch"),
            ("client_domain", ""),
            ("client_contact_email", second),
            ("idempotency_key", &key),
        ]);
        assert_eq!(fixture.post_json(&later).await.status, StatusCode::CREATED, "{second}");
        let stored = fixture.stored().await;
        assert_eq!(
            stored.last().unwrap().duplicate_of,
            Some(stored[stored.len() - 2].id),
            "{first} ~ {second}"
        );
    }
}

#[tokio::test]
async fn only_utf8_uncompressed_bodies_are_read() {
    let fixture = Fixture::new();
    for content_type in ["application/json; charset=utf-16", "application/json; charset=iso-8859-1"]
    {
        let answer = fixture.send(post(content_type, json_body(&[]))).await;
        assert_eq!(answer.status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{content_type}");
    }
    let mut gzipped = post("application/json", json_body(&[]));
    gzipped.headers_mut().insert(header::CONTENT_ENCODING, "gzip".parse().unwrap());
    assert_eq!(fixture.send(gzipped).await.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert!(fixture.stored().await.is_empty());
}

#[tokio::test]
async fn a_body_cut_off_midway_is_400_not_413() {
    let fixture = Fixture::new();
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
        vec![Ok(b"{\"partner_id\":".to_vec()), Err(std::io::Error::other("connection reset"))];
    let answer =
        fixture.send(post("application/json", Body::from_stream(futures_stream(chunks)))).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn a_full_form_in_non_latin_script_fits_the_size_limit() {
    let fixture = Fixture::new();
    let body = form_body(&[
        ("challenge", &"\u{5c71}".repeat(4000)),
        ("context", &"\u{1f600}".repeat(4000)),
        ("promises", &"\u{7530}".repeat(2000)),
    ]);
    assert_eq!(fixture.post_form(&body).await.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn the_intakes_own_retry_page_may_post_again() {
    let fixture = Fixture::new();
    let retry = fixture.post_form(&form_body(&[("referrer_email", "x")])).await;
    assert_eq!(retry.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_ne!(retry.header("referrer-policy"), "no-referrer", "the page must send its origin");
    let mut again = post("application/x-www-form-urlencoded", form_body(&[]));
    again.headers_mut().insert(header::ORIGIN, "https://intake.example.com".parse().unwrap());
    assert_eq!(fixture.send(again).await.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn the_service_answers_at_the_path_of_intake_url() {
    let yaml = PARTNERS_YAML
        .replace("https://intake.example.com/referrals", "https://example.com/api/referrals/");
    let fixture = Fixture::with(&yaml, 100);
    let created = fixture.send(post("application/json", json_body(&[]))).await;
    assert_eq!(created.status, StatusCode::NOT_FOUND, "not at /referrals");
    let mut request = post("application/json", json_body(&[]));
    *request.uri_mut() = "/api/referrals".parse().unwrap();
    let created = fixture.send(request).await.json();
    let tracking = created["tracking_url"].as_str().unwrap();
    assert!(tracking.starts_with("https://example.com/api/referrals/"), "{tracking}");
    let path = tracking.trim_start_matches("https://example.com");
    assert_eq!(
        fixture.send(Request::get(path).body(Body::empty()).unwrap()).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn base_url_override_sends_partners_back_to_the_preview() {
    let dir = TempDir::new().unwrap();
    let program = portico::program::parse(Path::new("partners.yaml"), PARTNERS_YAML).unwrap();
    let store: Arc<dyn Store> =
        Arc::new(portico::intake::open_store(&program, &dir.path().join("r.db")).unwrap());
    let deployment = Deployment {
        base_url: Some(portico::site_url::BaseUrl::parse("http://127.0.0.1:8000/").unwrap()),
        ..Deployment::default()
    };
    let config = IntakeConfig::new(&program, &deployment).unwrap();
    let router = app(Arc::new(Intake {
        config,
        store,
        pages: Pages::new(
            portico::theme::Theme::load(Path::new("/nonexistent"), "default").unwrap(),
        ),
        limiter: Arc::new(Limiter::new(100)),
        outbox: Default::default(),
        last_id: Default::default(),
    }));
    let mut request = post("application/x-www-form-urlencoded", form_body(&[]));
    request.headers_mut().insert(header::ORIGIN, "http://127.0.0.1:8000".parse().unwrap());
    let answer = Answer::read(router.oneshot(request).await.unwrap()).await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER);
    assert!(
        answer.header("location").starts_with("http://127.0.0.1:8000/strategic/referral-received/")
    );
}
