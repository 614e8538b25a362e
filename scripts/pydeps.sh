#!/usr/bin/env bash
# Installs the PyPI packages named on the command line (module name = package name, with '-'
# as '_') that python3 cannot import yet. The end-to-end tests use them as independent clients
# that sign callbacks exactly as the providers do.
set -euo pipefail
missing=()
for pkg in "$@"; do
  python3 -c "import ${pkg//-/_}" 2>/dev/null || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "installing (pip): ${missing[*]}" >&2
# Debian's own python3 refuses pip installs (PEP 668) unless told; a pyenv python does not.
python3 -m pip install --quiet --disable-pip-version-check "${missing[@]}" 2>/dev/null \
  || python3 -m pip install --quiet --disable-pip-version-check --break-system-packages "${missing[@]}"
