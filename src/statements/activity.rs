//! What statements are drawn from, whatever its source: the referrals partners sent, the
//! commission paid, and the referrals the firm sent them (as the store keeps those two).
//! [`Activity::from_store`] reads it from the referral database, [`super::ledger`] from a CSV
//! file, and [`read`] from the sources `portico statements` was given.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use jiff::Timestamp;
use rust_decimal::Decimal;

use super::StatementError;
use crate::intake::status::Status;
use crate::intake::store::{Accounts, Filter, Outbound, Payment, Store, StoreError};
use crate::program::Program;

/// Where a period's activity comes from: the referral database, a CSV ledger, or both.
#[derive(Debug, Clone, PartialEq)]
pub struct Sources {
    pub db: Option<PathBuf>,
    pub ledger: Option<PathBuf>,
}

impl Sources {
    /// The sources `--db` and `--ledger` name. Without `--db`, the database at
    /// `<root>/referrals.db` is read only when no ledger is given either: a firm that keeps a
    /// ledger may also have a database holding the same referrals, and reading both would
    /// count them twice.
    pub fn new(root: &Path, db: Option<PathBuf>, ledger: Option<PathBuf>) -> Sources {
        let db = match (db, &ledger) {
            (Some(db), _) => Some(db),
            (None, None) => Some(root.join("referrals.db")),
            (None, Some(_)) => None,
        };
        Sources { db, ledger }
    }
}

/// Reads the activity of every source, the database's first. Ledger rows dated after `now`
/// are refused.
pub async fn read(
    program: &Program,
    sources: &Sources,
    now: Timestamp,
) -> Result<Activity, StatementError> {
    let mut activity = Activity::default();
    if let Some(path) = &sources.db {
        if !path.exists() {
            return Err(StatementError::NoDatabase { path: path.clone() });
        }
        let unreadable = |source| StatementError::Database { path: path.clone(), source };
        let store = crate::intake::open_store(program, path).map_err(unreadable)?;
        activity = Activity::from_store(&store).await.map_err(unreadable)?;
        tracing::info!("read the referral database `{}`", path.display());
    }
    if let Some(path) = &sources.ledger {
        let from_ledger =
            super::ledger::read(path, program, now).map_err(StatementError::Ledger)?;
        activity.extend(from_ledger);
        tracing::info!("read the ledger `{}`", path.display());
    }
    Ok(activity)
}

/// Everything a period's statements and scorecard need, from one source or several.
#[derive(Debug, Clone, Default)]
pub struct Activity {
    /// In the order their source keeps them (database id, ledger line), which breaks ties
    /// between referrals won at the same moment.
    pub referrals: Vec<Inbound>,
    pub payments: Vec<Payment>,
    pub outbound: Vec<Outbound>,
}

/// A referral a partner sent the firm.
#[derive(Debug, Clone, PartialEq)]
pub struct Inbound {
    /// How statements name it: `#42` from the database, the ledger's own reference otherwise.
    pub reference: String,
    pub partner_id: String,
    pub client: String,
    pub submitted_at: Timestamp,
    /// When it first left `submitted`, which stops the SLA clock.
    pub acknowledged_at: Option<Timestamp>,
    /// Every move along the ladder in order, the first being `submitted`.
    pub moves: Vec<(Timestamp, Status)>,
    /// Set while the referral stands at `won`.
    pub win: Option<WonOn>,
}

/// When and on what terms a referral was won.
#[derive(Debug, Clone, PartialEq)]
pub struct WonOn {
    pub at: Timestamp,
    /// `None` until the firm records the fees collected.
    pub fees: Option<Decimal>,
    pub engagement: Option<String>,
}

impl Inbound {
    pub fn status(&self) -> Status {
        self.moves.last().map_or(Status::Submitted, |(_, status)| *status)
    }

    /// Where the referral stood just before `moment`. The win's own date counts for `won`,
    /// since the firm may record a win later than it happened.
    pub fn status_before(&self, moment: Timestamp) -> Status {
        if let Some(win) = &self.win
            && win.at < moment
        {
            return Status::Won;
        }
        self.moves
            .iter()
            .rev()
            .find(|(at, status)| *at < moment && (self.win.is_none() || *status != Status::Won))
            .map_or(Status::Submitted, |(_, status)| *status)
    }

