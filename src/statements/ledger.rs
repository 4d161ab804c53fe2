//! The CSV ledger: the same activity as the referral database, kept by hand or exported from
//! another system by firms that do not run the intake service.
//!
//! One row per event, under a header naming its columns (in any order; only `date`, `partner`
//! and `event` must be there), as the README's table also describes:
//!
//! - `date`: `2026-11-20` (the start of that day, UTC) or an RFC 3339 time, never in the
//!   future;
//! - `partner`: the partner's `id` in `partners.yaml`;
//! - `event`: `referral` (the partner's referral moved to `status`), `outbound` (the firm
//!   referred a client to the partner) or `paid` (commission paid);
//! - `referral`: the ledger's own reference for a referral, such as `HL-101`;
//! - `status`: a status of the ladder; a referral's first row is `submitted`;
//! - `client`: the client organisation, on a referral's first row and a new `outbound` row;
//! - `amount`: fees collected on a `won` row; the sum paid on a `paid` row;
//! - `engagement`: on a `won` row, an engagement type of `partners.yaml` paid on its own terms;
//! - `note`: on a `paid` row, free text shown with the payment.
//!
//! A cell with no place on its row is refused rather than ignored. Lines starting with `#` are
//! comments. Every bad row is reported with its `file:line:col`.

use std::collections::HashMap;
use std::path::Path;

use csv::StringRecord;
use jiff::Timestamp;
use rust_decimal::Decimal;

use super::activity::{Activity, Inbound, WonOn};
use super::period::past_date;
use crate::diagnostic::{Diagnostic, Position, suggest};
use crate::intake::status::Status;
use crate::intake::store::{Outbound, Payment};
use crate::program::Program;

const COLUMNS: [&str; 9] =
    ["date", "partner", "event", "referral", "status", "client", "amount", "engagement", "note"];
const REQUIRED: [&str; 3] = ["date", "partner", "event"];
const EVENTS: [&str; 3] = ["referral", "outbound", "paid"];
/// Why a note on any row but a payment is refused.
const NOTES: &str = "notes are shown with payments only";

/// Reads and checks the ledger at `path`; no row may be dated after `now`.
pub fn read(path: &Path, program: &Program, now: Timestamp) -> Result<Activity, Vec<Diagnostic>> {
    let bytes = std::fs::read(path).map_err(|e| {
        let problem = Diagnostic::error(path, format!("cannot read the ledger: {e}"));
        vec![problem.with_help("pass the path of the CSV ledger with `--ledger`")]
    })?;
    let text = String::from_utf8(bytes).map_err(|e| vec![Diagnostic::not_utf8(path, &e)])?;
    parse(path, &text, program, now)
}

/// Checks the text of a ledger, reporting every bad row.
pub fn parse(
    path: &Path,
    text: &str,
    program: &Program,
    now: Timestamp,
) -> Result<Activity, Vec<Diagnostic>> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .comment(Some(b'#'))
        .trim(csv::Trim::All)
        .from_reader(text.strip_prefix('\u{feff}').unwrap_or(text).as_bytes());
    let mut ledger = Ledger {
        path,
        text,
        program,
        now,
        columns: HashMap::new(),
        width: 0,
        references: HashMap::new(),
        activity: Activity::default(),
        problems: Vec::new(),
    };
    let mut header = true;
    for record in reader.records() {
        match record {
            Ok(record) if header => {
                header = false;
                ledger.header(&record);
                if !ledger.problems.is_empty() {
                    break;
                }
            }
            Ok(record) => ledger.row(&record),
            Err(e) => {
                let line = e.position().map_or(1, |p| p.line() as usize);
                ledger.problem(
                    line,
                    0,
                    format!("this is not CSV: {e}"),
                    "quote cells that hold commas, quotes or line breaks with `\"`",
                );
            }
        }
    }
    if header && ledger.problems.is_empty() {
        ledger.problem(1, 0, "the ledger has no header".into(), &header_help());
    }
    if ledger.problems.is_empty() { Ok(ledger.activity) } else { Err(ledger.problems) }
}

fn header_help() -> String {
    format!("start the file with a header line naming its columns: {}", COLUMNS.join(","))
}

/// What a reference names, and the line that introduced it.
#[derive(Clone, Copy)]
enum Reference {
    Inbound { index: usize, line: usize },
    Outbound { index: usize, line: usize },
}

