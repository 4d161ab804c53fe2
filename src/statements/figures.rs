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
    pub fn of<'a>(referrals: impl IntoIterator<Item = &'a Inbound>, period: &Period) -> Outcomes {
        let mut outcomes = Outcomes::default();
        for referral in referrals {
            match referral.decision() {
                Some((at, Status::Won)) if period.contains(at) => {
                    outcomes.won += 1;
                    outcomes.revenue += fees(referral);
                }
                Some((at, Status::Lost)) if period.contains(at) => outcomes.lost += 1,
                _ => {}
            }
        }
        outcomes
    }

    /// Won ÷ (won + lost); `None` when nothing was decided.
    pub fn conversion(&self) -> Option<Decimal> {
        let decided = self.won + self.lost;
        (decided > 0).then(|| Decimal::from(self.won) / Decimal::from(decided))
    }
}

/// A conversion rate for people and spreadsheets alike: `66.7%`.
pub fn percent(fraction: Decimal) -> String {
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
    /// Referrals the firm sent the partner in the period.
    pub received: Vec<&'a Outbound>,
}

impl Statement<'_> {
    /// Earned to date less paid to date: what the firm owes the partner (negative: overpaid).
    pub fn balance(&self) -> Decimal {
        self.earned_to_date - self.paid_to_date
    }

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
) -> Statement<'a> {
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
    let earned = total(&by_end) - total(&by_start);
    let won: Vec<(&Inbound, Earned)> =
        by_end.into_iter().filter(|(r, _)| won_at(r) >= period.start()).collect();
    let true_up = earned - total(&won);
    let partner_payments = activity.payments.iter().filter(|p| p.partner_id == partner.id);
    let payments: Vec<&Payment> =
        partner_payments.clone().filter(|p| period.contains(p.paid_at)).collect();
    let paid_to_date =
        partner_payments.filter(|p| p.paid_at < period.end()).map(|p| p.amount).sum();
    Statement {
        partner,
        tier_name: tier.map_or_else(|| partner.tier.clone(), |t| t.name.clone()),
        period,
        submitted,
        outcomes: Outcomes::of(theirs.iter().copied(), &period),
        won,
        true_up,
        earned,
        paid: payments.iter().map(|p| p.amount).sum(),
        payments,
        earned_to_date: books.earned_to_date(period.end()),
        paid_to_date,
        received: activity
            .outbound
            .iter()
            .filter(|o| o.partner_id == partner.id && period.contains(o.sent_at))
            .collect(),
    }
}

fn total(lines: &[(&Inbound, Earned)]) -> Decimal {
    lines.iter().map(|(_, earned)| earned.amount).sum()
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

    /// Everything earned before `until`, over every year.
    fn earned_to_date(&self, until: Timestamp) -> Decimal {
        self.by_year.values().map(|year| total(&self.earned_before(year, until))).sum()
    }
}
