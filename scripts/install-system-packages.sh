#!/usr/bin/env bash
# Install the Debian packages listed in system-packages.txt that are missing (PostgreSQL, Redis,
# Chromium for the tests that need them). Runs as root (CI and dev machines here do); with
# nothing missing it does nothing and needs no network.
set -euo pipefail
cd "$(dirname "$0")/.."
list=system-packages.txt
[ -f "$list" ] || exit 0
missing=()
while read -r pkg _; do
  case "$pkg" in ""|\#*) continue ;; esac
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done < "$list"
[ ${#missing[@]} -eq 0 ] && exit 0
if ! command -v apt-get >/dev/null; then
  echo "missing system packages (${missing[*]}) and no apt-get: install them by hand" >&2
  exit 1
fi
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "installing system packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
