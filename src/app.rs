//! Starts the journal, runs recovery, starts the actors and the HTTP server; owns shutdown.
//!
//! Start-up order: open the journal → replay the ledger → make recovery repairs durable →
//! start lobby, bank, sessions and tables → bind HTTP.
//!
//! Shutdown (SIGINT/SIGTERM), each step with a timeout: stop accepting connections → every
//! table takes no new round and voids its running one, refunding every bet durably, then
//! closes its dealer consoles with 1001 (`TABLE_STOP_TIMEOUT`) → close player sockets with
//! 1001 and let the close frames go out (`SHUTDOWN_TIMEOUT_S`) → stop HTTP → the journal
//! writer drains and syncs its queue → exit.
//! After a crash, the next start voids and refunds a round that was still taking bets and
//! deals on a round that was dealing.

use std::sync::Arc;
use std::time::Instant;

use actix::prelude::*;
use actix_web::dev::AppConfig;
use actix_web::http::StatusCode;
use actix_web::middleware::ErrorHandlers;
use actix_web::{web, App};

use crate::actors::lobby::{LobbyActor, RegisterTable};
use crate::actors::sessions::{CloseAll, SessionsActor};
use crate::actors::table::{Shutdown, TableActor};
use crate::actors::wallet::BankActor;
use crate::clock::now_us;
use crate::config::{load_tables, Config, TableConfig, TlsFiles, TlsVersion};
use crate::journal::records::{self, RoundRecord, RoundStatus};
use crate::journal::replay::{plan_repairs, replay_ledger, Replayed};
use crate::journal::{journal_dir, Batch, Journal, Tree};
use crate::transport::admission::{self, Admission};
use crate::transport::auth::OperatorAuth;
use crate::transport::takeover::Upgrade;
use crate::transport::{routes, AppState};

/// Threads the tables are spread over (round-robin).
const TABLE_THREADS: usize = 2;
/// Time given to open connections when the server stops.
const SHUTDOWN_TIMEOUT_S: u64 = 5;
/// Time tables get to void and refund their running rounds at shutdown.
const TABLE_STOP_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// What a start found unfinished.
pub struct Recovered {
    pub journal: Journal,
    pub replayed: Replayed,
    /// Rounds voided (and refunded) because they were still taking bets.
    pub voided: Vec<RoundRecord>,
    /// Rounds that were dealing: their tables deal them on.
    pub dealing: Vec<RoundRecord>,
}

/// Opens the journal and brings it to a consistent state: replays the ledger and makes the
/// repairs for interrupted rounds durable.
///
/// # Errors
/// The journal cannot be opened, read or written.
pub async fn recover(config: &Config, tables: &[TableConfig]) -> Result<Recovered, Box<dyn std::error::Error>> {
    let started = Instant::now();
    let journal = Journal::open(
        &journal_dir(&config.data_dir),
        config.cache_capacity_bytes,
        config.limits.journal_queue_max,
    )?;
    let mut replayed = replay_ledger(&journal)?;
    // A dealing round continues only at a table still configured for the same game.
    let dealing_continues = |round: &RoundRecord| tables.iter().any(|t| t.id == round.table && t.game == round.game);
    let mut repairs = plan_repairs(&journal, &replayed, now_us(), dealing_continues)?;
    if !repairs.ledger.is_empty() || !repairs.rounds.is_empty() {
        tracing::warn!(
            ledger = repairs.ledger.len(),
            rounds = repairs.rounds.len(),
            "finishing rounds interrupted by the last stop"
        );
        let mut batch = Batch::new();
        for record in &repairs.ledger {
            batch.insert(
                Tree::Ledger,
                records::ledger_key(&record.player, &record.txid),
                records::encode(record),
            );
        }
        for round in &mut repairs.rounds {
            // A settling round's bets and payouts are stored already; a void one's may not be.
            let with_bets = round.status == RoundStatus::Void;
            round.put(&mut batch, with_bets);
        }
        journal.commit(batch).await?;
        replayed = replay_ledger(&journal)?;
    }
    let voided = repairs
        .rounds
        .into_iter()
        .filter(|r| r.status == RoundStatus::Void)
        .collect();
    let mut dealing = Vec::new();
    for round in RoundRecord::all(&journal) {
        let round = round?;
        if round.status == RoundStatus::Dealing {
            dealing.push(round);
        }
    }
    for problem in &replayed.problems {
        tracing::error!(problem = %problem, "journal inconsistency");
    }
    tracing::info!(
        ledger_records = replayed.ledger_records,
        players = replayed.wallets.len(),
        elapsed_ms = started.elapsed().as_millis() as u64,
        "journal recovered"
    );
    Ok(Recovered {
        journal,
        replayed,
        voided,
        dealing,
    })
}

