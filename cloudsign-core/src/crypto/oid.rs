//! Object identifiers the library recognises, in one place so that every module agrees.

use der::asn1::ObjectIdentifier as Oid;

/// id-sha1 (forbidden for new signatures and for verification).
pub(crate) const SHA1: Oid = Oid::new_unwrap("1.3.14.3.2.26");
/// id-sha256 (RFC 5754).
pub(crate) const SHA256: Oid = Oid::new_unwrap("2.16.840.1.101.3.4.2.1");
/// id-sha384 (RFC 5754).
pub(crate) const SHA384: Oid = Oid::new_unwrap("2.16.840.1.101.3.4.2.2");
/// id-sha512 (RFC 5754).
pub(crate) const SHA512: Oid = Oid::new_unwrap("2.16.840.1.101.3.4.2.3");
/// id-md5.
pub(crate) const MD5: Oid = Oid::new_unwrap("1.2.840.113549.2.5");

/// rsaEncryption (RFC 8017).
pub(crate) const RSA_ENCRYPTION: Oid = Oid::new_unwrap("1.2.840.113549.1.1.1");
/// md5WithRSAEncryption.
pub(crate) const MD5_WITH_RSA: Oid = Oid::new_unwrap("1.2.840.113549.1.1.4");
/// sha1WithRSAEncryption.
pub(crate) const SHA1_WITH_RSA: Oid = Oid::new_unwrap("1.2.840.113549.1.1.5");
/// id-RSASSA-PSS (RFC 4055).
pub(crate) const RSASSA_PSS: Oid = Oid::new_unwrap("1.2.840.113549.1.1.10");
/// sha256WithRSAEncryption.
pub(crate) const SHA256_WITH_RSA: Oid = Oid::new_unwrap("1.2.840.113549.1.1.11");
/// sha384WithRSAEncryption.
pub(crate) const SHA384_WITH_RSA: Oid = Oid::new_unwrap("1.2.840.113549.1.1.12");
/// sha512WithRSAEncryption.
pub(crate) const SHA512_WITH_RSA: Oid = Oid::new_unwrap("1.2.840.113549.1.1.13");
/// id-mgf1.
pub(crate) const MGF1: Oid = Oid::new_unwrap("1.2.840.113549.1.1.8");

/// id-ecPublicKey (RFC 5480).
pub(crate) const EC_PUBLIC_KEY: Oid = Oid::new_unwrap("1.2.840.10045.2.1");
/// secp256r1 / P-256.
pub(crate) const SECP256R1: Oid = Oid::new_unwrap("1.2.840.10045.3.1.7");
/// secp384r1 / P-384.
pub(crate) const SECP384R1: Oid = Oid::new_unwrap("1.3.132.0.34");
/// ecdsa-with-SHA1.
pub(crate) const ECDSA_WITH_SHA1: Oid = Oid::new_unwrap("1.2.840.10045.4.1");
/// ecdsa-with-SHA256 (RFC 5758).
pub(crate) const ECDSA_WITH_SHA256: Oid = Oid::new_unwrap("1.2.840.10045.4.3.2");
/// ecdsa-with-SHA384.
pub(crate) const ECDSA_WITH_SHA384: Oid = Oid::new_unwrap("1.2.840.10045.4.3.3");
/// ecdsa-with-SHA512.
pub(crate) const ECDSA_WITH_SHA512: Oid = Oid::new_unwrap("1.2.840.10045.4.3.4");
/// id-Ed25519 (recognised for descriptions only).
pub(crate) const ED25519: Oid = Oid::new_unwrap("1.3.101.112");

/// id-data (RFC 5652 §4).
pub(crate) const ID_DATA: Oid = Oid::new_unwrap("1.2.840.113549.1.7.1");
/// id-signedData (RFC 5652 §5).
pub(crate) const ID_SIGNED_DATA: Oid = Oid::new_unwrap("1.2.840.113549.1.7.2");
/// id-contentType (RFC 5652 §11.1).
pub(crate) const CONTENT_TYPE: Oid = Oid::new_unwrap("1.2.840.113549.1.9.3");
/// id-messageDigest (RFC 5652 §11.2).
pub(crate) const MESSAGE_DIGEST: Oid = Oid::new_unwrap("1.2.840.113549.1.9.4");
/// id-signingTime (RFC 5652 §11.3).
pub(crate) const SIGNING_TIME: Oid = Oid::new_unwrap("1.2.840.113549.1.9.5");
/// id-aa-signingCertificate (RFC 2634 §5.4).
pub(crate) const SIGNING_CERTIFICATE: Oid = Oid::new_unwrap("1.2.840.113549.1.9.16.2.12");
/// id-aa-signingCertificateV2 (RFC 5035 §3).
pub(crate) const SIGNING_CERTIFICATE_V2: Oid = Oid::new_unwrap("1.2.840.113549.1.9.16.2.47");

