//! `portico referrals`: the firm's side of the workflow. Lists, shows and moves referrals along
//! the status ladder, reports SLA breaches, and exports them for spreadsheets.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::io::Write;

use jiff::{SignedDuration, Timestamp};
use rust_decimal::Decimal;

use crate::intake::pages::when;
use crate::intake::status::Status;
use crate::intake::store::{Filter, Referral, Store, StoreError};
use crate::program::Program;

/// Whether a referral breached the acknowledgement SLA, and by how much.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Breach {
    /// Still unacknowledged past its deadline.
    Overdue(SignedDuration),
    /// Acknowledged, but after its deadline.
    Late(SignedDuration),
}

/// The SLA verdict on one referral at `now`.
pub fn breach(referral: &Referral, sla_hours: u32, now: Timestamp) -> Option<Breach> {
    let due = referral.acknowledge_by(sla_hours);
    match referral.acknowledged_at {
        None if referral.status == Status::Submitted && now > due => {
            Some(Breach::Overdue(now.duration_since(due)))
        }
        Some(at) if at > due => Some(Breach::Late(at.duration_since(due))),
        _ => None,
    }
}

fn hours(span: SignedDuration) -> String {
    let minutes = span.as_secs() / 60;
    format!("{}h{:02}m", minutes / 60, minutes % 60)
}

fn firm<'a>(program: &'a Program, partner_id: &'a str) -> &'a str {
    program.partners.iter().find(|p| p.id == partner_id).map_or(partner_id, |p| p.firm.as_str())
}

/// One line per referral: id, date, partner, client, status and flags. No personal data.
pub fn table(program: &Program, referrals: &[Referral], now: Timestamp) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:>6}  {:<16}  {:<24}  {:<24}  {:<12}  flags",
        "id", "submitted", "partner", "client", "status"
    );
    for r in referrals {
        let mut flags = Vec::new();
        if let Some(earlier) = r.duplicate_of {
            flags.push(format!("possible duplicate of #{earlier}"));
        }
        match breach(r, program.response_sla_hours, now) {
            Some(Breach::Overdue(by)) => flags.push(format!("overdue by {}", hours(by))),
            Some(Breach::Late(by)) => flags.push(format!("acknowledged {} late", hours(by))),
            None => {}
        }
        let _ = writeln!(
            out,
            "{:>6}  {:<16}  {:<24}  {:<24}  {:<12}  {}",
            format!("#{}", r.id),
            r.submitted_at.strftime("%Y-%m-%d %H:%M").to_string(),
            clip(firm(program, &r.partner_id), 24),
            clip(&r.fields.client_org, 24),
            r.status.as_str(),
            flags.join("; ")
        );
    }
    let _ = writeln!(
        out,
        "{} referral{}",
        referrals.len(),
        if referrals.len() == 1 { "" } else { "s" }
    );
    out
}

fn clip(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_string();
    }
    let mut clipped: String = text.chars().take(width - 1).collect();
    clipped.push('…');
    clipped
}

