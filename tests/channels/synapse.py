"""A real Synapse homeserver on 127.0.0.1 for the Matrix tests, from its own venv.

The venv is made by scripts/setup.sh from requirements/matrix.lock and linked as .venv-matrix
(or named by KL_SYNAPSE_PYTHON). Federation is off, users are registered with the shared secret.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import yaml

from tests.integration.stack import ROOT, free_port, stop, wait_until

SERVER_NAME = "localhost"


def synapse_python() -> Path | None:
    configured = os.environ.get("KL_SYNAPSE_PYTHON")
    python = Path(configured) if configured else ROOT / ".venv-matrix" / "bin" / "python"
    return python if python.exists() else None


@dataclass
class Homeserver:
    url: str
    shared_secret: str

    def register(self, localpart: str, password: str) -> str:
        """Register a user with the shared secret (Synapse admin API); the Matrix ID."""
        endpoint = f"{self.url}/_synapse/admin/v1/register"
        nonce = httpx.get(endpoint, timeout=10).json()["nonce"]
        mac = hmac.new(self.shared_secret.encode(), digestmod=hashlib.sha1)
        mac.update(b"\x00".join([nonce.encode(), localpart.encode(), password.encode(), b"notadmin"]))
        response = httpx.post(
            endpoint,
            json={
                "nonce": nonce,
                "username": localpart,
                "password": password,
                "admin": False,
                "mac": mac.hexdigest(),
            },
            timeout=30,
        )
        response.raise_for_status()
        return response.json()["user_id"]


def write_config(python: Path, tmp: Path, port: int, shared_secret: str) -> Path:
    config = tmp / "homeserver.yaml"
    data = tmp / "data"
    subprocess.run(
        [
            str(python),
            "-m",
            "synapse.app.homeserver",
            "--server-name",
            SERVER_NAME,
            "--config-path",
            str(config),
            "--data-directory",
            str(data),
            "--generate-config",
            "--report-stats=no",
        ],
        cwd=tmp,
        check=True,
        capture_output=True,
    )
    settings = yaml.safe_load(config.read_text())
    fast = {"per_second": 1000, "burst_count": 1000}
    settings.update(
        listeners=[
            {
                "port": port,
                "bind_addresses": ["127.0.0.1"],
                "type": "http",
                "tls": False,
                "x_forwarded": False,
                "resources": [{"names": ["client"], "compress": False}],  # no federation listener
            }
        ],
        database={"name": "sqlite3", "args": {"database": str(data / "homeserver.db")}},
        # open registration stays off; accounts are made with the shared secret
        enable_registration=False,
        registration_shared_secret=shared_secret,
        federation_domain_whitelist=[],
        trusted_key_servers=[],
        suppress_key_server_warning=True,
        report_stats=False,
        presence={"enabled": False},
        url_preview_enabled=False,
        rc_message=fast,
        rc_registration=fast,
        rc_login={"address": fast, "account": fast, "failed_attempts": fast},
        rc_joins={"local": fast, "remote": fast},
        rc_invites={"per_room": fast, "per_user": fast, "per_issuer": fast},
        rc_room_creation=fast,
    )
    config.write_text(yaml.safe_dump(settings))
    return config


@contextmanager
def running_synapse(tmp: Path) -> Iterator[Homeserver]:
    python = synapse_python()
    if python is None:
        raise RuntimeError("Synapse venv missing: run `make setup` (creates .venv-matrix)")
    port, shared_secret = free_port(), secrets.token_hex(16)
    config = write_config(python, tmp, port, shared_secret)
    log = (tmp / "synapse.out").open("w")
    proc = subprocess.Popen(
        [str(python), "-m", "synapse.app.homeserver", "--config-path", str(config)],
        cwd=tmp,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until(
            lambda: httpx.get(f"{url}/_matrix/client/versions", timeout=2).status_code == 200,
            120,
            "Synapse",
            [proc],
        )
        yield Homeserver(url=url, shared_secret=shared_secret)
    finally:
        stop(proc)
        log.close()
