//! Training pages in the browser: a video's player is put in the page only when the partner
//! presses play, and nothing is requested from another site before that; each task list is a
//! checklist whose ticks and "n of m done" survive a reload, and an item its author ticked
//! stays done without being counted. No video host is reached: the browser resolves no names,
//! and the test reads the page, not the player.

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

/// The "n of m done" of each checklist on the page, in order, once the script has shown them.
fn counts(tab: &mut Tab<'_>) -> Value {
    wait_for(
        tab,
        "(() => { const shown = [...document.querySelectorAll('.checklist-progress [role=status]')]
            .map(s => s.textContent); return shown.length ? shown : null; })()",
    )
}

/// Whether each task's box is ticked, in order.
fn ticks(tab: &mut Tab<'_>) -> Value {
    tab.eval("[...document.querySelectorAll('input[data-task]')].map(b => b.checked)")
        .expect("read the ticks")
}

#[test]
fn a_checklist_counts_and_keeps_its_ticks_per_page() {
    let Some((portal, mut browser)) = serve_session() else { return };
    let mut tab = browser.open_tab();
    let url = portal.url("active/session/");
    assert_eq!(tab.load(&url), 200);

    assert_eq!(counts(&mut tab), json!(["0 of 2 done"]));
    let enabled =
        tab.eval("[...document.querySelectorAll('input[data-task]')].map(b => !b.disabled)");
    assert_eq!(enabled, Ok(json!([true, false, true])), "the author's tick is not the partner's");
    click(&mut tab, "input[data-task='note-the-trigger']");
    assert_eq!(counts(&mut tab), json!(["1 of 2 done"]));

    assert_eq!(tab.load(&url), 200);
    assert_eq!(counts(&mut tab), json!(["1 of 2 done"]));
    assert_eq!(ticks(&mut tab), json!([true, true, false]));

    click(&mut tab, ".checklist-progress button");
    assert_eq!(counts(&mut tab), json!(["0 of 2 done"]));
    assert_eq!(ticks(&mut tab), json!([false, true, false]), "the author's tick stays");
    assert_eq!(tab.eval("localStorage.length"), Ok(json!(0)));
    assert_eq!(tab.problems(), Vec::<String>::new());
}

const TWO_CHECKLISTS: &str = "---
title: Onboarding
---

## Before the call

- [ ] Read the brief
  - [ ] Note questions
- [ ] Book a room

## After the call

Then:

1. [ ] Send the notes
2. [x] Add the partner to the directory
";

#[test]
fn each_checklist_on_a_page_has_its_own_progress_above_it() {
    let Some(chromium) = chromium_or_skip() else { return };
    let site = one_tier_site(&[("content/onboarding.md", TWO_CHECKLISTS)]);
    let portal = Portal::build(site.path());
    let mut browser = Browser::launch(&chromium);
    let mut tab = browser.open_tab();
    assert_eq!(tab.load(&portal.url("active/onboarding/")), 200);

    assert_eq!(counts(&mut tab), json!(["0 of 3 done", "0 of 1 done"]));
    let placed = tab.eval(
        "[...document.querySelectorAll('.checklist-progress')].map(p => [
            p.previousElementSibling.textContent, p.nextElementSibling.tagName,
            p.nextElementSibling.querySelectorAll('input[data-task]').length])",
    );
    assert_eq!(placed, Ok(json!([["Before the call", "UL", 3], ["Then:", "OL", 2]])));

    click(&mut tab, "input[data-task='note-questions']");
    click(&mut tab, "input[data-task='send-the-notes']");
    assert_eq!(counts(&mut tab), json!(["1 of 3 done", "1 of 1 done"]));
    click(&mut tab, ".checklist-progress:has(+ ol) button");
    assert_eq!(counts(&mut tab), json!(["1 of 3 done", "0 of 1 done"]));
    assert_eq!(ticks(&mut tab), json!([false, true, false, false, true]));
    assert_eq!(tab.problems(), Vec::<String>::new());
}
