//! Browser smoke tests: build the example portal with the real `portico` binary, serve it from a
//! loopback-only static server and drive headless Chromium over the DevTools protocol.
//!
//! They check what only a browser can: every tier's home page shows its tier name without console
//! errors, and the default theme's "Copy email" button puts the plain-text email, placeholders
//! and all, on the clipboard. Without Chromium they print a skip notice and pass, except under
//! `CI=true`, where a missing browser is a failure.
//!
//! The referral form's script and the "referral received" page are checked in
//! [`referral`], against a mock intake on another loopback port; search, per tier, in
//! [`search`]; placeholders filled in once for every template in [`templates`]; video facades
//! and checklists in [`training`]. The browser resolves no host name, so a page can reach
//! nothing but the loopback servers the tests start.
//!
//! Run with `cargo test --test integration browser:: -- --nocapture`.

mod mock_intake;
mod program;
mod referral;
mod search;
mod templates;
mod training;

use std::fs::File;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tempfile::TempDir;
use tungstenite::{Message, WebSocket};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");
/// The longest any single step may take: a build, a browser launch, a page load, a DevTools call.
const STEP_TIMEOUT: Duration = Duration::from_secs(30);
const EMAIL_TIER: &str = "referral-network";
const EMAIL_PAGE: &str = "email-templates/plant-the-seed/";
const EMAIL_PLACEHOLDER: &str = "{{client_first_name}}";

#[test]
fn every_tier_home_page_shows_its_tier_name_without_console_errors() {
    let Some(chromium) = chromium_or_skip() else { return };
    let portal = Portal::build(Path::new(ROOT));
    let program = portico::program::load(&Path::new(ROOT).join("partners.yaml"))
        .unwrap_or_else(|errors| panic!("partners.yaml does not load: {errors:?}"));
    assert!(!program.tiers.is_empty(), "partners.yaml declares no tiers");
    let mut browser = Browser::launch(&chromium);
    let mut tab = browser.open_tab();

    for tier in program.tiers.iter() {
        let url = portal.url(&format!("{}/", tier.id));
        let status = tab.load(&url);
        assert_eq!(status, 200, "{url} answered {status}");
        let shown = tab.eval(&format!("document.body.innerText.includes({})", json!(tier.name)));
        assert_eq!(shown, Ok(json!(true)), "{url} does not show `{}`", tier.name);
        assert_eq!(tab.problems(), Vec::<String>::new(), "{url} logged errors");
    }
}

