#!/usr/bin/env bash
# Prepares everything Kommunallotse needs, idempotently:
#   1. the Rasa venv (Python 3.10) and the core venv (Python 3.11), cached outside
#      the clone and keyed by the hash of their lock files,
#   2. the blank German spaCy pipelines (lookup lemmatizer) in models/,
#   3. the type model, the database schema and the Rasa model.
# A second run with nothing changed only checks stamps and returns in seconds.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
CACHE="${KOMMUNALLOTSE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kommunallotse}"
# Rasa caches trained components by fingerprint; sharing the cache across clones saves retraining.
export RASA_CACHE_DIRECTORY="${RASA_CACHE_DIRECTORY:-$CACHE/rasa-cache}"
mkdir -p "$CACHE" models var

log() { printf '\033[1m[setup]\033[0m %s\n' "$*"; }
die() { printf '\033[31m[setup] %s\033[0m\n' "$*" >&2; exit 1; }

hash_of() { cat "$@" | sha256sum | cut -c1-16; }

runs_as() {  # runs_as PYTHON MAJOR.MINOR -> true if PYTHON exists and has that version
  local py="$1" want="$2"
  [ -n "$py" ] && "$py" -c "import sys; sys.exit(0 if '%d.%d' % sys.version_info[:2] == '$want' else 1)" >/dev/null 2>&1
}

find_python() {  # find_python 3.10 -> prints an interpreter path
  local v="$1" cand
  if [ -n "${KOMMUNALLOTSE_PYTHON_310:-}" ] && [ "$v" = "3.10" ]; then
    runs_as "$KOMMUNALLOTSE_PYTHON_310" "$v" && { echo "$KOMMUNALLOTSE_PYTHON_310"; return; }
  fi
  for cand in "$(command -v "python$v" 2>/dev/null || true)" "$(command -v python3 2>/dev/null || true)"; do
    runs_as "$cand" "$v" && { echo "$cand"; return; }
  done
  if command -v pyenv >/dev/null 2>&1; then
    for cand in "$(pyenv root)"/versions/"$v"*/bin/python; do
      runs_as "$cand" "$v" && { echo "$cand"; return; }
    done
  fi
  if command -v uv >/dev/null 2>&1; then
    cand="$(uv python find "$v" 2>/dev/null || true)"
    runs_as "$cand" "$v" && { echo "$cand"; return; }
    log "Python $v nicht gefunden, versuche: uv python install $v"
    uv python install "$v" >&2 || true
    cand="$(uv python find "$v" 2>/dev/null || true)"
    runs_as "$cand" "$v" && { echo "$cand"; return; }
  fi
  return 1
}

ensure_venv() {  # ensure_venv NAME PYVERSION LOCKFILE -> symlink .venv-NAME to a cached venv
  local name="$1" pyv="$2" lock="$3" py key dir
  py="$(find_python "$pyv")" || die "Python $pyv wurde nicht gefunden.
  Kommunallotse braucht Python $pyv für die Umgebung '$name'.
  Gesucht wurde: python$pyv im PATH, pyenv (\$(pyenv root)/versions/$pyv*), uv (uv python find/install $pyv).
  Bitte installieren Sie Python $pyv, z. B. mit 'pyenv install $pyv' oder 'uv python install $pyv',
  oder setzen Sie KOMMUNALLOTSE_PYTHON_310=/pfad/zu/python3.10."
  key="$(hash_of "$lock" <(echo "$("$py" -c 'import sys; print(sys.version)')"))"
  dir="$CACHE/venv-$name-$key"
  if [ ! -f "$dir/.complete" ]; then
    log "Erzeuge Umgebung '$name' mit $("$py" --version) in $dir (einmalig, dauert einige Minuten)"
    rm -rf "$dir"
    "$py" -m venv "$dir"
    "$dir/bin/python" -m pip install -q --upgrade "pip==24.0"
    "$dir/bin/python" -m pip install -q --no-deps -r "$lock"
    "$dir/bin/python" -m pip check >/dev/null || log "Hinweis: pip check meldet Versionskonflikte in '$name' (bei Rasa 3.6 erwartet)"
    touch "$dir/.complete"
  fi
  ln -sfn "$dir" ".venv-$name"
}

