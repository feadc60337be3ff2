"""Every citation in the repository resolves inside the repository.

Checks, over every text file of the checkout (git-tracked plus untracked-not-ignored; the same list
``tools/fix_citations.py`` rewrites):

(a) no mention of the old background spec file (only ``docs/theory.md`` is cited);
(b) every ``docs/<file>.md §x`` citation names an existing file and a heading label of that file, and
    every theory-section label (``§b.5``-style, also when written bare) is a heading of docs/theory.md;
    relative Markdown links between the docs point to existing files; a cited ``tests/<file>.py::<test>``
    exists;
(c) no path into the background folder outside the repository, and no other background file name.

Plus the rewrite rule of ``tools/fix_citations.py`` on sample strings (idempotent, leaves the new form
alone). The reference is the repository's own file system: nothing here depends on the code's output.
"""
from __future__ import annotations

import importlib.util
import re
from functools import lru_cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# The forbidden names are assembled from pieces so that this file does not itself contain them.
OLD_SPEC = "physics" + ".md"
BACKGROUND_PATHS = ("../" + "shared", "/work/" + "shared", "shared" + "/data")
BACKGROUND_FILES = ("ecosystem" + ".md", "design" + ".md")
SCRIPT = "tools/fix_citations.py"  # holds the old phrases it replaces, by necessity


def _load_script():
    spec = importlib.util.spec_from_file_location("fix_citations", ROOT / SCRIPT)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@lru_cache(maxsize=1)
def _texts() -> dict[str, str]:
    mod = _load_script()
    out = {}
    for rel in mod.repository_files(ROOT):
        if rel.as_posix() == SCRIPT:
            continue
        text = mod.read_text(ROOT / rel)
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


@lru_cache(maxsize=None)
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
    assert not hits, f"the background material is not part of the repository:\n" + "\n".join(hits[:40])


def test_rewrite_rule_on_samples():
    mod = _load_script()
    old = OLD_SPEC
    assert mod.rewrite(f"see {old} §b.5 and ({old})") == "see docs/theory.md §b.5 and (docs/theory.md)"
    assert mod.rewrite(f"as used in {BACKGROUND_PATHS[0]}/{old} §b.5") == "as used in docs/theory.md §b.5"
    for sample in (f"x {old} §c.2, §c.3 y", "docs/theory.md §a.1", f"my_{old}", f"# {old}\n"):
        once = mod.rewrite(sample)
        assert mod.rewrite(once) == once  # idempotent
    assert mod.rewrite(f"my_{old}") == f"my_{old}"  # only the spec's own name is rewritten
    assert mod.rewrite("docs/theory.md §a.1") == "docs/theory.md §a.1"
