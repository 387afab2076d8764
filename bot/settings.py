"""Settings from environment variables, validated once at start.

Defaults are for the embedded single-machine setup (`make run`); production (KL_ENV=production)
refuses to start with a default or missing secret.
"""

from __future__ import annotations

import os
import re
from functools import cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, field_validator, model_validator

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SECRET = "change-me-kommunallotse-dev-secret"


class Settings(BaseModel):
    env: Literal["development", "production", "test"] = "development"
    database_url: str = f"sqlite:///{ROOT / 'var' / 'kommunallotse.db'}"
    # Rasa's tracker store (transcripts); must match endpoints.yml
    tracker_db_url: str = f"sqlite:///{ROOT / 'var' / 'rasa-tracker.db'}"
    rasa_url: str = "http://127.0.0.1:5005"
    action_port: int = 5055
    web_host: str = "127.0.0.1"
    web_port: int = 8080
    secret_key: str = DEFAULT_SECRET
    retention_days: int = Field(default=365, ge=1)
    # address of the web app as users reach it; used in links sent in the chat (report download)
    public_url: str = "http://127.0.0.1:8080"
    # origins of websites that embed the chat widget (CORS); empty: the web app's own origin only
    widget_origins: list[str] = Field(default_factory=list)

    @field_validator("widget_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        if isinstance(value, str):
            value = [part for part in value.split(",") if part.strip()]
        if isinstance(value, list):
            origins = [str(part).strip().rstrip("/") for part in value]
            for origin in origins:
                if not re.fullmatch(r"https?://[^/\s*]+", origin):
                    raise ValueError(
                        f"KL_WIDGET_ORIGINS: {origin!r} ist keine Herkunft wie https://www.gemeinde.de"
                    )
            return origins
        return value

    @model_validator(mode="after")
    def _refuse_default_secret(self) -> Settings:
        if self.env == "production" and (
            self.secret_key == DEFAULT_SECRET or len(self.secret_key) < 32
        ):
            raise ValueError(
                "KL_SECRET_KEY muss in Produktion gesetzt sein "
                "(mindestens 32 Zeichen, nicht der Standardwert)."
            )
        return self


ENV_NAMES = {
    "env": "KL_ENV",
    "database_url": "KL_DATABASE_URL",
    "tracker_db_url": "KL_TRACKER_DB_URL",
    "rasa_url": "KL_RASA_URL",
    "action_port": "KL_ACTION_PORT",
    "web_host": "KL_WEB_HOST",
    "web_port": "KL_WEB_PORT",
    "secret_key": "KL_SECRET_KEY",
    "retention_days": "KL_RETENTION_DAYS",
    "public_url": "KL_PUBLIC_URL",
    "widget_origins": "KL_WIDGET_ORIGINS",
}


def load_settings(environ: dict[str, str] | None = None) -> Settings:
    environ = dict(os.environ if environ is None else environ)
    values = {field: environ[name] for field, name in ENV_NAMES.items() if environ.get(name)}
    return Settings.model_validate(values)


@cache
def get_settings() -> Settings:
    return load_settings()
