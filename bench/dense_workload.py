"""A news-like workload for the resolver: dense stories, Zipf names, copies, updates, two languages.

Deterministic by seed. Raw articles are written as news text (French and English) and run through
the real analysis stage (`processors.analysis.analyse.analyse_article`); the analysed articles are cached
under `data/bench-cache/` (gitignored), so a resolver benchmark measures the resolver.

What the raw pool looks like:

- names: people, organisations and places drawn with Zipf weights (exponent 1.1), so a few names
  are in a large share of the stories, and most names are rare;
- stories: sizes drawn from a power law (most stories have a handful of articles, a few have
  hundreds to thousands), each with a cast of two to four names, a topic and one to four dated
  happenings within a week or two; its articles appear over the following days;
- every date form the tagger resolves in news: weekday names ("Monday", "lundi"), day and month
  ("4 September", "le 4 septembre", "Tuesday 5 September"), "yesterday"/"hier", "this
  week"/"cette semaine", "earlier this month"/"au début du mois", "last month"/"le mois
  dernier", "mid-August"/"mi-août";
- many outlets (80), about 60% of them English; about 15% of articles have a syndicated copy on
  another outlet within hours, about 5% an update of the same URL.

Scaling beyond the pool. Analysis runs at tens of articles per second on this machine, so a
million analysed articles cannot come from a million analyses. `expand` re-stamps the analysed
pool: instance k moves every date by whole weeks (weekday names stay true), renames the names
outside the Zipf head (the head names recur in every instance, as real head names do), and gives
each article new ids, a new content hash and a signature salted per instance (copies stay copies
of each other within an instance, never across). Instances are laid out one pool-span after
another over `years`, then wrap around: beyond `years` of stream, the density per day grows.

The adversarial case is one story of `--articles` articles within one week (no renaming: every
instance is the same story on the same days).
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import os
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from multiprocessing import Pool
from pathlib import Path

from processors.analysis.analyse import analyse_article
from schemas.articles import Article, ArticleAnalysed
from schemas.codec import envelope

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / "data" / "bench-cache"


def add_workload_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of the dense workload, shared by the benches that build it."""
    parser.add_argument("--seed", type=int, default=15)
    parser.add_argument("--pool", type=int, default=4000, help="raw articles really analysed")
    parser.add_argument("--pool-weeks", type=int, default=8)
    parser.add_argument("--largest", type=int, default=1500, help="largest story in the pool")
    parser.add_argument("--years", type=int, default=5)
    parser.add_argument("--cache", type=Path, default=CACHE, help="analysed pools (gitignored)")
GENERATOR_VERSION = 1
ZIPF_EXPONENT = 1.1
HEAD_NAMES = 12  # the most frequent names of each kind keep their name in every instance

FIRST = ("Anna", "Marc", "Leila", "Tomas", "Ines", "Jonas", "Sofia", "Karim", "Elena", "Hugo",
         "Nadia", "Pavel", "Clara", "Yusuf", "Maren", "Oskar", "Amira", "Lucas", "Vera", "Idris")
LAST = ("Keller", "Moreau", "Haddad", "Novak", "Berger", "Lindqvist", "Okafor", "Dupuis",
        "Ferreira", "Castel", "Brandt", "Morel", "Varga", "Sato", "Delorme", "Quint", "Rahimi",
        "Ostrova", "Mbeki", "Lacroix")
ORG_STEMS = ("Vantor", "Calder", "Nerith", "Ostrel", "Pellan", "Sorvik", "Tamsin", "Ulmar",
             "Wexford", "Yarrow", "Brisk", "Corvan", "Dunmore", "Elvar", "Fenmark")
ORG_KINDS_EN = ("Group", "Union", "Bank", "Party", "Alliance")
PLACE_STEMS = ("Marlow", "Ostend", "Varenne", "Kessel", "Dornach", "Lissac", "Brenne", "Tarvis",
               "Castro", "Mirande", "Selby", "Arlon", "Novel", "Pradel", "Quimper", "Rivage",
               "Saltash", "Tolosa", "Ulster", "Verdal")

