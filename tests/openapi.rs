//! Goal: `docs/openapi.json` describes exactly the REST API the code serves, so integrators
//! can generate clients from it. Method: read `src/transport/routes.rs` as text and pull out
//! every `web::resource("PATH").route(web::METHOD().to(handler))` of `configure`, whether its handler
//! checks the operator signature, and the fields of every request body struct; compare
//! each with the document. Then start the real binary, check that `GET /v1/openapi.json`
//! serves the file's JSON, call every endpoint (successes and typical errors) and validate
//! each reply against the documented schema of its status code.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use common::*;
use serde_json::{json, Value};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");
/// WebSocket upgrades: described in the document's prose (and in docs/protocol.md), not as paths.
const WEBSOCKET_ROUTES: [&str; 2] = ["/v1/play", "/v1/deal"];

fn read(relative: &str) -> String {
    std::fs::read_to_string(format!("{ROOT}/{relative}")).unwrap_or_else(|e| panic!("read {relative}: {e}"))
}

fn document() -> Value {
    serde_json::from_str(&read("docs/openapi.json")).expect("docs/openapi.json is valid JSON")
}

/// The body of `pub fn configure` in a source file.
fn configure_body(source: &str) -> &str {
    let start = source.find("pub fn configure").expect("a configure function");
    let body = &source[start..];
    &body[..body.find("\n}").expect("end of configure")]
}

/// One route of a `web::resource("PATH")`: path, lower-case method, handler name.
#[derive(Debug)]
struct Route {
    path: String,
    method: String,
    handler: String,
}

fn routes_in(source: &str) -> Vec<Route> {
    let mut routes = Vec::new();
    for resource in configure_body(source).split("web::resource(\"").skip(1) {
        let path = &resource[..resource.find('"').expect("closing quote")];
        for route in resource.split(".route(web::").skip(1) {
            let method = &route[..route.find('(').expect("web::METHOD()")];
            let to = &route[route.find(".to(").expect(".to(handler)") + ".to(".len()..];
            let handler = &to[..to.find(')').expect("end of handler")];
            routes.push(Route {
                path: path.to_owned(),
                method: method.to_owned(),
                handler: handler.to_owned(),
            });
        }
    }
    routes
}

/// The source of `async fn name(` up to the next top-level item.
fn handler_source<'a>(source: &'a str, name: &str) -> &'a str {
    let start = source
        .find(&format!("async fn {name}("))
        .unwrap_or_else(|| panic!("handler {name} not found"));
    let body = &source[start..];
    let end = body[1..].find("\n}\n").map_or(body.len(), |at| at + 3);
    &body[..end]
}

#[test]
fn every_route_is_documented_and_every_documented_route_exists() {
    let source = read("src/transport/routes.rs");
    let doc = document();
    let routes = routes_in(&source);
    assert!(routes.len() >= 10, "parsed too few routes from routes.rs: {routes:?}");

    let in_code: BTreeSet<(String, String)> = routes
        .iter()
        .filter(|r| !WEBSOCKET_ROUTES.contains(&r.path.as_str()))
        .map(|r| (r.path.clone(), r.method.clone()))
        .collect();
    let mut in_doc = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in item.as_object().expect("path item").keys() {
            if ["get", "put", "post", "delete", "patch", "head", "options", "trace"].contains(&method.as_str()) {
                in_doc.insert((path.clone(), method.clone()));
            }
        }
    }
    let undocumented: Vec<_> = in_code.difference(&in_doc).collect();
    let phantom: Vec<_> = in_doc.difference(&in_code).collect();
    assert!(
        undocumented.is_empty(),
        "routes missing from docs/openapi.json: {undocumented:?}"
    );
    assert!(
        phantom.is_empty(),
        "docs/openapi.json documents routes the server lacks: {phantom:?}"
    );

    // The WebSocket upgrades and the static client are described in prose.
    let prose = doc["info"]["description"].as_str().expect("info.description");
    for route in routes.iter().filter(|r| WEBSOCKET_ROUTES.contains(&r.path.as_str())) {
        assert!(
            prose.contains(&route.path),
            "info.description should describe {}",
            route.path
        );
    }
    for route in routes_in(&read("src/transport/web.rs")) {
        let shown = route.path.replace("{path:.*}", "{path}");
        assert!(
            prose.contains(&format!("`GET {shown}`")),
            "info.description should mention the static route {}",
            route.path
        );
    }
}

