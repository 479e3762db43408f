"""cloudsign: sign and verify PDF contracts (PAdES), with RFC 3161 timestamps, long-term
validation, encrypted blob storage, recipient tokens, account protection and audit logs. A
Python binding of the Rust library of the same name.

    import cloudsign

    signer = cloudsign.Signer.from_pkcs12(p12_bytes, "password")
    signed = cloudsign.sign_pdf(pdf_bytes, signer, level="b-b")
    report = cloudsign.verify_pdf(signed, trust=[root_pem_bytes])
    assert report.passed, report.to_dict()

Long operations release the GIL. Errors are subclasses of ``cloudsign.CloudsignError``.
Everything is defined in three private modules and re-exported here: ``_native`` (the Rust
extension; its stubs are ``_native.pyi``), ``_errors`` (exceptions and warnings) and
``_protocols`` (what your own signers, transports and key providers provide).
"""

# Each private module lists its public names in its `__all__`; the star imports re-export
# exactly those, so no name is listed twice.
from ._errors import *  # noqa: F403
from ._native import *  # noqa: F403
from ._protocols import *  # noqa: F403
