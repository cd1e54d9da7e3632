#!/usr/bin/env bash
# The Debian packages the portal needs besides Python and npm, installed if missing (root) or named with
# the exact command to run (anyone else):
#   - always (make install, make run): what WeasyPrint renders the PDF documents (通报, 奖励通知, 拨付表)
#     with, pango and HarfBuzz's subsetter, fontconfig, and a CJK font (Noto Serif/Sans CJK SC) so the
#     Chinese is embedded in the PDFs instead of boxes; the same font makes the browser draw Chinese;
#   - with --browser (make test, CI): Debian's Chromium too, driven by the Playwright browser tests
#     through /usr/bin/chromium. Playwright's own browser download is not used: the machines reach no
#     host but the package registries.
# The Dockerfile's apt-get line installs the same packages (without Chromium).
set -euo pipefail

packages=(libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fontconfig fonts-noto-cjk)
browser=0
for arg in "$@"; do
    case "$arg" in
        --browser) browser=1 ;;
        *) echo "usage: $0 [--browser]" >&2; exit 2 ;;
    esac
done
[[ $browser -eq 1 ]] && packages+=(chromium)

if ! command -v dpkg-query >/dev/null; then
    echo "ensure_system_packages: not a Debian system; install yourself: pango (>= 1.44), HarfBuzz, fontconfig," \
        "a CJK font (Noto Serif CJK SC or Noto Sans CJK SC)$([[ $browser -eq 1 ]] && echo ', chromium at /usr/bin/chromium')" >&2
    exit 0
fi

missing=()
for package in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [[ $browser -eq 1 && ! -x /usr/bin/chromium ]] && [[ ! " ${missing[*]} " =~ " chromium " ]]; then
    missing+=(chromium)
fi

if [[ ${#missing[@]} -eq 0 ]]; then
    echo "ensure_system_packages: ${packages[*]} present"
    exit 0
fi

if [[ $(id -u) -ne 0 ]]; then
    echo "ensure_system_packages: missing ${missing[*]}; installing needs root. Run as root:" >&2
    echo "  apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y ${missing[*]}" >&2
    exit 1
fi

echo "ensure_system_packages: installing ${missing[*]}"
apt-get update
DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing[@]}"
if [[ $browser -eq 1 && ! -x /usr/bin/chromium ]]; then
    echo "ensure_system_packages: /usr/bin/chromium still missing" >&2
    exit 1
fi
