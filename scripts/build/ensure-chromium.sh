#!/usr/bin/env bash
# Makes sure Debian's Chromium is at /usr/bin/chromium for the browser tests (npm run test:editor).
# playwright-core drives that binary; it downloads no browser of its own.
#   - present: exit 0;
#   - missing, running as root with apt-get: install it (non-interactive);
#   - otherwise: say how to install it and exit 1.
set -euo pipefail

CHROMIUM=/usr/bin/chromium

if [[ -x "$CHROMIUM" ]]; then
  exit 0
fi

if [[ "$(id -u)" -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
  echo "Chromium not found at $CHROMIUM: installing Debian's chromium package (apt-get)…" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update
  apt-get install -y chromium
  if [[ -x "$CHROMIUM" ]]; then
    exit 0
  fi
  echo "apt-get finished but $CHROMIUM is still missing." >&2
  exit 1
fi

cat >&2 <<MSG
The editor tests need Chromium at $CHROMIUM, and it is not there.
Install it, then run the tests again:
  Debian/Ubuntu:  sudo apt-get update && sudo apt-get install -y chromium
(Ubuntu's "chromium" is a snap wrapper; a Debian-packaged chromium, or a symlink
 /usr/bin/chromium -> your Chrome/Chromium binary, works too.)
MSG
exit 1
