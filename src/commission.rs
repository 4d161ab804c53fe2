//! Commission: the program's schedule from `partners.yaml` and the arithmetic that applies it.
//!
//! Money is decimal, never floating point. A referral's commission is its fees times its rate,
//! rounded to the currency's minor unit (cents for USD, whole yen for JPY) with halves rounded
//! away from zero, plus any flat fee. Sums are sums of those rounded amounts, so a statement's
//! lines always add up to its total.
//!
//! Rates come from bands of won referrals in a calendar year (1–3 at 10 %, 4–10 at 15 %, 11+ at
//! 20 %). How a band applies is the program's choice ([`BandMode`]): either each referral earns
//! the rate of the band its own position falls in, or every referral of the year earns the rate
//! of the band the year's count has reached.

use std::fmt::Write as _;

use rust_decimal::{Decimal, RoundingStrategy};
use serde::Serialize;

/// The program's commission rules.
#[derive(Debug, Clone, PartialEq)]
pub struct Schedule {
    pub currency: Currency,
    /// Ascending and contiguous from the first band's minimum; the last may be open-ended.
    pub bands: Vec<Band>,
    pub mode: BandMode,
    /// Paid on every won referral on top of the percentage, unless its engagement type says
    /// otherwise.
    pub flat_fee: Decimal,
    /// Terms for engagement types that are not paid by the bands, by type id.
    pub engagements: Vec<Engagement>,
    /// What the rate is a percentage of, in the program's words.
    pub basis: Option<String>,
}

/// How the bands turn a year's count of won referrals into rates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum BandMode {
    /// The n-th won referral of the year earns the rate of the band that contains n; earlier
    /// referrals keep the rate they earned.
    ReferralsInBand,
    /// Every won referral of the year earns the rate of the band that contains the year's
    /// count, so reaching a band raises the rate of the year's earlier referrals too.
    WholeYear,
}

impl BandMode {
    pub const NAMES: [&str; 2] = ["referrals-in-band", "whole-year"];

    pub fn parse(text: &str) -> Option<BandMode> {
        match text {
            "referrals-in-band" => Some(BandMode::ReferralsInBand),
            "whole-year" => Some(BandMode::WholeYear),
            _ => None,
        }
    }
}

/// One row of the schedule: won referrals `min..=max` in a calendar year earn `rate`.
#[derive(Debug, Clone, PartialEq)]
pub struct Band {
    pub min_referrals: u32,
    pub max_referrals: Option<u32>,
    /// A fraction: 0.15 for 15 %.
    pub rate: Decimal,
}

impl Band {
    fn contains(&self, position: u32) -> bool {
        position >= self.min_referrals && self.max_referrals.is_none_or(|max| position <= max)
    }
}

/// The terms of an engagement type that replace the bands' rate or the flat fee.
#[derive(Debug, Clone, PartialEq)]
pub struct Engagement {
    pub id: String,
    /// How pages name the type; the id when the program gives no name.
    pub name: String,
    pub rate: Option<Decimal>,
    pub flat_fee: Option<Decimal>,
}

/// A currency and how its amounts are written.
#[derive(Debug, Clone, PartialEq)]
pub struct Currency {
    pub code: &'static str,
    pub symbol: String,
    /// Digits after the decimal point in its smallest unit: 2 for USD, 0 for JPY.
    pub decimals: u32,
}

impl Currency {
    /// The ISO 4217 currency with this code, such as `USD` or `EUR`.
    pub fn from_code(code: &str) -> Option<Currency> {
        let currency = iso_currency::Currency::from_code(code)?;
        // Funds, precious metals and testing codes have no minor unit to round to.
        let decimals = u32::from(currency.exponent()?);
        let symbol = currency.symbol().symbol;
        Some(Currency { code: currency.code(), symbol, decimals })
    }

    /// `amount` rounded to the currency's smallest unit, halves away from zero.
    pub fn round(&self, amount: Decimal) -> Decimal {
        let mut rounded =
            amount.round_dp_with_strategy(self.decimals, RoundingStrategy::MidpointAwayFromZero);
        rounded.rescale(self.decimals);
        rounded
    }