/// One worker's HTTP service, over plain TCP or TLS (the io type differs, so the two
/// listeners cannot share one function). WebSocket handshakes go to the upgrade service,
/// which answers them with its own instance of the app and then keeps the connection
/// (see `transport::takeover`).
macro_rules! http_service {
    ($make_app:expr, $addr:expr, $write_timeout:expr) => {{
        let make_app = $make_app;
        let write_timeout = $write_timeout;
        actix_http::HttpService::build()
            .client_disconnect_timeout(std::time::Duration::from_secs(1))
            // Pushes are many small frames: Nagle would hold the second of two back-to-back
            // frames until the client's delayed ACK, adding up to 40 ms to acks and pushes.
            .tcp_nodelay(true)
            .local_addr($addr)
            .on_connect_ext(move |io: &_, _: &mut actix_http::Extensions| {
                set_write_timeout(io as &dyn std::any::Any, write_timeout)
            })
            .upgrade(Upgrade::new({
                let make_app = make_app.clone();
                move || actix_service::IntoServiceFactory::into_factory(make_app())
            }))
            .finish(actix_service::map_config(make_app(), |_| AppConfig::default()))
    }};
}

/// The listening socket (address reuse, as actix-web's own bind does).
fn listen_on(addr: std::net::SocketAddr) -> std::io::Result<std::net::TcpListener> {
    use socket2::{Domain, Protocol, Socket, Type};
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
    socket.set_reuse_address(true)?;
    socket.bind(&addr.into())?;
    socket.listen(1024)?;
    Ok(socket.into())
}

/// actix-http never gives up on a response it cannot flush: a client that stops reading
/// would hold its connection and the kernel's send buffer (megabytes) for as long as it
/// acknowledges window probes. TCP_USER_TIMEOUT has the kernel drop it instead.
fn set_write_timeout(conn: &dyn std::any::Any, timeout: std::time::Duration) {
    let Some(tcp) = crate::transport::takeover::tcp_stream(conn) else {
        return;
    };
    #[cfg(any(target_os = "linux", target_os = "android"))]
    if let Err(e) = socket2::SockRef::from(tcp).set_tcp_user_timeout(Some(timeout)) {
        tracing::warn!(error = %e, "could not set TCP_USER_TIMEOUT");
    }
}

/// The TLS server config from PEM files (HTTP/1.1 only: WebSockets upgrade over it),
/// speaking TLS 1.3 and, unless `min_version` is 1.3, TLS 1.2.
///
/// # Errors
/// Unreadable or invalid certificate or key.
fn tls_config(files: &TlsFiles) -> Result<rustls::ServerConfig, Box<dyn std::error::Error>> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let read = |what: &str, path: &std::path::Path, error: &dyn std::fmt::Display| {
        format!("TLS {what} {}: {error}", path.display())
    };
    let certs = CertificateDer::pem_file_iter(&files.cert_pem)
        .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
        .map_err(|e| read("certificate", &files.cert_pem, &e))?;
    let key = PrivateKeyDer::from_pem_file(&files.key_pem).map_err(|e| read("key", &files.key_pem, &e))?;
    let versions: &[&'static rustls::SupportedProtocolVersion] = match files.min_version {
        TlsVersion::Tls12 => &[&rustls::version::TLS13, &rustls::version::TLS12],
        TlsVersion::Tls13 => &[&rustls::version::TLS13],
    };
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(versions)?
        .with_no_client_auth()
        .with_single_cert(certs, key)?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}

