#!/usr/bin/env bash
# Debian's chromium for the browser tests (Playwright's own browser download cannot work here),
# and the Nu HTML Checker (npm vnu-jar, runs on Java).
set -euo pipefail
if ! [ -x /usr/bin/chromium ]; then
  echo "Installing Debian's chromium..."
  export DEBIAN_FRONTEND=noninteractive
  (apt-get install -y -q chromium >/dev/null 2>&1) || (apt-get update -q >/dev/null && apt-get install -y -q chromium >/dev/null)
fi
if [ -f package.json ] && ! [ -f node_modules/vnu-jar/build/dist/vnu.jar ]; then
  echo "Installing vnu-jar (npm)..."
  npm ci --silent --no-audit --no-fund >/dev/null 2>&1 || npm install --silent --no-audit --no-fund >/dev/null
fi
