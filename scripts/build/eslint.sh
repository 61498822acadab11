#!/usr/bin/env bash
# `npm run lint:eslint`: ESLint over the TypeScript, the editor .html and the few .js files.
# The linter has its own install in tools/eslint/ (see the note in eslint.config.mjs): this
# installs it from its lockfile when missing or out of date, then runs it. Extra arguments go to
# eslint (e.g. `npm run lint:eslint -- --fix`, `-- --format json`).
set -euo pipefail
cd "$(dirname "$0")/../.."

tool=tools/eslint
stamp="$tool/node_modules/.installed-lock.sha256"
want="$(sha256sum "$tool/package-lock.json" | cut -d' ' -f1)"
if [[ ! -x "$tool/node_modules/.bin/eslint" || ! -f "$stamp" || "$(cat "$stamp")" != "$want" ]]; then
  echo "Installing the linter into $tool (npm ci)…" >&2
  npm ci --prefix "$tool" --no-audit --no-fund --loglevel=error >&2
  echo "$want" > "$stamp"
fi

exec "$tool/node_modules/.bin/eslint" --cache --cache-location node_modules/.cache/eslint/ "$@" .
