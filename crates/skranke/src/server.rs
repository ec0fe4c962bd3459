//! Starting the server: bind, migrate, spawn the outbox worker, serve until shutdown.

use std::net::SocketAddr;

use anyhow::Context as _;
use std::sync::Arc;

use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::app::{App, AppSettings};
use crate::clock::Clock;
use crate::http::{AppState, Metrics, router};
use crate::mail::{Worker, WorkerSettings};
use crate::store::{AnyStore, Store};

/// A running server; dropping it does not stop it, `shutdown()` does.
#[derive(Debug)]
pub struct Running {
    pub addr: SocketAddr,
    pub app: App,
    stop: watch::Sender<bool>,
    server: JoinHandle<std::io::Result<()>>,
    worker: JoinHandle<()>,
    /// PostgreSQL only: the listener for other instances' board announcements.
    board_listener: Option<JoinHandle<()>>,
}

impl Running {
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops accepting, finishes in-flight requests, stops the worker.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        let _ = self.server.await;
        let _ = self.worker.await;
        if let Some(l) = self.board_listener {
            l.abort();
        }
    }

    /// Waits until the server ends (it ends on shutdown or on Ctrl-C / SIGTERM).
    pub async fn wait(self) -> std::io::Result<()> {
        let result = match self.server.await {
            Ok(r) => r,
            Err(e) => Err(std::io::Error::other(e)),
        };
        let _ = self.stop.send(true);
        let _ = self.worker.await;
        if let Some(l) = self.board_listener {
            l.abort();
        }
        result
    }
}

/// Migrates the store, binds `listen` (port 0 picks a free port) and starts serving.
pub async fn start(
    listen: &str,
    store: AnyStore,
    clock: Arc<dyn Clock>,
    mut settings: AppSettings,
    demo: bool,
    worker: WorkerSettings,
) -> anyhow::Result<Running> {
    store.migrate().await?;
    let listener = TcpListener::bind(listen).await.with_context(|| format!("cannot listen on {listen:?}"))?;
    let addr = listener.local_addr()?;
    if settings.public_url.is_empty() {
        settings.public_url = format!("http://{addr}");
    }
    let app = App::new(store, clock, settings);
    let state = AppState { app: app.clone(), metrics: Arc::new(Metrics::default()), demo };
    let (stop, stop_rx) = watch::channel(false);
    let worker = tokio::spawn(Worker::new(app.clone(), worker).run(stop_rx.clone()));
    let board_listener = matches!(app.store, AnyStore::Postgres(_))
        .then(|| tokio::spawn(crate::app::live::listen_postgres(app.clone())));
    let mut server_stop = stop_rx;
    let live = app.live.clone();
    let server = tokio::spawn(async move {
        axum::serve(listener, router(state).into_make_service_with_connect_info::<std::net::SocketAddr>())
            .with_graceful_shutdown(async move {
                tokio::select! {
                    _ = server_stop.wait_for(|v| *v) => {}
                    _ = shutdown_signal() => {}
                }
                // Live streams never end by themselves; end them so the shutdown can finish.
                live.close();
            })
            .await
    });
    Ok(Running { addr, app, stop, server, worker, board_listener })
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(s) => s,
            Err(_) => return std::future::pending().await,
        };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
}
