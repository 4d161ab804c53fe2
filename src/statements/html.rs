//! Statements and the scorecard as printable HTML: one self-contained file each, with no
//! script, no outside resource and every piece of text escaped.

use std::fmt::Write as _;

use rust_decimal::Decimal;

use super::figures::{Statement, conversion_text, engagement_name};
use super::period::{Period, day};
use super::scorecard::{Row, Scorecard, readable};
use crate::commission::{BandMode, Schedule, percent};
use crate::markdown::escape;
use crate::program::Program;

const STYLE: &str = "\
:root { color-scheme: light; }
body { font: 15px/1.45 system-ui, -apple-system, 'Segoe UI', sans-serif; color: #1d2430;
  max-width: 60rem; margin: 2rem auto; padding: 0 1.25rem; }
header { border-bottom: 2px solid #1d2430; margin-bottom: 1.5rem; }
header p { margin: .2rem 0; color: #4a5566; }
h1 { font-size: 1.6rem; margin: .3rem 0; }
h2 { font-size: 1.15rem; margin: 1.8rem 0 .5rem; }
table { border-collapse: collapse; width: 100%; margin: .4rem 0 1rem; }
th, td { text-align: left; padding: .3rem .5rem; border-bottom: 1px solid #d5dae1;
  vertical-align: top; }
th { font-weight: 600; background: #f2f4f7; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.d { white-space: nowrap; }
tr.total td { font-weight: 600; border-top: 2px solid #1d2430; }
.note { color: #4a5566; font-size: .9rem; }
.flag { color: #8a3b00; }
footer { margin-top: 2rem; border-top: 1px solid #d5dae1; padding-top: .6rem; }
@page { size: A4; margin: 16mm 14mm; }
@media print {
  body { font-size: 10pt; margin: 0; max-width: none; padding: 0; }
  th { background: none; }
  h2 { break-after: avoid; }
  tr { break-inside: avoid; }
  section { break-inside: avoid-page; }
}
";

fn page(title: &str, body: &str) -> String {
    format!(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"robots\" content=\"noindex, nofollow\">\n<title>{}</title>\n\
         <style>\n{STYLE}</style>\n</head>\n<body>\n{body}</body>\n</html>\n",
        escape(title)
    )
}

/// A cell: text escaped here; figures right-aligned, days kept on one line.
enum Cell {
    Text(String),
    Figure(String),
    Day(String),
}

/// A table; `headings` empty for one that needs none, such as a summary.
fn table(out: &mut String, headings: &[(&str, bool)], rows: &[Vec<Cell>], total: Option<&[Cell]>) {
    out.push_str("<table>\n");
    if !headings.is_empty() {
        out.push_str("<thead><tr>");
        for (heading, figure) in headings {
            let class = if *figure { " class=\"n\"" } else { "" };
            let _ = write!(out, "<th{class}>{}</th>", escape(heading));
        }
        out.push_str("</tr></thead>\n");
    }
    out.push_str("<tbody>\n");
    let all =
        rows.iter().map(|row| (row.as_slice(), "")).chain(total.map(|t| (t, " class=\"total\"")));
    for (row, class) in all {
        let _ = write!(out, "<tr{class}>");
        for cell in row {
            let _ = match cell {
                Cell::Text(text) => write!(out, "<td>{}</td>", escape(text)),
                Cell::Figure(text) => write!(out, "<td class=\"n\">{}</td>", escape(text)),
                Cell::Day(text) => write!(out, "<td class=\"d\">{}</td>", escape(text)),
            };
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody>\n</table>\n");
}

fn text(value: impl Into<String>) -> Cell {
    Cell::Text(value.into())
}

fn figure(value: impl ToString) -> Cell {
    Cell::Figure(value.to_string())
}

fn date(at: jiff::Timestamp) -> Cell {
    Cell::Day(day(at))
}

/// A row of `width` cells with `label` at `label_at` and `value` in the last, as for totals.
fn labelled(width: usize, label_at: usize, label: &str, value: String) -> Vec<Cell> {
    let mut row: Vec<Cell> = (0..width - 1).map(|_| text("")).collect();
    row[label_at] = text(label);
    row.push(figure(value));
    row
}

/// A section with its heading; `body` writes what it holds.
fn section(out: &mut String, heading: &str, body: impl FnOnce(&mut String)) {
    let _ = write!(out, "<section>\n<h2>{}</h2>\n", escape(heading));
    body(out);
    out.push_str("</section>\n");
}

/// The rows as a table, or "None." without any.
fn table_or_none(
    out: &mut String,
    headings: &[(&str, bool)],
    rows: &[Vec<Cell>],
    total: Option<&[Cell]>,
) {
    if rows.is_empty() {
        paragraph(out, "note", "None.");
    } else {
        table(out, headings, rows, total);
    }
}

fn paragraph(out: &mut String, class: &str, text: &str) {
    let _ = writeln!(out, "<p class=\"{class}\">{}</p>", escape(text));
}

/// The first and last day of the period: `2026-10-01 to 2026-12-31 (UTC)`.
fn span(period: &Period) -> String {
    let last = period.end() - jiff::SignedDuration::from_secs(1);
    format!("{} to {} (UTC)", day(period.start()), day(last))
}

/// The page's header: the program, the title, a line each of `lines`, and a word when the
/// period has not ended by `in_progress`.
fn header(
    out: &mut String,
    program: &Program,
    title: &str,
    lines: &[String],
    in_progress: Option<&str>,
) {
    let _ = write!(out, "<header>\n<p>{}</p>\n<h1>{}</h1>\n", escape(&program.name), escape(title));
    for line in lines {
        let _ = writeln!(out, "<p>{}</p>", escape(line));
    }
    out.push_str("</header>\n");
    if let Some(as_of) = in_progress {
        let text = format!("The period has not ended: figures as of {as_of}.");
        paragraph(out, "note flag", &text);
    }
}

/// One partner's statement.
pub fn statement(program: &Program, s: &Statement<'_>, in_progress: Option<&str>) -> String {
    let money = |amount: Decimal| program.commission.currency.format(amount);
    let title = format!("Partner statement, {}", s.period.label());
    let mut out = String::new();
    let firm = format!("{} ({}), {}", s.partner.firm, s.partner.id, s.tier_name);
    header(&mut out, program, &title, &[firm, span(&s.period)], in_progress);
    let conversion = s.outcomes.conversion().map_or("none decided".to_string(), conversion_text);
    let summary = [
        ("Referrals submitted in the period", s.submitted.len().to_string()),
        ("Won in the period", s.outcomes.won.to_string()),
        ("Lost in the period", s.outcomes.lost.to_string()),
        ("Conversion (won ÷ won or lost)", conversion),
        ("Revenue from referrals won (fees collected)", money(s.outcomes.revenue)),
        ("Commission earned in the period", money(s.earned)),
        ("Commission paid in the period", money(s.paid)),
        ("Commission earned to date", money(s.earned_to_date)),
        ("Commission paid to date", money(s.paid_to_date)),
    ];
    let rows: Vec<Vec<Cell>> =
        summary.into_iter().map(|(label, value)| vec![text(label), figure(value)]).collect();
    let balance = labelled(2, 0, "Balance (earned to date less paid to date)", money(s.balance));
    section(&mut out, "Summary", |out| table(out, &[], &rows, Some(&balance)));
    section(&mut out, "Referrals submitted in the period", |out| submitted(out, s));
    section(&mut out, "Commission earned", |out| commission(out, program, s));
    let paid: Vec<Vec<Cell>> = s
        .payments
        .iter()
        .map(|p| {
            let note = p.note.clone().unwrap_or_default();
            vec![date(p.paid_at), text(note), figure(money(p.amount))]
        })
        .collect();
    let headings = [("Paid", false), ("Note", false), ("Amount", true)];
    let total = labelled(3, 0, "Total", money(s.paid));
    section(&mut out, "Commission paid in the period", |out| {
        table_or_none(out, &headings, &paid, Some(&total));
    });
    let received: Vec<Vec<Cell>> = s
        .received
        .iter()
        .map(|o| vec![date(o.sent_at), text(&o.client_org), text(o.status.label())])
        .collect();
    let headings = [("Sent", false), ("Client", false), ("Status", false)];
    section(&mut out, "Referrals we sent you in the period", |out| {
        table_or_none(out, &headings, &received, None);
    });
    footer(
        &mut out,
        &[
            "Conversion is the referrals won in the period divided by those won or lost in it, \
             by the date of the decision; referrals declined, ended as duplicates or expired are \
             not decisions on a deal and count in neither.",
            "Commission earned in the period is what the year's won referrals had earned by the \
             period's end, less what they had earned by its start.",
        ],
    );
    page(&title, &out)
}

fn submitted(out: &mut String, s: &Statement<'_>) {
    let rows: Vec<Vec<Cell>> = s
        .submitted
        .iter()
        .map(|(r, status)| {
            vec![text(&r.reference), date(r.submitted_at), text(&r.client), text(status.label())]
        })
        .collect();
    let headings = [
        ("Referral", false),
        ("Submitted", false),
        ("Client", false),
        ("At the period's end", false),
    ];
    table_or_none(out, &headings, &rows, None);
    if !rows.is_empty() {
        let breakdown: Vec<String> = s
            .breakdown()
            .iter()
            .map(|(status, count)| format!("{}: {count}", status.label()))
            .collect();
        paragraph(out, "note", &format!("Status at the period's end: {}.", breakdown.join("; ")));
    }
}

fn commission(out: &mut String, program: &Program, s: &Statement<'_>) {
    let schedule = &program.commission;
    let currency = &schedule.currency;
    paragraph(out, "note", &rules(schedule, program, s));
    if s.won.is_empty() && s.true_up.is_zero() {
        paragraph(out, "note", "No referral was won in the period.");
        return;
    }
    let mut rows: Vec<Vec<Cell>> = s
        .won
        .iter()
        .map(|(r, earned)| {
            let win = r.win.as_ref();
            let fees = win
                .and_then(|w| w.fees)
                .map_or("not recorded yet".to_string(), |f| currency.format(f));
            let terms = win.and_then(|w| w.engagement.as_deref());
            let terms = terms.map_or("", |id| engagement_name(schedule, id));
            vec![
                text(&r.reference),
                win.map_or(text(""), |w| date(w.at)),
                text(&r.client),
                text(terms),
                figure(earned.position),
                figure(fees),
                figure(percent(earned.rate)),
                figure(currency.format(earned.amount)),
            ]
        })
        .collect();
    if !s.true_up.is_zero() {
        let label = "True-up: the year's earlier won referrals at the rate reached this period";
        rows.push(labelled(8, 2, label, currency.format(s.true_up)));
    }
    let headings = [
        ("Referral", false),
        ("Won", false),
        ("Client", false),
        ("Engagement", false),
        ("No. in year", true),
        ("Fees", true),
        ("Rate", true),
        ("Commission", true),
    ];
    table(out, &headings, &rows, Some(&labelled(8, 0, "Total", currency.format(s.earned))));
    let missing = s.missing_fees();
    if !missing.is_empty() {
        let text = format!(
            "Fees not recorded yet for {}: these count towards the bands but earn only any flat \
             fee until they are.",
            missing.join(", ")
        );
        paragraph(out, "note flag", &text);
    }
}

/// The schedule in words, as it applies to this partner.
fn rules(schedule: &Schedule, program: &Program, s: &Statement<'_>) -> String {
    let bands: Vec<String> = schedule
        .bands
        .iter()
        .map(|band| {
            let count = match band.max_referrals {
                Some(max) if max == band.min_referrals => max.to_string(),
                Some(max) => format!("{}–{max}", band.min_referrals),
                None => format!("{}+", band.min_referrals),
            };
            format!("{count} at {}", percent(band.rate))
        })
        .collect();
    let mut rules = if bands.is_empty() {
        "The program pays no percentage of fees.".to_string()
    } else {
        format!("Won referrals in a calendar year: {}.", bands.join(", "))
    };
    rules.push_str(match schedule.mode {
        BandMode::ReferralsInBand => {
            " Each referral earns the rate of the band its number falls in."
        }
        BandMode::WholeYear => {
            " Every referral of the year earns the rate of the band the year's count has reached."
        }
    });
    let starts_at = program.tiers.by_id(&s.partner.tier).map_or(1, |t| t.commission_starts_at);
    if starts_at > 1 {
        let _ =
            write!(rules, " Your tier counts the year's first won referral as no. {starts_at}.");
    }
    if !schedule.flat_fee.is_zero() {
        let fee = schedule.currency.format(schedule.flat_fee);
        let _ = write!(rules, " Each won referral also earns {fee}.");
    }
    for engagement in &schedule.engagements {
        let rate = engagement.rate.map(percent);
        let fee = engagement.flat_fee.map(|f| schedule.currency.format(f));
        let terms: Vec<String> = rate.into_iter().chain(fee).collect();
        let _ = write!(rules, " Engagement type {}: {}.", engagement.name, terms.join(" and "));
    }
    if let Some(basis) = &schedule.basis {
        let _ = write!(rules, " Fees: {basis}.");
    }
    rules
}

fn footer(out: &mut String, notes: &[&str]) {
    out.push_str("<footer>\n");
    for note in notes {
        paragraph(out, "note", note);
    }
    out.push_str("</footer>\n");
}

/// A balance of referrals: `+2`, `0`, `-1`.
fn signed(balance: i64) -> String {
    if balance > 0 { format!("+{balance}") } else { balance.to_string() }
}

/// The program scorecard.
pub fn scorecard(program: &Program, card: &Scorecard<'_>, in_progress: Option<&str>) -> String {
    let currency = &program.commission.currency;
    let title = format!("Program scorecard, {}", card.period.label());
    let mut out = String::new();
    let sla = format!("Response SLA: acknowledge within {} hours", card.sla_hours);
    header(&mut out, program, &title, &[span(&card.period), sla], in_progress);
    let rows: Vec<Vec<Cell>> = card
        .rows
        .iter()
        .map(|row| {
            let median = row.median_acknowledgement.map_or("—".to_string(), readable);
            vec![
                text(format!("{} ({})", row.partner.firm, row.partner.id)),
                figure(row.sent),
                figure(row.received),
                figure(signed(row.reciprocity())),
                figure(row.outcomes.conversion().map_or("—".to_string(), conversion_text)),
                figure(currency.format(row.outcomes.revenue)),
                figure(median),
                figure(format!("{} of {}", row.within_sla, row.acknowledged)),
            ]
        })
        .collect();
    let sum = |f: fn(&Row<'_>) -> usize| card.rows.iter().map(f).sum::<usize>();
    let total = [
        text("All partners"),
        figure(sum(|r| r.sent)),
        figure(sum(|r| r.received)),
        figure(signed(sum(|r| r.sent) as i64 - sum(|r| r.received) as i64)),
        figure(""),
        figure(currency.format(card.revenue)),
        figure(""),
        figure(format!("{} of {}", sum(|r| r.within_sla), sum(|r| r.acknowledged))),
    ];
    let headings = [
        ("Partner", false),
        ("Sent", true),
        ("Received", true),
        ("Reciprocity", true),
        ("Conversion", true),
        ("Revenue", true),
        ("Median to acknowledge", true),
        ("Within SLA", true),
    ];
    section(&mut out, "Partners", |out| table(out, &headings, &rows, Some(&total)));
    let quiet: Vec<String> = card
        .rows
        .iter()
        .filter(|r| r.quiet)
        .map(|r| format!("{} ({})", r.partner.firm, r.partner.id))
        .collect();
    let window = format!("{} or {}", card.period.previous(), card.period);
    let quiet = if quiet.is_empty() {
        format!("Every partner submitted a referral in {window}.")
    } else {
        format!("No referral submitted in {window}: {}.", quiet.join("; "))
    };
    section(&mut out, "Quiet partners", |out| paragraph(out, "", &quiet));
    footer(
        &mut out,
        &[
            "Sent: referrals the partner submitted in the period. Received: referrals the firm \
             sent the partner in the period. Reciprocity: sent less received.",
            "Conversion: referrals won in the period divided by those won or lost in it. \
             Revenue: fees collected on the referrals won in the period.",
            "Time to acknowledge: from submission to the first change of status, over the \
             referrals acknowledged in the period.",
        ],
    );
    page(&title, &out)
}
