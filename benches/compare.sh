#!/usr/bin/env bash
# Side-by-side comparison of the `cloudsign` command with the physical floor (cp + openssl
# dgst) and with pyHanko, in one run. Not part of the test suite; see benches/README.md.
#
#   bash benches/compare.sh            # RUNS=10 timed runs per command (median reported)
#   RUNS=9 bash benches/compare.sh     # more runs
#   ROUNDS=1 bash benches/compare.sh   # each command's runs in one go instead of taking turns
#   PYHANKO_100MB=0 bash benches/compare.sh   # skip the single pyHanko run on 100 MB
#
# Needs: cargo, openssl, python3; hyperfine if installed (else a bash loop with date +%s%N);
# GNU time at /usr/bin/time for peak memory; pyhanko (pyHanko CLI) for the peer column.
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS="${RUNS:-10}"
ROUNDS="${ROUNDS:-4}"
PYHANKO_RUNS="${PYHANKO_RUNS:-3}"
PYHANKO_100MB="${PYHANKO_100MB:-1}"
TARGET_DIR="${CARGO_TARGET_DIR:-target}"

echo "== building release binaries" >&2
cargo build --release -p cloudsign-cli -p cloudsign-benches >&2
CLOUDSIGN="$(realpath "$TARGET_DIR/release/cloudsign")"
MAKE_SAMPLES="$(realpath "$TARGET_DIR/release/make-samples")"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/cloudsign-compare.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
echo "== writing samples and test PKI to $WORK" >&2
"$MAKE_SAMPLES" "$WORK" >/dev/null
PKI="$WORK/pki"
KEY="$PKI/signer-rsa-key.pem"
CERT="$PKI/signer-rsa.pem"
CHAIN="$PKI/intermediate.pem"
ROOT="$PKI/root.pem"
PUB="$PKI/signer-rsa-pub.pem"
openssl x509 -in "$CERT" -pubkey -noout >"$PUB"

HAVE_HYPERFINE=0
command -v hyperfine >/dev/null && HAVE_HYPERFINE=1
HAVE_PYHANKO=0
command -v pyhanko >/dev/null && HAVE_PYHANKO=1

# median_ms RUNS PREPARE COMMAND: median wall time of COMMAND in ms over RUNS runs (one
# warm-up run first), running PREPARE (untimed) before each run. Both run under bash, except
# that with PREPARE ":" hyperfine starts COMMAND directly (no shell whose start-up it must
# estimate and subtract: at a few milliseconds that estimate is most of the noise).
median_ms() {
    local runs="$1" prepare="$2" cmd="$3"
    # Earlier cells leave dirty pages (cp does not sync); their write-back must not run
    # during this cell's timings.
    sync
    if [ "$HAVE_HYPERFINE" = 1 ]; then
        local json="$WORK/hyperfine.json"
        local how=(--shell bash --prepare "$prepare")
        [ "$prepare" = ":" ] && how=(--shell none)
        hyperfine --style none --warmup 1 --runs "$runs" "${how[@]}" \
            --export-json "$json" "$cmd" >/dev/null 2>&1
        python3 -c 'import json,sys; print("%.1f" % (json.load(open(sys.argv[1]))["results"][0]["median"] * 1e3))' "$json"
    else
        local times=() i t0 t1
        bash -c "$prepare"
        bash -c "$cmd" >/dev/null 2>&1
        for ((i = 0; i < runs; i++)); do
            bash -c "$prepare"
            t0=$(date +%s%N)
            bash -c "$cmd" >/dev/null 2>&1
            t1=$(date +%s%N)
            times+=($(((t1 - t0) / 1000)))
        done
        printf '%s\n' "${times[@]}" | sort -n |
            awk '{a[NR] = $1} END {m = (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2; printf "%.1f\n", m / 1000}'
    fi
}

