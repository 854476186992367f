// Newsline timeline page. Written by hand, no dependencies. Every piece of data is untrusted
// (titles and sentences come from articles): the DOM is built with createElement and
// textContent only, never from HTML strings, and links are kept only for http(s) URLs.
"use strict";

(function () {
  const POLL_MS = 2000;
  const REPLAY_STEP_MS = 800;
  const MANY_SOURCES = 3;
  const DAY_MS = 86400000;
  const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
  const FILTERS = ["entity", "since", "until", "language", "min_sources"];

  const state = {
    filters: {},
    arrivals: [],
    asOf: null, // null: live; otherwise an index into arrivals
    events: [],
    selected: null,
    timelineTag: null,
    arrivalsTag: null,
    entities: new Set(),
    languages: new Set(),
  };

  const $ = (id) => document.getElementById(id);

  // el("li", {class: "x", "aria-label": text}, child, "text", ...): text children become text nodes.
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (/^on/i.test(name)) throw new Error("no event handler attributes");
      node.setAttribute(name, value === true ? "" : String(value));
    }
    for (const child of children) {
      if (child === null || child === undefined) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  function safeHref(url) {
    try {
      const parsed = new URL(url);
      return parsed.protocol === "https:" || parsed.protocol === "http:" ? parsed.href : null;
    } catch (e) {
      return null;
    }
  }

  // Dates: the API's days are ISO dates (no time zone); instants are shown in UTC.
  const dayNumber = (iso) => Date.UTC(+iso.slice(0, 4), +iso.slice(5, 7) - 1, +iso.slice(8, 10)) / DAY_MS;
  function fromDayNumber(n) {
    const d = new Date(n * DAY_MS);
    return { y: d.getUTCFullYear(), m: d.getUTCMonth(), d: d.getUTCDate() };
  }
  function formatDay(iso) {
    const p = fromDayNumber(dayNumber(iso));
    return `${p.d} ${MONTHS[p.m]} ${p.y}`;
  }
  function formatInterval(start, end) {
    if (start === end) return formatDay(start);
    const a = fromDayNumber(dayNumber(start));
    const b = fromDayNumber(dayNumber(end));
    const nextDay = fromDayNumber(dayNumber(end) + 1);
    if (a.d === 1 && nextDay.d === 1 && a.m === b.m && a.y === b.y) return `${MONTHS[a.m]} ${a.y}`;
    if (a.d === 1 && a.m === 0 && b.m === 11 && nextDay.d === 1 && a.y === b.y) return `${a.y}`;
    if (a.y !== b.y) return `${formatDay(start)} – ${formatDay(end)}`;
    if (a.m !== b.m) return `${a.d} ${MONTHS[a.m]} – ${b.d} ${MONTHS[b.m]} ${b.y}`;
    return `${a.d}–${b.d} ${MONTHS[a.m]} ${a.y}`;
  }
  function formatInstant(iso) {
    const d = new Date(iso);
    if (Number.isNaN(d.getTime())) return String(iso);
    const pad = (n) => String(n).padStart(2, "0");
    return `${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()} ` +
      `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} UTC`;
  }
  const precision = (ev) => (ev.start === ev.end ? "exact day" : `imprecise: ${ev.granularity.replace(/-/g, " ")}`);
  const plural = (n, word) => `${n} ${word}${n === 1 ? "" : "s"}`;

  // ---- fetching -------------------------------------------------------------------------------

  function query(extra) {
    const params = new URLSearchParams();
    for (const name of FILTERS) {
      const value = state.filters[name];
      if (value && !(name === "min_sources" && value === "1")) params.set(name, value);
    }
    for (const [k, v] of Object.entries(extra || {})) params.set(k, v);
    return params.toString();
  }

  // GET with If-None-Match; resolves to null when the server says nothing changed (304).
  async function getJson(url, tag) {
    const headers = tag ? { "If-None-Match": tag } : {};
    const response = await fetch(url, { headers, cache: "no-store" });
    if (response.status === 304) return null;
    if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
    return { body: await response.json(), tag: response.headers.get("ETag") };
  }

  async function loadArrivals() {
    const got = await getJson("/timeline/arrivals", state.arrivalsTag);
    if (got === null) return false;
    state.arrivalsTag = got.tag;
    state.arrivals = got.body;
    renderAsOf();
    return true;
  }

  async function loadTimeline(force) {
    const extra = { detail: "true" };
    if (state.asOf !== null && state.arrivals[state.asOf]) extra.as_of = state.arrivals[state.asOf].known_at;
    const live = !("as_of" in extra);
    const got = await getJson(`/timeline?${query(extra)}`, live && !force ? state.timelineTag : null);
    if (got === null) return;
    state.timelineTag = live ? got.tag : null;
    state.events = got.body;
    for (const ev of state.events) {
      ev.entities.forEach((e) => state.entities.add(e));
      (ev.languages || []).forEach((l) => state.languages.add(l));
    }
    render();
  }

  async function refresh(force) {
    try {
      await loadArrivals();
      await loadTimeline(force);
    } catch (err) {
      setStatus(`Could not load the timeline (${err.message}); retrying.`);
    }
  }

  function poll() {
    if (state.asOf === null && document.visibilityState !== "hidden") refresh(false);
    window.setTimeout(poll, POLL_MS);
  }

  // ---- rendering ------------------------------------------------------------------------------

  function setStatus(text) {
    $("status").textContent = text;
  }

  function domain(events) {
    let lo = Infinity;
    let hi = -Infinity;
    for (const ev of events) {
      lo = Math.min(lo, dayNumber(ev.start));
      hi = Math.max(hi, dayNumber(ev.end) + 1);
    }
    if (!Number.isFinite(lo)) return null;
    const pad = Math.max(1, Math.round((hi - lo) * 0.04));
    return { lo: lo - pad, hi: hi + pad };
  }

  function ticks(dom) {
    const out = [];
    const first = fromDayNumber(dom.lo);
    const months = (dom.hi - dom.lo) / 30.4;
    const step = months > 36 ? 12 : months > 18 ? 3 : 1;
    let y = first.y;
    let m = step === 12 ? 0 : first.m - (first.m % step);
    for (;;) {
      const day = Date.UTC(y, m, 1) / DAY_MS;
      if (day >= dom.hi) break;
      // No label so close to the right edge that it would overflow the axis.
      if (day >= dom.lo && (day - dom.lo) / (dom.hi - dom.lo) < 0.93) out.push({ day, label: step === 12 ? `${y}` : `${MONTHS[m]} ${y}` });
      m += step;
      if (m > 11) { y += Math.floor(m / 12); m %= 12; }
    }
    return out;
  }

  const percent = (dom, day) => `${((day - dom.lo) / (dom.hi - dom.lo)) * 100}%`;

  function renderAxis(dom) {
    const track = el("div", { class: "axis-track" });
    if (dom) {
      for (const t of ticks(dom)) {
        const tick = el("span", { class: "tick" }, t.label);
        tick.style.left = percent(dom, t.day);
        track.append(tick);
      }
    }
    $("axis").replaceChildren(el("div", { class: "axis-label" }, "date"), track);
  }

  function eventItem(ev, dom) {
    const sources = ev.sources.length;
    const copies = (ev.articles || []).reduce((n, a) => n + a.copies.length, 0);
    const span = ev.start !== ev.end;
    const when = formatInterval(ev.start, ev.end);
    const marker = el("span", { class: span ? "marker bar" : "marker dot" });
    marker.style.left = percent(dom, span ? dayNumber(ev.start) : dayNumber(ev.start) + 0.5);
    if (span) marker.style.width = `calc(${percent(dom, dayNumber(ev.end) + 1)} - ${percent(dom, dayNumber(ev.start))})`;
    const button = el("button", {
      type: "button", class: "event-button", "aria-controls": "detail",
      "aria-expanded": state.selected === ev.event_id ? "true" : "false",
      "aria-label": `${when}, ${precision(ev)}, ${plural(sources, "independent source")}: ${ev.summary}`,
    },
    el("span", { class: "when" }, when, el("span", { class: "precision" }, precision(ev))),
    el("span", { class: "summary" }, ev.summary),
    el("span", { class: "badges" },
      el("span", { class: "badge sources" }, plural(sources, "source")),
      copies ? el("span", { class: "badge copies" }, copies === 1 ? "+1 copy" : `+${copies} copies`) : null),
    el("span", { class: "track" }, marker));
    const item = el("li", {
      class: ["event", span ? "span" : "day", sources >= MANY_SOURCES ? "many" : "",
        state.selected === ev.event_id ? "selected" : ""].join(" ").trim(),
      "data-event-id": ev.event_id, "data-start": ev.start, "data-end": ev.end,
      "data-sources": sources,
    }, button);
    button.addEventListener("click", () => select(ev.event_id, true));
    button.addEventListener("keydown", (e) => moveFocus(e, item));
    return item;
  }

  function moveFocus(e, item) {
    const keys = { ArrowDown: "nextElementSibling", ArrowUp: "previousElementSibling" };
    let target = null;
    if (e.key in keys) target = item[keys[e.key]];
    else if (e.key === "Home") target = item.parentElement.firstElementChild;
    else if (e.key === "End") target = item.parentElement.lastElementChild;
    if (target) {
      e.preventDefault();
      target.querySelector("button").focus();
    }
  }

  function render() {
    const events = state.events;
    const dom = domain(events);
    renderAxis(dom);
    const list = $("timeline");
    const focusedId = document.activeElement && document.activeElement.closest("li.event")
      ? document.activeElement.closest("li.event").dataset.eventId : null;
    list.replaceChildren(...events.map((ev) => eventItem(ev, dom)));
    if (focusedId) {
      const again = list.querySelector(`li[data-event-id="${CSS.escape(focusedId)}"] button`);
      if (again) again.focus();
    }
    renderOptions();
    const when = state.asOf === null ? "live" : `as of ${formatInstant(state.arrivals[state.asOf].known_at)}`;
    setStatus(events.length ? `${plural(events.length, "event")} (${when}), earliest first.`
      : `No event matches (${when}).`);
    const shown = events.find((ev) => ev.event_id === state.selected);
    if (shown) renderDetail(shown);
    else if (state.selected !== null) closeDetail(false);
  }

  function renderOptions() {
    const names = $("entity-names");
    if (names.children.length !== state.entities.size) {
      names.replaceChildren(...[...state.entities].sort().map((n) => el("option", { value: n })));
    }
    const select = $("f-language");
    if (select.options.length !== state.languages.size + 1) {
      const current = select.value;
      select.replaceChildren(el("option", { value: "" }, "any"),
        ...[...state.languages].sort().map((l) => el("option", { value: l }, l)));
      select.value = current;
    }
  }

  function renderAsOf() {
    const range = $("asof");
    const n = state.arrivals.length;
    range.max = String(n);
    range.value = String(state.asOf === null ? n : state.asOf);
    range.disabled = n === 0;
    let text = "now (live)";
    if (state.asOf !== null && state.arrivals[state.asOf]) {
      const step = state.arrivals[state.asOf];
      const titles = step.articles.map((a) => `${a.title || a.url} (${a.outlet || "unknown outlet"})`);
      text = `${formatInstant(step.known_at)}, after ${state.asOf + 1} of ${n} arrivals; latest: ${titles.join("; ")}`;
    }
    $("asof-label").textContent = text;
    range.setAttribute("aria-valuetext", text);
  }

  // ---- the detail panel -----------------------------------------------------------------------

  function mentionQuote(m) {
    const chars = Array.from(m.sentence); // offsets are in code points, as in Python
    const quote = el("blockquote", { class: "mention" });
    if (m.expression_start === null || m.expression_start === undefined) {
      quote.append(m.sentence);
    } else {
      quote.append(chars.slice(0, m.expression_start).join(""),
        el("mark", { title: `${formatInterval(m.start, m.end)} (${m.granularity})` },
          chars.slice(m.expression_start, m.expression_end).join("")),
        chars.slice(m.expression_end).join(""));
    }
    return quote;
  }

  function link(url, text) {
    const href = safeHref(url);
    return href ? el("a", { href, rel: "noopener noreferrer", target: "_blank" }, text) : el("span", {}, text);
  }

  function articleItem(a) {
    const copies = a.copies.length ? el("div", { class: "copies" },
      el("p", {}, `Syndicated ${a.copies.length === 1 ? "copy" : "copies"} (not counted as sources):`),
      el("ul", {}, ...a.copies.map((c) => el("li", { class: "copy" },
        link(c.url, c.title || c.url), " — ", el("span", { class: "outlet" }, c.outlet || "unknown outlet"),
        ", ", el("time", { datetime: c.published_at }, formatInstant(c.published_at)))))) : null;
    return el("li", { class: "source" },
      el("p", { class: "source-head" },
        link(a.url, a.title || a.url), el("br"),
        el("span", { class: "outlet" }, a.outlet || "unknown outlet"), ", ",
        el("time", { datetime: a.published_at }, formatInstant(a.published_at)),
        a.language ? ` (${a.language})` : null),
      el("p", { class: "mentions-head" }, plural(a.mentions.length, "mention") + ":"),
      ...a.mentions.map(mentionQuote),
      copies);
  }

  function renderDetail(ev) {
    $("detail-title").textContent = ev.summary;
    const articles = ev.articles || [];
    const entities = ev.entities.length ? el("ul", { class: "entities", "aria-label": "Entities" },
      ...ev.entities.map((name) => {
        const b = el("button", { type: "button", class: "entity", "aria-label": `Show only events naming ${name}` }, name);
        b.addEventListener("click", () => applyFilters({ ...state.filters, entity: name }));
        return el("li", {}, b);
      })) : el("p", {}, "No named entity.");
    const close = el("button", { type: "button", class: "close" }, "Close");
    close.addEventListener("click", () => closeDetail(true));
    $("detail-body").replaceChildren(
      el("p", { class: "when" }, formatInterval(ev.start, ev.end), ` (${precision(ev)})`),
      el("p", {}, `${plural(ev.sources.length, "independent source")}, ${plural(ev.mentions, "mention")}` +
        `, first reported ${formatInstant(ev.first_reported_at)}.`),
      el("h3", {}, "Entities"), entities,
      el("h3", {}, "Sources"),
      el("ol", { class: "source-list" }, ...articles.map(articleItem)),
      close);
    $("detail").hidden = false;
  }

  function select(eventId, focus) {
    state.selected = eventId;
    for (const li of $("timeline").children) {
      const on = li.dataset.eventId === eventId;
      li.classList.toggle("selected", on);
      li.querySelector("button").setAttribute("aria-expanded", on ? "true" : "false");
    }
    const ev = state.events.find((e) => e.event_id === eventId);
    if (!ev) return;
    renderDetail(ev);
    if (focus) {
      // Beside the list (wide screens) the panel is already in view; under it (phones) it is not.
      $("detail").focus({ preventScroll: true });
      if (!window.matchMedia("(min-width: 64rem)").matches) $("detail").scrollIntoView({ block: "start" });
    }
  }

  function closeDetail(focusBack) {
    const previous = state.selected;
    state.selected = null;
    $("detail").hidden = true;
    for (const li of $("timeline").children) {
      li.classList.remove("selected");
      li.querySelector("button").setAttribute("aria-expanded", "false");
    }
    if (focusBack && previous) {
      const b = $("timeline").querySelector(`li[data-event-id="${CSS.escape(previous)}"] button`);
      if (b) b.focus();
    }
  }

  // ---- filters and the as-of slider -----------------------------------------------------------

  function readForm() {
    const form = $("filters");
    const out = {};
    for (const name of FILTERS) out[name] = form.elements[name].value.trim();
    return out;
  }

  function writeForm(filters) {
    const form = $("filters");
    for (const name of FILTERS) form.elements[name].value = filters[name] || (name === "min_sources" ? "1" : "");
  }

  function applyFilters(filters) {
    state.filters = filters;
    writeForm(filters);
    const url = new URL(window.location.href);
    url.search = query({});
    window.history.replaceState(null, "", url);
    state.timelineTag = null;
    loadTimeline(true).catch((err) => setStatus(`Could not load the timeline (${err.message}).`));
  }

  let asOfTimer = null;
  function onAsOf() {
    const value = Number($("asof").value);
    state.asOf = value >= state.arrivals.length ? null : value;
    renderAsOf();
    window.clearTimeout(asOfTimer);
    asOfTimer = window.setTimeout(() => {
      state.timelineTag = null;
      loadTimeline(true).catch((err) => setStatus(`Could not load the timeline (${err.message}).`));
    }, 150);
  }

  // Replay: step the slider through every arrival from the first, then back to live.
  let replayTimer = null;
  function stopReplay() {
    window.clearTimeout(replayTimer);
    replayTimer = null;
    $("replay").setAttribute("aria-pressed", "false");
    $("replay").textContent = "Replay";
  }
  async function replayStep(index) {
    state.asOf = index >= state.arrivals.length ? null : index;
    renderAsOf();
    state.timelineTag = null;
    await loadTimeline(true);
    if (state.asOf === null) stopReplay();
    else if ($("replay").getAttribute("aria-pressed") === "true") {
      replayTimer = window.setTimeout(() => replayStep(index + 1), REPLAY_STEP_MS);
    }
  }
  function toggleReplay() {
    if (replayTimer !== null || $("replay").getAttribute("aria-pressed") === "true") {
      stopReplay();
      return;
    }
    if (!state.arrivals.length) return;
    $("replay").setAttribute("aria-pressed", "true");
    $("replay").textContent = "Stop replay";
    replayStep(0).catch((err) => { stopReplay(); setStatus(`Could not replay (${err.message}).`); });
  }

  function start() {
    const params = new URLSearchParams(window.location.search);
    const filters = {};
    for (const name of FILTERS) filters[name] = params.get(name) || "";
    state.filters = filters;
    writeForm(filters);
    $("filters").addEventListener("submit", (e) => {
      e.preventDefault();
      applyFilters(readForm());
    });
    $("filters").addEventListener("reset", (e) => {
      e.preventDefault();
      applyFilters({});
    });
    $("asof").addEventListener("input", () => { stopReplay(); onAsOf(); });
    $("replay").addEventListener("click", toggleReplay);
    $("detail").addEventListener("keydown", (e) => {
      if (e.key === "Escape") closeDetail(true);
    });
    refresh(true).then(() => window.setTimeout(poll, POLL_MS));
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