struct Ledger<'a> {
    path: &'a Path,
    text: &'a str,
    program: &'a Program,
    /// The books record what has happened: a row dated after this is refused.
    now: Timestamp,
    /// Column name → index in each row.
    columns: HashMap<&'static str, usize>,
    width: usize,
    references: HashMap<String, Reference>,
    activity: Activity,
    problems: Vec<Diagnostic>,
}

/// One data row, with where it is.
struct Row<'r> {
    record: &'r StringRecord,
    line: usize,
}

impl Ledger<'_> {
    fn problem(&mut self, line: usize, field: usize, message: String, help: &str) {
        let source = self.text.lines().nth(line.saturating_sub(1)).unwrap_or("");
        let column = field_column(source, field);
        let problem = Diagnostic::error(self.path, message)
            .at(self.text, Position::new(line, column))
            .with_help(help);
        self.problems.push(problem);
    }

    fn header(&mut self, record: &StringRecord) {
        let line = line_of(record);
        self.width = record.len();
        for (index, name) in record.iter().enumerate() {
            match COLUMNS.iter().find(|c| **c == name) {
                Some(column) if self.columns.contains_key(column) => {
                    let message = format!("the column `{name}` is named twice");
                    self.problem(line, index, message, "name each column once");
                }
                Some(column) => {
                    self.columns.insert(column, index);
                }
                None => {
                    let help = suggest(name, COLUMNS, |all| format!("the columns are: {all}"));
                    self.problem(line, index, format!("unknown column `{name}`"), &help);
                }
            }
        }
        for required in REQUIRED {
            if !self.columns.contains_key(required) {
                let message = format!("the header has no `{required}` column");
                self.problem(line, 0, message, &header_help());
            }
        }
    }

    fn cell<'r>(&self, row: &Row<'r>, column: &str) -> &'r str {
        self.columns.get(column).and_then(|i| row.record.get(*i)).unwrap_or("")
    }

    fn field(&self, column: &str) -> usize {
        self.columns.get(column).copied().unwrap_or(0)
    }

    /// Reports a problem with one cell of `row`.
    fn bad(&mut self, row: &Row<'_>, column: &str, message: String, help: &str) {
        let field = self.field(column);
        self.problem(row.line, field, message, help);
    }

    fn row(&mut self, record: &StringRecord) {
        let row = Row { record, line: line_of(record) };
        if record.iter().all(str::is_empty) {
            return;
        }
        if record.len() != self.width {
            let message =
                format!("this row has {} cells; the header has {}", record.len(), self.width);
            self.problem(row.line, 0, message, "give every row one cell per column, empty or not");
            return;
        }
        let at = self.date(&row);
        let partner = self.partner(&row);
        let (Some(at), Some(partner)) = (at, partner) else { return };
        match self.cell(&row, "event") {
            "referral" => self.referral(&row, at, partner),
            "outbound" => self.outbound(&row, at, partner),
            "paid" => self.paid(&row, at, partner),
            other => {
                let message = if other.is_empty() {
                    "the row has no event".to_string()
                } else {
                    format!("unknown event `{other}`")
                };
                let help = suggest(other, EVENTS, |all| format!("write one of: {all}"));
                self.bad(&row, "event", message, &help);
            }
        }
    }

    fn date(&mut self, row: &Row<'_>) -> Option<Timestamp> {
        let text = self.cell(row, "date");
        match past_date(text, self.now) {
            Ok(at) => Some(at),
            Err(bad) => {
                let message =
                    if text.is_empty() { "the row has no date".to_string() } else { bad.message };
                self.bad(row, "date", message, &bad.help);
                None
            }
        }
    }

    fn partner(&mut self, row: &Row<'_>) -> Option<String> {
        let id = self.cell(row, "partner");
        if self.program.partners.iter().any(|p| p.id == id) {
            return Some(id.to_string());
        }
        let ids = self.program.partners.iter().map(|p| p.id.as_str());
        let help = suggest(id, ids, |all| format!("use a partner id of partners.yaml: {all}"));
        self.bad(row, "partner", format!("no partner `{id}` in partners.yaml"), &help);
        None
    }

    fn status(&mut self, row: &Row<'_>, default: Option<Status>) -> Option<Status> {
        let text = self.cell(row, "status");
        if text.is_empty() && default.is_some() {
            return default;
        }
        match text.parse::<Status>() {
            Ok(status) => Some(status),
            Err(reason) => {
                let all: Vec<&str> = Status::ALL.iter().map(|s| s.as_str()).collect();
                let help = suggest(text, all, |_| reason.clone());
                let message = if text.is_empty() {
                    "the row has no status".to_string()
                } else {
                    format!("unknown status `{text}`")
                };
                self.bad(row, "status", message, &help);
                None
            }
        }
    }

    /// Refuses cells that mean nothing for this kind of row, rather than ignore what the
    /// writer meant to say.
    fn unused(&mut self, row: &Row<'_>, columns: &[&str], why: &str) -> bool {
        let mut clean = true;
        for column in columns {
            let text = self.cell(row, column);
            if !text.is_empty() {
                let message = format!("`{column}` has no place on this row: {why}");
                self.bad(row, column, message, &format!("leave `{column}` empty"));
                clean = false;
            }
        }
        clean
    }

    fn amount(&mut self, row: &Row<'_>, what: &str) -> Option<Decimal> {
        let text = self.cell(row, "amount");
        match super::read_amount(text, &self.program.commission.currency) {
            Ok(amount) => Some(amount),
            Err(bad) => {
                let message = if text.is_empty() {
                    format!("the row has no amount: write {what}")
                } else {
                    bad.message
                };
                self.bad(row, "amount", message, &bad.help);
                None
            }
        }
    }

    fn referral(&mut self, row: &Row<'_>, at: Timestamp, partner: String) {
        let reference = self.cell(row, "referral").to_string();
        let Some(status) = self.status(row, None) else { return };
        if reference.is_empty() {
            let help =
                "give each referral a reference of your own, such as `HL-101`, on all its rows";
            self.bad(row, "referral", "the row has no referral reference".into(), help);
            return;
        }
        match self.references.get(&reference).copied() {
            None if status == Status::Submitted => self.submitted(row, at, partner, reference),
            None => {
                let message = format!("referral `{reference}` has no `submitted` row above");
                let help =
                    "list each referral first as `submitted`, with its client, then its moves";
                self.bad(row, "referral", message, help);
            }
            Some(Reference::Outbound { line, .. }) => {
                let message =
                    format!("`{reference}` is a referral sent to the partner (line {line})");
                self.bad(row, "referral", message, "give each referral its own reference");
            }
            Some(Reference::Inbound { index, line }) => {
                self.moved(row, (at, status), &partner, index, line);
            }
        }
    }

    fn submitted(&mut self, row: &Row<'_>, at: Timestamp, partner_id: String, reference: String) {
        let client = self.cell(row, "client").to_string();
        if client.is_empty() {
            let help = "name the client organisation on the referral's `submitted` row";
            self.bad(row, "client", "the row has no client".into(), help);
        }
        let plain = self.unused(row, &["amount", "engagement"], "the referral is not won yet");
        let plain = self.unused(row, &["note"], NOTES) && plain;
        if client.is_empty() || !plain {
            return;
        }
        let index = self.activity.referrals.len();
        self.references.insert(reference.clone(), Reference::Inbound { index, line: row.line });
        self.activity.referrals.push(Inbound {
            reference,
            partner_id,
            client,
            submitted_at: at,
            acknowledged_at: None,
            moves: vec![(at, Status::Submitted)],
            win: None,
        });
    }

    fn moved(
        &mut self,
        row: &Row<'_>,
        (at, status): (Timestamp, Status),
        partner: &str,
        index: usize,
        first: usize,
    ) {
        let referral = &self.activity.referrals[index];
        let (partner_id, last) = (referral.partner_id.clone(), referral.moves.last().map(|m| m.0));
        let reference = referral.reference.clone();
        if status == Status::Submitted {
            let message = format!("referral `{reference}` was already submitted on line {first}");
            self.bad(row, "status", message, "give a new referral a reference of its own");
            return;
        }
        if partner != partner_id {
            let message = format!("referral `{reference}` is `{partner_id}`'s (line {first})");
            self.bad(row, "partner", message, "give every row of a referral the same partner");
            return;
        }
        if last.is_some_and(|last| at < last) {
            let message = format!("this is dated before referral `{reference}`'s row above");
            self.bad(row, "date", message, "list each referral's rows in the order they happened");
            return;
        }
        let why = "the client is named on the referral's `submitted` row";
        let mut clean = self.unused(row, &["client"], why);
        clean &= self.unused(row, &["note"], NOTES);
        let win = if status == Status::Won {
            let engagement = self.engagement(row);
            let fees = self.amount(row, "the fees collected on the won referral");
            clean &= engagement.is_some();
            fees.map(|fees| WonOn { at, fees: Some(fees), engagement: engagement.flatten() })
        } else {
            clean &= self.unused(row, &["amount", "engagement"], "only `won` rows carry fees");
            None
        };
        if !clean || (status == Status::Won && win.is_none()) {
            return;
        }
        let referral = &mut self.activity.referrals[index];
        referral.acknowledged_at = referral.acknowledged_at.or(Some(at));
        referral.moves.push((at, status));
        referral.win = win;
    }

    /// The engagement type of a `won` row: `Some(None)` when none is given, `None` when the
    /// one given is unknown.
    fn engagement(&mut self, row: &Row<'_>) -> Option<Option<String>> {
        let id = self.cell(row, "engagement");
        if id.is_empty() {
            return Some(None);
        }
        if self.program.commission.engagements.iter().any(|e| e.id == id) {
            return Some(Some(id.to_string()));
        }
        let help = super::engagement_help(self.program, id);
        self.bad(row, "engagement", format!("unknown engagement type `{id}`"), &help);
        None
    }

    fn outbound(&mut self, row: &Row<'_>, at: Timestamp, partner: String) {
        let reference = self.cell(row, "referral").to_string();
        let Some(status) = self.status(row, Some(Status::Submitted)) else { return };
        let why = "the partner's fees on a referral the firm sent are not the firm's to record";
        let clean = self.unused(row, &["amount", "engagement"], why);
        if !(self.unused(row, &["note"], NOTES) && clean) {
            return;
        }
        let earlier = (!reference.is_empty()).then(|| self.references.get(&reference)).flatten();
        match earlier.copied() {
            Some(Reference::Outbound { index, line }) => {
                let why = format!("the client is named on `{reference}`'s first row (line {line})");
                if !self.unused(row, &["client"], &why) {
                    return;
                }
                let sent = &mut self.activity.outbound[index];
                if sent.partner_id != partner {
                    let message =
                        format!("`{reference}` was sent to `{}` (line {line})", sent.partner_id);
                    self.bad(
                        row,
                        "partner",
                        message,
                        "give every row of a referral the same partner",
                    );
                    return;
                }
                sent.status = status;
            }
            Some(Reference::Inbound { line, .. }) => {
                let message = format!("`{reference}` is a referral from the partner (line {line})");
                self.bad(row, "referral", message, "give each referral its own reference");
            }
            None => {
                let client = self.cell(row, "client").to_string();
                if client.is_empty() {
                    let help = "name the client organisation the firm referred to the partner";
                    self.bad(row, "client", "the row has no client".into(), help);
                    return;
                }
                let index = self.activity.outbound.len();
                if !reference.is_empty() {
                    let introduced = Reference::Outbound { index, line: row.line };
                    self.references.insert(reference, introduced);
                }
                let sent =
                    Outbound { partner_id: partner, client_org: client, sent_at: at, status };
                self.activity.outbound.push(sent);
            }
        }
    }

    fn paid(&mut self, row: &Row<'_>, at: Timestamp, partner_id: String) {
        let why = "a payment is to the partner, not for one referral";
        let clean = self.unused(row, &["referral", "status", "client", "engagement"], why);
        let amount = self.amount(row, "the sum paid");
        if let (true, Some(amount)) = (clean, amount) {
            let note = Some(self.cell(row, "note").to_string()).filter(|n| !n.is_empty());
            let payment = Payment { partner_id, paid_at: at, amount, note };
            self.activity.payments.push(payment);
        }
    }
}

fn line_of(record: &StringRecord) -> usize {
    record.position().map_or(1, |p| p.line() as usize)
}

/// The 1-based column where cell `field` of a CSV line starts, counting characters.
fn field_column(line: &str, field: usize) -> usize {
    let mut quoted = false;
    let mut seen = 0;
    for (column, c) in line.chars().enumerate() {
        if seen == field {
            return column + 1;
        }
        match c {
            '"' => quoted = !quoted,
            ',' if !quoted => seen += 1,
            _ => {}
        }
    }
    line.chars().count() + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_where_a_cell_starts() {
        let line = "2026-11-20,harbor,\"referral, kind\",HL-1";
        assert_eq!(field_column(line, 0), 1);
        assert_eq!(field_column(line, 1), 12);
        assert_eq!(field_column(line, 3), 36);
        assert_eq!(field_column("a,", 1), 3);
    }
}