# medians_ms RUNS PREPARE COMMAND...: the median wall time in ms of each COMMAND, one per line.
# The commands take turns in ROUNDS rounds of RUNS/ROUNDS runs each (A B A B ...), so that a
# slow spell of the machine falls on all of them rather than on whichever ran then.
medians_ms() {
    local runs="$1" prepare="$2"
    shift 2
    if [ "$HAVE_HYPERFINE" != 1 ]; then
        local cmd
        for cmd in "$@"; do median_ms "$runs" "$prepare" "$cmd"; done
        return
    fi
    local per=$(((runs + ROUNDS - 1) / ROUNDS)) round i=0 cmd
    local how=(--shell bash --prepare "$prepare")
    [ "$prepare" = ":" ] && how=(--shell none)
    sync
    for ((round = 0; round < ROUNDS; round++)); do
        i=0
        for cmd in "$@"; do
            hyperfine --style none --warmup 1 --runs "$per" "${how[@]}" \
                --export-json "$WORK/round-$round-$i.json" "$cmd" >/dev/null 2>&1
            i=$((i + 1))
        done
    done
    python3 - "$WORK" "$ROUNDS" "$#" <<'PY'
import json, statistics, sys
work, rounds, commands = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
for i in range(commands):
    times = []
    for r in range(rounds):
        with open(f"{work}/round-{r}-{i}.json") as f:
            times += json.load(f)["results"][0]["times"]
    print("%.1f" % (statistics.median(times) * 1e3))
PY
}

# peak_kib COMMAND...: "Maximum resident set size" in KiB reported by GNU time.
peak_kib() {
    /usr/bin/time -v "$@" 2>&1 >/dev/null | awk -F': ' '/Maximum resident set size/ {print $2}'
}

ratio() { python3 -c 'import sys; a, b = map(float, sys.argv[1:3]); print("%.2f" % (a / b) if b > 0 else "n/a")' "$1" "$2"; }

FILES=(large-100KB.pdf large-1MB.pdf large-10MB.pdf large-100MB.pdf text-8000.pdf)
OUT="$WORK/out"
mkdir -p "$OUT"

# Check once that what is compared actually works: cloudsign's output verifies, and so does
# pyHanko's output (by cloudsign).
"$CLOUDSIGN" sign "$WORK/large-100KB.pdf" -o "$OUT/check.pdf" --key "$KEY" --cert "$CERT" --chain "$CHAIN" >/dev/null
"$CLOUDSIGN" verify "$OUT/check.pdf" --trust "$ROOT" >/dev/null

ROWS=()
for f in "${FILES[@]}"; do
    in="$WORK/$f"
    bytes=$(stat -c %s "$in")
    runs="$RUNS"
    echo "== $f ($bytes bytes)" >&2
    signed="$OUT/signed-$f"
    "$CLOUDSIGN" sign "$in" -o "$signed" --key "$KEY" --cert "$CERT" --chain "$CHAIN" >/dev/null
    cp "$in" "$OUT/copy-$f"
    openssl dgst -sha256 -sign "$KEY" -out "$OUT/sig-$f" "$OUT/copy-$f"

    # The floor plus an fsync of the copy: `cloudsign sign` syncs its output before the
    # rename that makes it appear, so that is the like-for-like floor for durable output.
    {
        read -r cs_sign
        read -r os_sign
        read -r os_sync
    } < <(medians_ms "$runs" "rm -f '$OUT/t.pdf'" \
        "'$CLOUDSIGN' sign '$in' -o '$OUT/t.pdf' --key '$KEY' --cert '$CERT' --chain '$CHAIN'" \
        "cp '$in' '$OUT/t.pdf' && openssl dgst -sha256 -sign '$KEY' '$OUT/t.pdf' > '$OUT/t.sig'" \
        "cp '$in' '$OUT/t.pdf' && sync '$OUT/t.pdf' && openssl dgst -sha256 -sign '$KEY' '$OUT/t.pdf' > '$OUT/t.sig'")
    {
        read -r cs_verify
        read -r os_verify
    } < <(medians_ms "$runs" ":" \
        "'$CLOUDSIGN' verify '$signed' --trust '$ROOT'" \
        "openssl dgst -sha256 -verify '$PUB' -signature '$OUT/sig-$f' '$OUT/copy-$f'")

    py="skipped"
    if [ "$HAVE_PYHANKO" = 1 ]; then
        pyruns="$PYHANKO_RUNS"
        if [ "$bytes" -gt $((50 << 20)) ]; then
            pyruns=1
            [ "$PYHANKO_100MB" = 1 ] || pyruns=0
        fi
        if [ "$pyruns" -gt 0 ]; then
            pycmd="pyhanko sign addsig --field Sig1 pemder --key '$KEY' --cert '$CERT' --chain '$CHAIN' --no-pass '$in' '$OUT/py.pdf'"
            if [ "$pyruns" = 1 ]; then
                # One timed run, no warm-up: a 100 MB pyHanko run takes a while.
                t0=$(date +%s%N)
                bash -c "rm -f '$OUT/py.pdf'; $pycmd" >/dev/null 2>&1
                t1=$(date +%s%N)
                py=$(awk -v n=$(((t1 - t0) / 1000)) 'BEGIN {printf "%.1f", n / 1000}')
            else
                py=$(median_ms "$pyruns" "rm -f '$OUT/py.pdf'" "$pycmd")
            fi
            "$CLOUDSIGN" verify "$OUT/py.pdf" --trust "$ROOT" >/dev/null ||
                echo "warning: cloudsign does not pass pyHanko's signature of $f" >&2
        fi
    fi
    ROWS+=("$f|$bytes|$cs_sign|$os_sign|$os_sync|$cs_verify|$os_verify|$py")
    rm -f "$OUT/t.pdf" "$OUT/py.pdf"
