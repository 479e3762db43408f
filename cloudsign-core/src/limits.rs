//! Resource limits applied to every untrusted input.

/// Bounds on what a single input may make the library do.
///
/// The defaults are strict enough for hostile input and generous enough for real contracts.
/// Exceeding any of them is an [`Error::Limit`](crate::Error::Limit), never a panic or an
/// unbounded allocation.
///
/// ```
/// let mut limits = cloudsign_core::Limits::default();
/// limits.max_input_bytes = 512 * 1024 * 1024;
/// assert!(limits.max_nesting_depth >= 32);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// Largest input file, in bytes.
    pub max_input_bytes: u64,
    /// Deepest nesting of arrays and dictionaries inside one object.
    pub max_nesting_depth: usize,
    /// Most indirect objects a document may declare (over all revisions).
    pub max_objects: usize,
    /// Most bytes one stream may decompress to.
    pub max_decompressed_bytes: u64,
    /// Most revisions (incremental updates) a document may have.
    pub max_revisions: usize,
    /// Most signatures a document may carry.
    pub max_signatures: usize,
    /// Most candidate certificates tried while building one certification path.
    pub max_path_candidates: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_input_bytes: 2 * 1024 * 1024 * 1024,
            max_nesting_depth: 64,
            max_objects: 4_000_000,
            max_decompressed_bytes: 256 * 1024 * 1024,
            max_revisions: 10_000,
            max_signatures: 1_000,
            max_path_candidates: 1_000,
        }
    }
}

impl Limits {
    /// The names [`Limits::set`] takes: the field names.
    pub const NAMES: [&'static str; 7] = [
        "max_input_bytes",
        "max_nesting_depth",
        "max_objects",
        "max_decompressed_bytes",
        "max_revisions",
        "max_signatures",
        "max_path_candidates",
    ];

    /// Sets the limit called `name` (a field name, see [`Limits::NAMES`]) to `value`, for
    /// callers that name limits in text (the bindings, configuration files). Returns false,
    /// changing nothing, for an unknown name or a value the platform cannot hold.
    ///
    /// ```
    /// let mut limits = cloudsign_core::Limits::default();
    /// assert!(limits.set("max_input_bytes", 1 << 20));
    /// assert_eq!(limits.max_input_bytes, 1 << 20);
    /// assert!(!limits.set("max_pages", 10));
    /// ```
    pub fn set(&mut self, name: &str, value: u64) -> bool {
        let count = |field: &mut usize| usize::try_from(value).map(|v| *field = v).is_ok();
        match name {
            "max_input_bytes" => self.max_input_bytes = value,
            "max_decompressed_bytes" => self.max_decompressed_bytes = value,
            "max_nesting_depth" => return count(&mut self.max_nesting_depth),
            "max_objects" => return count(&mut self.max_objects),
            "max_revisions" => return count(&mut self.max_revisions),
            "max_signatures" => return count(&mut self.max_signatures),
            "max_path_candidates" => return count(&mut self.max_path_candidates),
            _ => return false,
        }
        true
    }
}

/// Which limit an input exceeded; carried by [`Error::Limit`](crate::Error::Limit).
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LimitExceeded {
    /// The input is larger than [`Limits::max_input_bytes`].
    #[error("input larger than {limit} bytes")]
    InputBytes {
        /// The limit in force.
        limit: u64,
    },
    /// Nesting deeper than [`Limits::max_nesting_depth`].
    #[error("objects nested deeper than {limit}")]
    NestingDepth {
        /// The limit in force.
        limit: usize,
    },
    /// More objects than [`Limits::max_objects`].
    #[error("more than {limit} objects")]
    Objects {
        /// The limit in force.
        limit: usize,
    },
    /// A stream decompresses to more than [`Limits::max_decompressed_bytes`].
    #[error("a stream decompresses to more than {limit} bytes")]
    DecompressedBytes {
        /// The limit in force.
        limit: u64,
    },
    /// More revisions than [`Limits::max_revisions`].
    #[error("more than {limit} revisions")]
    Revisions {
        /// The limit in force.
        limit: usize,
    },
    /// More signatures than [`Limits::max_signatures`].
    #[error("more than {limit} signatures")]
    Signatures {
        /// The limit in force.
        limit: usize,
    },
    /// Path building tried more than [`Limits::max_path_candidates`] certificates.
    #[error("certification path building gave up after {limit} candidates")]
    PathCandidates {
        /// The limit in force.
        limit: usize,
    },
}

#[cfg(test)]
mod tests {
    use super::Limits;

    #[test]
    fn every_name_sets_its_own_limit() {
        let mut changed = Vec::new();
        for name in Limits::NAMES {
            let mut limits = Limits::default();
            assert!(limits.set(name, 7), "{name}");
            assert_ne!(limits, Limits::default(), "{name}");
            changed.push(limits);
        }
        // Each name changed something different.
        for (i, a) in changed.iter().enumerate() {
            assert!(changed[i + 1..].iter().all(|b| a != b));
        }
        let mut limits = Limits::default();
        assert!(!limits.set("max_pages", 7));
        assert_eq!(limits, Limits::default());
    }
}