ensure_project_link() {  # the core venv runs this clone's code (console script `lotse`)
  local marker=".venv-core/.project-path"
  if [ "$(cat "$marker" 2>/dev/null)" != "$ROOT" ] || [ ! -x .venv-core/bin/lotse ]; then
    log "Verknüpfe den Code dieses Verzeichnisses mit der Core-Umgebung"
    .venv-core/bin/python -m pip install -q --no-deps --no-build-isolation -e "$ROOT"
    echo "$ROOT" > "$marker"
  fi
}

ensure_spacy_pipeline() {  # ensure_spacy_pipeline VENV TARGET
  local venv="$1" target="$2" ver
  ver="$("$venv/bin/python" -c 'import spacy; print(spacy.__version__)')"
  if [ "$(cat "$target/.spacy-version" 2>/dev/null)" != "$ver" ]; then
    log "Baue die deutsche spaCy-Pipeline (leer, Lookup-Lemmatizer) in $target"
    rm -rf "$target"
    "$venv/bin/python" - "$target" <<'PY'
import sys
import spacy

nlp = spacy.blank("de")
nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
nlp.initialize()
nlp.meta["name"] = "kommunallotse_de"
nlp.meta["description"] = "Blank German pipeline with the lookup lemmatizer (spacy-lookups-data)."
nlp.to_disk(sys.argv[1])
assert nlp("Die Gemeinden digitalisierten ihre Verwaltungen")[1].lemma_ == "Gemeinde"
PY
    echo "$ver" > "$target/.spacy-version"
  fi
}

ensure_type_model() {
  local key
  key="$(hash_of knowledge/typology/profiles.yml bot/data/questionnaire.yml bot/typology.py)"
  if [ "$(cat models/typology/.key 2>/dev/null)" != "$key" ]; then
    log "Trainiere das Typmodell aus den Typprofilen"
    .venv-core/bin/lotse train-typology --quiet
    echo "$key" > models/typology/.key
  fi
}

ensure_rasa_model() {
  local key
  key="$(hash_of config.yml domain.yml $(find data -type f -name '*.yml' | sort) models/spacy-de-rasa/.spacy-version)"
  if [ ! -f "models/rasa/kommunallotse-$key.tar.gz" ]; then
    log "Trainiere das Rasa-Modell (etwa 2-4 Minuten)"
    rm -rf models/rasa
    mkdir -p models/rasa
    .venv-rasa/bin/rasa train --quiet --fixed-model-name "kommunallotse-$key" --out models/rasa >var/rasa-train.log 2>&1 \
      || { tail -n 40 var/rasa-train.log; die "Rasa-Training fehlgeschlagen (siehe var/rasa-train.log)"; }
  fi
  ln -sfn "kommunallotse-$key.tar.gz" models/rasa/current.tar.gz
}

ensure_debian_tools() {  # tools the tests need: pdftoppm/pdftotext (poppler-utils) for the report
  command -v pdftoppm >/dev/null 2>&1 && command -v pdftotext >/dev/null 2>&1 && return 0
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    log "Installiere poppler-utils (pdftoppm, pdftotext) für die Berichtstests"
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq poppler-utils; } >/dev/null \
      || log "Hinweis: poppler-utils ließ sich nicht installieren; die Berichtstests werden fehlschlagen."
  else
    log "Hinweis: pdftoppm fehlt. Für die Berichtstests bitte installieren: sudo apt-get install poppler-utils"
  fi
}

