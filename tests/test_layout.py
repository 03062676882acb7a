"""The README's layout names every directory of tests/, so a newcomer finds where a test lives."""
import re
from pathlib import Path

from django.conf import settings

ROOT = Path(settings.BASE_DIR)


def test_readme_layout_names_every_test_directory():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = text[text.index("## How the pieces fit"):]
    block = block[block.index("```") + 3:]
    block = block[:block.index("```")]
    lines = block.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("tests/"))
    nested = []
    for line in lines[start + 1:]:
        if not line.startswith("  "):
            break
        nested.append(line)
    # each nested line: the directories, then three spaces or more, then what they hold
    entries = [line for line in nested if not line.startswith("   ")]  # deeper lines continue a description
    named = {name for line in entries for name in re.findall(r"([a-z_0-9]+)/", re.split(r"\s{3,}", line.strip())[0])}
    dirs = {p.name for p in (ROOT / "tests").iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    assert dirs, "no test packages found"
    assert dirs - named == set(), "test directories the README's layout does not name"
    assert named - dirs == set(), "directories the README's layout names that tests/ does not have"
