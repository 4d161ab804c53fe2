//! The SQLite store: one file in WAL mode, every commit synced before it is answered.
//!
//! All writes go through one writer thread that commits whatever has queued up as one
//! transaction (group commit): under load one fsync covers many referrals, and no caller hears
//! back before the commit that holds its write. Each write runs in its own savepoint, so one
//! failing write does not undo the others in its batch. Reads use a small pool of connections.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use jiff::Timestamp;
use rusqlite::{Connection, OptionalExtension, Transaction, TransactionBehavior, params};
use subtle::ConstantTimeEq;
use tokio::sync::{mpsc, oneshot};

mod accounts;
mod queries;

use self::queries::{
    REFERRAL_COLUMNS, at, change_status, load, ms, referral_from_row, status_of, submit,
    with_history,
};
use super::schema;
use super::{
    Attempt, Channel, Delivery, Filter, LoggedAttempt, NewReferral, Referral, StatusChange, Store,
    StoreError, Submitted, Token,
};
use crate::intake::status::Status;

/// Writes queued beyond this wait for the next commit.
const MAX_BATCH: usize = 512;

/// What the store needs from `partners.yaml`.
#[derive(Debug, Clone)]
pub struct StoreSettings {
    pub protection_window_hours: u32,
    /// Where each new referral and status change is announced.
    pub channels: Vec<Channel>,
}

type Work = Box<dyn FnOnce(&mut Transaction<'_>, Timestamp) -> Finish + Send>;
type Finish = Box<dyn FnOnce(Result<(), String>) + Send>;

pub struct SqliteStore {
    jobs: Option<mpsc::Sender<Work>>,
    writer: Option<JoinHandle<()>>,
    /// Dropping the sender stops the checkpointer.
    checkpointer: Option<(std::sync::mpsc::Sender<()>, JoinHandle<()>)>,
    readers: Arc<Readers>,
    settings: Arc<StoreSettings>,
}

struct Readers {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
}

impl SqliteStore {
    /// Opens (creating if need be) and migrates the database at `path`.
    pub fn open(path: &Path, settings: StoreSettings) -> Result<SqliteStore, StoreError> {
        let mut conn = connect(path)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        schema::migrate(&mut conn, &path.display().to_string())?;
        conn.pragma_update(None, "wal_autocheckpoint", 0)?;
        let checkpoints = connect(path)?;
        let (stop, stopped) = std::sync::mpsc::channel();
        let checkpointer =
            spawn("referral-checkpoints", move || checkpoint_loop(checkpoints, stopped))?;
        let (jobs, queue) = mpsc::channel(4 * MAX_BATCH);
        let writer = spawn("referral-writer", move || write_loop(conn, queue))?;
        Ok(SqliteStore {
            jobs: Some(jobs),
            writer: Some(writer),
            checkpointer: Some((stop, checkpointer)),
            readers: Arc::new(Readers { path: path.to_path_buf(), idle: Mutex::new(Vec::new()) }),
            settings: Arc::new(settings),
        })
    }

    /// Runs `work` in the writer thread and answers once its batch is committed.
    async fn write<T: Send + 'static>(
        &self,
        work: impl FnOnce(&Connection, Timestamp) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let (answer, answered) = oneshot::channel();
        let job: Work = Box::new(move |tx, now| {
            let outcome = in_savepoint(tx, |conn| work(conn, now));
            Box::new(move |committed| {
                let result = match committed {
                    Ok(()) => outcome,
                    Err(reason) => Err(StoreError::Commit(reason)),
                };
                let _ = answer.send(result);
            })
        });
        let jobs = self.jobs.as_ref().ok_or(StoreError::Closed)?;
        jobs.send(job).await.map_err(|_| StoreError::Closed)?;
        answered.await.map_err(|_| StoreError::Closed)?
    }

    async fn read<T: Send + 'static>(
        &self,
        work: impl FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let readers = Arc::clone(&self.readers);
        tokio::task::spawn_blocking(move || {
            let idle = readers.idle.lock().unwrap_or_else(|e| e.into_inner()).pop();
            let conn = match idle {
                Some(conn) => conn,
                None => connect(&readers.path)?,
            };
            let result = work(&conn);
            readers.idle.lock().unwrap_or_else(|e| e.into_inner()).push(conn);
            result
        })
        .await
        .map_err(|_| StoreError::Closed)?
    }
}

