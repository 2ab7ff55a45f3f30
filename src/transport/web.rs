//! Serves the bundled player client (`/`) and dealer console (`/dealer`) from `web_dir`.
//!
//! Static files only, no directory listing; paths are checked segment by segment so no
//! request can leave `web_dir`. Every file goes out with a Content-Security-Policy that
//! lets the pages run only their own scripts, styles and sockets, and be framed only by the
//! configured `frame_ancestors`; under TLS, with HSTS.

use actix_web::http::header;
use actix_web::{web, HttpResponse};

use crate::transport::AppState;

/// Largest static file served.
const FILE_BYTES_MAX: u64 = 4 * 1024 * 1024;
/// Browsers keep to HTTPS for this long after a page served over TLS (one year).
const HSTS: &str = "max-age=31536000";

/// The pages' policy: nothing inline, nothing from elsewhere (`'self'` covers the same
/// host's `ws:`/`wss:` sockets), no plugins, no `<base>` tricks, forms only to us.
fn content_security_policy(frame_ancestors: &str) -> String {
    format!(
        "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; \
         form-action 'self'; frame-ancestors {frame_ancestors}"
    )
}

fn content_type(path: &str) -> &'static str {
    match path.rsplit('.').next().unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "woff2" => "font/woff2",
        _ => "application/octet-stream",
    }
}

fn safe(path: &str) -> bool {
    !path.is_empty()
        && path.len() <= 200
        && path.split('/').all(|segment| {
            !segment.is_empty()
                && !segment.starts_with('.')
                && segment
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
        })
}

async fn serve_file(state: &AppState, path: &str) -> HttpResponse {
    if !safe(path) {
        return super::routes::error(actix_web::http::StatusCode::NOT_FOUND, "not_found", "no such file");
    }
    let full = state.config.web_dir.join(path);
    let too_big = std::fs::metadata(&full)
        .map(|m| !m.is_file() || m.len() > FILE_BYTES_MAX)
        .unwrap_or(true);
    if too_big {
        return super::routes::error(actix_web::http::StatusCode::NOT_FOUND, "not_found", "no such file");
    }
    match web::block(move || std::fs::read(full)).await {
        Ok(Ok(bytes)) => {
            let mut response = HttpResponse::Ok();
            response
                .content_type(content_type(path))
                .insert_header((header::CACHE_CONTROL, "no-cache"))
                .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
                .insert_header((
                    header::CONTENT_SECURITY_POLICY,
                    content_security_policy(&state.config.frame_ancestors),
                ))
                .insert_header((header::REFERRER_POLICY, "no-referrer"));
            if state.config.tls.is_some() {
                response.insert_header((header::STRICT_TRANSPORT_SECURITY, HSTS));
            }
            response.body(bytes)
        }
        _ => super::routes::error(actix_web::http::StatusCode::NOT_FOUND, "not_found", "no such file"),
    }
}

async fn index(state: web::Data<AppState>) -> HttpResponse {
    serve_file(&state, "index.html").await
}

async fn dealer(state: web::Data<AppState>) -> HttpResponse {
    serve_file(&state, "dealer.html").await
}

async fn asset(state: web::Data<AppState>, path: web::Path<String>) -> HttpResponse {
    serve_file(&state, &path).await
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/").route(web::get().to(index)))
        .service(web::resource("/dealer").route(web::get().to(dealer)))
        .service(web::resource("/web/{path:.*}").route(web::get().to(asset)));
}

#[cfg(test)]
mod tests {
    #[test]
    fn paths_cannot_escape() {
        for bad in ["", "../secret", "a/../../b", ".env", "a//b", "a/.git/x", "%2e%2e/x"] {
            assert!(!super::safe(bad), "{bad}");
        }
        assert!(super::safe("js/app.js"));
    }
}
