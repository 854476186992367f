"""The timeline page in a real headless Chromium, against the real stack (broker, faust, sink).

The dev-set story is posted through the CLI; the page must show what `GET /timeline` and
`newsline timeline` say, in the same order, with spans for imprecise dates. Screenshots are kept in
test-artifacts/web/ (gitignored).
"""

import json
import re
import time
from datetime import date

import httpx
import pytest

from tests.browser import chromium
from tests.conftest import EXAMPLES, ROOT

pytestmark = pytest.mark.integration
ARTIFACTS = ROOT / "test-artifacts" / "web"
LIVE_TIMEOUT_S = 180
LIST_IDS = "() => [...document.querySelectorAll('#timeline li.event')].map(e => e.dataset.eventId)"
SHOWS_IDS = ("ids => JSON.stringify([...document.querySelectorAll('#timeline li.event')]"
             ".map(e => e.dataset.eventId)) === JSON.stringify(ids)")
HOSTILE_TITLE = '<script>window.__xss=1</script><img src=x onerror="window.__xss=2">'
HOSTILE_OUTLET = "<b onmouseover=window.__xss=5>Evil</b>"
HOSTILE_TEXT = ("Hostile envoy.\n\nOn 12 October 2023, the <script>window.__xss=4</script> envoy "
                "<img src=x onerror=window.__xss=3> met ECOWAS leaders in Niamey about the junta.")
# Records Content-Security-Policy violations (an inline script or handler that tried to run).
WATCH_CSP = ("window.__csp = []; document.addEventListener('securitypolicyviolation', "
             "e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));")


@pytest.fixture(scope="module")
def story(stack):
    stack.cli("post", str(EXAMPLES / "niger-2023.jsonl"), "--data-dir", str(stack.data_dir),
              "--wait", "--timeout", "240")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return stack


@pytest.fixture(scope="module")
def browser():
    with chromium() as b:
        yield b


@pytest.fixture
def page(browser, story):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.add_init_script(WATCH_CSP)
    pg = context.new_page()
    pg.requests = []
    pg.errors = []
    pg.on("request", lambda r: pg.requests.append(r.url))
    pg.on("pageerror", lambda e: pg.errors.append(str(e)))
    pg.on("console", lambda m: pg.errors.append(m.text) if m.type == "error" else None)
    yield pg
    context.close()


def api_get(stack, path, **params):
    r = httpx.get(stack.info["api_url"] + path, params=params, timeout=30)
    r.raise_for_status()
    return r.json()


def day(iso):
    return date.fromisoformat(iso)


def open_page(page, stack, expected_ids):
    page.goto(stack.info["api_url"] + "/")
    page.wait_for_function(SHOWS_IDS, arg=expected_ids, timeout=30_000)


def test_page_shows_the_story_in_date_order_with_spans_for_imprecise_dates(page, story):
    events = api_get(story, "/timeline")
    ids = [e["event_id"] for e in events]
    open_page(page, story, ids)
    rows = page.eval_on_selector_all("#timeline li.event", """els => els.map(e => {
        const m = e.querySelector('.marker').getBoundingClientRect();
        const t = e.querySelector('.track').getBoundingClientRect();
        return {start: e.dataset.start, end: e.dataset.end, marker: e.querySelector('.marker').className,
                left: m.left, width: m.width, center: m.left + m.width / 2, track: t.width}; })""")
    assert [(r["start"], r["end"]) for r in rows] == [(e["start"], e["end"]) for e in events]
    assert [r["start"] for r in rows] == sorted(r["start"] for r in rows)
    spans = [r for r in rows if r["start"] != r["end"]]
    days = [r for r in rows if r["start"] == r["end"]]
    assert spans and days, rows  # the dev set has both ("last week", "earlier this month")
    assert all("bar" in r["marker"] for r in spans) and all("dot" in r["marker"] for r in days)
    dot = max(r["width"] for r in days)
    a, b = days[0], days[-1]  # pixels per day, from the centres of two exact days
    px_per_day = (b["center"] - a["center"]) / (day(b["start"]) - day(a["start"])).days
    for r in spans:  # a span covers its days on the axis, and is wider than any point
        n_days = (day(r["end"]) - day(r["start"])).days + 1
        assert abs(r["width"] - n_days * px_per_day) < 2 and r["width"] > dot, (r, px_per_day)
    anchors = [r["left"] if r["start"] != r["end"] else r["center"] for r in rows]
    for a, b, ra, rb in zip(anchors, anchors[1:], rows, rows[1:], strict=False):
        if ra["start"] < rb["start"]:
            assert a < b, (ra, rb)  # later dates sit further right on the axis
    page.screenshot(path=str(ARTIFACTS / "timeline.png"), full_page=True)
    origin = story.info["api_url"]
    assert page.requests and all(u.startswith(origin) for u in page.requests), page.requests
    assert page.evaluate("window.__csp") == [] and not page.errors, page.errors