impl Drop for SqliteStore {
    /// Lets the writer finish what is queued, so a shutdown loses nothing it acknowledged.
    fn drop(&mut self) {
        if let Some((stop, checkpointer)) = self.checkpointer.take() {
            drop(stop);
            let _ = checkpointer.join();
        }
        self.jobs.take();
        if let Some(writer) = self.writer.take() {
            let _ = writer.join();
        }
    }
}

fn connect(path: &Path) -> Result<Connection, StoreError> {
    let conn = Connection::open(path)?;
    // FULL makes every WAL commit reach the disk before it returns: durable, not just atomic.
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    Ok(conn)
}

fn spawn(name: &str, work: impl FnOnce() + Send + 'static) -> Result<JoinHandle<()>, StoreError> {
    std::thread::Builder::new()
        .name(name.into())
        .spawn(work)
        .map_err(|e| StoreError::Commit(format!("cannot start the {name} thread: {e}")))
}

/// Copies the write-ahead log into the database a few times a second. Done here rather than
/// in the writer's commits (SQLite's default), it keeps those commits, and so every answer,
/// short; a PASSIVE checkpoint neither waits for the writer nor blocks it.
fn checkpoint_loop(conn: Connection, stop: std::sync::mpsc::Receiver<()>) {
    let interval = std::time::Duration::from_millis(250);
    while let Err(std::sync::mpsc::RecvTimeoutError::Timeout) = stop.recv_timeout(interval) {
        if let Err(e) = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())) {
            tracing::warn!("a checkpoint of the referral database failed: {e}");
        }
    }
}

fn write_loop(mut conn: Connection, mut queue: mpsc::Receiver<Work>) {
    let mut last = Timestamp::UNIX_EPOCH;
    while let Some(first) = queue.blocking_recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match queue.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        // Server time never runs backwards between referrals, so the first registration by
        // time is also the first by id. Milliseconds are what the database keeps.
        last = last.max(at(Timestamp::now().as_millisecond()));
        let started = std::time::Instant::now();
        let size = batch.len();
        commit_batch(&mut conn, batch, last);
        tracing::debug!("committed {size} writes in {:?}", started.elapsed());
    }
}

fn commit_batch(conn: &mut Connection, batch: Vec<Work>, now: Timestamp) {
    let mut tx = match conn.transaction_with_behavior(TransactionBehavior::Immediate) {
        Ok(tx) => tx,
        Err(e) => {
            // Dropping the jobs drops their answer channels: every caller hears of a failure.
            tracing::error!("cannot start a transaction for {} writes: {e}", batch.len());
            return;
        }
    };
    let finishes: Vec<Finish> = batch.into_iter().map(|job| job(&mut tx, now)).collect();
    let committed = tx.commit().map_err(|e| e.to_string());
    if let Err(reason) = &committed {
        tracing::error!("a commit of {} writes failed: {reason}", finishes.len());
    }
    for finish in finishes {
        finish(committed.clone());
    }
}

fn in_savepoint<T>(
    tx: &mut Transaction<'_>,
    work: impl FnOnce(&Connection) -> Result<T, StoreError>,
) -> Result<T, StoreError> {
    let savepoint = tx.savepoint()?;
    let value = work(&savepoint)?;
    savepoint.commit()?;
    Ok(value)
}

#[async_trait::async_trait]
impl Store for SqliteStore {
    async fn submit(&self, referral: NewReferral) -> Result<Submitted, StoreError> {
        let settings = Arc::clone(&self.settings);
        self.write(move |conn, now| submit(conn, &settings, referral, now)).await
    }

    async fn count_spam(&self) -> Result<(), StoreError> {
        self.write(|conn, now| {
            let day = now.strftime("%Y-%m-%d").to_string();
            conn.prepare_cached(
                "INSERT INTO spam (day, count) VALUES (?1, 1) \
                 ON CONFLICT (day) DO UPDATE SET count = count + 1",
            )?
            .execute([day])?;
            Ok(())
        })
        .await
    }

