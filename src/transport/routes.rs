//! REST endpoints and the WebSocket upgrades. Operator endpoints are HMAC-signed.

// Helpers return the ready error response as their `Err`, which handlers pass on with `?`;
// it is built once per refused request, so its size does not matter.
#![allow(clippy::result_large_err)]

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use actix::prelude::*;
use actix_web::dev::ServiceResponse;
use actix_web::http::{header, StatusCode};
use actix_web::middleware::ErrorHandlerResponse;
use actix_web::{web, HttpRequest, HttpResponse, ResponseError};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::actors::messages::{Caller, Credit, FindTable, GetBalances, GetLobby, GetWallet, WatchBalance};
use crate::actors::outbound::Outbound;
use crate::actors::sessions::{CreateSession, OpenSocket, Opened, Peek, Revoke};
use crate::actors::wallet::{WalletActor, WalletError};
use crate::clock::now_us;
use crate::domain::fair::{self, ServerSeed};
use crate::domain::ids::{PlayerId, RoundId, TableId};
use crate::domain::money::{Amount, Currency};
use crate::journal::records::{self, LedgerRecord, RoundRecord, ShoeRecord, TxKind};
use crate::journal::{replay, txid};
use crate::transport::admission::Refusal;
use crate::transport::auth::{AuthError, Signed};
use crate::transport::dealer::DealerSocket;
use crate::transport::player::PlayerSocket;
use crate::transport::socket::TokenBucket;
use crate::transport::takeover::{self, SocketLimits};
use crate::transport::AppState;
use crate::wire::message::{Money, ServerMsg, Welcome};

/// Largest deposit one request may make, in minor units (a sandbox sanity bound).
const DEPOSIT_MAX: i64 = 1_000_000_000_000;
/// The subprotocol a player client offers to say it speaks this protocol; the 101 names it.
const PROTOCOL: &str = "croupier.v1";
/// The subprotocol that carries a player's token, offered beside `PROTOCOL`
/// (`Sec-WebSocket-Protocol: croupier.v1, croupier.token.<token>`): a header, so that
/// proxies that log URLs never see a token.
const TOKEN_PROTOCOL_PREFIX: &str = "croupier.token.";
/// Ledger entries returned by the history endpoint.
const HISTORY_LIMIT: usize = 500;
/// Largest page of the ledger export.
const EXPORT_PAGE_MAX: usize = 1000;

/// Every path is one resource: a request with a method the path does not serve is answered
/// `405` with an `Allow` header (a route registered directly answers it `404`).
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/healthz").route(web::get().to(healthz)))
        .service(web::resource("/metrics").route(web::get().to(metrics)))
        .service(web::resource("/v1/openapi.json").route(web::get().to(openapi)))
        .service(web::resource("/v1/asyncapi.json").route(web::get().to(asyncapi)))
        .service(web::resource("/v1/lobby").route(web::get().to(lobby)))
        .service(web::resource("/v1/sessions").route(web::post().to(create_session)))
        .service(web::resource("/v1/sessions/{session_id}").route(web::delete().to(revoke_session)))
        .service(web::resource("/v1/players/{player_id}/sessions").route(web::delete().to(revoke_player)))
        .service(web::resource("/v1/players/{player_id}/balance").route(web::get().to(player_balance)))
        .service(web::resource("/v1/players/{player_id}/history").route(web::get().to(player_history)))
        .service(web::resource("/v1/ledger/summary").route(web::get().to(ledger_summary)))
        .service(web::resource("/v1/ledger/export").route(web::get().to(ledger_export)))
        .service(web::resource("/v1/sandbox/deposit").route(web::post().to(sandbox_deposit)))
        .service(web::resource("/v1/sandbox/launch").route(web::post().to(sandbox_launch)))
        .service(web::resource("/v1/rounds/{round_id}").route(web::get().to(round)))
        .service(web::resource("/v1/rounds/{round_id}/verify").route(web::get().to(verify_round)))
        .service(web::resource("/v1/balance").route(web::get().to(my_balance)))
        .service(web::resource("/v1/play").route(web::get().to(play)))
        .service(web::resource("/v1/deal").route(web::get().to(deal)));
}

/// Unknown paths: the REST error body instead of an empty 404.
pub async fn not_found() -> HttpResponse {
    error(StatusCode::NOT_FOUND, "not_found", "no such path")
}

