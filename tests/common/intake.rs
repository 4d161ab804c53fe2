//! A program with partners and an intake URL, and referral bodies, for the intake tests.

/// Two partners in different tiers; the portal lives at `https://partners.example.com/`.
pub const PARTNERS_YAML: &str = include_str!("../fixtures/intake/partners.yaml");

pub const ORIGIN: &str = "https://partners.example.com";

/// A complete referral as a browser form would post it, with `overrides` replacing or adding
/// fields (an empty value removes the field).
pub fn form_body(overrides: &[(&str, &str)]) -> String {
    let mut fields: Vec<(String, String)> = [
        ("partner_id", "harbor"),
        ("referrer_name", "Ana Ruiz"),
        ("referrer_email", "ana@harbor.example"),
        ("client_org", "Acme Manufacturing"),
        ("client_domain", "acme.example"),
        ("client_contact_name", "Jo Park"),
        ("client_contact_email", "jo@acme.example"),
        ("client_contact_phone", "+1 555 010 2030"),
        ("challenge", "Their month-end close takes three weeks."),
        ("involvement", "joint"),
        ("client_consent", "yes"),
        ("website", ""),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    for (name, value) in overrides {
        fields.retain(|(k, _)| k != name);
        if !value.is_empty() || *name == "website" {
            fields.push((name.to_string(), value.to_string()));
        }
    }
    fields.iter().map(|(k, v)| format!("{}={}", encode(k), encode(v))).collect::<Vec<_>>().join("&")
}

/// The same referral as JSON, with `client_consent` a boolean.
pub fn json_body(overrides: &[(&str, &str)]) -> String {
    let form = form_body(overrides);
    let mut object = serde_json::Map::new();
    for (k, v) in url::form_urlencoded::parse(form.as_bytes()) {
        let value = if k == "client_consent" {
            serde_json::Value::Bool(v == "yes")
        } else {
            serde_json::Value::String(v.into_owned())
        };
        object.insert(k.into_owned(), value);
    }
    serde_json::Value::Object(object).to_string()
}

/// A value as a form or a query string carries it.
pub fn encode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

/// A running `portico intake` process on a loopback port, with its log captured.
pub struct IntakeServer {
    pub child: std::process::Child,
    pub address: std::net::SocketAddr,
    log: std::sync::Arc<std::sync::Mutex<String>>,
}

impl IntakeServer {
    /// Starts the real binary with `--root root --db db --listen 127.0.0.1:0` and `args`, and
    /// waits until it listens.
    pub fn start(
        root: &std::path::Path,
        db: &std::path::Path,
        args: &[&str],
        env: &[(&str, &str)],
    ) -> IntakeServer {
        use std::io::BufRead;
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_portico"));
        command
            .args(["intake", "--listen", "127.0.0.1:0", "--root"])
            .arg(root)
            .arg("--db")
            .arg(db)
            .args(args)
            .env("NO_COLOR", "1")
            .env_remove("PORTICO_LOG")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped());
        for (name, value) in env {
            command.env(name, value);
        }
        let mut child = command.spawn().expect("portico starts");
        let stderr = child.stderr.take().unwrap();
        let log = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
        let (found, address) = std::sync::mpsc::channel();
        let sink = std::sync::Arc::clone(&log);
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(rest) = line.split("http://").nth(1)
                    && line.contains("taking referrals on")
                {
                    let _ = found.send(rest.split('/').next().unwrap().parse().unwrap());
                }
                sink.lock().unwrap().push_str(&format!("{line}\n"));
            }
        });
        let address = match address.recv_timeout(std::time::Duration::from_secs(20)) {
            Ok(address) => address,
            Err(_) => {
                let _ = child.kill();
                std::thread::sleep(std::time::Duration::from_millis(200));
                panic!("portico intake did not start:\n{}", log.lock().unwrap());
            }
        };
        IntakeServer { child, address, log }
    }

    /// Everything the server has logged so far.
    pub fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }

    /// Sends SIGTERM and waits for the process to end, returning whether it exited cleanly.
    pub fn terminate(mut self) -> bool {
        let pid = self.child.id().to_string();
        std::process::Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        self.child.wait().unwrap().success()
    }

    /// Kills the process with SIGKILL: no chance to finish anything.
    pub fn kill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    pub fn post_json(&self, body: &str) -> HttpAnswer {
        http(
            self.address,
            "POST",
            "/referrals",
            &[
                ("Origin", ORIGIN),
                ("Content-Type", "application/json"),
                ("Accept", "application/json"),
            ],
            body.as_bytes(),
        )
    }

    pub fn post_form(&self, body: &str) -> HttpAnswer {
        http(
            self.address,
            "POST",
            "/referrals",
            &[("Origin", ORIGIN), ("Content-Type", "application/x-www-form-urlencoded")],
            body.as_bytes(),
        )
    }
}

impl Drop for IntakeServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An HTTP/1.1 answer as read off the socket.
#[derive(Debug)]
pub struct HttpAnswer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl HttpAnswer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|_| panic!("not JSON: {}", self.body))
    }
}

/// One request over a fresh connection, with `Connection: close`. Panics if the server cannot
/// be reached; use [`try_http`] where that is expected.
pub fn http(
    address: std::net::SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> HttpAnswer {
    try_http(address, method, path, headers, body).expect("the server answers")
}

pub fn try_http(
    address: std::net::SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> std::io::Result<HttpAnswer> {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(address)?;
    stream.set_read_timeout(Some(std::time::Duration::from_secs(30)))?;
    let mut request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes())?;
    stream.write_all(body)?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw)?;
    let text = String::from_utf8_lossy(&raw);
    let (head, body) = text
        .split_once("\r\n\r\n")
        .ok_or_else(|| std::io::Error::other(format!("no HTTP answer: {text:?}")))?;
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| std::io::Error::other("no status"))?;
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_string(), v.trim().to_string()))
        .collect();
    Ok(HttpAnswer { status, headers, body: body.to_string() })
}

/// Runs `portico referrals --root root --db db <args>` and returns its output.
pub fn referrals(
    root: &std::path::Path,
    db: &std::path::Path,
    args: &[&str],
) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_portico"))
        .arg("referrals")
        .arg("--root")
        .arg(root)
        .arg("--db")
        .arg(db)
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .unwrap()
}