/// Whether an endpoint needs the operator signature, may take it, or ignores it.
#[derive(Debug, PartialEq, Eq, Clone, Copy)]
enum Signature {
    Required,
    Optional,
    None,
}

/// What the handler's code does: `operator(&req…)` checks the signature; a handler that
/// first looks whether `x-croupier-signature` is present checks it only when it is sent.
fn signature_in_code(handler: &str) -> Signature {
    match (
        handler.contains("operator(&req"),
        handler.contains("contains_key(\"x-croupier-signature\")"),
    ) {
        (true, false) => Signature::Required,
        (true, true) => Signature::Optional,
        (false, _) => Signature::None,
    }
}

/// What the document says: every alternative needs the operator schemes (required), one
/// alternative is `{}` and another has them (optional), or none has them.
fn signature_in_doc(doc: &Value, operation: &Value, operator_schemes: &BTreeSet<&str>) -> Signature {
    let alternatives = operation
        .get("security")
        .or(doc.get("security"))
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let signed = |requirement: &Value| {
        let names: BTreeSet<&str> = requirement
            .as_object()
            .map(|o| o.keys().map(String::as_str).collect())
            .unwrap_or_default();
        operator_schemes.is_subset(&names)
    };
    let empty = |requirement: &Value| requirement.as_object().is_some_and(|o| o.is_empty());
    if !alternatives.is_empty() && alternatives.iter().all(signed) {
        Signature::Required
    } else if alternatives.iter().any(signed) && alternatives.iter().any(empty) {
        Signature::Optional
    } else {
        Signature::None
    }
}

#[test]
fn operator_authentication_is_documented_where_the_code_checks_it() {
    let source = read("src/transport/routes.rs");
    let doc = document();
    let schemes = doc["components"]["securitySchemes"]
        .as_object()
        .expect("securitySchemes");
    let operator_schemes: BTreeSet<&str> = ["CroupierKey", "CroupierTimestamp", "CroupierNonce", "CroupierSignature"]
        .into_iter()
        .collect();
    for name in &operator_schemes {
        assert_eq!(schemes[*name]["type"], "apiKey", "{name}");
        assert_eq!(schemes[*name]["in"], "header", "{name}");
    }
    for route in routes_in(&source)
        .iter()
        .filter(|r| !WEBSOCKET_ROUTES.contains(&r.path.as_str()))
    {
        let operation = &doc["paths"][&route.path][&route.method];
        let in_code = signature_in_code(handler_source(&source, &route.handler));
        let in_doc = signature_in_doc(&doc, operation, &operator_schemes);
        assert_eq!(
            in_code, in_doc,
            "{} {}: operator signature {:?} in the handler {} but {:?} in the document",
            route.method, route.path, in_code, route.handler, in_doc
        );
        if in_code != Signature::None {
            assert!(
                operation["responses"]["401"].is_object(),
                "{} {} should document its 401",
                route.method,
                route.path
            );
        }
    }
}

/// `#[derive(Deserialize)]` structs of routes.rs: name → (fields with optionality, deny_unknown_fields).
fn request_structs(source: &str) -> BTreeMap<String, (BTreeMap<String, bool>, bool)> {
    let mut structs = BTreeMap::new();
    let mut rest = source;
    while let Some(at) = rest.find("#[derive(Deserialize)]") {
        rest = &rest[at..];
        let header_end = rest.find("struct ").expect("a struct after derive");
        let deny = rest[..header_end].contains("deny_unknown_fields");
        let after = &rest[header_end + "struct ".len()..];
        let name = after[..after.find(' ').expect("struct name")].to_owned();
        let body = &after[after.find('{').expect("{") + 1..after.find('}').expect("}")];
        let fields = body
            .lines()
            .map(str::trim)
            .filter(|line| !line.starts_with("//") && line.contains(':'))
            .map(|line| {
                let (field, ty) = line.split_once(':').expect("field: type");
                (field.trim().to_owned(), ty.trim().starts_with("Option<"))
            })
            .collect();
        structs.insert(name, (fields, deny));
        rest = &rest[1..];
    }
    structs
}

