//! What the HTTP tests share: the app on each backend (SQLite, and PostgreSQL when it runs)
//! with a signed-in session for every demo user, and requests made as one of them.

#![allow(dead_code)] // each test file uses part of it

use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode, header};
use http_body_util::BodyExt;
use rightstat_store::{Store, testing};
use serde_json::Value;
use tower::ServiceExt;

pub struct Env {
    pub app: axum::Router,
    pub store: Store,
    /// (username, session cookie, CSRF token) for each demo user.
    pub sessions: Vec<(String, String, String)>,
}

pub struct Resp {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub json: Value,
    pub text: String,
    pub bytes: Vec<u8>,
}

impl Resp {
    /// Status, JSON body (Null when not JSON) and text, for destructuring.
    pub fn parts(self) -> (StatusCode, Value, String) {
        (self.status, self.json, self.text)
    }

    pub fn location(&self) -> Option<String> {
        self.headers.get(header::LOCATION).map(|l| l.to_str().unwrap().to_string())
    }
}

/// What the database holds before the app starts (reference data and demo users always).
#[derive(Clone, Copy, PartialEq)]
pub enum Load {
    Users,
    Demo,
    DemoWithFollowUp,
}

pub async fn envs(dir: &tempfile::TempDir, load: Load) -> Vec<Env> {
    let mut out = Vec::new();
    for url in testing::fresh_urls(dir.path()).await {
        let store = Store::connect(&url).await.unwrap();
        store.seed_reference().await.unwrap();
        if load != Load::Users {
            store.load_demo().await.unwrap();
        }
        if load == Load::DemoWithFollowUp {
            store.load_demo_follow_up().await.unwrap();
        }
        store.create_demo_users().await.unwrap();
        let mut sessions = Vec::new();
        for u in store.users().await.unwrap() {
            let (cookie, csrf) = store.create_session(u.id, None).await.unwrap();
            sessions.push((u.username.clone(), cookie, csrf));
        }
        out.push(Env { app: rightstat_server::app(store.clone(), Default::default()), store, sessions });
    }
    out
}

impl Env {
    /// `who`'s session cookie and CSRF token.
    pub fn session(&self, who: &str) -> (&str, &str) {
        let s = self.sessions.iter().find(|s| s.0 == who).unwrap_or_else(|| panic!("no demo user {who}"));
        (&s.1, &s.2)
    }

    /// A request as `who` (None: anonymous) with the session's CSRF token, or `csrf` instead.
    pub async fn request(
        &self,
        method: &str,
        uri: &str,
        who: Option<&str>,
        csrf: Option<&str>,
        content_type: Option<&str>,
        body: Vec<u8>,
    ) -> Resp {
        let mut b = Request::builder().method(method).uri(uri);
        if let Some(w) = who {
            let (cookie, token) = self.session(w);
            b = b.header(header::COOKIE, format!("rs_session={cookie}")).header("x-csrf-token", csrf.unwrap_or(token));
        }
        if let Some(t) = content_type {
            b = b.header(header::CONTENT_TYPE, t);
        }
        self.send(b.body(Body::from(body)).unwrap()).await
    }

    /// A JSON body, or a raw one given as a JSON string (a CSV file, say).
    pub async fn call(&self, method: &str, uri: &str, who: Option<&str>, body: Option<Value>) -> Resp {
        match body {
            Some(Value::String(raw)) => self.request(method, uri, who, None, None, raw.into_bytes()).await,
            Some(v) => self.request(method, uri, who, None, Some("application/json"), v.to_string().into_bytes()).await,
            None => self.request(method, uri, who, None, None, Vec::new()).await,
        }
    }

    /// An HTML form posted as `who`, with the CSRF token in the form as a browser sends it.
    /// (No CSRF header: a page's form must carry its token in the body.)
    pub async fn form(&self, uri: &str, who: &str, fields: &[(&str, &str)]) -> Resp {
        let (cookie, token) = self.session(who);
        let body = format!("{}&csrf_token={token}", serde_urlencoded::to_string(fields).unwrap());
        let req = Request::builder()
            .method("POST")
            .uri(uri)
            .header(header::COOKIE, format!("rs_session={cookie}"))
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body))
            .unwrap();
        self.send(req).await
    }

    pub async fn send(&self, req: Request<Body>) -> Resp {
        let res = self.app.clone().oneshot(req).await.unwrap();
        let (status, headers) = (res.status(), res.headers().clone());
        let bytes = res.into_body().collect().await.unwrap().to_bytes().to_vec();
        let text = String::from_utf8_lossy(&bytes).into_owned();
        Resp { status, headers, json: serde_json::from_slice(&bytes).unwrap_or(Value::Null), text, bytes }
    }
}
