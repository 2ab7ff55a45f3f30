//! actix-web + actix-ws, used as its documentation shows, on 127.0.0.1:9911: the engine's
//! transport with no game, no journal and no wallets.

use std::sync::{Arc, Mutex};

use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use croupier_baseline::{first_push_delay, group, push_text, GROUPS, PERIOD};
use futures_util::StreamExt;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

type Groups = Arc<Vec<Mutex<Vec<actix_ws::Session>>>>;

async fn connect(req: HttpRequest, body: web::Payload, groups: web::Data<Groups>) -> actix_web::Result<HttpResponse> {
    let (response, mut session, mut inbound) = actix_ws::handle(&req, body)?;
    groups[group(req.query_string())].lock().unwrap().push(session.clone());
    actix_web::rt::spawn(async move {
        while let Some(Ok(message)) = inbound.next().await {
            match message {
                actix_ws::Message::Ping(payload) => {
                    let _ = session.pong(&payload).await;
                }
                actix_ws::Message::Close(_) => break,
                _ => {}
            }
        }
    });
    Ok(response)
}

fn main() {
    let groups: Groups = Arc::new((0..GROUPS).map(|_| Mutex::new(Vec::new())).collect());
    let pushers = groups.clone();
    // The pushing side on its own thread, as the engine's tables are.
    std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            for g in 0..GROUPS {
                let groups = pushers.clone();
                actix_web::rt::spawn(async move {
                    actix_web::rt::time::sleep(first_push_delay(g)).await;
                    let mut tick = actix_web::rt::time::interval(PERIOD);
                    for seq in 1.. {
                        tick.tick().await;
                        let text = bytestring::ByteString::from(push_text(g, seq));
                        let members = groups[g].lock().unwrap().clone();
                        for mut session in members {
                            let _ = session.text(text.clone()).await;
                        }
                    }
                });
            }
            std::future::pending::<()>().await
        })
    });
    actix_web::rt::System::new().block_on(async move {
        HttpServer::new(move || {
            App::new()
                .app_data(web::Data::new(groups.clone()))
                .route("/ws", web::get().to(connect))
        })
        .tcp_nodelay(true)
        .bind("127.0.0.1:9911")
        .expect("port 9911 free")
        .run()
        .await
        .expect("server runs")
    });
}
