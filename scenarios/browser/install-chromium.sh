#!/usr/bin/env bash
# Installs Debian's Chromium for the Playwright specs in scenarios/browser. The browser comes
# from the distribution's archive (signed, updated with the rest of the system), never from
# `npx playwright install`. Idempotent: exits at once when /usr/bin/chromium is there. Needs
# apt-get and root (CI runs as root; elsewhere passwordless sudo is used when available).
# The Playwright config runs this script itself before any browser starts.
set -euo pipefail

CHROMIUM=/usr/bin/chromium

fail() {
  echo "install-chromium: $*" >&2
  exit 1
}

if [ -x "$CHROMIUM" ]; then
  echo "install-chromium: $("$CHROMIUM" --version 2>/dev/null || echo 'chromium') already at $CHROMIUM"
  exit 0
fi

command -v apt-get >/dev/null 2>&1 ||
  fail "$CHROMIUM is missing and this system has no apt-get: install Chromium at $CHROMIUM yourself (Debian/Ubuntu: the 'chromium' package)"

SUDO=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    SUDO=(sudo -n)
  else
    fail "$CHROMIUM is missing and installing it needs root: run 'sudo apt-get install -y chromium' once, then run the tests again"
  fi
fi

echo "install-chromium: $CHROMIUM is missing; installing Debian's chromium package"
export DEBIAN_FRONTEND=noninteractive
# Wait for another apt/dpkg run to finish rather than failing on its lock.
APT=("${SUDO[@]}" apt-get -o DPkg::Lock::Timeout=300)
"${APT[@]}" update || fail "apt-get update failed (no network or no reachable Debian mirror?)"
"${APT[@]}" install -y chromium || fail "apt-get install -y chromium failed (see apt's output above)"
[ -x "$CHROMIUM" ] || fail "the chromium package is installed but $CHROMIUM does not exist"
echo "install-chromium: installed $("$CHROMIUM" --version 2>/dev/null || echo 'chromium') at $CHROMIUM"
