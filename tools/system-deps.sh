#!/usr/bin/env bash
# Installs the Debian packages the tests need, when missing. Run by `make test`.
set -euo pipefail
packages=(mosquitto chromium libegl1 libgl1 libegl-mesa0 libgl1-mesa-dri fonts-wqy-microhei)
# mosquitto: the broker of the live tests; chromium: the console browser tests; EGL/Mesa: off-screen VTK;
# fonts-wqy-microhei: a CJK font (5 MB, the smallest Debian one) so the console's Simplified Chinese
# labels are drawn, not shown as boxes, in headless Chromium
missing=()
for p in "${packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
echo "installing system packages: ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
