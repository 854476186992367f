"""Lay out the ML-Crisis collection's French articles and reference timelines for bench/tls_eval.py.

ML-Crisis (La Quatra et al., "Cross-lingual timeline summarization", IEEE AIKE 2021) is the
public repository MorenoLaQuatra/CL-TLS. It has no licence file, so its data is never committed
here: this script copies it from a checkout, or from a bare clone or mirror of it, into a folder
outside the repository, and ``NEWSLINE_MLCRISIS`` names that folder:

    python bench/mlcrisis_layout.py SOURCE DEST [--language fr]

The layout (what ``tls_eval.py`` reads), for each language ``<lang>``:

- ``DEST/<lang>/<topic>/<YYYY-MM-DD>/<doc>.txt``: one article, its folder the publication day;
- ``DEST/<lang>/reference/<topic>.txt``: the topic's reference timeline in the tilse format (a
  day line, that day's sentences one a line, a line of dashes).

Only those ``.txt`` files are copied (the repository's ``.tokenized`` and ``.timeml`` files are
another tool's output, and ``.DS_Store`` files are noise).
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from pathlib import Path

# <lang>/<topic>/<day>/<doc>.txt or <lang>/reference/<topic>.txt
_WANTED = r"{lang}/(?:reference/[^/]+|[^/]+/\d{{4}}-\d{{2}}-\d{{2}}/[^/]+)\.txt"


def wanted(path: str, language: str) -> bool:
    """Whether a repository path is an article or a reference timeline of that language."""
    return re.fullmatch(_WANTED.format(lang=re.escape(language)), path) is not None


def files_of_checkout(source: Path, language: str) -> dict[str, bytes]:
    """The wanted files of a working tree, by repository path."""
    found = {}
    for path in sorted((source / language).rglob("*.txt")):
        relative = path.relative_to(source).as_posix()
        if wanted(relative, language):
            found[relative] = path.read_bytes()
    return found


def files_of_git(git_dir: Path, language: str) -> dict[str, bytes]:
    """The wanted files of a bare repository's HEAD, by repository path."""
    def git(*args: str) -> bytes:
        return subprocess.run(["git", "--git-dir", str(git_dir), *args],  # noqa: S603,S607
                              check=True, capture_output=True).stdout

    listed = git("ls-tree", "-r", "--name-only", "-z", "HEAD", "--", language).decode()
    return {p: git("show", f"HEAD:{p}") for p in listed.split("\0") if wanted(p, language)}


def lay_out(source: Path, dest: Path, language: str = "fr") -> int:
    """Copy the wanted files of `source` (a checkout or a git directory) under `dest`; their count."""
    files = files_of_checkout(source, language) if (source / language).is_dir() \
        else files_of_git(source, language)
    for relative, content in files.items():
        target = dest / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
    return len(files)


def main(argv: list[str] | None = None) -> int:
    """Lay the collection out; exit 2 when the source holds none of the language's files."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path, help="a CL-TLS checkout, bare clone or mirror")
    parser.add_argument("dest", type=Path, help="the folder NEWSLINE_MLCRISIS will name")
    parser.add_argument("--language", default="fr")
    args = parser.parse_args(argv)
    count = lay_out(args.source, args.dest, args.language)
    if not count:
        print(f"no {args.language}/ articles or references in {args.source}", file=sys.stderr)
        return 2
    print(f"{count} files under {args.dest / args.language}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
