//! A stand-in for `portico intake` on a loopback port, for the form's script to talk to: it
//! answers CORS preflights for the one page origin it is told, records every referral posted to
//! `/referrals` and answers each with what the test queued.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;

use super::LoopbackServer;

/// One answer to a post: status, extra headers and a JSON body.
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(&'static str, String)>,
    pub body: Value,
}

/// A post as the mock received it.
pub struct Received {
    pub content_type: String,
    pub body: Value,
}

#[derive(Default)]
struct State {
    origin: Option<String>,
    answers: VecDeque<Answer>,
    received: Vec<Received>,
}

pub struct MockIntake {
    server: LoopbackServer,
    state: Arc<Mutex<State>>,
}

impl MockIntake {
    pub fn start() -> MockIntake {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
        let state = Arc::new(Mutex::new(State::default()));
        let shared = Arc::clone(&state);
        let server = LoopbackServer::start(listener, move |stream| answer(stream, &shared));
        MockIntake { server, state }
    }

    /// The address the portal's form posts to.
    pub fn url(&self) -> String {
        format!("http://{}/referrals", self.server.addr)
    }

    /// The page origin whose scripts may call the mock; every other origin is refused.
    pub fn allow_origin(&self, origin: &str) {
        self.state.lock().expect("mock state").origin = Some(origin.to_owned());
    }

    pub fn queue(&self, answer: Answer) {
        self.state.lock().expect("mock state").answers.push_back(answer);
    }

    pub fn received(&self) -> Vec<Received> {
        std::mem::take(&mut self.state.lock().expect("mock state").received)
    }
}

/// A request's method, target, headers (names lowercased) and body.
struct Request {
    method: String,
    target: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Request {
    fn read(stream: &TcpStream) -> Option<Request> {
        let mut reader = BufReader::new(stream);
        let mut line = String::new();
        reader.read_line(&mut line).ok()?;
        let mut parts = line.split_whitespace();
        let (method, target) = (parts.next()?.to_owned(), parts.next()?.to_owned());
        let mut headers = Vec::new();
        loop {
            line.clear();
            reader.read_line(&mut line).ok()?;
            let Some((name, value)) = line.trim_end().split_once(':') else { break };
            headers.push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
        }
        let mut request = Request { method, target, headers, body: Vec::new() };
        let length = request.header("content-length").and_then(|n| n.parse().ok()).unwrap_or(0);
        request.body = vec![0; length];
        reader.read_exact(&mut request.body).ok()?;
        Some(request)
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }
}

fn answer(mut stream: TcpStream, state: &Mutex<State>) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let Some(request) = Request::read(&stream) else { return };
    let mut state = state.lock().expect("mock state");
    let allowed = state.origin.is_some() && request.header("origin") == state.origin.as_deref();
    let response = match (request.method.as_str(), request.target.as_str()) {
        (_, "/referrals") if !allowed => respond(403, &[], b"not from the portal\n"),
        ("OPTIONS", "/referrals") => preflight(&request, state.origin.as_deref().unwrap_or("")),
        ("POST", "/referrals") => {
            let received = Received {
                content_type: request.header("content-type").unwrap_or("").to_owned(),
                body: serde_json::from_slice(&request.body).unwrap_or(Value::Null),
            };
            state.received.push(received);
            let answer = state.answers.pop_front().expect("the test queued an answer");
            let origin = state.origin.clone().unwrap_or_default();
            post_answer(answer, &origin)
        }
        _ => respond(404, &[], b"not found\n"),
    };
    let _ = stream.write_all(&response);
}

/// Allows the JSON post the form's script makes, and nothing more.
fn preflight(request: &Request, origin: &str) -> Vec<u8> {
    if request.header("access-control-request-method") != Some("POST") {
        return respond(403, &[], b"POST only\n");
    }
    let headers = [
        ("Access-Control-Allow-Origin", origin.to_owned()),
        ("Access-Control-Allow-Methods", "POST".to_owned()),
        ("Access-Control-Allow-Headers", "content-type, accept".to_owned()),
        ("Vary", "Origin".to_owned()),
    ];
    respond(204, &headers, b"")
}

fn post_answer(answer: Answer, origin: &str) -> Vec<u8> {
    let mut headers = vec![
        ("Access-Control-Allow-Origin", origin.to_owned()),
        ("Access-Control-Expose-Headers", "Retry-After".to_owned()),
        ("Vary", "Origin".to_owned()),
        ("Content-Type", "application/json".to_owned()),
    ];
    headers.extend(answer.headers);
    respond(answer.status, &headers, answer.body.to_string().as_bytes())
}

fn respond(status: u16, headers: &[(&str, String)], body: &[u8]) -> Vec<u8> {
    let mut head = format!("HTTP/1.1 {status} Mock\r\nContent-Length: {}\r\n", body.len());
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("Connection: close\r\n\r\n");
    [head.as_bytes(), body].concat()
}
