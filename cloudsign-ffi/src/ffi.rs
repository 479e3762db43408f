//! The one module with `unsafe`: C pointers become Rust references and owned handles here, and
//! nowhere else.
//!
//! Every function relies on the C API contract written in the crate documentation: a non-NULL
//! pointer points to a live object of the named type (a handle returned by this library and
//! not yet freed, or `len` readable bytes, or a NUL-terminated string, or `count` string
//! pointers), which the caller does not change or free during the call. NULL is always checked
//! here.

use std::ffi::{CStr, c_char, c_void};

use crate::error::{Failure, cs_status};

/// Borrows `len` bytes at `data`; NULL is accepted only with `len == 0`.
pub(crate) fn bytes<'a>(data: *const u8, len: usize, name: &str) -> Result<&'a [u8], Failure> {
    slice(data, len, name)
}

/// Borrows `count` NUL-terminated UTF-8 strings from a C array of string pointers; NULL is
/// accepted only with `count == 0`.
pub(crate) fn texts<'a>(
    list: *const *const c_char,
    count: usize,
    name: &str,
) -> Result<Vec<&'a str>, Failure> {
    each(list, count, name, text)
}

/// Borrows `count` handles from a C array of handle pointers; NULL is accepted only with
/// `count == 0`, and no handle may be NULL.
pub(crate) fn handles<'a, T>(
    list: *const *const T,
    count: usize,
    name: &str,
) -> Result<Vec<&'a T>, Failure> {
    each(list, count, name, handle)
}

/// Reads each of the `count` pointers at `list` with `read`.
fn each<P: Copy, T>(
    list: *const P,
    count: usize,
    name: &str,
    read: impl Fn(P, &str) -> Result<T, Failure>,
) -> Result<Vec<T>, Failure> {
    slice(list, count, name)?
        .iter()
        .map(|&p| read(p, name))
        .collect()
}

/// Borrows `len` values of `T` at `data`; NULL is accepted only with `len == 0`.
fn slice<'a, T>(data: *const T, len: usize, name: &str) -> Result<&'a [T], Failure> {
    if data.is_null() {
        return if len == 0 {
            Ok(&[])
        } else {
            Err(Failure::null(name))
        };
    }
    let size = len.checked_mul(size_of::<T>());
    if size.is_none_or(|size| isize::try_from(size).is_err()) {
        return Err(Failure::new(
            cs_status::CS_ERR_INVALID_ARGUMENT,
            format!("{name}: length {len} is too large"),
        ));
    }
    // SAFETY: non-NULL, and by the API contract `data` points to `len` readable, initialised
    // values of `T` that stay unchanged during the call; their total size fits in isize
    // (checked above).
    Ok(unsafe { std::slice::from_raw_parts(data, len) })
}

/// Borrows a NUL-terminated UTF-8 string.
pub(crate) fn text<'a>(s: *const c_char, name: &str) -> Result<&'a str, Failure> {
    if s.is_null() {
        return Err(Failure::null(name));
    }
    // SAFETY: non-NULL, and by the API contract a NUL-terminated string that outlives the call.
    let c = unsafe { CStr::from_ptr(s) };
    c.to_str().map_err(|_| {
        Failure::new(
            cs_status::CS_ERR_INVALID_UTF8,
            format!("{name} is not valid UTF-8"),
        )
    })
}

/// Borrows an optional NUL-terminated UTF-8 string: `None` for NULL.
pub(crate) fn optional_text<'a>(s: *const c_char, name: &str) -> Result<Option<&'a str>, Failure> {
    if s.is_null() {
        return Ok(None);
    }
    text(s, name).map(Some)
}

/// Reads an optional `const T *` input: `None` for NULL.
pub(crate) fn optional_value<T: Copy>(ptr: *const T) -> Option<T> {
    // SAFETY: by the API contract a non-NULL pointer points to an initialised `T` that stays
    // unchanged during the call.
    unsafe { ptr.as_ref() }.copied()
}

/// Borrows a handle.
pub(crate) fn handle<'a, T>(ptr: *const T, name: &str) -> Result<&'a T, Failure> {
    // SAFETY: by the API contract a non-NULL handle pointer came from `into_handle::<T>` and has
    // not been freed; nobody mutates it during the call (mutating calls take `*mut`, and the
    // API documents that a handle is not used from two threads at once while being changed).
    unsafe { ptr.as_ref() }.ok_or_else(|| Failure::null(name))
}

/// Borrows a handle mutably.
pub(crate) fn handle_mut<'a, T>(ptr: *mut T, name: &str) -> Result<&'a mut T, Failure> {
    // SAFETY: as in `handle`, and the caller gives the library exclusive use of the handle for
    // the duration of a call taking `*mut`.
    unsafe { ptr.as_mut() }.ok_or_else(|| Failure::null(name))
}

