"""The configuration's values: frozen, typed, one dataclass per section.

``automation.config`` reads and validates the TOML into these (and re-exports them); nothing
here reads a file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import time
from pathlib import Path
from zoneinfo import ZoneInfo

from automation.core.models import Availability, Cadence

ENV_CONFIG = "AUTOMATION_CONFIG"
DEFAULT_CONFIG = Path("config/automation.toml")
DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

#: The prep sheet's questions by default: TIARA (Trends, Insights, Advice, Resources,
#: Assignments), the informational-interview set of Steve Dalton's "The 2-Hour Job Search".
TIARA_QUESTIONS = (
    "Trends: What trends are you seeing in your field right now?",
    "Insights: What has surprised you most about your work?",
    "Advice: What can I do now to be a strong candidate in this field one day?",
    "Resources: What resources (people, groups, reading) should I look into?",
    "Assignments: Which projects or assignments did the most for your career?",
)
DEFAULT_QUESTIONS = TIARA_QUESTIONS


@dataclass(frozen=True)
class Me:
    name: str
    email: str
    timezone: ZoneInfo
    signature: str = ""
    #: What the user is exploring, broadly ("public health") and specifically ("how health
    #: agencies talk with the public"): the outreach says both.
    exploring: str = ""
    exploring_specifically: str = ""

    @property
    def zone_name(self) -> str:
        return self.timezone.key


@dataclass(frozen=True)
class LocalConfig:
    maildir: Path
    calendar: Path
    database: Path


#: Where ``automation auth`` listens for Google's redirect by default. It lives in the kernel so
#: the CLI can show it in ``--help`` without importing the Google client stack.
DEFAULT_OAUTH_PORT = 8080


@dataclass(frozen=True)
class GoogleConfig:
    credentials: Path
    token: Path
    database: Path
    calendar_id: str = "primary"
    busy_calendars: tuple[str, ...] = ("primary",)
    quota_units_per_minute: int = 6000
    meet: bool = False
    api_endpoint: str | None = None  # loopback fake in tests; None = Google


@dataclass(frozen=True)
class InterviewConfig:
    location: str = "Phone call (I will call you)"
    #: The prep sheet's questions (``[prep] questions``): private, never in what the contact
    #: sees.
    questions: tuple[str, ...] = DEFAULT_QUESTIONS
    reminder_minutes: int = 15


@dataclass(frozen=True)
class DaemonConfig:
    interval_seconds: int = 300
    digest_at: time = time(8, 0)
    digest_draft: bool = False


@dataclass(frozen=True)
class WebConfig:
    """``[web]``: where ``automation web`` listens and where its password hash lives.

    Any host but 127.0.0.1, ::1 or localhost needs a password (``automation web
    --set-password``); ``secure_cookie`` marks the session cookie Secure, for a server reached
    through a TLS reverse proxy.
    """

    host: str = "127.0.0.1"
    port: int = 8765
    password_file: Path = Path("web-password")
    secure_cookie: bool = False


@dataclass(frozen=True)
class Config:
    path: Path
    me: Me
    backend: str
    local: LocalConfig
    google: GoogleConfig
    availability: Availability
    busy_ics: tuple[Path, ...]
    cadence: Cadence
    templates_dir: Path
    interview: InterviewConfig
    daemon: DaemonConfig
    warnings: tuple[str, ...] = field(default=())
    web: WebConfig = field(default_factory=WebConfig)

    @property
    def database(self) -> Path:
        """The SQLite file of the active backend."""
        return self.google.database if self.backend == "google" else self.local.database

    @property
    def data_dir(self) -> Path:
        return self.database.parent
