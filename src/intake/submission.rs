//! A referral as posted: the field allow-list, parsing of form and JSON bodies, and
//! validation into [`ReferralFields`] with a message per bad field.

use std::collections::BTreeMap;

use serde::Serialize;

use super::address::host_name;
use super::store::ReferralFields;

/// Every field a submission may carry, in the order the form shows them.
pub const FIELDS: &[&str] = &[
    "partner_id",
    "referrer_name",
    "referrer_email",
    "client_org",
    "client_domain",
    "client_contact_name",
    "client_contact_email",
    "client_contact_phone",
    "challenge",
    "context",
    "promises",
    "involvement",
    "client_consent",
    "idempotency_key",
    HONEYPOT,
];

/// The field people never see and bots fill in. It must be present and empty.
pub const HONEYPOT: &str = "website";

/// The ways a partner may want to take part after the introduction.
pub const INVOLVEMENT: &[&str] = &["introduce", "joint", "co-deliver"];

/// A body that is not a submission at all: answered 400.
#[derive(Debug, PartialEq, thiserror::Error)]
pub enum Malformed {
    #[error("the body is not valid UTF-8")]
    NotUtf8,
    #[error("the body is not valid JSON: {0}")]
    Json(String),
    #[error("the JSON body must be an object of fields")]
    NotAnObject,
    #[error("the form body is malformed: {0}")]
    Form(&'static str),
}

/// Fields as posted, in order, before any checking.
#[derive(Debug, Default)]
pub struct Posted(Vec<(String, Value)>);

#[derive(Debug, Clone, PartialEq)]
enum Value {
    Text(String),
    Bool(bool),
    Other,
}

impl Posted {
    /// Parses `application/x-www-form-urlencoded`, rejecting (not replacing) invalid UTF-8.
    pub fn from_form(body: &[u8]) -> Result<Posted, Malformed> {
        let mut fields = Vec::new();
        for pair in body.split(|&b| b == b'&').filter(|pair| !pair.is_empty()) {
            let (name, value) = match pair.iter().position(|&b| b == b'=') {
                Some(at) => (&pair[..at], &pair[at + 1..]),
                None => (pair, &b""[..]),
            };
            fields.push((form_text(name)?, Value::Text(form_text(value)?)));
        }
        Ok(Posted(fields))
    }

    /// Parses a JSON object of strings and booleans; a repeated key is kept twice so that
    /// validation can reject it.
    pub fn from_json(body: &[u8]) -> Result<Posted, Malformed> {
        let text = std::str::from_utf8(body).map_err(|_| Malformed::NotUtf8)?;
        let fields: JsonFields = serde_json::from_str(text).map_err(|e| match e.classify() {
            serde_json::error::Category::Data => Malformed::NotAnObject,
            _ => Malformed::Json(e.to_string()),
        })?;
        Ok(Posted(fields.0))
    }

    /// The text posted for `name`, if it was posted once as text.
    fn text(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|(n, _)| n == name).and_then(|(_, v)| match v {
            Value::Text(text) => Some(text.as_str()),
            _ => None,
        })
    }

    /// Whether the honeypot shows a bot: missing, or filled in.
    /// (A honeypot sent twice, both empty, is a broken form, not a bot: validation refuses it.)
    pub fn is_spam(&self) -> bool {
        let mut honeypot = self.0.iter().filter(|(n, _)| n == HONEYPOT).peekable();
        honeypot.peek().is_none()
            || honeypot.any(|(_, value)| !matches!(value, Value::Text(text) if text.is_empty()))
    }

    /// Adds the key from an `Idempotency-Key` header as if it were the field; sent both ways,
    /// validation sees it twice and refuses it, whether or not the two agree.
    pub fn add_idempotency_header(&mut self, header: &[u8]) {
        let value = match std::str::from_utf8(header) {
            Ok(text) => Value::Text(text.to_string()),
            Err(_) => Value::Other,
        };
        self.0.push(("idempotency_key".to_string(), value));
    }

    /// What the partner typed, to fill the form in again beside the errors.
    pub fn values(&self) -> BTreeMap<String, String> {
        self.0
            .iter()
            .filter(|(name, _)| name != HONEYPOT && FIELDS.contains(&name.as_str()))
            .map(|(name, value)| {
                let text = match value {
                    Value::Text(text) => text.clone(),
                    Value::Bool(true) => "yes".to_string(),
                    Value::Bool(false) | Value::Other => String::new(),
                };
                (name.clone(), text)
            })
            .collect()
    }
}