    /// `amount` as a reader expects it: `$12,500.00`, `€980.50`, `CHF 1,200.00`.
    pub fn format(&self, amount: Decimal) -> String {
        let rounded = self.round(amount);
        let text = rounded.abs().to_string();
        let (whole, fraction) = text.split_once('.').unwrap_or((&text, ""));
        let mut grouped = String::new();
        for (index, digit) in whole.chars().enumerate() {
            if index > 0 && (whole.len() - index) % 3 == 0 {
                grouped.push(',');
            }
            grouped.push(digit);
        }
        if !fraction.is_empty() {
            let _ = write!(grouped, ".{fraction}");
        }
        let sign = if rounded.is_sign_negative() && !rounded.is_zero() { "-" } else { "" };
        // A symbol made of letters (CHF, zł) reads better apart from the figure.
        let spaced = self.symbol.chars().last().is_some_and(char::is_alphabetic);
        let gap = if spaced { " " } else { "" };
        format!("{sign}{}{gap}{grouped}", self.symbol)
    }

    /// `amount` to the currency's smallest unit, as written in a CSV file: `12500.00`.
    pub fn plain(&self, amount: Decimal) -> String {
        self.round(amount).to_string()
    }
}

/// A won referral as the schedule sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct Won<'a> {
    /// The fees the firm collected that commission is a share of.
    pub fees: Decimal,
    pub engagement: Option<&'a str>,
}

/// What one won referral earns, and how.
#[derive(Debug, Clone, PartialEq)]
pub struct Earned {
    /// The referral's place in the year's count (with any head start the tier has).
    pub position: u32,
    /// The rate applied, as a fraction.
    pub rate: Decimal,
    pub amount: Decimal,
}

/// The most won referrals in a year that a band or a head start may name. Far beyond any
/// program, it keeps a typo such as `1-1000000000` from costing a build its memory.
pub const MAX_REFERRALS: u32 = 10_000;

/// Amounts of money must stay below this (a thousand trillion in any currency), so that sums
/// over any number of referrals fit the decimal type.
const MAX_AMOUNT: i64 = 1_000_000_000_000_000;

impl Schedule {
    /// The band that the `position`-th won referral of a year falls in.
    pub fn band_at(&self, position: u32) -> Option<&Band> {
        self.bands.iter().find(|band| band.contains(position))
    }

    /// The rate of the `position`-th won referral; none before the first band.
    pub fn rate_at(&self, position: u32) -> Decimal {
        self.band_at(position).map_or(Decimal::ZERO, |band| band.rate)
    }

    fn engagement(&self, id: Option<&str>) -> Option<&Engagement> {
        let id = id?;
        self.engagements.iter().find(|e| e.id == id)
    }

