//! Byte inputs: `bytes` is read in place; `bytearray`, `memoryview` and any other object with
//! the buffer protocol are copied once, since Python code may change them while the core
//! works without the interpreter.

use std::borrow::Cow;

use pyo3::prelude::*;
use pyo3::types::{PyByteArray, PyBytes, PyMemoryView};

/// The bytes of a bytes-like argument.
#[derive(Debug)]
pub(crate) struct Bytes<'a>(Cow<'a, [u8]>);

impl std::ops::Deref for Bytes<'_> {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        &self.0
    }
}

impl<'a, 'py> FromPyObject<'a, 'py> for Bytes<'a> {
    type Error = PyErr;

    fn extract(obj: Borrowed<'a, 'py, PyAny>) -> PyResult<Self> {
        // pyo3 reads `bytes` in place and copies a `bytearray` in one go.
        if obj.is_instance_of::<PyBytes>() || obj.is_instance_of::<PyByteArray>() {
            return Cow::<'a, [u8]>::extract(obj).map(Self);
        }
        // memoryview() accepts exactly the objects with the buffer protocol, so a `str` or an
        // `int` is a TypeError here rather than an encoding or a zero-filled buffer.
        let view = PyMemoryView::from(&obj)?;
        let copy = view.call_method0("tobytes")?;
        Ok(Self(Cow::Owned(
            copy.cast::<PyBytes>()?.as_bytes().to_vec(),
        )))
    }
}
