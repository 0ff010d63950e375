#!/usr/bin/env bash
# Install the system packages Guardrail needs, where they are missing.
#   scripts/system-packages.sh run    fonts and libraries for PDF rendering
#   scripts/system-packages.sh test   the above, plus Chromium and poppler for the tests, and
#                                     Node.js (the sign-in tests run a real OIDC provider)
set -euo pipefail

purpose=${1:-run}
# WeasyPrint: Pango for text, HarfBuzz's subsetter for fast font subsetting (about six times
# faster PDFs), Noto Serif CJK for Chinese names, DejaVu for Latin text.
packages=(libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-noto-cjk fonts-dejavu-core)
if [ "$purpose" = test ]; then
  packages+=(chromium poppler-utils)
  command -v npm >/dev/null 2>&1 || packages+=(nodejs npm)
fi

if ! command -v dpkg-query >/dev/null 2>&1; then
  echo "note: not a Debian/Ubuntu system; install these yourself if missing: ${packages[*]}" >&2
  exit 0
fi

missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "installing system packages: ${missing[*]}"
if [ "$(id -u)" -eq 0 ]; then
  sudo=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  sudo=(sudo -n)
else
  echo "error: these system packages are missing and I cannot install them without root:" >&2
  echo "  sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "system packages installed"
