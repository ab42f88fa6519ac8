#!/usr/bin/env bash
# Installs what the test suites need beyond the Python engine (scripts/setup-engine.sh does that):
#   - Debian packages: chromium (webview + integration tests), libkrb5-dev (code-server's kerberos build),
#     ripgrep (code-server's search, and its @vscode/ripgrep install), fonts-liberation (text in screenshots),
#     wordnet-base (WordNet 3.0 for the synonym-bank sources, engine/wsss_engine/pole/wordnet_bank.py),
#     slurm-wlm + munge (a private single-machine SLURM for the cluster tests, engine/tests/slurm_cluster.py);
#   - the extension's npm packages (`npm ci`);
#   - code-server 4.100.3 (the real VS Code the integration tests run in) into .code-server/ (git-ignored).
# Idempotent: each step is skipped when its result is already there. See docs/DESIGN.md#testing-in-a-real-vs-code.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

CODE_SERVER_VERSION="${CODE_SERVER_VERSION:-4.100.3}"
CODE_SERVER_DIR="${WSSS_CODE_SERVER_DIR:-$ROOT/.code-server}"
# @vscode/ripgrep 1.15.11 (a dependency of code-server 4.100.3) downloads rg from GitHub unless this cache file exists.
RG_CACHE_DIR="${TMPDIR:-/tmp}/vscode-ripgrep-cache-1.15.11"
RG_TARBALL="$RG_CACHE_DIR/ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz"

log() { printf '[install-test-deps] %s\n' "$*" >&2; }
elapsed() { echo $(( $(date +%s) - $1 ))s; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"
  elif command -v sudo >/dev/null 2>&1; then sudo "$@"
  else log "need root for: $*  (run as root or install sudo)"; return 1
  fi
}

install_apt_packages() {
  local missing=()
  command -v chromium >/dev/null 2>&1 || missing+=(chromium)
  command -v rg >/dev/null 2>&1 || missing+=(ripgrep)
  dpkg -s libkrb5-dev >/dev/null 2>&1 || missing+=(libkrb5-dev)
  # a font, so that screenshots of the workbench and the panels show text (chromium only recommends one)
  dpkg -s fonts-liberation >/dev/null 2>&1 || missing+=(fonts-liberation)
  # WordNet 3.0 (/usr/share/wordnet): the engine's tests build synonym banks from it
  dpkg -s wordnet-base >/dev/null 2>&1 || missing+=(wordnet-base)
  # SLURM's controller, node daemon and commands, and munge (its authentication): engine/tests/test_slurm_jobs.py
  command -v slurmctld >/dev/null 2>&1 || missing+=(slurm-wlm)
  command -v munged >/dev/null 2>&1 || missing+=(munge)
  if [ ${#missing[@]} -eq 0 ]; then
    log "apt: chromium, ripgrep, libkrb5-dev, fonts-liberation, wordnet-base, slurm-wlm, munge already installed"
    return
  fi
  local t=$(date +%s)
  log "apt: installing ${missing[*]}"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
  log "apt: done in $(elapsed "$t")"
}

# npm ci only when node_modules does not match package-lock.json (npm writes node_modules/.package-lock.json).
install_node_modules() {
  if [ ! -f package.json ]; then log "npm: no package.json yet, skipped"; return; fi
  if [ -f package-lock.json ] && [ -f node_modules/.package-lock.json ] \
     && [ node_modules/.package-lock.json -nt package-lock.json ]; then
    log "npm: node_modules up to date with package-lock.json"
    return
  fi
  local t=$(date +%s)
  # onnxruntime-node's install script would fetch its CUDA package from a host that is unreachable here;
  # both spellings of its skip switch (older and newer onnxruntime-node releases).
  export ONNXRUNTIME_NODE_INSTALL=skip ONNXRUNTIME_NODE_INSTALL_CUDA=skip
  if [ -f package-lock.json ]; then
    log "npm: npm ci"
    npm ci --no-audit --no-fund
  else
    log "npm: no package-lock.json, npm install"
    npm install --no-audit --no-fund
  fi
  log "npm: done in $(elapsed "$t")"
}

prime_ripgrep_cache() {
  [ -f "$RG_TARBALL" ] && return
  local rg tmp
  rg="$(command -v rg)"
  tmp="$(mktemp -d)"
  cp "$rg" "$tmp/rg"
  mkdir -p "$RG_CACHE_DIR"
  tar -czf "$RG_TARBALL.part" -C "$tmp" rg && mv "$RG_TARBALL.part" "$RG_TARBALL"
  rm -rf "$tmp"
  log "code-server: primed @vscode/ripgrep cache with Debian's rg ($RG_TARBALL)"
}

install_code_server() {
  local bin="$CODE_SERVER_DIR/node_modules/.bin/code-server"
  if [ -x "$bin" ] && [ "$("$bin" --version 2>/dev/null | head -n1 | cut -d' ' -f1)" = "$CODE_SERVER_VERSION" ]; then
    log "code-server: $CODE_SERVER_VERSION already in $CODE_SERVER_DIR"
    return
  fi
  local node_major
  node_major="$(node -p 'process.versions.node.split(".")[0]')"
  if [ "$node_major" != 20 ]; then
    log "code-server $CODE_SERVER_VERSION needs Node 20 (this is Node $node_major): install Node 20, or see docs/DESIGN.md#testing-in-a-real-vs-code for the code-server release that matches your Node"
    exit 1
  fi
  local t=$(date +%s)
  prime_ripgrep_cache
  mkdir -p "$CODE_SERVER_DIR"
  [ -f "$CODE_SERVER_DIR/package.json" ] || echo '{"name":"wsss-code-server","private":true}' >"$CODE_SERVER_DIR/package.json"
  log "code-server: installing $CODE_SERVER_VERSION into $CODE_SERVER_DIR (1-3 minutes)"
  # code-server's postinstall runs `npm install` inside lib/vscode and lib/vscode/extensions, whose native
  # modules (node-pty, kerberos, spdlog, watcher...) must build. npm >= 11.19 blocks dependency install
  # scripts unless approved in the project's package.json, which the nested installs do not have, so this one
  # pinned install allows them all. node-pty's postinstall runs `npx node-gyp` (needs npm_config_yes); as root
  # npm needs --unsafe-perm (code-server's postinstall checks it).
  (cd "$CODE_SERVER_DIR" && npm_config_yes=true npm_config_unsafe_perm=true \
      npm_config_dangerously_allow_all_scripts=true \
      npm install --no-audit --no-fund --no-save "code-server@$CODE_SERVER_VERSION")
  # A blocked or failed postinstall leaves code-server without VS Code's modules: check for them.
  if [ ! -e "$CODE_SERVER_DIR/node_modules/code-server/lib/vscode/node_modules/node-pty" ]; then
    log "code-server: its postinstall did not install VS Code's modules (lib/vscode/node_modules); see the npm output above"
    exit 1
  fi
  "$bin" --version >/dev/null
  log "code-server: done in $(elapsed "$t")"
}

T0=$(date +%s)
install_apt_packages
install_node_modules
install_code_server
log "all test dependencies ready ($(elapsed "$T0"))"
