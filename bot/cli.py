"""`lotse`: the advisor core on the command line (see README and architecture.md)."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from pydantic import ValidationError

EXIT_BAD_INPUT = 2


def _print_json(data: Any) -> None:
    print(json.dumps(data, ensure_ascii=False, indent=2))


def _fail(message: str) -> int:
    print(f"Fehler: {message}", file=sys.stderr)
    return EXIT_BAD_INPUT


def cmd_classify(args: argparse.Namespace) -> int:
    from bot.advisor import evaluate
    from bot.models import Answers

    raw = sys.stdin.read()
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        return _fail(f"Eingabe ist kein gültiges JSON (invalid JSON): {exc}")
    if not isinstance(data, dict):
        return _fail("Erwartet ein JSON-Objekt mit Frage-IDs als Schlüsseln (expected an object)")
    try:
        answers = Answers.model_validate(data)
    except ValidationError as exc:
        return _fail("; ".join(e["msg"].removeprefix("Value error, ") for e in exc.errors()))
    result = evaluate(answers)
    out = result.model_dump()
    out["recommendations"] = [
        {k: r[k] for k in ("id", "title", "reason", "first_step", "who_helps", "knowledge_ids")}
        for r in out["recommendations"]
    ]
    _print_json(out)
    return 0


def cmd_ask(args: argparse.Namespace) -> int:
    """Answer from the knowledge articles; a refusal is an answer too (exit 0)."""
    from bot.knowledge import ask

    _print_json(ask(args.question).as_json())
    return 0


def cmd_train_typology(args: argparse.Namespace) -> int:
    from bot import typology

    n_per_type = args.n_per_type or typology.DEFAULT_N_PER_TYPE
    if args.from_db:
        # retrain with consultant-confirmed assessments; replaces the model only if not worse
        _print_json(typology.train_from_db(n_per_type=n_per_type))
        return 0
    model = typology.train(n_per_type=n_per_type)
    path = typology.save(model)
    if not args.quiet:
        _print_json({"model": str(path), "version": model.version, **model.metrics})
    return 0


def cmd_db(args: argparse.Namespace) -> int:
    from bot import db

    db.upgrade()
    return 0


def cmd_review(args: argparse.Namespace) -> int:
    from bot import store
    from bot.review import cli as review_cli

    if args.review_cmd in review_cli.REVIEW_COMMANDS:
        return review_cli.run_review(args)

    if args.review_cmd == "list":
        rows = store.list_assessments(limit=args.limit)
        _print_json(
            [
                {
                    k: r[k]
                    for k in ("sender_id", "channel", "started_at", "completed_at", "typ", "phase")
                }
                for r in rows
            ]
        )
        return 0
    if args.review_cmd == "show":
        row = store.get_assessment(args.sender_id)
        if row is None:
            return _fail(f"Keine Einschätzung für '{args.sender_id}' gefunden")
        _print_json(row)
        return 0
    return _fail("unbekannter Befehl")


def build_parser() -> argparse.ArgumentParser:
    from bot.review import cli as review_cli

    parser = argparse.ArgumentParser(prog="lotse", description="Kommunallotse: Beraterkern")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("classify", help="Antworten (JSON auf stdin) auswerten")
    p.set_defaults(func=cmd_classify)

    p = sub.add_parser("ask", help="Frage an die Wissensartikel stellen (JSON-Antwort)")
    p.add_argument("question", help="die Frage auf Deutsch, in Anführungszeichen")
    p.set_defaults(func=cmd_ask)

    p = sub.add_parser("train-typology", help="Typmodell aus den Typprofilen trainieren")
    p.add_argument("--n-per-type", type=int, default=None, help="synthetische Befragte je Typ")
    p.add_argument("--quiet", action="store_true")
    p.add_argument(
        "--from-db",
        action="store_true",
        help="mit bestätigten Einschätzungen neu trainieren; ersetzt nur, wenn nicht schlechter",
    )
    p.set_defaults(func=cmd_train_typology)

    p = sub.add_parser("db", help="Datenbankschema")
    p.add_argument("db_cmd", choices=["upgrade"])
    p.set_defaults(func=cmd_db)

    p = sub.add_parser("review", help="Gespeicherte Einschätzungen ansehen")
    rsub = p.add_subparsers(dest="review_cmd", required=True)
    rl = rsub.add_parser("list")
    rl.add_argument("--limit", type=int, default=50)
    rs = rsub.add_parser("show")
    rs.add_argument("sender_id")
    review_cli.add_review_commands(rsub)  # export, forget, reindex, retention
    review_cli.add_users_command(sub)  # lotse users add|list|token|…
    p.set_defaults(func=cmd_review)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
