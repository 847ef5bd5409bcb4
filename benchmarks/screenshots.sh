#!/usr/bin/env bash
# Refresh the README's screenshots (docs/screenshots/) from the browser tests. A plain test run
# writes them to build/screenshots/ instead, so the tree stays clean.
set -euo pipefail
cd "$(dirname "$0")/.."
POLICYQA_SCREENSHOTS_DIR="$PWD/docs/screenshots" python3 -m pytest -q tests/test_app.py "$@"
