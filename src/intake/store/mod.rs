//! Where referrals live: the storage interface that the intake service and the `referrals`
//! commands share, and its SQLite implementation. A PostgreSQL backend implements the same
//! [`Store`] trait so that several intake instances can sit behind one load balancer.

mod accounts;
mod schema;
mod sqlite;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

pub use self::accounts::{Accounts, NewWin, Outbound, Payment, Win};
pub use self::sqlite::{SqliteStore, StoreSettings};
use super::status::Status;

/// What a partner submitted, validated. Personal data lives here and only here.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReferralFields {
    pub referrer_name: String,
    pub referrer_email: String,
    pub client_org: String,
    /// Lowercased host name without `www.`, such as `acme.example`.
    pub client_domain: Option<String>,
    pub client_contact_name: String,
    pub client_contact_email: Option<String>,
    pub client_contact_phone: Option<String>,
    pub challenge: String,
    pub context: Option<String>,
    pub promises: Option<String>,
    pub involvement: String,
    pub client_consent: bool,
}

impl ReferralFields {
    /// The contact email as duplicate checks compare it.
    pub fn client_email_key(&self) -> Option<String> {
        self.client_contact_email.as_deref().and_then(super::address::email_key)
    }

    /// A digest of the content, to tell a retry of the same referral from a reuse of its
    /// idempotency key for another one.
    pub fn digest(&self, partner_id: &str) -> [u8; 32] {
        let json = serde_json::to_vec(&(partner_id, self)).expect("fields serialize to JSON");
        Sha256::digest(json).into()
    }
}

/// A referral ready to store.
#[derive(Debug, Clone)]
pub struct NewReferral {
    pub partner_id: String,
    pub fields: ReferralFields,
    pub idempotency_key: Option<String>,
    pub token: Token,
}

/// The unguessable token in a referral's tracking link: 256 random bits, base64url.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token(String);

impl Token {
    pub fn generate() -> Token {
        use base64::Engine;
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes).expect("the operating system provides random bytes");
        Token(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
    }

    /// A token as written in a tracking link; `None` when it cannot be one of ours.
    pub fn parse(text: &str) -> Option<Token> {
        let plausible = text.len() == 43
            && text.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        plausible.then(|| Token(text.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// What the token is looked up by, so that the lookup's timing says nothing about how much
    /// of a guessed token was right.
    fn lookup_key(&self) -> [u8; 32] {
        Sha256::digest(self.0.as_bytes()).into()
    }
}

/// The answer to a submission.
#[derive(Debug, Clone, PartialEq)]
pub enum Submitted {
    /// Stored now.
    Stored(Receipt),
    /// Stored before under the same idempotency key with the same content.
    Replayed(Receipt),
    /// The idempotency key was used before for different content; nothing stored.
    KeyReused,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Receipt {
    pub id: i64,
    pub token: Token,
    pub submitted_at: Timestamp,
    /// An earlier referral of the same client by another partner, inside the protection window.
    pub duplicate_of: Option<i64>,
}

/// A stored referral with its history.
#[derive(Debug, Clone, Serialize)]
pub struct Referral {
    pub id: i64,
    pub partner_id: String,
    #[serde(skip)]
    pub token: String,
    pub status: Status,
    pub submitted_at: Timestamp,
    pub acknowledged_at: Option<Timestamp>,
    pub duplicate_of: Option<i64>,
    #[serde(flatten)]
    pub fields: ReferralFields,
    pub history: Vec<Event>,
}

impl Referral {
    /// When the firm must have acknowledged the referral under an SLA of `sla_hours`.
    pub fn acknowledge_by(&self, sla_hours: u32) -> Timestamp {
        self.submitted_at + jiff::SignedDuration::from_hours(i64::from(sla_hours))
    }
}

/// One step in a referral's history.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Event {
    pub at: Timestamp,
    pub status: Status,
    pub author: String,
    /// Shown to the partner on the tracking page.
    pub partner_note: Option<String>,
    /// Seen only by the firm.
    pub internal_note: Option<String>,
}

/// A move along the status ladder.
#[derive(Debug, Clone)]
pub struct StatusChange {
    pub status: Status,
    pub author: String,
    pub partner_note: Option<String>,
    pub internal_note: Option<String>,
    /// Allow a move the ladder does not, such as reopening a closed referral.
    pub force: bool,
}

/// Which referrals to list.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub partner: Option<String>,
    pub status: Option<Status>,
}

/// Where a notification goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Channel {
    Webhook,
    Email,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Webhook => "webhook",
            Channel::Email => "email",
        }
    }

    fn parse(text: &str) -> Option<Channel> {
        [Channel::Webhook, Channel::Email].into_iter().find(|c| c.as_str() == text)
    }
}

