//! Aliases: old URLs of a page or section, each answered by a small page that redirects to it.
//!
//! An alias is checked twice. On its own, while front matter is read ([`read`]): it must be a
//! path on this site, without a scheme, `..`, query or fragment. Against every other URL once
//! the tree is assembled ([`check`]): it may not take a page's or section's URL, another alias,
//! a folder the build fills itself, or a folder that fewer tiers may see than its page.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde_json::Value;
use serde_saphyr::Spanned;

use super::display_path;
use super::tree::RESERVED;
use crate::diagnostic::{Diagnostic, Position};
use crate::tier::Gate;
use crate::yaml::Fragment;

/// An old URL of a page or section, as a site path such as `old/path/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alias {
    pub path: String,
    /// Where the alias is written in its file.
    pub position: Position,
}

/// Files the build writes at the top of every tier's site: an alias inside one of them would
/// need a folder where the file is.
const BUILD_FILES: &[&str] = &["404.html", "robots.txt", "sitemap.xml", "feed.xml"];

/// Reads an alias as written (`/old/path/`, `old/path`) into a site path (`old/path/`), or
/// says what is wrong with it: the message and the help.
fn parse(written: &str) -> Result<String, (String, String)> {
    let text = written.trim();
    let problem = |message: String, help: &str| Err((message, help.to_string()));
    let root_path = "write the old path from the site root, such as `/news/old-title/`";
    if text.trim_matches('/').is_empty() {
        return problem("an alias must name a path below the site root".into(), root_path);
    }
    if has_scheme(text) || text.starts_with("//") {
        let help = "an alias is a path on this site: keep only the path, such as `/old/path/`";
        return problem(format!("`{text}` is a full address, not a site path"), help);
    }
    if text.contains(['?', '#']) {
        let help = "remove everything from the `?` or `#` on";
        return problem(format!("`{text}` has a query or fragment, which an alias cannot"), help);
    }
    let segments: Vec<&str> = text.split('/').filter(|s| !s.is_empty()).collect();
    if segments.iter().any(|s| *s == ".." || *s == ".") {
        return problem(format!("`{text}` has a `.` or `..` segment"), root_path);
    }
    if let Some(c) = text.chars().find(|&c| !allowed(c)) {
        let help = "use letters, digits, `-`, `_`, `.`, `~` and `/` only";
        return problem(format!("`{text}` has the character `{}`, which an alias cannot", c), help);
    }
    if segments.iter().any(|s| s.starts_with('.')) {
        let help = "static hosts hide folders whose name starts with `.`; rename the segment";
        return problem(format!("`{text}` has a segment starting with `.`"), help);
    }
    Ok(format!("{}/", segments.join("/")))
}

/// Reads the items of an `aliases` value, pointing each problem at its item.
pub(super) fn read(
    fragment: &Fragment<'_>,
    value: &Spanned<Value>,
    items: Vec<String>,
) -> (Vec<Alias>, Vec<Diagnostic>) {
    let list = fragment.position(&value.referenced);
    // Items lose their own positions once read as a list: find each one's text after the one
    // before it, so an error points at the item rather than at the list.
    let yaml = fragment.yaml;
    let mut from = value.referenced.span().byte_offset().map_or(yaml.len(), |o| o as usize);
    let (mut aliases, mut problems) = (Vec::with_capacity(items.len()), Vec::new());
    for item in items {
        let found = yaml.get(from..).and_then(|rest| rest.find(item.as_str()));
        let position = match found.filter(|_| !item.trim().is_empty()) {
            Some(at) => {
                from += at;
                // A quoted item is pointed at by its opening quote, like other values.
                let quoted = yaml[..from].ends_with(['"', '\'']);
                let inside = Position::of_offset(yaml, from - usize::from(quoted));
                from += item.len();
                Position::new(inside.line + fragment.line_offset, inside.column)
            }
            None => list,
        };
        match parse(&item) {
            Ok(path) => aliases.push(Alias { path, position }),
            Err((message, help)) => problems.push(
                Diagnostic::error(fragment.path, message)
                    .at(fragment.file_text, position)
                    .with_help(help),
            ),
        }
    }
    (aliases, problems)
}

/// `mailto:`, `https:`…: a letter, then letters, digits, `+`, `-` or `.`, then a colon.
fn has_scheme(text: &str) -> bool {
    let Some((scheme, _)) = text.split_once(':') else { return false };
    let mut chars = scheme.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
}

fn allowed(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '-' | '_' | '.' | '~' | '/')
}

/// A page's or section's URL, or an alias, with the file that claims it.
struct Claim<'a> {
    file: PathBuf,
    gate: Gate,
    /// Set for an alias.
    alias: Option<&'a Alias>,
}

