//! Front matter: the YAML block between `---` lines at the top of a markdown file.
//!
//! [`super::split`] finds the block (after an optional BOM, with LF, CRLF or mixed line
//! endings); [`parse`] reads it into a typed [`FrontMatter`]. Unknown top-level keys are kept in
//! `extra` and warned about. All positions are reported in the whole file.

use indexmap::IndexMap;
use serde_json::Value;
use serde_saphyr::Spanned;

use super::aliases::{self, Alias};
use crate::diagnostic::{Diagnostic, Position, did_you_mean};
use crate::program;
use crate::tier::{Gate, Tiers};
use crate::yaml::Fragment;

/// The keys front matter understands; anything else lands in `extra`.
pub const KNOWN_KEYS: &[&str] = &[
    "title",
    "description",
    "tier",
    "draft",
    "date",
    "updated",
    "weight",
    "tags",
    "slug",
    "aliases",
    "template",
    "subject",
    "one_pager",
    "client",
    "industry",
    "services",
    "outcome",
    "extra",
];

/// The template a one-pager is rendered with unless it names its own.
pub const ONE_PAGER_TEMPLATE: &str = "one-pager.html";

/// Typed front matter of a page or section.
#[derive(Debug, Clone, Default)]
pub struct FrontMatter {
    pub title: Option<String>,
    pub description: Option<String>,
    pub gate: Gate,
    /// The line of the `tier` key, to point at when a page loosens its section's tier.
    pub tier_position: Option<Position>,
    pub draft: bool,
    pub date: Option<PageDate>,
    /// When the page last changed, if after `date`.
    pub updated: Option<PageDate>,
    pub weight: Option<i64>,
    pub tags: Vec<String>,
    pub slug: Option<String>,
    /// Where the `slug` value is, to point at when it gives a page a reserved URL.
    pub slug_position: Option<Position>,
    /// Old URLs that redirect to this page.
    pub aliases: Vec<Alias>,
    pub template: Option<(String, Position)>,
    pub subject: Option<String>,
    /// A page partners fill in and print: its placeholders are marked, and it is rendered with
    /// `one-pager.html` unless it names another template.
    pub one_pager: bool,
    pub client: Option<String>,
    pub industry: Option<String>,
    pub services: Vec<String>,
    pub outcome: Option<String>,
    pub extra: serde_json::Map<String, Value>,
}

impl FrontMatter {
    /// When the page last changed: `updated`, else `date`.
    pub fn last_changed(&self) -> Option<&PageDate> {
        self.updated.as_ref().or(self.date.as_ref())
    }
}

/// A publication date, kept as written and as a sortable timestamp.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageDate {
    pub timestamp: jiff::Timestamp,
    pub date: jiff::civil::Date,
}

impl PageDate {
    fn parse(text: &str) -> Option<PageDate> {
        let text = text.trim();
        if let Ok(ts) = text.parse::<jiff::Timestamp>() {
            let date = ts.to_zoned_datetime(jiff::tz::TimeZone::UTC).date();
            return Some(PageDate { timestamp: ts, date });
        }
        let civil = text.parse::<jiff::civil::DateTime>().ok().or_else(|| {
            text.parse::<jiff::civil::Date>()
                .ok()
                .map(|d| d.to_datetime(jiff::civil::Time::midnight()))
        })?;
        let ts = civil.to_zoned_datetime(jiff::tz::TimeZone::UTC).ok()?.timestamp();
        Some(PageDate { timestamp: ts, date: civil.date() })
    }
}

/// Parsed front matter plus the warnings it raised.
pub struct Parsed {
    pub front_matter: FrontMatter,
    pub warnings: Vec<Diagnostic>,
    /// Where the `title` key was missing: the opening fence.
    pub missing_title: Option<Diagnostic>,
}