/// A notification waiting in the outbox.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub id: i64,
    pub channel: Channel,
    /// `referral.submitted` or `referral.status_changed`.
    pub event: String,
    /// The referral's status when the event happened.
    pub status: Status,
    pub created_at: Timestamp,
    pub attempts: u32,
    pub referral: Referral,
}

/// How one delivery attempt went.
#[derive(Debug, Clone)]
pub enum Attempt {
    Delivered {
        detail: String,
    },
    /// Failed; tried again at `retry_at`, or never again when `None`.
    Failed {
        detail: String,
        retry_at: Option<Timestamp>,
    },
}

/// One line of the delivery log.
#[derive(Debug, Clone, Serialize)]
pub struct LoggedAttempt {
    pub at: Timestamp,
    pub channel: Channel,
    pub event: String,
    pub outcome: String,
    pub detail: String,
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("no referral #{0}")]
    NotFound(i64),
    #[error(
        "referral #{id} is `{from}`; it cannot move to `{to}` (pass --force to move it anyway)"
    )]
    Transition { id: i64, from: Status, to: Status },
    #[error(
        "the referral database `{path}` was written by a newer portico (schema {found}, this one knows {known})"
    )]
    TooNew { path: String, found: i64, known: i64 },
    #[error("referral #{id} was submitted on {submitted}; it cannot have been won before")]
    WonBeforeSubmitted { id: i64, submitted: String },
    #[error("the referral database: {0}")]
    Database(#[from] rusqlite::Error),
    #[error("the referral database did not commit: {0}")]
    Commit(String),
    #[error("the referral database is closed")]
    Closed,
}

/// The storage interface. Every write is durable when its future resolves.
#[async_trait::async_trait]
pub trait Store: Send + Sync + 'static {
    /// Stores a referral (or recognizes a retry of one), flags a possible duplicate and queues
    /// its notifications, all in one durable commit.
    async fn submit(&self, referral: NewReferral) -> Result<Submitted, StoreError>;
    /// Counts a submission that tripped the spam trap; nothing of it is stored.
    async fn count_spam(&self) -> Result<(), StoreError>;
    async fn spam_count(&self) -> Result<u64, StoreError>;
    /// The referral a tracking token belongs to.
    async fn track(&self, token: &Token) -> Result<Option<Referral>, StoreError>;
    async fn referral(&self, id: i64) -> Result<Referral, StoreError>;
    async fn list(&self, filter: &Filter) -> Result<Vec<Referral>, StoreError>;
    /// Moves a referral along the ladder and queues the change's notifications.
    async fn change_status(&self, id: i64, change: StatusChange) -> Result<Referral, StoreError>;
    /// Notifications due at `now`, oldest first.
    async fn due_deliveries(
        &self,
        now: Timestamp,
        limit: usize,
    ) -> Result<Vec<Delivery>, StoreError>;
    /// When the next pending notification falls due, if any does.
    async fn next_delivery_at(&self) -> Result<Option<Timestamp>, StoreError>;
    async fn record_attempt(&self, delivery: i64, attempt: Attempt) -> Result<(), StoreError>;
    /// The delivery log of one referral's notifications.
    async fn delivery_log(&self, referral: i64) -> Result<Vec<LoggedAttempt>, StoreError>;
}
