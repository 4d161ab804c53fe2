//! The program scorecard: for the firm's eyes, every partner side by side for one period.

use jiff::SignedDuration;
use rust_decimal::{Decimal, RoundingStrategy};

use super::activity::{Activity, Inbound};
use super::figures::{Outcomes, TooLarge};
use super::period::Period;
use crate::program::{Partner, Program};

/// The scorecard of one period.
#[derive(Debug, Clone)]
pub struct Scorecard<'a> {
    pub period: Period,
    pub sla_hours: u32,
    pub rows: Vec<Row<'a>>,
    /// The revenue of every partner together.
    pub revenue: Decimal,
}

/// One partner's line.
#[derive(Debug, Clone)]
pub struct Row<'a> {
    pub partner: &'a Partner,
    /// Referrals the partner submitted in the period.
    pub sent: usize,
    /// Referrals the firm sent the partner in the period.
    pub received: usize,
    pub outcomes: Outcomes,
    /// Referrals acknowledged in the period, and how many of those within the SLA.
    pub acknowledged: usize,
    pub within_sla: usize,
    /// The median time from submission to acknowledgement over those referrals.
    pub median_acknowledgement: Option<SignedDuration>,
    /// No referral submitted in the period or the one before it.
    pub quiet: bool,
}

impl Row<'_> {
    /// Referrals sent less referrals received: above zero, the partner gives more than it gets.
    pub fn reciprocity(&self) -> i64 {
        self.sent as i64 - self.received as i64
    }
}

/// Draws up the scorecard for `period` over every partner of the program.
pub fn scorecard<'a>(
    program: &'a Program,
    activity: &Activity,
    period: Period,
) -> Result<Scorecard<'a>, TooLarge> {
    let sla = SignedDuration::from_hours(i64::from(program.response_sla_hours));
    let before = period.previous();
    let rows: Vec<Row<'a>> = program
        .partners
        .iter()
        .map(|partner| {
            let theirs: Vec<&Inbound> =
                activity.referrals.iter().filter(|r| r.partner_id == partner.id).collect();
            let waits: Vec<SignedDuration> = theirs
                .iter()
                .filter_map(|r| {
                    let at = r.acknowledged_at.filter(|at| period.contains(*at))?;
                    Some(at.duration_since(r.submitted_at))
                })
                .collect();
            let submitted_in =
                |p: Period| theirs.iter().filter(move |r| p.contains(r.submitted_at));
            Ok(Row {
                partner,
                sent: submitted_in(period).count(),
                received: activity
                    .outbound
                    .iter()
                    .filter(|o| o.partner_id == partner.id && period.contains(o.sent_at))
                    .count(),
                outcomes: Outcomes::of(theirs.iter().copied(), &period, &partner.id)?,
                acknowledged: waits.len(),
                within_sla: waits.iter().filter(|wait| **wait <= sla).count(),
                median_acknowledgement: median(waits),
                quiet: submitted_in(period).chain(submitted_in(before)).next().is_none(),
            })
        })
        .collect::<Result<_, TooLarge>>()?;
    let revenue = super::figures::sum(rows.iter().map(|row| row.outcomes.revenue))
        .ok_or_else(|| TooLarge { figure: "revenue", whose: "all partners".into() })?;
    Ok(Scorecard { period, sla_hours: program.response_sla_hours, rows, revenue })
}

/// The middle wait, or the mean of the two middle ones; whole seconds.
fn median(mut waits: Vec<SignedDuration>) -> Option<SignedDuration> {
    waits.sort();
    let middle = waits.len() / 2;
    match waits.len() {
        0 => None,
        n if n % 2 == 1 => Some(waits[middle]),
        _ => {
            let seconds = (waits[middle - 1].as_secs() + waits[middle].as_secs()) / 2;
            Some(SignedDuration::from_secs(seconds))
        }
    }
}

/// A wait in hours to the hundredth, for spreadsheets: `5.50`.
pub fn hours(wait: SignedDuration) -> Decimal {
    let mut hours = (Decimal::from(wait.as_secs()) / Decimal::from(3600))
        .round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero);
    hours.rescale(2);
    hours
}

/// A wait for people: `5h 30m`, `24h 00m`, and past two days `3d 4h`.
pub fn readable(wait: SignedDuration) -> String {
    let minutes = wait.as_secs() / 60;
    let (days, hours, minutes) = (minutes / 1440, minutes / 60, minutes % 60);
    if days >= 2 { format!("{days}d {}h", hours % 24) } else { format!("{hours}h {minutes:02}m") }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hours_of(list: &[i64]) -> Vec<SignedDuration> {
        list.iter().map(|h| SignedDuration::from_hours(*h)).collect()
    }

    #[test]
    fn the_median_of_an_even_count_is_the_mean_of_the_middle_two() {
        assert_eq!(median(hours_of(&[30, 2, 10])), Some(SignedDuration::from_hours(10)));
        assert_eq!(median(hours_of(&[30, 2, 10, 4])), Some(SignedDuration::from_hours(7)));
        assert_eq!(median(Vec::new()), None);
        assert_eq!(hours(SignedDuration::from_secs(19_800)).to_string(), "5.50");
        assert_eq!(hours(SignedDuration::from_hours(17)).to_string(), "17.00");
        assert_eq!(readable(SignedDuration::from_secs(19_800)), "5h 30m");
        assert_eq!(readable(SignedDuration::from_hours(24)), "24h 00m");
        assert_eq!(readable(SignedDuration::from_hours(51)), "2d 3h");
    }
}