/// id-ce-subjectKeyIdentifier.
pub(crate) const SUBJECT_KEY_IDENTIFIER: Oid = Oid::new_unwrap("2.5.29.14");
/// id-ce-keyUsage.
pub(crate) const KEY_USAGE: Oid = Oid::new_unwrap("2.5.29.15");
/// id-ce-subjectAltName.
pub(crate) const SUBJECT_ALT_NAME: Oid = Oid::new_unwrap("2.5.29.17");
/// id-ce-basicConstraints.
pub(crate) const BASIC_CONSTRAINTS: Oid = Oid::new_unwrap("2.5.29.19");
/// id-ce-certificatePolicies (accepted when critical: we impose no policy).
pub(crate) const CERTIFICATE_POLICIES: Oid = Oid::new_unwrap("2.5.29.32");
/// id-ce-authorityKeyIdentifier.
pub(crate) const AUTHORITY_KEY_IDENTIFIER: Oid = Oid::new_unwrap("2.5.29.35");
/// id-ce-cRLDistributionPoints (RFC 5280 §4.2.1.13).
pub(crate) const CRL_DISTRIBUTION_POINTS: Oid = Oid::new_unwrap("2.5.29.31");
/// id-ce-cRLNumber (RFC 5280 §5.2.3).
pub(crate) const CRL_NUMBER: Oid = Oid::new_unwrap("2.5.29.20");
/// id-ce-deltaCRLIndicator (RFC 5280 §5.2.4).
pub(crate) const DELTA_CRL_INDICATOR: Oid = Oid::new_unwrap("2.5.29.27");
/// id-ce-cRLReasons (RFC 5280 §5.3.1).
pub(crate) const CRL_REASON: Oid = Oid::new_unwrap("2.5.29.21");
/// id-pe-authorityInfoAccess (RFC 5280 §4.2.2.1).
pub(crate) const AUTHORITY_INFO_ACCESS: Oid = Oid::new_unwrap("1.3.6.1.5.5.7.1.1");
/// id-ad-ocsp (RFC 5280 §4.2.2.1).
pub(crate) const AD_OCSP: Oid = Oid::new_unwrap("1.3.6.1.5.5.7.48.1");
/// id-ad-caIssuers (RFC 5280 §4.2.2.1).
pub(crate) const AD_CA_ISSUERS: Oid = Oid::new_unwrap("1.3.6.1.5.5.7.48.2");
/// id-pkix-ocsp-basic (RFC 6960 §4.2.1).
pub(crate) const OCSP_BASIC: Oid = Oid::new_unwrap("1.3.6.1.5.5.7.48.1.1");
/// id-pkix-ocsp-nonce (RFC 6960 §4.4.1).
pub(crate) const OCSP_NONCE: Oid = Oid::new_unwrap("1.3.6.1.5.5.7.48.1.2");
/// id-kp-OCSPSigning (RFC 6960 §4.2.2.2).
pub(crate) const ID_KP_OCSP_SIGNING: Oid = Oid::new_unwrap("1.3.6.1.5.5.7.3.9");
/// id-ce-extKeyUsage.
pub(crate) const EXT_KEY_USAGE: Oid = Oid::new_unwrap("2.5.29.37");

/// id-ct-TSTInfo (RFC 3161 §2.4.2): the eContentType of a timestamp token.
pub(crate) const ID_CT_TST_INFO: Oid = Oid::new_unwrap("1.2.840.113549.1.9.16.1.4");
/// id-kp-timeStamping (RFC 3161 §2.3).
pub(crate) const ID_KP_TIME_STAMPING: Oid = Oid::new_unwrap("1.3.6.1.5.5.7.3.8");
