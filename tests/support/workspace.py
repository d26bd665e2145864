"""Run the real CLI in-process on a temporary workspace (the ``workspace`` fixture's type)."""

from __future__ import annotations

import json
import mailbox
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

import pytest

from automation.interfaces.cli import main


@dataclass
class Result:
    code: int
    out: str
    err: str

    def json(self):
        return json.loads(self.out)


class Workspace:
    """A temporary workspace made by ``automation init``; ``run`` invokes the CLI in-process."""

    def __init__(self, root: Path, capsys: pytest.CaptureFixture[str],
                 monkeypatch: pytest.MonkeyPatch) -> None:
        self.root = root
        self.capsys = capsys
        self.monkeypatch = monkeypatch
        self.config = root / "automation.toml"

    def run(self, *args: str, now: str | None = None) -> Result:
        if now is not None:
            self.monkeypatch.setenv("AUTOMATION_NOW", now)
        self.capsys.readouterr()
        try:
            main(["--config", str(self.config), *args])
            code = 0
        except SystemExit as exc:
            code = int(exc.code or 0)
        captured = self.capsys.readouterr()
        return Result(code, captured.out, captured.err)

    def ok(self, *args: str, now: str | None = None) -> Result:
        result = self.run(*args, now=now)
        assert result.code == 0, f"exit {result.code}\nout: {result.out}\nerr: {result.err}"
        return result

    def set_config(self, section: str, key: str, value: str) -> None:
        """Replace ``key = ...`` inside ``[section]`` (value is TOML source)."""
        lines = self.config.read_text().splitlines()
        current, done = None, False
        for i, line in enumerate(lines):
            stripped = line.strip()
            if stripped.startswith("["):
                if current == section and not done:
                    lines.insert(i, f"{key} = {value}")
                    done = True
                    break
                current = stripped.split("]")[0].strip("[ #")
            elif current == section and stripped.split("=")[0].strip() == key:
                lines[i] = f"{key} = {value}"
                done = True
                break
        if not done and current == section:  # the section is the file's last one
            lines.append(f"{key} = {value}")
        elif not done:
            lines += [f"[{section}]", f"{key} = {value}"]
        self.config.write_text("\n".join(lines) + "\n")

    @property
    def maildir(self) -> Path:
        return self.root / "mail"

    def folder(self, name: str) -> mailbox.Maildir:
        return mailbox.Maildir(str(self.maildir / name), factory=None, create=False)

    def messages(self, name: str) -> list[EmailMessage]:
        box = self.folder(name)
        parser = BytesParser(policy=policy.default)
        result = []
        for key in sorted(box.iterkeys()):
            with box.get_file(key) as fh:
                result.append(parser.parse(fh))
        return result

    def drafts(self) -> list[EmailMessage]:
        return self.messages("Drafts")

    def contacts(self) -> list[dict]:
        return self.ok("contacts", "--json").json()

    def contact(self, email: str) -> dict:
        return next(c for c in self.contacts() if c["email"] == email)


def write_csv(path: Path, rows: list[str],
              header: str = "First Name,Last Name,Email,Company,Title,Timezone,Notes") -> Path:
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


REPO = Path(__file__).resolve().parents[2]
