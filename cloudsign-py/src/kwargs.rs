//! Keyword options shared by several functions, read in one place per family (signing,
//! long-term validation) instead of repeating the argument list in each function.

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::PyDict;

/// The given keyword options of `function` whose value is not None, refusing names outside
/// `names` with the TypeError Python raises for an unexpected keyword argument.
pub(crate) fn given<'py>(
    function: &str,
    names: &[&str],
    keywords: Option<&Bound<'py, PyDict>>,
) -> PyResult<Vec<(String, Bound<'py, PyAny>)>> {
    let mut options = Vec::new();
    for (key, value) in keywords.into_iter().flat_map(|k| k.iter()) {
        let key = key.extract::<String>()?;
        if !names.contains(&key.as_str()) {
            return Err(PyTypeError::new_err(format!(
                "{function}() got an unexpected keyword argument '{key}' (options: {})",
                names.join(", ")
            )));
        }
        if !value.is_none() {
            options.push((key, value));
        }
    }
    Ok(options)
}

/// The `limits` option: a mapping from the core's limit names (`max_input_bytes`, …) to
/// non-negative integers, over the defaults; an unknown name is a ValueError.
pub(crate) fn limits(value: &Bound<'_, PyAny>) -> PyResult<cloudsign_core::Limits> {
    let mut limits = cloudsign_core::Limits::default();
    for (name, bound) in value.extract::<std::collections::HashMap<String, u64>>()? {
        if !limits.set(&name, bound) {
            return Err(pyo3::exceptions::PyValueError::new_err(format!(
                "unknown limit {name:?} (known: {})",
                cloudsign_core::Limits::NAMES.join(", ")
            )));
        }
    }
    Ok(limits)
}
