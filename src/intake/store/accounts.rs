//! The firm's books beside the referrals: the fees collected on each won referral, the
//! commission paid to each partner, and the referrals the firm sent to partners. The
//! `portico referrals won|paid|outbound` commands write them; statements read them.

use jiff::Timestamp;
use rust_decimal::Decimal;

use super::{StatusChange, StoreError};
use crate::intake::status::Status;

/// A won referral's fees, and when and on what terms it was won.
#[derive(Debug, Clone, PartialEq)]
pub struct Win {
    pub referral_id: i64,
    /// Orders the year's won referrals, and so decides each one's commission band.
    pub won_at: Timestamp,
    /// The fees collected that commission is a share of.
    pub fees: Decimal,
    /// An engagement type of `partners.yaml` paid on its own terms.
    pub engagement: Option<String>,
}

/// Commission paid to a partner, with a note for the statement (an invoice number, say).
#[derive(Debug, Clone, PartialEq)]
pub struct Payment {
    pub partner_id: String,
    pub paid_at: Timestamp,
    pub amount: Decimal,
    pub note: Option<String>,
}

/// A referral the firm sent to a partner (the other half of the reciprocity balance), with
/// where the partner says it stands on the ladder.
#[derive(Debug, Clone, PartialEq)]
pub struct Outbound {
    pub partner_id: String,
    pub client_org: String,
    pub sent_at: Timestamp,
    pub status: Status,
}

/// What `portico referrals won` records: the fees and engagement type, when the referral was
/// won (`None` keeps the date already recorded, or takes the moment the status became won),
/// and the move to `won` for a referral that is not there yet.
#[derive(Debug, Clone)]
pub struct NewWin {
    pub fees: Decimal,
    pub engagement: Option<String>,
    pub won_at: Option<Timestamp>,
    pub change: StatusChange,
}

/// Reading and writing the books. Every write is durable when its future resolves.
#[async_trait::async_trait]
pub trait Accounts: Send + Sync + 'static {
    /// Records a won referral's fees, moving it to `won` first when it is not there yet (a
    /// move the ladder checks as any other).
    async fn record_win(&self, referral: i64, win: NewWin) -> Result<Win, StoreError>;
    /// Records a payment, by `author`; answers its id.
    async fn record_payment(&self, payment: Payment, author: String) -> Result<i64, StoreError>;
    /// Records a referral sent to a partner, by `author`; answers its id.
    async fn record_outbound(&self, outbound: Outbound, author: String) -> Result<i64, StoreError>;
    /// Every recorded win, by referral.
    async fn wins(&self) -> Result<Vec<Win>, StoreError>;
    /// Every payment, oldest first.
    async fn payments(&self) -> Result<Vec<Payment>, StoreError>;
    /// Every referral sent to a partner, oldest first.
    async fn outbound(&self) -> Result<Vec<Outbound>, StoreError>;
}
