//! Recorded sessions in a page: a fenced block with the language `video`.
//!
//! ````markdown
//! ```video
//! youtube: dQw4w9WgXcQ
//! title: Spotting referrals, the recorded session
//! ```
//! ````
//!
//! YouTube and Vimeo videos become a facade: a play button that loads the player from
//! `youtube-nocookie.com` or `player.vimeo.com` only when pressed, and a plain link to the video
//! for readers without JavaScript. Nothing is fetched from a third party before the click. A
//! `file:` beside the page plays in the browser's own player, with its `captions:` file.

use std::ops::Range;

use pulldown_cmark::Event;

use crate::diagnostic::did_you_mean;

mod player;

pub use player::Part;

const KEYS: &[&str] = &["youtube", "vimeo", "file", "captions", "title"];

/// A video block read and checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Video {
    pub title: String,
    pub source: Source,
}

/// Where a video plays from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    YouTube {
        id: String,
    },
    /// An unlisted Vimeo video also needs its hash, written `vimeo: 123456789/abcdef1234`.
    Vimeo {
        id: String,
        hash: Option<String>,
    },
    /// A video file and its WebVTT captions, both beside the page.
    File {
        video: FileName,
        captions: FileName,
    },
}

/// A file named in a video block, as written, and where its name is in the page body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileName {
    pub name: String,
    pub offset: usize,
}

/// Something wrong in a video block, at a byte offset of the page body.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Problem {
    pub offset: usize,
    pub message: String,
    pub help: String,
}

/// One `key: value` line, with the offsets of its key and value in the body.
struct Entry<'a> {
    key: String,
    value: &'a str,
    key_at: usize,
    value_at: usize,
}

/// Whether a fenced block's info string makes it a video block.
pub fn is_video(info: &str) -> bool {
    info.split_whitespace().next() == Some("video")
}

/// The lines of a fenced block, from its text events, each with its byte offset in the body.
pub fn lines<'e>(inner: &'e [(Event<'_>, Range<usize>)]) -> Vec<(usize, &'e str)> {
    let mut lines = Vec::new();
    for (event, range) in inner {
        let Event::Text(text) = event else { continue };
        // A block's text is its source, less any container prefix (`> `) before each line.
        let exact = range.len() == text.len();
        let mut at = 0;
        for line in text.split_inclusive('\n') {
            let offset = if exact { range.start + at } else { range.start };
            lines.push((offset, line.trim_end_matches(['\n', '\r'])));
            at += line.len();
        }
    }
    lines
}

/// Reads a video block from its lines, each with its byte offset in the body; `fence` is the
/// offset of the opening fence, for problems that concern the whole block.
pub fn parse(fence: usize, lines: &[(usize, &str)]) -> Result<Video, Vec<Problem>> {
    let mut problems = Vec::new();
    let mut entries: Vec<Entry<'_>> = Vec::new();
    for &(offset, line) in lines {
        let indent = line.len() - line.trim_start().len();
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let Some((key, value)) = trimmed.split_once(':') else {
            problems.push(problem(
                offset + indent,
                format!("`{trimmed}` is not a `key: value` line"),
                "write one `key: value` per line, such as `youtube: dQw4w9WgXcQ`",
            ));
            continue;
        };
        let value_start = trimmed.len() - value.trim_start().len();
        let entry = Entry {
            key: key.trim().to_lowercase(),
            value: unquote(value.trim()),
            key_at: offset + indent,
            value_at: offset + indent + value_start,
        };
        if let Some(bad) = check_entry(&entry, &entries) {
            problems.push(bad);
        } else {
            entries.push(entry);
        }
    }
    let video = assemble(fence, &entries, &mut problems);
    match video {
        Some(video) if problems.is_empty() => Ok(video),
        _ => Err(problems),
    }
}

/// A value without the quotes around it, if it has a matching pair.
fn unquote(value: &str) -> &str {
    for quote in ['"', '\''] {
        if let Some(inner) = value.strip_prefix(quote).and_then(|v| v.strip_suffix(quote)) {
            return inner.trim();
        }
    }
    value
}

fn problem(offset: usize, message: impl Into<String>, help: impl Into<String>) -> Problem {
    Problem { offset, message: message.into(), help: help.into() }
}

/// An unknown, repeated or empty key.
fn check_entry(entry: &Entry<'_>, earlier: &[Entry<'_>]) -> Option<Problem> {
    if !KEYS.contains(&entry.key.as_str()) {
        let help = match did_you_mean(&entry.key, KEYS.iter().copied()) {
            Some(close) => format!("did you mean `{close}`?"),
            None => format!("a video block knows {}", list(KEYS)),
        };
        return Some(problem(entry.key_at, format!("unknown video key `{}`", entry.key), help));
    }
    if earlier.iter().any(|e| e.key == entry.key) {
        let message = format!("`{}` is given twice in this video block", entry.key);
        return Some(problem(entry.key_at, message, "keep one of the two lines"));
    }
    if entry.value.is_empty() {
        let message = format!("`{}` has no value", entry.key);
        return Some(problem(entry.key_at, message, "write the value after the colon"));
    }
    None
}