#[test]
fn copy_email_button_puts_plain_text_with_placeholders_on_clipboard() {
    let Some(chromium) = chromium_or_skip() else { return };
    let portal = Portal::build(Path::new(ROOT));
    let page = format!("{EMAIL_TIER}/{EMAIL_PAGE}");
    let expected = built_email_body(&portal.output.join(&page).join("index.html"));
    assert!(expected.contains(EMAIL_PLACEHOLDER), "built email lacks {EMAIL_PLACEHOLDER}");

    let mut browser = Browser::launch(&chromium);
    browser.grant_clipboard(&portal.origin());
    let mut tab = browser.open_tab();
    let url = portal.url(&page);
    assert_eq!(tab.load(&url), 200, "{url} did not load");

    tab.click_copy_email();
    let status = tab.wait_for_copy_status();
    assert_eq!(status, "Copied to clipboard", "copy did not succeed on {url}");
    // The headless browser keeps its own clipboard, so it can be read back once permission to
    // read it is granted; no fallback is needed.
    let clipboard = tab.eval("navigator.clipboard.readText()").expect("clipboard is readable");
    let clipboard = clipboard.as_str().expect("clipboard holds text");
    assert_eq!(clipboard, expected, "clipboard differs from the built email text");
    assert!(clipboard.contains(EMAIL_PLACEHOLDER), "clipboard lost {EMAIL_PLACEHOLDER}");
    assert_no_markup(clipboard);

    let copied =
        tab.eval(r#"document.querySelector('button[data-copy="body"]').dataset.copiedText"#);
    assert_eq!(copied, Ok(json!(expected)), "button's data-copied-text differs");
    assert_eq!(tab.problems(), Vec::<String>::new(), "{url} logged errors");
}

/// Chromium's path, or `None` after printing why the test is skipped. Under `CI=true` a missing
/// browser fails the test instead, so CI cannot pass by silently skipping.
fn chromium_or_skip() -> Option<PathBuf> {
    let on_path: Vec<PathBuf> = std::env::var_os("PATH")
        .map(|paths| std::env::split_paths(&paths).map(|dir| dir.join("chromium")).collect())
        .unwrap_or_default();
    let found = std::iter::once(PathBuf::from("/usr/bin/chromium"))
        .chain(on_path)
        .find(|path| path.is_file());
    if found.is_none() {
        let ci = std::env::var("CI").is_ok_and(|value| value == "true");
        assert!(!ci, "chromium not installed, and CI=true needs these tests: install `chromium`");
        eprintln!("skipping: chromium not installed (no /usr/bin/chromium, no `chromium` on PATH)");
    }
    found
}

/// A site (the example portal, or a test's own), built into a temp folder and served on a
/// loopback port.
struct Portal {
    output: PathBuf,
    server: LoopbackServer,
    _dir: TempDir,
}

impl Portal {
    fn build(root: &Path) -> Portal {
        // Bind first: the base URL, and so every link in the built pages, needs the port.
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
        let addr = listener.local_addr().expect("listener address");
        let dir = tempfile::tempdir().expect("temp dir");
        let output = dir.path().join("public");
        run_build(root, &output, &["--base-url", &format!("http://{addr}/")]);
        let server = LoopbackServer::serve_folder(listener, output.clone());
        Portal { server, output, _dir: dir }
    }

    fn origin(&self) -> String {
        format!("http://{}", self.server.addr)
    }

    fn url(&self, path: &str) -> String {
        format!("{}/{path}", self.origin())
    }
}

/// Writes fixture files, each path relative to `root`.
fn write_files(root: &Path, files: &[(&str, &str)]) {
    for (path, text) in files {
        let path = root.join(path);
        std::fs::create_dir_all(path.parent().expect("a folder")).expect("the folder");
        std::fs::write(path, text).expect("the fixture file");
    }
}

/// A site with one tier, `active`, in a temporary folder: a home page and `files`.
fn one_tier_site(files: &[(&str, &str)]) -> TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    let partners = "program:\n  name: Test Network\n  base_url: https://partners.example.com/\n  \
                    contact: partners@example.com\ntiers:\n  - id: active\n    name: Active\n";
    let home = "---\ntitle: Home\n---\n";
    write_files(dir.path(), &[("partners.yaml", partners), ("content/_index.md", home)]);
    write_files(dir.path(), files);
    dir
}

/// Runs `portico build` of `root` into `output` with `args`, failing the test with the build's
/// output if it fails.
fn run_build(root: &Path, output: &Path, args: &[&str]) {
    let log_path = output.with_extension("log");
    let log = File::create(&log_path).expect("create build log");
    let mut child = Command::new(env!("CARGO_BIN_EXE_portico"))
        .args(["--color", "never", "build", "--root"])
        .arg(root)
        .arg("--output")
        .arg(output)
        .args(args)
        .stdout(log.try_clone().expect("share build log"))
        .stderr(log)
        .spawn()
        .expect("run portico");
    let status = wait_or_kill(&mut child, "portico build");
    let log = std::fs::read_to_string(&log_path).unwrap_or_default();
    assert!(status.success(), "portico build failed:\n{log}");
}

/// Evaluates `expression` until it gives something other than `null`, `false` or `""`.
fn wait_for(tab: &mut Tab<'_>, expression: &str) -> Value {
    let deadline = Instant::now() + STEP_TIMEOUT;
    loop {
        let value = tab.eval(expression).unwrap_or_else(|e| panic!("{expression}: {e}"));
        if !matches!(&value, Value::Null | Value::Bool(false)) && value != json!("") {
            return value;
        }
        assert!(Instant::now() < deadline, "`{expression}` stayed {value} for {STEP_TIMEOUT:?}");
        thread::sleep(Duration::from_millis(50));
    }
}

fn wait_or_kill(child: &mut Child, what: &str) -> std::process::ExitStatus {
    let deadline = Instant::now() + STEP_TIMEOUT;
    loop {
        if let Some(status) = child.try_wait().expect("poll child") {
            return status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{what} took longer than {STEP_TIMEOUT:?}");
        }
        thread::sleep(Duration::from_millis(20));
    }
}

