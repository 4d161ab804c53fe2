//! A partner's statement for one period: the referrals it sent and how they fared, the
//! commission they earned under the program's schedule, and what the firm has paid.
//!
//! Commission for a period is what the calendar year's won referrals had earned by the period's
//! end, less what they had earned by its start. Under whole-year bands a referral won in the
//! period can raise the rate of the year's earlier ones; that rise is the period's true-up.

use std::collections::BTreeMap;

use jiff::Timestamp;
use rust_decimal::{Decimal, RoundingStrategy};

use super::activity::{Activity, Inbound};
use super::period::{Period, year_of};
use crate::commission::{Earned, Schedule, Won};
use crate::intake::status::Status;
use crate::intake::store::{Outbound, Payment};
use crate::program::{Partner, Program};

/// The referrals decided in a period: won or lost by a move dated in it, and the fees of
/// those won.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Outcomes {
    pub won: usize,
    pub lost: usize,
    /// Fees collected on the referrals won in the period (none counted while unrecorded).
    pub revenue: Decimal,
}

impl Outcomes {
    /// The outcomes of `partner_id`'s `referrals` in `period`.
    pub fn of<'a>(
        referrals: impl IntoIterator<Item = &'a Inbound>,
        period: &Period,
        partner_id: &str,
    ) -> Result<Outcomes, TooLarge> {
        let mut outcomes = Outcomes::default();
        for referral in referrals {
            match referral.decision() {
                Some((at, Status::Won)) if period.contains(at) => {
                    outcomes.won += 1;
                    outcomes.revenue = outcomes
                        .revenue
                        .checked_add(fees(referral))
                        .ok_or_else(|| TooLarge::of_partner("revenue", partner_id))?;
                }
                Some((at, Status::Lost)) if period.contains(at) => outcomes.lost += 1,
                _ => {}
            }
        }
        Ok(outcomes)
    }

    /// Won ÷ (won + lost); `None` when nothing was decided.
    pub fn conversion(&self) -> Option<Decimal> {
        let decided = self.won + self.lost;
        (decided > 0).then(|| Decimal::from(self.won) / Decimal::from(decided))
    }
}

/// A sum of money beyond what the decimal type holds (some 79 thousand trillion trillion):
/// only an amount with far too many digits in the books gets there.
#[derive(Debug, Clone, thiserror::Error)]
#[error(
    "the {figure} of {whose} is too large to compute\n  help: look in the referral database \
     and the ledger for an amount with too many digits, and correct it"
)]
pub struct TooLarge {
    pub figure: &'static str,
    /// Whose figure it is: partner `harbor`, say, or all partners.
    pub whose: String,
}

impl TooLarge {
    pub fn of_partner(figure: &'static str, partner_id: &str) -> TooLarge {
        TooLarge { figure, whose: format!("partner `{partner_id}`") }
    }
}

/// The sum of `amounts`; `None` when it is too large.
pub fn sum(amounts: impl IntoIterator<Item = Decimal>) -> Option<Decimal> {
    amounts.into_iter().try_fold(Decimal::ZERO, Decimal::checked_add)
}

/// A conversion rate for people and spreadsheets alike, to a tenth of a percent: `66.7%`.
/// (Commission rates are shown exactly, with [`crate::commission::percent`].)
pub fn conversion_text(fraction: Decimal) -> String {
    let rounded = (fraction * Decimal::ONE_HUNDRED)
        .round_dp_with_strategy(1, RoundingStrategy::MidpointAwayFromZero)
        .normalize();
    format!("{rounded}%")
}

fn fees(referral: &Inbound) -> Decimal {
    referral.win.as_ref().and_then(|win| win.fees).unwrap_or_default()
}

fn won_at(referral: &Inbound) -> Timestamp {
    referral.win.as_ref().map_or(referral.submitted_at, |win| win.at)
}

/// One partner's statement.
#[derive(Debug, Clone)]
pub struct Statement<'a> {
    pub partner: &'a Partner,
    pub tier_name: String,
    pub period: Period,
    /// Referrals submitted in the period, with where each stood at the period's end.
    pub submitted: Vec<(&'a Inbound, Status)>,
    pub outcomes: Outcomes,
    /// Referrals won in the period and what each earns by the period's end.
    pub won: Vec<(&'a Inbound, Earned)>,
    /// What the year's earlier referrals gained in the period (whole-year bands only).
    pub true_up: Decimal,
    /// Commission earned in the period: the won lines plus the true-up.
    pub earned: Decimal,
    pub payments: Vec<&'a Payment>,
    pub paid: Decimal,
    pub earned_to_date: Decimal,
    pub paid_to_date: Decimal,
    /// Earned to date less paid to date: what the firm owes the partner (negative: overpaid).
    pub balance: Decimal,
    /// Referrals the firm sent the partner in the period.
    pub received: Vec<&'a Outbound>,
}

impl Statement<'_> {
    /// How many of the period's referrals stood at each status at its end, in ladder order,
    /// leaving out the statuses none stood at.
    pub fn breakdown(&self) -> Vec<(Status, usize)> {
        Status::ALL
            .into_iter()
            .map(|status| (status, self.submitted.iter().filter(|(_, s)| *s == status).count()))
            .filter(|(_, count)| *count > 0)
            .collect()
    }

    /// Won referrals whose fees the firm has not recorded yet: they count for the bands but
    /// earn only any flat fee until then.
    pub fn missing_fees(&self) -> Vec<&str> {
        let won = self.won.iter().map(|(referral, _)| *referral);
        won.filter(|r| r.win.as_ref().is_some_and(|win| win.fees.is_none()))
            .map(|r| r.reference.as_str())
            .collect()
    }
}

