//! The SQL behind the SQLite store: reading rows into referrals, and each write as it runs
//! inside the writer's transaction.

use jiff::Timestamp;
use rusqlite::{Connection, OptionalExtension, Row, params};
use subtle::ConstantTimeEq;

use super::StoreSettings;
use crate::intake::status::Status;
use crate::intake::store::{
    Channel, Event, NewReferral, Receipt, Referral, ReferralFields, StatusChange, StoreError,
    Submitted, Token,
};

pub(super) fn ms(at: Timestamp) -> i64 {
    at.as_millisecond()
}

pub(super) fn at(ms: i64) -> Timestamp {
    Timestamp::from_millisecond(ms).unwrap_or(Timestamp::UNIX_EPOCH)
}

pub(super) fn status_of(text: &str) -> Status {
    text.parse().unwrap_or(Status::Submitted)
}

pub(super) const SUBMITTED: &str = "referral.submitted";

/// The first referral of the same client by another partner inside the window. One indexed
/// search per key: an OR across the two indexes would scan the whole table on every insert.
pub(super) const DUPLICATE_SQL: &str = "SELECT id FROM ( \
    SELECT id, submitted_at FROM referrals \
    WHERE client_domain = ?3 AND submitted_at >= ?2 AND partner_id <> ?1 \
    UNION ALL SELECT id, submitted_at FROM referrals \
    WHERE client_email_key = ?4 AND submitted_at >= ?2 AND partner_id <> ?1) \
    ORDER BY submitted_at, id LIMIT 1";

pub(super) const REFERRAL_COLUMNS: &str = "id, partner_id, token, status, submitted_at, acknowledged_at, \
    duplicate_of, referrer_name, referrer_email, client_org, client_domain, client_contact_name, \
    client_contact_email, client_contact_phone, challenge, context, promises, involvement, \
    client_consent";

pub(super) fn referral_from_row(row: &Row<'_>) -> rusqlite::Result<Referral> {
    Ok(Referral {
        id: row.get(0)?,
        partner_id: row.get(1)?,
        token: row.get(2)?,
        status: status_of(&row.get::<_, String>(3)?),
        submitted_at: at(row.get(4)?),
        acknowledged_at: row.get::<_, Option<i64>>(5)?.map(at),
        duplicate_of: row.get(6)?,
        fields: ReferralFields {
            referrer_name: row.get(7)?,
            referrer_email: row.get(8)?,
            client_org: row.get(9)?,
            client_domain: row.get(10)?,
            client_contact_name: row.get(11)?,
            client_contact_email: row.get(12)?,
            client_contact_phone: row.get(13)?,
            challenge: row.get(14)?,
            context: row.get(15)?,
            promises: row.get(16)?,
            involvement: row.get(17)?,
            client_consent: row.get(18)?,
        },
        history: Vec::new(),
    })
}

pub(super) fn with_history(
    conn: &Connection,
    mut referral: Referral,
) -> Result<Referral, StoreError> {
    let mut query = conn.prepare_cached(
        "SELECT at, status, author, partner_note, internal_note FROM events \
         WHERE referral_id = ?1 ORDER BY id",
    )?;
    let rows = query.query_map([referral.id], |row| {
        Ok(Event {
            at: at(row.get(0)?),
            status: status_of(&row.get::<_, String>(1)?),
            author: row.get(2)?,
            partner_note: row.get(3)?,
            internal_note: row.get(4)?,
        })
    })?;
    referral.history = rows.collect::<Result<_, _>>()?;
    Ok(referral)
}

pub(super) fn load(conn: &Connection, id: i64) -> Result<Referral, StoreError> {
    let sql = format!("SELECT {REFERRAL_COLUMNS} FROM referrals WHERE id = ?1");
    let referral = conn.prepare_cached(&sql)?.query_row([id], referral_from_row).optional()?;
    with_history(conn, referral.ok_or(StoreError::NotFound(id))?)
}

pub(super) fn record_event(
    conn: &Connection,
    id: i64,
    now: Timestamp,
    event: &Event,
) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT INTO events (referral_id, at, status, author, partner_note, internal_note) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![
        id,
        ms(now),
        event.status.as_str(),
        event.author,
        event.partner_note,
        event.internal_note
    ])?;
    Ok(())
}

pub(super) fn queue_notices(
    conn: &Connection,
    settings: &StoreSettings,
    id: i64,
    event: &str,
    status: Status,
    now: Timestamp,
) -> rusqlite::Result<()> {
    let mut insert = conn.prepare_cached(
        "INSERT INTO outbox (referral_id, channel, event, status, created_at, next_attempt_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?5)",
    )?;
    // The partner team changes statuses itself; only systems (the webhook) hear of changes.
    let channels =
        settings.channels.iter().filter(|c| event == SUBMITTED || **c == Channel::Webhook);
    for channel in channels {
        insert.execute(params![id, channel.as_str(), event, status.as_str(), ms(now)])?;
    }
    Ok(())
}