fn form_text(encoded: &[u8]) -> Result<String, Malformed> {
    let mut bytes = Vec::with_capacity(encoded.len());
    let mut i = 0;
    while i < encoded.len() {
        match encoded[i] {
            b'+' => bytes.push(b' '),
            b'%' => {
                let hex =
                    encoded.get(i + 1..i + 3).ok_or(Malformed::Form("a cut-off `%` escape"))?;
                // from_str_radix alone would take `%+A`, which no other decoder does.
                if !hex.iter().all(u8::is_ascii_hexdigit) {
                    return Err(Malformed::Form("a bad `%` escape"));
                }
                let hex = std::str::from_utf8(hex).expect("hex digits are ASCII");
                bytes.push(u8::from_str_radix(hex, 16).expect("two hex digits"));
                i += 2;
            }
            byte => bytes.push(byte),
        }
        i += 1;
    }
    String::from_utf8(bytes).map_err(|_| Malformed::NotUtf8)
}

struct JsonFields(Vec<(String, Value)>);

impl<'de> serde::Deserialize<'de> for JsonFields {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = JsonFields;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an object of fields")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<JsonFields, A::Error> {
                let mut fields = Vec::new();
                while let Some((name, value)) = map.next_entry::<String, serde_json::Value>()? {
                    let value = match value {
                        serde_json::Value::String(text) => Value::Text(text),
                        serde_json::Value::Bool(flag) => Value::Bool(flag),
                        serde_json::Value::Null => continue,
                        _ => Value::Other,
                    };
                    fields.push((name, value));
                }
                Ok(JsonFields(fields))
            }
        }
        deserializer.deserialize_map(Visitor)
    }
}

/// A valid submission.
#[derive(Debug, Clone)]
pub struct Submission {
    pub partner_id: String,
    pub fields: ReferralFields,
    pub idempotency_key: Option<String>,
}

/// A message per bad field, keyed by field name.
#[derive(Debug, Default, Clone, Serialize, PartialEq)]
pub struct FieldErrors(pub BTreeMap<String, String>);

impl FieldErrors {
    fn add(&mut self, field: &str, message: impl Into<String>) {
        self.0.entry(field.to_string()).or_insert_with(|| message.into());
    }
}

/// Checks every field; `known_partner` says whether a partner id is in `partners.yaml`.
pub fn validate(
    posted: &Posted,
    known_partner: impl Fn(&str) -> bool,
) -> Result<Submission, FieldErrors> {
    let mut errors = FieldErrors::default();
    let mut seen = Vec::new();
    for (name, value) in &posted.0 {
        if !FIELDS.contains(&name.as_str()) {
            errors.add(name, "unknown field; remove it");
        } else if seen.contains(&name) {
            errors.add(name, "sent more than once; send each field once");
        } else if *value == Value::Other {
            errors.add(name, "must be text");
        }
        seen.push(name);
    }
    let mut check = Checker { posted, errors };
    // Ids are lowercase in partners.yaml; people type them as they remember them.
    let partner_id =
        check.text("partner_id", 64, Lines::One, Need::Required).map(|id| id.to_lowercase());
    if let Some(id) = &partner_id
        && !known_partner(id)
    {
        check.errors.add(
            "partner_id",
            "no partner has this ID; use the partner ID the partner team gave you",
        );
    }
    let referrer_name = check.text("referrer_name", 200, Lines::One, Need::Required);
    let referrer_email = check.email("referrer_email", Need::Required);
    let client_org = check.text("client_org", 200, Lines::One, Need::Required);
    let client_domain = check.domain("client_domain");
    let client_contact_name = check.text("client_contact_name", 200, Lines::One, Need::Required);
    let client_contact_email = check.email("client_contact_email", Need::Optional);
    let client_contact_phone = check.phone("client_contact_phone");
    let challenge = check.text("challenge", 4000, Lines::Many, Need::Required);
    let context = check.text("context", 4000, Lines::Many, Need::Optional);
    let promises = check.text("promises", 2000, Lines::Many, Need::Optional);
    let involvement = check.involvement();
    let client_consent = check.consent();
    let idempotency_key = check.idempotency_key();
    let Checker { errors, .. } = check;
    if !errors.0.is_empty() {
        return Err(errors);
    }
    let required = "checked above";
    Ok(Submission {
        partner_id: partner_id.expect(required),
        fields: ReferralFields {
            referrer_name: referrer_name.expect(required),
            referrer_email: referrer_email.expect(required),
            client_org: client_org.expect(required),
            client_domain,
            client_contact_name: client_contact_name.expect(required),
            client_contact_email,
            client_contact_phone,
            challenge: challenge.expect(required),
            context,
            promises,
            involvement,
            client_consent,
        },
        idempotency_key,
    })
}

