//! `portico statements`: each partner's statement for a period and the program scorecard.
//!
//! The flow: [`activity`] gathers referrals, payments and outbound referrals from the referral
//! database and/or a CSV [`ledger`] → [`figures`] draws up each partner's statement under the
//! program's commission schedule, and [`scorecard`] the firm's overview → [`html`] and
//! [`sheet`] render them → [`folder`] writes them into a private folder, never into anything
//! the portal is published from.

pub mod activity;
pub mod figures;
pub mod folder;
pub mod html;
pub mod ledger;
pub mod period;
pub mod scorecard;
pub mod sheet;

use std::collections::BTreeSet;
use std::path::PathBuf;

use jiff::Timestamp;
use rust_decimal::Decimal;

use self::activity::Activity;
use self::figures::TooLarge;
use self::folder::{FolderError, Private};
use self::period::Period;
use crate::commission::Currency;
use crate::diagnostic::Diagnostic;
use crate::intake::store::StoreError;
use crate::program::{Partner, Program};

/// What `portico statements` was asked for.
#[derive(Debug, Clone)]
pub struct StatementOptions {
    /// The private folder; the files go in a folder named after the period inside it.
    pub out: Private,
    pub period: Period,
    /// Only these partners' statements (every partner's when empty). The scorecard always
    /// covers every partner.
    pub partners: Vec<String>,
    /// When the statements are drawn up: a period that has not ended by then says so.
    pub as_of: Timestamp,
}

/// What was written.
#[derive(Debug, Clone)]
pub struct Written {
    pub folder: PathBuf,
    pub statements: usize,
    /// Things the firm should put right: won referrals without fees, referrals of partners
    /// that `partners.yaml` no longer lists.
    pub warnings: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum StatementError {
    #[error("no partner `{id}` in partners.yaml\n  help: {hint}")]
    UnknownPartner { id: String, hint: String },
    #[error(
        "no referral database at `{path}`\n  help: pass --db with the file `portico intake` \
         writes, or --ledger with a CSV ledger"
    )]
    NoDatabase { path: PathBuf },
    #[error("cannot read the referral database `{path}`: {source}")]
    Database { path: PathBuf, source: StoreError },
    /// Every bad row of the ledger, each with its place.
    #[error("the ledger has {}; nothing was written", problems(.0.len()))]
    Ledger(Vec<Diagnostic>),
    #[error(transparent)]
    TooLarge(#[from] TooLarge),
    #[error(transparent)]
    Folder(#[from] FolderError),
}

fn problems(count: usize) -> String {
    if count == 1 { "1 problem".to_string() } else { format!("{count} problems") }
}

/// A value typed on the command line or written in the ledger that is refused: what is wrong,
/// and what to write instead.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}; {help}")]
pub struct BadValue {
    pub message: String,
    pub help: String,
}

/// Reads an amount of `currency` as a person writes it, such as `12500.50`.
pub fn read_amount(text: &str, currency: &Currency) -> Result<Decimal, BadValue> {
    crate::commission::parse_amount(text, currency).ok_or_else(|| BadValue {
        message: format!("`{text}` is not an amount of {}", currency.code),
        help: match currency.decimals {
            0 => {
                "write whole units without grouping or a currency sign, such as `12500`".to_string()
            }
            n => format!(
                "write digits with at most {n} decimals, without grouping or a currency sign, \
                 such as `12500` or `12500.50`"
            ),
        },
    })
}

/// The help for an engagement type `partners.yaml` does not list.
pub fn engagement_help(program: &Program, id: &str) -> String {
    let types = program.commission.engagements.iter().map(|e| e.id.as_str());
    crate::diagnostic::suggest(id, types, |all| {
        if all.is_empty() {
            "partners.yaml lists no engagement types; leave the engagement out".to_string()
        } else {
            format!("use one of the engagement types in partners.yaml: {all}")
        }
    })
}

/// Draws up the period's statements and scorecard from `activity` and writes them, as HTML
/// and CSV, into `<out>/<period>/`. Nothing is written when a figure cannot be drawn up.
pub fn write(
    program: &Program,
    activity: &Activity,
    options: &StatementOptions,
) -> Result<Written, StatementError> {
    let chosen = chosen_partners(program, &options.partners)?;
    let period = options.period;
    let as_of = (options.as_of < period.end()).then(|| period::day(options.as_of));
    let mut warnings = unknown_partners(program, activity);
    let mut files = Vec::new();
    for partner in &chosen {
        let statement = figures::statement(program, partner, activity, period)?;
        let missing = statement.missing_fees();
        if !missing.is_empty() {
            warnings.push(format!(
                "{}: no fees recorded for won referral{} {}; record them with `portico \
                 referrals won <id> --fees <amount>` (or on the ledger's `won` row)",
                partner.id,
                if missing.len() == 1 { "" } else { "s" },
                missing.join(", ")
            ));
        }
        let name = format!("statement-{}", partner.id);
        files.push((
            format!("{name}.html"),
            html::statement(program, &statement, as_of.as_deref()).into_bytes(),
        ));
        files.push((format!("{name}.csv"), sheet::statement(&statement, &program.commission)));
    }
    let card = scorecard::scorecard(program, activity, period)?;
    files.push((
        "scorecard.html".into(),
        html::scorecard(program, &card, as_of.as_deref()).into_bytes(),
    ));
    files.push(("scorecard.csv".into(), sheet::scorecard(&card, &program.commission.currency)));
    let folder = options.out.write(&period.to_string(), &files)?;
    Ok(Written { folder, statements: chosen.len(), warnings })
}

fn chosen_partners<'a>(
    program: &'a Program,
    ids: &[String],
) -> Result<Vec<&'a Partner>, StatementError> {
    if ids.is_empty() {
        return Ok(program.partners.iter().collect());
    }
    ids.iter()
        .map(|id| {
            program.partners.iter().find(|p| &p.id == id).ok_or_else(|| {
                let all = program.partners.iter().map(|p| p.id.as_str());
                let hint = crate::diagnostic::suggest(id, all, |all| format!("partners: {all}"));
                StatementError::UnknownPartner { id: id.clone(), hint }
            })
        })
        .collect()
}

/// Activity of partners `partners.yaml` no longer lists: left out of every figure, and said so.
fn unknown_partners(program: &Program, activity: &Activity) -> Vec<String> {
    let listed = |id: &str| program.partners.iter().any(|p| p.id == id);
    let ids = activity.referrals.iter().map(|r| r.partner_id.as_str());
    let ids = ids.chain(activity.payments.iter().map(|p| p.partner_id.as_str()));
    let ids = ids.chain(activity.outbound.iter().map(|o| o.partner_id.as_str()));
    let unknown: BTreeSet<&str> = ids.filter(|id| !listed(id)).collect();
    unknown
        .into_iter()
        .map(|id| {
            format!(
                "partner `{id}` has referrals or payments but is not in partners.yaml; its \
                 figures are left out"
            )
        })
        .collect()
}