done

echo "== peak memory on large-100MB.pdf (by path)" >&2
big="$WORK/large-100MB.pdf"
rss_sign=$(peak_kib "$CLOUDSIGN" sign "$big" -o "$OUT/rss.pdf" --key "$KEY" --cert "$CERT" --chain "$CHAIN")
rss_verify=$(peak_kib "$CLOUDSIGN" verify "$OUT/signed-large-100MB.pdf" --trust "$ROOT")
rss_ossl=$(peak_kib openssl dgst -sha256 -sign "$KEY" -out "$OUT/rss.sig" "$big")

echo
echo "cloudsign compare: $(date -u +%Y-%m-%d), $(nproc) CPUs, runs per cell: $RUNS in $ROUNDS alternating rounds (median; pyHanko $PYHANKO_RUNS, 100 MB once)," \
    "timer: $([ "$HAVE_HYPERFINE" = 1 ] && hyperfine --version || echo 'bash loop')"
echo "$(openssl version); $(pyhanko --version 2>/dev/null || echo 'pyHanko not installed')"
echo
echo "| file | bytes | cloudsign sign ms | cp+openssl ms | cp+sync+openssl ms | sign ratio (target <= 1.0) | cloudsign verify ms | openssl verify ms | verify ratio (target <= 1.0; 1.2 at 100 MB) | pyHanko sign ms | pyHanko / cloudsign (target >= 20 up to 10 MB) |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
for row in "${ROWS[@]}"; do
    IFS='|' read -r f bytes cs_sign os_sign os_sync cs_verify os_verify py <<<"$row"
    speed="n/a"
    [ "$py" = skipped ] || speed="$(ratio "$py" "$cs_sign")"
    echo "| $f | $bytes | $cs_sign | $os_sign | $os_sync | $(ratio "$cs_sign" "$os_sign") | $cs_verify | $os_verify | $(ratio "$cs_verify" "$os_verify") | $py | $speed |"
done
echo
echo "| peak RSS on large-100MB.pdf | KiB | MiB (target <= 32) |"
echo "|---|---:|---:|"
for pair in "cloudsign sign:$rss_sign" "cloudsign verify:$rss_verify" "openssl dgst -sign (reference):$rss_ossl"; do
    name="${pair%%:*}"
    kib="${pair##*:}"
    echo "| $name | $kib | $(awk -v k="$kib" 'BEGIN {printf "%.1f", k / 1024}') |"
done
