"""System messages (German) from data/messages.yml."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import yaml

MESSAGES_FILE = Path(__file__).parent / "data" / "messages.yml"


@cache
def _messages() -> dict[str, str]:
    with open(MESSAGES_FILE, encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def system_message(key: str) -> str:
    return _messages()[key]