#[test]
fn request_bodies_match_the_structs_the_server_parses() {
    let source = read("src/transport/routes.rs");
    let doc = document();
    let structs = request_structs(&source);
    assert!(!structs.is_empty());
    for (name, (fields, deny)) in structs {
        if name.ends_with("Query") {
            continue; // WebSocket upgrade query strings, described in prose
        }
        let schema = &doc["components"]["schemas"][&name];
        assert!(
            schema.is_object(),
            "request struct {name} has no schema of the same name"
        );
        let properties: BTreeSet<&str> = schema["properties"]
            .as_object()
            .map(|p| p.keys().map(String::as_str).collect())
            .unwrap_or_default();
        let code_fields: BTreeSet<&str> = fields.keys().map(String::as_str).collect();
        assert_eq!(
            properties, code_fields,
            "{name}: documented properties differ from the struct's fields"
        );
        let required: BTreeSet<&str> = schema["required"]
            .as_array()
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let mandatory: BTreeSet<&str> = fields
            .iter()
            .filter(|(_, optional)| !**optional)
            .map(|(field, _)| field.as_str())
            .collect();
        assert_eq!(
            required, mandatory,
            "{name}: required fields differ from the struct's non-Option fields"
        );
        assert_eq!(
            schema["additionalProperties"] == json!(false),
            deny,
            "{name}: additionalProperties: false must match #[serde(deny_unknown_fields)]"
        );
    }
}

/// docs/protocol.md's worked signature example, recomputed with the server's own function.
#[test]
fn the_worked_signature_example_is_right() {
    use croupier::transport::auth::sign;
    let protocol = read("docs/protocol.md");
    let (ts, nonce) = ("1700000000", "0123456789abcdef0123456789abcdef");
    let post = sign(
        "sandbox-secret",
        ts,
        nonce,
        "POST",
        "/v1/sessions",
        br#"{"player_id":"alice","currency":"EUR"}"#,
    );
    let get = sign("sandbox-secret", ts, nonce, "GET", "/v1/players/alice/balance", b"");
    for signature in [post, get] {
        assert!(
            protocol.contains(&format!("X-Croupier-Signature: {signature}")),
            "docs/protocol.md should show the signature {signature}"
        );
    }
}

// ---- validating live replies against the document ----

fn resolve<'a>(doc: &'a Value, schema: &'a Value) -> &'a Value {
    match schema.get("$ref").and_then(Value::as_str) {
        Some(reference) => {
            let name = reference
                .strip_prefix("#/components/schemas/")
                .unwrap_or_else(|| panic!("unsupported $ref {reference}"));
            resolve(doc, &doc["components"]["schemas"][name])
        }
        None => schema,
    }
}