fn list(keys: &[&str]) -> String {
    keys.iter().map(|k| format!("`{k}`")).collect::<Vec<_>>().join(", ")
}

/// Checks the entries together: one source, a title, captions with a file and only with one.
fn assemble(fence: usize, entries: &[Entry<'_>], problems: &mut Vec<Problem>) -> Option<Video> {
    let get = |key: &str| entries.iter().find(|e| e.key == key);
    let sources: Vec<&Entry<'_>> =
        entries.iter().filter(|e| matches!(e.key.as_str(), "youtube" | "vimeo" | "file")).collect();
    let title = get("title");
    if title.is_none() {
        problems.push(problem(
            fence,
            "this video block has no `title`",
            "add a line such as `title: Spotting referrals (12 minutes)`: it labels the play \
             button",
        ));
    }
    let source = match sources.as_slice() {
        [] => {
            problems.push(problem(
                fence,
                "this video block names no video",
                "add `youtube: <id>`, `vimeo: <id>`, or `file: <name>` for a file beside the page",
            ));
            return None;
        }
        [one] => one,
        [_, second, ..] => {
            let message = format!("a video block plays one video; `{}` is a second", second.key);
            problems.push(problem(second.key_at, message, "put each video in a block of its own"));
            return None;
        }
    };
    let captions = get("captions");
    let source = match source.key.as_str() {
        "youtube" => youtube(source, problems),
        "vimeo" => vimeo(source, problems),
        _ => file(source, captions, problems),
    };
    if let (Some(captions), Some(Source::YouTube { .. } | Source::Vimeo { .. })) =
        (captions, &source)
    {
        problems.push(problem(
            captions.key_at,
            "`captions` is for a `file:` video",
            "delete the line: YouTube and Vimeo show the captions uploaded there",
        ));
    }
    Some(Video { title: title?.value.to_string(), source: source? })
}

fn youtube(entry: &Entry<'_>, problems: &mut Vec<Problem>) -> Option<Source> {
    let id = entry.value;
    if is_youtube_id(id) {
        return Some(Source::YouTube { id: id.to_string() });
    }
    let help = match youtube_id_in_url(id) {
        Some(found) => format!("write the ID alone: `youtube: {found}`"),
        None => "a YouTube ID is the 11 letters, digits, `-` and `_` after `v=` in the video's \
                 address, such as `dQw4w9WgXcQ`"
            .to_string(),
    };
    problems.push(problem(entry.value_at, format!("`{id}` is not a YouTube video ID"), help));
    None
}

fn is_youtube_id(id: &str) -> bool {
    id.len() == 11 && id.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_'))
}

/// The ID in a YouTube address (`watch?v=`, `youtu.be/`, `embed/`, `shorts/`), if any.
fn youtube_id_in_url(url: &str) -> Option<&str> {
    let after = ["v=", "youtu.be/", "/embed/", "/shorts/", "/live/"]
        .iter()
        .find_map(|marker| url.find(marker).map(|at| &url[at + marker.len()..]))?;
    let id = &after[..after.find(['&', '?', '/', '#']).unwrap_or(after.len())];
    is_youtube_id(id).then_some(id)
}

fn vimeo(entry: &Entry<'_>, problems: &mut Vec<Problem>) -> Option<Source> {
    let value = entry.value;
    if let Some(source) = vimeo_id(value) {
        return Some(source);
    }
    let help = match vimeo_id_in_url(value) {
        Some(found) => format!("write the ID alone: `vimeo: {found}`"),
        None => "a Vimeo ID is the number at the end of the video's address, such as \
                 `76979871`; an unlisted video adds its hash: `76979871/af34c2d9e1`"
            .to_string(),
    };
    problems.push(problem(entry.value_at, format!("`{value}` is not a Vimeo video ID"), help));
    None
}

/// `123456789` or `123456789/abcdef1234`.
fn vimeo_id(value: &str) -> Option<Source> {
    let (id, hash) = match value.split_once('/') {
        Some((id, hash)) => (id, Some(hash)),
        None => (value, None),
    };
    let id_ok = (1..=12).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_digit());
    let hash_ok = hash
        .is_none_or(|h| (6..=40).contains(&h.len()) && h.bytes().all(|b| b.is_ascii_hexdigit()));
    (id_ok && hash_ok).then(|| Source::Vimeo { id: id.to_string(), hash: hash.map(str::to_string) })
}

