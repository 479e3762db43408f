#!/usr/bin/env bash
# Install the external validators ("oracles") the integration tests run: qpdf, poppler's
# pdfsig, NSS certutil, the openssl CLI and pyHanko; and gcc and valgrind, which build and
# check the C API's test programs. Missing validators FAIL tests when
# CI=true, so CI must run this first. Idempotent and non-interactive; run as root on
# Debian 12 (needs only the Debian mirror and PyPI). Skips what is already present.
#
#   .ci/install-tools.sh            validators only
#   .ci/install-tools.sh --corpus   also ghostscript + reportlab, to regenerate testdata/corpus
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive

PYHANKO_VERSION=0.38.0      # versions the fixtures and oracle parsing were made with
PYHANKO_CLI_VERSION=0.6.0
REPORTLAB_VERSION=5.1.0

debs=(qpdf poppler-utils libnss3-tools openssl python3 python3-pip gcc libc6-dev valgrind)
pips=("pyhanko==$PYHANKO_VERSION" "pyhanko-cli==$PYHANKO_CLI_VERSION")
if [[ "${1:-}" == "--corpus" ]]; then
  debs+=(ghostscript)
  pips+=("reportlab==$REPORTLAB_VERSION")
fi

# apt: only update and install when a package is missing (keeps repeat runs fast).
missing=()
for p in "${debs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# pip: install into the python3 the tests call (`pyhanko` CLI and `python3 -c`), unless the
# pinned versions are already there. Debian marks its python "externally managed" (PEP 668);
# a throwaway CI machine may override that.
need_pip=()
for spec in "${pips[@]}"; do
  name=${spec%%==*} want=${spec##*==}
  have=$(python3 -m pip show "$name" 2>/dev/null | sed -n 's/^Version: //p')
  [[ "$have" == "$want" ]] || need_pip+=("$spec")
done
if ((${#need_pip[@]})); then
  flags=(--quiet --disable-pip-version-check)
  if python3 -m pip install --help | grep -q -- --break-system-packages; then
    flags+=(--break-system-packages)
  fi
  python3 -m pip install "${flags[@]}" "${need_pip[@]}"
fi

# Fail here, not in the tests, if anything is still missing.
for tool in qpdf pdfsig certutil openssl pyhanko gcc valgrind; do
  command -v "$tool" >/dev/null || { echo "install-tools: $tool not on PATH" >&2; exit 1; }
done
python3 -c "import pyhanko.sign" || { echo "install-tools: pyhanko not importable" >&2; exit 1; }
echo "install-tools: qpdf $(qpdf --version | head -n1 | awk '{print $3}'), $(pyhanko --version)"
