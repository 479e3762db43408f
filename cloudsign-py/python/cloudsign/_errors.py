"""The exceptions cloudsign raises: one class per kind of failure, all under CloudsignError;
and the warnings it issues.

A bad signature is not an exception: ``verify_pdf`` returns a report that says FAILED.
An exception means no result could be produced (not a PDF, an unusable key, a limit hit,
a timestamp authority that did not answer, a blob that fails authentication, ...).
An exception raised by your own callback (an external signer's ``sign``, a timestamp
transport's ``exchange``) propagates unchanged instead.
"""

from __future__ import annotations


class CloudsignError(Exception):
    """Base class of every cloudsign error; ``code`` is the stable numeric error code."""

    code: int

    def __init__(self, message: str, code: int = 0) -> None:
        super().__init__(message)
        self.code = code


class PdfError(CloudsignError):
    """The PDF is malformed, unsupported or cannot be signed safely."""


class LimitError(CloudsignError):
    """An input exceeded a resource limit (size, objects, nesting, signatures)."""


class CmsError(CloudsignError):
    """A CMS signature container could not be built or parsed."""


class CertificateError(CloudsignError):
    """A certificate is malformed or unusable."""


class InvalidKeyError(CloudsignError):
    """A private key or key container is unusable (wrong password, weak or mismatched key)."""


class CryptoError(CloudsignError):
    """An algorithm is unsupported or forbidden (e.g. SHA-1, RSA below 2048 bits)."""


class SigningError(CloudsignError):
    """Signing could not complete (placeholder too small, document mismatch, ...)."""


class TimestampError(CloudsignError):
    """A timestamp could not be obtained or does not check out."""


class CloudsignIOError(CloudsignError, OSError):
    """Reading or writing a file failed."""


class TokenError(CloudsignError):
    """A token was refused (unknown, expired, revoked, used up, malformed) or its store failed."""


class AuthError(CloudsignError):
    """An authentication check failed."""


class AuditError(CloudsignError):
    """The audit log could not be written or does not verify."""


class StoreError(CloudsignError):
    """Blob storage failed, or a blob failed authentication (tampered, truncated, wrong key)."""


class RevocationError(CloudsignError):
    """Revocation data (OCSP, CRL) is malformed, or could not be fetched or verified."""


class LtvWarning(UserWarning):
    """Adding validation data or timestamps to this document has a caveat: for example it is
    certified with no changes allowed (DocMDP P=1), and strict readers count what
    ``ltv_add``/``ltv_extend`` append as modifications. Turn it into an error with
    ``warnings.simplefilter("error", cloudsign.LtvWarning)``."""


__all__ = [
    "CloudsignError",
    "PdfError",
    "LimitError",
    "CmsError",
    "CertificateError",
    "InvalidKeyError",
    "CryptoError",
    "SigningError",
    "TimestampError",
    "CloudsignIOError",
    "TokenError",
    "AuthError",
    "AuditError",
    "StoreError",
    "RevocationError",
    "LtvWarning",
]
