#!/usr/bin/env bash
# Regenerate constraints.txt, the full resolved set of requirements*.txt with every transitive
# dependency pinned: builds a throwaway venv, installs requirements-dev.txt (which includes
# requirements.txt) without the current constraints, and freezes it. Run after changing a
# requirement, review the diff, run the dependency audit (.ci/run step 5), commit both files.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
"$PYTHON" -m venv "$WORK/venv"
grep -v '^-c ' requirements.txt > "$WORK/requirements.txt"
sed 's#^-r requirements.txt#-r '"$WORK"'/requirements.txt#' requirements-dev.txt > "$WORK/requirements-dev.txt"
"$WORK/venv/bin/pip" install -q --disable-pip-version-check -r "$WORK/requirements-dev.txt"
{
  echo "# The full resolved set of requirements.txt and requirements-dev.txt, every package pinned"
  echo "# (requirements.txt applies it with -c). Regenerate with scripts/lock-requirements.sh."
  "$WORK/venv/bin/pip" freeze --disable-pip-version-check | sort -f
} > constraints.txt
echo "constraints.txt: $(grep -vc '^#' constraints.txt) packages"
