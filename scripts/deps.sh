#!/usr/bin/env bash
# Installs the host packages stepwise's local jobs need (Debian/Ubuntu): bubblewrap for the
# sandbox, the Python libraries SageMaker's scikit-learn and XGBoost images provide, and boto3
# (Lambda's Python runtime has it).
# Idempotent: installs only what is missing, runs apt-get update only if an install fails.
# Elsewhere (no apt/dpkg) it says what to install and exits 0.
set -euo pipefail

packages=(bubblewrap python3 python3-sklearn python3-xgboost python3-pandas python3-boto3)

if ! command -v dpkg-query >/dev/null 2>&1 || ! command -v apt-get >/dev/null 2>&1; then
  echo "deps.sh: not a Debian/apt system; install by hand: ${packages[*]}" >&2
  exit 0
fi

missing=()
for p in "${packages[@]}"; do
  if [ "$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null)" != installed ]; then
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "deps.sh: all present: ${packages[*]}"
  exit 0
fi

sudo=()
if [ "$(id -u)" -ne 0 ]; then
  if ! command -v sudo >/dev/null 2>&1; then
    echo "deps.sh: missing ${missing[*]}; run as root or install sudo" >&2
    exit 1
  fi
  sudo=(sudo)
fi

install() {
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
}

echo "deps.sh: installing ${missing[*]}"
if ! install; then
  "${sudo[@]}" apt-get update
  install
fi
