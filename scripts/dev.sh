#!/usr/bin/env bash
# One entry point for a fresh machine with Python 3.11+: sets up .venv (once), installs giptemplate with its test
# tools, then runs what was asked.
#   bash scripts/dev.sh demo [DIR]   the main job on built-in sample data
#   bash scripts/dev.sh test         ruff, mypy (strict) and the whole pytest suite
set -euo pipefail
cd "$(dirname "$0")/.."

python=${PYTHON:-python3}
if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  echo "giptemplate needs Python 3.11 or newer (set PYTHON=/path/to/python3.11)" >&2
  exit 2
fi
if [ ! -x .venv/bin/python ]; then
  "$python" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e '.[test]'

case "${1:-}" in
  demo)
    shift
    exec .venv/bin/giptemplate demo -o "${1:-giptemplate-demo}"
    ;;
  test)
    shift
    .venv/bin/ruff check --no-cache giptemplate tests scripts
    .venv/bin/ruff format --no-cache --check giptemplate tests scripts
    .venv/bin/mypy giptemplate
    exec .venv/bin/python -m pytest -n "${PYTEST_WORKERS:-auto}" "$@"
    ;;
  *)
    echo "usage: bash scripts/dev.sh demo [DIR] | test [pytest args]" >&2
    exit 2
    ;;
esac
