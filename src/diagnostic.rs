//! Problems found in a user's files, with the position and advice needed to fix them.
//!
//! Every phase that reads `partners.yaml` or `content/` reports through [`Diagnostic`], so the
//! CLI prints them the same way: `path:line:col: message`, the offending source line with a
//! caret under the column, and a `help:` line saying what to do.

use std::fmt;
use std::path::{Path, PathBuf};

/// How bad a problem is: errors stop the build, warnings are printed and the build goes on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Error,
    Warning,
}

/// A position in a file: 1-based line and column (columns count characters).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Position {
    pub line: usize,
    pub column: usize,
}

impl Position {
    pub fn new(line: usize, column: usize) -> Self {
        Position { line, column }
    }

    /// The position of byte `offset` in `text`.
    pub fn of_offset(text: &str, offset: usize) -> Self {
        let offset = offset.min(text.len());
        let before = &text[..floor_char_boundary(text, offset)];
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let line = before.matches('\n').count() + 1;
        let column = before[line_start..].chars().count() + 1;
        Position { line, column }
    }
}

/// Where each line of a text starts, for turning many offsets into positions without scanning
/// the text once per offset.
pub struct LineIndex<'a> {
    text: &'a str,
    starts: Vec<usize>,
}

impl<'a> LineIndex<'a> {
    pub fn new(text: &'a str) -> Self {
        let starts =
            std::iter::once(0).chain(text.match_indices('\n').map(|(i, _)| i + 1)).collect();
        LineIndex { text, starts }
    }

    /// The position of byte `offset`.
    pub fn position(&self, offset: usize) -> Position {
        let offset = floor_char_boundary(self.text, offset.min(self.text.len()));
        let line = self.starts.partition_point(|&start| start <= offset);
        let start = self.starts[line - 1];
        Position { line, column: self.text[start..offset].chars().count() + 1 }
    }

    /// An error or warning at byte `offset`, showing its line.
    pub fn locate(&self, diagnostic: Diagnostic, offset: usize) -> Diagnostic {
        let position = self.position(offset);
        let start = self.starts[position.line - 1];
        let end = self.starts.get(position.line).map_or(self.text.len(), |next| next - 1);
        let line = self.text[start..end].trim_end_matches('\r').trim_start_matches('\u{feff}');
        Diagnostic { position: Some(position), source_line: Some(line.to_string()), ..diagnostic }
    }
}

fn floor_char_boundary(text: &str, mut offset: usize) -> usize {
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

/// One problem in one file.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Diagnostic {
    pub severity: Severity,
    pub path: PathBuf,
    pub position: Option<Position>,
    pub message: String,
    pub help: Option<String>,
    /// The source line the position points into, shown with a caret under the column.
    pub source_line: Option<String>,
    /// What kind of problem this is, for machine-readable output (`broken-link`, ...);
    /// `None` for the many kinds that are simply invalid input.
    pub kind: Option<&'static str>,
}

