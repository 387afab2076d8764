"""Action server entry point: rasa-sdk's server, with the advisor warmed up before it listens.

`python -m actions.server --actions actions --port 5055` takes rasa-sdk's arguments. Each Sanic
worker loads indexes and models in `before_server_start` (bot/warmup.py), so the health check
answers only once the first user would be served at full speed.
"""

from __future__ import annotations

import logging
from typing import Any

import rasa_sdk.__main__
import rasa_sdk.endpoint
from sanic import Sanic

from bot.warmup import warm_up

# under rasa_sdk's logger, whose level and handlers rasa-sdk configures from --loglevel
logger = logging.getLogger("rasa_sdk.kommunallotse")
_create_app_for_serve = rasa_sdk.endpoint.create_app_for_serve


async def _warm_up(app: Sanic) -> None:
    logger.info("advisor warmed up in %.1f s", warm_up())


def create_app_for_serve(*args: Any, **kwargs: Any) -> Sanic:
    """rasa-sdk's app factory plus the warm-up listener (runs in every worker)."""
    app = _create_app_for_serve(*args, **kwargs)
    app.register_listener(_warm_up, "before_server_start")
    return app


def main() -> None:
    # rasa_sdk.endpoint.run() looks the factory up in its module when it builds the app loader
    rasa_sdk.endpoint.create_app_for_serve = create_app_for_serve
    rasa_sdk.__main__.main()


if __name__ == "__main__":
    main()
