"""`lotse users …` and the review subcommands export, forget, reindex and retention.

Hooked into bot/cli.py's parser; heavy imports happen only when a command runs. Everything a
command changes or reads out in bulk is written to the audit log as `cli:<os user>`.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
from typing import Any

REVIEW_COMMANDS = ("export", "forget", "reindex", "retention")
EXIT_BAD_INPUT = 2


def _fail(message: str) -> int:
    print(f"Fehler: {message}", file=sys.stderr)
    return EXIT_BAD_INPUT


def _actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


def _print_json(data: Any) -> None:
    print(json.dumps(data, ensure_ascii=False, indent=2, default=str))


# --------------------------------------------------------------------------- parser


def add_review_commands(rsub: argparse._SubParsersAction) -> None:
    """Extend `lotse review` (list and show live in bot/cli.py)."""
    p = rsub.add_parser("export", help="Einschätzungen als CSV oder JSON ausgeben")
    p.add_argument("--format", choices=["csv", "json"], default="csv")
    p.add_argument("--output", "-o", help="Datei statt Standardausgabe")
    p.add_argument("--typ")
    p.add_argument("--phase")
    p.add_argument("--bundesland")
    p.add_argument("--from", dest="von", metavar="JJJJ-MM-TT", help="begonnen ab")
    p.add_argument("--to", dest="bis", metavar="JJJJ-MM-TT", help="begonnen bis einschließlich")
    p = rsub.add_parser("forget", help="Gespräch und Einschätzung löschen")
    p.add_argument("sender_id")
    rsub.add_parser("reindex", help="Suchtext aller Gespräche neu aufbauen (z. B. nächtlich)")
    p = rsub.add_parser("retention", help="Gespräche älter als die Aufbewahrungsfrist löschen")
    p.add_argument("--days", type=int, help="Frist in Tagen (Standard: KL_RETENTION_DAYS)")
    p.add_argument("--dry-run", action="store_true", help="nur anzeigen, nichts löschen")


def add_users_command(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("users", help="Konten der Beraterinnen und Berater verwalten")
    usub = p.add_subparsers(dest="users_cmd", required=True)
    u = usub.add_parser("add", help="Konto anlegen; gibt einmalig ein API-Token aus")
    u.add_argument("name")
    u.add_argument("--role", choices=["consultant", "admin"], required=True)
    u.add_argument(
        "--password-stdin", action="store_true", help="Passwort aus der ersten Zeile der Standardeingabe"
    )
    usub.add_parser("list", help="Konten anzeigen")
    for name, text in (
        ("token", "neues API-Token ausgeben (alte werden ungültig)"),
        ("disable", "Konto deaktivieren"),
        ("enable", "Konto wieder aktivieren"),
        ("unlock", "Sperre nach Fehlversuchen aufheben"),
        ("password", "Passwort neu setzen (KL_NEW_PASSWORD, --password-stdin oder Abfrage)"),
    ):
        u = usub.add_parser(name, help=text)
        u.add_argument("name")
        if name == "password":
            u.add_argument("--password-stdin", action="store_true")
    p.set_defaults(func=run_users)


# --------------------------------------------------------------------------- review


def run_review(args: argparse.Namespace) -> int:
    from bot.review import audit, queries, search
    from bot.review.queries import Filters
    from bot.settings import get_settings

    actor = _actor()
    if args.review_cmd == "export":
        filters = Filters.from_params(
            {
                "typ": args.typ,
                "phase": args.phase,
                "bundesland": args.bundesland,
                "von": args.von,
                "bis": args.bis,
            }
        )
        for given, kept in (
            (args.typ, filters.typ),
            (args.phase, filters.phase),
            (args.bundesland, filters.bundesland),
        ):
            if given and not kept:
                return _fail(f"unbekannter Filterwert '{given}'")
        chunks = queries.export_json(filters) if args.format == "json" else queries.export_csv(filters)
        out = open(args.output, "w", encoding="utf-8", newline="") if args.output else sys.stdout  # noqa: SIM115
        try:
            for chunk in chunks:
                out.write(chunk)
        finally:
            if args.output:
                out.close()
        audit.log(actor, "export", None, {"format": args.format, "cli": True, **filters.params()})
        return 0
    if args.review_cmd == "forget":
        counts = queries.forget(args.sender_id)
        audit.log(actor, "delete", args.sender_id, counts)
        _print_json({"sender_id": args.sender_id, **counts})
        if not counts["events"] and not counts["assessments"]:
            print(f"Hinweis: zu '{args.sender_id}' war nichts gespeichert.", file=sys.stderr)
        return 0
    if args.review_cmd == "reindex":
        result = search.reindex()
        audit.log(actor, "reindex", None, result)
        _print_json(result)
        return 0
    if args.review_cmd == "retention":
        days = args.days if args.days is not None else get_settings().retention_days
        if days < 1:
            return _fail("die Frist muss mindestens 1 Tag sein")
        deleted = queries.apply_retention(days, dry_run=args.dry_run)
        if not args.dry_run and deleted:
            audit.log(actor, "retention", None, {"tage": days, "geloescht": len(deleted)})
        _print_json({"days": days, "dry_run": args.dry_run, "deleted": deleted})
        verb = "würden gelöscht" if args.dry_run else "gelöscht"
        print(f"{len(deleted)} Gespräche älter als {days} Tage {verb}.", file=sys.stderr)
        return 0
    return _fail("unbekannter Befehl")


# --------------------------------------------------------------------------- users


def _read_password(from_stdin: bool) -> str | None:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    if os.environ.get("KL_NEW_PASSWORD"):
        return os.environ["KL_NEW_PASSWORD"]
    if not sys.stdin.isatty():
        return None
    first = getpass.getpass("Passwort: ")
    if getpass.getpass("Passwort wiederholen: ") != first:
        print("Die Passwörter stimmen nicht überein.", file=sys.stderr)
        return None
    return first


def run_users(args: argparse.Namespace) -> int:
    from bot.review import audit, auth

    actor = _actor()
    if args.users_cmd == "add":
        password = _read_password(args.password_stdin)
        if not password:
            return _fail("kein Passwort (KL_NEW_PASSWORD, --password-stdin oder Eingabe am Terminal)")
        try:
            user, token = auth.create_user(args.name, args.role, password)
        except auth.AccountError as exc:
            return _fail(str(exc))
        audit.log(actor, "user_create", user.name, {"rolle": user.role})
        print(
            f"Konto '{user.name}' ({user.role}) angelegt. API-Token (wird nur jetzt angezeigt):",
            file=sys.stderr,
        )
        print(token)
        return 0
    if args.users_cmd == "list":
        _print_json(
            [
                {
                    "name": u.name,
                    "role": u.role,
                    "active": u.active,
                    "locked": auth.is_locked(u),
                    "last_login_at": u.last_login_at,
                }
                for u in auth.list_users()
            ]
        )
        return 0
    user = next((u for u in auth.list_users() if u.name == args.name), None)
    if user is None:
        return _fail(f"kein Konto '{args.name}'")
    if args.users_cmd == "token":
        token = auth.issue_token(user.id)
        audit.log(actor, "token_new", user.name)
        print(f"Neues API-Token für '{user.name}' (wird nur jetzt angezeigt):", file=sys.stderr)
        print(token)
    elif args.users_cmd in ("disable", "enable"):
        auth.set_active(user.id, args.users_cmd == "enable")
        audit.log(actor, "user_enable" if args.users_cmd == "enable" else "user_disable", user.name)
    elif args.users_cmd == "unlock":
        auth.reset_lockout(user.id)
        audit.log(actor, "lockout_reset", user.name)
    elif args.users_cmd == "password":
        password = _read_password(args.password_stdin)
        if not password:
            return _fail("kein Passwort")
        try:
            auth.set_password(user.id, password)
        except auth.AccountError as exc:
            return _fail(str(exc))
        audit.log(actor, "password", user.name)
    return 0
