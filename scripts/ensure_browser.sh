#!/usr/bin/env bash
# What the browser tests need (tests/browser): Debian's chromium (Playwright's own browser download
# cannot work here), and the Nu HTML Checker (npm package vnu-jar, pinned in package.json and
# package-lock.json, run on Java). Installs only what is missing; safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

apt_install() {
  export DEBIAN_FRONTEND=noninteractive
  echo "Installing $* (apt)..."
  apt-get install -y -q "$@" >/dev/null 2>&1 || { apt-get update -q >/dev/null && apt-get install -y -q "$@" >/dev/null; }
}

[ -x /usr/bin/chromium ] || apt_install chromium
command -v java >/dev/null 2>&1 || apt_install default-jre-headless

if [ -f package-lock.json ]; then
  command -v npm >/dev/null 2>&1 || apt_install npm
  # `npm ci` installs exactly the lock file; redo it when the lock file changed since the last install.
  if ! [ -f node_modules/vnu-jar/build/dist/vnu.jar ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    echo "Installing the npm test tools (npm ci: vnu-jar)..."
    npm ci --no-audit --no-fund --loglevel=error
  fi
fi