    /// What each of one calendar year's won referrals earns, in the order they were won, when
    /// the year's count starts at `starts_at` (1 unless the partner's tier has a head start).
    ///
    /// Under [`BandMode::WholeYear`] the rate depends on the year's count so far: figures for
    /// part of a year are what that part has earned, and a later band raises them.
    pub fn year(&self, won: &[Won<'_>], starts_at: u32) -> Vec<Earned> {
        let count = u32::try_from(won.len()).unwrap_or(u32::MAX);
        won.iter()
            .zip(0..)
            .map(|(referral, index)| self.earn(referral, index, count, starts_at))
            .collect()
    }

    /// The year's commission for `count` won referrals of `fees` each: what the calculator on
    /// the commission page shows.
    pub fn estimate(&self, count: u32, fees: Decimal, starts_at: u32) -> Decimal {
        let referral = Won { fees, engagement: None };
        (0..count).map(|index| self.earn(&referral, index, count, starts_at).amount).sum()
    }

    /// What the `index`-th (from 0) of a year's `count` won referrals earns.
    fn earn(&self, referral: &Won<'_>, index: u32, count: u32, starts_at: u32) -> Earned {
        let first = starts_at.max(1);
        let position = first.saturating_add(index);
        let banded = match self.mode {
            BandMode::ReferralsInBand => self.rate_at(position),
            BandMode::WholeYear => self.rate_at(first.saturating_add(count.saturating_sub(1))),
        };
        let terms = self.engagement(referral.engagement);
        let rate = terms.and_then(|t| t.rate).unwrap_or(banded);
        let flat = terms.and_then(|t| t.flat_fee).unwrap_or(self.flat_fee);
        let amount = self.currency.round(referral.fees * rate) + flat;
        Earned { position, rate, amount }
    }
}

/// Reads a rate such as `15%`, `12.5 %` or `0%` into a fraction (0.15). Rates above 100 % are
/// refused.
pub fn parse_rate(text: &str) -> Option<Decimal> {
    let number = text.trim().strip_suffix('%')?.trim();
    let percent = parse_plain_decimal(number)?;
    (percent <= Decimal::ONE_HUNDRED).then(|| percent / Decimal::ONE_HUNDRED)
}

/// Reads an amount of money such as `250` or `1250.50`: digits, at most one point, not
/// negative, no more decimals than the currency has, and less than a thousand trillion.
pub fn parse_amount(text: &str, currency: &Currency) -> Option<Decimal> {
    let amount = parse_plain_decimal(text.trim())?;
    (amount.scale() <= currency.decimals && amount < Decimal::from(MAX_AMOUNT)).then_some(amount)
}

/// Digits with at most one decimal point; no sign, exponent, grouping or spaces.
fn parse_plain_decimal(text: &str) -> Option<Decimal> {
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || !digits(whole) || !digits(fraction) || text.ends_with('.') {
        return None;
    }
    text.parse().ok()
}

/// The rate as a percentage for people: `15%`, `12.5%`.
pub fn percent(rate: Decimal) -> String {
    format!("{}%", (rate * Decimal::ONE_HUNDRED).normalize())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dec(text: &str) -> Decimal {
        text.parse().unwrap()
    }

    fn usd() -> Currency {
        Currency::from_code("USD").unwrap()
    }

    /// 1–3 at 10 %, 4–10 at 15 %, 11+ at 20 %.
    fn schedule(mode: BandMode) -> Schedule {
        let band = |min, max, rate: &str| Band {
            min_referrals: min,
            max_referrals: max,
            rate: parse_rate(rate).unwrap(),
        };
        Schedule {
            currency: usd(),
            bands: vec![band(1, Some(3), "10%"), band(4, Some(10), "15%"), band(11, None, "20%")],
            mode,
            flat_fee: Decimal::ZERO,
            engagements: Vec::new(),
            basis: None,
        }
    }

    fn year_total(schedule: &Schedule, count: u32, fees: &str) -> Decimal {
        schedule.estimate(count, dec(fees), 1)
    }

    // Hand-computed: each referral's fees are $10,000.
    // Referrals in band: 1-3 earn $1,000 each; 4-10 earn $1,500; 11+ earn $2,000.
    #[test]
    fn referrals_in_band_at_every_band_edge() {
        let s = schedule(BandMode::ReferralsInBand);
        let cases = [
            (0, "0"),
            (1, "1000"),
            (3, "3000"),   // last of the first band
            (4, "4500"),   // 3 × 1,000 + 1 × 1,500
            (10, "13500"), // 3 × 1,000 + 7 × 1,500
            (11, "15500"), // + 1 × 2,000
            (12, "17500"),
        ];
        for (count, expected) in cases {
            assert_eq!(year_total(&s, count, "10000"), dec(expected), "{count} referrals");
        }
    }

    // Whole year: every referral earns the rate the year's count reached.
    #[test]
    fn whole_year_at_every_band_edge() {
        let s = schedule(BandMode::WholeYear);
        let cases = [
            (1, "1000"),
            (3, "3000"),   // 3 × 10 %
            (4, "6000"),   // 4 × 15 %
            (10, "15000"), // 10 × 15 %
            (11, "22000"), // 11 × 20 %
            (12, "24000"),
        ];
        for (count, expected) in cases {
            assert_eq!(year_total(&s, count, "10000"), dec(expected), "{count} referrals");
        }
    }

    #[test]
    fn a_head_start_begins_the_year_in_a_later_band() {
        // Counting from 4: the first referral is the 4th, so 7 referrals are 4..=10 at 15 %
        // and the 8th is the 11th at 20 %.
        let s = schedule(BandMode::ReferralsInBand);
        assert_eq!(s.estimate(7, dec("10000"), 4), dec("10500"));
        assert_eq!(s.estimate(8, dec("10000"), 4), dec("12500"));
        let whole = schedule(BandMode::WholeYear);
        assert_eq!(whole.estimate(1, dec("10000"), 4), dec("1500"));
    }

    #[test]
    fn each_referral_is_rounded_to_the_cent_halves_away_from_zero() {
        let s = schedule(BandMode::ReferralsInBand);
        // 10 % of $0.05 is half a cent: rounded up to $0.01, per referral, so 3 earn $0.03
        // (rounding the total of $0.015 would give $0.02).
        assert_eq!(year_total(&s, 3, "0.05"), dec("0.03"));
        // 15 % of $33.33 is $4.9995, which rounds to $5.00.
        let fourth = s.year(&[Won { fees: dec("33.33"), engagement: None }], 4);
        assert_eq!(fourth[0].amount, dec("5.00"));
        // 10 % of $0.04 is $0.004: down to $0.00.
        assert_eq!(year_total(&s, 1, "0.04"), dec("0.00"));
    }

    #[test]
    fn zero_decimal_currencies_round_to_whole_units() {
        let mut s = schedule(BandMode::ReferralsInBand);
        s.currency = Currency::from_code("JPY").unwrap();
        // 10 % of ¥12,345 is ¥1,234.5: ¥1,235.
        assert_eq!(year_total(&s, 1, "12345"), dec("1235"));
        assert_eq!(s.currency.format(dec("1235")), "¥1,235");
    }

    #[test]
    fn flat_fees_and_engagement_types() {
        let mut s = schedule(BandMode::ReferralsInBand);
        s.flat_fee = dec("250");
        s.engagements = vec![
            Engagement {
                id: "managed".into(),
                name: String::new(),
                rate: Some(dec("0.05")),
                flat_fee: None,
            },
            Engagement {
                id: "workshop".into(),
                name: String::new(),
                rate: Some(Decimal::ZERO),
                flat_fee: Some(dec("500")),
            },
        ];
        let won = [
            Won { fees: dec("10000"), engagement: None }, // 10 % + 250 = 1,250
            Won { fees: dec("10000"), engagement: Some("managed") }, // 5 % + 250 = 750
            Won { fees: dec("10000"), engagement: Some("workshop") }, // 0 + 500
            Won { fees: dec("10000"), engagement: Some("other") }, // 4th: 15 % + 250
        ];
        let earned: Vec<Decimal> = s.year(&won, 1).into_iter().map(|e| e.amount).collect();
        assert_eq!(earned, [dec("1250"), dec("750"), dec("500"), dec("1750")]);
    }

    #[test]
    fn reads_rates_and_amounts_strictly() {
        assert_eq!(parse_rate("15%"), Some(dec("0.15")));
        assert_eq!(parse_rate("12.5 %"), Some(dec("0.125")));
        assert_eq!(parse_rate("100%"), Some(Decimal::ONE));
        for bad in ["15", "-5%", "101%", "1e1%", "%", ".5%", "5.%", "1,5%"] {
            assert_eq!(parse_rate(bad), None, "{bad}");
        }
        assert_eq!(parse_amount("1250.50", &usd()), Some(dec("1250.50")));
        for bad in ["1,250", "12.345", "-1", "", "1e3", " ", "1000000000000000"] {
            assert_eq!(parse_amount(bad, &usd()), None, "{bad}");
        }
    }

    #[test]
    fn formats_amounts_for_people() {
        let usd = usd();
        assert_eq!(usd.format(dec("1234567.5")), "$1,234,567.50");
        assert_eq!(usd.format(dec("0")), "$0.00");
        assert_eq!(usd.format(dec("-12.345")), "-$12.35");
        assert_eq!(Currency::from_code("EUR").unwrap().format(dec("980.5")), "€980.50");
        assert_eq!(usd.plain(dec("12")), "12.00");
        assert_eq!(percent(dec("0.125")), "12.5%");
        assert!(Currency::from_code("XAU").is_none(), "gold has no minor unit");
    }
}
