"""The docs a clone carries: the map and the wire notes exist, nothing points outside the repo,
and every relative link in the README and docs/ resolves."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).parents[1]
OUTSIDE = re.compile(r"\.\./shared|shared/(?:reference|DESIGN\.md|STYLE\.md)")
LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")


def tracked_files() -> list[Path]:
    out = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    return [ROOT / line for line in out.splitlines() if line]


def test_the_map_and_the_wire_notes_live_in_the_repo() -> None:
    for name in ("design.md", "wire-notes.md"):
        text = (ROOT / "docs" / name).read_text()
        assert text.startswith("# aoai-watch"), name


def test_no_tracked_file_points_at_a_folder_a_clone_does_not_have() -> None:
    pointing = []
    for path in tracked_files():
        if path.suffix in (".png", ".duckdb") or not path.is_file() or path == Path(__file__):
            continue
        for number, line in enumerate(path.read_text(errors="replace").splitlines(), start=1):
            if OUTSIDE.search(line):
                pointing.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()[:100]}")
    assert pointing == []


def test_relative_links_in_the_readme_and_docs_resolve() -> None:
    broken = []
    for doc in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        for target in LINK.findall(doc.read_text()):
            if "://" in target or target.startswith("mailto:"):
                continue
            if not (doc.parent / target).exists():
                broken.append(f"{doc.relative_to(ROOT)} -> {target}")
    assert broken == []