def test_click_shows_summary_entities_mentions_and_sources_with_copies_inside(page, story):
    events = api_get(story, "/timeline", detail="true")
    open_page(page, story, [e["event_id"] for e in events])
    with_copy = [e for e in events if any(a["copies"] for a in e["articles"])]
    assert with_copy, "the dev set's syndicated copy must show under its original"
    event = max(with_copy, key=lambda e: len(e["sources"]))
    page.click(f"li[data-event-id='{event['event_id']}'] button")
    page.wait_for_selector("#detail:not([hidden]) .source")
    assert page.evaluate("document.activeElement.id") == "detail"
    assert page.text_content("#detail-title") == event["summary"]
    sources = page.eval_on_selector_all("#detail .source", """els => els.map(e => ({
        href: e.querySelector('.source-head a').href,
        outlet: e.querySelector('.source-head .outlet').textContent,
        time: e.querySelector('.source-head time').getAttribute('datetime'),
        marks: [...e.querySelectorAll('blockquote mark')].map(m => m.textContent),
        copies: [...e.querySelectorAll('.copy')].map(c => c.textContent)}))""")
    assert len(sources) == len(event["sources"]) == len(event["articles"])
    for shown, article in zip(sources, event["articles"], strict=True):
        assert shown["href"].rstrip("/") == article["url"].rstrip("/")
        assert shown["outlet"] == article["outlet"] and shown["time"] == article["published_at"]
        assert shown["marks"] == [m["expression"] for m in article["mentions"]]
        assert len(shown["copies"]) == len(article["copies"])
        for copy in article["copies"]:
            assert copy["url"] not in event["sources"] and copy["outlet"] not in [
                a["outlet"] for a in event["articles"]]
            assert any(copy["outlet"] in text for text in shown["copies"])
    entities = page.eval_on_selector_all("#detail .entity", "els => els.map(e => e.textContent)")
    assert entities == event["entities"]
    page.screenshot(path=str(ARTIFACTS / "detail.png"))
    page.keyboard.press("Escape")
    assert page.is_hidden("#detail")
    assert page.evaluate("document.activeElement.closest('li.event').dataset.eventId") == event["event_id"]


def test_filters_show_what_the_api_and_the_cli_show(page, story):
    all_ids = [e["event_id"] for e in api_get(story, "/timeline")]
    open_page(page, story, all_ids)
    cases = [
        ({"#f-entity": "Bazoum"}, {"entity": "Bazoum"}, ["--entity", "Bazoum"]),
        ({"#f-since": "2023-08-01", "#f-until": "2023-08-31"},
         {"since": "2023-08-01", "until": "2023-08-31"}, ["--since", "2023-08-01", "--until", "2023-08-31"]),
        ({"#f-min-sources": "2"}, {"min_sources": "2"}, ["--min-sources", "2"]),
    ]
    for fields, params, flags in cases:
        page.click("#filters button[type=reset]")
        page.wait_for_function(SHOWS_IDS, arg=all_ids)
        for selector, value in fields.items():
            page.fill(selector, value)
        page.click("#filters button[type=submit]")
        want = [e["event_id"] for e in api_get(story, "/timeline", **params)]
        assert want == [e["event_id"] for e in story.timeline(*flags)]
        assert 0 < len(want) < len(all_ids), (params, want)
        page.wait_for_function(SHOWS_IDS, arg=want)
    page.click("#filters button[type=reset]")
    page.wait_for_function(SHOWS_IDS, arg=all_ids)
    page.select_option("#f-language", "en")
    page.click("#filters button[type=submit]")
    want = [e["event_id"] for e in story.timeline("--language", "en")]
    assert 0 < len(want) < len(all_ids)
    page.wait_for_function(SHOWS_IDS, arg=want)
    assert "language=en" in page.url  # the filtered view is a link that can be shared
    # An entity chip in the detail panel filters on that entity.
    page.click("#filters button[type=reset]")
    page.wait_for_function(SHOWS_IDS, arg=all_ids)
    page.click("#timeline li.event.many button")
    page.click("#detail .entity >> nth=0")
    name = page.input_value("#f-entity")
    page.wait_for_function(SHOWS_IDS, arg=[e["event_id"] for e in story.timeline("--entity", name)])
    page.screenshot(path=str(ARTIFACTS / "filtered.png"))


