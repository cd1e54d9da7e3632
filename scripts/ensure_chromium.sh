#!/usr/bin/env bash
# Make sure Debian's Chromium (driven by the Playwright browser tests through /usr/bin/chromium) and a
# CJK font (so Chinese pages render instead of boxes) are installed. Playwright's own browser download
# is not used: the machines reach no host but the package registries.
set -euo pipefail

missing=()
[[ -x /usr/bin/chromium ]] || missing+=(chromium)
dpkg-query -W -f='${Status}' fonts-noto-cjk 2>/dev/null | grep -q "install ok installed" || missing+=(fonts-noto-cjk)

if [[ ${#missing[@]} -eq 0 ]]; then
    echo "ensure_chromium: $(/usr/bin/chromium --version 2>/dev/null || echo chromium) and fonts-noto-cjk present"
    exit 0
fi

if [[ $(id -u) -ne 0 ]]; then
    echo "ensure_chromium: missing ${missing[*]}; installing needs root. Run as root:" >&2
    echo "  apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y ${missing[*]}" >&2
    exit 1
fi

echo "ensure_chromium: installing ${missing[*]}"
apt-get update
DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing[@]}"
[[ -x /usr/bin/chromium ]] || { echo "ensure_chromium: /usr/bin/chromium still missing" >&2; exit 1; }
