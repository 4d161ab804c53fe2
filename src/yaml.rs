//! The one way portico reads YAML, for `partners.yaml` and for front matter alike.
//!
//! YAML 1.2 rules apply: `yes`, `no`, `on`, `NO` are strings, and a field typed as a boolean
//! accepts only `true` or `false`. Duplicate keys are errors that name both lines. Errors come
//! back as [`Diagnostic`]s positioned in the whole file, not in the YAML fragment.

use std::path::Path;

use serde::de::DeserializeOwned;
use serde_saphyr::{DuplicateKeyPolicy, Location};

use crate::diagnostic::{Diagnostic, Position};

/// Where a YAML fragment sits in its file, so positions can be reported file-relative.
#[derive(Debug, Clone, Copy)]
pub struct Fragment<'a> {
    pub path: &'a Path,
    /// The whole file, used to show the offending line.
    pub file_text: &'a str,
    /// The YAML itself.
    pub yaml: &'a str,
    /// How many lines of the file come before the fragment.
    pub line_offset: usize,
}

impl Fragment<'_> {
    /// The file position of a location inside the fragment.
    pub fn position(&self, location: &Location) -> Position {
        Position::new(location.line() as usize + self.line_offset, location.column() as usize)
    }

    /// An error diagnostic at a location inside the fragment.
    pub fn error_at(&self, location: &Location, message: impl Into<String>) -> Diagnostic {
        Diagnostic::error(self.path, message).at(self.file_text, self.position(location))
    }

    /// A warning diagnostic at a location inside the fragment.
    pub fn warning_at(&self, location: &Location, message: impl Into<String>) -> Diagnostic {
        Diagnostic::warning(self.path, message).at(self.file_text, self.position(location))
    }

    /// Deserializes the fragment, turning any failure into a positioned diagnostic.
    pub fn parse<T: DeserializeOwned>(&self) -> Result<T, Diagnostic> {
        let options = serde_saphyr::options! {
            strict_booleans: true,
            with_snippet: false,
            duplicate_keys: DuplicateKeyPolicy::Error,
        };
        serde_saphyr::from_str_with_options(self.yaml, options).map_err(|e| self.diagnose(&e))
    }

    fn diagnose(&self, error: &serde_saphyr::Error) -> Diagnostic {
        let rendered = error.render_with_options(serde_saphyr::render_options! {
            formatter: &serde_saphyr::UserMessageFormatter,
            snippets: serde_saphyr::SnippetMode::Off,
        });
        let message = strip_location_suffix(&rendered);
        let Some(location) = error.location() else {
            return Diagnostic::error(self.path, message);
        };
        let diagnostic = self.error_at(&location, message);
        match error.without_snippet() {
            serde_saphyr::Error::DuplicateMappingKey { key: Some(key), .. } => {
                self.explain_duplicate(diagnostic, key, &location)
            }
            _ => explain(diagnostic, &rendered),
        }
    }

    /// The parser only knows the second occurrence of a duplicate key; find the first so the
    /// user sees both lines.
    fn explain_duplicate(
        &self,
        diagnostic: Diagnostic,
        key: &str,
        second: &Location,
    ) -> Diagnostic {
        let column = second.column() as usize;
        let first = self
            .yaml
            .lines()
            .take(second.line() as usize - 1)
            .enumerate()
            .filter(|(_, line)| {
                let indent = line.chars().take_while(|c| *c == ' ').count();
                indent + 1 == column && starts_with_key(&line[indent..], key)
            })
            .map(|(index, _)| index + 1 + self.line_offset)
            .next();
        let duplicate_line = self.position(second).line;
        let message = match first {
            Some(first) => {
                format!("duplicate key `{key}` on lines {first} and {duplicate_line}")
            }
            None => format!("duplicate key `{key}` on line {duplicate_line}"),
        };
        Diagnostic { message, ..diagnostic }
            .with_help(format!("keep one `{key}` entry and delete the other"))
    }
}

fn starts_with_key(line: &str, key: &str) -> bool {
    [format!("{key}:"), format!("\"{key}\":"), format!("'{key}':")]
        .iter()
        .any(|prefix| line.starts_with(prefix.as_str()))
}

/// Adds advice to the parser's most common complaints.
fn explain(diagnostic: Diagnostic, rendered: &str) -> Diagnostic {
    if rendered.contains("invalid boolean") {
        diagnostic.with_help("write `true` or `false`")
    } else if let Some(help) = unknown_field_help(rendered) {
        diagnostic.with_help(help)
    } else if rendered.contains("mapping values are not allowed") {
        diagnostic.with_help("put quotes around a value that contains `: `")
    } else {
        diagnostic
    }
}

/// serde words an unknown key as "unknown field `x`, expected one of `a`, `b`"; turn that into
/// a did-you-mean hint.
fn unknown_field_help(rendered: &str) -> Option<String> {
    let rest = rendered.strip_prefix("unknown field `")?;
    let (field, expected) = rest.split_once('`')?;
    let known: Vec<&str> =
        expected.split([',', ' ', '`']).filter(|w| !w.is_empty() && *w != "expected").collect();
    let known: Vec<&str> =
        known.into_iter().filter(|w| !matches!(*w, "one" | "of" | "or")).collect();
    Some(match crate::diagnostic::did_you_mean(field, known.iter().copied()) {
        Some(close) => format!("did you mean `{close}`?"),
        None => format!("remove `{field}`; the keys allowed here are: {}", known.join(", ")),
    })
}

fn strip_location_suffix(rendered: &str) -> String {
    let text = rendered.lines().next().unwrap_or(rendered);
    match text.rfind(" at line ") {
        Some(index) => text[..index].to_string(),
        None => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn fragment(yaml: &str) -> Fragment<'_> {
        Fragment { path: Path::new("f.yaml"), file_text: yaml, yaml, line_offset: 0 }
    }

    #[test]
    fn duplicate_key_names_both_lines() {
        let err = fragment("a: 1\nb: 2\na: 3\n").parse::<BTreeMap<String, String>>().unwrap_err();
        assert_eq!(err.message, "duplicate key `a` on lines 1 and 3");
        assert_eq!(err.position, Some(Position::new(3, 1)));
    }

    #[test]
    fn yes_and_no_stay_strings() {
        let map: BTreeMap<String, serde_json::Value> = fragment("a: yes\nb: NO\n").parse().unwrap();
        assert_eq!(map["a"], "yes");
        assert_eq!(map["b"], "NO");
    }
}
