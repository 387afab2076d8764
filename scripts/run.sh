#!/usr/bin/env bash
# Starts the action server (5055), the web app (8080) and the Rasa server (5005) on
# 127.0.0.1, waits until the bot answers, and stops all three on Ctrl-C.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}"
HOST="${KL_HOST:-127.0.0.1}"
RASA_PORT="${KL_RASA_PORT:-5005}"
ACTION_PORT="${KL_ACTION_PORT:-5055}"
WEB_PORT="${KL_WEB_PORT:-8080}"
mkdir -p var/log

pids=()
stop_all() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap stop_all EXIT INT TERM

.venv-core/bin/lotse db upgrade
SANIC_HOST="$HOST" .venv-core/bin/python -m actions.server --actions actions --port "$ACTION_PORT" \
  >var/log/actions.log 2>&1 &
pids+=($!)
.venv-core/bin/python -m uvicorn bot.web:create_app --factory --host "$HOST" --port "$WEB_PORT" \
  >var/log/web.log 2>&1 &
pids+=($!)
# endpoints.yml names the default action port; another KL_ACTION_PORT gets its own copy
ENDPOINTS=endpoints.yml
if [ "$ACTION_PORT" != 5055 ]; then
  sed "s#127.0.0.1:5055#127.0.0.1:$ACTION_PORT#" endpoints.yml > var/endpoints.run.yml
  ENDPOINTS=var/endpoints.run.yml
fi
.venv-rasa/bin/rasa run --model models/rasa/current.tar.gz --enable-api \
  --interface "$HOST" --port "$RASA_PORT" --endpoints "$ENDPOINTS" --credentials credentials.yml \
  >var/log/rasa.log 2>&1 &
pids+=($!)

echo "Starte Rasa, Aktionsserver und Web-App ..."
start=$(date +%s)
until curl -sf -X POST "http://$HOST:$RASA_PORT/webhooks/rest/webhook" \
    -H 'Content-Type: application/json' -d '{"sender":"__startup_probe__","message":"/greet"}' \
    | grep -q text; do
  for pid in "${pids[@]}"; do
    kill -0 "$pid" 2>/dev/null || { echo "Ein Prozess ist beendet; siehe var/log/*.log"; tail -n 20 var/log/*.log; exit 1; }
  done
  if [ $(( $(date +%s) - start )) -gt 300 ]; then echo "Zeitüberschreitung beim Start; siehe var/log/"; exit 1; fi
  sleep 1
done
if [ -n "${KL_MATRIX_HOMESERVER:-}" ]; then  # Matrix connector only when a homeserver is configured
  KL_RASA_URL="http://$HOST:$RASA_PORT" .venv-core/bin/python -m channels.matrix_connector \
    >var/log/matrix.log 2>&1 &
  pids+=($!)
  echo "Matrix-Anbindung gestartet als ${KL_MATRIX_USER:-?} auf $KL_MATRIX_HOMESERVER (Protokoll: var/log/matrix.log)"
fi
cat <<MSG

Kommunallotse läuft:
  Chat im Browser:   http://$HOST:$WEB_PORT/
  Rasa (REST):       http://$HOST:$RASA_PORT/webhooks/rest/webhook
  Aktionsserver:     http://$HOST:$ACTION_PORT/health
  Protokolle:        var/log/

Chatten mit curl:
  curl -s -X POST http://$HOST:$RASA_PORT/webhooks/rest/webhook -H 'Content-Type: application/json' \\
       -d '{"sender":"gemeinde-test","message":"Hallo"}'

Beenden mit Strg+C.
MSG
wait -n "${pids[@]}"
echo "Ein Prozess wurde beendet; siehe var/log/*.log"