    async fn spam_count(&self) -> Result<u64, StoreError> {
        self.read(|conn| {
            let total: i64 =
                conn.query_row("SELECT coalesce(sum(count), 0) FROM spam", [], |row| row.get(0))?;
            Ok(total as u64)
        })
        .await
    }

    async fn track(&self, token: &Token) -> Result<Option<Referral>, StoreError> {
        let token = token.clone();
        self.read(move |conn| {
            let sql = format!("SELECT {REFERRAL_COLUMNS} FROM referrals WHERE token_key = ?1");
            let found = conn
                .prepare_cached(&sql)?
                .query_row([token.lookup_key()], referral_from_row)
                .optional()?;
            match found {
                Some(referral)
                    if bool::from(referral.token.as_bytes().ct_eq(token.as_str().as_bytes())) =>
                {
                    Ok(Some(with_history(conn, referral)?))
                }
                _ => Ok(None),
            }
        })
        .await
    }

    async fn referral(&self, id: i64) -> Result<Referral, StoreError> {
        self.read(move |conn| load(conn, id)).await
    }

    async fn list(&self, filter: &Filter) -> Result<Vec<Referral>, StoreError> {
        let filter = filter.clone();
        self.read(move |conn| {
            let sql = format!(
                "SELECT {REFERRAL_COLUMNS} FROM referrals \
                 WHERE (?1 IS NULL OR partner_id = ?1) AND (?2 IS NULL OR status = ?2) \
                 ORDER BY submitted_at, id"
            );
            let mut query = conn.prepare(&sql)?;
            let status = filter.status.map(Status::as_str);
            let rows = query.query_map(params![filter.partner, status], referral_from_row)?;
            let referrals = rows.collect::<Result<Vec<_>, _>>()?;
            referrals.into_iter().map(|r| with_history(conn, r)).collect()
        })
        .await
    }

    async fn change_status(&self, id: i64, change: StatusChange) -> Result<Referral, StoreError> {
        let settings = Arc::clone(&self.settings);
        self.write(move |conn, now| change_status(conn, &settings, id, change, now)).await
    }

    async fn due_deliveries(
        &self,
        now: Timestamp,
        limit: usize,
    ) -> Result<Vec<Delivery>, StoreError> {
        self.read(move |conn| {
            let mut query = conn.prepare_cached(
                "SELECT id, referral_id, channel, event, status, created_at, attempts \
                 FROM outbox WHERE next_attempt_at <= ?1 ORDER BY next_attempt_at, id LIMIT ?2",
            )?;
            let rows = query.query_map(params![ms(now), limit as i64], |row| {
                Ok((
                    row.get::<_, i64>(0)?,
                    row.get::<_, i64>(1)?,
                    row.get::<_, String>(2)?,
                    row.get::<_, String>(3)?,
                    row.get::<_, String>(4)?,
                    row.get::<_, i64>(5)?,
                    row.get::<_, u32>(6)?,
                ))
            })?;
            let mut due = Vec::new();
            for row in rows {
                let (id, referral, channel, event, status, created_at, attempts) = row?;
                let Some(channel) = Channel::parse(&channel) else { continue };
                due.push(Delivery {
                    id,
                    channel,
                    event,
                    status: status_of(&status),
                    created_at: at(created_at),
                    attempts,
                    referral: load(conn, referral)?,
                });
            }
            Ok(due)
        })
        .await
    }

    async fn next_delivery_at(&self) -> Result<Option<Timestamp>, StoreError> {
        self.read(|conn| {
            let next: Option<i64> =
                conn.query_row("SELECT min(next_attempt_at) FROM outbox", [], |row| row.get(0))?;
            Ok(next.map(at))
        })
        .await
    }

