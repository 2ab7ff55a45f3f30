//! The AsyncAPI document of the WebSocket protocol, generated from the wire types (their
//! JSON Schemas come from the same serde attributes the frames are written with), so it
//! cannot drift from what the server sends. `docs/asyncapi.json` is this document; a test
//! checks they are equal, and the server serves it at `/v1/asyncapi.json`.

use schemars::generate::{Contract, SchemaSettings};
use schemars::SchemaGenerator;
use serde_json::{json, Map, Value};

use crate::wire::event::EventFrame;
use crate::wire::inbound::{ClientMsg, DealerMsg};
use crate::wire::message::ServerMsg;

/// Where every schema the messages refer to is kept in the document.
const SCHEMAS: &str = "/components/schemas";

fn generator(contract: Contract) -> SchemaGenerator {
    SchemaSettings::draft2020_12()
        .with(|settings| {
            settings.definitions_path = SCHEMAS.into();
            settings.contract = contract;
            settings.meta_schema = None;
        })
        .into_generator()
}

/// The variants of a tagged enum's schema, each named by its `type` constant.
fn variants(schema: &Value) -> Vec<(String, Value)> {
    let options = schema
        .get("oneOf")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    options
        .into_iter()
        .filter_map(|variant| {
            let name = variant.pointer("/properties/type/const")?.as_str()?.to_owned();
            Some((name, variant))
        })
        .collect()
}

/// `variant` with the envelope's properties (a table event's `table`, `seq`, `epoch`, `ts`).
fn enveloped(mut variant: Value, envelope: &Value) -> Value {
    for key in ["properties", "required"] {
        let (Some(target), Some(extra)) = (variant.get_mut(key), envelope.get(key)) else {
            continue;
        };
        match (target, extra) {
            (Value::Object(target), Value::Object(extra)) => target.extend(extra.clone()),
            (Value::Array(target), Value::Array(extra)) => target.extend(extra.iter().cloned()),
            _ => {}
        }
    }
    variant
}

/// Messages `prefix.<type>` for each variant of `schema`, with `envelope` merged in.
fn messages_of(prefix: &str, schema: &Value, envelope: &Value, into: &mut Map<String, Value>) -> Vec<String> {
    let mut names = Vec::new();
    for (name, payload) in variants(schema) {
        let key = format!("{prefix}.{name}");
        let summary = payload.get("description").cloned().unwrap_or(Value::Null);
        let mut message = json!({"name": name, "title": key, "payload": enveloped(payload, envelope)});
        if !summary.is_null() {
            message["summary"] = summary;
        }
        into.insert(key.clone(), message);
        names.push(key);
    }
    names
}

/// A channel's messages, and an operation per direction over it.
fn channel(address: &str, description: &str, received: &[String], sent: &[String]) -> Value {
    let messages: Map<String, Value> = received
        .iter()
        .chain(sent)
        .map(|name| (name.clone(), json!({"$ref": format!("#/components/messages/{name}")})))
        .collect();
    json!({"address": address, "description": description, "messages": messages})
}

fn operation(channel: &str, action: &str, summary: &str, names: &[String]) -> Value {
    let messages: Vec<Value> = names
        .iter()
        .map(|name| json!({"$ref": format!("#/channels/{channel}/messages/{name}")}))
        .collect();
    json!({"action": action, "channel": {"$ref": format!("#/channels/{channel}")}, "summary": summary, "messages": messages})
}

