"""The README opens with the two set-up commands and documents the demo accounts truthfully;
every relative link in the README and docs/ leads to a file that exists."""

from __future__ import annotations

import re
from pathlib import Path

from lianxin.demo.builder import DEMO_ACCOUNTS, DEMO_PASSWORD

ROOT = Path(__file__).resolve().parents[3]
README = ROOT / "README.md"


def test_readme_opens_with_exactly_two_setup_commands() -> None:
    text = README.read_text(encoding="utf-8")
    first_block = re.search(r"```[a-z]*\n(.*?)```", text, re.S)
    assert first_block is not None
    # Nothing but the title comes before the commands.
    assert text[: first_block.start()].strip().startswith("# ")
    assert len(text[: first_block.start()].strip().splitlines()) == 1
    commands = [
        line.split("#")[0].strip() for line in first_block.group(1).splitlines() if line.strip()
    ]
    assert commands == [
        "pip install -e . && lianxin demo",
        'pip install -e ".[dev]" && python -m pytest -n 2',
    ]
    # .ci/run runs the second command literally, taken from the README.
    assert 'pip install -e "\\.\\[dev\\]" && python -m pytest' in (ROOT / ".ci" / "run").read_text()


def test_readme_lists_every_demo_account_with_the_password() -> None:
    text = README.read_text(encoding="utf-8")
    assert DEMO_PASSWORD in text
    listed = re.findall(r"^\| `([a-z0-9]+)` \|", text, re.M)
    assert listed == [username for username, _ in DEMO_ACCOUNTS]


def test_relative_links_in_readme_and_docs_resolve() -> None:
    broken = []
    for page in [README, *sorted((ROOT / "docs").glob("*.md"))]:
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", page.read_text(encoding="utf-8")):
            if re.match(r"^[a-z]+:", target):
                continue  # external address
            if not (page.parent / target).exists():
                broken.append(f"{page.relative_to(ROOT)} → {target}")
    assert not broken, broken