TOPICS = {  # topic -> (English verbs, French verbs) of what the cast did
    "strike": (("called a strike at", "met union leaders in", "ended the strike in"),
               ("a appelé à la grève à", "a rencontré les syndicats à", "a mis fin à la grève à")),
    "budget": (("announced a budget freeze in", "presented the budget in", "defended the cuts in"),
               ("a annoncé un gel du budget à", "a présenté le budget à",
                "a défendu les coupes à")),
    "flood": (("visited the flooded town of", "promised aid to", "inspected the dikes of"),
              ("s'est rendu dans la ville inondée de", "a promis une aide à",
               "a inspecté les digues de")),
    "trial": (("testified at the court of", "was charged in", "was acquitted in"),
              ("a témoigné devant le tribunal de", "a été inculpé à", "a été acquitté à")),
    "election": (("launched a campaign in", "won the vote in", "conceded defeat in"),
                 ("a lancé sa campagne à", "a remporté le scrutin à",
                  "a reconnu sa défaite à")),
    "summit": (("hosted a summit in", "signed an agreement in", "left the talks in"),
               ("a accueilli un sommet à", "a signé un accord à", "a quitté les négociations à")),
}
FILLER_EN = ("{a} said the decision was unacceptable.", "Critics questioned the timing.",
             "{o} did not respond to a request for comment.", "Details remain unclear.",
             "Residents of {p} expressed concern.")
FILLER_FR = ("{a} a jugé la décision inacceptable.", "Les critiques s'interrogent sur le calendrier.",
             "{o} n'a pas répondu à nos questions.", "Les détails restent flous.",
             "Les habitants de {p} se disent inquiets.")
WEEKDAYS_EN = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
WEEKDAYS_FR = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
MONTHS_EN = ("January", "February", "March", "April", "May", "June", "July", "August",
             "September", "October", "November", "December")
MONTHS_FR = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre",
             "octobre", "novembre", "décembre")


@dataclass(frozen=True)
class Outlet:
    """A news site."""

    name: str
    domain: str
    language: str


@dataclass(frozen=True)
class Happening:
    """Something a story reports: who did what, where, on which day."""

    day: date
    actor: str
    org: str
    place: str
    verb: int


def zipf_pick(rng: random.Random, names: list[str], cum: list[float]) -> str:
    """A name drawn with Zipf weights (cum: cumulative weights)."""
    x = rng.random() * cum[-1]
    lo, hi = 0, len(cum) - 1
    while lo < hi:
        mid = (lo + hi) // 2
        if cum[mid] < x:
            lo = mid + 1
        else:
            hi = mid
    return names[lo]


def _cumulative(n: int) -> list[float]:
    total, out = 0.0, []
    for rank in range(1, n + 1):
        total += 1 / rank ** ZIPF_EXPONENT
        out.append(total)
    return out


def name_pools() -> dict[str, list[str]]:
    """People, organisations and places, most frequent first (Zipf rank order, fixed)."""
    people = [f"{f} {ln}" for ln in LAST for f in FIRST]
    random.Random(0).shuffle(people)
    orgs = [f"{s} {k}" for k in ORG_KINDS_EN for s in ORG_STEMS]
    random.Random(1).shuffle(orgs)
    places = list(PLACE_STEMS) + [f"{a}-{b}" for a in PLACE_STEMS[:10] for b in PLACE_STEMS[10:]]
    random.Random(2).shuffle(places)
    return {"person": people, "org": orgs, "place": places}


def head_names() -> frozenset[str]:
    """The names that keep their spelling in every re-stamped instance."""
    return frozenset(n for names in name_pools().values() for n in names[:HEAD_NAMES])


def outlets(rng: random.Random, n: int = 80) -> list[Outlet]:
    """n outlets, about 60% English."""
    out = []
    for i in range(n):
        lang = "en" if rng.random() < 0.6 else "fr"
        stem = rng.choice(PLACE_STEMS) if lang == "fr" else rng.choice(ORG_STEMS)
        name = f"{'Le Journal de' if lang == 'fr' else 'The'} {stem} {'Post' if lang == 'en' else ''}"
        out.append(Outlet(" ".join(name.split()) + f" {i}", f"news{i}.{stem.lower()}.example", lang))
    return out