/// The whole document, in a stable order (serde_json's maps are sorted).
pub fn document() -> Value {
    let mut sending = generator(Contract::Serialize);
    let private = sending.root_schema_for::<ServerMsg<'static>>().to_value();
    let event = sending.root_schema_for::<EventFrame<'static>>().to_value();
    let mut schemas = sending.take_definitions(true);
    let mut receiving = generator(Contract::Deserialize);
    let client = receiving.root_schema_for::<ClientMsg>().to_value();
    let dealer = receiving.root_schema_for::<DealerMsg>().to_value();
    for (name, schema) in receiving.take_definitions(true) {
        schemas.entry(name).or_insert(schema);
    }
    let none = json!({});
    let mut messages = Map::new();
    let player_sends = messages_of("player", &client, &none, &mut messages);
    let dealer_sends = messages_of("dealer", &dealer, &none, &mut messages);
    let events = messages_of("table", &event, &event, &mut messages);
    let private = messages_of("server", &private, &none, &mut messages);
    let console_only = ["server.console", "server.bets"];
    let answers = ["server.ack", "server.error", "server.pong"];
    let to_players: Vec<String> = events
        .iter()
        .chain(private.iter().filter(|m| !console_only.contains(&m.as_str())))
        .cloned()
        .collect();
    let to_consoles: Vec<String> = events
        .iter()
        .chain(
            private
                .iter()
                .filter(|m| console_only.contains(&m.as_str()) || answers.contains(&m.as_str())),
        )
        .cloned()
        .collect();
    json!({
        "asyncapi": "3.0.0",
        "info": {
            "title": "Croupier WebSocket protocol",
            "version": "1",
            "description": "The player socket and the dealer console socket of Croupier, a live-table casino engine. Every message is one JSON object in one text frame, with a `type`. Generated from the server's own message types; docs/protocol.md explains the rules (tokens, ordering, resuming, limits, close codes)."
        },
        "servers": {
            "sandbox": {"host": "127.0.0.1:8080", "protocol": "ws", "description": "`croupier serve` on its embedded defaults; wss under TLS."}
        },
        "channels": {
            "play": channel(
                "/v1/play",
                "A player's socket. The token goes in Sec-WebSocket-Protocol: offer `croupier.v1` and `croupier.token.<token>`.",
                &player_sends,
                &to_players,
            ),
            "deal": channel(
                "/v1/deal",
                "A dealer console's socket, opened with `?table=<table id>`; the first message must be `auth`.",
                &dealer_sends,
                &to_consoles,
            ),
        },
        "operations": {
            "playerSends": operation("play", "receive", "What a player client may send.", &player_sends),
            "playerReceives": operation("play", "send", "Table events of the tables joined, and private messages.", &to_players),
            "dealerSends": operation("deal", "receive", "What a dealer console may send.", &dealer_sends),
            "dealerReceives": operation("deal", "send", "The table's events, its console view and bet totals, and answers.", &to_consoles),
        },
        "components": {"messages": messages, "schemas": schemas},
    })
}

#[cfg(test)]
mod tests {
    /// Goal: the published AsyncAPI document is the one the types give. Run with
    /// `CROUPIER_WRITE_ASYNCAPI=1` to rewrite it after changing a message.
    #[test]
    fn docs_asyncapi_is_generated_from_the_types() {
        let generated = super::document();
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/asyncapi.json");
        let text = serde_json::to_string_pretty(&generated).expect("a document serialises") + "\n";
        if std::env::var_os("CROUPIER_WRITE_ASYNCAPI").is_some() {
            std::fs::write(path, &text).expect("docs/asyncapi.json is writable");
        }
        let published = std::fs::read_to_string(path).unwrap_or_default();
        assert!(
            published == text,
            "docs/asyncapi.json differs from the wire types: run CROUPIER_WRITE_ASYNCAPI=1 cargo test --lib asyncapi"
        );
    }

    /// Goal: every message a client can receive or send is in the document, under its
    /// direction, with the envelope fields on table events.
    #[test]
    fn every_message_is_documented_with_its_fields() {
        let document = super::document();
        let messages = &document["components"]["messages"];
        for name in [
            "player.bet",
            "dealer.auth",
            "server.welcome",
            "server.settled",
            "table.card",
            "table.paused",
        ] {
            assert!(messages.get(name).is_some(), "{name} missing");
        }
        let card = &messages["table.card"]["payload"]["required"];
        for field in ["type", "round_id", "to", "card", "table", "seq", "epoch", "ts"] {
            assert!(
                card.as_array().unwrap().iter().any(|f| f == field),
                "table.card lacks {field}"
            );
        }
        assert_eq!(document["operations"]["playerSends"]["action"], "receive");
    }
}