/// The `id` or `id/hash` in a Vimeo address: `vimeo.com/123/abc` or
/// `player.vimeo.com/video/123?h=abc`.
fn vimeo_id_in_url(url: &str) -> Option<String> {
    let at = url.find("vimeo.com/")? + "vimeo.com/".len();
    let path = url[at..].trim_start_matches("video/");
    let path = &path[..path.find(['?', '#']).unwrap_or(path.len())];
    let hash = url.split_once("h=").map(|(_, h)| &h[..h.find('&').unwrap_or(h.len())]);
    let candidate = match hash {
        Some(hash) if !path.contains('/') => format!("{path}/{hash}"),
        _ => path.trim_end_matches('/').to_string(),
    };
    vimeo_id(&candidate).map(|_| candidate)
}

fn file(
    entry: &Entry<'_>,
    captions: Option<&Entry<'_>>,
    problems: &mut Vec<Problem>,
) -> Option<Source> {
    let video = entry.value;
    let local = |name: &str| !name.contains("://") && !name.starts_with('/');
    if !local(video) {
        problems.push(problem(
            entry.value_at,
            format!("`{video}` is not a file beside this page"),
            "put the video beside the page and write its name, such as `file: intro.mp4`; \
             for a video on YouTube or Vimeo use `youtube:` or `vimeo:`",
        ));
        return None;
    }
    let Some(captions) = captions else {
        problems.push(problem(
            entry.key_at,
            "a video file needs `captions`",
            "add `captions: intro.en.vtt`, a WebVTT file beside the page, so the session can be \
             followed without sound",
        ));
        return None;
    };
    if !local(captions.value) || !captions.value.to_ascii_lowercase().ends_with(".vtt") {
        problems.push(problem(
            captions.value_at,
            format!("`{}` is not a WebVTT file beside this page", captions.value),
            "name a `.vtt` file beside the page, such as `captions: intro.en.vtt`",
        ));
        return None;
    }
    Some(Source::File {
        video: FileName { name: video.to_string(), offset: entry.value_at },
        captions: FileName { name: captions.value.to_string(), offset: captions.value_at },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Lines of a block as the renderer hands them over: offsets counted from 100.
    fn read(block: &str) -> Result<Video, Vec<Problem>> {
        let mut offset = 100;
        let lines: Vec<(usize, &str)> = block
            .split_inclusive('\n')
            .map(|line| {
                let at = offset;
                offset += line.len();
                (at, line.trim_end_matches('\n'))
            })
            .collect();
        parse(90, &lines)
    }

    fn first_problem(block: &str) -> Problem {
        read(block).expect_err("a problem").remove(0)
    }

    #[test]
    fn reads_each_kind_of_video() {
        let video = read("youtube: dQw4w9WgXcQ\ntitle: Spotting referrals\n").unwrap();
        assert_eq!(video.source, Source::YouTube { id: "dQw4w9WgXcQ".into() });
        assert_eq!(video.title, "Spotting referrals");
        let vimeo = read("vimeo: 76979871/af34c2d9e1\ntitle: \"Etiquette\"\n").unwrap();
        assert_eq!(
            vimeo.source,
            Source::Vimeo { id: "76979871".into(), hash: Some("af34c2d9e1".into()) }
        );
        assert_eq!(vimeo.title, "Etiquette");
        let file = read("file: intro.mp4\ncaptions: intro.en.vtt\ntitle: Intro\n").unwrap();
        let name = |name: &str, offset| FileName { name: name.into(), offset };
        assert_eq!(
            file.source,
            Source::File { video: name("intro.mp4", 106), captions: name("intro.en.vtt", 126) }
        );
    }

    #[test]
    fn errors_on_a_url_instead_of_an_id_and_suggests_the_id() {
        let block = "title: T\nyoutube: https://www.youtube.com/watch?v=dQw4w9WgXcQ&t=9\n";
        let problem = first_problem(block);
        assert_eq!(problem.offset, 100 + 9 + "youtube: ".len());
        assert!(problem.message.contains("is not a YouTube video ID"), "{problem:?}");
        assert_eq!(problem.help, "write the ID alone: `youtube: dQw4w9WgXcQ`");
        let problem =
            first_problem("title: T\nvimeo: https://player.vimeo.com/video/123?h=abcdef\n");
        assert_eq!(problem.help, "write the ID alone: `vimeo: 123/abcdef`");
        assert!(first_problem("title: T\nyoutube: short\n").help.contains("11 letters"));
    }

    #[test]
    fn errors_on_missing_keys_at_the_fence() {
        let problems = read("\n").unwrap_err();
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(problems.iter().all(|p| p.offset == 90));
        assert!(problems[0].message.contains("no `title`"));
        assert!(problems[1].message.contains("names no video"));
        let problem = first_problem("file: intro.mp4\ntitle: Intro\n");
        assert_eq!(
            (problem.offset, problem.message.as_str()),
            (100, "a video file needs `captions`")
        );
    }

    #[test]
    fn errors_on_unknown_repeated_and_misplaced_keys() {
        let problem = first_problem("titel: T\nyoutube: dQw4w9WgXcQ\n");
        assert_eq!(problem.message, "unknown video key `titel`");
        assert_eq!(problem.help, "did you mean `title`?");
        let problem = first_problem("title: T\ntitle: U\nyoutube: dQw4w9WgXcQ\n");
        assert_eq!(problem.offset, 109);
        let problem = first_problem("title: T\nyoutube: dQw4w9WgXcQ\ncaptions: a.vtt\n");
        assert_eq!(problem.offset, 100 + 9 + 21);
        let problem = first_problem("title: T\nyoutube: dQw4w9WgXcQ\nvimeo: 123\n");
        assert!(problem.message.contains("plays one video"), "{problem:?}");
        let problem = first_problem("title: T\nfile: https://cdn.example/a.mp4\ncaptions: a.vtt\n");
        assert!(problem.message.contains("not a file beside this page"), "{problem:?}");
        assert!(first_problem("just text\n").message.contains("not a `key: value` line"));
    }
}
