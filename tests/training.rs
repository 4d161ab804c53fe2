//! Training pages: recorded sessions in `video` blocks and checklists from task lists. A video
//! loads nothing from a third party until the partner asks for it, and a mistaken block stops
//! the build with its file and line.

use std::path::Path;

use crate::common::Site;

const SESSION: &str = "---
title: Spotting referrals
---

Watch the session.

```video
youtube: dQw4w9WgXcQ
title: Spotting referrals, recorded
```

```video
vimeo: 76979871
title: Referral etiquette
```

## After the meeting

- [ ] Note the trigger
- [x] Register the referral
";

/// A page with a video file and its captions beside it.
const INTRO: &str = "---\ntitle: Intro\n---\n```video\nfile: intro.mp4\ncaptions: intro.en.vtt\n\
                     title: Welcome\n```\n";

#[test]
fn a_video_block_with_a_mistake_stops_the_build_naming_file_line_and_fix() {
    let body = "---\ntitle: Session\n---\n\nIntro.\n\n```video\ntitle: Session\n\
                youtube: https://youtu.be/dQw4w9WgXcQ\n```\n";
    let problems = Site::new().file("content/training/session.md", body).build_err();
    let [problem] = problems.as_slice() else { panic!("one problem: {problems:?}") };
    assert_eq!(problem.location(), "content/training/session.md:9:10");
    assert_eq!(problem.message, "`https://youtu.be/dQw4w9WgXcQ` is not a YouTube video ID");
    assert_eq!(problem.help.as_deref(), Some("write the ID alone: `youtube: dQw4w9WgXcQ`"));
    let shown = problem.to_string();
    assert!(shown.contains("9 | youtube: https://youtu.be/dQw4w9WgXcQ"), "{shown}");
}

#[test]
fn every_mistaken_video_block_is_reported_at_once() {
    let first = "---\ntitle: A\n---\n```video\nyoutube: dQw4w9WgXcQ\n```\n";
    let second = "---\ntitle: B\n---\n> ```video\n> title: B\n> file: talk.mp4\n> ```\n";
    let problems = Site::new().file("content/a.md", first).file("content/b.md", second).build_err();
    let found: Vec<(String, &str)> =
        problems.iter().map(|p| (p.location(), p.message.as_str())).collect();
    assert_eq!(
        found,
        [
            ("content/a.md:4:1".to_string(), "this video block has no `title`"),
            ("content/b.md:6:3".to_string(), "a video file needs `captions`"),
        ]
    );
}

#[test]
fn a_video_file_beside_the_page_plays_in_the_browser_with_captions() {
    let page = INTRO;
    let site = Site::new()
        .file("content/training/_index.md", "---\ntitle: Training\ntier: active\n---\n")
        .file("content/training/intro/index.md", page)
        .file("content/training/intro/intro.mp4", b"not really a video")
        .file("content/training/intro/intro.en.vtt", "WEBVTT\n");
    site.build_ok();
    let html = site.read_output("active/training/intro/index.html");
    assert!(
        html.contains(
            "<video controls preload=\"none\" src=\"/active/training/intro/intro.mp4\">\
             <track kind=\"captions\" src=\"/active/training/intro/intro.en.vtt\" srclang=\"en\" \
             label=\"Captions\" default>"
        ),
        "{html}"
    );
    assert!(html.contains("<a href=\"/active/training/intro/intro.mp4\" download>"), "{html}");
    assert!(site.output().join("active/training/intro/intro.en.vtt").is_file());
    assert!(!site.output().join("referral-network/training").exists());
}

#[test]
fn a_video_file_that_is_not_there_is_a_broken_link() {
    let page = INTRO;
    let problems = Site::new()
        .file("content/intro/index.md", page)
        .file("content/intro/intro.en.vtt", "WEBVTT\n")
        .build_err();
    let [problem] = problems.as_slice() else { panic!("one problem: {problems:?}") };
    assert_eq!(problem.location(), "content/intro/index.md:5:7");
    assert_eq!(problem.kind, Some("broken-link"));
}

/// [`SESSION`] built, and its page in `tier`.
fn built_session(tier: &str) -> (Site, String) {
    let site = Site::new().file("content/session.md", SESSION);
    site.build_ok();
    let html = site.read_output(&format!("{tier}/session/index.html"));
    (site, html)
}

#[test]
fn a_youtube_or_vimeo_video_is_a_play_button_and_a_link_until_clicked() {
    let (site, html) = built_session("referral-network");
    assert!(
        html.contains(
            "<button type=\"button\" class=\"video-facade\" \
             data-video-embed=\"https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ?autoplay=1\" \
             data-video-allow=\"autoplay; encrypted-media; fullscreen; picture-in-picture\" \
             data-video-title=\"Spotting referrals, recorded\" hidden>"
        ),
        "{html}"
    );
    assert!(
        html.contains(
            "<a href=\"https://www.youtube.com/watch?v=dQw4w9WgXcQ\" rel=\"noopener\">\
             Watch \u{201c}Spotting referrals, recorded\u{201d} on YouTube</a>"
        ),
        "{html}"
    );
    assert!(html.contains(
        "data-video-embed=\"https://player.vimeo.com/video/76979871?autoplay=1&amp;dnt=1\""
    ));
    assert_loads_nothing_from_video_hosts(&site.output());
}

#[test]
fn task_lists_are_checklists_with_named_boxes() {
    let (_site, html) = built_session("active");
    assert!(
        html.contains(
            "<li><input type=\"checkbox\" class=\"task\" disabled data-task=\"note-the-trigger\" \
             aria-label=\"Note the trigger\"> Note the trigger</li>"
        ),
        "{html}"
    );
    assert!(html.contains(
        "data-task=\"register-the-referral\" aria-label=\"Register the referral\" checked>"
    ));
}

#[test]
fn the_example_portal_loads_nothing_from_video_hosts_before_a_click() {
    let out = tempfile::tempdir().unwrap();
    let options = portico::build::BuildOptions {
        root: Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf(),
        output: out.path().to_path_buf(),
        tiers: vec![],
        base_url: None,
        drafts: false,
        allow_broken_links: false,
    };
    portico::build::build(&options).unwrap();
    let facades = assert_loads_nothing_from_video_hosts(out.path());
    assert!(facades >= 3, "the example's training video is a facade in every tier ({facades})");
}

/// Fails if any built page embeds a frame, or loads a script, image or player from another
/// site; returns how many video facades the pages hold.
fn assert_loads_nothing_from_video_hosts(output: &Path) -> usize {
    let mut facades = 0;
    for entry in walkdir::WalkDir::new(output) {
        let entry = entry.unwrap();
        if entry.path().extension().is_none_or(|e| e != "html") {
            continue;
        }
        let html = std::fs::read_to_string(entry.path()).unwrap();
        let page = entry.path().display();
        assert!(!html.contains("<iframe"), "{page} embeds a frame");
        for src in ["src=\"http", "src=http", "src=\"//", "src='http", "srcset="] {
            assert!(!html.contains(src), "{page} loads from another site: {src}");
        }
        for host in ["youtube.com/embed", "youtube-nocookie.com", "player.vimeo.com", "ytimg.com"] {
            let loaded = html.match_indices(host).filter(|(at, _)| {
                !html[..*at].ends_with("data-video-embed=\"https://www.")
                    && !html[..*at].ends_with("data-video-embed=\"https://")
            });
            assert_eq!(loaded.count(), 0, "{page} names {host} outside a facade");
        }
        facades += html.matches("data-video-embed=").count();
    }
    facades
}