/// A server on a loopback listener: one thread per connection, each answered by `handle`.
struct LoopbackServer {
    addr: SocketAddr,
    stopping: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl LoopbackServer {
    fn start(
        listener: TcpListener,
        handle: impl Fn(TcpStream) + Clone + Send + 'static,
    ) -> LoopbackServer {
        let addr = listener.local_addr().expect("listener address");
        let stopping = Arc::new(AtomicBool::new(false));
        let stop = Arc::clone(&stopping);
        let thread = thread::spawn(move || {
            for stream in listener.incoming() {
                if stop.load(Ordering::SeqCst) {
                    break;
                }
                let handle = handle.clone();
                if let Ok(stream) = stream {
                    thread::spawn(move || handle(stream));
                }
            }
        });
        LoopbackServer { addr, stopping, thread: Some(thread) }
    }

    /// A static file server for one folder: GET only, `index.html` for folder paths,
    /// `Connection: close` on every answer.
    fn serve_folder(listener: TcpListener, root: PathBuf) -> LoopbackServer {
        LoopbackServer::start(listener, move |stream| serve_connection(stream, &root))
    }
}

impl Drop for LoopbackServer {
    fn drop(&mut self) {
        self.stopping.store(true, Ordering::SeqCst);
        // `accept` only returns on a connection, so make one to let the loop see the flag.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn serve_connection(mut stream: TcpStream, root: &Path) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let _ = stream.set_write_timeout(Some(Duration::from_secs(5)));
    let Some((method, target)) = read_request_head(&stream) else { return };
    let response = if method != "GET" {
        http_response("405 Method Not Allowed", "text/plain", b"GET only\n".to_vec())
    } else {
        match resolve(root, &target).and_then(|path| std::fs::read(&path).ok().map(|b| (path, b))) {
            Some((path, body)) => http_response("200 OK", content_type(&path), body),
            None => http_response("404 Not Found", "text/plain", b"not found\n".to_vec()),
        }
    };
    let _ = stream.write_all(&response);
}

/// The method and target of a request, after reading (and ignoring) its headers.
fn read_request_head(stream: &TcpStream) -> Option<(String, String)> {
    let mut reader = BufReader::new(stream);
    let mut request_line = String::new();
    reader.read_line(&mut request_line).ok()?;
    let mut parts = request_line.split_whitespace();
    let (method, target) = (parts.next()?.to_owned(), parts.next()?.to_owned());
    let mut header = String::new();
    while reader.read_line(&mut header).ok()? > 0 && header.trim_end() != "" {
        header.clear();
    }
    Some((method, target))
}

/// The file a request target names inside `root`, refusing anything that could climb out of it.
fn resolve(root: &Path, target: &str) -> Option<PathBuf> {
    let path = target.split(['?', '#']).next()?;
    let relative = path.strip_prefix('/')?;
    if relative.split('/').any(|segment| segment == ".." || segment.contains('\\')) {
        return None;
    }
    let file = root.join(relative);
    let file = if file.is_dir() { file.join("index.html") } else { file };
    file.is_file().then_some(file)
}

fn content_type(path: &Path) -> &'static str {
    match path.extension().and_then(|ext| ext.to_str()) {
        Some("html") => "text/html; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("xml") => "application/xml",
        Some("txt") => "text/plain; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("json") => "application/json",
        Some("png") => "image/png",
        Some("jpg" | "jpeg") => "image/jpeg",
        _ => "application/octet-stream",
    }
}

fn http_response(status: &str, content_type: &str, body: Vec<u8>) -> Vec<u8> {
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n",
        body.len()
    );
    [head.into_bytes(), body].concat()
}