/// Runs the server until it is stopped.
///
/// # Errors
/// Start-up failures: journal, tables, or binding the listen address.
pub async fn run(config: Config) -> Result<(), Box<dyn std::error::Error>> {
    let config = config.ready()?;
    let metrics = crate::telemetry::init_metrics();
    let tables = load_tables(&config.tables_dir)?;
    let recovered = recover(&config, &tables).await?;
    let journal = recovered.journal.clone();
    let actors = start_actors(&config, tables, recovered)?;
    let state = AppState {
        auth: Arc::new(OperatorAuth::new(config.operators.clone(), config.signature_window_s)),
        config: Arc::new(config.clone()),
        journal: journal.clone(),
        lobby: actors.lobby,
        bank: actors.bank,
        sessions: actors.sessions.clone(),
        metrics,
        admission: Admission::new(&config.limits),
    };
    forget_on_timers(&state);
    let admission = state.admission.clone();
    let server = http_server(&config, state)?.run();
    let handle = server.handle();
    actix_web::rt::spawn(async move {
        wait_for_signal().await;
        shut_down(handle, &actors.tables, actors.sessions, &admission).await;
    });
    server.await?;
    tracing::info!("HTTP server stopped; flushing the journal");
    drop(journal);
    Ok(())
}

/// The actors a server runs, as the shutdown sequence needs them.
struct Actors {
    lobby: Addr<LobbyActor>,
    bank: Addr<BankActor>,
    sessions: Addr<SessionsActor>,
    tables: Vec<Addr<TableActor>>,
}

/// Starts the lobby, the bank (wallets), the sessions and one actor per table, each table
/// carrying on what recovery found unfinished.
///
/// # Errors
/// A table's journal cannot be read.
fn start_actors(
    config: &Config,
    tables: Vec<TableConfig>,
    recovered: Recovered,
) -> Result<Actors, Box<dyn std::error::Error>> {
    let Recovered {
        journal,
        replayed,
        voided,
        dealing,
    } = recovered;
    let limits = &config.limits;
    let lobby = LobbyActor::default().start();
    // Wallets (created by the bank, on its thread) and tables each get threads of their own:
    // on the one system thread, every bet and every fan-out queued behind each other.
    let bank_state = BankActor::new(journal.clone(), replayed.wallets, limits.mailbox_max);
    let bank = BankActor::start_in_arbiter(&Arbiter::new().handle(), move |_| bank_state);
    let table_threads: Vec<ArbiterHandle> = (0..TABLE_THREADS).map(|_| Arbiter::new().handle()).collect();
    let sessions = SessionsActor::new(
        std::time::Duration::from_secs(limits.launch_token_ttl_s),
        std::time::Duration::from_secs(limits.session_ttl_s),
        limits.connections_per_player_max,
    )
    .start();
    let mut table_addrs = Vec::new();
    let count = tables.len();
    for (index, table) in tables.into_iter().enumerate() {
        let table = table.scaled(config.pacing_scale);
        let mut actor = TableActor::new(table.clone(), journal.clone(), lobby.clone(), limits.clone())?;
        actor.stagger(index, count);
        let voids = voided.iter().filter(|r| r.table == table.id).map(|r| r.round_id);
        actor.announce_voids(voids.collect());
        if let Some(round) = dealing.iter().find(|r| r.table == table.id) {
            actor.continue_dealing(round.clone(), bank.clone());
        }
        // Tables take turns over the table threads; sockets run on the HTTP workers.
        let thread = &table_threads[table_addrs.len() % table_threads.len()];
        let addr = TableActor::start_in_arbiter(thread, move |_| actor);
        table_addrs.push(addr.clone());
        lobby.do_send(RegisterTable { config: table, addr });
    }
    Ok(Actors {
        lobby,
        bank,
        sessions,
        tables: table_addrs,
    })
}

