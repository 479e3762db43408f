"""The protocols of objects you pass to cloudsign: your own signer, timestamp transport and
key provider. Duck-typed: any object with these members works; no need to subclass."""

from __future__ import annotations

from typing import TYPE_CHECKING, Optional, Protocol, Sequence

if TYPE_CHECKING:
    from ._native import ToBeSigned


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


class KeyProvider(Protocol):
    """Wraps the data keys of a ``BlobStore`` with keys held elsewhere (a KMS, an HSM).

    ``active_key_id`` (1 to 64 of ``[A-Za-z0-9._-]``) is read once, when the store is made:
    new blobs are wrapped under it and ``rotate`` moves old ones to it. ``wrap`` returns the
    32-byte ``data_key`` encrypted under that key; ``unwrap`` returns it from what ``wrap``
    gave, for the key ``key_id`` the blob names. Both must authenticate ``context`` (as AEAD
    associated data or a KMS encryption context), which binds a wrapped key to its blob.
    An exception raised here propagates unchanged out of the ``BlobStore`` call. The data key
    passes through Python ``bytes``, which cannot be wiped from memory.
    """

    @property
    def active_key_id(self) -> str: ...

    def wrap(self, data_key: bytes, context: bytes) -> bytes: ...

    def unwrap(self, key_id: str, wrapped: bytes, context: bytes) -> bytes: ...


class RevocationSource(Protocol):
    """Where ``ltv_add`` and ``ltv_extend`` get validation data, when not over HTTP from the
    addresses the certificates name (``revocation="http"``): a cache, a proxy, an archive.

    Each method receives DER certificates and returns DER: ``ocsp`` an ``OCSPResponse`` for
    ``cert`` (issued by ``issuer``) or None when it has none, ``crls`` the CRLs covering
    ``cert``, ``ca_issuers`` issuer certificates. cloudsign checks what it gets before storing
    it; an exception raised here propagates unchanged.
    """

    def ocsp(self, cert: bytes, issuer: bytes) -> Optional[bytes]: ...

    def crls(self, cert: bytes) -> Sequence[bytes]: ...

    def ca_issuers(self, cert: bytes) -> Sequence[bytes]: ...


__all__ = ["ExternalSigner", "KeyProvider", "RevocationSource", "TimestampTransport"]
