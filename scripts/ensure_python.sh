#!/usr/bin/env bash
# Create the virtualenv with the Python named in .python-version (pyenv when present).
set -euo pipefail
version="$1"; venv="$2"
if [ -x "$venv/bin/python" ] && "$venv/bin/python" -c "import sys; sys.exit(0 if sys.version.startswith('$version'.rsplit('.',1)[0]) else 1)"; then
  exit 0
fi
py=""
if command -v pyenv >/dev/null 2>&1 && pyenv prefix "$version" >/dev/null 2>&1; then
  py="$(pyenv prefix "$version")/bin/python"
elif command -v "python${version%.*}" >/dev/null 2>&1; then
  py="$(command -v "python${version%.*}")"
else
  echo "Python $version not found (install it with pyenv: pyenv install $version)" >&2; exit 1
fi
echo "Creating $venv with $py"
"$py" -m venv "$venv"