/// The HTTP server on `listen` (plain or TLS), and the metrics listener when configured.
/// Prints the line tests and scripts read to find the port.
///
/// # Errors
/// An address cannot be bound, or the TLS files cannot be read.
fn http_server(config: &Config, state: AppState) -> Result<actix_server::ServerBuilder, Box<dyn std::error::Error>> {
    let metrics_state = state.clone();
    let write_timeout = std::time::Duration::from_millis(config.limits.write_timeout_ms);
    let make_app = move || {
        App::new()
            .app_data(web::Data::new(state.clone()))
            .app_data(web::PayloadConfig::new(64 * 1024))
            .configure(routes::configure)
            .configure(crate::transport::web::configure)
            .default_service(web::to(routes::not_found))
            .wrap(ErrorHandlers::new().handler(StatusCode::METHOD_NOT_ALLOWED, routes::method_not_allowed))
    };
    let listener = listen_on(config.listen)?;
    let addr = listener.local_addr()?;
    let mut server = actix_server::Server::build()
        .shutdown_timeout(SHUTDOWN_TIMEOUT_S)
        .disable_signals();
    if let Some(metrics_addr) = config.metrics_listen {
        let metrics_listener = listen_on(metrics_addr)?;
        let bound = metrics_listener.local_addr()?;
        // Scripts read this line to find the port when it is 0.
        println!("croupier metrics on http://{bound}");
        server = server.listen("croupier-metrics", metrics_listener, move || {
            let state = metrics_state.clone();
            actix_http::HttpService::build()
                .finish(actix_service::map_config(metrics_only(state), |_| AppConfig::default()))
                .tcp()
        })?;
    }
    let (server, scheme) = match &config.tls {
        Some(files) => {
            let tls = tls_config(files)?;
            let server = server.listen("croupier", listener, move || {
                http_service!(make_app.clone(), addr, write_timeout).rustls_0_23(tls.clone())
            })?;
            (server, "https")
        }
        None => {
            let server = server.listen("croupier", listener, move || {
                http_service!(make_app.clone(), addr, write_timeout).tcp()
            })?;
            (server, "http")
        }
    };
    // Tests and scripts read this line to find the port when listening on port 0.
    println!("croupier listening on {scheme}://{addr}");
    tracing::info!(%addr, sandbox = config.sandbox, tls = config.tls.is_some(), "listening");
    Ok(server)
}

/// The shutdown sequence (see the module comment), each step with its timeout.
async fn shut_down(
    handle: actix_server::ServerHandle,
    tables: &[Addr<TableActor>],
    sessions: Addr<SessionsActor>,
    admission: &Admission,
) {
    tracing::info!("shutting down: voiding running rounds");
    handle.pause().await;
    let stops = tables.iter().map(|table| {
        let (done, stopped) = tokio::sync::oneshot::channel();
        table.do_send(Shutdown(done));
        stopped
    });
    if tokio::time::timeout(TABLE_STOP_TIMEOUT, futures_util::future::join_all(stops))
        .await
        .is_err()
    {
        tracing::warn!("some tables did not finish voiding in time; recovery will finish them");
    }
    let _ = sessions.send(CloseAll).await;
    // Sockets write their close frames on tasks of their own, which the HTTP server's
    // graceful stop does not wait for.
    let deadline = Instant::now() + std::time::Duration::from_secs(SHUTDOWN_TIMEOUT_S);
    while admission.open_connections() > 0 && Instant::now() < deadline {
        actix_web::rt::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    handle.stop(true).await;
}

/// The app of the metrics listener: `/metrics` without authentication, nothing else.
fn metrics_only(
    state: AppState,
) -> App<
    impl actix_web::dev::ServiceFactory<
        actix_web::dev::ServiceRequest,
        Config = (),
        Response = actix_web::dev::ServiceResponse,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    App::new()
        .app_data(web::Data::new(state))
        .service(
            web::resource("/metrics")
                .route(web::get().to(|state: web::Data<AppState>| async move { routes::metrics_text(&state) })),
        )
        .default_service(web::to(routes::not_found))
}

/// What the limits remember is forgotten on timers, never on a request's path: idle
/// per-address rates, and operator nonces too old to pass the signature window.
fn forget_on_timers(state: &AppState) {
    let admission = state.admission.clone();
    actix_web::rt::spawn(async move {
        let mut every = tokio::time::interval(admission::PRUNE_INTERVAL);
        loop {
            every.tick().await;
            admission.prune();
        }
    });
    let auth = state.auth.clone();
    actix_web::rt::spawn(async move {
        let mut every = tokio::time::interval(auth.rotation_interval());
        every.tick().await;
        loop {
            every.tick().await;
            auth.rotate();
        }
    });
}

async fn wait_for_signal() {
    let mut terminate = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
        Ok(signal) => signal,
        Err(error) => {
            tracing::error!(error = %error, "cannot listen for SIGTERM");
            let _ = tokio::signal::ctrl_c().await;
            return;
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = terminate.recv() => {}
    }
}
