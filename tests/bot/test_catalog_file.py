"""`/suggestions export` files and `python -m bot catalog merge`: validated like the catalog itself."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib

import pytest

from bot.catalog import CatalogError, load_catalog
from bot.catalog_file import export, merge
from bot.config import DEFAULT_CATALOG_PATH, ENV_FILE_VARIABLE, PROJECT_ROOT
from bot.suggestions import ServerCatalogs, new_suggestion
from tests.conftest import FAKE_TOKEN

FORM = {
    "title": "Paper Lanterns",
    "hangul": "종이 등불",
    "aired": "2023, JTBC",
    "pitch": 'A lamp "left" on.',
    "spoiler": "",
}
COMPLETE = """
[[drama]]
id = "paper-lanterns"
title = "Paper Lanterns"
hangul = "종이 등불"
year = 2023
network = "JTBC"
era = "modern"
tears = 4
moods = ["grief"]
cast = [{ actor = "Someone", role = "Somebody" }]
pitch = "A lamp left on."
spoiler = "Nobody comes home."
sources = ["https://example.org/a", "https://example.org/b"]
"""


@pytest.fixture
def catalog_copy(tmp_path):
    target = tmp_path / "catalog"
    shutil.copytree(DEFAULT_CATALOG_PATH, target)
    return target


def exported() -> str:
    catalogs = ServerCatalogs(load_catalog(DEFAULT_CATALOG_PATH))
    suggestion = new_suggestion(42, 7, "drama", FORM, 9, "Mina")
    catalogs.add(suggestion, FORM)
    return export("Tissue Box", [suggestion], catalogs.for_guild(7))


def test_an_export_reads_back_as_the_members_entry():
    data = tomllib.loads(exported())
    assert data["drama"] == [
        {"id": "paper-lanterns", "title": "Paper Lanterns", "hangul": "종이 등불", "year": 2023, "network": "JTBC",
         "pitch": 'A lamp "left" on.'}
    ]  # fmt: skip


def test_an_export_not_yet_completed_is_refused_with_what_it_lacks(catalog_copy, tmp_path):
    file = tmp_path / "export.toml"
    file.write_text(exported(), encoding="utf-8")
    before = {p.name: p.read_bytes() for p in catalog_copy.iterdir()}
    with pytest.raises(CatalogError) as caught:
        merge(catalog_copy, file)
    problems = "\n".join(caught.value.problems)
    assert "'era'" in problems and "'tears'" in problems and "sources" in problems
    assert {p.name: p.read_bytes() for p in catalog_copy.iterdir()} == before  # nothing written


def test_a_completed_entry_is_merged_and_loads(catalog_copy, tmp_path):
    file = tmp_path / "export.toml"
    file.write_text(COMPLETE, encoding="utf-8")
    merged = merge(catalog_copy, file)
    assert (merged.dramas, merged.osts) == (1, 0) and merged.files == (catalog_copy / "dramas.toml",)
    drama = load_catalog(catalog_copy).get("paper-lanterns")
    assert drama is not None and drama.tears == 4 and drama.cast[0].actor == "Someone"
    with pytest.raises(CatalogError, match="duplicate id"):
        merge(catalog_copy, file)  # twice is refused


def test_a_title_the_catalog_has_is_refused_under_another_id(catalog_copy, tmp_path):
    file = tmp_path / "export.toml"
    file.write_text(
        COMPLETE.replace('"paper-lanterns"', '"dokkaebi"').replace("Paper Lanterns", "Goblin"), "utf-8"
    )
    with pytest.raises(CatalogError, match="already in the catalog as 'goblin'"):
        merge(catalog_copy, file)


def test_the_cli_merges_or_says_what_is_wrong_in_one_go(catalog_copy, tmp_path):
    file = tmp_path / "export.toml"
    file.write_text(exported(), encoding="utf-8")
    env = {**os.environ, "DISCORD_TOKEN": FAKE_TOKEN, "CATALOG_PATH": str(catalog_copy), ENV_FILE_VARIABLE: "none",
           "DATABASE_URL": f"sqlite:///{tmp_path / 't.db'}"}  # fmt: skip

    def cli() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "bot", "catalog", "merge", str(file)], cwd=PROJECT_ROOT, env=env,
            capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip

    refused = cli()
    assert refused.returncode == 2 and "Traceback" not in refused.stderr and "'era'" in refused.stderr
    file.write_text(COMPLETE, encoding="utf-8")
    done = cli()
    assert done.returncode == 0 and "Merged 1 drama and 0 OSTs" in done.stdout