def date_phrase(rng: random.Random, day: date, published: date, language: str) -> str:
    """A way a journalist writing on `published` refers to `day` (all forms the tagger reads)."""
    fr = language == "fr"
    delta = (published - day).days
    options = [f"le {day.day} {MONTHS_FR[day.month - 1]}" if fr
               else f"on {day.day} {MONTHS_EN[day.month - 1]}",
               f"{WEEKDAYS_FR[day.weekday()]} {day.day} {MONTHS_FR[day.month - 1]}" if fr
               else f"on {WEEKDAYS_EN[day.weekday()]} {day.day} {MONTHS_EN[day.month - 1]}"]
    if 0 < delta < 7 and day.weekday() < published.weekday():
        options += [WEEKDAYS_FR[day.weekday()] if fr else f"on {WEEKDAYS_EN[day.weekday()]}"] * 3
    if delta == 1:
        options.append("hier" if fr else "yesterday")
    if day.isocalendar()[:2] == published.isocalendar()[:2]:
        options.append("cette semaine" if fr else "this week")
    if day.month == published.month and day.day <= 10 < published.day:
        options.append("au début du mois" if fr else "earlier this month")
    if (published.replace(day=1) - timedelta(days=1)).month == day.month and delta < 45:
        options.append("le mois dernier" if fr else "last month")
    if 11 <= day.day <= 20 and published.month != day.month:
        options.append(f"mi-{MONTHS_FR[day.month - 1]}" if fr else f"in mid-{MONTHS_EN[day.month - 1]}")
    return rng.choice(options)


def _sentence(rng: random.Random, h: Happening, topic: str, published: date, lang: str) -> str:
    verbs = TOPICS[topic][0 if lang == "en" else 1]
    when = date_phrase(rng, h.day, published, lang)
    who = h.actor if rng.random() < 0.7 else h.actor.split()[-1]
    org = f" avec {h.org}" if lang == "fr" else f" with {h.org}"
    extra = org if rng.random() < 0.5 else ""
    if rng.random() < 0.5:
        return f"{when[0].upper()}{when[1:]}, {who} {verbs[h.verb]} {h.place}{extra}."
    return f"{who} {verbs[h.verb]} {h.place} {when}{extra}."


def story_sizes(rng: random.Random, total: int, largest: int) -> list[int]:
    """Story sizes from a power law (Pareto, alpha 1.2) that add up to `total`."""
    sizes = []
    while sum(sizes) < total:
        sizes.append(min(largest, int(rng.paretovariate(1.2))))
    sizes[-1] -= sum(sizes) - total
    return [s for s in sizes if s > 0]


