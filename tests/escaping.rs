//! Front-matter values are text: whatever characters they hold, they are escaped in every output
//! context (element text, attributes, XML), and page bodies are never run as templates.

use std::fs;
use std::path::Path;

use portico::build::{BuildOptions, build};

const HOSTILE: &str = r#"Fish & "Chips" <script>alert(1)</script> 'quoted' {{ program.name }}"#;

fn write(root: &Path, relative: &str, contents: &str) {
    let path = root.join(relative);
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, contents).unwrap();
}

fn yaml_quoted(text: &str) -> String {
    format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
}

fn built_site() -> (tempfile::TempDir, Vec<(String, String)>) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let name = yaml_quoted(&format!("Program {HOSTILE}"));
    write(
        root,
        "partners.yaml",
        &format!(
            "program:\n  name: {name}\n  base_url: https://p.example/fish&chips/\n  contact: a@p.example\n\
             tiers:\n  - id: gold\n    name: {name}\n    benefits: [{name}]\n"
        ),
    );
    let value = yaml_quoted(HOSTILE);
    write(root, "content/_index.md", &format!("---\ntitle: {value}\ndescription: {value}\n---\n"));
    write(
        root,
        "content/mail/hostile.md",
        &format!(
            "---\ntitle: {value}\ndescription: {value}\ntags: [{value}]\nsubject: {value}\n\
             client: {value}\nindustry: {value}\nservices: [{value}]\noutcome: {value}\ndate: 2026-05-01\n---\n\
             Hello {{{{client_first_name}}}}, {{% if x %}} stays.\n\nA closing `</textarea>` in the body.\n"
        ),
    );
    let output = root.join("public");
    let options = BuildOptions {
        root: root.to_path_buf(),
        output: output.clone(),
        tiers: vec![],
        base_url: None,
        drafts: false,
        allow_broken_links: false,
    };
    build(&options).unwrap();
    let files = walkdir::WalkDir::new(&output)
        .into_iter()
        .map(Result::unwrap)
        .filter(|e| e.file_type().is_file())
        .filter_map(|e| {
            let text = fs::read_to_string(e.path()).ok()?;
            Some((e.path().strip_prefix(&output).unwrap().display().to_string(), text))
        })
        .collect();
    (dir, files)
}

#[test]
fn front_matter_values_never_become_markup() {
    let (_dir, files) = built_site();
    for (path, text) in &files {
        assert!(!text.contains("<script>alert(1)"), "{path} holds an unescaped value");
        assert!(!text.contains("\"Chips\""), "{path} holds an unescaped quote");
    }
    let page = &files.iter().find(|(p, _)| p == "gold/mail/hostile/index.html").unwrap().1;
    let escaped = "Fish &amp; &quot;Chips&quot; &lt;script&gt;alert(1)&lt;&#x2f;script&gt;";
    let alternative = "Fish &amp; &quot;Chips&quot; &lt;script&gt;alert(1)&lt;/script&gt;";
    assert!(page.contains(escaped) || page.contains(alternative), "{page}");
    assert!(
        page.contains("<meta name=\"description\" content=\"Fish &amp; &quot;Chips&quot;"),
        "{page}"
    );
}

#[test]
fn template_syntax_in_values_and_bodies_is_shown_as_written() {
    let (_dir, files) = built_site();
    let page = &files.iter().find(|(p, _)| p == "gold/mail/hostile/index.html").unwrap().1;
    // In an email template the braces are a placeholder, marked up but kept as written.
    let placeholder = "<span class=\"placeholder\" data-placeholder=\"client-first-name\">\
                       {{client_first_name}}</span>";
    assert!(page.contains(&format!("Hello {placeholder}, {{% if x %}} stays.")), "{page}");
    assert!(page.contains("{{ program.name }}"), "the title's braces were evaluated: {page}");
    // The plain-text copy of the email keeps the body's text and cannot close its element early.
    assert!(
        page.contains("A closing &lt;&#x2f;textarea&gt; in the body.")
            || page.contains("A closing &lt;/textarea&gt; in the body."),
        "{page}"
    );
}

#[test]
fn xml_output_is_well_formed() {
    let (_dir, files) = built_site();
    let sitemap = &files.iter().find(|(p, _)| p == "gold/sitemap.xml").unwrap().1;
    assert!(sitemap.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>"));
    assert!(
        sitemap.contains("<loc>https://p.example/fish&amp;chips/gold/mail/hostile/</loc>"),
        "{sitemap}"
    );
    assert!(!sitemap.contains("fish&chips"), "an unescaped `&` in XML: {sitemap}");
}