/// A path served with other methods: the REST error body, keeping the `Allow` header actix
/// sets from the path's routes.
pub fn method_not_allowed<B>(res: ServiceResponse<B>) -> actix_web::Result<ErrorHandlerResponse<B>> {
    let (req, res) = res.into_parts();
    let mut answer = error(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        format!("{} is not served on this path", req.method()),
    );
    if let Some(allow) = res.headers().get(header::ALLOW) {
        answer.headers_mut().insert(header::ALLOW, allow.clone());
    }
    Ok(ErrorHandlerResponse::Response(
        ServiceResponse::new(req, answer).map_into_right_body(),
    ))
}

/// A REST error: `{"code", "message"}` with the right status.
pub fn error(status: StatusCode, code: &str, message: impl Into<String>) -> HttpResponse {
    HttpResponse::build(status).json(json!({"code": code, "message": message.into()}))
}

fn internal() -> HttpResponse {
    error(StatusCode::INTERNAL_SERVER_ERROR, "internal", "internal error")
}

fn unix_now_s() -> u64 {
    (now_us() / 1_000_000) as u64
}

fn header<'a>(req: &'a HttpRequest, name: &str) -> Option<&'a str> {
    req.headers().get(name).and_then(|v| v.to_str().ok())
}

/// Checks the operator signature of a request.
fn operator(req: &HttpRequest, body: &[u8], state: &AppState) -> Result<String, HttpResponse> {
    let path_and_query = req.uri().path_and_query().map_or(req.path(), |p| p.as_str());
    let signed = Signed {
        key_id: header(req, "x-croupier-key"),
        timestamp: header(req, "x-croupier-timestamp"),
        nonce: header(req, "x-croupier-nonce"),
        signature: header(req, "x-croupier-signature"),
        method: req.method().as_str(),
        path_and_query,
        body,
    };
    state.auth.verify(&signed, unix_now_s()).map_err(|e| {
        if e == AuthError::Busy {
            tracing::warn!(key = signed.key_id, "operator key at its nonce limit");
            return error(StatusCode::SERVICE_UNAVAILABLE, "busy", "too many requests; retry");
        }
        if let Some(left_out) = crate::telemetry::auth_failed("operator") {
            let address = peer(req);
            tracing::warn!(reason = %e, path = req.path(), %address, left_out, "operator request refused");
        }
        // One answer whichever check failed: no oracle for key ids, clocks or nonces.
        error(StatusCode::UNAUTHORIZED, "unauthorized", "request not authenticated")
    })
}

/// The client's address (the TCP peer's; a proxy's when behind one).
fn peer(req: &HttpRequest) -> IpAddr {
    req.peer_addr()
        .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |addr| addr.ip())
}

fn refused(refusal: Refusal, message: &str) -> HttpResponse {
    let status = StatusCode::from_u16(refusal.status()).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
    error(status, refusal.code(), message)
}

fn socket_limits(state: &AppState) -> SocketLimits {
    SocketLimits {
        frame_bytes_max: state.config.limits.frame_bytes_max,
        closing_timeout: Duration::from_millis(state.config.limits.closing_timeout_ms),
    }
}

/// A JSON request body. The Content-Type must say so: a cross-site form or `text/plain`
/// post (which a browser sends without a CORS check) is refused before anything happens.
fn parse_body<T: serde::de::DeserializeOwned>(req: &HttpRequest, body: &[u8]) -> Result<T, HttpResponse> {
    let json = header(req, "content-type")
        .and_then(|value| value.split(';').next())
        .is_some_and(|mime| mime.trim().eq_ignore_ascii_case("application/json"));
    if !json {
        return Err(error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "the body must be sent as Content-Type: application/json",
        ));
    }
    serde_json::from_slice(body).map_err(|e| error(StatusCode::BAD_REQUEST, "bad_request", e.to_string()))
}

fn parse_player(text: &str) -> Result<PlayerId, HttpResponse> {
    PlayerId::parse(text).map_err(|e| error(StatusCode::BAD_REQUEST, "bad_request", e.to_string()))
}

async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({"status": "ok"}))
}

/// Prometheus text; on the main listener only for a signed operator request (the metrics
/// listener, when configured, serves it without: see `metrics_only`).
async fn metrics(state: web::Data<AppState>, req: HttpRequest) -> HttpResponse {
    if let Err(response) = operator(&req, b"", &state) {
        return response;
    }
    metrics_text(&state)
}

