"""Write the JSON Schema of every message type into `schemas/json/` for non-Python producers."""

from __future__ import annotations

import json
from pathlib import Path

from schemas.codec import MESSAGE_TYPES
from schemas.envelope import Envelope

JSON_DIR = Path(__file__).parent / "json"
DIALECT = "https://json-schema.org/draft/2020-12/schema"  # an identifier, never fetched


def schema_documents() -> dict[str, str]:
    """File name -> JSON text of each message type's envelope schema."""
    docs = {}
    for kind, (version, model) in sorted(MESSAGE_TYPES.items()):
        schema = Envelope[model].model_json_schema()  # type: ignore[valid-type]
        schema["$schema"] = DIALECT
        schema["$id"] = f"https://newsline.example/schemas/{kind}/{version}.json"
        schema["title"] = f"{kind} v{version}"
        schema["properties"]["type"]["const"] = kind
        schema["properties"]["schemaversion"]["const"] = version
        name = f"{kind.removeprefix('org.newsline.')}.v{version}.schema.json"
        docs[name] = json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    return docs


def write_all(directory: Path = JSON_DIR) -> list[Path]:
    """(Re)write every schema file; return their paths."""
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, text in schema_documents().items():
        path = directory / name
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    return paths


if __name__ == "__main__":
    for p in write_all():
        print(p)
