//! The referral database's schema, as numbered migrations applied in order.
//!
//! `PRAGMA user_version` records how many have run. A migration is never edited once released;
//! a change is a new one at the end of the list.

use rusqlite::Connection;

use super::StoreError;

const MIGRATIONS: &[&str] = &[
    // 1: referrals, their history, the notification outbox and its log, the spam counter.
    "CREATE TABLE referrals (
        id INTEGER PRIMARY KEY,
        token TEXT NOT NULL,
        token_key BLOB NOT NULL UNIQUE,
        partner_id TEXT NOT NULL,
        submitted_at INTEGER NOT NULL,
        status TEXT NOT NULL,
        acknowledged_at INTEGER,
        duplicate_of INTEGER REFERENCES referrals(id),
        idempotency_key TEXT,
        digest BLOB NOT NULL,
        referrer_name TEXT NOT NULL,
        referrer_email TEXT NOT NULL,
        client_org TEXT NOT NULL,
        client_domain TEXT,
        client_contact_name TEXT NOT NULL,
        client_contact_email TEXT,
        -- The contact email as duplicate checks compare it (see address::email_key).
        client_email_key TEXT,
        client_contact_phone TEXT,
        challenge TEXT NOT NULL,
        context TEXT,
        promises TEXT,
        involvement TEXT NOT NULL,
        client_consent INTEGER NOT NULL
    );
    CREATE UNIQUE INDEX referrals_by_idempotency_key
        ON referrals(partner_id, idempotency_key) WHERE idempotency_key IS NOT NULL;
    CREATE INDEX referrals_by_client_domain ON referrals(client_domain, submitted_at);
    CREATE INDEX referrals_by_client_email ON referrals(client_email_key, submitted_at);
    CREATE INDEX referrals_by_partner ON referrals(partner_id, submitted_at);
    CREATE TABLE events (
        id INTEGER PRIMARY KEY,
        referral_id INTEGER NOT NULL REFERENCES referrals(id),
        at INTEGER NOT NULL,
        status TEXT NOT NULL,
        author TEXT NOT NULL,
        partner_note TEXT,
        internal_note TEXT
    );
    CREATE INDEX events_by_referral ON events(referral_id, id);
    CREATE TABLE outbox (
        id INTEGER PRIMARY KEY,
        referral_id INTEGER NOT NULL REFERENCES referrals(id),
        channel TEXT NOT NULL,
        event TEXT NOT NULL,
        status TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at INTEGER,
        delivered_at INTEGER,
        last_error TEXT
    );
    CREATE INDEX outbox_due ON outbox(next_attempt_at) WHERE next_attempt_at IS NOT NULL;
    CREATE TABLE delivery_log (
        id INTEGER PRIMARY KEY,
        outbox_id INTEGER NOT NULL REFERENCES outbox(id),
        at INTEGER NOT NULL,
        outcome TEXT NOT NULL,
        detail TEXT NOT NULL
    );
    CREATE INDEX delivery_log_by_outbox ON delivery_log(outbox_id, id);
    CREATE TABLE spam (day TEXT PRIMARY KEY, count INTEGER NOT NULL);",
    // 2: the books statements are drawn from: fees collected on won referrals, commission
    // paid to partners, and referrals the firm sent to partners. Amounts are decimal text
    // (`12500.00`), exact where a REAL would round.
    "CREATE TABLE wins (
        referral_id INTEGER PRIMARY KEY REFERENCES referrals(id),
        won_at INTEGER NOT NULL,
        fees TEXT NOT NULL,
        engagement TEXT,
        recorded_at INTEGER NOT NULL
    );
    CREATE TABLE payments (
        id INTEGER PRIMARY KEY,
        partner_id TEXT NOT NULL,
        paid_at INTEGER NOT NULL,
        amount TEXT NOT NULL,
        note TEXT,
        author TEXT NOT NULL,
        recorded_at INTEGER NOT NULL
    );
    CREATE INDEX payments_by_partner ON payments(partner_id, paid_at);
    CREATE TABLE outbound (
        id INTEGER PRIMARY KEY,
        partner_id TEXT NOT NULL,
        client_org TEXT NOT NULL,
        sent_at INTEGER NOT NULL,
        status TEXT NOT NULL,
        author TEXT NOT NULL,
        recorded_at INTEGER NOT NULL
    );
    CREATE INDEX outbound_by_partner ON outbound(partner_id, sent_at);",
];

/// Brings a database up to the newest schema, in one transaction per migration.
pub fn migrate(conn: &mut Connection, path: &str) -> Result<(), StoreError> {
    let known = MIGRATIONS.len() as i64;
    let found: i64 = conn.query_row("PRAGMA user_version", [], |row| row.get(0))?;
    if found > known {
        return Err(StoreError::TooNew { path: path.to_string(), found, known });
    }
    for (done, migration) in MIGRATIONS.iter().enumerate().skip(found as usize) {
        let tx = conn.transaction()?;
        tx.execute_batch(migration)?;
        tx.pragma_update(None, "user_version", done as i64 + 1)?;
        tx.commit()?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrates_a_new_database_once() {
        let mut conn = Connection::open_in_memory().unwrap();
        migrate(&mut conn, ":memory:").unwrap();
        migrate(&mut conn, ":memory:").unwrap();
        let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
        assert_eq!(version, MIGRATIONS.len() as i64);
    }

    #[test]
    fn adds_the_books_to_a_database_of_the_first_schema() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(MIGRATIONS[0]).unwrap();
        conn.pragma_update(None, "user_version", 1).unwrap();
        conn.execute(
            "INSERT INTO referrals (token, token_key, partner_id, submitted_at, status, digest, \
             referrer_name, referrer_email, client_org, client_contact_name, challenge, \
             involvement, client_consent) \
             VALUES ('t', x'00', 'harbor', 0, 'won', x'00', 'A', 'a@x', 'Acme', 'J', 'c', 'joint', 1)",
            [],
        )
        .unwrap();
        migrate(&mut conn, "referrals.db").unwrap();
        conn.execute(
            "INSERT INTO wins (referral_id, won_at, fees, recorded_at) VALUES (1, 5, '12500.00', 6)",
            [],
        )
        .unwrap();
        let fees: String = conn
            .query_row("SELECT fees FROM wins JOIN referrals ON id = referral_id", [], |r| r.get(0))
            .unwrap();
        assert_eq!(fees, "12500.00");
    }

    #[test]
    fn refuses_a_database_from_a_newer_portico() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.pragma_update(None, "user_version", 99).unwrap();
        let error = migrate(&mut conn, "referrals.db").unwrap_err();
        assert!(error.to_string().contains("written by a newer portico (schema 99"));
    }
}
