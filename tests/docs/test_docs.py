"""The repository stands alone: its code and documents point to its own docs/, never to files a
clone does not contain."""
import re
from pathlib import Path

from django.conf import settings

ROOT = Path(settings.BASE_DIR)
SKIP_DIRS = {".git", ".venv", ".ci", "node_modules", "media", "staticfiles", "__pycache__", ".pytest_cache"}
TEXT_SUFFIXES = {".py", ".md", ".html", ".txt", ".toml", ".yml", ".yaml", ".cfg", ".ini", ".po", ".js", ".css"}
OUTSIDE = re.compile(r"DESIGN\.md|CONTRACTS\.md|STYLE\.md|\.\./shared/|\b(?:DESIGN|CONTRACTS) ?§")


def repo_text_files():
    for path in ROOT.rglob("*"):
        rel = path.relative_to(ROOT)
        if any(part in SKIP_DIRS for part in rel.parts) or not path.is_file():
            continue
        if path.suffix in TEXT_SUFFIXES or path.name in {"Dockerfile", "README"}:
            yield rel, path


def test_nothing_refers_to_design_files_outside_the_repository():
    offenders = []
    for rel, path in repo_text_files():
        for n, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
            if OUTSIDE.search(line):
                offenders.append(f"{rel}:{n}: {line.strip()[:100]}")
    assert not offenders, "\n".join(offenders)


def test_the_domain_rules_have_their_pages():
    for page in ("README.md", "delinquency.md", "strategy.md", "compliance.md", "kpis.md", "imports.md", "api.md"):
        assert (ROOT / "docs" / page).is_file(), page
    # the seven delinquency rules keep their numbers: code comments cite "docs/delinquency.md rule N"
    text = (ROOT / "docs" / "delinquency.md").read_text(encoding="utf-8")
    for n in range(1, 8):
        assert re.search(rf"^{n}\. \*\*", text, re.M), f"rule {n}"


LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")


def test_every_relative_link_in_the_documents_resolves():
    broken = []
    for doc in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        for target in LINK.findall(doc.read_text(encoding="utf-8")):
            if "://" in target or target.startswith("mailto:"):
                continue
            if not (doc.parent / target).exists():
                broken.append(f"{doc.relative_to(ROOT)} -> {target}")
    assert not broken, "\n".join(broken)