/// The text of the email's `data-copy-source="body"` element in a built page, decoded the way
/// an HTML parser would: the placeholders' spans dropped, entities resolved, one newline right
/// after the start tag dropped.
fn built_email_body(page: &Path) -> String {
    let html = std::fs::read_to_string(page)
        .unwrap_or_else(|err| panic!("read `{}`: {err}", page.display()));
    let attribute = html.find(r#"data-copy-source="body""#).expect("page has an email body");
    let tag_start = html[..attribute].rfind('<').expect("attribute inside a tag");
    assert!(html[tag_start..].starts_with("<pre"), "email body source is not a pre");
    let content_start = attribute + html[attribute..].find('>').expect("tag closes") + 1;
    let content_end = content_start + html[content_start..].find("</pre>").expect("pre closes");
    let raw = &html[content_start..content_end];
    let raw = raw.strip_prefix('\n').unwrap_or(raw);
    let mut text = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(open) = rest.find('<') {
        text.push_str(&rest[..open]);
        let tag = &rest[open..rest[open..].find('>').map_or(rest.len(), |end| open + end + 1)];
        assert!(tag.starts_with("<span") || tag == "</span>", "unexpected markup {tag}");
        rest = &rest[open + tag.len()..];
    }
    text.push_str(rest);
    decode_entities(&text)
}

/// Resolves the character references a template engine's HTML escaping produces.
fn decode_entities(text: &str) -> String {
    let mut decoded = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(amp) = rest.find('&') {
        decoded.push_str(&rest[..amp]);
        let reference = &rest[amp + 1..];
        let end = reference.find(';').filter(|&end| end <= 10);
        let Some(end) = end else {
            decoded.push('&');
            rest = reference;
            continue;
        };
        let name = &reference[..end];
        let ch = match name {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            _ => name
                .strip_prefix("#x")
                .or_else(|| name.strip_prefix("#X"))
                .map(|hex| u32::from_str_radix(hex, 16))
                .or_else(|| name.strip_prefix('#').map(str::parse))
                .and_then(Result::ok)
                .and_then(char::from_u32),
        };
        let ch = ch.unwrap_or_else(|| panic!("unexpected character reference `&{name};`"));
        decoded.push(ch);
        rest = &reference[end + 1..];
    }
    decoded.push_str(rest);
    decoded
}

/// Fails if `text` still holds HTML: a tag or an unresolved character reference.
fn assert_no_markup(text: &str) {
    for (at, _) in text.match_indices('<') {
        let next = text[at + 1..].chars().next();
        let is_tag = next.is_some_and(|c| c.is_ascii_alphabetic() || c == '/' || c == '!');
        assert!(!is_tag, "clipboard holds an HTML tag: {:?}", &text[at..]);
    }
    for (at, _) in text.match_indices('&') {
        let reference = text[at + 1..].split(';').next().unwrap_or("");
        let is_reference = text[at + 1..].contains(';')
            && !reference.is_empty()
            && reference.len() <= 10
            && reference.chars().all(|c| c.is_ascii_alphanumeric() || c == '#');
        assert!(!is_reference, "clipboard holds an HTML character reference: &{reference};");
    }
}

/// Headless Chromium with a throwaway profile, driven over one DevTools websocket. Dropping it
/// closes the browser, and kills it if it does not close in time.
struct Browser {
    child: Child,
    devtools: DevTools,
    _profile: TempDir,
}

impl Browser {
    fn launch(chromium: &Path) -> Browser {
        let profile = tempfile::tempdir().expect("temp profile dir");
        let mut child = Command::new(chromium)
            .args(["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic"])
            .args(["--no-first-run", "--disable-background-networking"])
            .args(["--disable-component-update", "--disable-sync"])
            // No name resolves: whatever a page links to, the browser reaches only loopback.
            .arg("--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1")
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .args(["--remote-debugging-port=0", "about:blank"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start chromium");
        let stderr = child.stderr.take().expect("chromium stderr");
        let (log, endpoint) = watch_stderr(stderr);
        let Ok(endpoint) = endpoint.recv_timeout(STEP_TIMEOUT) else {
            let _ = child.kill();
            let _ = child.wait();
            let log = log.lock().map(|lines| lines.join("\n")).unwrap_or_default();
            panic!("chromium printed no DevTools endpoint within {STEP_TIMEOUT:?}:\n{log}");
        };
        Browser { devtools: DevTools::connect(&endpoint), child, _profile: profile }
    }

    fn grant_clipboard(&mut self, origin: &str) {
        let permissions = ["clipboardReadWrite", "clipboardSanitizedWrite"];
        let params = json!({ "permissions": permissions, "origin": origin });
        self.devtools.call(None, "Browser.grantPermissions", params);
    }

    fn open_tab(&mut self) -> Tab<'_> {
        let target =
            self.devtools.call(None, "Target.createTarget", json!({ "url": "about:blank" }));
        let params = json!({ "targetId": target["targetId"], "flatten": true });
        let attached = self.devtools.call(None, "Target.attachToTarget", params);
        let session = attached["sessionId"].as_str().expect("session id").to_owned();
        for domain in ["Page", "Runtime", "Log", "Network"] {
            self.devtools.call(Some(&session), &format!("{domain}.enable"), json!({}));
        }
        Tab { devtools: &mut self.devtools, session }
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.devtools.send(None, "Browser.close", json!({}));
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Reads Chromium's stderr on a thread for as long as it runs (a full pipe would stall the
/// browser), keeping every line for error messages and sending on the DevTools endpoint.
fn watch_stderr(
    stderr: impl Read + Send + 'static,
) -> (Arc<Mutex<Vec<String>>>, mpsc::Receiver<String>) {
    let log = Arc::new(Mutex::new(Vec::new()));
    let lines = Arc::clone(&log);
    let (sender, endpoint) = mpsc::channel();
    thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if let Some(url) = line.strip_prefix("DevTools listening on ") {
                let _ = sender.send(url.trim().to_owned());
            }
            if let Ok(mut lines) = lines.lock() {
                lines.push(line);
            }
        }
    });
    (log, endpoint)
}

/// One page of the browser, attached through a flattened DevTools session.
struct Tab<'b> {
    devtools: &'b mut DevTools,
    session: String,
}

