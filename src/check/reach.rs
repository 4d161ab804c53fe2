//! Pages that nothing reaches: no listing, navigation or link in the tier's rendered site leads
//! to them. Found by following the links of what the tier actually renders, so a theme or a
//! section template that leaves pages out of its listings is caught too.

use std::collections::{HashMap, HashSet, VecDeque};
use std::path::PathBuf;

use crate::output::Contents;
use crate::render::{TierOutput, TierView};

/// The visible pages of the tier that no page reachable from its home page links to.
pub fn unreachable_pages(view: &TierView<'_>, output: &TierOutput) -> Vec<usize> {
    let html: HashMap<&str, &[u8]> = output
        .files
        .iter()
        .filter(|f| f.path.ends_with(".html"))
        .filter_map(|f| match &f.contents {
            Contents::Bytes(bytes) => Some((f.path.as_str(), &bytes[..])),
            Contents::Copy(_) => None,
        })
        .collect();
    let base = view.base.path();
    let mut reached: HashSet<String> = HashSet::new();
    let mut queue = VecDeque::from(["index.html".to_string()]);
    while let Some(path) = queue.pop_front() {
        if !reached.insert(path.clone()) {
            continue;
        }
        let Some(bytes) = html.get(path.as_str()) else { continue };
        for href in hrefs(&String::from_utf8_lossy(bytes)) {
            if let Some(target) = output_file(&href, base, &path)
                && html.contains_key(target.as_str())
                && !reached.contains(&target)
            {
                queue.push_back(target);
            }
        }
    }
    view.pages()
        .filter(|&p| !reached.contains(&format!("{}index.html", view.site.pages[p].path)))
        .collect()
}

/// The values of every `href="…"` in a page.
fn hrefs(html: &str) -> Vec<String> {
    html.split("href=\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .map(|href| href.replace("&amp;", "&"))
        .collect()
}

/// The output file a link on `from` leads to, when it stays inside the tier's site.
fn output_file(href: &str, base: &str, from: &str) -> Option<String> {
    let href = href.split(['#', '?']).next()?;
    if href.contains("://")
        || href.starts_with("//")
        || href.contains(':') && !href.starts_with('/')
    {
        return None;
    }
    let site_path = match href.strip_prefix('/') {
        Some(_) => href.strip_prefix(base)?.to_string(),
        None => {
            let folder = PathBuf::from(from)
                .parent()
                .map(|p| p.to_string_lossy().into_owned())
                .unwrap_or_default();
            let joined =
                if folder.is_empty() { href.to_string() } else { format!("{folder}/{href}") };
            normalize(&joined)?
        }
    };
    let site_path = crate::site_url::percent_decode(&site_path);
    if site_path.is_empty() || site_path.ends_with('/') {
        Some(format!("{site_path}index.html"))
    } else {
        Some(site_path)
    }
}

fn normalize(path: &str) -> Option<String> {
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "." | "" => {}
            ".." => {
                parts.pop()?;
            }
            other => parts.push(other),
        }
    }
    let trailing = if path.ends_with('/') && !parts.is_empty() { "/" } else { "" };
    Some(format!("{}{trailing}", parts.join("/")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn follows_root_relative_and_relative_links_inside_the_site() {
        assert_eq!(output_file("/p/a/", "/p/", "index.html").as_deref(), Some("a/index.html"));
        assert_eq!(output_file("/p/", "/p/", "a/index.html").as_deref(), Some("index.html"));
        assert_eq!(output_file("../b/#x", "/", "a/index.html").as_deref(), Some("b/index.html"));
        assert_eq!(output_file("/q/a/", "/p/", "index.html"), None);
        assert_eq!(output_file("https://x.example/", "/", "index.html"), None);
        assert_eq!(output_file("mailto:a@b.example", "/", "index.html"), None);
    }
}
