//! Training pages in the browser: a video's player is put in the page only when the partner
//! presses play, and nothing is requested from another site before that; a task list is a
//! checklist whose ticks and "n of m done" survive a reload. No video host is reached: the
//! browser resolves no names, and the test reads the page, not the player.

use serde_json::{Value, json};

use super::{Browser, Portal, Tab, chromium_or_skip, one_tier_site, wait_for};

const SESSION: &str = "---
title: Spotting referrals
---

The recorded session.

```video
youtube: dQw4w9WgXcQ
title: Spotting referrals, recorded
```

```video
vimeo: 76979871/af34c2d9e1
title: Referral etiquette
```

## After the meeting

- [ ] Note the trigger
- [x] Register the referral
- [ ] Tell the partner manager
";

/// The training page built and served, and a browser to read it in; `None` without Chromium.
fn serve_session() -> Option<(Portal, Browser)> {
    let chromium = chromium_or_skip()?;
    let site = one_tier_site(&[("content/session.md", SESSION)]);
    Some((Portal::build(site.path()), Browser::launch(&chromium)))
}

/// Clicks the element `selector` names with real mouse events, as a person would.
fn click(tab: &mut Tab<'_>, selector: &str) {
    let target = tab
        .eval(&format!(
            r#"(() => {{
                const element = document.querySelector({selector});
                if (!element) return null;
                element.scrollIntoView({{ block: "center" }});
                const box = element.getBoundingClientRect();
                const x = box.x + box.width / 2, y = box.y + box.height / 2;
                return {{ x, y, onTop: element.contains(document.elementFromPoint(x, y)) }};
            }})()"#,
            selector = json!(selector)
        ))
        .expect("locate the element");
    assert!(target.is_object(), "nothing matches {selector}");
    assert_eq!(target["onTop"], true, "something covers {selector}");
    for kind in ["mousePressed", "mouseReleased"] {
        let params = json!({ "type": kind, "x": target["x"], "y": target["y"],
                             "button": "left", "clickCount": 1 });
        tab.call("Input.dispatchMouseEvent", params);
    }
}

/// Every address the page has requested since it was loaded.
fn requests(tab: &mut Tab<'_>) -> Vec<String> {
    tab.call("Runtime.evaluate", json!({ "expression": "0" }));
    tab.events("Network.requestWillBeSent")
        .iter()
        .filter_map(|params| params["request"]["url"].as_str().map(str::to_owned))
        .collect()
}

#[test]
fn a_video_player_is_loaded_only_after_a_click() {
    let Some((portal, mut browser)) = serve_session() else { return };
    let mut tab = browser.open_tab();
    assert_eq!(tab.load(&portal.url("active/session/")), 200);

    wait_for(&mut tab, "!document.querySelector('[data-video-embed]').hidden");
    assert_eq!(tab.eval("document.querySelectorAll('iframe').length"), Ok(json!(0)));
    let foreign: Vec<String> =
        requests(&mut tab).into_iter().filter(|url| !url.starts_with(&portal.origin())).collect();
    assert_eq!(foreign, Vec::<String>::new(), "requests to other sites before a click");
    assert_eq!(tab.problems(), Vec::<String>::new());

    click(&mut tab, "[data-video-embed]");
    let frame = wait_for(
        &mut tab,
        r#"(() => { const f = document.querySelector("iframe");
            return f && [f.getAttribute("src"), f.getAttribute("allow"), f.title,
                         document.querySelectorAll("[data-video-embed]").length]; })()"#,
    );
    assert_eq!(
        frame,
        json!([
            "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ?autoplay=1",
            "autoplay; encrypted-media; fullscreen; picture-in-picture",
            "Spotting referrals, recorded",
            1
        ])
    );
    // The second video is still a button, its player not in the page.
    let vimeo = tab.eval("document.querySelector('[data-video-embed]').dataset.videoEmbed");
    assert_eq!(
        vimeo,
        Ok(json!("https://player.vimeo.com/video/76979871?autoplay=1&dnt=1&h=af34c2d9e1"))
    );
    assert_eq!(tab.eval("document.querySelectorAll('iframe').length"), Ok(json!(1)));
}

#[test]
fn a_checklist_counts_and_keeps_its_ticks_per_page() {
    let Some((portal, mut browser)) = serve_session() else { return };
    let mut tab = browser.open_tab();
    let url = portal.url("active/session/");
    assert_eq!(tab.load(&url), 200);

    let progress = "document.querySelector('.checklist-progress [role=status]')";
    let count = |tab: &mut Tab<'_>| -> Value {
        wait_for(tab, &format!("{progress} && {progress}.textContent"))
    };
    assert_eq!(count(&mut tab), json!("1 of 3 done"));
    let enabled =
        tab.eval("[...document.querySelectorAll('input[data-task]')].every(b => !b.disabled)");
    assert_eq!(enabled, Ok(json!(true)));
    click(&mut tab, "input[data-task='note-the-trigger']");
    assert_eq!(count(&mut tab), json!("2 of 3 done"));

    assert_eq!(tab.load(&url), 200);
    assert_eq!(count(&mut tab), json!("2 of 3 done"));
    let ticked = tab.eval("[...document.querySelectorAll('input[data-task]')].map(b => b.checked)");
    assert_eq!(ticked, Ok(json!([true, true, false])));

    click(&mut tab, ".checklist-progress button");
    assert_eq!(count(&mut tab), json!("1 of 3 done"));
    assert_eq!(tab.problems(), Vec::<String>::new());
}