/// Everything about one referral, internal notes and delivery log included.
pub async fn show(
    store: &dyn Store,
    program: &Program,
    id: i64,
    tracking_base: Option<&str>,
) -> Result<String, StoreError> {
    let r = store.referral(id).await?;
    let log = store.delivery_log(id).await?;
    let f = &r.fields;
    let mut out = String::new();
    let _ = writeln!(out, "referral #{} — {}", r.id, r.status);
    let rows: [(&str, Option<String>); 16] = [
        ("partner", Some(format!("{} ({})", firm(program, &r.partner_id), r.partner_id))),
        ("submitted", Some(when(r.submitted_at))),
        ("acknowledged", r.acknowledged_at.map(when)),
        (
            "duplicate of",
            r.duplicate_of.map(|d| format!("#{d} (registered earlier by another partner)")),
        ),
        ("referrer", Some(format!("{} <{}>", f.referrer_name, f.referrer_email))),
        ("client", Some(f.client_org.clone())),
        ("domain", f.client_domain.clone()),
        ("contact", Some(f.client_contact_name.clone())),
        ("contact email", f.client_contact_email.clone()),
        ("contact phone", f.client_contact_phone.clone()),
        ("challenge", Some(f.challenge.clone())),
        ("context", f.context.clone()),
        ("promises", f.promises.clone()),
        ("involvement", Some(f.involvement.clone())),
        ("consent", Some(if f.client_consent { "given".into() } else { "not given".into() })),
        ("tracking", tracking_base.map(|base| format!("{base}/{}", r.token))),
    ];
    for (label, value) in rows {
        if let Some(value) = value {
            let _ = writeln!(out, "  {label:<14} {}", value.replace('\n', "\n                 "));
        }
    }
    if let Some(verdict) = breach(&r, program.response_sla_hours, Timestamp::now()) {
        let _ = match verdict {
            Breach::Overdue(by) => writeln!(out, "  {:<14} overdue by {}", "SLA", hours(by)),
            Breach::Late(by) => writeln!(out, "  {:<14} acknowledged {} late", "SLA", hours(by)),
        };
    }
    let _ = writeln!(out, "history:");
    for event in &r.history {
        let _ = writeln!(
            out,
            "  {}  {:<12}  by {}",
            when(event.at),
            event.status.as_str(),
            event.author
        );
        if let Some(note) = &event.partner_note {
            let _ = writeln!(out, "      partner sees: {note}");
        }
        if let Some(note) = &event.internal_note {
            let _ = writeln!(out, "      internal:     {note}");
        }
    }
    if !log.is_empty() {
        let _ = writeln!(out, "notifications:");
        for attempt in &log {
            let _ = writeln!(
                out,
                "  {}  {:?} {}: {} ({})",
                when(attempt.at),
                attempt.channel,
                attempt.event,
                attempt.outcome,
                attempt.detail
            );
        }
    }
    Ok(out)
}

/// Referrals matching `filter`, keeping only SLA breaches when `overdue` is set.
pub async fn select(
    store: &dyn Store,
    program: &Program,
    filter: &Filter,
    overdue: bool,
) -> Result<Vec<Referral>, StoreError> {
    let now = Timestamp::now();
    let mut referrals = store.list(filter).await?;
    if overdue {
        referrals.retain(|r| {
            matches!(breach(r, program.response_sla_hours, now), Some(Breach::Overdue(_)))
        });
    }
    Ok(referrals)
}

/// The SLA report: every referral not acknowledged within the program's SLA.
pub async fn sla_report(store: &dyn Store, program: &Program) -> Result<String, StoreError> {
    let now = Timestamp::now();
    let referrals = store.list(&Filter::default()).await?;
    let breached: Vec<Referral> = referrals
        .into_iter()
        .filter(|r| breach(r, program.response_sla_hours, now).is_some())
        .collect();
    let mut out =
        format!("response SLA: acknowledge within {} hours\n", program.response_sla_hours);
    out.push_str(&table(program, &breached, now));
    Ok(out)
}

/// An amount of the program's currency as typed on the command line, such as `12500.50`.
pub fn parse_money(program: &Program, text: &str) -> Result<Decimal, String> {
    crate::statements::read_amount(text, &program.commission.currency).map_err(|e| e.to_string())
}

/// An engagement type that `partners.yaml` pays on its own terms.
pub fn engagement_type(program: &Program, id: &str) -> Result<String, String> {
    if program.commission.engagements.iter().any(|e| e.id == id) {
        return Ok(id.to_string());
    }
    let help = crate::statements::engagement_help(program, id);
    Err(format!("no engagement type `{id}` in partners.yaml; {help}"))
}

/// A date typed on the command line (`2026-11-20`, or an RFC 3339 time), not after `now`:
/// the books record what happened, as the ledger's do.
pub fn past_date(text: &str, now: Timestamp) -> Result<Timestamp, String> {
    crate::statements::period::past_date(text, now).map_err(|e| e.to_string())
}

