//! Themes: tera templates and static files.
//!
//! The default theme is compiled into the binary, so any folder with `partners.yaml` and
//! `content/` builds. A site may override any file by putting its own copy under
//! `themes/<name>/templates/` or `themes/<name>/static/`, or bring a whole theme of its own.

use std::path::{Path, PathBuf};

use walkdir::WalkDir;

use crate::diagnostic::Diagnostic;
use crate::output::{Contents, OutputFile};

macro_rules! embedded {
    ($dir:literal: $($name:literal),* $(,)?) => {
        &[$(($name, include_bytes!(concat!("../themes/default/", $dir, "/", $name)))),*]
    };
}

const DEFAULT_TEMPLATES: &[(&str, &[u8])] = embedded!("templates":
    "base.html", "home.html", "section.html", "page.html", "referral-form.html", "tags.html",
    "tag.html", "404.html", "sitemap.xml", "feed.xml", "alias.html", "robots.txt",
    "intake-base.html", "intake-retry.html", "intake-tracking.html", "intake-notice.html",
    "referral-fields.html", "referral-received.html", "search.html", "program-terms.html",
    "partner-directory.html", "one-pager.html", "placeholder-form.html",
);

const DEFAULT_STATIC: &[(&str, &[u8])] = embedded!("static":
    "favicon.svg", "style.css", "portico.js", "program.js", "templates.js", "training.js",
);

/// A loaded theme: its templates, parsed once, and the static files every tier gets.
pub struct Theme {
    pub tera: tera::Tera,
    static_files: Vec<OutputFile>,
    /// A hash of every template's name and text.
    fingerprint: u64,
}

impl Theme {
    /// Loads the default theme, overridden by whatever the site's theme folder holds.
    pub fn load(site_root: &Path, name: &str) -> Result<Theme, Vec<Diagnostic>> {
        let folder = site_root.join("themes").join(name);
        if name != "default" && !folder.is_dir() {
            return Err(vec![Diagnostic::error(&folder, format!("theme `{name}` not found"))
                .with_help("create the folder, or remove `theme:` from `partners.yaml` to use the default theme")]);
        }
        let mut templates: Vec<(String, String, PathBuf)> = DEFAULT_TEMPLATES
            .iter()
            .map(|(name, bytes)| {
                let text = String::from_utf8_lossy(bytes).into_owned();
                (name.to_string(), text, PathBuf::from("(default theme)").join(name))
            })
            .collect();
        let mut problems = Vec::new();
        for (relative, path) in files_under(&folder.join("templates")) {
            match std::fs::read_to_string(&path) {
                Ok(text) => {
                    templates.retain(|(n, _, _)| *n != relative);
                    templates.push((relative, text, path));
                }
                Err(e) => problems
                    .push(Diagnostic::error(&path, format!("cannot read the template: {e}"))),
            }
        }
        let fingerprint = crate::fingerprint::of(
            templates.iter().map(|(name, text, _)| (name, text)).collect::<Vec<_>>(),
        );
        let mut tera = tera::Tera::new();
        tera.register_filter("placeholders", placeholders);
        if let Err(e) =
            tera.add_raw_templates(templates.iter().map(|(n, t, _)| (n.as_str(), t.as_str())))
        {
            problems.push(template_problem(&e, &templates));
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        let mut static_files: Vec<OutputFile> = DEFAULT_STATIC
            .iter()
            .map(|(name, bytes)| OutputFile {
                path: name.to_string(),
                contents: Contents::Bytes(std::sync::Arc::new(bytes.to_vec())),
            })
            .collect();
        for (relative, path) in files_under(&folder.join("static")) {
            static_files.retain(|f| f.path != relative);
            static_files.push(OutputFile { path: relative, contents: Contents::Copy(path) });
        }
        Ok(Theme { tera, static_files, fingerprint })
    }

    pub fn static_files(&self) -> impl Iterator<Item = OutputFile> + '_ {
        self.static_files.iter().cloned()
    }

    /// Changes whenever any template does.
    pub fn fingerprint(&self) -> u64 {
        self.fingerprint
    }

    pub fn has_template(&self, name: &str) -> bool {
        self.tera.contains_template(name)
    }

    pub fn template_names(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self.tera.get_template_names().collect();
        names.sort_unstable();
        names
    }
}

/// The `placeholders` filter: text escaped for HTML, with the placeholders of email templates
/// and one-pagers (`{{your_firm}}`, `[Your Firm]`) in spans the theme's script fills in, as in
/// `{{ page.subject | placeholders }}`. Its result is markup, so it is not escaped again.
fn placeholders(text: std::borrow::Cow<'_, str>, _: tera::Kwargs, _: &tera::State) -> tera::Value {
    tera::Value::safe_string(&crate::markdown::placeholder::markup(&text))
}

/// Files below a folder as (`a/b.html`, absolute path), sorted; none when it does not exist.
fn files_under(folder: &Path) -> Vec<(String, PathBuf)> {
    if !folder.is_dir() {
        return Vec::new();
    }
    WalkDir::new(folder)
        .sort_by_file_name()
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file() && !e.file_name().to_string_lossy().starts_with('.'))
        .map(|e| {
            let relative =
                e.path().strip_prefix(folder).expect("inside").to_string_lossy().replace('\\', "/");
            (relative, e.path().to_path_buf())
        })
        .collect()
}

fn template_problem(error: &tera::Error, templates: &[(String, String, PathBuf)]) -> Diagnostic {
    let reason = describe_error(error);
    let path = templates
        .iter()
        .find(|(name, _, _)| reason.contains(name.as_str()))
        .map_or_else(|| PathBuf::from("themes"), |(_, _, path)| path.clone());
    Diagnostic::error(path, format!("the template does not compile: {reason}"))
        .with_help("fix the template syntax; see the tera documentation for tags and filters")
}

/// A tera error with its causes, on one line each.
pub fn describe_error(error: &tera::Error) -> String {
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text.push_str(&format!("\n  caused by: {cause}"));
        source = cause.source();
    }
    text
}
