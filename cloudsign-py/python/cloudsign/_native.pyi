"""Typed stubs of the native module; import everything from ``cloudsign``."""

from __future__ import annotations

import os
from types import TracebackType
from typing import Any, Mapping, Optional, Sequence, Tuple, Type, Union, final

from typing_extensions import Required, TypedDict, Unpack

from ._protocols import ExternalSigner, KeyProvider, RevocationSource, TimestampTransport

__all__ = [
    "AuditLog",
    "AuditRecord",
    "AuditReport",
    "BlobBackend",
    "BlobStore",
    "RepairReport",
    "PreparedSignature",
    "SUPPORTED_LEVELS",
    "SignatureReport",
    "SignedTokenInfo",
    "SignedTokenKeys",
    "Signer",
    "StaticKeyProvider",
    "IpAllowlist",
    "PasswordPolicy",
    "ToBeSigned",
    "TokenRecord",
    "TokenStore",
    "Totp",
    "VerificationReport",
    "__version__",
    "hash_password",
    "ltv_add",
    "ltv_extend",
    "password_needs_rehash",
    "prepare_pdf",
    "sign_pdf",
    "sign_pdf_file",
    "timestamp_pdf",
    "verify_audit_log",
    "verify_password",
    "verify_pdf",
    "verify_pdf_file",
]

__version__: str
SUPPORTED_LEVELS: list[str]

_Tsa = Union[str, TimestampTransport]
_Path = Union[str, os.PathLike[str]]
# Any object with the buffer protocol; `bytes` is read in place, others are copied once.
_Buffer = Union[bytes, bytearray, memoryview]
_Signer = Union["Signer", ExternalSigner]

@final
class ToBeSigned:
    """What a signer must sign: the DER signed attributes and their digest."""

    @property
    def message(self) -> bytes: ...
    @property
    def digest(self) -> bytes: ...
    @property
    def algorithm(self) -> str: ...
    @property
    def digest_algorithm(self) -> str: ...

@final
class Signer:
    """A private key and its certificate chain held in Rust memory."""

    @staticmethod
    def from_pkcs12(
        data: _Buffer, password: str, *, digest: Optional[str] = None, pss: bool = False
    ) -> Signer: ...
    @staticmethod
    def from_pem(
        key_pem: _Buffer, certificates: _Buffer, *, digest: Optional[str] = None, pss: bool = False
    ) -> Signer: ...
    @property
    def algorithm(self) -> str: ...
    @property
    def certificate_chain(self) -> list[bytes]: ...
    @property
    def subject(self) -> str: ...
    def sign(self, tbs: ToBeSigned) -> bytes: ...

class _SigningOptions(TypedDict, total=False):
    """The options of ``sign_pdf``, ``sign_pdf_file`` and ``prepare_pdf``: ``level`` is
    ``"b-b"`` (the default), ``"b-t"``, ``"b-lt"`` or ``"b-lta"``; the timestamped levels need
    ``tsa``; ``certify`` is a DocMDP level 1 to 3; ``signing_time`` (seconds since the epoch)
    is the claimed ``/M`` time, default now; ``vri`` also writes ``/VRI`` entries at the
    long-term levels; ``limits`` maps resource limit names (``max_input_bytes``,
    ``max_objects``, …) to values over the defaults (an input beyond one raises
    ``LimitError``)."""

    level: str
    tsa: Optional[_Tsa]
    field_name: Optional[str]
    reason: Optional[str]
    location: Optional[str]
    contact_info: Optional[str]
    certify: Optional[int]
    signing_time: Optional[int]
    vri: bool
    limits: Optional[Mapping[str, int]]

def sign_pdf(pdf: _Buffer, signer: _Signer, **options: Unpack[_SigningOptions]) -> bytes: ...
def sign_pdf_file(
    in_path: _Path, out_path: _Path, signer: _Signer, **options: Unpack[_SigningOptions]
) -> None: ...
def prepare_pdf(
    pdf: _Buffer, signer: _Signer, **options: Unpack[_SigningOptions]
) -> PreparedSignature: ...
def timestamp_pdf(
    pdf: _Buffer, tsa: _Tsa, *, field_name: Optional[str] = None, digest: Optional[str] = None
) -> bytes: ...

