//! Statements and the scorecard as CSV, safe to open in a spreadsheet: text that a
//! spreadsheet would take for a formula is written with a leading `'` (see
//! [`spreadsheet_safe`]). Figures are plain (`12500.00`, `66.7%`) so they stay numbers.

use super::figures::{Statement, conversion_text, engagement_name};
use super::period::day;
use super::scorecard::{Scorecard, hours};
use crate::commission::{Currency, Schedule, percent};
use crate::intake::status::Status;
use crate::referrals::spreadsheet_safe;

const STATEMENT_COLUMNS: [&str; 12] = [
    "partner_id",
    "period",
    "section",
    "item",
    "date",
    "client",
    "status",
    "engagement",
    "fees",
    "rate",
    "value",
    "note",
];

/// One statement row: text cells made safe, figure cells as written.
#[derive(Default)]
struct Line {
    section: &'static str,
    item: String,
    date: String,
    client: String,
    status: String,
    engagement: String,
    fees: String,
    rate: String,
    value: String,
    note: String,
}

impl Line {
    fn new(section: &'static str, item: impl Into<String>) -> Line {
        Line { section, item: item.into(), ..Line::default() }
    }

    fn value(self, value: impl Into<String>) -> Line {
        Line { value: value.into(), ..self }
    }

    fn cells(self, partner_id: &str, period: &str) -> [String; 12] {
        let safe = |text: &str| spreadsheet_safe(text).into_owned();
        [
            safe(partner_id),
            period.to_string(),
            self.section.to_string(),
            safe(&self.item),
            self.date,
            safe(&self.client),
            self.status,
            safe(&self.engagement),
            self.fees,
            self.rate,
            self.value,
            safe(&self.note),
        ]
    }
}

/// A partner's statement as CSV: summary figures, then one row per referral, payment and
/// referral received, each tagged with its section.
pub fn statement(s: &Statement<'_>, schedule: &Schedule) -> Vec<u8> {
    let currency = &schedule.currency;
    let money = |amount| currency.plain(amount);
    let mut lines = vec![
        Line::new("summary", "currency").value(currency.code),
        Line::new("summary", "referrals_submitted").value(s.submitted.len().to_string()),
        Line::new("summary", "won").value(s.outcomes.won.to_string()),
        Line::new("summary", "lost").value(s.outcomes.lost.to_string()),
        Line::new("summary", "conversion")
            .value(s.outcomes.conversion().map(conversion_text).unwrap_or_default()),
        Line::new("summary", "revenue").value(money(s.outcomes.revenue)),
        Line::new("summary", "commission_earned").value(money(s.earned)),
        Line::new("summary", "commission_paid").value(money(s.paid)),
        Line::new("summary", "earned_to_date").value(money(s.earned_to_date)),
        Line::new("summary", "paid_to_date").value(money(s.paid_to_date)),
        Line::new("summary", "balance").value(money(s.balance)),
    ];
    for status in Status::ALL {
        let count = s.submitted.iter().filter(|(_, at_end)| *at_end == status).count();
        lines.push(Line::new("status", status.as_str()).value(count.to_string()));
    }
    for (referral, status) in &s.submitted {
        lines.push(Line {
            date: day(referral.submitted_at),
            client: referral.client.clone(),
            status: status.as_str().to_string(),
            ..Line::new("submitted", &referral.reference)
        });
    }
    for (referral, earned) in &s.won {
        let win = referral.win.as_ref();
        lines.push(Line {
            date: win.map(|w| day(w.at)).unwrap_or_default(),
            client: referral.client.clone(),
            status: Status::Won.as_str().to_string(),
            engagement: win
                .and_then(|w| w.engagement.as_deref())
                .map_or("", |id| engagement_name(schedule, id))
                .to_string(),
            fees: win.and_then(|w| w.fees).map(money).unwrap_or_default(),
            rate: percent(earned.rate),
            value: money(earned.amount),
            note: if win.is_some_and(|w| w.fees.is_none()) {
                "fees not recorded yet".into()
            } else {
                String::new()
            },
            ..Line::new("won", &referral.reference)
        });
    }
    if !s.true_up.is_zero() {
        lines.push(Line::new("true-up", "").value(money(s.true_up)));
    }
    for payment in &s.payments {
        lines.push(Line {
            date: day(payment.paid_at),
            note: payment.note.clone().unwrap_or_default(),
            ..Line::new("payment", "").value(money(payment.amount))
        });
    }
    for sent in &s.received {
        lines.push(Line {
            date: day(sent.sent_at),
            client: sent.client_org.clone(),
            status: sent.status.as_str().to_string(),
            ..Line::new("received", "")
        });
    }
    let period = s.period.to_string();
    let rows = lines.into_iter().map(|line| line.cells(&s.partner.id, &period));
    write(&STATEMENT_COLUMNS, rows)
}

const SCORECARD_COLUMNS: [&str; 15] = [
    "partner_id",
    "partner",
    "tier",
    "sent",
    "received",
    "reciprocity",
    "won",
    "lost",
    "conversion",
    "revenue",
    "acknowledged",
    "within_sla",
    "median_hours_to_acknowledge",
    "sla_hours",
    "quiet",
];

/// The scorecard as CSV, one row per partner.
pub fn scorecard(card: &Scorecard<'_>, currency: &Currency) -> Vec<u8> {
    let rows = card.rows.iter().map(|row| {
        let safe = |text: &str| spreadsheet_safe(text).into_owned();
        [
            safe(&row.partner.id),
            safe(&row.partner.firm),
            safe(&row.partner.tier),
            row.sent.to_string(),
            row.received.to_string(),
            row.reciprocity().to_string(),
            row.outcomes.won.to_string(),
            row.outcomes.lost.to_string(),
            row.outcomes.conversion().map(conversion_text).unwrap_or_default(),
            currency.plain(row.outcomes.revenue),
            row.acknowledged.to_string(),
            row.within_sla.to_string(),
            row.median_acknowledgement.map(|m| hours(m).to_string()).unwrap_or_default(),
            card.sla_hours.to_string(),
            if row.quiet { "yes" } else { "no" }.to_string(),
        ]
    });
    write(&SCORECARD_COLUMNS, rows)
}

fn write<const N: usize>(columns: &[&str; N], rows: impl Iterator<Item = [String; N]>) -> Vec<u8> {
    let mut csv = csv::Writer::from_writer(Vec::new());
    let written = csv
        .write_record(columns)
        .and_then(|()| rows.into_iter().try_for_each(|row| csv.write_record(&row)));
    written.expect("writing CSV into memory cannot fail");
    csv.into_inner().expect("a CSV writer over memory flushes")
}