    async fn record_attempt(&self, delivery: i64, attempt: Attempt) -> Result<(), StoreError> {
        self.write(move |conn, now| {
            let (outcome, detail, next, delivered) = match &attempt {
                Attempt::Delivered { detail } => ("delivered", detail, None, Some(ms(now))),
                Attempt::Failed { detail, retry_at: Some(retry) } => {
                    ("failed", detail, Some(ms(*retry)), None)
                }
                Attempt::Failed { detail, retry_at: None } => ("gave up", detail, None, None),
            };
            conn.prepare_cached(
                "UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ?2, \
                 delivered_at = ?3, last_error = CASE WHEN ?3 IS NULL THEN ?4 END WHERE id = ?1",
            )?
            .execute(params![delivery, next, delivered, detail])?;
            conn.prepare_cached(
                "INSERT INTO delivery_log (outbox_id, at, outcome, detail) VALUES (?1, ?2, ?3, ?4)",
            )?
            .execute(params![delivery, ms(now), outcome, detail])?;
            Ok(())
        })
        .await
    }

    async fn delivery_log(&self, referral: i64) -> Result<Vec<LoggedAttempt>, StoreError> {
        self.read(move |conn| {
            let mut query = conn.prepare_cached(
                "SELECT l.at, o.channel, o.event, l.outcome, l.detail FROM delivery_log l \
                 JOIN outbox o ON o.id = l.outbox_id WHERE o.referral_id = ?1 ORDER BY l.id",
            )?;
            let rows = query.query_map([referral], |row| {
                Ok(LoggedAttempt {
                    at: at(row.get(0)?),
                    channel: Channel::parse(&row.get::<_, String>(1)?).unwrap_or(Channel::Webhook),
                    event: row.get(2)?,
                    outcome: row.get(3)?,
                    detail: row.get(4)?,
                })
            })?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::queries::DUPLICATE_SQL;
    use super::*;
    use crate::intake::store::ReferralFields;

    #[test]
    fn duplicate_lookup_searches_indexes_instead_of_scanning() {
        let mut conn = Connection::open_in_memory().unwrap();
        schema::migrate(&mut conn, ":memory:").unwrap();
        let plan: Vec<String> = conn
            .prepare(&format!("EXPLAIN QUERY PLAN {DUPLICATE_SQL}"))
            .unwrap()
            .query_map(params!["a", 0, "x.example", "a@x.example"], |row| row.get(3))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert!(plan.iter().any(|step| step.contains("referrals_by_client_domain")), "{plan:?}");
        assert!(plan.iter().any(|step| step.contains("referrals_by_client_email")), "{plan:?}");
        assert!(!plan.iter().any(|step| step == "SCAN referrals"), "{plan:?}");
    }

    #[tokio::test]
    async fn status_changes_notify_the_webhook_but_do_not_email_the_team() {
        let dir = tempfile::TempDir::new().unwrap();
        let settings = StoreSettings {
            protection_window_hours: 24,
            channels: vec![Channel::Webhook, Channel::Email],
        };
        let store = SqliteStore::open(&dir.path().join("r.db"), settings).unwrap();
        let fields = ReferralFields {
            referrer_name: "Ana".into(),
            referrer_email: "ana@a.example".into(),
            client_org: "Acme".into(),
            client_domain: None,
            client_contact_name: "Jo".into(),
            client_contact_email: None,
            client_contact_phone: None,
            challenge: "x".into(),
            context: None,
            promises: None,
            involvement: "introduce".into(),
            client_consent: true,
        };
        let new = NewReferral {
            partner_id: "a".into(),
            fields,
            idempotency_key: None,
            token: Token::generate(),
        };
        let Submitted::Stored(receipt) = store.submit(new).await.unwrap() else { panic!() };
        let change = StatusChange {
            status: Status::Acknowledged,
            author: "Dana".into(),
            partner_note: None,
            internal_note: None,
            force: false,
        };
        store.change_status(receipt.id, change).await.unwrap();
        let due = store.due_deliveries(Timestamp::now(), 10).await.unwrap();
        let queued: Vec<(Channel, &str)> =
            due.iter().map(|d| (d.channel, d.event.as_str())).collect();
        assert_eq!(
            queued,
            [
                (Channel::Webhook, "referral.submitted"),
                (Channel::Email, "referral.submitted"),
                (Channel::Webhook, "referral.status_changed"),
            ]
        );
    }
}
