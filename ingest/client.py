"""The Python client of the ingest API, sync and async; the CLI's `newsline post` uses it.

    from ingest import Client
    client = Client("http://127.0.0.1:8765", token="...")
    result = client.post([{"url": ..., "published_at": ..., "text": ...}])
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

RETRY_STATUSES = (429, 502, 503, 504)


@dataclass
class PostResult:
    """What happened to a batch: accepted items, and rejected ones with their errors."""

    accepted: list[dict[str, Any]] = field(default_factory=list)
    rejected: list[dict[str, Any]] = field(default_factory=list)

    def extend(self, other: PostResult) -> None:
        """Add another result to this one."""
        self.accepted.extend(other.accepted)
        self.rejected.extend(other.rejected)


def runtime_info(data_dir: Path) -> dict[str, Any]:
    """What `newsline up` wrote about the running stack (`DATA_DIR/newsline.json`)."""
    path = data_dir / "newsline.json"
    if not path.exists():
        raise FileNotFoundError(f"{path} not found: is `newsline up` running with this data dir?")
    return json.loads(path.read_text(encoding="utf-8"))


def _outcome(items: list[dict[str, Any]], response: httpx.Response) -> tuple[PostResult, list[int]]:
    """What a response settles, and the indexes of the valid items to send again (after a 422
    on a batch, which stores nothing)."""
    if response.status_code == 202:
        return PostResult(accepted=response.json()["accepted"]), []
    body: dict[str, Any] = response.json() if response.content else {"detail": response.reason_phrase}
    if response.status_code == 422 and "failed" in body:
        failed = {f["index"]: f["errors"] for f in body["failed"]}
        result = PostResult(rejected=[{"item": items[i], "errors": errs}
                                      for i, errs in failed.items()])
        return result, [i for i in range(len(items)) if i not in failed]
    message = f"{response.status_code}: {body.get('detail')}"
    return PostResult(rejected=[{"item": item, "errors": [{"path": "(request)",
                                                          "message": message}]}
                                for item in items]), []


class _Base:
    def __init__(self, api_url: str, token: str | None = None, *, retries: int = 8,
                 timeout: float = 60.0) -> None:
        self.api_url = api_url.rstrip("/")
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.retries, self.timeout = retries, timeout

    @classmethod
    def from_data_dir(cls, data_dir: Path) -> Any:
        """A client for the stack `newsline up` runs with this data dir."""
        info = runtime_info(data_dir)
        return cls(info["api_url"], info["token"])

    def _delay(self, attempt: int, response: httpx.Response | None) -> float:
        if response is not None and response.headers.get("retry-after", "").isdigit():
            return float(response.headers["retry-after"])
        return min(0.25 * 2 ** attempt, 8.0)


class Client(_Base):
    """Synchronous client."""

    def _send(self, items: list[dict[str, Any]]) -> httpx.Response:
        response: httpx.Response | None = None
        for attempt in range(self.retries + 1):
            try:
                response = httpx.post(f"{self.api_url}/articles", json=items,
                                      headers=self.headers, timeout=self.timeout)
                if response.status_code not in RETRY_STATUSES:
                    return response
            except httpx.TransportError:
                response = None
            if attempt < self.retries:
                time.sleep(self._delay(attempt, response))
        if response is None:
            raise ConnectionError(f"no answer from {self.api_url}")
        return response

    def post(self, items: list[dict[str, Any]]) -> PostResult:
        """Post a batch; invalid items are reported and the valid ones still sent."""
        result, keep = _outcome(items, self._send(items))
        if keep:
            result.extend(self.post([items[i] for i in keep]))
        return result

    def get_article(self, article_id: str) -> dict[str, Any] | None:
        """The stored article version, or None if the analysts' file does not hold it yet."""
        response = httpx.get(f"{self.api_url}/articles/{article_id}", timeout=self.timeout)
        return response.json() if response.status_code == 200 else None

    def timeline(self, **filters: Any) -> list[dict[str, Any]]:
        """The timeline as JSON."""
        params = {k: v for k, v in filters.items() if v is not None}
        response = httpx.get(f"{self.api_url}/timeline", params=params, timeout=self.timeout)
        response.raise_for_status()
        return list(response.json())

    def wait_visible(self, ids: list[str], timeout: float = 120.0) -> list[str]:
        """Block until every article id is in the analysts' file; return those still missing."""
        pending = list(dict.fromkeys(ids))
        deadline = time.monotonic() + timeout
        while pending and time.monotonic() < deadline:
            pending = [i for i in pending if self.get_article(i) is None]
            if pending:
                time.sleep(0.2)
        return pending


class AsyncClient(_Base):
    """Asynchronous client (httpx.AsyncClient)."""

    async def post(self, items: list[dict[str, Any]]) -> PostResult:
        """Post a batch; invalid items are reported and the valid ones still sent."""
        response: httpx.Response | None = None
        async with httpx.AsyncClient(timeout=self.timeout) as http:
            for attempt in range(self.retries + 1):
                try:
                    response = await http.post(f"{self.api_url}/articles", json=items,
                                               headers=self.headers)
                    if response.status_code not in RETRY_STATUSES:
                        break
                except httpx.TransportError:
                    response = None
                if attempt < self.retries:
                    await asyncio.sleep(self._delay(attempt, response))
        if response is None:
            raise ConnectionError(f"no answer from {self.api_url}")
        result, keep = _outcome(items, response)
        if keep:
            result.extend(await self.post([items[i] for i in keep]))
        return result