impl Diagnostic {
    pub fn error(path: impl Into<PathBuf>, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Error,
            path: path.into(),
            position: None,
            message: message.into(),
            help: None,
            source_line: None,
            kind: None,
        }
    }

    pub fn warning(path: impl Into<PathBuf>, message: impl Into<String>) -> Self {
        Diagnostic { severity: Severity::Warning, ..Diagnostic::error(path, message) }
    }

    /// Points the diagnostic at `position` and keeps the line of `source` it falls on.
    pub fn at(mut self, source: &str, position: Position) -> Self {
        self.source_line = source
            .lines()
            .nth(position.line.saturating_sub(1))
            .map(|line| line.trim_end_matches('\r').trim_start_matches('\u{feff}').to_string());
        self.position = Some(position);
        self
    }

    /// The error for a file that is not UTF-8, pointing at its first bad byte.
    pub fn not_utf8(path: impl Into<PathBuf>, error: &std::string::FromUtf8Error) -> Self {
        let bytes = error.as_bytes();
        let text = String::from_utf8_lossy(bytes);
        let before = String::from_utf8_lossy(&bytes[..error.utf8_error().valid_up_to()]);
        // Columns elsewhere are counted after the byte order mark, which editors do not show.
        let before = before.strip_prefix('\u{feff}').unwrap_or(&before);
        Diagnostic::error(path, "the file is not valid UTF-8")
            .at(&text, Position::of_offset(before, before.len()))
            .with_help("save the file with UTF-8 encoding")
    }

    pub fn with_kind(mut self, kind: &'static str) -> Self {
        self.kind = Some(kind);
        self
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// `path:line:col` (or just the path when the problem concerns the whole file).
    pub fn location(&self) -> String {
        match self.position {
            Some(p) => format!("{}:{}:{}", self.path.display(), p.line, p.column),
            None => self.path.display().to_string(),
        }
    }

    /// Rewrites the path relative to `root`, for shorter messages.
    pub fn relative_to(mut self, root: &Path) -> Self {
        if let Ok(relative) = self.path.strip_prefix(root) {
            self.path = relative.to_path_buf();
        }
        self
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let label = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        write!(f, "{label}: {}: {}", self.location(), self.message)?;
        if let (Some(line), Some(position)) = (&self.source_line, self.position) {
            let gutter = position.line.to_string();
            let pad = " ".repeat(gutter.len());
            let caret_pad: String = line
                .chars()
                .take(position.column.saturating_sub(1))
                .map(|c| if c == '\t' { '\t' } else { ' ' })
                .collect();
            write!(f, "\n{pad} |\n{gutter} | {line}\n{pad} | {caret_pad}^")?;
        }
        if let Some(help) = &self.help {
            write!(f, "\n  help: {help}")?;
        }
        Ok(())
    }
}

/// The help for a name that is not one of `candidates`: "did you mean `x`?" when one is close,
/// else `otherwise` given every candidate.
pub fn suggest<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
    otherwise: impl FnOnce(&str) -> String,
) -> String {
    let candidates: Vec<&str> = candidates.into_iter().collect();
    match did_you_mean(word, candidates.iter().copied()) {
        Some(close) => format!("did you mean `{close}`?"),
        None => otherwise(&candidates.join(", ")),
    }
}

/// Suggests the candidate closest to `word`, when one is close enough to be a likely typo.
pub fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let word = word.to_lowercase();
    candidates
        .into_iter()
        .map(|c| (strsim::jaro_winkler(&word, &c.to_lowercase()), c))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_become_lines_and_character_columns() {
        let text = "ab\nçd\n";
        assert_eq!(Position::of_offset(text, 0), Position::new(1, 1));
        assert_eq!(Position::of_offset(text, 3), Position::new(2, 1));
        assert_eq!(Position::of_offset(text, 5), Position::new(2, 2));
    }

    #[test]
    fn a_line_index_agrees_with_scanning() {
        let text = "ab\nçd\r\n\nlast";
        let index = LineIndex::new(text);
        for offset in 0..=text.len() {
            if text.is_char_boundary(offset) {
                assert_eq!(index.position(offset), Position::of_offset(text, offset), "{offset}");
            }
        }
        let located = index.locate(Diagnostic::warning("a.md", "x"), 5);
        assert_eq!(located, Diagnostic::warning("a.md", "x").at(text, Position::new(2, 2)));
    }

    #[test]
    fn renders_caret_under_the_column() {
        let d = Diagnostic::error("a.md", "bad").at("x: 1\ntitel: y\n", Position::new(2, 1));
        let text = d.with_help("rename it").to_string();
        assert_eq!(text, "error: a.md:2:1: bad\n  |\n2 | titel: y\n  | ^\n  help: rename it");
    }

    #[test]
    fn points_at_the_first_byte_that_is_not_utf8() {
        let error = String::from_utf8(b"\xef\xbb\xbfok\nab\xe9\n".to_vec()).unwrap_err();
        assert_eq!(Diagnostic::not_utf8("a.md", &error).location(), "a.md:2:3");
        let error = String::from_utf8(b"\xef\xbb\xbf\xe9".to_vec()).unwrap_err();
        assert_eq!(Diagnostic::not_utf8("a.md", &error).location(), "a.md:1:1");
    }

    #[test]
    fn suggests_close_names_only() {
        assert_eq!(did_you_mean("titel", ["title", "tags"]), Some("title"));
        assert_eq!(did_you_mean("zzz", ["title", "tags"]), None);
    }
}
