//! What a signature says about itself, and which baseline level to produce.

use crate::error::Result;
use crate::pdf::{Dict, Document, Object, Source};
use crate::revocation::RevocationSource;
use crate::time::UnixTime;
use crate::tsp::TimeStamper;

/// The PAdES baseline level to produce. Each level carries what it needs, so that an
/// impossible combination (B-T without a timestamp authority) cannot be expressed.
///
/// ```
/// use cloudsign_core::pades::SignatureProfile;
/// use cloudsign_core::tsp::{TimeStamper, TransportError};
/// #[derive(Debug)]
/// struct MyTsa;
/// impl TimeStamper for MyTsa {
///     fn exchange(&self, _: &[u8]) -> Result<Vec<u8>, TransportError> {
///         Err(TransportError::Timeout)
///     }
/// }
/// let tsa = MyTsa;
/// let level = SignatureProfile::BaselineT { timestamper: &tsa };
/// assert_eq!(level.name(), "B-T");
/// ```
#[derive(Debug, Clone, Copy, Default)]
#[non_exhaustive]
pub enum SignatureProfile<'a> {
    /// PAdES-B-B: a CAdES-detached signature with signing-certificate-v2, claimed time in `/M`.
    #[default]
    BaselineB,
    /// PAdES-B-T: B-B plus an RFC 3161 signature timestamp over the signature value, which
    /// proves the signature existed at that time.
    BaselineT {
        /// Where the signature timestamp comes from.
        timestamper: &'a dyn TimeStamper,
    },
    /// PAdES-B-LT: B-T, then an incremental update whose DSS holds the certificates, OCSP
    /// responses and CRLs that validate the signer's and the timestamp authority's chains.
    BaselineLt {
        /// Where the signature timestamp comes from.
        timestamper: &'a dyn TimeStamper,
        /// Where revocation data and missing issuer certificates come from.
        revocation: &'a dyn RevocationSource,
    },
    /// PAdES-B-LTA: B-LT, then a document timestamp over it (renewable with
    /// [`LtvUpdater::extend`](super::LtvUpdater::extend)).
    BaselineLta {
        /// Where the signature and document timestamps come from.
        timestamper: &'a dyn TimeStamper,
        /// Where revocation data and missing issuer certificates come from.
        revocation: &'a dyn RevocationSource,
    },
}

impl<'a> SignatureProfile<'a> {
    /// The level's name, e.g. `B-T`.
    pub const fn name(&self) -> &'static str {
        match self {
            Self::BaselineB => "B-B",
            Self::BaselineT { .. } => "B-T",
            Self::BaselineLt { .. } => "B-LT",
            Self::BaselineLta { .. } => "B-LTA",
        }
    }

    /// The timestamp authority the level needs, if any.
    pub(crate) fn timestamper(&self) -> Option<&'a dyn TimeStamper> {
        match *self {
            Self::BaselineB => None,
            Self::BaselineT { timestamper }
            | Self::BaselineLt { timestamper, .. }
            | Self::BaselineLta { timestamper, .. } => Some(timestamper),
        }
    }

    /// The revocation source of a long-term level.
    pub(crate) fn revocation(&self) -> Option<&'a dyn RevocationSource> {
        match *self {
            Self::BaselineLt { revocation, .. } | Self::BaselineLta { revocation, .. } => {
                Some(revocation)
            }
            _ => None,
        }
    }

    /// Bytes the unsigned attributes of this level may need in the CMS.
    pub(crate) fn unsigned_attributes_reserve(&self) -> usize {
        // The attribute's own SEQUENCE, OID and SET headers around the token.
        const ATTRIBUTE_OVERHEAD: usize = 32;
        self.timestamper()
            .map_or(0, |t| t.max_token_len() + ATTRIBUTE_OVERHEAD)
    }
}

/// Changes permitted after a certification signature (DocMDP, ISO 32000-1 §12.8.2.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum DocMdpPermissions {
    /// P=1: no changes at all.
    NoChanges,
    /// P=2: filling in forms, instantiating page templates and signing.
    FormFillingAndSigning,
    /// P=3: as P=2, plus annotation creation, deletion and modification.
    Annotations,
}

impl DocMdpPermissions {
    /// The `/P` value.
    pub const fn level(self) -> i64 {
        match self {
            Self::NoChanges => 1,
            Self::FormFillingAndSigning => 2,
            Self::Annotations => 3,
        }
    }

