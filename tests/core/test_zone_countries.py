"""``country_for_zone`` reads pytz's zone.tab itself (pytz's own table first opens every zone's
file); it must say what ``pytz.country_timezones`` says, for every zone there is."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from zoneinfo import available_timezones

import pytz

from automation.core.businessdays import country_for_zone


def test_every_zone_has_the_country_pytz_gives_it() -> None:
    expected = {zone: country for country, zones in pytz.country_timezones.items()
                for zone in zones}
    names = available_timezones() | set(expected) | {"", "Not/AZone", "UTC", "Etc/GMT+5",
                                                       "america/new_york", "../zone.tab"}
    assert {z: country_for_zone(z) for z in names} == {z: expected.get(z) for z in names}
    assert country_for_zone("Europe/Madrid") == "ES"
    assert country_for_zone(None) is None


#: Asks a zone's country in a fresh interpreter; prints it and whether pytz got imported.
ASK = """
import sys
from automation.core.businessdays import country_for_zone
print(country_for_zone(sys.argv[1]), "pytz" in sys.modules)
"""


def ask(zone: str, **env: str) -> str:
    done = subprocess.run([sys.executable, "-c", ASK, zone], capture_output=True, text=True,
                          env={**os.environ, **env}, check=True, timeout=120)
    return done.stdout.strip()


def test_the_country_is_read_without_importing_pytz() -> None:
    assert ask("Europe/Madrid") == "ES False"


def test_pytz_tzdatadir_is_read_as_pytz_reads_it(tmp_path: Path) -> None:
    """``PYTZ_TZDATADIR`` moves pytz's zone files; the country comes from the moved table."""
    folder = tmp_path / "zoneinfo"
    shutil.copytree(Path(pytz.__file__).parent / "zoneinfo", folder)
    table = (folder / "zone.tab").read_text(encoding="utf-8")
    (folder / "zone.tab").write_text(table.replace("ES\t+4024-00341\tEurope/Madrid",
                                                   "PT\t+4024-00341\tEurope/Madrid"),
                                     encoding="utf-8")
    assert ask("Europe/Madrid", PYTZ_TZDATADIR=str(folder)) == "PT False"
    (folder / "Europe" / "Madrid").unlink()  # listed but without its file: no country
    assert ask("Europe/Madrid", PYTZ_TZDATADIR=str(folder)) == "None False"
