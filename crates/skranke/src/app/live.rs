//! Live boards: every change to a centre's queues leads to one fresh board, computed once and
//! handed to every lobby screen and desk page listening (server-sent events).
//!
//! - With SQLite (one instance) a change pokes the hub directly.
//! - With PostgreSQL (many instances) a change is announced with `NOTIFY skranke_board` by
//!   triggers on `visits` and `desks`, inside the changing transaction (delivered on commit), and
//!   every instance's listener (this one's too) pokes its own hub, so two `skranke serve`
//!   processes on one database show the same lobby.
//!
//! A feed holds only the latest board (`tokio::sync::watch`): a slow client skips to the newest
//! one instead of queueing old ones, and a client that connects or reconnects gets the current
//! board at once, so it catches up without a reload. Boards are also refreshed every
//! [`REFRESH`], which makes waiting times tick and covers a missed notification.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use skranke_core::ids::CentreId;
use tokio::sync::{Notify, watch};

use super::App;
use super::queue::Board;
use crate::store::AnyStore;

/// The PostgreSQL channel boards are announced on; the payload is the centre id.
pub const CHANNEL: &str = "skranke_board";
/// How often a watched board is recomputed without a change.
pub const REFRESH: Duration = Duration::from_secs(20);

/// The latest board of a centre, for one listener.
pub type BoardReceiver = watch::Receiver<Option<Arc<Board>>>;

#[derive(Debug)]
pub struct Hub {
    feeds: Mutex<HashMap<CentreId, Arc<Feed>>>,
    seq: AtomicU64,
    /// Set when the server shuts down: live streams end.
    closing: watch::Sender<bool>,
}

impl Default for Hub {
    fn default() -> Self {
        Self { feeds: Mutex::default(), seq: AtomicU64::new(0), closing: watch::Sender::new(false) }
    }
}

#[derive(Debug)]
struct Feed {
    tx: watch::Sender<Option<Arc<Board>>>,
    poke: Notify,
}

impl Hub {
    fn feeds(&self) -> std::sync::MutexGuard<'_, HashMap<CentreId, Arc<Feed>>> {
        // A panic while holding this lock leaves the map intact; keep serving.
        self.feeds.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The feed of `centre` and a receiver on it; `true` when the feed is new (start its task).
    fn subscribe(&self, centre: CentreId) -> (Arc<Feed>, BoardReceiver, bool) {
        let mut feeds = self.feeds();
        if let Some(feed) = feeds.get(&centre) {
            return (feed.clone(), feed.tx.subscribe(), false);
        }
        let (tx, rx) = watch::channel(None);
        let feed = Arc::new(Feed { tx, poke: Notify::new() });
        feeds.insert(centre, feed.clone());
        (feed, rx, true)
    }

    /// Marks the centre's board as out of date (a no-op when nobody watches it).
    pub fn poke(&self, centre: CentreId) {
        if let Some(feed) = self.feeds().get(&centre) {
            feed.poke.notify_one();
        }
    }

    /// Marks every watched board as out of date (after a lost database connection).
    pub fn poke_all(&self) {
        for feed in self.feeds().values() {
            feed.poke.notify_one();
        }
    }

    /// Drops the feed if nobody listens any more; `false` when someone subscribed meanwhile.
    fn retire(&self, centre: CentreId) -> bool {
        let mut feeds = self.feeds();
        match feeds.get(&centre) {
            Some(feed) if feed.tx.receiver_count() > 0 => false,
            _ => {
                feeds.remove(&centre);
                true
            }
        }
    }

    /// Ends every live stream (server shutdown).
    pub fn close(&self) {
        self.closing.send_replace(true);
    }

    /// Resolves when the server shuts down.
    pub fn closed(&self) -> impl std::future::Future<Output = ()> + Send + use<> {
        let mut rx = self.closing.subscribe();
        async move {
            let _ = rx.wait_for(|c| *c).await;
        }
    }

    /// How many centres are watched now (for metrics and tests).
    pub fn watched(&self) -> usize {
        self.feeds().len()
    }
}

impl App {
    /// Tells this instance's hub that visits or desks of `centres` changed; called after the
    /// change committed. On PostgreSQL the database's triggers have announced it to every
    /// instance already (schema v7), this one included, so there is nothing to send.
    pub(crate) async fn queue_changed(&self, centres: &[CentreId]) {
        if let AnyStore::Sqlite(_) = &self.store {
            for &centre in centres {
                self.live.poke(centre);
            }
        }
    }

    /// Tells every instance that what shapes the boards of `centres` changed other than visits
    /// and desks (the call order): no trigger announces that.
    pub(crate) async fn queue_rules_changed(&self, centres: &[CentreId]) {
        for &centre in centres {
            match &self.store {
                AnyStore::Postgres(pg) => {
                    let sent = sqlx::query("SELECT pg_notify($1, $2)")
                        .bind(CHANNEL)
                        .bind(centre.as_uuid().to_string())
                        .execute(pg.pool())
                        .await;
                    if let Err(e) = sent {
                        // Other instances catch up at their next refresh; this one at once.
                        tracing::warn!(error = %e, "could not announce a queue change");
                        self.live.poke(centre);
                    }
                }
                AnyStore::Sqlite(_) => self.live.poke(centre),
            }
        }
    }

    /// The live board of `centre`: the receiver holds the current board as soon as it is computed,
    /// then each newer one.
    pub fn watch_board(&self, centre: CentreId) -> BoardReceiver {
        let (feed, rx, new) = self.live.subscribe(centre);
        if new {
            tokio::spawn(self.clone().run_feed(centre, feed));
        }
        rx
    }

    async fn run_feed(self, centre: CentreId, feed: Arc<Feed>) {
        loop {
            match self.compute_board(centre).await {
                Ok(mut board) => {
                    board.seq = self.live.seq.fetch_add(1, Ordering::Relaxed) + 1;
                    feed.tx.send_replace(Some(Arc::new(board)));
                }
                Err(e) => tracing::warn!(error = %e, "could not compute a board"),
            }
            tokio::select! {
                () = feed.poke.notified() => {}
                () = tokio::time::sleep(REFRESH) => {}
                () = feed.tx.closed() => {
                    if self.live.retire(centre) {
                        return;
                    }
                }
            }
        }
    }
}

/// Listens for board announcements from every instance on the database and pokes this hub.
/// Runs until the process ends; reconnects after a lost connection and then refreshes every
/// watched board, since announcements made meanwhile are lost.
pub async fn listen_postgres(app: App) {
    let AnyStore::Postgres(pg) = &app.store else { return };
    loop {
        let mut listener = match sqlx::postgres::PgListener::connect_with(pg.pool()).await {
            Ok(l) => l,
            Err(e) => {
                tracing::warn!(error = %e, "board listener cannot connect; retrying");
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        if let Err(e) = listener.listen(CHANNEL).await {
            tracing::warn!(error = %e, "board listener cannot listen; retrying");
            tokio::time::sleep(Duration::from_secs(1)).await;
            continue;
        }
        app.live.poke_all();
        loop {
            match listener.try_recv().await {
                Ok(Some(n)) => match n.payload().parse::<uuid::Uuid>() {
                    Ok(id) => app.live.poke(CentreId::from_uuid(id)),
                    Err(_) => tracing::warn!("board announcement with a malformed payload"),
                },
                // The connection was lost and will be re-made: what was announced meanwhile is gone.
                Ok(None) => app.live.poke_all(),
                Err(e) => {
                    tracing::warn!(error = %e, "board listener failed; reconnecting");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    break;
                }
            }
        }
    }
}