    /// From a `/P` value (1, 2 or 3).
    pub const fn from_level(p: i64) -> Option<Self> {
        match p {
            1 => Some(Self::NoChanges),
            2 => Some(Self::FormFillingAndSigning),
            3 => Some(Self::Annotations),
            _ => None,
        }
    }
}

/// Options of one signature, built fluently.
///
/// ```
/// use cloudsign_core::pades::{DocMdpPermissions, SignatureOptions};
/// let options = SignatureOptions::new()
///     .field_name("Buyer")
///     .reason("I agree to the terms")
///     .location("Berlin")
///     .certify(DocMdpPermissions::FormFillingAndSigning);
/// assert_eq!(options.field(), Some("Buyer"));
/// ```
#[derive(Debug, Clone, Default)]
pub struct SignatureOptions {
    pub(crate) field_name: Option<String>,
    pub(crate) reason: Option<String>,
    pub(crate) location: Option<String>,
    pub(crate) contact_info: Option<String>,
    pub(crate) signing_time: Option<UnixTime>,
    pub(crate) certify: Option<DocMdpPermissions>,
    pub(crate) vri: bool,
}

impl SignatureOptions {
    /// Default options: invisible signature in a new field `SignatureN`, no reason or location.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sign this field: an existing empty signature field of that name, or a new one.
    #[must_use]
    pub fn field_name(mut self, name: impl Into<String>) -> Self {
        self.field_name = Some(name.into());
        self
    }

    /// The reason for signing (`/Reason`).
    #[must_use]
    pub fn reason(mut self, reason: impl Into<String>) -> Self {
        self.reason = Some(reason.into());
        self
    }

    /// Where the signature was made (`/Location`).
    #[must_use]
    pub fn location(mut self, location: impl Into<String>) -> Self {
        self.location = Some(location.into());
        self
    }

    /// How to reach the signer (`/ContactInfo`).
    #[must_use]
    pub fn contact_info(mut self, contact: impl Into<String>) -> Self {
        self.contact_info = Some(contact.into());
        self
    }

    /// The claimed signing time written to `/M` (default: now). Only a timestamp proves time.
    #[must_use]
    pub fn signing_time(mut self, time: UnixTime) -> Self {
        self.signing_time = Some(time);
        self
    }

    /// Make this a certification signature with the given permissions. It must be the
    /// document's first signature.
    #[must_use]
    pub fn certify(mut self, permissions: DocMdpPermissions) -> Self {
        self.certify = Some(permissions);
        self
    }

    /// At B-LT and B-LTA, also write a `/VRI` entry tying the validation data to this
    /// signature (optional in PAdES; some older readers look for it).
    #[must_use]
    pub fn vri(mut self, on: bool) -> Self {
        self.vri = on;
        self
    }

    /// The requested field name, if any.
    pub fn field(&self) -> Option<&str> {
        self.field_name.as_deref()
    }
}

/// The DocMDP permissions of the document's certification signature, if it has one.
pub(crate) fn certification_level<S: Source>(
    doc: &Document<S>,
) -> Result<Option<DocMdpPermissions>> {
    let catalog = doc.catalog()?;
    let Some(perms) = catalog.get(b"Perms") else {
        return Ok(None);
    };
    let Object::Dict(perms) = doc.resolve(perms)? else {
        return Ok(None);
    };
    let Some(sig) = perms.get(b"DocMDP") else {
        return Ok(None);
    };
    let Object::Dict(sig) = doc.resolve(sig)? else {
        return Ok(None);
    };
    Ok(docmdp_of_signature(&sig, &|o| doc.resolve(o)))
}

/// The DocMDP permissions a signature dictionary declares in its `/Reference` (P defaults to 2).
pub(crate) fn docmdp_of_signature(
    sig: &Dict,
    resolve: &dyn Fn(&Object) -> Result<Object>,
) -> Option<DocMdpPermissions> {
    let references = resolve(sig.get(b"Reference")?).ok()?;
    for item in references.as_array()? {
        let Ok(Object::Dict(r)) = resolve(item) else {
            continue;
        };
        if r.name(b"TransformMethod") != Some(b"DocMDP") {
            continue;
        }
        let p = match r.get(b"TransformParams").map(resolve) {
            Some(Ok(Object::Dict(params))) => params.integer(b"P").unwrap_or(2),
            _ => 2,
        };
        return DocMdpPermissions::from_level(p).or(Some(DocMdpPermissions::NoChanges));
    }
    None
}
