#!/usr/bin/env bash
# Regenerate testdata/pyhanko/: a throwaway test PKI (openssl CLI) and PDFs signed by pyHanko,
# so our verifier is tested against someone else's PAdES signatures, not only our own.
# TEST-ONLY KEYS: the private keys committed here protect nothing; never trust this root.
#
# Needs: openssl, pyhanko + pyhanko-cli (see .ci/install-tools.sh), testdata/corpus/ built.
# Run from the repository root:  bash testdata/pyhanko/make-signed.sh
# Set KEEP_PKI=1 to re-sign with the existing keys instead of making a new PKI.
set -euo pipefail
cd "$(dirname "$0")"
C=../corpus

if [[ "${KEEP_PKI:-0}" != 1 ]]; then
  # Root CA: RSA-2048, ~100 years, so fixtures never expire under the tests.
  openssl req -x509 -new -newkey rsa:2048 -nodes -keyout root-key.pem -out root.pem \
    -days 36500 -sha256 -subj "/C=XX/O=cloudsign test/CN=cloudsign Test Root CA" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -addext "subjectKeyIdentifier=hash"
  cat > ee.ext <<'EXT'
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,nonRepudiation
subjectKeyIdentifier=hash
authorityKeyIdentifier=keyid
EXT
  # End-entity signers: one RSA-2048, one ECDSA P-256, both issued by the root.
  openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out signer-rsa-key.pem
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out signer-ec-key.pem
  for k in rsa ec; do
    openssl req -new -key signer-$k-key.pem -out signer-$k.csr \
      -subj "/C=XX/O=cloudsign test/CN=Test Signer ($k)"
    openssl x509 -req -in signer-$k.csr -CA root.pem -CAkey root-key.pem -CAcreateserial \
      -days 36000 -sha256 -extfile ee.ext -out signer-$k.pem
    rm signer-$k.csr
  done
  rm -f ee.ext root.srl
  # An unrelated root (key discarded): trusting only it must make validation fail.
  openssl req -x509 -new -newkey rsa:2048 -nodes -keyout /dev/null -out other-root.pem \
    -days 36500 -sha256 -subj "/C=XX/O=cloudsign test/CN=cloudsign Unrelated Test Root" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"
fi

# PAdES B-B (no timestamp, no revocation info), invisible signatures in new fields.
pyhanko sign addsig --use-pades --field Signature1 pemder --no-pass \
  --key signer-rsa-key.pem --cert signer-rsa.pem --chain root.pem \
  $C/01-classic-reportlab.pdf signed-rsa.pdf
pyhanko sign addsig --use-pades --field Signature1 pemder --no-pass \
  --key signer-ec-key.pem --cert signer-ec.pem --chain root.pem \
  $C/02-objstm-qpdf.pdf signed-ecdsa.pdf
# Two sequential signatures: fill the existing empty "Approval" field (RSA), then add a
# second field (ECDSA) in a further incremental update.
pyhanko sign addsig --use-pades --field Approval pemder --no-pass \
  --key signer-rsa-key.pem --cert signer-rsa.pem --chain root.pem \
  $C/05-incremental-pyhanko.pdf two-signatures.tmp.pdf
pyhanko sign addsig --use-pades --field Signature2 pemder --no-pass \
  --key signer-ec-key.pem --cert signer-ec.pem --chain root.pem \
  two-signatures.tmp.pdf two-signatures.pdf
rm two-signatures.tmp.pdf

# Each must validate against the test root, with no revocation lookups (B-B has none).
for f in signed-rsa.pdf signed-ecdsa.pdf two-signatures.pdf; do
  pyhanko sign validate --trust root.pem --trust-replace --no-revocation-check --pretty-print "$f"
done