    /// The outcome, won or lost, and when it was reached; `None` while undecided or when the
    /// referral ended otherwise (declined, duplicate, expired).
    pub fn decision(&self) -> Option<(Timestamp, Status)> {
        match (self.status(), &self.win) {
            (Status::Won, Some(win)) => Some((win.at, Status::Won)),
            (Status::Lost, _) => self.moves.last().map(|(at, _)| (*at, Status::Lost)),
            _ => None,
        }
    }
}

impl Activity {
    /// Adds another source's activity after this one's.
    pub fn extend(&mut self, other: Activity) {
        self.referrals.extend(other.referrals);
        self.payments.extend(other.payments);
        self.outbound.extend(other.outbound);
    }

    /// Reads everything from the referral database.
    pub async fn from_store<S: Store + Accounts>(store: &S) -> Result<Activity, StoreError> {
        let wins: HashMap<i64, _> =
            store.wins().await?.into_iter().map(|win| (win.referral_id, win)).collect();
        let referrals = store
            .list(&Filter::default())
            .await?
            .into_iter()
            .map(|referral| {
                let moves: Vec<(Timestamp, Status)> =
                    referral.history.iter().map(|event| (event.at, event.status)).collect();
                let win = (referral.status == Status::Won).then(|| match wins.get(&referral.id) {
                    Some(win) => WonOn {
                        at: win.won_at,
                        fees: Some(win.fees),
                        engagement: win.engagement.clone(),
                    },
                    None => {
                        let moved = moves.iter().rev().find(|(_, s)| *s == Status::Won);
                        let at = moved.map_or(referral.submitted_at, |(at, _)| *at);
                        WonOn { at, fees: None, engagement: None }
                    }
                });
                Inbound {
                    reference: format!("#{}", referral.id),
                    partner_id: referral.partner_id,
                    client: referral.fields.client_org,
                    submitted_at: referral.submitted_at,
                    acknowledged_at: referral.acknowledged_at,
                    moves,
                    win,
                }
            })
            .collect();
        let (payments, outbound) = (store.payments().await?, store.outbound().await?);
        Ok(Activity { referrals, payments, outbound })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn a_ledger_alone_leaves_the_default_database_out() {
        let root = Path::new("site");
        let (db, ledger) = (Some(PathBuf::from("books.db")), Some(PathBuf::from("ledger.csv")));
        let sources = |db: &Option<PathBuf>, ledger: &Option<PathBuf>| {
            let found = Sources::new(root, db.clone(), ledger.clone());
            (found.db, found.ledger)
        };
        assert_eq!(sources(&None, &None), (Some(root.join("referrals.db")), None));
        assert_eq!(sources(&None, &ledger), (None, ledger.clone()));
        assert_eq!(sources(&db, &ledger), (db.clone(), ledger.clone()));
        assert_eq!(sources(&db, &None), (db, None));
    }

    #[test]
    fn a_win_recorded_late_counts_from_its_own_date() {
        let at = |text: &str| crate::statements::period::parse_when(text).unwrap();
        // Moved to proposal on the 10th, recorded won on the 20th as won on the 5th.
        let referral = Inbound {
            reference: "#1".into(),
            partner_id: "p".into(),
            client: "Acme".into(),
            submitted_at: at("2026-11-01"),
            acknowledged_at: Some(at("2026-11-02")),
            moves: vec![
                (at("2026-11-01"), Status::Submitted),
                (at("2026-11-02"), Status::Acknowledged),
                (at("2026-11-10"), Status::Proposal),
                (at("2026-11-20"), Status::Won),
            ],
            win: Some(WonOn { at: at("2026-11-05"), fees: None, engagement: None }),
        };
        assert_eq!(referral.status_before(at("2026-11-03")), Status::Acknowledged);
        assert_eq!(referral.status_before(at("2026-11-06")), Status::Won);
        assert_eq!(referral.status_before(at("2026-12-01")), Status::Won);
        assert_eq!(referral.decision(), Some((at("2026-11-05"), Status::Won)));
    }
}
