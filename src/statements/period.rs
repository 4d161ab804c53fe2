//! The periods a statement covers: a calendar year (`2026`), quarter (`2026-Q4`) or month
//! (`2026-11`), and the dates and times statements read. Periods run in UTC, the time every
//! stored timestamp is in, so a statement says the same whoever prints it and wherever.

use std::fmt;

use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;

use super::BadValue;

/// A calendar period. It never spans two calendar years, so the commission bands of one year
/// apply to all of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    year: i16,
    span: Span,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Span {
    Year,
    Quarter(i8),
    Month(i8),
}

/// The years a period may fall in. The calendar portico computes with ends in 9999, and a
/// period's end is the first instant of the next one; before 1900 is a typo, not a statement.
const YEARS: std::ops::RangeInclusive<i16> = 1900..=9998;

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

impl Period {
    /// Reads `2026`, `2026-Q4` (or `2026-q4`) or `2026-11`.
    pub fn parse(text: &str) -> Result<Period, String> {
        let text = text.trim();
        let refused = || {
            format!(
                "`{text}` is not a period; write a year (`2026`), a quarter (`2026-Q4`) or a \
                 month (`2026-11`)"
            )
        };
        let (year, rest) = text.split_once('-').map_or((text, None), |(y, r)| (y, Some(r)));
        if year.len() != 4 || !year.bytes().all(|b| b.is_ascii_digit()) {
            return Err(refused());
        }
        let year: i16 = year.parse().map_err(|_| refused())?;
        if !YEARS.contains(&year) {
            return Err(format!(
                "`{text}` is not a period portico can draw up; write a year from {} to {}",
                YEARS.start(),
                YEARS.end()
            ));
        }
        let number = |digits: &str, max: i8| {
            let valid = !digits.is_empty() && digits.len() <= 2;
            let n: i8 = digits.parse().ok().filter(|n| valid && (1..=max).contains(n))?;
            Some(n)
        };
        let span = match rest {
            None => Span::Year,
            Some(q) if q.starts_with(['Q', 'q']) => {
                Span::Quarter(number(&q[1..], 4).ok_or_else(refused)?)
            }
            Some(m) if m.len() == 2 => Span::Month(number(m, 12).ok_or_else(refused)?),
            Some(_) => return Err(refused()),
        };
        Ok(Period { year, span })
    }

    pub fn year(&self) -> i16 {
        self.year
    }

    /// The period's first instant.
    pub fn start(&self) -> Timestamp {
        let month = match self.span {
            Span::Year => 1,
            Span::Quarter(q) => 3 * q - 2,
            Span::Month(m) => m,
        };
        midnight(jiff::civil::date(self.year, month, 1))
    }

    /// The first instant after the period.
    pub fn end(&self) -> Timestamp {
        let (year, month) = match self.span {
            Span::Year => (self.year + 1, 1),
            Span::Quarter(4) | Span::Month(12) => (self.year + 1, 1),
            Span::Quarter(q) => (self.year, 3 * q + 1),
            Span::Month(m) => (self.year, m + 1),
        };
        midnight(jiff::civil::date(year, month, 1))
    }

    pub fn contains(&self, at: Timestamp) -> bool {
        self.start() <= at && at < self.end()
    }

    /// The period of the same length just before this one.
    pub fn previous(&self) -> Period {
        let (year, span) = match self.span {
            Span::Year => (self.year - 1, Span::Year),
            Span::Quarter(1) => (self.year - 1, Span::Quarter(4)),
            Span::Quarter(q) => (self.year, Span::Quarter(q - 1)),
            Span::Month(1) => (self.year - 1, Span::Month(12)),
            Span::Month(m) => (self.year, Span::Month(m - 1)),
        };
        Period { year, span }
    }

    /// How a heading names the period: `Q4 2026`, `November 2026`, `2026`.
    pub fn label(&self) -> String {
        match self.span {
            Span::Year => self.year.to_string(),
            Span::Quarter(q) => format!("Q{q} {}", self.year),
            Span::Month(m) => format!("{} {}", MONTHS[m as usize - 1], self.year),
        }
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.span {
            Span::Year => write!(f, "{:04}", self.year),
            Span::Quarter(q) => write!(f, "{:04}-Q{q}", self.year),
            Span::Month(m) => write!(f, "{:04}-{m:02}", self.year),
        }
    }
}

fn midnight(date: Date) -> Timestamp {
    date.to_zoned_datetime(TimeZone::UTC)
        .expect("every calendar date has a UTC midnight")
        .timestamp()
}