#[derive(Clone, Copy, PartialEq)]
enum Lines {
    One,
    Many,
}

#[derive(Clone, Copy, PartialEq)]
enum Need {
    Required,
    Optional,
}

struct Checker<'a> {
    posted: &'a Posted,
    errors: FieldErrors,
}

impl Checker<'_> {
    /// Trimmed text within `max` characters, kept exactly as typed otherwise.
    fn text(&mut self, name: &str, max: usize, lines: Lines, need: Need) -> Option<String> {
        let text = self.posted.text(name).map(str::trim).unwrap_or_default();
        if text.is_empty() {
            if need == Need::Required {
                self.errors.add(name, "required");
            }
            return None;
        }
        // Browsers send a textarea's line breaks as CRLF; a lone CR would let a note rewrite
        // the terminal line it is printed on.
        let text = match lines {
            Lines::Many => text.replace("\r\n", "\n").replace('\r', "\n"),
            Lines::One => text.to_string(),
        };
        let allowed = |c: char| lines == Lines::Many && matches!(c, '\n' | '\t');
        if text.chars().any(|c| c.is_control() && !allowed(c)) {
            self.errors.add(name, "contains control characters; type plain text");
            return None;
        }
        if text.chars().any(is_direction_override) {
            self.errors.add(name, "contains invisible text-direction overrides; type plain text");
            return None;
        }
        let length = text.chars().count();
        if length > max {
            self.errors.add(name, format!("too long: {length} characters, at most {max}"));
            return None;
        }
        Some(text)
    }

    fn email(&mut self, name: &str, need: Need) -> Option<String> {
        let email = self.text(name, 254, Lines::One, need)?;
        let valid = email.rsplit_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && local.len() <= 64
                && !local.contains(|c: char| c.is_whitespace() || "<>()[],;:\\\"@".contains(c))
                && !local.starts_with('.')
                && !local.ends_with('.')
                && !local.contains("..")
                && host_name(domain).is_some()
        });
        if !valid {
            self.errors.add(name, "not an email address; write it as name@example.com");
            return None;
        }
        Some(email)
    }

    fn domain(&mut self, name: &str) -> Option<String> {
        let text = self.text(name, 253, Lines::One, Need::Optional)?;
        let lower = text.to_lowercase();
        let rest =
            lower.strip_prefix("https://").or(lower.strip_prefix("http://")).unwrap_or(&lower);
        let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
        let host = host
            .rsplit_once(':')
            .filter(|(_, port)| port.parse::<u16>().is_ok())
            .map_or(host, |(h, _)| h);
        match host_name(host) {
            Some(host) => Some(host.strip_prefix("www.").unwrap_or(&host).to_string()),
            None => {
                self.errors.add(name, "not a website domain; write it as example.com");
                None
            }
        }
    }

    fn phone(&mut self, name: &str) -> Option<String> {
        let phone = self.text(name, 40, Lines::One, Need::Optional)?;
        let digits = phone.chars().filter(char::is_ascii_digit).count();
        let allowed = phone.chars().all(|c| c.is_ascii_alphanumeric() || " +()-./#*".contains(c));
        if !allowed || !(6..=20).contains(&digits) {
            self.errors.add(name, "not a phone number; write digits with an optional leading +");
            return None;
        }
        Some(phone)
    }

    fn involvement(&mut self) -> String {
        let chosen = self.text("involvement", 32, Lines::One, Need::Optional);
        match chosen {
            None => INVOLVEMENT[0].to_string(),
            Some(value) if INVOLVEMENT.contains(&value.as_str()) => value,
            Some(_) => {
                self.errors
                    .add("involvement", format!("choose one of: {}", INVOLVEMENT.join(", ")));
                INVOLVEMENT[0].to_string()
            }
        }
    }

    fn consent(&mut self) -> bool {
        let given = self.posted.0.iter().any(|(name, value)| {
            name == "client_consent"
                && match value {
                    Value::Bool(flag) => *flag,
                    Value::Text(text) => matches!(text.as_str(), "yes" | "on" | "true" | "1"),
                    Value::Other => false,
                }
        });
        if !given {
            self.errors.add(
                "client_consent",
                "confirm that the client agreed to be contacted; we contact no one who has not",
            );
        }
        given
    }

    fn idempotency_key(&mut self) -> Option<String> {
        let key = self.text("idempotency_key", 128, Lines::One, Need::Optional)?;
        if !key.chars().all(|c| c.is_ascii_alphanumeric() || "-_.:".contains(c)) {
            self.errors.add("idempotency_key", "use letters, digits, `-`, `_`, `.` or `:`");
            return None;
        }
        Some(key)
    }
}

