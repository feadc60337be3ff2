"""Every citation in the repository resolves inside the repository.

Checks, over every text file of the checkout (git-tracked plus untracked-not-ignored):

(a) no mention of the old background spec file (only ``docs/theory.md`` is cited);
(b) every ``docs/<file>.md §x`` citation names an existing file and a heading label of that file, and
    every theory-section label (``§b.5``-style, also when written bare) is a heading of docs/theory.md;
    relative Markdown links between the docs point to existing files; a cited ``tests/<file>.py::<test>``
    exists;
(c) no path into the background folder outside the repository, and no other background file name.

The reference is the repository's own file system: nothing here depends on the code's output. (The one-off
sweep that replaced the old citations has been run and retired; these checks keep them from coming back.)
"""
from __future__ import annotations

import re
import subprocess
from functools import cache, lru_cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# The forbidden names are assembled from pieces so that this file does not itself contain them.
OLD_SPEC = "physics" + ".md"
BACKGROUND_PATHS = ("../" + "shared", "/work/" + "shared", "shared" + "/data")
BACKGROUND_FILES = ("ecosystem" + ".md", "design" + ".md")


def _repository_files() -> list[Path]:
    """Text-file candidates of the repository: tracked plus untracked-not-ignored, relative to ROOT."""
    try:
        out = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                             cwd=ROOT, check=True, capture_output=True).stdout
        names = [n for n in out.decode("utf-8", "surrogateescape").split("\0") if n]
    except (OSError, subprocess.CalledProcessError):  # not a git checkout (e.g. an unpacked sdist)
        skip = {".git", "__pycache__", "build", "dist", ".pytest_cache", ".ipynb_checkpoints", ".venv", "venv",
                ".mypy_cache", ".ruff_cache"}
        names = [str(p.relative_to(ROOT)) for p in ROOT.rglob("*")
                 if p.is_file() and not any(part in skip or part.endswith(".egg-info")
                                            for part in p.relative_to(ROOT).parts)]
    return sorted(Path(n) for n in set(names) if (ROOT / n).is_file())


def _read_text(path: Path) -> str | None:
    """File content as text, or None for binary / non-UTF-8 files."""
    data = path.read_bytes()
    if b"\0" in data:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


@lru_cache(maxsize=1)
def _texts() -> dict[str, str]:
    out = {}
    for rel in _repository_files():
        text = _read_text(ROOT / rel)
        if text is not None:
            out[rel.as_posix()] = text
    return out


def _hits(pattern: re.Pattern[str]) -> list[str]:
    found = []
    for name, text in _texts().items():
        for m in pattern.finditer(text):
            line = text.count("\n", 0, m.start()) + 1
            found.append(f"{name}:{line}: {m.group(0)!r}")
    return found


_HEADING = re.compile(r"^#{1,6}[ \t]+§?([a-z](?:\.\d+)?|\d+)(?=[.\s]|$)", re.MULTILINE)


@cache
def _labels(doc: str) -> frozenset[str]:
    """Heading labels of a docs file: '§b.5 Title' -> 'b.5', '4. Title' -> '4'."""
    path = ROOT / doc
    return frozenset(_HEADING.findall(path.read_text(encoding="utf-8"))) if path.is_file() else frozenset()


def test_repository_files_are_found():
    texts = _texts()
    assert "docs/theory.md" in texts and "README.md" in texts and len(texts) > 50


def test_a_no_mention_of_the_old_spec():
    hits = _hits(re.compile(re.escape(OLD_SPEC)))
    assert not hits, f"cite docs/theory.md instead ({len(hits)} left):\n" + "\n".join(hits[:40])


_LABEL = r"§\s?([a-z](?:\.\d+)?|\d+)"
_CITATION = re.compile(r"\b(docs/[\w.-]+?\.md)[ \t]*" + _LABEL
                       + r"((?:[ \t]*(?:,|/|–|-|and|or)[ \t]*§?[a-z]\.\d+)*)")
_CHAINED = re.compile(r"§?([a-z]\.\d+)")


def test_b_docs_citations_resolve():
    bad = []
    for name, text in _texts().items():
        for m in _CITATION.finditer(text):
            doc, first, rest = m.group(1), m.group(2), m.group(3)
            line = text.count("\n", 0, m.start()) + 1
            if not (ROOT / doc).is_file():
                bad.append(f"{name}:{line}: {doc} does not exist")
                continue
            for label in [first, *_CHAINED.findall(rest or "")]:
                if label not in _labels(doc):
                    bad.append(f"{name}:{line}: {doc} has no heading '§{label}'")
    assert not bad, "\n".join(bad[:40])


def test_b_every_theory_label_is_a_heading():
    """Bare '§b.5'-style labels (letter.number) refer to docs/theory.md; each must be one of its headings."""
    labels = _labels("docs/theory.md")
    assert {"a.1", "b.5", "c.6", "d.1", "e", "f.1"} <= labels
    bad = [h for h in _hits(re.compile(r"§([a-f]\.\d+)")) if h.rsplit("§", 1)[1].rstrip("'") not in labels]
    assert not bad, "labels without a heading in docs/theory.md:\n" + "\n".join(bad[:40])


def test_b_markdown_links_between_docs_exist():
    link = re.compile(r"\]\(([\w./-]+\.md)(?:#[\w-]*)?\)")
    bad = []
    for name, text in _texts().items():
        if not name.endswith(".md"):
            continue
        for target in link.findall(text):
            if not target.startswith(("http:", "https:")) and not ((ROOT / name).parent / target).is_file():
                bad.append(f"{name}: link to {target}")
    assert not bad, "\n".join(bad)


def test_b_cited_tests_exist():
    """A cited test file (tests/ + file name, optionally ::test_name) exists and defines that name."""
    cited = re.compile(r"\b(tests/[\w/]+\.py)(?:::(\w+))?")
    bad = []
    for name, text in _texts().items():
        for m in cited.finditer(text):
            path, func = ROOT / m.group(1), m.group(2)
            line = text.count("\n", 0, m.start()) + 1
            if not path.is_file():
                bad.append(f"{name}:{line}: {m.group(1)} does not exist")
            elif func and not re.search(rf"^\s*(?:async\s+)?(?:def|class)\s+{func}\b",
                                        path.read_text(encoding="utf-8"), re.MULTILINE):
                bad.append(f"{name}:{line}: {m.group(1)} has no {func}")
    assert not bad, "\n".join(bad[:40])


@pytest.mark.parametrize("needle", BACKGROUND_PATHS + BACKGROUND_FILES)
def test_c_no_path_outside_the_repository(needle):
    hits = _hits(re.compile(re.escape(needle)))
    assert not hits, "the background material is not part of the repository:\n" + "\n".join(hits[:40])