/// Reads the YAML block of `split` into typed front matter.
pub fn parse(fragment: Fragment<'_>, tiers: &Tiers) -> Result<Parsed, Vec<Diagnostic>> {
    let entries: IndexMap<Spanned<String>, Spanned<Value>> = if fragment.yaml.trim().is_empty() {
        IndexMap::new()
    } else {
        match fragment.parse::<Option<IndexMap<Spanned<String>, Spanned<Value>>>>() {
            Ok(map) => map.unwrap_or_default(),
            Err(d)
                if d.message.contains("expected mapping") || d.message.contains("invalid type") =>
            {
                return Err(vec![
                    Diagnostic {
                        message: "front matter must be a list of `key: value` lines".into(),
                        ..d
                    }
                    .with_help("start with a line such as `title: My page`"),
                ]);
            }
            Err(d) => return Err(vec![d]),
        }
    };
    let mut reader = Reader {
        fragment,
        tiers,
        problems: Vec::new(),
        warnings: Vec::new(),
        title_typo: None,
        seen: Default::default(),
        updated_at: None,
        one_pager_at: None,
    };
    let mut fm = FrontMatter::default();
    for (key, value) in entries {
        reader.field(&mut fm, key, value);
    }
    reader.check_updated(&fm);
    if let (true, None, Some(at)) = (fm.one_pager, &fm.template, reader.one_pager_at) {
        fm.template = Some((ONE_PAGER_TEMPLATE.to_string(), at));
    }
    if !reader.problems.is_empty() {
        return Err(reader.problems);
    }
    let missing_title = fm.title.is_none().then(|| missing_title(fragment, reader.title_typo));
    Ok(Parsed { front_matter: fm, warnings: reader.warnings, missing_title })
}

/// The error for front matter without `title`, pointing at a misspelt `title` key if any.
fn missing_title(fragment: Fragment<'_>, typo: Option<(String, Position)>) -> Diagnostic {
    let error = Diagnostic::error(fragment.path, "front matter has no `title`");
    match typo {
        Some((key, position)) => {
            error.at(fragment.file_text, position).with_help(format!("rename `{key}` to `title`"))
        }
        None => error
            .at(fragment.file_text, Position::new(fragment.line_offset, 1))
            .with_help("add a line such as `title: Referral etiquette` to the front matter"),
    }
}

struct Reader<'a> {
    fragment: Fragment<'a>,
    tiers: &'a Tiers,
    problems: Vec<Diagnostic>,
    warnings: Vec<Diagnostic>,
    /// An unknown key that looks like `title`, for the error when `title` itself is missing.
    title_typo: Option<(String, Position)>,
    /// Keys read so far, lowercased, with their line.
    seen: std::collections::HashMap<String, usize>,
    /// Where the `updated` value is, to point at when it comes before `date`.
    updated_at: Option<Position>,
    /// Where the `one_pager` value is, to point at if its template is missing.
    one_pager_at: Option<Position>,
}