def test_as_of_slider_replays_how_the_timeline_grew(page, story):
    arrivals = api_get(story, "/timeline/arrivals")
    all_ids = [e["event_id"] for e in api_get(story, "/timeline")]
    assert len(arrivals) >= 8, arrivals  # one step per accepted article of the dev set (or more)
    open_page(page, story, all_ids)
    page.focus("#asof")
    page.keyboard.press("Home")
    first = arrivals[0]["known_at"]
    want = [e["event_id"] for e in story.timeline("--as-of", first)]
    assert 0 < len(want) < len(all_ids)
    page.wait_for_function(SHOWS_IDS, arg=want)
    assert arrivals[0]["articles"][0]["title"] in page.text_content("#asof-label")
    page.keyboard.press("ArrowRight")
    second = [e["event_id"] for e in api_get(story, "/timeline", as_of=arrivals[1]["known_at"])]
    page.wait_for_function(SHOWS_IDS, arg=second)
    page.keyboard.press("End")
    page.wait_for_function(SHOWS_IDS, arg=all_ids)
    assert page.text_content("#asof-label") == "now (live)"
    # Replay steps through every arrival from the first one, then comes back to live.
    page.click("#replay")
    page.wait_for_function(SHOWS_IDS, arg=want)
    page.wait_for_function(SHOWS_IDS, arg=second)
    page.wait_for_function("() => document.getElementById('replay').getAttribute('aria-pressed') === 'false'",
                           timeout=60_000)
    page.wait_for_function(SHOWS_IDS, arg=all_ids)
    assert page.text_content("#asof-label") == "now (live)"


def post_article(stack, article):
    r = httpx.post(stack.info["api_url"] + "/articles", json=article, timeout=30,
                   headers={"Authorization": f"Bearer {stack.info['token']}"})
    assert r.status_code == 202, r.text


def test_new_events_appear_live_without_reloading(page, story):
    open_page(page, story, [e["event_id"] for e in api_get(story, "/timeline")])
    page.evaluate("window.__same_document = true")
    posted = time.monotonic()
    post_article(story, {
        "url": "https://live.example/niger-talks", "published_at": "2023-10-03T12:00:00Z",
        "language": "en", "source": "Live Example", "title": "Niger talks",
        "text": "Niger talks.\n\nOn 2 October 2023, the Niger junta received ECOWAS envoys in Niamey."})
    page.wait_for_selector("li.event[data-start='2023-10-02']", timeout=LIVE_TIMEOUT_S * 1000)
    seconds = time.monotonic() - posted
    metrics = httpx.get(story.info["api_url"] + "/metrics").text
    p50 = re.search(r'newsline_processing_latency_seconds\{quantile="0.5"\} ([\d.]+)', metrics)
    print(f"live: the posted event appeared in the open page {seconds:.1f} s after the 202 "
          f"(pipeline accepted-to-visible p50: {p50.group(1) if p50 else '?'} s; page polls every 2 s)")
    assert page.evaluate("window.__same_document") is True  # no reload happened


def test_hostile_title_and_text_render_as_text_and_run_nothing(page, story):
    post_article(story, {"url": "https://hostile.example/x", "published_at": "2023-10-13T10:00:00Z",
                         "language": "en", "title": HOSTILE_TITLE, "source": HOSTILE_OUTLET,
                         "text": HOSTILE_TEXT})
    deadline = time.monotonic() + LIVE_TIMEOUT_S
    while not (found := api_get(story, "/timeline", since="2023-10-12", until="2023-10-12")):
        assert time.monotonic() < deadline, "the hostile article never became visible"
        time.sleep(1)
    event = found[0]
    assert "<script>" in event["summary"]
    open_page(page, story, [e["event_id"] for e in api_get(story, "/timeline")])
    page.click(f"li[data-event-id='{event['event_id']}'] button")
    page.wait_for_selector("#detail:not([hidden]) .source")
    assert page.text_content("#detail-title") == event["summary"]
    assert page.text_content(f"li[data-event-id='{event['event_id']}'] .summary") == event["summary"]
    assert page.text_content("#detail .source-head a") == HOSTILE_TITLE
    assert page.text_content("#detail .source-head .outlet") == HOSTILE_OUTLET
    assert page.evaluate("window.__xss") is None
    assert page.evaluate("document.querySelectorAll('img, b, script:not([src])').length") == 0
    assert page.evaluate("[...document.scripts].map(s => new URL(s.src).pathname)") == ["/web/timeline.js"]
    assert page.evaluate("window.__csp") == []  # nothing even tried to run inline
    page.screenshot(path=str(ARTIFACTS / "hostile.png"))