impl Tab<'_> {
    /// Navigates to `url`, waits for its load event and returns the document's HTTP status.
    fn load(&mut self, url: &str) -> u64 {
        self.devtools.events.retain(|event| event["sessionId"] != self.session.as_str());
        let navigated = self.call("Page.navigate", json!({ "url": url }));
        if let Some(error) = navigated["errorText"].as_str() {
            panic!("navigating to {url} failed: {error}");
        }
        self.devtools.wait_for_event(&self.session, "Page.loadEventFired");
        let document = self
            .events("Network.responseReceived")
            .into_iter()
            .find(|params| params["type"] == "Document" && params["response"]["url"] == url);
        let document = document.unwrap_or_else(|| panic!("no document response for {url}"));
        document["response"]["status"].as_u64().expect("status is a number")
    }

    /// Evaluates `expression` in the page, awaiting it if it is a promise.
    fn eval(&mut self, expression: &str) -> Result<Value, String> {
        let params =
            json!({ "expression": expression, "returnByValue": true, "awaitPromise": true });
        let result = self.call("Runtime.evaluate", params);
        match result.get("exceptionDetails") {
            Some(details) => Err(describe_exception(details)),
            None => Ok(result["result"]["value"].clone()),
        }
    }

    /// Clicks the "Copy email" button with real mouse events, as a person would.
    fn click_copy_email(&mut self) {
        let target = self
            .eval(
                r#"(() => {
                    const button = document.querySelector('button[data-copy="body"]');
                    if (!button) return null;
                    button.scrollIntoView({ block: "center" });
                    const box = button.getBoundingClientRect();
                    const x = box.x + box.width / 2, y = box.y + box.height / 2;
                    return { hidden: button.hidden, width: box.width, x, y,
                             onTop: document.elementFromPoint(x, y) === button };
                })()"#,
            )
            .expect("locate the copy button");
        assert!(target.is_object(), "page has no button[data-copy=\"body\"]");
        assert_eq!(target["hidden"], false, "copy button still hidden: portico.js did not run");
        assert!(target["width"].as_f64() > Some(0.0), "copy button has no size");
        assert_eq!(target["onTop"], true, "something covers the copy button");
        for kind in ["mousePressed", "mouseReleased"] {
            let params = json!({ "type": kind, "x": target["x"], "y": target["y"],
                                 "button": "left", "clickCount": 1 });
            self.call("Input.dispatchMouseEvent", params);
        }
    }

    /// Waits for the theme's script to report the copy's outcome in `.copy-status`.
    fn wait_for_copy_status(&mut self) -> String {
        let deadline = Instant::now() + STEP_TIMEOUT;
        loop {
            let status = self.eval("document.querySelector('.copy-status').textContent");
            let status = status.expect("read .copy-status");
            let status = status.as_str().unwrap_or("");
            if !status.is_empty() {
                return status.to_owned();
            }
            assert!(Instant::now() < deadline, "no copy status within {STEP_TIMEOUT:?}");
            thread::sleep(Duration::from_millis(50));
        }
    }

    /// Uncaught exceptions, `console.error` calls and browser-logged errors (failed loads,
    /// blocked requests) since the last page load.
    fn problems(&mut self) -> Vec<String> {
        // A round trip makes sure every event sent before it has been read.
        self.call("Runtime.evaluate", json!({ "expression": "0" }));
        let mut problems = Vec::new();
        for params in self.events("Runtime.exceptionThrown") {
            problems
                .push(format!("exception: {}", describe_exception(&params["exceptionDetails"])));
        }
        for params in self.events("Runtime.consoleAPICalled") {
            let kind = params["type"].as_str().unwrap_or_default();
            if kind == "error" || kind == "assert" {
                let args = params["args"].as_array().into_iter().flatten();
                let args: Vec<String> = args.map(describe_console_arg).collect();
                problems.push(format!("console.{kind}: {}", args.join(" ")));
            }
        }
        for params in self.events("Log.entryAdded") {
            let entry = &params["entry"];
            if entry["level"] == "error" {
                problems.push(format!("log: {} ({})", entry["text"], entry["url"]));
            }
        }
        problems
    }

    fn events(&self, method: &str) -> Vec<Value> {
        let events = self.devtools.events.iter();
        events
            .filter(|event| {
                event["sessionId"] == self.session.as_str() && event["method"] == method
            })
            .map(|event| event["params"].clone())
            .collect()
    }

    fn call(&mut self, method: &str, params: Value) -> Value {
        self.devtools.call(Some(&self.session), method, params)
    }
}

