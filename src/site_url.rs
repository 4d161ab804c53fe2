//! Base URLs: where a tier's site is served, at a domain root or under a sub-path.
//!
//! Links inside a site are written root-relative with the base path (`/partners/active/icps/`),
//! so they work whatever page they appear on; sitemaps and feeds use absolute URLs.

use std::fmt;

/// An absolute `http(s)` URL split into origin and path; the path always ends with `/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BaseUrl {
    origin: String,
    path: String,
}

impl BaseUrl {
    pub fn parse(text: &str) -> Result<BaseUrl, String> {
        let text = text.trim();
        let rest = text
            .strip_prefix("https://")
            .or_else(|| text.strip_prefix("http://"))
            .ok_or_else(|| format!("`{text}` is not an http or https URL"))?;
        let scheme_len = text.len() - rest.len();
        let (host, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
        if host.is_empty() || host.contains(char::is_whitespace) {
            return Err(format!("`{text}` has no host name"));
        }
        if path.contains(['?', '#', ' ', '"', '<', '>']) {
            return Err(format!("`{text}` must not contain a query, fragment or spaces"));
        }
        let origin = text[..scheme_len + host.len()].to_string();
        Ok(BaseUrl { origin, path: with_slashes(path) })
    }

    /// The URL of a sub-folder, such as a tier's site under the program's base URL.
    pub fn join(&self, folder: &str) -> BaseUrl {
        BaseUrl {
            origin: self.origin.clone(),
            path: with_slashes(&format!("{}{folder}", self.path)),
        }
    }

    /// The web origin browsers send in an `Origin` header for pages of this site, such as
    /// `https://partners.example.com` (host lowercased, default port dropped).
    pub fn web_origin(&self) -> String {
        match url::Url::parse(&self.origin) {
            Ok(url) => url.origin().ascii_serialization(),
            Err(_) => self.origin.to_ascii_lowercase(),
        }
    }

    /// The path under which the site is served, such as `/` or `/partners/active/`.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The root-relative link to a site path such as `icps/saas/` (no leading slash).
    pub fn link(&self, site_path: &str) -> String {
        format!("{}{}", self.path, site_path.trim_start_matches('/'))
    }

    /// The absolute URL of a site path.
    pub fn absolute(&self, site_path: &str) -> String {
        format!("{}{}", self.origin, self.link(site_path))
    }
}

fn with_slashes(path: &str) -> String {
    let trimmed = path.trim_matches('/');
    if trimmed.is_empty() { "/".to_string() } else { format!("/{trimmed}/") }
}

impl fmt::Display for BaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.origin, self.path)
    }
}

/// Decodes `%xx` escapes in a URL path (`my%20file.pdf` → `my file.pdf`).
pub fn percent_decode(path: &str) -> String {
    if !path.contains('%') {
        return path.to_string();
    }
    let bytes = path.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes.get(i + 1..i + 3).and_then(|h| std::str::from_utf8(h).ok());
        match (bytes[i], hex.and_then(|h| u8::from_str_radix(h, 16).ok())) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_and_sub_path_links_have_one_slash_each() {
        let root = BaseUrl::parse("https://p.example").unwrap();
        assert_eq!(root.link("icps/a/"), "/icps/a/");
        let sub = BaseUrl::parse("https://p.example/portal//").unwrap().join("active");
        assert_eq!(sub.link("/icps/a/"), "/portal/active/icps/a/");
        assert_eq!(sub.absolute(""), "https://p.example/portal/active/");
    }

    #[test]
    fn rejects_urls_without_scheme() {
        assert!(BaseUrl::parse("p.example/").is_err());
    }

    #[test]
    fn decodes_spaces() {
        assert_eq!(percent_decode("my%20file.pdf"), "my file.pdf");
    }
}