/// Reports every alias that takes a URL already claimed, or would publish a folder name to
/// tiers that may not see it.
pub(super) fn check(site: &super::Site, content_dir: &Path, problems: &mut Vec<Diagnostic>) {
    // Keyed in lowercase: paths that differ only in case are one file on some file systems.
    let mut claimed: HashMap<String, Claim<'_>> = HashMap::new();
    let pages = site.pages.iter().map(|p| (&p.path, p.file.clone(), p.gate));
    let sections = site
        .sections
        .iter()
        .map(|s| (&s.path, s.file.clone().unwrap_or_else(|| s.dir.clone()), s.gate));
    for (path, file, gate) in pages.chain(sections) {
        claimed.entry(path.to_lowercase()).or_insert(Claim { file, gate, alias: None });
    }
    let owners = site.pages.iter().map(|p| (&p.meta, Some(&p.file), p.gate, &p.source));
    let owners =
        owners.chain(site.sections.iter().map(|s| (&s.meta, s.file.as_ref(), s.gate, &s.source)));
    for (meta, file, gate, source) in owners {
        let Some(file) = file else { continue };
        let display = display_path(content_dir, file);
        for alias in &meta.aliases {
            let error = |message: String, help: &str| {
                Diagnostic::error(&display, message)
                    .at(&source.text, alias.position)
                    .with_help(help.to_string())
            };
            let problem = taken(alias, file, &claimed, content_dir, &error)
                .or_else(|| inside_stricter(alias, gate, &claimed, content_dir, &error));
            if let Some(problem) = problem {
                problems.push(problem);
                continue;
            }
            let claim = Claim { file: file.clone(), gate, alias: Some(alias) };
            claimed.insert(alias.path.to_lowercase(), claim);
        }
    }
}

type Error<'e> = dyn Fn(String, &str) -> Diagnostic + 'e;

/// The problem with an alias whose URL the build, its own file or another file already uses.
fn taken(
    alias: &Alias,
    file: &Path,
    claimed: &HashMap<String, Claim<'_>>,
    content_dir: &Path,
    error: &Error<'_>,
) -> Option<Diagnostic> {
    let path = &alias.path;
    let first = path.split('/').next().unwrap_or_default();
    if let Some((folder, owner)) = RESERVED.iter().find(|(folder, _)| *folder == first) {
        let message = format!("the alias `/{path}` is inside `/{folder}/`, taken by {owner}");
        return Some(error(message, "choose an alias outside that folder"));
    }
    if BUILD_FILES.contains(&first) {
        let message =
            format!("the alias `/{path}` needs a folder where the build writes `{first}`");
        return Some(error(message, "choose another alias"));
    }
    let claim = claimed.get(&path.to_lowercase())?;
    let other = display_path(content_dir, &claim.file);
    let other = other.display();
    let same_file = claim.file == file;
    Some(match claim.alias {
        None if same_file => {
            error(format!("the alias `/{path}` is this file's own URL"), "remove the alias")
        }
        None => error(
            format!("the alias `/{path}` is the URL of `{other}`"),
            "remove the alias, or give one of them another name or `slug`",
        ),
        Some(first) if same_file => error(
            format!("the alias `/{path}` is listed twice (first on line {})", first.position.line),
            "remove one of them",
        ),
        Some(first) => error(
            format!(
                "the alias `/{path}` is also an alias of `{other}` (line {})",
                first.position.line
            ),
            "keep the alias on one page only",
        ),
    })
}

/// The problem with an alias inside the URL folder of a page or section that fewer tiers may
/// see: the redirect would show that folder's name to tiers that cannot see it.
fn inside_stricter(
    alias: &Alias,
    gate: Gate,
    claimed: &HashMap<String, Claim<'_>>,
    content_dir: &Path,
    error: &Error<'_>,
) -> Option<Diagnostic> {
    let path = alias.path.to_lowercase();
    let (folder, claim) = path
        .match_indices('/')
        .map(|(at, _)| &path[..=at])
        .filter(|folder| folder.len() < path.len())
        .find_map(|folder| {
            claimed.get(folder).filter(|c| gate.is_looser_than(c.gate)).map(|c| (folder, c))
        })?;
    let other = display_path(content_dir, &claim.file);
    Some(error(
        format!(
            "the alias `/{}` is inside `/{folder}` (`{}`), which fewer tiers may see than this \
             page",
            alias.path,
            other.display()
        ),
        "choose an alias outside that folder",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn site_paths_are_written_from_the_root_with_one_slash_each() {
        assert_eq!(parse("/old/path/"), Ok("old/path/".to_string()));
        assert_eq!(parse("old//path"), Ok("old/path/".to_string()));
        assert_eq!(parse("2019"), Ok("2019/".to_string()));
    }

    #[test]
    fn rejects_what_is_not_a_site_path() {
        for alias in [
            "",
            "/",
            "https://a.example/x",
            "mailto:a@b",
            "//a.example/x",
            "/a?b",
            "/a#b",
            "/a/../b",
            "./a",
            "/a b/",
            "/a\\b",
            "/.git/",
        ] {
            assert!(parse(alias).is_err(), "accepted {alias:?}");
        }
    }
}
