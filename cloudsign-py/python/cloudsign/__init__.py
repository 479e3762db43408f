"""cloudsign: sign and verify PDF contracts (PAdES), with RFC 3161 timestamps, encrypted blob
storage, recipient tokens, account protection and audit logs. A Python binding of the Rust library of the same name.

    import cloudsign

    signer = cloudsign.Signer.from_pkcs12(p12_bytes, "password")
    signed = cloudsign.sign_pdf(pdf_bytes, signer, level="b-b")
    report = cloudsign.verify_pdf(signed, trust=[root_pem_bytes])
    assert report.passed, report.to_dict()

Long operations release the GIL. Errors are subclasses of ``cloudsign.CloudsignError``.
"""

from __future__ import annotations

from typing import Protocol, Sequence

from ._errors import (
    AuditError,
    AuthError,
    CertificateError,
    CloudsignError,
    CloudsignIOError,
    CmsError,
    CryptoError,
    InvalidKeyError,
    LimitError,
    PdfError,
    RevocationError,
    SigningError,
    StoreError,
    TimestampError,
    TokenError,
)
from ._native import (
    SUPPORTED_LEVELS,
    AuditReport,
    BlobStore,
    IpAllowlist,
    PasswordPolicy,
    PreparedSignature,
    SignatureReport,
    SignedTokenInfo,
    SignedTokenKeys,
    Signer,
    StaticKeyProvider,
    TokenRecord,
    TokenStore,
    ToBeSigned,
    Totp,
    VerificationReport,
    __version__,
    hash_password,
    password_needs_rehash,
    prepare_pdf,
    sign_pdf,
    timestamp_pdf,
    verify_audit_log,
    verify_password,
    verify_pdf,
)


class ExternalSigner(Protocol):
    """What ``sign_pdf`` and ``prepare_pdf`` accept besides ``Signer``: an HSM, a KMS, a
    remote signing service.

    ``certificate_chain``: the signer's certificate first, then its issuers (PEM or DER).
    ``algorithm``: ``"rsa-pkcs1-sha256"``, ``"rsa-pss-sha256"``, ``"ecdsa-sha256"``, ... (also
    ``-sha384``/``-sha512``). ``sign`` receives a ``ToBeSigned`` and returns the signature
    (RSA: modulus-length bytes; ECDSA: a DER ``Ecdsa-Sig-Value``); an HSM signs
    ``tbs.digest``, a signer that hashes itself signs ``tbs.message``. Optional
    ``max_signature_len`` sizes the placeholder (default: 512 for RSA, 139 for ECDSA).
    """

    @property
    def certificate_chain(self) -> Sequence[bytes]: ...

    @property
    def algorithm(self) -> str: ...

    def sign(self, tbs: ToBeSigned) -> bytes: ...


class TimestampTransport(Protocol):
    """A timestamp authority reached by your own transport: ``exchange`` sends a DER
    ``TimeStampReq`` and returns the DER ``TimeStampResp``; cloudsign checks everything in
    it. Optional ``max_token_len`` sizes the signature placeholder."""

    def exchange(self, request: bytes) -> bytes: ...


__all__ = [
    "SUPPORTED_LEVELS",
    "AuditError",
    "AuditReport",
    "AuthError",
    "BlobStore",
    "CertificateError",
    "CloudsignError",
    "CloudsignIOError",
    "CmsError",
    "CryptoError",
    "ExternalSigner",
    "InvalidKeyError",
    "IpAllowlist",
    "LimitError",
    "PasswordPolicy",
    "PdfError",
    "PreparedSignature",
    "RevocationError",
    "SignatureReport",
    "SignedTokenInfo",
    "SignedTokenKeys",
    "Signer",
    "SigningError",
    "StaticKeyProvider",
    "StoreError",
    "TimestampError",
    "TimestampTransport",
    "ToBeSigned",
    "TokenError",
    "TokenRecord",
    "TokenStore",
    "Totp",
    "VerificationReport",
    "__version__",
    "hash_password",
    "password_needs_rehash",
    "prepare_pdf",
    "sign_pdf",
    "timestamp_pdf",
    "verify_audit_log",
    "verify_password",
    "verify_pdf",
]
