"""The producer side of Newsline: the HTTP API, the Python client and the raw-topic publisher."""

from ingest.client import AsyncClient, Client, PostResult

__all__ = ["AsyncClient", "Client", "PostResult"]