fn describe_console_arg(arg: &Value) -> String {
    match (&arg["value"], arg["description"].as_str()) {
        (Value::String(text), _) => text.clone(),
        (_, Some(description)) => description.to_owned(),
        (value, None) => value.to_string(),
    }
}

fn describe_exception(details: &Value) -> String {
    let description = &details["exception"]["description"];
    description.as_str().or_else(|| details["text"].as_str()).unwrap_or("unknown").to_owned()
}

/// A DevTools protocol client on the browser's websocket: numbered calls, and every event that
/// arrives meanwhile kept for later inspection.
struct DevTools {
    socket: WebSocket<TcpStream>,
    next_id: u64,
    events: Vec<Value>,
}

impl DevTools {
    fn connect(endpoint: &str) -> DevTools {
        let host = endpoint
            .strip_prefix("ws://")
            .and_then(|rest| rest.split('/').next())
            .unwrap_or_else(|| panic!("unexpected DevTools endpoint {endpoint}"));
        let addr: SocketAddr = host.parse().expect("DevTools endpoint is host:port");
        let stream = TcpStream::connect_timeout(&addr, STEP_TIMEOUT).expect("reach DevTools");
        stream.set_read_timeout(Some(STEP_TIMEOUT)).expect("set read timeout");
        stream.set_write_timeout(Some(STEP_TIMEOUT)).expect("set write timeout");
        let (socket, _) = tungstenite::client(endpoint, stream)
            .unwrap_or_else(|err| panic!("DevTools handshake with {endpoint} failed: {err}"));
        DevTools { socket, next_id: 1, events: Vec::new() }
    }

    /// Sends a command and returns its result, failing the test on a protocol error.
    fn call(&mut self, session: Option<&str>, method: &str, params: Value) -> Value {
        let id = self.send(session, method, params).unwrap_or_else(|err| panic!("{err}"));
        let deadline = Instant::now() + STEP_TIMEOUT;
        loop {
            let message = self.receive(deadline, method);
            if message["id"] != id {
                self.events.push(message);
            } else if let Some(error) = message.get("error") {
                panic!("{method} failed: {error}");
            } else {
                return message["result"].clone();
            }
        }
    }

    fn send(&mut self, session: Option<&str>, method: &str, params: Value) -> Result<u64, String> {
        let id = self.next_id;
        self.next_id += 1;
        let mut command = json!({ "id": id, "method": method, "params": params });
        if let Some(session) = session {
            command["sessionId"] = json!(session);
        }
        let text = Message::text(command.to_string());
        self.socket.send(text).map_err(|err| format!("sending {method} failed: {err}"))?;
        Ok(id)
    }

    /// Returns the params of the first `method` event for `session`, reading until it arrives.
    fn wait_for_event(&mut self, session: &str, method: &str) -> Value {
        let deadline = Instant::now() + STEP_TIMEOUT;
        let matches = |event: &Value| event["sessionId"] == session && event["method"] == method;
        if let Some(event) = self.events.iter().find(|event| matches(event)) {
            return event["params"].clone();
        }
        loop {
            let message = self.receive(deadline, method);
            let found = matches(&message);
            self.events.push(message);
            if found {
                return self.events.last().map(|event| event["params"].clone()).unwrap_or_default();
            }
        }
    }

    fn receive(&mut self, deadline: Instant, waiting_for: &str) -> Value {
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            assert!(!left.is_zero(), "no answer to {waiting_for} within {STEP_TIMEOUT:?}");
            self.socket.get_mut().set_read_timeout(Some(left)).expect("set read timeout");
            let message = self
                .socket
                .read()
                .unwrap_or_else(|err| panic!("waiting for {waiting_for} failed: {err}"));
            if let Message::Text(text) = message {
                return serde_json::from_str(&text).expect("DevTools sends JSON");
            }
        }
    }
}