/// Moves `value` to the heap and hands ownership to C; `free_handle` takes it back.
pub(crate) fn into_handle<T>(value: T) -> *mut T {
    Box::into_raw(Box::new(value))
}

/// Takes back and drops a handle from `into_handle`; NULL is ignored.
pub(crate) fn free_handle<T>(ptr: *mut T) {
    if !ptr.is_null() {
        // SAFETY: by the API contract a non-NULL pointer passed to a `_free` function came
        // from `into_handle::<T>` (a Box) and is freed only once.
        drop(unsafe { Box::from_raw(ptr) });
    }
}

/// An output parameter `T *out` for a plain value (a flag, a count, a pointer), checked for
/// NULL before any work is done; written only on success.
#[derive(Debug)]
pub(crate) struct ValueOut<T>(*mut T);

impl<T> ValueOut<T> {
    pub(crate) fn new(out: *mut T, name: &str) -> Result<Self, Failure> {
        if out.is_null() {
            return Err(Failure::null(name));
        }
        Ok(Self(out))
    }

    /// Hands `value` to C through the out-parameter.
    pub(crate) fn set(self, value: T) {
        // SAFETY: `self.0` is non-NULL (checked in `new`) and by the API contract points to a
        // writable `T`; the previous value is not read or dropped (C owns whatever it was).
        unsafe { self.0.write(value) }
    }
}

/// An output parameter `T **out` receiving a new handle, checked for NULL before any work is
/// done; written only on success.
#[derive(Debug)]
pub(crate) struct Out<T>(ValueOut<*mut T>);

impl<T> Out<T> {
    pub(crate) fn new(out: *mut *mut T, name: &str) -> Result<Self, Failure> {
        ValueOut::new(out, name).map(Self)
    }

    /// Hands `value` to C through the out-parameter.
    pub(crate) fn set(self, value: T) {
        self.0.set(into_handle(value));
    }

    /// Hands `value` to C, or NULL for `None`.
    pub(crate) fn set_option(self, value: Option<T>) {
        self.0.set(value.map_or(std::ptr::null_mut(), into_handle));
    }
}

/// Stores a new error object in an optional `cs_error **err`.
pub(crate) fn set_error<T>(err: *mut *mut T, value: T) {
    if let Ok(out) = Out::new(err, "err") {
        out.set(value);
    }
}

/// A C signing callback and its user data.
#[derive(Debug)]
pub(crate) struct SignCallback {
    function: crate::signer::cs_sign_callback,
    userdata: *mut c_void,
}

// SAFETY: the callback is called synchronously on the thread that called into the library
// (signing never spawns threads that sign); the C caller promises in the documentation of
// `cs_signer_new_callback` that `userdata` may be used from any thread it calls us from.
unsafe impl Send for SignCallback {}
// SAFETY: as for Send: the library never calls the callback from two threads at once on its
// own; concurrent use of one signer from several C threads is the caller's promise to keep.
unsafe impl Sync for SignCallback {}

impl SignCallback {
    pub(crate) fn new(function: crate::signer::cs_sign_callback, userdata: *mut c_void) -> Self {
        Self { function, userdata }
    }

    /// Calls the callback with room for `capacity` signature bytes; the signature, or the
    /// callback's non-zero return code.
    pub(crate) fn call(
        &self,
        algorithm: u32,
        message: &[u8],
        digest: &[u8],
        capacity: usize,
    ) -> Result<Vec<u8>, CallbackError> {
        // `cs_signer_new_callback` refuses a NULL function.
        let Some(function) = self.function else {
            return Err(CallbackError::Refused(-1));
        };
        let mut signature = vec![0u8; capacity];
        let mut len = 0usize;
        // SAFETY: the pointers passed are valid for the call: `message` and `digest` for their
        // lengths, `signature` for `capacity` writable bytes, `len` for one write. The function
        // pointer is non-NULL, and the caller promised it follows
        // the documented signature.
        let rc = unsafe {
            function(
                self.userdata,
                algorithm,
                message.as_ptr(),
                message.len(),
                digest.as_ptr(),
                digest.len(),
                signature.as_mut_ptr(),
                capacity,
                &mut len,
            )
        };
        if rc != 0 {
            return Err(CallbackError::Refused(rc));
        }
        if len > capacity {
            return Err(CallbackError::Overflow(len));
        }
        signature.truncate(len);
        Ok(signature)
    }
}

/// Why a C signing callback produced no signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CallbackError {
    /// It returned this non-zero code.
    Refused(i32),
    /// It claimed to write more bytes than it was given room for.
    Overflow(usize),
}