/// Reads a date as statements and the bookkeeping commands take it: `2026-11-20` (the start
/// of that day, UTC) or an RFC 3339 time such as `2026-11-20T15:04:00+01:00`.
pub fn parse_when(text: &str) -> Option<Timestamp> {
    let text = text.trim();
    if let Ok(date) = text.parse::<Date>()
        && text.len() == 10
    {
        return Some(midnight(date));
    }
    text.parse::<Timestamp>().ok()
}

/// Reads a date of the books (see [`parse_when`]) that is not after `now`: the books record
/// what has happened.
pub fn past_date(text: &str, now: Timestamp) -> Result<Timestamp, BadValue> {
    let at = parse_when(text).ok_or_else(|| BadValue {
        message: format!("`{text}` is not a date"),
        help: "write `2026-11-20`, or a time as `2026-11-20T15:04:00Z`".to_string(),
    })?;
    if at > now {
        return Err(BadValue {
            message: format!("`{text}` is in the future"),
            help: "record it once it has happened".to_string(),
        });
    }
    Ok(at)
}

/// The calendar year an instant falls in, in UTC.
pub fn year_of(at: Timestamp) -> i16 {
    at.to_zoned_datetime(TimeZone::UTC).year()
}

/// The UTC day of an instant: `2026-11-20`.
pub fn day(at: Timestamp) -> String {
    at.strftime("%Y-%m-%d").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Timestamp {
        parse_when(text).unwrap()
    }

    #[test]
    fn reads_years_quarters_and_months() {
        let q4 = Period::parse("2026-Q4").unwrap();
        assert_eq!((q4.start(), q4.end()), (at("2026-10-01"), at("2027-01-01")));
        assert_eq!(q4.to_string(), "2026-Q4");
        assert_eq!(q4.label(), "Q4 2026");
        let november = Period::parse("2026-11").unwrap();
        assert_eq!((november.start(), november.end()), (at("2026-11-01"), at("2026-12-01")));
        assert_eq!(november.label(), "November 2026");
        let year = Period::parse("2026").unwrap();
        assert_eq!((year.start(), year.end()), (at("2026-01-01"), at("2027-01-01")));
        assert_eq!(Period::parse("2026-q2").unwrap().to_string(), "2026-Q2");
        for bad in ["26-Q4", "2026-Q5", "2026-Q0", "2026-13", "2026-1", "2026-11-01", "Q4", ""] {
            assert!(Period::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn refuses_years_beyond_the_calendar() {
        for bad in ["9999", "9999-Q4", "9999-12", "0000", "0000-Q1", "1899-12"] {
            let refused = Period::parse(bad).unwrap_err();
            assert!(refused.contains("write a year from 1900 to 9998"), "{bad}: {refused}");
        }
        let last = Period::parse("9998-Q4").unwrap();
        assert_eq!(last.end(), at("9999-01-01"));
        assert_eq!(Period::parse("1900-01").unwrap().previous().to_string(), "1899-12");
    }

    #[test]
    fn the_period_before_may_fall_in_the_year_before() {
        let before = |text: &str| Period::parse(text).unwrap().previous().to_string();
        assert_eq!(before("2026-Q1"), "2025-Q4");
        assert_eq!(before("2026-Q3"), "2026-Q2");
        assert_eq!(before("2026-01"), "2025-12");
        assert_eq!(before("2026"), "2025");
    }

    #[test]
    fn refuses_dates_in_the_future() {
        let now = at("2026-12-04T12:00:00Z");
        assert_eq!(past_date("2026-12-04", now).unwrap(), at("2026-12-04"));
        assert_eq!(
            past_date("2026-12-05", now).unwrap_err().message,
            "`2026-12-05` is in the future"
        );
        assert_eq!(past_date("04/12/2026", now).unwrap_err().message, "`04/12/2026` is not a date");
    }

    #[test]
    fn reads_days_and_times() {
        assert_eq!(day(at("2026-11-20")), "2026-11-20");
        assert_eq!(at("2026-11-20T01:30:00+02:00"), at("2026-11-19T23:30:00Z"));
        assert_eq!(year_of(at("2026-12-31T23:59:59Z")), 2026);
        for bad in ["2026-11-31", "20/11/2026", "2026-11-20 10:00", "tomorrow"] {
            assert_eq!(parse_when(bad), None, "{bad}");
        }
    }
}
