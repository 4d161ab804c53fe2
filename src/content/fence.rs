//! The `---` fences around front matter: where a markdown file's YAML block starts and ends,
//! and where its body begins. A file whose front matter is misplaced or half-written (no opening
//! fence, a look-alike fence, text above it, TOML) is an error rather than plain markdown, so a
//! page's `tier` is never silently ignored.

use std::path::Path;

use super::front_matter::KNOWN_KEYS;
use crate::diagnostic::{Diagnostic, Position};

/// A markdown file cut into its front matter and its body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Split<'a> {
    /// The YAML between the fences, or `None` when the file has no front matter.
    pub yaml: Option<&'a str>,
    /// The markdown after the closing fence.
    pub body: &'a str,
    /// Byte offset of the body in the file (without the BOM).
    pub body_offset: usize,
    /// Lines before the YAML (1 for the opening fence).
    pub yaml_line_offset: usize,
}

/// Cuts `text` (BOM already removed) at its `---` fences.
pub fn split<'a>(path: &Path, text: &'a str) -> Result<Split<'a>, Diagnostic> {
    let mut lines = line_spans(text);
    let Some((_, first_end, first)) = lines.next() else {
        return Ok(Split { yaml: None, body: text, body_offset: 0, yaml_line_offset: 0 });
    };
    if first.trim_end() != "---" {
        return no_front_matter(path, text);
    }
    for (start, end, line) in lines {
        if line.trim_end() == "---" {
            return Ok(Split {
                yaml: Some(&text[first_end..start]),
                body: &text[end..],
                body_offset: end,
                yaml_line_offset: 1,
            });
        }
    }
    Err(Diagnostic::error(path, "front matter is never closed")
        .at(text, Position::new(1, 1))
        .with_help("add a line with just `---` after the last front-matter line"))
}

/// A file without an opening fence on its first line is plain markdown, unless front matter
/// plainly sits somewhere near the top: then the author forgot the opening fence, put something
/// before it, or wrote TOML. Publishing such a file as markdown would ignore its `tier`, so
/// these are errors, never guesses.
fn no_front_matter<'a>(path: &Path, text: &'a str) -> Result<Split<'a>, Diagnostic> {
    let plain = Split { yaml: None, body: text, body_offset: 0, yaml_line_offset: 0 };
    let lines: Vec<&str> = text.lines().take(FRONT_MATTER_SEARCH_LINES).collect();
    let error = |line: usize, message: &str, help: &str| {
        Err(Diagnostic::error(path, message).at(text, Position::new(line, 1)).with_help(help))
    };
    if lines.first().is_some_and(|l| l.trim_end() == "+++") {
        return error(
            1,
            "TOML front matter is not supported",
            "write the front matter as YAML between `---` lines",
        );
    }
    let invisible = |c: char| {
        c.is_whitespace() || matches!(c, '\u{200b}'..='\u{200d}' | '\u{2060}' | '\u{feff}')
    };
    let first = lines.first().map_or("", |l| l.trim_matches(invisible));
    if first.chars().count() >= 3 && first.chars().all(|c| matches!(c, '-' | '–' | '—')) {
        return error(
            1,
            "the first line looks like a front-matter fence but is not exactly `---`",
            "make the first line exactly three hyphens, `---`, with nothing before or after them",
        );
    }
    let has_fence = lines.iter().any(|l| l.trim_end() == "---");
    if has_fence && lines.first().is_some_and(|l| is_known_key_line(l)) {
        return error(
            1,
            "front matter has no opening `---`",
            "add a line with just `---` before the first front-matter line",
        );
    }
    let misplaced =
        lines.windows(2).position(|pair| pair[0].trim_end() == "---" && is_known_key_line(pair[1]));
    match misplaced {
        Some(index) => error(
            index + 1,
            "front matter must start on the first line of the file",
            "move the `---` block to the very top, before any blank line, comment or text",
        ),
        None => Ok(plain),
    }
}

/// How far down a file misplaced front matter is looked for.
const FRONT_MATTER_SEARCH_LINES: usize = 30;

/// A line such as `tier: active`, with a key front matter knows.
fn is_known_key_line(line: &str) -> bool {
    line.split_once(':')
        .is_some_and(|(key, _)| KNOWN_KEYS.contains(&key.trim().to_lowercase().as_str()))
}

/// Lines with their byte range, the range including the line ending.
fn line_spans(text: &str) -> impl Iterator<Item = (usize, usize, &str)> {
    let mut start = 0;
    std::iter::from_fn(move || {
        if start >= text.len() {
            return None;
        }
        let end = text[start..].find('\n').map_or(text.len(), |i| start + i + 1);
        let line = text[start..end].trim_end_matches(['\n', '\r']);
        let span = (start, end, line);
        start = end;
        Some(span)
    })
}
