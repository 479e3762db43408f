#!/usr/bin/env python3
"""Per-call time of cloudsign.sign_pdf from Python: N signatures of the same file.

    python3 benches/bindings/python_sign.py FILE.pdf SIGNER.p12 PASSWORD [N]

Prints `python sign_pdf: N calls, MEAN ms/call (min MIN ms)` and `median_us_per_sign M`, timing only the
call (the file and key are loaded once, outside the loop). Install the wheel built with
`maturin build --release` first; compare with the Rust figure of the same work
(benches/bindings/run.sh runs both, and C, in one go).
"""

from __future__ import annotations

import statistics
import sys
import time

import cloudsign


def main() -> None:
    if len(sys.argv) not in (4, 5):
        sys.exit(__doc__)
    pdf_path, p12_path, password = sys.argv[1:4]
    calls = int(sys.argv[4]) if len(sys.argv) == 5 else 50
    with open(pdf_path, "rb") as f:
        pdf = f.read()
    with open(p12_path, "rb") as f:
        signer = cloudsign.Signer.from_pkcs12(f.read(), password)

    cloudsign.sign_pdf(pdf, signer)  # warm-up: page cache, allocator
    times = []
    for _ in range(calls):
        start = time.perf_counter()
        cloudsign.sign_pdf(pdf, signer)
        times.append(time.perf_counter() - start)
    mean = sum(times) / len(times)
    print(
        f"python sign_pdf: {calls} calls, {mean * 1e3:.3f} ms/call (min {min(times) * 1e3:.3f} ms)"
    )
    print(f"median_us_per_sign {round(statistics.median(times) * 1e6)}")


if __name__ == "__main__":
    main()