@final
class PreparedSignature:
    """A prepared signature waiting for its value; serialisable with ``to_json``."""

    @property
    def to_be_signed(self) -> ToBeSigned: ...
    @property
    def byte_range(self) -> Tuple[int, int, int, int]: ...
    @property
    def document_digest(self) -> bytes: ...
    def to_json(self) -> str: ...
    @staticmethod
    def from_json(json: str) -> PreparedSignature: ...
    def finish(
        self, pdf: _Buffer, signature: _Buffer, *, tsa: Optional[_Tsa] = None
    ) -> bytes: ...

@final
class SignatureReport:
    """The verdict on one signature or document timestamp."""

    @property
    def passed(self) -> bool: ...
    @property
    def field(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def indication(self) -> str: ...
    @property
    def sub_indication(self) -> Optional[str]: ...
    @property
    def level(self) -> Optional[str]: ...
    @property
    def signer_subject(self) -> Optional[str]: ...
    @property
    def claimed_signing_time(self) -> Optional[str]: ...
    @property
    def proven_time(self) -> Optional[str]: ...
    @property
    def findings(self) -> Tuple[str, ...]: ...
    def to_dict(self) -> dict[str, Any]: ...

@final
class VerificationReport:
    """The result of verifying one PDF."""

    @property
    def passed(self) -> bool: ...
    @property
    def signatures(self) -> Tuple[SignatureReport, ...]: ...
    @property
    def findings(self) -> Tuple[str, ...]: ...
    @property
    def revisions(self) -> int: ...
    @property
    def schema_version(self) -> int: ...
    def to_dict(self) -> dict[str, Any]: ...
    def to_json(self) -> str: ...

class _VerifyOptions(TypedDict, total=False):
    """The options of ``verify_pdf`` and ``verify_pdf_file``: ``trust`` anchors (PEM or DER,
    required), separate ``tsa_trust`` anchors, the time ``at`` which to judge (seconds since
    the epoch; default now), ``fetch_revocation`` (default False: offline), and ``limits``
    (resource limits by name, as for signing)."""

    trust: Required[Sequence[bytes]]
    tsa_trust: Optional[Sequence[bytes]]
    at: Optional[int]
    fetch_revocation: bool
    limits: Optional[Mapping[str, int]]

def verify_pdf(pdf: _Buffer, **options: Unpack[_VerifyOptions]) -> VerificationReport: ...
def verify_pdf_file(path: _Path, **options: Unpack[_VerifyOptions]) -> VerificationReport: ...

class _LtvOptions(TypedDict, total=False):
    """Where validation data comes from: ``revocation="http"`` (the default: fetched from the
    addresses the certificates name), a ``RevocationSource`` object, or ``"offline"`` (nothing
    is fetched: a certificate that names where its status is published raises
    ``RevocationError`` unless the ``extra_*`` data shows that status). The ``extra_*`` data is
    consulted first and stored as well. ``vri`` also writes the optional per-signature
    ``/VRI`` entries."""

    revocation: Union[str, RevocationSource]
    vri: bool
    extra_certificates: Sequence[bytes]
    extra_crls: Sequence[bytes]
    extra_ocsp_responses: Sequence[bytes]

class _LtvAddOptions(_LtvOptions, total=False):
    tsa: Optional[_Tsa]

def ltv_add(pdf: _Buffer, **options: Unpack[_LtvAddOptions]) -> bytes: ...
def ltv_extend(pdf: _Buffer, tsa: _Tsa, **options: Unpack[_LtvOptions]) -> bytes: ...

@final
class StaticKeyProvider:
    """Key-encryption keys held in Rust memory, one of them active."""

    def __new__(cls, key_id: str, key: _Buffer) -> StaticKeyProvider: ...
    @staticmethod
    def parse(text: str) -> StaticKeyProvider: ...
    @staticmethod
    def from_key_file(path: _Path) -> StaticKeyProvider: ...
    @staticmethod
    def from_single_key_file(key_id: str, path: _Path) -> StaticKeyProvider: ...
    @staticmethod
    def from_env(var: str) -> StaticKeyProvider: ...
    @property
    def active_key_id(self) -> str: ...
    @property
    def key_ids(self) -> list[str]: ...

_Keys = Union[StaticKeyProvider, KeyProvider]

@final
class BlobBackend:
    """Where sealed blobs are kept: memory, a directory, an S3 bucket, or replicas of these."""

    @staticmethod
    def memory() -> BlobBackend: ...
    @staticmethod
    def filesystem(path: _Path) -> BlobBackend: ...
    @staticmethod
    def s3(
        bucket: str,
        *,
        endpoint: Optional[str] = None,
        region: Optional[str] = None,
        access_key_id: Optional[str] = None,
        secret_access_key: Optional[str] = None,
        prefix: Optional[str] = None,
        allow_http: bool = False,
        part_size: Optional[int] = None,
        timeout: Optional[float] = None,
        retries: Optional[int] = None,
        from_env: bool = False,
    ) -> BlobBackend: ...
    @staticmethod
    def replicated(replicas: Sequence[BlobBackend], *, quorum: Optional[int] = None) -> BlobBackend: ...
    @property
    def replica_count(self) -> int: ...

@final
class RepairReport:
    """What ``BlobStore.repair`` did."""

    @property
    def source(self) -> int: ...
    @property
    def repaired(self) -> list[int]: ...

@final
class BlobStore:
    """Encrypted blob storage over a ``BlobBackend``."""

    def __new__(
        cls, backend: BlobBackend, keys: _Keys, *, chunk_size: Optional[int] = None
    ) -> BlobStore: ...
    @staticmethod
    def memory(keys: _Keys) -> BlobStore: ...
    @staticmethod
    def filesystem(path: _Path, keys: _Keys) -> BlobStore: ...
    def put(self, data: _Buffer) -> str: ...
    def put_file(self, path: _Path) -> str: ...
    def get(self, id: str) -> bytes: ...
    def get_file(self, id: str, path: _Path) -> None: ...
    def delete(self, id: str) -> None: ...
    def exists(self, id: str) -> bool: ...
    def list(self) -> list[str]: ...
    def rotate(self, id: str) -> bool: ...
    def rotate_all(self) -> int: ...
    def repair(self, id: str) -> RepairReport: ...

@final
class TokenRecord:
    """What a stored token grants and how it has been used."""

    @property
    def resource(self) -> str: ...
    @property
    def recipient(self) -> str: ...
    @property
    def scope(self) -> str: ...
    @property
    def expires(self) -> int: ...
    @property
    def max_uses(self) -> int: ...
    @property
    def uses(self) -> int: ...
    @property
    def revoked(self) -> bool: ...
    @property
    def hash(self) -> str: ...

@final
class TokenStore:
    """Stored-hash unique-URL tokens in memory or SQLite."""

    @staticmethod
    def memory() -> TokenStore: ...
    @staticmethod
    def sqlite(path: _Path) -> TokenStore: ...
    def issue(
        self,
        resource: str,
        *,
        ttl: int,
        recipient: str = "",
        scope: str = "view",
        max_uses: int = 1,
        now: Optional[int] = None,
    ) -> str: ...
    def verify(self, token: str, *, now: Optional[int] = None) -> TokenRecord: ...
    def redeem(self, token: str, *, now: Optional[int] = None) -> TokenRecord: ...
    def revoke(self, token: str) -> bool: ...

@final
class SignedTokenInfo:
    """A signed token that verified."""

    @property
    def kid(self) -> str: ...
    @property
    def id(self) -> str: ...
    @property
    def resource(self) -> str: ...
    @property
    def recipient(self) -> str: ...
    @property
    def scope(self) -> str: ...
    @property
    def expires(self) -> int: ...

@final
class SignedTokenKeys:
    """HMAC-SHA256 keys for stateless signed tokens."""

    def __new__(cls, kid: str, key: _Buffer) -> SignedTokenKeys: ...
    @staticmethod
    def generate(kid: str) -> SignedTokenKeys: ...
    def add(self, kid: str, key: _Buffer) -> None: ...
    def activate(self, kid: str) -> None: ...
    def retire(self, kid: str) -> None: ...
    @property
    def active_kid(self) -> str: ...
    def sign(
        self,
        resource: str,
        *,
        ttl: int,
        recipient: str = "",
        scope: str = "view",
        now: Optional[int] = None,
    ) -> str: ...
    def verify(self, token: str, *, now: Optional[int] = None) -> SignedTokenInfo: ...

def hash_password(
    password: str,
    *,
    memory_kib: Optional[int] = None,
    iterations: Optional[int] = None,
    parallelism: Optional[int] = None,
) -> str: ...
def verify_password(password: str, phc: str) -> bool: ...
def password_needs_rehash(
    phc: str,
    *,
    memory_kib: Optional[int] = None,
    iterations: Optional[int] = None,
    parallelism: Optional[int] = None,
) -> bool: ...

@final
class PasswordPolicy:
    """Rules for new passwords: length, no repeats, sequences or personal data, zxcvbn score."""

    def __new__(
        cls, *, min_chars: Optional[int] = None, min_score: Optional[int] = None
    ) -> PasswordPolicy: ...
    @property
    def min_chars(self) -> int: ...
    @property
    def min_score(self) -> int: ...
    def weakness(self, password: str, user_inputs: Sequence[str] = ...) -> Optional[str]: ...
    def check(self, password: str, user_inputs: Sequence[str] = ...) -> None: ...

@final
class Totp:
    """A TOTP (RFC 6238) configuration for one account; the secret stays in Rust memory."""

    def __new__(
        cls,
        secret: Union[str, bytes],
        *,
        algorithm: str = "SHA1",
        digits: int = 6,
        period: int = 30,
        skew: int = 1,
    ) -> Totp: ...
    @staticmethod
    def generate(
        *, algorithm: str = "SHA1", digits: int = 6, period: int = 30, skew: int = 1
    ) -> Totp: ...
    @property
    def secret_base32(self) -> str: ...
    @property
    def secret(self) -> bytes: ...
    @property
    def algorithm(self) -> str: ...
    @property
    def digits(self) -> int: ...
    @property
    def period(self) -> int: ...
    def code(self, time: Optional[int] = None) -> str: ...
    def verify(
        self, code: str, *, now: Optional[int] = None, last_used_step: Optional[int] = None
    ) -> int: ...
    def provisioning_uri(self, issuer: str, account: str) -> str: ...

@final
class IpAllowlist:
    """Addresses and CIDR ranges allowed to reach an account; empty allows nothing."""

    def __new__(cls, entries: Sequence[str]) -> IpAllowlist: ...
    def allows(self, ip: str) -> bool: ...
    def __contains__(self, ip: str, /) -> bool: ...
    def __len__(self) -> int: ...
    @property
    def rules(self) -> list[str]: ...

@final
class AuditReport:
    """A verified audit log segment."""

    @property
    def records(self) -> int: ...
    @property
    def checkpoints(self) -> int: ...
    @property
    def last_checkpoint_seq(self) -> Optional[int]: ...
    @property
    def last_checkpoint_time(self) -> Optional[int]: ...
    @property
    def unanchored_records(self) -> int: ...
    @property
    def head_hash(self) -> str: ...
    @property
    def previous_segment_head(self) -> Optional[str]: ...
    def contains_head(self, hash: str) -> bool: ...
    def truncation_note(self) -> str: ...

def verify_audit_log(path: _Path, *, tsa_trust: Optional[Sequence[bytes]] = None) -> AuditReport: ...

@final
class AuditRecord:
    """One record of an audit log, as written."""

    @property
    def seq(self) -> int: ...
    @property
    def time(self) -> int: ...
    @property
    def kind(self) -> str: ...
    @property
    def actor(self) -> str: ...
    @property
    def action(self) -> str: ...
    @property
    def subject(self) -> str: ...
    @property
    def hash(self) -> str: ...
    @property
    def prev_hash(self) -> str: ...
    def to_dict(self) -> dict[str, Any]: ...

@final
class AuditLog:
    """An audit log segment being written; a context manager."""

    @staticmethod
    def create(
        path: _Path,
        *,
        tsa: _Tsa,
        checkpoint_every_records: Optional[int] = ...,  # 1000
        checkpoint_every_secs: Optional[int] = ...,  # 3600
        fsync: str = "on-checkpoint",
    ) -> AuditLog: ...
    @staticmethod
    def resume(
        path: _Path,
        *,
        tsa: _Tsa,
        tsa_trust: Sequence[bytes],
        checkpoint_every_records: Optional[int] = ...,  # 1000
        checkpoint_every_secs: Optional[int] = ...,  # 3600
        fsync: str = "on-checkpoint",
    ) -> AuditLog: ...
    @staticmethod
    def repair_torn_tail(path: _Path) -> Optional[bytes]: ...
    def append(self, actor: str, action: str, subject: str, details: Any = None) -> AuditRecord: ...
    def checkpoint(self) -> AuditRecord: ...
    def seal(self, next_path: _Path) -> AuditLog: ...
    @property
    def head(self) -> str: ...
    @property
    def closed(self) -> bool: ...
    def close(self) -> None: ...
    def __enter__(self) -> AuditLog: ...
    def __exit__(
        self,
        _kind: Optional[Type[BaseException]],
        _value: Optional[BaseException],
        _traceback: Optional[TracebackType],
    ) -> bool: ...