impl Reader<'_> {
    fn field(&mut self, fm: &mut FrontMatter, key: Spanned<String>, value: Spanned<Value>) {
        let name = self.canonical_name(&key);
        let line = self.fragment.position(&key.referenced).line;
        if let Some(first) = self.seen.insert(name.clone(), line) {
            let problem = self.fragment.error_at(
                &key.referenced,
                format!("duplicate key `{name}` on lines {first} and {line} (keys ignore case)"),
            );
            self.problems
                .push(problem.with_help(format!("keep one `{name}` entry and delete the other")));
            return;
        }
        if value.value.is_null() {
            if name == "tier" {
                let problem = self.fragment.error_at(&key.referenced, "`tier` is empty");
                self.problems.push(problem.with_help("name a tier from partners.yaml, or delete the line to show the page to every tier"));
            }
            return;
        }
        match name.as_str() {
            "title" => fm.title = self.string(&name, &value),
            "description" => fm.description = self.string(&name, &value),
            "tier" => self.tier(fm, &value),
            "draft" => fm.draft = self.boolean(&name, &value),
            "date" => fm.date = self.date(&name, &value),
            "updated" => {
                self.updated_at = Some(self.fragment.position(&value.referenced));
                fm.updated = self.date(&name, &value);
            }
            "weight" => fm.weight = self.integer(&name, &value),
            "tags" => fm.tags = self.strings(&name, &value),
            "slug" => {
                fm.slug_position = Some(self.fragment.position(&value.referenced));
                fm.slug = self.slug(&value);
            }
            "aliases" => {
                let items = self.strings(&name, &value);
                let (read, problems) = aliases::read(&self.fragment, &value, items);
                fm.aliases = read;
                self.problems.extend(problems);
            }
            "template" => {
                let position = self.fragment.position(&value.referenced);
                fm.template = self.string(&name, &value).map(|t| (t, position));
            }
            "subject" => fm.subject = self.string(&name, &value),
            "one_pager" => {
                self.one_pager_at = Some(self.fragment.position(&value.referenced));
                fm.one_pager = self.boolean(&name, &value);
            }
            "client" => fm.client = self.string(&name, &value),
            "industry" => fm.industry = self.string(&name, &value),
            "services" => fm.services = self.strings(&name, &value),
            "outcome" => fm.outcome = self.string(&name, &value),
            "extra" => match value.value {
                Value::Object(map) if map.keys().any(|k| k.eq_ignore_ascii_case("tier")) => {
                    let problem = self.fragment.error_at(
                        &value.referenced,
                        "`tier` inside `extra` does not gate the page",
                    );
                    self.problems.push(
                        problem.with_help("move the `tier` line out of `extra`, to the top level"),
                    );
                }
                Value::Object(map) => fm.extra.extend(map),
                _ => self.expected(&name, "a map of `key: value` lines", &value),
            },
            _ if did_you_mean(&key.value, KNOWN_KEYS.iter().copied()) == Some("tier") => {
                let message = format!(
                    "unknown key `{}`: a misspelt `tier` would show this page to every tier",
                    key.value
                );
                let problem = self.fragment.error_at(&key.referenced, message);
                self.problems.push(problem.with_help("did you mean `tier`?"));
            }
            _ => {
                self.warn_unknown(&key);
                fm.extra.insert(key.value, value.value);
            }
        }
    }

    /// Accepts a known key written in another case (`Title`) with a warning.
    fn canonical_name(&mut self, key: &Spanned<String>) -> String {
        let lower = key.value.to_lowercase();
        if key.value != lower && KNOWN_KEYS.contains(&lower.as_str()) {
            let warning = self
                .fragment
                .warning_at(&key.referenced, format!("`{}` is read as `{lower}`", key.value))
                .with_help(format!("write the key in lowercase: `{lower}`"));
            self.warnings.push(warning);
            return lower;
        }
        key.value.clone()
    }

    fn warn_unknown(&mut self, key: &Spanned<String>) {
        let warning = self
            .fragment
            .warning_at(&key.referenced, format!("unknown front-matter key `{}`", key.value));
        let help = match did_you_mean(&key.value, KNOWN_KEYS.iter().copied()) {
            Some("title") => {
                let position = self.fragment.position(&key.referenced);
                self.title_typo = Some((key.value.clone(), position));
                "did you mean `title`?".to_string()
            }
            Some(close) => format!("did you mean `{close}`?"),
            None => "it is kept under `extra`; move it there to silence this warning".into(),
        };
        self.warnings.push(warning.with_help(help));
    }

    fn expected(&mut self, name: &str, what: &str, value: &Spanned<Value>) {
        let found = describe(&value.value);
        let problem = self
            .fragment
            .error_at(&value.referenced, format!("`{name}` must be {what}, found {found}"));
        self.problems.push(problem);
    }

    fn string(&mut self, name: &str, value: &Spanned<Value>) -> Option<String> {
        match &value.value {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            _ => {
                self.expected(name, "text", value);
                None
            }
        }
    }

    /// A slug replaces one segment of the URL, so it may not climb or add folders.
    fn slug(&mut self, value: &Spanned<Value>) -> Option<String> {
        let slug = self.string("slug", value)?;
        let valid = !slug.is_empty()
            && !slug.starts_with('.')
            && slug.chars().all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.'));
        if !valid {
            let problem =
                self.fragment.error_at(&value.referenced, format!("`{slug}` is not a valid slug"));
            self.problems.push(problem.with_help(format!(
                "use one URL segment of letters, digits and hyphens, such as `{}`",
                crate::content::walk::slugify(&slug)
            )));
            return None;
        }
        Some(slug)
    }

    fn strings(&mut self, name: &str, value: &Spanned<Value>) -> Vec<String> {
        match &value.value {
            Value::String(s) => vec![s.clone()],
            Value::Array(items) if items.iter().all(|i| i.is_string() || i.is_number()) => items
                .iter()
                .map(|i| i.as_str().map_or_else(|| i.to_string(), str::to_string))
                .collect(),
            _ => {
                self.expected(name, "a list of text items such as `[a, b]`", value);
                Vec::new()
            }
        }
    }

    fn boolean(&mut self, name: &str, value: &Spanned<Value>) -> bool {
        match value.value {
            Value::Bool(b) => b,
            _ => {
                self.expected(name, "`true` or `false`", value);
                if let Some(problem) = self.problems.last_mut() {
                    problem.help = Some(format!("write `{name}: true` or `{name}: false`"));
                }
                false
            }
        }
    }

    fn integer(&mut self, name: &str, value: &Spanned<Value>) -> Option<i64> {
        let number = value.value.as_i64();
        if number.is_none() {
            self.expected(name, "a whole number", value);
        }
        number
    }

    fn date(&mut self, name: &str, value: &Spanned<Value>) -> Option<PageDate> {
        let parsed = value.value.as_str().and_then(PageDate::parse);
        if parsed.is_none() {
            let problem = self
                .fragment
                .error_at(
                    &value.referenced,
                    format!("`{name}` {} is not a date", describe(&value.value)),
                )
                .with_help("write the date as YYYY-MM-DD, or YYYY-MM-DDTHH:MM:SSZ with a time");
            self.problems.push(problem);
        }
        parsed
    }

    /// A page is updated after it is published; the other way round is a typo in one date.
    fn check_updated(&mut self, fm: &FrontMatter) {
        let (Some(date), Some(updated), Some(at)) = (&fm.date, &fm.updated, self.updated_at) else {
            return;
        };
        if updated.timestamp < date.timestamp {
            let message =
                format!("`updated` ({}) is earlier than `date` ({})", updated.date, date.date);
            let problem = Diagnostic::error(self.fragment.path, message)
                .at(self.fragment.file_text, at)
                .with_help("`updated` is when the page last changed: make it `date` or later");
            self.problems.push(problem);
        }
    }

    fn tier(&mut self, fm: &mut FrontMatter, value: &Spanned<Value>) {
        let Some(id) = self.string("tier", value) else { return };
        fm.tier_position = Some(self.fragment.position(&value.referenced));
        match self.tiers.by_id(&id) {
            Some(tier) => fm.gate = Gate::AtLeast(tier.rank),
            None => {
                let spanned = Spanned::new(id, value.referenced, value.defined);
                self.problems.push(program::unknown_tier(&self.fragment, &spanned, self.tiers));
            }
        }
    }
}

fn describe(value: &Value) -> String {
    match value {
        Value::String(s) => format!("`{s}`"),
        Value::Number(n) => format!("the number {n}"),
        Value::Bool(b) => format!("`{b}`"),
        Value::Array(_) => "a list".into(),
        Value::Object(_) => "a map".into(),
        Value::Null => "nothing".into(),
    }
}
