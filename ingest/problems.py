"""RFC 9457 problem details: every API error is JSON that says exactly what is wrong."""

from __future__ import annotations

from typing import Any

from fastapi.responses import JSONResponse

PROBLEM_TYPE = "https://newsline.example/problems/"


def problem(status: int, title: str, detail: str, *, slug: str, headers: dict[str, str] | None = None,
            **extra: Any) -> JSONResponse:
    """A `application/problem+json` response."""
    body = {"type": PROBLEM_TYPE + slug, "title": title, "status": status, "detail": detail, **extra}
    return JSONResponse(body, status_code=status, headers=headers,
                        media_type="application/problem+json")