def test_page_headers_forbid_inline_code_and_assets_are_local(story):
    api = story.info["api_url"]
    for path in ("/", "/timeline/view", "/web/timeline.js", "/web/timeline.css"):
        r = httpx.get(api + path)
        assert r.status_code == 200
        csp = r.headers["content-security-policy"]
        assert "default-src 'none'" in csp and "script-src 'self'" in csp and "unsafe" not in csp
        assert r.headers["x-content-type-options"] == "nosniff"
    html = httpx.get(api + "/").text
    assert not re.search(r"<script(?![^>]*\bsrc=)", html)  # no inline script
    assert not re.search(r"\s(on\w+|style)=", html)  # no inline handler or style
    assert not re.search(r"(src|href)=\"(https?:)?//", html)  # nothing from another origin
    assert httpx.get(api + "/web/../api.py").status_code == 404
    assert httpx.get(api + "/web/nope.js").status_code == 404
    first = httpx.get(api + "/timeline", params={"detail": "true"})
    again = httpx.get(api + "/timeline", params={"detail": "true"},
                      headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code in (200, 304)  # 200 only if a snapshot was published in between
    assert json.loads(first.text)[0]["articles"]


def test_keyboard_and_phone_width(browser, story):
    context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2,
                                  has_touch=True)
    page = context.new_page()
    try:
        open_page(page, story, [e["event_id"] for e in api_get(story, "/timeline")])
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        for _ in range(40):  # Tab through the skip link, the filters and the slider to the events
            page.keyboard.press("Tab")
            if page.evaluate("!!document.activeElement.closest('li.event')"):
                break
        first = page.evaluate("document.activeElement.closest('li.event').dataset.eventId")
        page.keyboard.press("ArrowDown")
        second = page.evaluate("document.activeElement.closest('li.event').dataset.eventId")
        assert first != second
        page.keyboard.press("Enter")
        page.wait_for_selector("#detail:not([hidden]) .source")
        assert page.evaluate("document.activeElement.id") == "detail"
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        page.screenshot(path=str(ARTIFACTS / "phone.png"))
        page.keyboard.press("Escape")
        assert page.evaluate("document.activeElement.closest('li.event').dataset.eventId") == second
        unnamed = page.evaluate("""() => [...document.querySelectorAll('button, input, select, a')]
            .filter(e => !(e.getAttribute('aria-label') || e.textContent.trim()
                           || (e.labels && e.labels.length))).map(e => e.outerHTML)""")
        assert unnamed == []
        assert page.evaluate(CONTRAST) == [], "text below 4.5:1 contrast"
    finally:
        context.close()


# Contrast ratio (WCAG 2) of every visible text element against its nearest opaque background.
CONTRAST = """() => {
  const rgb = s => s.match(/[\\d.]+/g).map(Number);
  const lum = c => { const [r, g, b] = c.slice(0, 3).map(v => { v /= 255;
    return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
  const bg = e => { for (; e; e = e.parentElement) { const c = rgb(getComputedStyle(e).backgroundColor);
    if (c.length < 4 || c[3] > 0.9) return c; } return [255, 255, 255]; };
  const bad = [];
  for (const e of document.querySelectorAll('body *')) {
    const own = [...e.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());
    if (!own || !e.getClientRects().length || e.closest('[hidden]')) continue;
    const a = lum(rgb(getComputedStyle(e).color)), b = lum(bg(e));
    const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    if (ratio < 4.5) bad.push(e.tagName + '.' + e.className + ': ' + ratio.toFixed(2));
  }
  return bad;
}"""
