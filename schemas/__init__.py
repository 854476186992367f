"""Newsline's message contracts: every message on every topic, as pydantic v2 models.

Only pydantic is imported here, so producers in any service can depend on this package alone.
"""

from schemas.envelope import SPECVERSION, Envelope
from schemas.topics import TOPICS, Topic

__all__ = ["SPECVERSION", "TOPICS", "Envelope", "Topic"]