ensure_matrix_venv() {  # Synapse homeserver for the Matrix end-to-end test: own venv, never fatal
  local py key dir lock=requirements/matrix.lock
  py="$(find_python 3.11)" || { log "Hinweis: Python 3.11 fehlt; der Matrix-Test wird übersprungen."; return 0; }
  key="$(hash_of "$lock" <(echo "$("$py" -c 'import sys; print(sys.version)')"))"
  dir="$CACHE/venv-matrix-$key"
  if [ ! -f "$dir/.complete" ]; then
    log "Erzeuge die Synapse-Umgebung für den Matrix-Test in $dir (einmalig)"
    if rm -rf "$dir" && "$py" -m venv "$dir" && "$dir/bin/python" -m pip install -q --upgrade "pip==24.0" \
        && "$dir/bin/python" -m pip install -q --no-deps -r "$lock" >/dev/null 2>&1; then
      touch "$dir/.complete"
    else
      log "Hinweis: Synapse ließ sich nicht installieren; der Matrix-Test wird übersprungen."
      return 0
    fi
  fi
  ln -sfn "$dir" .venv-matrix
}

ensure_browser_tools() {  # browser tests of the chat widget: Debian's Chromium and axe-core from npm
  if [ ! -x /usr/bin/chromium ]; then
    if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
      log "Installiere Chromium für die Browsertests des Chat-Widgets"
      { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver; } >/dev/null \
        || log "Hinweis: Chromium ließ sich nicht installieren; die Browsertests werden fehlschlagen."
    else
      log "Hinweis: /usr/bin/chromium fehlt. Für die Browsertests bitte installieren: sudo apt-get install chromium chromium-driver"
    fi
  fi
  if [ ! -f node_modules/axe-core/axe.min.js ]; then
    if command -v npm >/dev/null 2>&1; then
      log "Installiere axe-core (npm ci) für die Barrierefreiheitsprüfung"
      npm ci --no-audit --no-fund >/dev/null || log "Hinweis: npm ci ist fehlgeschlagen; die Browsertests werden fehlschlagen."
    else
      log "Hinweis: npm fehlt. Für die Browsertests bitte Node.js und npm installieren (sudo apt-get install npm)."
    fi
  fi
}
ensure_production_tools() {  # production layout and its tests: PostgreSQL, Redis, nginx (Debian)
  local missing=()
  ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
  command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
  command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || missing+=(nginx)
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    log "Installiere ${missing[*]} für den Produktionsaufbau und seine Tests"
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"; } >/dev/null \
      || log "Hinweis: ${missing[*]} ließ sich nicht installieren; die Produktionstests werden fehlschlagen."
  else
    log "Hinweis: ${missing[*]} fehlt. Für den Produktionsaufbau bitte installieren: sudo apt-get install ${missing[*]}"
  fi
}

# --- main --------------------------------------------------------------------------------
# `make run` needs only the part up to the Rasa model; `make test` adds --test-tools for what
# the tests need besides (Debian packages, npm packages, the Synapse venv).
WITH_TEST_TOOLS=false
TRAIN_RASA=true
for arg in "$@"; do
  case "$arg" in
    --test-tools) WITH_TEST_TOOLS=true ;;
    --no-rasa-model) TRAIN_RASA=false ;;
  esac
done

ensure_venv rasa 3.10 requirements/rasa.lock
ensure_venv core 3.11 requirements/core.lock
ensure_project_link
ensure_spacy_pipeline .venv-rasa models/spacy-de-rasa
ensure_spacy_pipeline .venv-core models/spacy-de
ensure_type_model
.venv-core/bin/lotse db upgrade
# Rasa's SQL tracker store on SQLite: WAL mode is a property of the file, set once here.
.venv-core/bin/python -c "import sqlite3; sqlite3.connect('var/rasa-tracker.db').execute('PRAGMA journal_mode=WAL')"
if [ "$TRAIN_RASA" = true ]; then
  ensure_rasa_model
fi
if [ "$WITH_TEST_TOOLS" = true ]; then
  ensure_debian_tools
  ensure_browser_tools
  ensure_production_tools
  ensure_matrix_venv
fi
log "Bereit."
