"""Article identity: canonical URLs, partition keys and version ids.

Every version and every tracking/AMP variant of one article URL must map to the same
canonical URL, so that the Kafka key (``article_key``) sends them all to one partition.
"""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

TRACKING_PARAMS = frozenset(
    {
        "fbclid",
        "gclid",
        "dclid",
        "msclkid",
        "yclid",
        "igshid",
        "mc_cid",
        "mc_eid",
        "ref",
        "ref_src",
        "ref_url",
        "referrer",
        "cmpid",
        "xtor",
        "at_medium",
        "at_campaign",
        "at_format",
        "at_link",
        "at_send_date",
        "at_recipient_id",
        "at_creation",
        "at_emailtype",
        "_ga",
        "_gl",
        "ncid",
        "ocid",
        "smid",
        "soc_src",
        "soc_trk",
        "cmp",
        "s_cid",
        "wt.mc_id",
        "ito",
        "icid",
        "amp",
        "outputtype",
        "taid",
        "guccounter",
    }
)
"""Query parameters (lower-cased) that never change which article a URL points to."""

TRACKING_PREFIXES = ("utm_", "at_", "pk_", "mtm_", "hsa_", "__twitter")

DEFAULT_PORTS = {"http": 80, "https": 443}

_AMP_SUFFIX = re.compile(r"(?:[./]amp)$")
_AMP_SEGMENT = re.compile(r"/amp(?=/)|\.amp(?=\.html?$)")


def _is_tracking(name: str, value: str) -> bool:
    lowered = name.lower()
    if lowered == "outputtype":
        return value.lower() == "amp"
    if lowered == "amp":
        return value.lower() in ("", "1", "true", "yes")
    return lowered in TRACKING_PARAMS or lowered.startswith(TRACKING_PREFIXES)


def _canonical_path(path: str) -> str:
    path = re.sub(r"/{2,}", "/", path) or "/"
    path = _AMP_SEGMENT.sub("", path)
    path = _AMP_SUFFIX.sub("", path) or "/"
    if len(path) > 1:
        path = path.rstrip("/") or "/"
    return path


def canonical_url(url: str) -> str:
    """Return the canonical form of an article URL.

    Lower-cases scheme and host, drops a ``www.`` or ``amp.`` host prefix, default ports, the
    fragment, tracking parameters and AMP markers (``/amp/`` segment, ``.amp``/``/amp`` suffix,
    ``amp=1``, ``outputType=amp``); sorts the remaining query parameters and strips a trailing
    slash (except for the root path).

    Raises:
        ValueError: if the URL is not an absolute http(s) URL.

    """
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS or not parts.hostname:
        raise ValueError(f"not an http(s) URL: {url!r}")
    host = parts.hostname.lower().rstrip(".")
    for prefix in ("www.", "amp."):
        if host.startswith(prefix) and host.count(".") >= 2:
            host = host[len(prefix) :]
    if ":" in host:
        host = f"[{host}]"  # an IPv6 literal
    port = parts.port
    netloc = host if port in (None, DEFAULT_PORTS[scheme]) else f"{host}:{port}"
    query = sorted(
        (name, value)
        for name, value in parse_qsl(parts.query, keep_blank_values=True)
        if not _is_tracking(name, value)
    )
    return urlunsplit((scheme, netloc, _canonical_path(parts.path), urlencode(query), ""))


def article_key(url: str) -> str:
    """Return a short stable id (16 hex chars of SHA-256) of the URL's canonical form."""
    return hashlib.sha256(canonical_url(url).encode("utf-8")).hexdigest()[:16]


def version_id(canonical: str, version_time: datetime) -> str:
    """Return a stable id of one version of an article.

    ``version_time`` is ``updated_at`` (or ``published_at`` for a first version) and must be
    aware; it is normalised to UTC so the same instant in any zone gives the same id.

    Raises:
        ValueError: if ``version_time`` is naive.

    """
    if version_time.tzinfo is None or version_time.utcoffset() is None:
        raise ValueError("version_time must be timezone-aware")
    instant = version_time.astimezone(UTC).isoformat(timespec="seconds")
    return hashlib.sha256(f"{canonical}\n{instant}".encode()).hexdigest()[:16]