pub(super) fn submit(
    conn: &Connection,
    settings: &StoreSettings,
    new: NewReferral,
    now: Timestamp,
) -> Result<Submitted, StoreError> {
    let digest = new.fields.digest(&new.partner_id);
    if let Some(key) = &new.idempotency_key {
        let earlier = conn
            .prepare_cached(
                "SELECT id, token, submitted_at, duplicate_of, digest FROM referrals \
                 WHERE partner_id = ?1 AND idempotency_key = ?2",
            )?
            .query_row(params![new.partner_id, key], |row| {
                let receipt = Receipt {
                    id: row.get(0)?,
                    token: Token(row.get(1)?),
                    submitted_at: at(row.get(2)?),
                    duplicate_of: row.get(3)?,
                };
                Ok((receipt, row.get::<_, Vec<u8>>(4)?))
            })
            .optional()?;
        if let Some((receipt, earlier_digest)) = earlier {
            let same = bool::from(earlier_digest.as_slice().ct_eq(digest.as_slice()));
            return Ok(if same { Submitted::Replayed(receipt) } else { Submitted::KeyReused });
        }
    }
    let email_key = new.fields.client_email_key();
    let window_start =
        now.as_millisecond() - i64::from(settings.protection_window_hours) * 3_600_000;
    let duplicate_of: Option<i64> = conn
        .prepare_cached(DUPLICATE_SQL)?
        .query_row(
            params![new.partner_id, window_start, new.fields.client_domain, email_key],
            |row| row.get(0),
        )
        .optional()?;
    let f = &new.fields;
    conn.prepare_cached(
        "INSERT INTO referrals (token, token_key, partner_id, submitted_at, status, duplicate_of, \
         idempotency_key, digest, referrer_name, referrer_email, client_org, client_domain, \
         client_contact_name, client_contact_email, client_contact_phone, challenge, context, \
         promises, involvement, client_consent, client_email_key) \
         VALUES (?1, ?2, ?3, ?4, 'submitted', ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, \
         ?16, ?17, ?18, ?19, ?20)",
    )?
    .execute(params![
        new.token.as_str(),
        new.token.lookup_key(),
        new.partner_id,
        ms(now),
        duplicate_of,
        new.idempotency_key,
        digest,
        f.referrer_name,
        f.referrer_email,
        f.client_org,
        f.client_domain,
        f.client_contact_name,
        f.client_contact_email,
        f.client_contact_phone,
        f.challenge,
        f.context,
        f.promises,
        f.involvement,
        f.client_consent,
        email_key,
    ])?;
    let id = conn.last_insert_rowid();
    let event = Event {
        at: now,
        status: Status::Submitted,
        author: format!("partner {}", new.partner_id),
        partner_note: None,
        internal_note: duplicate_of.map(|earlier| {
            format!("possible duplicate of #{earlier}, registered earlier by another partner")
        }),
    };
    record_event(conn, id, now, &event)?;
    queue_notices(conn, settings, id, SUBMITTED, Status::Submitted, now)?;
    Ok(Submitted::Stored(Receipt { id, token: new.token, submitted_at: now, duplicate_of }))
}

pub(super) fn change_status(
    conn: &Connection,
    settings: &StoreSettings,
    id: i64,
    change: StatusChange,
    now: Timestamp,
) -> Result<Referral, StoreError> {
    let current: String = conn
        .query_row("SELECT status FROM referrals WHERE id = ?1", [id], |row| row.get(0))
        .optional()?
        .ok_or(StoreError::NotFound(id))?;
    let from = status_of(&current);
    if !change.force && !from.can_move_to(change.status) {
        return Err(StoreError::Transition { id, from, to: change.status });
    }
    conn.execute(
        "UPDATE referrals SET status = ?2, \
         acknowledged_at = coalesce(acknowledged_at, CASE WHEN ?2 <> 'submitted' THEN ?3 END) \
         WHERE id = ?1",
        params![id, change.status.as_str(), ms(now)],
    )?;
    let event = Event {
        at: now,
        status: change.status,
        author: change.author,
        partner_note: change.partner_note,
        internal_note: change.internal_note,
    };
    record_event(conn, id, now, &event)?;
    queue_notices(conn, settings, id, "referral.status_changed", change.status, now)?;
    load(conn, id)
}