pub fn metrics_text(state: &AppState) -> HttpResponse {
    let text = state.metrics.as_ref().map(|h| h.render()).unwrap_or_default();
    HttpResponse::Ok().content_type("text/plain; version=0.0.4").body(text)
}

async fn openapi() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(include_str!("../../docs/openapi.json"))
}

/// The WebSocket protocol, generated from the wire types (`crate::wire::asyncapi`).
async fn asyncapi() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(include_str!("../../docs/asyncapi.json"))
}

async fn lobby(state: web::Data<AppState>) -> HttpResponse {
    match state.lobby.send(GetLobby).await {
        Ok(tables) => HttpResponse::Ok().json(json!({"tables": tables})),
        Err(_) => internal(),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SessionRequest {
    player_id: PlayerId,
    currency: Currency,
    language: Option<String>,
}

/// A session plays in one currency: one that no table could take a bet in is refused.
async fn accepted_currency(state: &AppState, currency: Currency) -> Result<(), HttpResponse> {
    let Ok(accepted) = state.lobby.send(crate::actors::messages::GetCurrencies).await else {
        return Err(internal());
    };
    if accepted.contains(&currency) {
        return Ok(());
    }
    let names: Vec<&str> = accepted.iter().map(Currency::as_str).collect();
    let taken = if names.is_empty() {
        "the server has no tables".to_owned()
    } else {
        format!("the tables take {}", names.join(", "))
    };
    let message = format!("no table takes {currency}; {taken}");
    Err(error(StatusCode::BAD_REQUEST, "unsupported_currency", message))
}

async fn launch(state: &AppState, req: &HttpRequest, request: SessionRequest) -> HttpResponse {
    let language = request.language.unwrap_or_else(|| "en".into());
    if language.len() > 16 || !language.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
        return error(
            StatusCode::BAD_REQUEST,
            "bad_request",
            "language must be a BCP 47 tag like en or pt-BR",
        );
    }
    if let Err(response) = accepted_currency(state, request.currency).await {
        return response;
    }
    let player = request.player_id.clone();
    match state
        .sessions
        .send(CreateSession {
            player: request.player_id,
            currency: request.currency,
            language,
        })
        .await
    {
        Ok(Ok(grant)) => {
            // Behind a TLS-terminating proxy the forwarded scheme says https; served over our
            // own TLS, the config does (the app is not told which listener a request came on).
            let scheme = if state.config.tls.is_some() || req.connection_info().scheme() == "https" {
                "wss"
            } else {
                "ws"
            };
            let ws_url = format!(
                "{scheme}://{}/v1/play?token={}",
                req.connection_info().host(),
                grant.token
            );
            tracing::info!(player = %player, session = %grant.session_id, "session launched");
            HttpResponse::Created().json(json!({
                "token": grant.token,
                "session_id": grant.session_id,
                "expires_at": grant.expires_at,
                "ws_url": ws_url,
            }))
        }
        Ok(Err(code)) => error(StatusCode::SERVICE_UNAVAILABLE, code, "too many sessions"),
        Err(_) => internal(),
    }
}

async fn create_session(state: web::Data<AppState>, req: HttpRequest, body: web::Bytes) -> HttpResponse {
    if let Err(response) = operator(&req, &body, &state) {
        return response;
    }
    match parse_body::<SessionRequest>(&req, &body) {
        Ok(request) => launch(&state, &req, request).await,
        Err(response) => response,
    }
}

/// Sandbox welcome credit in major units (mock money, once per player and currency).
const SANDBOX_WELCOME_MAJOR: i64 = 1000;

/// Sandbox only: a launch token without an operator signature, for the bundled web client,
/// with a one-time mock welcome credit so a new player can bet at once.
async fn sandbox_launch(state: web::Data<AppState>, req: HttpRequest, body: web::Bytes) -> HttpResponse {
    if !state.config.sandbox {
        return error(StatusCode::NOT_FOUND, "not_found", "sandbox is off");
    }
    let request = match parse_body::<SessionRequest>(&req, &body) {
        Ok(request) => request,
        Err(response) => return response,
    };
    if let Err(refusal) = state.admission.sandbox_launch(peer(&req)) {
        return refused(refusal, "too many sandbox launches from this address; wait a minute");
    }
    // Before any welcome credit: a currency no table takes gets none.
    if let Err(response) = accepted_currency(&state, request.currency).await {
        return response;
    }
    // One welcome per player and currency: the txid makes repeats harmless.
    let txid = txid::sandbox_welcome(request.currency);
    let welcomed = match replay::ledger_record(&state.journal, &request.player_id, &txid) {
        Ok(welcomed) => welcomed.is_some(),
        Err(_) => return internal(),
    };
    if !welcomed {
        // A new player's welcome credit grows the journal: their number per minute is capped.
        if let Err(refusal) = state.admission.sandbox_new_player() {
            return refused(refusal, "too many new sandbox players; wait a minute");
        }
        let amount = SANDBOX_WELCOME_MAJOR * 10i64.pow(request.currency.minor_digits());
        match deposit(&state, &request.player_id, request.currency, amount, txid).await {
            Ok(_) => {}
            Err(e) if e.code() == "busy" => return error(StatusCode::SERVICE_UNAVAILABLE, "busy", e.to_string()),
            Err(WalletError::Internal) => return internal(),
            // Welcomed meanwhile by a launch beside this one.
            Err(_) => {}
        }
    }
    launch(&state, &req, request).await
}

async fn revoke_session(state: web::Data<AppState>, req: HttpRequest, path: web::Path<String>) -> HttpResponse {
    if let Err(response) = operator(&req, b"", &state) {
        return response;
    }
    match state.sessions.send(Revoke::Session(path.into_inner())).await {
        Ok(0) => error(StatusCode::NOT_FOUND, "not_found", "no such session"),
        Ok(n) => HttpResponse::Ok().json(json!({"revoked": n})),
        Err(_) => internal(),
    }
}

async fn revoke_player(state: web::Data<AppState>, req: HttpRequest, path: web::Path<String>) -> HttpResponse {
    if let Err(response) = operator(&req, b"", &state) {
        return response;
    }
    let player = match parse_player(&path) {
        Ok(player) => player,
        Err(response) => return response,
    };
    match state.sessions.send(Revoke::Player(player)).await {
        Ok(n) => HttpResponse::Ok().json(json!({"revoked": n})),
        Err(_) => internal(),
    }
}

async fn balances_of(state: &AppState, player: &PlayerId) -> Option<std::collections::BTreeMap<Currency, Amount>> {
    let wallet = state.bank.send(GetWallet(player.clone())).await.ok()?;
    wallet.send(GetBalances).await.ok()
}

async fn player_balance(state: web::Data<AppState>, req: HttpRequest, path: web::Path<String>) -> HttpResponse {
    if let Err(response) = operator(&req, b"", &state) {
        return response;
    }
    let player = match parse_player(&path) {
        Ok(player) => player,
        Err(response) => return response,
    };
    match balances_of(&state, &player).await {
        Some(balances) => HttpResponse::Ok().json(json!({"player_id": player, "balances": balances})),
        None => internal(),
    }
}

async fn player_history(state: web::Data<AppState>, req: HttpRequest, path: web::Path<String>) -> HttpResponse {
    if let Err(response) = operator(&req, b"", &state) {
        return response;
    }
    let player = match parse_player(&path) {
        Ok(player) => player,
        Err(response) => return response,
    };
    let journal = state.journal.clone();
    let history =
        web::block(move || replay::player_history(&journal, &player, HISTORY_LIMIT).map(|h| (player, h))).await;
    match history {
        Ok(Ok((player, history))) => HttpResponse::Ok().json(json!({"player_id": player, "transactions": history})),
        _ => internal(),
    }
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct ExportQuery {
    /// `next` of the previous page.
    after: Option<String>,
    limit: Option<usize>,
}

/// Every money movement (txid, player, session, kind, amount, round, bet, time), a page at
/// a time, for the operator's audit.
async fn ledger_export(state: web::Data<AppState>, req: HttpRequest) -> HttpResponse {
    if let Err(response) = operator(&req, b"", &state) {
        return response;
    }
    let query = match web::Query::<ExportQuery>::from_query(req.query_string()) {
        Ok(query) => query.into_inner(),
        Err(e) => return error(StatusCode::BAD_REQUEST, "bad_request", e.to_string()),
    };
    let limit = query.limit.unwrap_or(EXPORT_PAGE_MAX);
    if !(1..=EXPORT_PAGE_MAX).contains(&limit) {
        return error(
            StatusCode::BAD_REQUEST,
            "bad_request",
            format!("limit must be 1..={EXPORT_PAGE_MAX}"),
        );
    }
    let after = match query.after.as_deref().map(hex::decode).transpose() {
        Ok(after) => after,
        Err(_) => return error(StatusCode::BAD_REQUEST, "bad_request", "after must be a `next` value"),
    };
    let journal = state.journal.clone();
    match web::block(move || replay::ledger_page(&journal, after.as_deref(), limit)).await {
        Ok(Ok((records, next))) => HttpResponse::Ok().json(json!({"records": records, "next": next.map(hex::encode)})),
        _ => internal(),
    }
}

async fn ledger_summary(state: web::Data<AppState>, req: HttpRequest) -> HttpResponse {
    if let Err(response) = operator(&req, b"", &state) {
        return response;
    }
    let journal = state.journal.clone();
    match web::block(move || replay::replay_ledger(&journal)).await {
        Ok(Ok(replayed)) => {
            let conserved = replayed.summary.values().all(|s| s.conserved());
            let currencies: HashMap<String, Value> = replayed
                .summary
                .iter()
                .map(|(c, s)| (c.to_string(), json!({"deposits": s.deposits, "withdrawals": s.withdrawals, "player_balances": s.player_balances, "house_result": s.house_result, "conserved": s.conserved()})))
                .collect();
            HttpResponse::Ok().json(
                json!({"currencies": currencies, "conserved": conserved, "transactions": replayed.ledger_records}),
            )
        }
        _ => internal(),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DepositRequest {
    player_id: PlayerId,
    currency: Currency,
    amount: Value,
    /// Makes a retried deposit harmless; generated when absent.
    tx_id: Option<String>,
}

async fn sandbox_deposit(state: web::Data<AppState>, req: HttpRequest, body: web::Bytes) -> HttpResponse {
    if !state.config.sandbox {
        return error(StatusCode::NOT_FOUND, "not_found", "sandbox is off");
    }
    if let Err(response) = operator(&req, &body, &state) {
        return response;
    }
    let request: DepositRequest = match parse_body(&req, &body) {
        Ok(request) => request,
        Err(response) => return response,
    };
    let amount = match request.amount.as_i64() {
        Some(amount) if amount > 0 && amount <= DEPOSIT_MAX => amount,
        _ => {
            return error(
                StatusCode::BAD_REQUEST,
                "bad_amount",
                format!("amount must be a whole number of minor units, 1..={DEPOSIT_MAX}"),
            )
        }
    };
    let tx_id = match request.tx_id {
        Some(id)
            if !id.is_empty()
                && id.len() <= 64
                && id.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b)) =>
        {
            id
        }
        Some(_) => {
            return error(
                StatusCode::BAD_REQUEST,
                "bad_request",
                "tx_id must be 1-64 characters of [A-Za-z0-9-_.:]",
            )
        }
        None => {
            let mut bytes = [0u8; 16];
            if getrandom::fill(&mut bytes).is_err() {
                return internal();
            }
            hex::encode(bytes)
        }
    };
    match deposit(
        &state,
        &request.player_id,
        request.currency,
        amount,
        txid::deposit(&tx_id),
    )
    .await
    {
        Ok(balance) => HttpResponse::Ok().json(json!({
            "player_id": request.player_id, "currency": request.currency, "balance": balance, "tx_id": tx_id,
        })),
        Err(WalletError::Internal) => internal(),
        Err(e) => {
            let status = if e.code() == "busy" {
                StatusCode::SERVICE_UNAVAILABLE
            } else {
                StatusCode::CONFLICT
            };
            error(status, e.code(), e.to_string())
        }
    }
}

/// Credits mock money (sandbox) durably; idempotent by `txid`.
async fn deposit(
    state: &AppState,
    player: &PlayerId,
    currency: Currency,
    amount: i64,
    txid: String,
) -> Result<Amount, WalletError> {
    let record = LedgerRecord {
        v: records::RECORD_VERSION,
        txid,
        player: player.clone(),
        currency,
        kind: TxKind::Deposit,
        amount: Amount(amount),
        table: None,
        round_id: None,
        bet_id: None,
        spot: None,
        session_id: None,
        ts_us: now_us(),
    };
    let wallet = state
        .bank
        .send(GetWallet(player.clone()))
        .await
        .map_err(|_| WalletError::Internal)?;
    wallet.send(Credit(record)).await.map_err(|_| WalletError::Internal)?
}

fn load_round(state: &AppState, text: &str) -> Result<(RoundRecord, Option<ShoeRecord>), HttpResponse> {
    let round_id = text
        .parse::<u64>()
        .map(RoundId)
        .map_err(|_| error(StatusCode::BAD_REQUEST, "bad_request", "round id must be a number"))?;
    let record = RoundRecord::get(&state.journal, round_id).map_err(|_| internal())?;
    let record = record.ok_or_else(|| error(StatusCode::NOT_FOUND, "unknown_round", "no such round"))?;
    let shoe = match record.shoe_nonce {
        Some(nonce) => ShoeRecord::get(&state.journal, &record.table, nonce).map_err(|_| internal())?,
        None => None,
    };
    Ok((record, shoe))
}

/// Anyone may read a round to verify it; only a signed operator request sees who bet.
async fn round(state: web::Data<AppState>, req: HttpRequest, path: web::Path<String>) -> HttpResponse {
    let operator_view = if req.headers().contains_key("x-croupier-signature") {
        match operator(&req, b"", &state) {
            Ok(_) => true,
            Err(response) => return response,
        }
    } else {
        false
    };
    match load_round(&state, &path) {
        Ok((record, shoe)) => {
            let mut body = serde_json::to_value(&record).unwrap_or_default();
            if let Some(body) = body.as_object_mut() {
                // Where the bets are stored is the journal's business.
                body.remove("bet_chunks");
                body.entry("bets").or_insert(json!([]));
            }
            if !operator_view {
                // Players' ids and bet ids are private; the public keeps spots and amounts.
                for bet in body["bets"].as_array_mut().into_iter().flatten() {
                    if let Some(bet) = bet.as_object_mut() {
                        bet.remove("player");
                        bet.remove("bet_id");
                    }
                }
            }
            if let Some(shoe) = shoe {
                body["server_seed"] = json!(shoe.server_seed);
                body["client_seed"] = json!(shoe.client_seed);
                if record.game.uses_cards() {
                    body["decks"] = json!(shoe.decks);
                }
            }
            HttpResponse::Ok().json(body)
        }
        Err(response) => response,
    }
}

async fn verify_round(state: web::Data<AppState>, path: web::Path<String>) -> HttpResponse {
    let (record, shoe) = match load_round(&state, &path) {
        Ok(found) => found,
        Err(response) => return response,
    };
    HttpResponse::Ok().json(verify(&record, shoe.as_ref()))
}

/// Recomputes a round from its revealed shoe: `verified`, `mismatch`, or `pending` before reveal.
pub fn verify(record: &RoundRecord, shoe: Option<&ShoeRecord>) -> Value {
    let base = json!({"round_id": record.round_id, "table": record.table, "commit": record.commit});
    let Some(shoe) = shoe else {
        return merge(
            base,
            json!({"status": "unverifiable", "reason": "dealt from a physical shoe by a dealer console"}),
        );
    };
    let (Some(seed_hex), Some(client_seed)) = (&shoe.server_seed, &shoe.client_seed) else {
        return merge(
            base,
            json!({"status": "pending", "reason": "the server seed is revealed when the shoe ends"}),
        );
    };
    let Ok(seed) = ServerSeed::from_hex(seed_hex) else {
        return merge(
            base,
            json!({"status": "mismatch", "reason": "revealed seed is not valid hex"}),
        );
    };
    let commit_ok = fair::commit(&seed) == shoe.commit && record.commit.as_deref().is_none_or(|c| c == shoe.commit);
    let key = fair::shuffle_key(&seed, client_seed, shoe.nonce);
    let mut details =
        json!({"server_seed": seed_hex, "client_seed": client_seed, "nonce": shoe.nonce, "commit_ok": commit_ok});
    if record.game.uses_cards() {
        // A roulette spin has a seed and no decks.
        details["decks"] = json!(shoe.decks);
    }
    let (dealt_ok, expected) = if record.game == crate::domain::round::Game::Roulette {
        let pocket = fair::roulette_pocket(&key);
        (record.pocket.is_none_or(|p| p == pocket), json!({"pocket": pocket}))
    } else {
        let start = record.shoe_start.unwrap_or(0);
        match fair::shuffled_shoe(shoe.decks, &key) {
            Ok(cards) => {
                let dealt: Vec<_> = record.cards.iter().map(|c| c.card).collect();
                let expected: Vec<_> = cards.iter().skip(start).take(dealt.len()).copied().collect();
                (expected == dealt, json!({"shoe_start": start, "cards": expected}))
            }
            Err(_) => (false, json!({})),
        }
    };
    let status = if commit_ok && dealt_ok { "verified" } else { "mismatch" };
    merge(merge(base, details), json!({"status": status, "expected": expected}))
}

fn merge(mut a: Value, b: Value) -> Value {
    if let (Value::Object(a), Value::Object(b)) = (&mut a, b) {
        a.extend(b);
    }
    a
}

async fn my_balance(state: web::Data<AppState>, req: HttpRequest) -> HttpResponse {
    let token = header(&req, "authorization")
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    let Ok(Some(info)) = state
        .sessions
        .send(Peek {
            token: token.to_owned(),
        })
        .await
    else {
        return error(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "send Authorization: Bearer <resume_token>",
        );
    };
    match balances_of(&state, &info.player).await {
        Some(balances) => HttpResponse::Ok().json(json!({
            "player_id": info.player,
            "amount": balances.get(&info.currency).copied().unwrap_or_default(),
            "currency": info.currency,
        })),
        None => internal(),
    }
}

#[derive(Deserialize)]
struct PlayQuery {
    /// A launch token in the URL, as `ws_url` carries it; resume tokens never travel there.
    token: Option<String>,
}

/// The token a player socket presents.
struct Presented {
    token: String,
    /// It came in the URL: only a launch token is taken from there.
    in_url: bool,
    /// The client offered `croupier.v1`: the 101 names it.
    speaks_protocol: bool,
}

/// The token from the subprotocols (`croupier.token.<token>` beside `croupier.v1`), or a
/// launch token from the URL.
fn presented_token(req: &HttpRequest, query: PlayQuery) -> Result<Presented, HttpResponse> {
    let offered: Vec<&str> = req
        .headers()
        .get_all(header::SEC_WEBSOCKET_PROTOCOL)
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(str::trim)
        .collect();
    let speaks = offered.contains(&PROTOCOL);
    let in_header = offered.iter().find_map(|p| p.strip_prefix(TOKEN_PROTOCOL_PREFIX));
    match (in_header, query.token) {
        (Some(_), _) if !speaks => Err(error(
            StatusCode::BAD_REQUEST,
            "bad_request",
            "offer the subprotocol croupier.v1 beside croupier.token.<token>",
        )),
        (Some(token), _) => Ok(Presented {
            token: token.to_owned(),
            in_url: false,
            speaks_protocol: true,
        }),
        (None, Some(token)) => Ok(Presented {
            token,
            in_url: true,
            speaks_protocol: speaks,
        }),
        (None, None) => Err(error(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "send the token as the subprotocol croupier.token.<token> beside croupier.v1",
        )),
    }
}

async fn play(state: web::Data<AppState>, req: HttpRequest, query: web::Query<PlayQuery>) -> HttpResponse {
    // A plain GET (a link preview, a proxy probe) must not spend the single-use launch token.
    if !takeover::is_handshake(&req) {
        return error(
            StatusCode::BAD_REQUEST,
            "bad_request",
            "this endpoint needs a WebSocket upgrade",
        );
    }
    let presented = match presented_token(&req, query.into_inner()) {
        Ok(presented) => presented,
        Err(response) => return response,
    };
    let slot = match state.admission.admit_player(peer(&req)) {
        Ok(slot) => Arc::new(slot),
        Err(refusal) => return refused(refusal, "the server is full"),
    };
    let (out, receiver) = Outbound::channel(state.config.limits.socket_queue_max);
    let opened = match open_session(&state, presented.token, presented.in_url, &out).await {
        Ok(opened) => opened,
        Err(response) => return response,
    };
    let Ok(wallet) = state.bank.send(GetWallet(opened.info.player.clone())).await else {
        return internal();
    };
    let protocol = presented.speaks_protocol.then_some(PROTOCOL);
    let (response, stream) = match takeover::accept(&req, receiver, socket_limits(&state), slot, protocol) {
        Ok(parts) => parts,
        Err(e) => {
            out.close(crate::actors::outbound::close_code::GOING_AWAY);
            return e.error_response();
        }
    };
    welcome(&out, &wallet, &opened).await;
    tracing::info!(player = %opened.info.player, session = %opened.info.session_id, "player connected");
    let caller = Caller {
        player: opened.info.player,
        session_id: opened.info.session_id,
        currency: opened.info.currency,
        out,
        wallet,
    };
    PlayerSocket::start(caller, state.get_ref().clone(), stream);
    response
}

/// Opens the session `token` names on this connection: the refusal is the HTTP answer.
async fn open_session(state: &AppState, token: String, in_url: bool, out: &Outbound) -> Result<Opened, HttpResponse> {
    let open = OpenSocket {
        token,
        launch_only: in_url,
        out: out.clone(),
    };
    match state.sessions.send(open).await {
        Ok(Ok(opened)) => Ok(opened),
        Ok(Err("too_many_connections")) => Err(error(
            StatusCode::TOO_MANY_REQUESTS,
            "too_many_connections",
            "this player has connections_per_player_max connections open; close one (the token is not spent)",
        )),
        Ok(Err("token_in_url")) => Err(error(
            StatusCode::BAD_REQUEST,
            "token_in_url",
            "a resume token is sent as the subprotocol croupier.token.<token>, never in the URL (it is not spent)",
        )),
        Ok(Err(code)) => Err(error(
            StatusCode::UNAUTHORIZED,
            code,
            "launch or resume token not valid",
        )),
        Err(_) => Err(internal()),
    }
}

/// The connection's first frame, then its balance pushes from the wallet.
async fn welcome(out: &Outbound, wallet: &Addr<WalletActor>, opened: &Opened) {
    let currency = opened.info.currency;
    let balances = wallet.send(GetBalances).await.ok();
    let amount = balances.and_then(|b| b.get(&currency).copied()).unwrap_or_default();
    let welcome = Welcome {
        session_id: opened.info.session_id.clone(),
        resume_token: opened.resume_token.clone(),
        player_id: opened.info.player.clone(),
        currency,
        language: opened.info.language.clone(),
        expires_at: opened.expires_at,
        balance: Money { amount, currency },
        ts: now_us(),
    };
    out.send(ServerMsg::Welcome(welcome).encode());
    wallet.do_send(WatchBalance { out: out.clone() });
}

#[derive(Deserialize)]
struct DealQuery {
    table: String,
}

async fn deal(state: web::Data<AppState>, req: HttpRequest, query: web::Query<DealQuery>) -> HttpResponse {
    if !takeover::is_handshake(&req) {
        return error(
            StatusCode::BAD_REQUEST,
            "bad_request",
            "this endpoint needs a WebSocket upgrade",
        );
    }
    let Ok(table_id) = TableId::parse(&query.table) else {
        return error(StatusCode::BAD_REQUEST, "bad_request", "bad table id");
    };
    let Ok(Some(table)) = state.lobby.send(FindTable(table_id.clone())).await else {
        return error(StatusCode::NOT_FOUND, "unknown_table", "no such table");
    };
    let slot = match state.admission.admit_dealer(peer(&req)) {
        Ok(slot) => Arc::new(slot),
        Err(Refusal::RateLimited) => {
            return refused(
                Refusal::RateLimited,
                "too many failed dealer authentications; wait a minute",
            )
        }
        Err(refusal) => return refused(refusal, "too many consoles waiting to authenticate"),
    };
    let limits = &state.config.limits;
    let (out, receiver) = Outbound::channel(limits.socket_queue_max);
    let (response, stream) = match takeover::accept(&req, receiver, socket_limits(&state), slot.clone(), None) {
        Ok(parts) => parts,
        Err(e) => return e.error_response(),
    };
    let state = state.get_ref().clone();
    let bucket = TokenBucket::new(limits.messages_per_s.max(50), limits.messages_burst.max(100));
    DealerSocket::create(move |ctx| {
        ctx.add_stream(stream);
        DealerSocket {
            table_id,
            table,
            state,
            out,
            slot,
            authenticated: false,
            last_seen: Instant::now(),
            bucket,
            strikes: 0,
        }
    });
    response
}