/// The export formats.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Format {
    Csv,
    Json,
}

const CSV_COLUMNS: [&str; 19] = [
    "id",
    "submitted_at",
    "partner_id",
    "partner",
    "status",
    "acknowledged_at",
    "duplicate_of",
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
];

/// Writes referrals as CSV (safe to open in a spreadsheet) or as JSON with their history.
pub fn export(
    program: &Program,
    referrals: &[Referral],
    format: Format,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    match format {
        Format::Json => {
            serde_json::to_writer_pretty(&mut *out, referrals)?;
            out.write_all(b"\n")
        }
        Format::Csv => {
            let mut csv = csv::Writer::from_writer(out);
            csv.write_record(CSV_COLUMNS)?;
            for r in referrals {
                let f = &r.fields;
                let optional = |v: &Option<String>| v.clone().unwrap_or_default();
                let row = [
                    r.id.to_string(),
                    r.submitted_at.to_string(),
                    r.partner_id.clone(),
                    firm(program, &r.partner_id).to_string(),
                    r.status.to_string(),
                    r.acknowledged_at.map(|t| t.to_string()).unwrap_or_default(),
                    r.duplicate_of.map(|d| d.to_string()).unwrap_or_default(),
                    f.referrer_name.clone(),
                    f.referrer_email.clone(),
                    f.client_org.clone(),
                    optional(&f.client_domain),
                    f.client_contact_name.clone(),
                    optional(&f.client_contact_email),
                    optional(&f.client_contact_phone),
                    f.challenge.clone(),
                    optional(&f.context),
                    optional(&f.promises),
                    f.involvement.clone(),
                    f.client_consent.to_string(),
                ];
                csv.write_record(row.iter().map(|cell| spreadsheet_safe(cell).into_owned()))?;
            }
            csv.flush()
        }
    }
}

/// A cell a spreadsheet shows as text: one that would start a formula gets a leading `'`. A
/// formula starts with `=`, `+`, `-` or `@` (or their full-width forms, which some spreadsheets
/// fold), possibly behind spaces or invisible characters, or the cell starts with a tab or a
/// line break.
pub fn spreadsheet_safe(cell: &str) -> Cow<'_, str> {
    let starts_line = cell.starts_with(['\t', '\r', '\n']);
    let first = cell.chars().find(|c| !c.is_whitespace() && !is_invisible(*c));
    let formula = matches!(
        first,
        Some(
            '=' | '+'
                | '-'
                | '@'
                | '\u{FF1D}'
                | '\u{FE66}'
                | '\u{FF0B}'
                | '\u{FE62}'
                | '\u{FF0D}'
                | '\u{FE63}'
                | '\u{FF20}'
                | '\u{FE6B}'
        )
    );
    if starts_line || formula { Cow::Owned(format!("'{cell}")) } else { Cow::Borrowed(cell) }
}

/// Format characters that take no space: zero-width spaces and joiners, direction marks, the
/// byte-order mark, the soft hyphen.
fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2069}'
            | '\u{FEFF}'
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defuses_cells_that_start_a_formula() {
        for hostile in ["=HYPERLINK(\"http://x\")", "+1+1", "-2+3", "@SUM(A1)", "\tcmd", "\r=1"] {
            assert!(spreadsheet_safe(hostile).starts_with('\''), "{hostile:?}");
        }
        for hidden in [
            "\u{200B}=1+1",
            "\u{FEFF}=1+1",
            "\u{202E}=1+1",
            "\u{FF1D}1+1",
            "\u{FE66}1+1",
            "  =1",
            "\n=1",
        ] {
            assert!(spreadsheet_safe(hidden).starts_with('\''), "{hidden:?}");
        }
        assert_eq!(spreadsheet_safe("Acme = good"), "Acme = good");
        assert_eq!(spreadsheet_safe("3-2"), "3-2");
        assert_eq!(spreadsheet_safe("山田"), "山田");
    }
}
