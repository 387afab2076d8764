"""A production layout on this machine, all on 127.0.0.1, for trying out, tests and load runs.

PostgreSQL (tracker store and assessments) and Redis (lock store) from Debian packages as
throwaway instances in a state directory, TWO action servers, TWO Rasa instances sharing both
stores, nginx round-robin in front of the Rasa REST webhook, and the web app behind it.

    python -m deploy.local start|stop|status   (make prod-up / make prod-down)

Tests use `ProdLayout` directly with free ports and a temporary directory.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
RASA_BIN = ROOT / ".venv-rasa" / "bin" / "rasa"
CORE_PY = ROOT / ".venv-core" / "bin" / "python"
MODEL = ROOT / "models" / "rasa" / "current.tar.gz"
HOST = "127.0.0.1"
PG_BIN_DIRS = sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
TRACKER_DB = "rasa_tracker"
ADVISOR_DB = "kommunallotse"
DB_USER = "kommunallotse"
DB_PASSWORD = "kommunallotse-lokal"  # trust auth on loopback; the field is still required by Rasa


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def pg_tool(name: str) -> str:
    for directory in PG_BIN_DIRS:
        if (directory / name).exists():
            return str(directory / name)
    found = shutil.which(name)
    if not found:
        raise RuntimeError(
            f"{name} fehlt: bitte PostgreSQL installieren (sudo apt-get install postgresql)"
        )
    return found


def as_postgres(cmd: list[str]) -> list[str]:
    """initdb and postgres refuse to run as root: run them as the postgres user then."""
    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd


@dataclass
class Ports:
    nginx: int
    web: int
    pg: int
    redis: int
    rasa: list[int]
    actions: list[int]

    @classmethod
    def free(cls, instances: int = 2) -> Ports:
        return cls(
            nginx=free_port(),
            web=free_port(),
            pg=free_port(),
            redis=free_port(),
            rasa=[free_port() for _ in range(instances)],
            actions=[free_port() for _ in range(instances)],
        )

    @classmethod
    def fixed(cls, instances: int = 2) -> Ports:
        env = os.environ.get
        return cls(
            nginx=int(env("KL_PROD_PORT", "5080")),
            web=int(env("KL_PROD_WEB_PORT", "8090")),
            pg=int(env("KL_PROD_PG_PORT", "55432")),
            redis=int(env("KL_PROD_REDIS_PORT", "56379")),
            rasa=[5105 + i for i in range(instances)],
            actions=[5155 + i for i in range(instances)],
        )


@dataclass
class ProdLayout:
    state: Path
    ports: Ports
    pids: dict[str, int] = field(default_factory=dict)

    # --- addresses -------------------------------------------------------------------------
    @property
    def pg_dir(self) -> Path:
        return self.state / "pg"

    @property
    def log_dir(self) -> Path:
        return self.state / "log"

    @property
    def nginx_url(self) -> str:
        return f"http://{HOST}:{self.ports.nginx}"

    @property
    def web_url(self) -> str:
        return f"http://{HOST}:{self.ports.web}"

    def rasa_url(self, i: int) -> str:
        return f"http://{HOST}:{self.ports.rasa[i]}"

    def action_url(self, i: int) -> str:
        return f"http://{HOST}:{self.ports.actions[i]}/webhook"

    def db_url(self, db: str) -> str:
        return f"postgresql://{DB_USER}:{DB_PASSWORD}@{HOST}:{self.ports.pg}/{db}?connect_timeout=5"

    def env(self, **extra: str) -> dict[str, str]:
        return {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "KL_DATABASE_URL": self.db_url(ADVISOR_DB),
            "KL_TRACKER_DB_URL": self.db_url(TRACKER_DB),
            "KL_TRACKER_DB_HOST": HOST,
            "KL_TRACKER_DB_PORT": str(self.ports.pg),
            "KL_TRACKER_DB_NAME": TRACKER_DB,
            "KL_TRACKER_DB_USER": DB_USER,
            "KL_TRACKER_DB_PASSWORD": DB_PASSWORD,
            "KL_REDIS_HOST": HOST,
            "KL_REDIS_PORT": str(self.ports.redis),
            "KL_REDIS_DB": "1",
            "SANIC_HOST": HOST,
            "ACTION_SERVER_SANIC_WORKERS": "1",
            **extra,
        }

    # --- process handling ------------------------------------------------------------------
    def _spawn(self, name: str, cmd: list[str], env: dict[str, str] | None = None) -> int:
        log = (self.log_dir / f"{name}.log").open("a")
        proc = subprocess.Popen(
            cmd,
            cwd=ROOT,
            env=env or self.env(),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # survives the starting shell (make prod-up)
        )
        self.pids[name] = proc.pid
        self._save()
        return proc.pid

    def _save(self) -> None:
        (self.state / "state.json").write_text(
            json.dumps({"ports": asdict(self.ports), "pids": self.pids}, indent=1)
        )

    @classmethod
    def load(cls, state: Path) -> ProdLayout:
        data = json.loads((state / "state.json").read_text())
        return cls(state=state, ports=Ports(**data["ports"]), pids=data["pids"])

    def alive(self, name: str) -> bool:
        pid = self.pids.get(name)
        if not pid:
            return False
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        # reap our own children so a killed server does not stay a zombie
        try:
            done, _ = os.waitpid(pid, os.WNOHANG)
            return done == 0
        except ChildProcessError:
            return Path(f"/proc/{pid}").exists() and "Z" not in _proc_state(pid)

    def kill(self, name: str, sig: int = signal.SIGTERM, wait: float = 20) -> None:
        pid = self.pids.get(name)
        if not pid:
            return
        # the whole process group: Sanic (Rasa, action server) serves from a worker subprocess
        _killpg(pid, sig)
        deadline = time.monotonic() + wait
        while self.alive(name) and time.monotonic() < deadline:
            time.sleep(0.1)
        _killpg(pid, signal.SIGKILL)  # leftover workers
        while self.alive(name):
            time.sleep(0.1)

    def _wait(self, name: str, check, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if name in self.pids and not self.alive(name):
                tail = (self.log_dir / f"{name}.log").read_text(errors="replace")[-2000:]
                raise RuntimeError(f"{name} ist beendet; Protokoll:\n{tail}")
            try:
                if check():
                    return
            except (httpx.HTTPError, OSError):
                pass
            time.sleep(0.3)
        raise TimeoutError(f"{name} ist nach {seconds} s nicht bereit")

    # --- PostgreSQL ------------------------------------------------------------------------
    def init_postgres(self) -> None:
        self.pg_dir.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(self.pg_dir, "postgres", "postgres")
            self.pg_dir.chmod(0o700)
        if not (self.pg_dir / "PG_VERSION").exists():
            subprocess.run(
                as_postgres(
                    [pg_tool("initdb"), "-D", str(self.pg_dir), "--auth", "trust", "-U", "postgres",
                     "-E", "UTF8", "--locale", "C.UTF-8"]
                ),
                check=True,
                stdout=subprocess.DEVNULL,
            )

    def start_postgres(self) -> None:
        log = self.state / "pg.log"
        log.touch()
        if os.geteuid() == 0:
            shutil.chown(log, "postgres", "postgres")
        options = f"-p {self.ports.pg} -c listen_addresses={HOST} -k {self.pg_dir} -c fsync=off"
        subprocess.run(
            as_postgres([pg_tool("pg_ctl"), "-D", str(self.pg_dir), "-o", options, "-l", str(log),
                         "-w", "-t", "60", "start"]),
            check=True,
            stdout=subprocess.DEVNULL,
        )

    def stop_postgres(self) -> None:
        if (self.pg_dir / "postmaster.pid").exists():
            subprocess.run(
                as_postgres([pg_tool("pg_ctl"), "-D", str(self.pg_dir), "-m", "fast", "-w", "stop"]),
                check=False,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )

    def restart_postgres(self) -> None:
        self.stop_postgres()
        self.start_postgres()

    def create_databases(self) -> None:
        psql = [pg_tool("psql"), "-h", HOST, "-p", str(self.ports.pg), "-U", "postgres", "-v",
                "ON_ERROR_STOP=1", "-q", "-d", "postgres"]
        exists = subprocess.run(
            [*psql, "-tAc", f"SELECT 1 FROM pg_roles WHERE rolname='{DB_USER}'"],
            check=True, capture_output=True, text=True,
        ).stdout.strip()
        if exists != "1":
            subprocess.run([*psql, "-c", f"CREATE ROLE {DB_USER} LOGIN PASSWORD '{DB_PASSWORD}'"],
                           check=True)
            for db in (TRACKER_DB, ADVISOR_DB):
                subprocess.run([*psql, "-c", f"CREATE DATABASE {db} OWNER {DB_USER}"], check=True)

    # --- the other servers -----------------------------------------------------------------
    def start_redis(self) -> None:
        self._spawn("redis", ["redis-server", "--port", str(self.ports.redis), "--bind", HOST,
                              "--save", "", "--appendonly", "no", "--daemonize", "no"])
        self._wait("redis", lambda: _tcp_open(self.ports.redis), 20)

    def start_action_server(self, i: int) -> None:
        name = f"actions{i}"
        self._spawn(name, [str(CORE_PY), "-m", "actions.server", "--actions", "actions",
                           "--port", str(self.ports.actions[i])])
        health = self.action_url(i).replace("/webhook", "/health")
        self._wait(name, lambda: httpx.get(health, timeout=2).status_code == 200, 90)

    def spawn_rasa(self, i: int) -> None:
        self._spawn(
            f"rasa{i}",
            [str(RASA_BIN), "run", "--model", str(MODEL), "--enable-api", "--interface", HOST,
             "--port", str(self.ports.rasa[i]), "--endpoints",
             str(ROOT / "deploy" / "endpoints.production.yml"),
             "--credentials", str(ROOT / "credentials.yml")],
            self.env(KL_ACTION_URL=self.action_url(i)),
        )

    def wait_rasa(self, i: int) -> None:
        url = self.rasa_url(i)
        self._wait(f"rasa{i}", lambda: httpx.get(f"{url}/status", timeout=2).status_code == 200, 300)

    def start_rasa(self, i: int) -> None:
        self.spawn_rasa(i)
        self.wait_rasa(i)

    def start_web(self) -> None:
        self._spawn(
            "web",
            [str(CORE_PY), "-m", "uvicorn", "bot.web:create_app", "--factory", "--host", HOST,
             "--port", str(self.ports.web)],
            self.env(KL_RASA_URL=self.nginx_url),
        )
        self._wait("web", lambda: httpx.get(f"{self.web_url}/health", timeout=2).status_code == 200, 60)

    def nginx_conf(self) -> str:
        upstreams = "\n".join(
            f"    server {HOST}:{port} max_fails=1 fail_timeout=5s;" for port in self.ports.rasa
        )
        tmp = self.state / "nginx"
        user = "user root;\n" if os.geteuid() == 0 else ""
        return f"""{user}worker_processes 1;