/// Characters that reorder how the text around them is displayed, a way to make a referral
/// read differently than it was written. Marks that only set a direction (U+200E, U+200F, U+061C)
/// stay allowed: right-to-left names need them.
fn is_direction_override(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// How the form labels a field, for messages that list them.
pub fn label(field: &str) -> &str {
    match field {
        "partner_id" => "Your partner ID",
        "referrer_name" => "Your name",
        "referrer_email" => "Your email",
        "client_org" => "Client organisation",
        "client_domain" => "Client website domain",
        "client_contact_name" => "Client contact",
        "client_contact_email" => "Client contact's email",
        "client_contact_phone" => "Client contact's phone",
        "challenge" => "The challenge",
        "context" => "Context",
        "promises" => "What you told the client",
        "involvement" => "Your involvement",
        "client_consent" => "The client's consent",
        "idempotency_key" => "Submission key",
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(body: &str) -> Posted {
        Posted::from_form(body.as_bytes()).unwrap()
    }

    const VALID: &str = "partner_id=harbor-legal&referrer_name=Ana&referrer_email=ana%40harbor.example\
        &client_org=Acme&client_domain=https%3A%2F%2Fwww.Acme.example%2Fabout\
        &client_contact_name=Jo&challenge=Close+is+slow&client_consent=yes&website=";

    fn check(body: &str) -> Result<Submission, FieldErrors> {
        validate(&form(body), |id| id == "harbor-legal")
    }

    #[test]
    fn accepts_a_complete_form_and_normalizes_the_domain() {
        let submission = check(VALID).unwrap();
        assert_eq!(submission.fields.client_domain.as_deref(), Some("acme.example"));
        assert_eq!(submission.fields.challenge, "Close is slow");
        assert_eq!(submission.fields.involvement, "introduce");
    }

    #[test]
    fn keeps_accents_cjk_and_right_to_left_names_exactly() {
        for name in ["Zoë Ångström-Núñez", "山田 太郎", "مريم الحسيني", "דוד כהן"]
        {
            let body =
                VALID.replace("referrer_name=Ana", &format!("referrer_name={}", url_encode(name)));
            assert_eq!(check(&body).unwrap().fields.referrer_name, name);
        }
    }

    fn url_encode(text: &str) -> String {
        text.bytes().map(|b| format!("%{b:02X}")).collect()
    }

    #[test]
    fn rejects_invalid_utf8_instead_of_replacing_it() {
        assert_eq!(Posted::from_form(b"referrer_name=%FF%FE").unwrap_err(), Malformed::NotUtf8);
        assert_eq!(Posted::from_json(b"{\"a\":\"\xff\"}").unwrap_err(), Malformed::NotUtf8);
    }

    #[test]
    fn names_each_bad_field() {
        let body = VALID
            .replace("ana%40harbor.example", "ana-at-harbor")
            .replace("client_consent=yes&", "")
            .replace("harbor-legal", "nobody");
        let errors = check(&format!("{body}&color=red")).unwrap_err().0;
        assert_eq!(
            errors.keys().collect::<Vec<_>>(),
            ["client_consent", "color", "partner_id", "referrer_email"]
        );
    }

    #[test]
    fn rejects_a_field_sent_twice() {
        let errors = check(&format!("{VALID}&client_org=Other")).unwrap_err().0;
        assert!(errors["client_org"].contains("more than once"));
    }

    #[test]
    fn enforces_length_limits_in_characters() {
        let body = VALID.replace("client_org=Acme", &format!("client_org={}", "é".repeat(201)));
        let errors = check(&body).unwrap_err().0;
        assert_eq!(errors["client_org"], "too long: 201 characters, at most 200");
        let body = VALID.replace("client_org=Acme", &format!("client_org={}", "é".repeat(200)));
        assert!(check(&body).is_ok());
    }

    #[test]
    fn rejects_control_characters_in_single_line_fields() {
        let errors =
            check(&VALID.replace("referrer_name=Ana", "referrer_name=Ana%0D%0ABcc")).unwrap_err();
        assert!(errors.0["referrer_name"].contains("control characters"));
        assert!(check(&VALID.replace("challenge=Close", "challenge=Close%0D%0Aslow")).is_ok());
    }

    #[test]
    fn checks_email_and_domain_syntax() {
        for bad in
            ["a@b", "a@@b.example", "a b@c.example", "@c.example", "a@-c.example", "a@1.2.3.4"]
        {
            let body = VALID.replace("ana%40harbor.example", &url_encode(bad));
            assert!(check(&body).unwrap_err().0.contains_key("referrer_email"), "{bad}");
        }
        for bad in ["localhost", "acme", "acme..example", "127.0.0.1", "exa mple.com", "acme.123"] {
            let body = VALID.replace(
                "client_domain=https%3A%2F%2Fwww.Acme.example%2Fabout",
                &format!("client_domain={}", url_encode(bad)),
            );
            assert!(check(&body).unwrap_err().0.contains_key("client_domain"), "{bad}");
        }
        let body = VALID.replace(
            "client_domain=https%3A%2F%2Fwww.Acme.example%2Fabout",
            &format!("client_domain={}", url_encode("Bücher.example")),
        );
        assert_eq!(
            check(&body).unwrap().fields.client_domain.as_deref(),
            Some("xn--bcher-kva.example")
        );
    }

    #[test]
    fn honeypot_must_be_present_and_empty() {
        assert!(!form(VALID).is_spam());
        assert!(form(&VALID.replace("website=", "website=http%3A%2F%2Fspam.example")).is_spam());
        assert!(form(&VALID.replace("&website=", "")).is_spam());
    }

    #[test]
    fn reads_json_with_a_boolean_consent() {
        let json = r#"{"partner_id":"harbor-legal","referrer_name":"Ana","referrer_email":"ana@harbor.example",
            "client_org":"Acme","client_contact_name":"Jo","challenge":"x","client_consent":true,"website":""}"#;
        let posted = Posted::from_json(json.as_bytes()).unwrap();
        assert!(!posted.is_spam());
        assert!(validate(&posted, |_| true).unwrap().fields.client_consent);
        assert_eq!(Posted::from_json(b"[1]").unwrap_err(), Malformed::NotAnObject);
        let twice = br#"{"client_org":"A","client_org":"B"}"#;
        let errors = validate(&Posted::from_json(twice).unwrap(), |_| true).unwrap_err();
        assert!(errors.0["client_org"].contains("more than once"));
    }

    #[test]
    fn partner_ids_match_whatever_their_case() {
        let body = VALID.replace("partner_id=harbor-legal", "partner_id=Harbor-Legal");
        assert_eq!(check(&body).unwrap().partner_id, "harbor-legal");
    }

    #[test]
    fn refuses_a_percent_escape_that_is_not_two_hex_digits() {
        assert!(Posted::from_form(b"challenge=Pct%+AThe").is_err());
        assert!(Posted::from_form(b"challenge=%4").is_err());
    }

    #[test]
    fn line_breaks_become_newlines_and_a_lone_carriage_return_cannot_rewrite_a_line() {
        let body = VALID.replace("challenge=Close+is+slow", "challenge=Real%0D%0Anext%0DSPOOF");
        assert_eq!(check(&body).unwrap().fields.challenge, "Real\nnext\nSPOOF");
    }

    #[test]
    fn refuses_text_direction_overrides_but_keeps_direction_marks() {
        let spoof = VALID.replace("client_org=Acme", "client_org=Acme%E2%80%AEevil");
        assert!(check(&spoof).unwrap_err().0["client_org"].contains("text-direction"));
        let marked =
            VALID.replace("referrer_name=Ana", "referrer_name=%D9%85%D8%B1%D9%8A%D9%85%E2%80%8F");
        assert!(check(&marked).is_ok());
    }
}
