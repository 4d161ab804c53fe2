//! Delivering notifications from the durable outbox: a signed webhook and an email to the
//! partner manager. A notification is queued in the same commit as the change it announces, so
//! a crash or restart can delay it but never lose it; failures are retried with exponential
//! backoff and every attempt is logged.

use std::sync::Arc;
use std::time::Duration;

use hmac::{Hmac, KeyInit, Mac};
use jiff::{SignedDuration, Timestamp};
use sha2::Sha256;
use tokio::sync::{Notify, watch};

use super::config::IntakeConfig;
use super::store::{Attempt, Channel, Delivery, Store};
use crate::program::{EmailSettings, WebhookSettings};

/// After this many failed attempts a notification is given up (and logged as such).
pub const MAX_ATTEMPTS: u32 = 15;
/// How often the outbox is read even when nothing woke it: `portico referrals status` queues
/// notifications from another process.
const POLL: Duration = Duration::from_secs(2);
/// Waits between attempts stop growing here.
const MAX_BACKOFF: Duration = Duration::from_secs(3600);

/// Where notifications go, with their secrets read from the environment.
pub struct Outbox {
    pub config: IntakeConfig,
    pub webhook: Option<Webhook>,
    pub email: Option<Email>,
    /// The wait after the first failure; it doubles with each further one.
    pub retry_base: Duration,
}

pub struct Webhook {
    pub settings: WebhookSettings,
    pub secret: Vec<u8>,
    client: reqwest::Client,
}

pub struct Email {
    pub settings: EmailSettings,
    transport: lettre::AsyncSmtpTransport<lettre::Tokio1Executor>,
}

impl Webhook {
    pub fn new(settings: WebhookSettings, secret: Vec<u8>) -> Result<Webhook, String> {
        install_crypto();
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| format!("cannot set up the webhook client: {e}"))?;
        Ok(Webhook { settings, secret, client })
    }
}

impl Email {
    pub fn new(settings: EmailSettings, smtp_url: &str) -> Result<Email, String> {
        // Checked now so that a typo in partners.yaml stops the service at once, instead of
        // failing every email for hours of retries.
        for (field, address) in [("from", &settings.from), ("to", &settings.to)] {
            address.parse::<lettre::message::Mailbox>().map_err(|e| {
                format!("`program.intake.email.{field}` is not an email address ({e}): `{address}`")
            })?;
        }
        install_crypto();
        let transport = lettre::AsyncSmtpTransport::<lettre::Tokio1Executor>::from_url(smtp_url)
            .map_err(|e| format!("`{}` is not a usable SMTP URL: {e}", settings.smtp_env))?
            .timeout(Some(Duration::from_secs(20)))
            .build();
        Ok(Email { settings, transport })
    }
}

