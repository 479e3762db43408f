"""Typed stubs of the native module; import everything from ``cloudsign``."""

from __future__ import annotations

import os
from typing import Any, Optional, Sequence, Tuple, Union, final

from . import ExternalSigner, TimestampTransport

__all__ = [
    "AuditReport",
    "BlobStore",
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
    "password_needs_rehash",
    "prepare_pdf",
    "sign_pdf",
    "timestamp_pdf",
    "verify_audit_log",
    "verify_password",
    "verify_pdf",
]

__version__: str
SUPPORTED_LEVELS: list[str]

_Tsa = Union[str, TimestampTransport]
_Path = Union[str, os.PathLike[str]]

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
        data: bytes, password: str, *, digest: Optional[str] = None, pss: bool = False
    ) -> Signer: ...
    @staticmethod
    def from_pem(
        key_pem: bytes, certificates: bytes, *, digest: Optional[str] = None, pss: bool = False
    ) -> Signer: ...
    @property
    def algorithm(self) -> str: ...
    @property
    def certificate_chain(self) -> list[bytes]: ...
    @property
    def subject(self) -> str: ...
    def sign(self, tbs: ToBeSigned) -> bytes: ...

def sign_pdf(
    pdf: bytes,
    signer: Union[Signer, ExternalSigner],
    *,
    level: str = "b-b",
    tsa: Optional[_Tsa] = None,
    field_name: Optional[str] = None,
    reason: Optional[str] = None,
    location: Optional[str] = None,
    contact_info: Optional[str] = None,
    certify: Optional[int] = None,
) -> bytes: ...
def prepare_pdf(
    pdf: bytes,
    signer: Union[Signer, ExternalSigner],
    *,
    level: str = "b-b",
    tsa: Optional[_Tsa] = None,
    field_name: Optional[str] = None,
    reason: Optional[str] = None,
    location: Optional[str] = None,
    contact_info: Optional[str] = None,
    certify: Optional[int] = None,
) -> PreparedSignature: ...
def timestamp_pdf(
    pdf: bytes, tsa: _Tsa, *, field_name: Optional[str] = None, digest: Optional[str] = None
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
    def finish(self, pdf: bytes, signature: bytes, *, tsa: Optional[_Tsa] = None) -> bytes: ...

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

def verify_pdf(
    pdf: bytes,
    *,
    trust: Sequence[bytes],
    tsa_trust: Optional[Sequence[bytes]] = None,
    at: Optional[int] = None,
    fetch_revocation: bool = False,
) -> VerificationReport: ...

@final
class StaticKeyProvider:
    """Key-encryption keys held in Rust memory, one of them active."""

    def __new__(cls, key_id: str, key: bytes) -> StaticKeyProvider: ...
    @staticmethod
    def parse(text: str) -> StaticKeyProvider: ...
    @staticmethod
    def from_key_file(path: _Path) -> StaticKeyProvider: ...
    @property
    def active_key_id(self) -> str: ...
    @property
    def key_ids(self) -> list[str]: ...

@final
class BlobStore:
    """Encrypted blob storage over memory or a directory."""

    @staticmethod
    def memory(keys: StaticKeyProvider) -> BlobStore: ...
    @staticmethod
    def filesystem(path: _Path, keys: StaticKeyProvider) -> BlobStore: ...
    def put(self, data: bytes) -> str: ...
    def get(self, id: str) -> bytes: ...
    def delete(self, id: str) -> None: ...
    def exists(self, id: str) -> bool: ...
    def list(self) -> list[str]: ...
    def rotate(self, id: str) -> bool: ...

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

    def __new__(cls, kid: str, key: bytes) -> SignedTokenKeys: ...
    @staticmethod
    def generate(kid: str) -> SignedTokenKeys: ...
    def add(self, kid: str, key: bytes) -> None: ...
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