/// Draws up `partner`'s statement for `period`.
pub fn statement<'a>(
    program: &Program,
    partner: &'a Partner,
    activity: &'a Activity,
    period: Period,
) -> Result<Statement<'a>, TooLarge> {
    let checked = |figure, value: Option<Decimal>| {
        value.ok_or_else(|| TooLarge::of_partner(figure, &partner.id))
    };
    let tier = program.tiers.by_id(&partner.tier);
    let starts_at = tier.map_or(1, |t| t.commission_starts_at);
    let theirs: Vec<&Inbound> =
        activity.referrals.iter().filter(|r| r.partner_id == partner.id).collect();
    let submitted = theirs
        .iter()
        .filter(|r| period.contains(r.submitted_at))
        .map(|r| (*r, r.status_before(period.end())))
        .collect();
    let books = Books::new(&program.commission, starts_at, &theirs, period.year());
    let current_year = books.by_year.get(&period.year()).map_or(&[][..], Vec::as_slice);
    let by_end = books.earned_before(current_year, period.end());
    let by_start = books.earned_before(current_year, period.start());
    let earned =
        total(&by_end).zip(total(&by_start)).and_then(|(end, start)| end.checked_sub(start));
    let earned = checked("commission earned in the period", earned)?;
    let won: Vec<(&Inbound, Earned)> =
        by_end.into_iter().filter(|(r, _)| won_at(r) >= period.start()).collect();
    let true_up = checked("true-up", total(&won).and_then(|won| earned.checked_sub(won)))?;
    let partner_payments = activity.payments.iter().filter(|p| p.partner_id == partner.id);
    let payments: Vec<&Payment> =
        partner_payments.clone().filter(|p| period.contains(p.paid_at)).collect();
    let paid_before_end = partner_payments.filter(|p| p.paid_at < period.end()).map(|p| p.amount);
    let paid_to_date = checked("commission paid to date", sum(paid_before_end))?;
    let paid = checked("commission paid in the period", sum(payments.iter().map(|p| p.amount)))?;
    let earned_to_date = checked("commission earned to date", books.earned_to_date(period.end()))?;
    let balance = checked("balance", earned_to_date.checked_sub(paid_to_date))?;
    Ok(Statement {
        partner,
        tier_name: tier.map_or_else(|| partner.tier.clone(), |t| t.name.clone()),
        period,
        submitted,
        outcomes: Outcomes::of(theirs.iter().copied(), &period, &partner.id)?,
        won,
        true_up,
        earned,
        paid,
        payments,
        earned_to_date,
        paid_to_date,
        balance,
        received: activity
            .outbound
            .iter()
            .filter(|o| o.partner_id == partner.id && period.contains(o.sent_at))
            .collect(),
    })
}

fn total(lines: &[(&Inbound, Earned)]) -> Option<Decimal> {
    sum(lines.iter().map(|(_, earned)| earned.amount))
}

/// How statements name an engagement type: its `name` in `partners.yaml`, or the id of one it
/// no longer lists.
pub fn engagement_name<'a>(schedule: &'a Schedule, id: &'a str) -> &'a str {
    schedule.engagements.iter().find(|e| e.id == id).map_or(id, |e| e.name.as_str())
}

/// A partner's won referrals by calendar year, in the order won, up to a statement's year.
struct Books<'s, 'a> {
    schedule: &'s Schedule,
    starts_at: u32,
    by_year: BTreeMap<i16, Vec<&'a Inbound>>,
}

impl<'s, 'a> Books<'s, 'a> {
    fn new(schedule: &'s Schedule, starts_at: u32, theirs: &[&'a Inbound], last: i16) -> Self {
        let mut won: Vec<&Inbound> = theirs.iter().copied().filter(|r| r.win.is_some()).collect();
        // A stable sort: referrals won at the same moment keep their source's order.
        won.sort_by_key(|r| won_at(r));
        let mut by_year: BTreeMap<i16, Vec<&Inbound>> = BTreeMap::new();
        for referral in won {
            let year = year_of(won_at(referral));
            if year <= last {
                by_year.entry(year).or_default().push(referral);
            }
        }
        Books { schedule, starts_at, by_year }
    }

    /// The year's referrals won before `until`, each with what it earns given the year's count
    /// by then.
    fn earned_before(&self, year: &[&'a Inbound], until: Timestamp) -> Vec<(&'a Inbound, Earned)> {
        let won: Vec<&Inbound> = year.iter().copied().filter(|r| won_at(r) < until).collect();
        let terms: Vec<Won<'_>> = won
            .iter()
            .map(|r| Won {
                fees: fees(r),
                engagement: r.win.as_ref().and_then(|win| win.engagement.as_deref()),
            })
            .collect();
        let earned = self.schedule.year(&terms, self.starts_at);
        won.into_iter().zip(earned).collect()
    }

    /// Everything earned before `until`, over every year; `None` when it is too large.
    fn earned_to_date(&self, until: Timestamp) -> Option<Decimal> {
        let mut years = self.by_year.values().map(|year| total(&self.earned_before(year, until)));
        years.try_fold(Decimal::ZERO, |sum, year| sum.checked_add(year?))
    }
}