pub fn install_crypto() {
    // rustls needs one process-wide crypto provider; a second install is refused harmlessly.
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// The channels the store should queue notifications for.
pub fn channels(webhook: bool, email: bool) -> Vec<Channel> {
    let mut channels = Vec::new();
    if webhook {
        channels.push(Channel::Webhook);
    }
    if email {
        channels.push(Channel::Email);
    }
    channels
}

/// `sha256=<hex>`: the HMAC-SHA256 of `<timestamp>.<body>` under the secret. Receivers
/// recompute it and reject old timestamps, which stops replays.
pub fn signature(secret: &[u8], timestamp: i64, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes keys of any length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// Delivers due notifications until `stop` turns true, waking when one is queued or falls due.
pub async fn run(
    outbox: Arc<Outbox>,
    store: Arc<dyn Store>,
    wake: Arc<Notify>,
    mut stop: watch::Receiver<bool>,
) {
    loop {
        let (due, mut failing) = match store.due_deliveries(Timestamp::now(), 32).await {
            Ok(due) => (due, false),
            Err(e) => {
                tracing::error!("cannot read the outbox: {e}");
                (Vec::new(), true)
            }
        };
        for delivery in &due {
            if *stop.borrow() {
                return;
            }
            let attempt = outbox.deliver(delivery).await;
            if let Err(e) = store.record_attempt(delivery.id, attempt).await {
                tracing::error!("cannot record a delivery attempt: {e}");
                failing = true;
            }
        }
        if due.len() == 32 && !failing {
            continue;
        }
        // While the database cannot record attempts, the same notifications stay due: pause
        // rather than send them again at once, over and over.
        let wait = if failing {
            outbox.retry_base
        } else {
            let next = store.next_delivery_at().await.ok().flatten();
            next.map_or(POLL, |at| {
                Duration::try_from(at.duration_since(Timestamp::now())).unwrap_or(Duration::ZERO)
            })
            .min(POLL)
        };
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = wake.notified(), if !failing => {}
            _ = stop.changed() => return,
        }
    }
}

impl Outbox {
    async fn deliver(&self, delivery: &Delivery) -> Attempt {
        let outcome = match delivery.channel {
            Channel::Webhook => match &self.webhook {
                Some(webhook) => self.post(webhook, delivery).await,
                None => Err("no webhook is configured in partners.yaml any more".to_string()),
            },
            Channel::Email => match &self.email {
                Some(email) => self.send(email, delivery).await,
                None => Err("no email is configured in partners.yaml any more".to_string()),
            },
        };
        let what = format!("{} for referral #{}", delivery.channel.as_str(), delivery.referral.id);
        match outcome {
            Ok(detail) => {
                tracing::info!("{what} delivered");
                Attempt::Delivered { detail }
            }
            Err(detail) => {
                let attempts = delivery.attempts + 1;
                let wait = (attempts < MAX_ATTEMPTS).then(|| {
                    let doubled = 1u32 << attempts.min(20).saturating_sub(1);
                    self.retry_base.saturating_mul(doubled).min(MAX_BACKOFF)
                });
                let retry_at = wait.map(|wait| {
                    Timestamp::now()
                        + SignedDuration::try_from(wait).unwrap_or(SignedDuration::ZERO)
                });
                match wait {
                    Some(wait) => tracing::warn!(
                        "{what} failed ({detail}); attempt {attempts}, next in {}s",
                        wait.as_secs()
                    ),
                    None => tracing::error!("{what} failed {attempts} times ({detail}); given up"),
                }
                Attempt::Failed { detail, retry_at }
            }
        }
    }

    async fn post(&self, webhook: &Webhook, delivery: &Delivery) -> Result<String, String> {
        let body = serde_json::to_vec(&self.payload(delivery, webhook.settings.personal_data))
            .expect("the payload serializes");
        let timestamp = Timestamp::now().as_second();
        let response = webhook
            .client
            .post(&webhook.settings.url)
            .header("content-type", "application/json")
            .header("portico-delivery", delivery.id.to_string())
            .header("portico-timestamp", timestamp.to_string())
            .header("portico-signature", signature(&webhook.secret, timestamp, &body))
            .body(body)
            .send()
            .await
            .map_err(|e| format!("cannot reach the webhook: {}", without_url(e)))?;
        let status = response.status();
        if status.is_success() {
            Ok(format!("HTTP {}", status.as_u16()))
        } else {
            Err(format!("the webhook answered HTTP {}", status.as_u16()))
        }
    }

    /// What a webhook receives. Personal data is left out unless the program opts in, so that a
    /// chat channel does not become a second, unerasable copy of it.
    fn payload(&self, delivery: &Delivery, personal_data: bool) -> serde_json::Value {
        let referral = &delivery.referral;
        let mut body = serde_json::json!({
            "event": delivery.event,
            "delivery": delivery.id,
            "occurred_at": delivery.created_at,
            "referral": {
                "id": referral.id,
                "partner_id": referral.partner_id,
                "partner": self.config.partners.get(&referral.partner_id).map(|p| p.firm.as_str()),
                "status": delivery.status,
                "submitted_at": referral.submitted_at,
                "possible_duplicate_of": referral.duplicate_of,
            },
        });
        if personal_data {
            body["referral"]["details"] =
                serde_json::to_value(&referral.fields).expect("fields serialize");
        }
        body
    }

    async fn send(&self, email: &Email, delivery: &Delivery) -> Result<String, String> {
        use lettre::AsyncTransport;
        let message = notification_email(&self.config, &email.settings, delivery)?;
        let response = email.transport.send(message).await.map_err(|e| format!("SMTP: {e}"))?;
        Ok(format!("SMTP {}", response.code()))
    }
}

/// The partner manager's email about one event. Every header value goes through lettre's typed
/// builders, which refuse line breaks, and every text is escaped in the HTML part.
pub fn notification_email(
    config: &IntakeConfig,
    settings: &EmailSettings,
    delivery: &Delivery,
) -> Result<lettre::Message, String> {
    use lettre::message::{Mailbox, MultiPart, SinglePart, header::ContentType};
    let referral = &delivery.referral;
    let firm = config.firm(&referral.partner_id);
    // One line, and no `=?` so that text shaped like an encoded word is shown as typed
    // instead of decoded by the mail client.
    let one_line = |text: &str| {
        let flat: String = text.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
        flat.replace("=?", "=\u{2060}?")
    };
    let subject = match delivery.event.as_str() {
        "referral.submitted" => format!(
            "New referral #{} from {}: {}",
            referral.id,
            one_line(firm),
            one_line(&referral.fields.client_org)
        ),
        _ => format!("Referral #{} is now {}", referral.id, delivery.status),
    };
    let due = referral.acknowledge_by(config.sla_hours);
    let f = &referral.fields;
    let rows: Vec<(&str, String)> = vec![
        ("Partner", firm.to_string()),
        ("Status", delivery.status.to_string()),
        ("Referrer", format!("{} <{}>", f.referrer_name, f.referrer_email)),
        ("Client", f.client_org.clone()),
        ("Client domain", f.client_domain.clone().unwrap_or_default()),
        (
            "Client contact",
            [
                Some(f.client_contact_name.clone()),
                f.client_contact_email.clone(),
                f.client_contact_phone.clone(),
            ]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(", "),
        ),
        ("Challenge", f.challenge.clone()),
        ("Context", f.context.clone().unwrap_or_default()),
        ("Promises made", f.promises.clone().unwrap_or_default()),
        ("Involvement", f.involvement.clone()),
        ("Acknowledge by", super::pages::when(due)),
        (
            "Possible duplicate of",
            referral.duplicate_of.map(|d| format!("#{d}")).unwrap_or_default(),
        ),
    ];
    let text: String =
        rows.iter().filter(|(_, v)| !v.is_empty()).map(|(k, v)| format!("{k}: {v}\n")).collect();
    let html = format!(
        "<table>{}</table>",
        rows.iter()
            .filter(|(_, v)| !v.is_empty())
            .map(|(k, v)| format!(
                "<tr><th align=left>{k}</th><td>{}</td></tr>",
                crate::markdown::escape(v)
            ))
            .collect::<String>()
    );
    let from: Mailbox = settings.from.parse().map_err(|e| format!("`from` address: {e}"))?;
    let to: Mailbox = settings.to.parse().map_err(|e| format!("`to` address: {e}"))?;
    lettre::Message::builder()
        .from(from)
        .to(to)
        .subject(subject)
        .multipart(
            MultiPart::alternative()
                .singlepart(SinglePart::builder().header(ContentType::TEXT_PLAIN).body(text))
                .singlepart(SinglePart::builder().header(ContentType::TEXT_HTML).body(html)),
        )
        .map_err(|e| format!("cannot build the email: {e}"))
}

/// A reqwest error without the URL, which may carry credentials.
fn without_url(error: reqwest::Error) -> String {
    let error = error.without_url();
    let mut text = error.to_string();
    let mut source = std::error::Error::source(&error);
    while let Some(cause) = source {
        text.push_str(&format!(": {cause}"));
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::intake::status::Status;
    use crate::intake::store::{Referral, ReferralFields};

    const PARTNERS_YAML: &str = include_str!("../../tests/fixtures/intake/partners.yaml");

    fn config() -> IntakeConfig {
        let program = crate::program::parse(Path::new("partners.yaml"), PARTNERS_YAML).unwrap();
        IntakeConfig::new(&program, &Default::default()).unwrap()
    }

    fn settings(to: &str, from: &str) -> EmailSettings {
        EmailSettings { to: to.into(), from: from.into(), smtp_env: "PORTICO_SMTP_URL".into() }
    }

    fn delivery(client_org: &str, challenge: &str) -> Delivery {
        let fields = ReferralFields {
            referrer_name: "Ana Ruiz".into(),
            referrer_email: "ana@harbor.example".into(),
            client_org: client_org.into(),
            client_domain: Some("acme.example".into()),
            client_contact_name: "Jo Park".into(),
            client_contact_email: None,
            client_contact_phone: None,
            challenge: challenge.into(),
            context: None,
            promises: None,
            involvement: "joint".into(),
            client_consent: true,
        };
        let referral = Referral {
            id: 7,
            partner_id: "harbor".into(),
            token: String::new(),
            status: Status::Submitted,
            submitted_at: Timestamp::UNIX_EPOCH,
            acknowledged_at: None,
            duplicate_of: None,
            fields,
            history: Vec::new(),
        };
        Delivery {
            id: 1,
            channel: Channel::Email,
            event: "referral.submitted".into(),
            status: Status::Submitted,
            created_at: Timestamp::UNIX_EPOCH,
            attempts: 0,
            referral,
        }
    }

    fn formatted(message: &lettre::Message) -> String {
        String::from_utf8(message.formatted()).unwrap()
    }

    #[test]
    fn signature_is_the_hmac_of_timestamp_dot_body() {
        // Computed with `openssl dgst -sha256 -hmac`, not with the crate under test.
        let expected = "sha256=a346256b83ac8e0c5a6d1e0a03ae132613e5ee667c8126c1fa31b711b5a6d0b9";
        let body = br#"{"event":"referral.submitted"}"#;
        assert_eq!(signature(b"whsec-0123456789abcdef", 1_700_000_000, body), expected);
        assert_ne!(signature(b"whsec-0123456789abcdef", 1_700_000_001, body), expected);
    }

    #[test]
    fn email_escapes_referral_text_in_its_html_part() {
        let settings = settings("ops@example.com", "portal@example.com");
        let message = notification_email(
            &config(),
            &settings,
            &delivery("Acme", "<script>alert(1)</script>"),
        )
        .unwrap();
        let text = formatted(&message);
        let html = text.split("Content-Type: text/html").nth(1).expect("an HTML part");
        // Undo quoted-printable soft line breaks, should lettre have chosen that encoding.
        let html = html.replace("=\r\n", "");
        assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"), "{html}");
        assert!(!html.contains("<script>"), "{html}");
    }

    #[test]
    fn email_refuses_addresses_with_line_breaks() {
        let delivery = delivery("Acme", "Slow close.");
        for hostile in
            ["ops@example.com\r\nBcc: spy@evil.example", "ops@example.com\nBcc: spy@x.example"]
        {
            let to =
                notification_email(&config(), &settings(hostile, "portal@example.com"), &delivery);
            assert!(to.unwrap_err().contains("`to`"));
            let from =
                notification_email(&config(), &settings("ops@example.com", hostile), &delivery);
            assert!(from.unwrap_err().contains("`from`"));
        }
    }

    #[test]
    fn email_subject_keeps_a_client_name_on_one_line() {
        let settings = settings("ops@example.com", "portal@example.com");
        let hostile = delivery("Acme\r\nBcc: spy@evil.example", "Slow close.");
        let text = formatted(&notification_email(&config(), &settings, &hostile).unwrap());
        let head = text.split("\r\n\r\n").next().unwrap();
        assert!(!head.contains("\r\nBcc:"), "{head}");
        assert!(head.contains("Subject: New referral #7 from Harbor Legal: Acme  Bcc:"), "{head}");
    }

    #[test]
    fn refuses_to_start_email_with_a_malformed_address() {
        let settings = EmailSettings {
            to: "partners@example.com".into(),
            from: "not an address".into(),
            smtp_env: "PORTICO_SMTP_URL".into(),
        };
        let error = Email::new(settings, "smtp://127.0.0.1:2525").err().unwrap();
        assert!(error.contains("`program.intake.email.from` is not an email address"), "{error}");
    }
}
