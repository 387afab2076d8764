#!/usr/bin/env bash
# Production start of one component, with the environment from /etc/kommunallotse/env
# (see deploy/systemd/). Runs the Alembic migrations before the web app and the action server.
#   deploy/start_production.sh rasa|actions|web
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}"
: "${KL_DATABASE_URL:?KL_DATABASE_URL fehlt (postgresql://benutzer:passwort@host:5432/kommunallotse)}"
case "${1:-}" in
  rasa)
    : "${KL_ACTION_URL:?KL_ACTION_URL fehlt}" "${KL_TRACKER_DB_HOST:?KL_TRACKER_DB_HOST fehlt}"
    : "${KL_REDIS_HOST:?KL_REDIS_HOST fehlt}"
    exec .venv-rasa/bin/rasa run --model models/rasa/current.tar.gz --enable-api \
      --interface "${KL_HOST:-127.0.0.1}" --port "${KL_RASA_PORT:-5005}" \
      --endpoints deploy/endpoints.production.yml --credentials credentials.yml ;;
  actions)
    .venv-core/bin/lotse db upgrade
    SANIC_HOST="${KL_HOST:-127.0.0.1}" exec .venv-core/bin/python -m actions.server --actions actions \
      --port "${KL_ACTION_PORT:-5055}" ;;
  web)
    .venv-core/bin/lotse db upgrade
    exec .venv-core/bin/python -m uvicorn bot.web:create_app --factory \
      --host "${KL_HOST:-127.0.0.1}" --port "${KL_WEB_PORT:-8080}" --proxy-headers ;;
  *) echo "Aufruf: $0 rasa|actions|web" >&2; exit 2 ;;
esac
