//! The books in SQLite: wins, payments and outbound referrals (schema migration 2).

use jiff::Timestamp;
use rusqlite::types::Type;
use rusqlite::{Connection, OptionalExtension, Row, params};
use rust_decimal::Decimal;

use super::queries::{at, change_status, ms, status_of};
use super::{SqliteStore, StoreSettings};
use crate::intake::status::Status;
use crate::intake::store::{Accounts, NewWin, Outbound, Payment, StoreError, Win};

/// An amount kept as decimal text, read from column `index`.
fn amount(text: String, index: usize) -> rusqlite::Result<Decimal> {
    text.parse()
        .map_err(|e| rusqlite::Error::FromSqlConversionFailure(index, Type::Text, Box::new(e)))
}

fn win_from_row(row: &Row<'_>) -> rusqlite::Result<Win> {
    let (referral_id, won_at, fees, engagement) = row.try_into()?;
    Ok(Win { referral_id, won_at: at(won_at), fees: amount(fees, 2)?, engagement })
}

fn payment_from_row(row: &Row<'_>) -> rusqlite::Result<Payment> {
    let (partner_id, paid_at, text, note) = row.try_into()?;
    Ok(Payment { partner_id, paid_at: at(paid_at), amount: amount(text, 2)?, note })
}

fn outbound_from_row(row: &Row<'_>) -> rusqlite::Result<Outbound> {
    let (partner_id, client_org, sent_at, status): (_, _, _, String) = row.try_into()?;
    Ok(Outbound { partner_id, client_org, sent_at: at(sent_at), status: status_of(&status) })
}

/// One table of the books: its columns and how a row reads.
struct Table<T> {
    name: &'static str,
    columns: &'static str,
    from_row: fn(&Row<'_>) -> rusqlite::Result<T>,
}

const WINS: Table<Win> = Table {
    name: "wins",
    columns: "referral_id, won_at, fees, engagement",
    from_row: win_from_row,
};
const PAYMENTS: Table<Payment> = Table {
    name: "payments",
    columns: "partner_id, paid_at, amount, note",
    from_row: payment_from_row,
};
const OUTBOUND: Table<Outbound> = Table {
    name: "outbound",
    columns: "partner_id, client_org, sent_at, status",
    from_row: outbound_from_row,
};

impl<T> Table<T> {
    /// The rows `clause` (`WHERE …`, `ORDER BY …`) selects.
    fn rows(
        &self,
        conn: &Connection,
        clause: &str,
        values: impl rusqlite::Params,
    ) -> Result<Vec<T>, StoreError> {
        let sql = format!("SELECT {} FROM {} {clause}", self.columns, self.name);
        let mut query = conn.prepare_cached(&sql)?;
        let rows = query.query_map(values, self.from_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

fn record_win(
    conn: &Connection,
    settings: &StoreSettings,
    id: i64,
    win: NewWin,
    now: Timestamp,
) -> Result<Win, StoreError> {
    let (status, submitted_at): (String, i64) = conn
        .query_row("SELECT status, submitted_at FROM referrals WHERE id = ?1", [id], |row| {
            Ok((row.get(0)?, row.get(1)?))
        })
        .optional()?
        .ok_or(StoreError::NotFound(id))?;
    let became_won = if status_of(&status) == Status::Won {
        earlier_won_at(conn, id)?.unwrap_or(now)
    } else {
        change_status(conn, settings, id, win.change, now)?;
        now
    };
    let won_at = win.won_at.unwrap_or(became_won);
    if won_at < at(submitted_at) {
        let submitted = at(submitted_at).strftime("%Y-%m-%d %H:%M UTC").to_string();
        return Err(StoreError::WonBeforeSubmitted { id, submitted });
    }
    conn.prepare_cached(
        "INSERT INTO wins (referral_id, won_at, fees, engagement, recorded_at) \
         VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (referral_id) DO UPDATE SET \
         won_at = ?2, fees = ?3, engagement = ?4, recorded_at = ?5",
    )?
    .execute(params![id, ms(won_at), win.fees.to_string(), win.engagement, ms(now)])?;
    let recorded = WINS.rows(conn, "WHERE referral_id = ?1", [id])?.pop();
    recorded.ok_or(StoreError::NotFound(id))
}

/// When an already won referral was won: the date recorded with its fees, else the latest
/// move to `won` in its history.
fn earlier_won_at(conn: &Connection, id: i64) -> Result<Option<Timestamp>, StoreError> {
    let recorded: Option<i64> = conn
        .query_row("SELECT won_at FROM wins WHERE referral_id = ?1", [id], |row| row.get(0))
        .optional()?;
    let moved: Option<i64> = conn.query_row(
        "SELECT max(at) FROM events WHERE referral_id = ?1 AND status = 'won'",
        [id],
        |row| row.get(0),
    )?;
    Ok(recorded.or(moved).map(at))
}

#[async_trait::async_trait]
impl Accounts for SqliteStore {
    async fn record_win(&self, referral: i64, win: NewWin) -> Result<Win, StoreError> {
        let settings = std::sync::Arc::clone(&self.settings);
        self.write(move |conn, now| record_win(conn, &settings, referral, win, now)).await
    }

    async fn record_payment(&self, payment: Payment, author: String) -> Result<i64, StoreError> {
        self.write(move |conn, now| {
            conn.prepare_cached(
                "INSERT INTO payments (partner_id, paid_at, amount, note, author, recorded_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?
            .execute(params![
                payment.partner_id,
                ms(payment.paid_at),
                payment.amount.to_string(),
                payment.note,
                author,
                ms(now)
            ])?;
            Ok(conn.last_insert_rowid())
        })
        .await
    }

    async fn record_outbound(&self, outbound: Outbound, author: String) -> Result<i64, StoreError> {
        self.write(move |conn, now| {
            conn.prepare_cached(
                "INSERT INTO outbound (partner_id, client_org, sent_at, status, author, \
                 recorded_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?
            .execute(params![
                outbound.partner_id,
                outbound.client_org,
                ms(outbound.sent_at),
                outbound.status.as_str(),
                author,
                ms(now)
            ])?;
            Ok(conn.last_insert_rowid())
        })
        .await
    }

    async fn wins(&self) -> Result<Vec<Win>, StoreError> {
        self.read(|conn| WINS.rows(conn, "ORDER BY referral_id", [])).await
    }

    async fn payments(&self) -> Result<Vec<Payment>, StoreError> {
        self.read(|conn| PAYMENTS.rows(conn, "ORDER BY paid_at, id", [])).await
    }

    async fn outbound(&self) -> Result<Vec<Outbound>, StoreError> {
        self.read(|conn| OUTBOUND.rows(conn, "ORDER BY sent_at, id", [])).await
    }
}