pid {tmp}/nginx.pid;
error_log {self.log_dir}/nginx-error.log warn;
events {{ worker_connections 1024; }}
http {{
  access_log {self.log_dir}/nginx-access.log;
  client_body_temp_path {tmp}/body;
  proxy_temp_path {tmp}/proxy;
  fastcgi_temp_path {tmp}/fastcgi;
  uwsgi_temp_path {tmp}/uwsgi;
  scgi_temp_path {tmp}/scgi;
  upstream rasa {{
{upstreams}
    keepalive 32;
  }}
  server {{
    listen {HOST}:{self.ports.nginx};
    location / {{
      proxy_pass http://rasa;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_connect_timeout 2s;
      proxy_read_timeout 120s;
      # a Rasa instance that refuses the connection: try the next one
      proxy_next_upstream error timeout http_502 http_503;
    }}
  }}
}}
"""

    def start_nginx(self) -> None:
        nginx = shutil.which("nginx") or "/usr/sbin/nginx"
        (self.state / "nginx").mkdir(exist_ok=True)
        conf = self.state / "nginx.conf"
        conf.write_text(self.nginx_conf())
        self._spawn("nginx", [nginx, "-c", str(conf), "-p", str(self.state), "-g", "daemon off;"])
        self._wait("nginx", lambda: _tcp_open(self.ports.nginx), 20)

    # --- whole layout ----------------------------------------------------------------------
    def start(self) -> None:
        if not MODEL.exists() or not RASA_BIN.exists():
            raise RuntimeError("Rasa-Modell oder Rasa-Umgebung fehlt: bitte zuerst `make setup`")
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.init_postgres()
        self.start_postgres()
        self.create_databases()
        subprocess.run([str(CORE_PY), "-m", "bot.cli", "db", "upgrade"], cwd=ROOT, env=self.env(),
                       check=True)
        self.start_redis()
        instances = range(len(self.ports.rasa))
        for i in instances:  # Rasa loads for ~40 s: start all instances at once
            self.spawn_rasa(i)
        for i in instances:
            self.start_action_server(i)
        self.start_nginx()
        self.start_web()
        with ThreadPoolExecutor(len(self.ports.rasa)) as pool:
            list(pool.map(self.wait_rasa, instances))

    def stop(self) -> None:
        for name in sorted(self.pids, key=lambda n: ("nginx", "web", "rasa", "act", "redis").index(
                next(p for p in ("nginx", "web", "rasa", "act", "redis") if n.startswith(p)))):
            self.kill(name)
        self.stop_postgres()

    def status(self) -> dict[str, bool]:
        alive = {name: self.alive(name) for name in self.pids}
        alive["postgres"] = (self.pg_dir / "postmaster.pid").exists()
        return alive


def _killpg(pid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, sig)  # started with start_new_session: the group id is the pid


def _tcp_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex((HOST, port)) == 0


def _proc_state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except OSError:
        return "Z"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Produktionsaufbau lokal auf 127.0.0.1")
    parser.add_argument("command", choices=["start", "stop", "status"])
    parser.add_argument("--state", type=Path, default=ROOT / "var" / "prod")
    args = parser.parse_args(argv)
    state: Path = args.state
    if args.command == "start":
        if (state / "state.json").exists() and any(ProdLayout.load(state).status().values()):
            print("Läuft bereits; zuerst `make prod-down`.")
            return 1
        state.mkdir(parents=True, exist_ok=True)
        layout = ProdLayout(state=state, ports=Ports.fixed())
        try:
            layout.start()
        except BaseException:
            layout.stop()
            raise
        print(f"""Produktionsaufbau läuft (alles auf {HOST}):
  Web-App:              {layout.web_url}/
  nginx -> 2x Rasa:     {layout.nginx_url}/webhooks/rest/webhook
  Rasa-Instanzen:       {", ".join(layout.rasa_url(i) for i in range(len(layout.ports.rasa)))}
  PostgreSQL:           {HOST}:{layout.ports.pg}  Redis: {HOST}:{layout.ports.redis}
  Protokolle:           {layout.log_dir}/
Beenden mit: make prod-down""")
        return 0
    if not (state / "state.json").exists():
        print("Kein Produktionsaufbau gestartet.")
        return 0 if args.command == "stop" else 1
    layout = ProdLayout.load(state)
    if args.command == "stop":
        layout.stop()
        print("Produktionsaufbau beendet.")
        return 0
    for name, up in layout.status().items():
        print(f"{name:10s} {'läuft' if up else 'gestoppt'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
