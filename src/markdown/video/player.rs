//! A checked video as HTML: a facade for YouTube and Vimeo, the browser's own player for a file.

use super::{FileName, Source, Video};
use crate::markdown::escape;

/// A piece of a video's HTML: markup as it stands, or the address of a file beside the page,
/// which each tier writes itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Part {
    Html(String),
    File(FileName),
}

impl Video {
    /// The page's HTML for the video, with the addresses of files beside the page left for
    /// each tier to write.
    pub fn parts(&self) -> Vec<Part> {
        let title = escape(&self.title);
        match &self.source {
            Source::YouTube { id } => facade(
                &title,
                "YouTube",
                &format!("https://www.youtube-nocookie.com/embed/{id}?autoplay=1"),
                "autoplay; encrypted-media; fullscreen; picture-in-picture",
                &self.web_address().unwrap_or_default(),
            ),
            Source::Vimeo { id, hash } => {
                let query = hash.as_ref().map(|hash| format!("&h={hash}")).unwrap_or_default();
                facade(
                    &title,
                    "Vimeo",
                    &format!("https://player.vimeo.com/video/{id}?autoplay=1&dnt=1{query}"),
                    "autoplay; fullscreen; picture-in-picture",
                    &self.web_address().unwrap_or_default(),
                )
            }
            Source::File { video, captions } => own_player(&title, video, captions),
        }
    }

    /// The video's page on YouTube or Vimeo; `None` for a file beside the page.
    pub fn web_address(&self) -> Option<String> {
        match &self.source {
            Source::YouTube { id } => Some(format!("https://www.youtube.com/watch?v={id}")),
            Source::Vimeo { id, hash: None } => Some(format!("https://vimeo.com/{id}")),
            Source::Vimeo { id, hash: Some(hash) } => {
                Some(format!("https://vimeo.com/{id}/{hash}"))
            }
            Source::File { .. } => None,
        }
    }
}

/// A play button that the theme's script swaps for the player, and a link for readers
/// without JavaScript. The player's address sits in a data attribute, so nothing loads.
fn facade(title: &str, host: &str, embed: &str, allow: &str, link: &str) -> Vec<Part> {
    vec![Part::Html(format!(
        "<figure class=\"video\" data-video>\n\
         <button type=\"button\" class=\"video-facade\" data-video-embed=\"{}\" \
         data-video-allow=\"{allow}\" data-video-title=\"{title}\" hidden>\
         <span class=\"video-play\" aria-hidden=\"true\"></span>\
         <span class=\"video-title\">{title}</span>\
         <span class=\"video-note\">Plays from {host}: nothing is loaded from {host} until you \
         press play.</span></button>\n\
         <figcaption><a href=\"{}\" rel=\"noopener\">Watch \u{201c}{title}\u{201d} on {host}</a>\
         </figcaption>\n</figure>\n",
        escape(embed),
        escape(link),
    ))]
}

/// The browser's own player for a file beside the page, loading nothing until played.
fn own_player(title: &str, video: &FileName, captions: &FileName) -> Vec<Part> {
    let language = caption_language(&captions.name)
        .map(|l| format!(" srclang=\"{}\"", escape(l)))
        .unwrap_or_default();
    vec![
        Part::Html("<figure class=\"video\">\n<video controls preload=\"none\" src=\"".into()),
        Part::File(video.clone()),
        Part::Html("\"><track kind=\"captions\" src=\"".into()),
        Part::File(captions.clone()),
        Part::Html(format!("\"{language} label=\"Captions\" default><a href=\"")),
        Part::File(video.clone()),
        Part::Html(format!("\">{title}</a></video>\n<figcaption>{title} \u{b7} <a href=\"")),
        Part::File(video.clone()),
        Part::Html("\" download>Download the video</a></figcaption>\n</figure>\n".into()),
    ]
}

/// The language in a captions file's name: `en` in `intro.en.vtt`.
fn caption_language(captions: &str) -> Option<&str> {
    let stem = captions.get(..captions.len().checked_sub(4)?)?;
    let (_, language) = stem.rsplit_once('.')?;
    let letters = |part: &str, lengths: std::ops::RangeInclusive<usize>| {
        lengths.contains(&part.len()) && part.bytes().all(|b| b.is_ascii_alphabetic())
    };
    let valid = match language.split_once('-') {
        Some((base, region)) => letters(base, 2..=3) && letters(region, 2..=2),
        None => letters(language, 2..=3),
    };
    valid.then_some(language)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_facade_names_its_player_only_in_data_attributes() {
        let source = Source::YouTube { id: "dQw4w9WgXcQ".into() };
        let video = Video { title: "A <b>talk</b>".into(), source };
        let parts = video.parts();
        let [Part::Html(html)] = parts.as_slice() else { panic!("one piece of HTML") };
        assert!(!html.contains("src="), "{html}");
        assert!(!html.contains("<iframe"), "{html}");
        assert!(html.contains(
            "data-video-embed=\"https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ?autoplay=1\""
        ));
        assert!(html.contains("href=\"https://www.youtube.com/watch?v=dQw4w9WgXcQ\""), "{html}");
        assert!(html.contains("A &lt;b&gt;talk&lt;/b&gt;"), "{html}");
    }

    #[test]
    fn captions_name_their_language() {
        assert_eq!(caption_language("intro.en.vtt"), Some("en"));
        assert_eq!(caption_language("intro.pt-BR.vtt"), Some("pt-BR"));
        assert_eq!(caption_language("intro.vtt"), None);
        assert_eq!(caption_language("intro.12-34.vtt"), None);
    }
}