/// A small JSON Schema check covering what the document uses: type, nullable, enum,
/// required, properties, additionalProperties, items, minimum/maximum.
fn validate(doc: &Value, schema: &Value, value: &Value, at: &str, problems: &mut Vec<String>) {
    let schema = resolve(doc, schema);
    if value.is_null() {
        if schema["nullable"] != json!(true) {
            problems.push(format!("{at}: null but not nullable"));
        }
        return;
    }
    if let Some(choices) = schema["enum"].as_array() {
        if !choices.contains(value) {
            problems.push(format!("{at}: {value} not in {choices:?}"));
        }
    }
    let type_ok = match schema["type"].as_str() {
        Some("object") => value.is_object(),
        Some("array") => value.is_array(),
        Some("string") => value.is_string(),
        Some("integer") => value.is_i64() || value.is_u64(),
        Some("number") => value.is_number(),
        Some("boolean") => value.is_boolean(),
        _ => true,
    };
    if !type_ok {
        problems.push(format!("{at}: {value} is not of type {}", schema["type"]));
        return;
    }
    if let Some(n) = value.as_i64() {
        if schema["minimum"].as_i64().is_some_and(|min| n < min)
            || schema["maximum"].as_i64().is_some_and(|max| n > max)
        {
            problems.push(format!("{at}: {n} out of range"));
        }
    }
    if let Some(object) = value.as_object() {
        for field in schema["required"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
        {
            if !object.contains_key(field) {
                problems.push(format!("{at}: missing required {field}"));
            }
        }
        let properties = schema["properties"].as_object();
        for (key, item) in object {
            match properties.and_then(|p| p.get(key)) {
                Some(property) => validate(doc, property, item, &format!("{at}.{key}"), problems),
                None => match &schema["additionalProperties"] {
                    Value::Bool(false) => problems.push(format!("{at}: undocumented field {key}")),
                    extra @ Value::Object(_) => validate(doc, extra, item, &format!("{at}.{key}"), problems),
                    _ => {}
                },
            }
        }
    }
    if let (Some(items), Some(schema_items)) = (value.as_array(), schema.get("items")) {
        for (i, item) in items.iter().enumerate() {
            validate(doc, schema_items, item, &format!("{at}[{i}]"), problems);
        }
    }
}

/// Checks one live reply against the documented response of `status`.
fn check_reply(doc: &Value, method: &str, path_template: &str, status: u16, body: &Value) {
    let operation = &doc["paths"][path_template][method];
    assert!(operation.is_object(), "{method} {path_template} is not documented");
    let response = &operation["responses"][status.to_string()];
    assert!(
        response.is_object(),
        "{method} {path_template} answered {status}, which is not documented: {body}"
    );
    let content = response["content"].as_object().expect("response content");
    let Some(json_content) = content.get("application/json") else {
        assert!(
            body.is_string(),
            "{method} {path_template}: a non-JSON response parsed as JSON"
        );
        return;
    };
    let mut problems = Vec::new();
    validate(doc, &json_content["schema"], body, "$", &mut problems);
    assert!(
        problems.is_empty(),
        "{method} {path_template} {status} does not match the document: {problems:?}\nbody: {body}"
    );
}

#[tokio::test]
async fn the_server_serves_this_document_and_replies_as_it_says() {
    let doc = document();
    let server = Server::start(&[("bac", auto_table("bac", "baccarat", ""))], "");

    let (status, served) = server.http("GET", "/v1/openapi.json", &[], "").await;
    assert_eq!(status, 200);
    assert_eq!(
        served, doc,
        "GET /v1/openapi.json differs from docs/openapi.json (rebuild the binary)"
    );

    let (status, body) = server.http("GET", "/healthz", &[], "").await;
    check_reply(&doc, "get", "/healthz", status, &body);
    let (status, body) = server.http("GET", "/metrics", &[], "").await;
    assert_eq!(status, 401, "metrics without a signature: {body}");
    check_reply(&doc, "get", "/metrics", status, &body);
    let (status, body) = server.signed("GET", "/metrics", "").await;
    assert_eq!(status, 200, "signed metrics: {body}");
    check_reply(&doc, "get", "/metrics", status, &body);
    check_reply(&doc, "get", "/v1/openapi.json", 200, &served);
    let (status, asyncapi) = server.http("GET", "/v1/asyncapi.json", &[], "").await;
    assert_eq!(status, 200);
    assert_eq!(
        asyncapi,
        serde_json::from_str::<Value>(&read("docs/asyncapi.json")).unwrap(),
        "GET /v1/asyncapi.json differs from docs/asyncapi.json (rebuild the binary)"
    );
    check_reply(&doc, "get", "/v1/asyncapi.json", status, &asyncapi);

    // Money and sessions.
    let deposit = json!({"player_id": "doc-alice", "currency": "EUR", "amount": 50_000, "tx_id": "doc-1"}).to_string();
    let (status, body) = server.signed("POST", "/v1/sandbox/deposit", &deposit).await;
    assert_eq!(status, 200, "{body}");
    check_reply(&doc, "post", "/v1/sandbox/deposit", status, &body);
    let (status, body) = server.signed("POST", "/v1/sandbox/deposit", &deposit).await;
    assert_eq!(status, 200, "a repeated tx_id is harmless: {body}");
    let changed = json!({"player_id": "doc-alice", "currency": "EUR", "amount": 1, "tx_id": "doc-1"}).to_string();
    let (status, body) = server.signed("POST", "/v1/sandbox/deposit", &changed).await;
    check_reply(&doc, "post", "/v1/sandbox/deposit", status, &body);
    let bad_amount = json!({"player_id": "doc-alice", "currency": "EUR", "amount": 1.5}).to_string();
    let (status, body) = server.signed("POST", "/v1/sandbox/deposit", &bad_amount).await;
    assert_eq!(body["code"], "bad_amount");
    check_reply(&doc, "post", "/v1/sandbox/deposit", status, &body);
    let unknown_field = json!({"player_id": "doc-alice", "currency": "EUR", "amount": 1, "memo": "x"}).to_string();
    let (status, body) = server.signed("POST", "/v1/sandbox/deposit", &unknown_field).await;
    assert_eq!((status, body["code"].as_str()), (400, Some("bad_request")), "{body}");
    check_reply(&doc, "post", "/v1/sandbox/deposit", status, &body);
    let (status, body) = server.http("POST", "/v1/sandbox/deposit", &[], &deposit).await;
    check_reply(&doc, "post", "/v1/sandbox/deposit", status, &body);

    let launch = json!({"player_id": "doc-alice", "currency": "EUR", "language": "pt-BR"}).to_string();
    let (status, body) = server.signed("POST", "/v1/sessions", &launch).await;
    check_reply(&doc, "post", "/v1/sessions", status, &body);
    let session_id = body["session_id"].as_str().expect("session_id").to_owned();
    let (status, body) = server.http("POST", "/v1/sessions", &[], &launch).await;
    assert_eq!(status, 401);
    check_reply(&doc, "post", "/v1/sessions", status, &body);
    let bad_language = json!({"player_id": "doc-alice", "currency": "EUR", "language": "en us"}).to_string();
    let (status, body) = server.signed("POST", "/v1/sessions", &bad_language).await;
    check_reply(&doc, "post", "/v1/sessions", status, &body);
    // A real currency that no table takes, and a code that is no currency at all.
    for (currency, code) in [("USD", "unsupported_currency"), ("XYZ", "bad_request")] {
        let launch = json!({"player_id": "doc-carl", "currency": currency}).to_string();
        for path in ["/v1/sessions", "/v1/sandbox/launch"] {
            let (status, body) = server.signed("POST", path, &launch).await;
            assert_eq!((status, body["code"].as_str()), (400, Some(code)), "{path}: {body}");
            check_reply(&doc, "post", path, status, &body);
            let documented = doc["paths"][path]["post"]["responses"]["400"]["description"]
                .as_str()
                .unwrap_or_default();
            assert!(
                documented.contains(&format!("`{code}`")),
                "POST {path}: 400 {code} is not documented"
            );
        }
    }

    let (status, body) = server
        .http(
            "POST",
            "/v1/sandbox/launch",
            &[],
            &json!({"player_id": "doc-bob", "currency": "EUR"}).to_string(),
        )
        .await;
    check_reply(&doc, "post", "/v1/sandbox/launch", status, &body);

    let (status, body) = server.signed("GET", "/v1/players/doc-alice/balance", "").await;
    check_reply(&doc, "get", "/v1/players/{player_id}/balance", status, &body);
    let (status, body) = server.signed("GET", "/v1/players/bad%20id/balance", "").await;
    check_reply(&doc, "get", "/v1/players/{player_id}/balance", status, &body);

    // A player: the resume token authenticates /v1/balance; a bet makes history and a round.
    let mut client = server.player("doc-alice", "EUR").await;
    let bearer = [("Authorization", format!("Bearer {}", client.resume_token))];
    let (status, body) = server.http("GET", "/v1/balance", &bearer, "").await;
    assert_eq!(status, 200, "{body}");
    check_reply(&doc, "get", "/v1/balance", status, &body);
    let (status, body) = server.http("GET", "/v1/balance", &[], "").await;
    check_reply(&doc, "get", "/v1/balance", status, &body);

    client.join("bac").await;
    let round_id = client.next_round("bac").await;
    let ack = client.bet("bac", round_id, "banker", 1_000, "doc-bet-1").await;
    assert_eq!(ack["type"], "ack", "{ack}");
    client
        .until("settled", |m| {
            m["type"] == "settled" && m["round_id"] == json!(round_id)
        })
        .await;

    let (status, body) = server.signed("GET", "/v1/players/doc-alice/history", "").await;
    check_reply(&doc, "get", "/v1/players/{player_id}/history", status, &body);
    assert!(
        body["transactions"].as_array().is_some_and(|t| t.len() >= 2),
        "the deposit and the stake: {body}"
    );
    let (status, body) = server.signed("GET", "/v1/ledger/summary", "").await;
    check_reply(&doc, "get", "/v1/ledger/summary", status, &body);

    let (status, body) = server.http("GET", &format!("/v1/rounds/{round_id}"), &[], "").await;
    assert_eq!(status, 200, "{body}");
    check_reply(&doc, "get", "/v1/rounds/{round_id}", status, &body);
    assert!(
        body["bets"][0].get("player").is_none(),
        "the public round hides who bet: {body}"
    );
    let (status, body) = server.signed("GET", &format!("/v1/rounds/{round_id}"), "").await;
    check_reply(&doc, "get", "/v1/rounds/{round_id}", status, &body);
    assert_eq!(body["bets"][0]["player"], "doc-alice", "operators see who bet: {body}");
    let forged = sign_headers("GET", &format!("/v1/rounds/{round_id}"), "", "not-the-secret");
    let (status, body) = server.http("GET", &format!("/v1/rounds/{round_id}"), &forged, "").await;
    assert_eq!(status, 401, "{body}");
    check_reply(&doc, "get", "/v1/rounds/{round_id}", status, &body);
    let (status, body) = server
        .http("GET", &format!("/v1/rounds/{round_id}/verify"), &[], "")
        .await;
    check_reply(&doc, "get", "/v1/rounds/{round_id}/verify", status, &body);
    for (path, template) in [
        ("/v1/rounds/nope", "/v1/rounds/{round_id}"),
        ("/v1/rounds/1", "/v1/rounds/{round_id}"),
        ("/v1/rounds/nope/verify", "/v1/rounds/{round_id}/verify"),
        ("/v1/rounds/1/verify", "/v1/rounds/{round_id}/verify"),
    ] {
        let (status, body) = server.http("GET", path, &[], "").await;
        check_reply(&doc, "get", template, status, &body);
    }

    let (status, body) = server.http("GET", "/v1/lobby", &[], "").await;
    check_reply(&doc, "get", "/v1/lobby", status, &body);
    // A method the path does not serve, and a path that does not exist: the error body too.
    let (status, body) = server.http("POST", "/v1/lobby", &[], "{}").await;
    assert_eq!((status, &body["code"]), (405, &json!("method_not_allowed")), "{body}");
    let (status, body) = server.http("GET", "/v1/no-such-path", &[], "").await;
    assert_eq!((status, &body["code"]), (404, &json!("not_found")), "{body}");

    // Revocation last: it closes the player's socket.
    let (status, body) = server.signed("DELETE", &format!("/v1/sessions/{session_id}"), "").await;
    check_reply(&doc, "delete", "/v1/sessions/{session_id}", status, &body);
    let (status, body) = server.signed("DELETE", &format!("/v1/sessions/{session_id}"), "").await;
    assert_eq!(status, 404);
    check_reply(&doc, "delete", "/v1/sessions/{session_id}", status, &body);
    let (status, body) = server.signed("DELETE", "/v1/players/doc-alice/sessions", "").await;
    check_reply(&doc, "delete", "/v1/players/{player_id}/sessions", status, &body);
    assert!(
        body["revoked"].as_u64().is_some_and(|n| n >= 1),
        "the player's socket session: {body}"
    );

    server.assert_conserved().await;
}
