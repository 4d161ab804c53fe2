//! The floor under any build of a markdown corpus: read every `.md` file under a folder and
//! render its body once with pulldown-cmark (with the extensions portico turns on), on all
//! cores, writing nothing. A full portico build (three tiers, templates, links, output) is
//! measured against this in BENCHMARKS.md.
//!
//! Usage: cargo run --release --example markdown-floor -- <folder>

use std::path::PathBuf;

use pulldown_cmark::{Parser, html};
use rayon::prelude::*;

fn main() {
    let Some(folder) = std::env::args_os().nth(1).map(PathBuf::from) else {
        eprintln!("usage: markdown-floor <folder>");
        std::process::exit(2);
    };
    let files: Vec<PathBuf> = walkdir::WalkDir::new(&folder)
        .follow_links(true)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file() && e.path().extension().is_some_and(|x| x == "md"))
        .map(walkdir::DirEntry::into_path)
        .collect();
    let rendered: usize = files
        .par_iter()
        .map(|path| {
            let text = std::fs::read_to_string(path).unwrap_or_default();
            let mut out = String::with_capacity(text.len() * 3 / 2);
            html::push_html(&mut out, Parser::new_ext(body(&text), portico::markdown::options()));
            out.len()
        })
        .sum();
    println!("{} files, {rendered} bytes of HTML", files.len());
}

/// The text after a `---` front matter block, or all of it.
fn body(text: &str) -> &str {
    let Some(rest) = text.strip_prefix("---\n") else { return text };
    match rest.find("\n---\n") {
        Some(end) => &rest[end + 5..],
        None => text,
    }
}