def story_articles(rng: random.Random, sid: int, size: int, start: date, spread_days: int,
                   pools: dict[str, list[str]], cums: dict[str, list[float]],
                   sites: list[Outlet]) -> Iterator[dict]:
    """The raw articles (dicts of `Article` fields) of one story: originals, copies, updates."""
    topic = rng.choice(sorted(TOPICS))
    cast = [zipf_pick(rng, pools["person"], cums["person"]) for _ in range(rng.randint(1, 3))]
    org = zipf_pick(rng, pools["org"], cums["org"])
    place = zipf_pick(rng, pools["place"], cums["place"])
    happenings = [Happening(start + timedelta(days=rng.randrange(max(1, spread_days // 2))),
                            rng.choice(cast), org, place, rng.randrange(3))
                  for _ in range(rng.randint(1, 4))]
    first = min(h.day for h in happenings)
    for n in range(size):
        site = rng.choice(sites)
        lang = site.language
        pub_day = first + timedelta(days=rng.randrange(1, spread_days + 1))
        published = datetime(pub_day.year, pub_day.month, pub_day.day, rng.randrange(6, 22),
                             rng.randrange(60), tzinfo=UTC)
        told = [h for h in happenings if h.day < pub_day] or happenings[:1]
        lines = [_sentence(rng, rng.choice(told), topic, pub_day, lang)
                 for _ in range(rng.randint(2, 6))]
        fillers = FILLER_FR if lang == "fr" else FILLER_EN
        for _ in range(rng.randint(1, 3)):
            lines.insert(rng.randrange(len(lines) + 1), rng.choice(fillers).format(
                a=rng.choice(cast), o=org, p=place))
        if rng.random() < 0.5:
            h = rng.choice(told)
            lines.append(_sentence(rng, h, topic, pub_day, lang))
        title = f"{cast[0]} : {topic}" if lang == "fr" else f"{cast[0]}: {topic} in {place}"
        url = f"https://{site.domain}/{first.year}/{topic}/{sid}-{n}"
        art = {"url": url, "title": title, "source": site.name, "language": lang,
               "published_at": published.isoformat(), "text": "\n\n".join(lines)}
        yield art
        if rng.random() < 0.15:  # a syndicated copy on another outlet of the same language
            other = rng.choice([s for s in sites if s.language == lang and s != site])
            yield {**art, "url": f"https://{other.domain}/wire/{sid}-{n}", "source": other.name,
                   "published_at": (published + timedelta(hours=rng.randint(1, 6))).isoformat()}
        if rng.random() < 0.05:  # an update of the same URL, one sentence more
            more = _sentence(rng, rng.choice(happenings), topic, pub_day, lang)
            yield {**art, "text": art["text"] + "\n\n" + more,
                   "updated_at": (published + timedelta(hours=rng.randint(1, 8))).isoformat()}


def raw_pool(seed: int, articles: int, *, weeks: int, largest: int,
             start: date = date(2022, 1, 3)) -> list[dict]:
    """About `articles` raw articles (before copies and updates) over `weeks` weeks."""
    rng = random.Random(seed)
    pools = name_pools()
    cums = {k: _cumulative(len(v)) for k, v in pools.items()}
    sites = outlets(rng)
    out: list[dict] = []
    for sid, size in enumerate(story_sizes(rng, articles, largest)):
        first = start + timedelta(days=rng.randrange(weeks * 7 - 7))
        out.extend(story_articles(rng, sid, size, first, rng.randint(3, 10), pools, cums, sites))
    out.sort(key=lambda a: (a.get("updated_at") or a["published_at"], a["url"]))
    return out


def adversarial_pool(seed: int, articles: int, start: date = date(2023, 9, 4)) -> list[dict]:
    """One story, `articles` articles, all published within one week."""
    rng = random.Random(seed)
    pools = name_pools()
    cums = {k: _cumulative(len(v)) for k, v in pools.items()}
    out = list(story_articles(rng, 0, articles, start, 6, pools, cums, outlets(rng)))
    out.sort(key=lambda a: (a.get("updated_at") or a["published_at"], a["url"]))
    return out


def _analyse(doc: dict) -> str:
    art = Article.model_validate(doc)
    env = envelope(art, source="bench/dense", id=hashlib.sha256(
        json.dumps(doc, sort_keys=True).encode()).hexdigest()[:32], time=art.version_time)
    return analyse_article(env).model_dump_json()


def analyse_all(docs: list[dict], processes: int = 2) -> list[ArticleAnalysed]:
    """The docs, analysed by the real analysis stage (no cache)."""
    if processes <= 1:
        return [ArticleAnalysed.model_validate_json(_analyse(d)) for d in docs]
    with Pool(processes) as pool:
        lines = pool.map(_analyse, docs, chunksize=64)
    return [ArticleAnalysed.model_validate_json(line) for line in lines]


def analyser_digest() -> str:
    """The analysis stage's code and word tables (`processors/analysis/`, `schemas/`): a pool
    analysed by other code is analysed again, not read from the cache."""
    h = hashlib.sha256()
    for top in ("processors/analysis", "schemas"):
        for path in sorted((ROOT / top).rglob("*")):
            if path.is_file() and path.suffix in (".py", ".tsv", ".txt", ".json"):
                h.update(str(path.relative_to(ROOT)).encode() + b"\0" + path.read_bytes())
    return h.hexdigest()


def analysed_pool(name: str, docs: list[dict], processes: int = 2,
                  cache: Path = CACHE) -> list[ArticleAnalysed]:
    """The docs, analysed by the real analysis stage; cached by content and by the analyser's
    code (in data/bench-cache)."""
    digest = hashlib.sha256(json.dumps([GENERATOR_VERSION, analyser_digest(), docs],
                                       sort_keys=True).encode())
    path = cache / f"{name}-{digest.hexdigest()[:12]}.jsonl.gz"
    if not path.exists():
        cache.mkdir(parents=True, exist_ok=True)
        with Pool(processes) as pool:
            lines = pool.map(_analyse, docs, chunksize=64)
        tmp = path.with_suffix(f".tmp{os.getpid()}")
        with gzip.open(tmp, "wt", encoding="utf-8") as f:
            f.writelines(line + "\n" for line in lines)
        tmp.replace(path)
    with gzip.open(path, "rt", encoding="utf-8") as f:
        return [ArticleAnalysed.model_validate_json(line) for line in f]


def _pool_weeks(pool: list[ArticleAnalysed]) -> int:
    first = min(a.published_at for a in pool)
    last = max(a.published_at for a in pool)
    return (last - first).days // 7 + 1


def restamp(art: ArticleAnalysed, k: int, shift_weeks: int, rename: bool,
            head: frozenset[str]) -> ArticleAnalysed:
    """Instance k of a pooled article: dates moved by whole weeks, tail names renamed, new ids."""
    if k == 0:
        return art
    shift = timedelta(weeks=shift_weeks)
    vid = f"{art.version_id}.{k}"

    def name(e: str) -> str:
        return e if not rename or e in head else f"{e} {k}"

    mentions = [m.model_copy(update={
        "mention_id": f"{vid}:{m.start_char}", "start": m.start + shift, "end": m.end + shift,
        "entities": [name(e) for e in m.entities], "places": [name(e) for e in m.places],
        "context_entities": [name(e) for e in m.context_entities],
    }) for m in art.mentions]
    salt = int.from_bytes(hashlib.sha256(f"instance {k}".encode()).digest()[:4], "big")
    url = art.canonical_url + f"~{k}"
    return art.model_copy(update={
        "version_id": vid, "article_key": f"{art.article_key}.{k}", "canonical_url": url,
        "url": art.url + f"~{k}", "published_at": art.published_at + shift,
        "updated_at": art.updated_at + shift if art.updated_at else None,
        "submitted_at": art.submitted_at + shift, "content_hash": f"{art.content_hash}.{k}",
        "signature": [v ^ salt for v in art.signature], "mentions": mentions,
    })


def expand(pool: list[ArticleAnalysed], n: int, *, years: int = 5, rename: bool = True,
           spread: bool = True) -> list[ArticleAnalysed]:
    """n analysed articles: the pool, then re-stamped instances of it (see the module's doc)."""
    head = head_names()
    span = _pool_weeks(pool) if spread else 0
    wrap = max(1, (years * 52) // max(1, span)) if spread else 1
    out = []
    k = 0
    while len(out) < n:
        shift = (k % wrap) * span if spread else 0
        out.extend(restamp(a, k, shift, rename, head) for a in pool[: n - len(out)])
        k += 1
    return out


def arrival_order(arts: list[ArticleAnalysed], seed: int, late: float = 0.02) -> list[ArticleAnalysed]:
    """Roughly the order of publication, with a share of late articles (days to months late)."""
    rng = random.Random(seed)
    keyed = []
    for a in arts:
        t = a.updated_at or a.published_at
        if rng.random() < late:
            t += timedelta(days=rng.randint(2, 120))
        else:
            t += timedelta(minutes=rng.randint(0, 90))
        keyed.append((t, a.version_id, a))
    keyed.sort(key=lambda x: (x[0], x[1]))
    return [a for _, _, a in keyed]
