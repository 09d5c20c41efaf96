//! Typed handles, in the spirit of rustls-ffi's `Castable`: each opaque C type says what it
//! is called in messages and how C holds it, and the few functions here are the only code
//! that turns a handle pointer into a reference or a `Box` and back.
//!
//! The C type is the Rust struct itself: cbindgen emits a struct without `#[repr(C)]` as an
//! opaque declaration, so C never sees a field and the cast is the identity.

use crate::error::Error;

/// How C holds an object. Every object is made by its constructor with `Box::into_raw` and
/// freed once by its `_free` (which takes NULL); the kinds differ in how calls borrow it.
pub(crate) trait Ownership {}

/// Calls take `const T *` and borrow it shared; a type documented thread-safe is `Sync`.
pub(crate) enum Shared {}

/// Setters take `T *` and borrow it exclusively: one thread at a time (`x_config`).
pub(crate) enum Exclusive {}

/// Lent to a callback for the callback's duration: C never makes or frees it
/// (`x_plan_progress`).
pub(crate) enum Lent {}

impl Ownership for Shared {}
impl Ownership for Exclusive {}
impl Ownership for Lent {}

/// An opaque C type.
pub(crate) trait Castable: Sized {
    /// Its argument name in "... is NULL" messages.
    const NAME: &'static str;
    /// How C holds it.
    type Ownership: Ownership;
}

/// Declares the [`Castable`] impls: `C type => "name", ownership`.
macro_rules! castable {
    ($($t:ty => $name:literal, $own:ident;)*) => {
        $(impl $crate::ffi::handle::Castable for $t {
            const NAME: &'static str = $name;
            type Ownership = $crate::ffi::handle::$own;
        })*
    };
}
pub(crate) use castable;

/// Borrows a handle; NULL is an invalid argument ("client is NULL").
///
/// # Safety
/// `p` is NULL or came from this library's constructor of `T` and has not been freed.
pub(crate) unsafe fn try_ref<'a, T: Castable>(p: *const T) -> Result<&'a T, Error> {
    // SAFETY: per this function's contract a non-NULL `p` is a live Box<T> of ours.
    unsafe { opt_ref(p) }.ok_or_else(|| Error::invalid_argument(format!("{} is NULL", T::NAME)))
}

/// Borrows a handle, NULL as `None` (accessors answer a default for NULL).
///
/// # Safety
/// As [`try_ref`].
pub(crate) unsafe fn opt_ref<'a, T: Castable>(p: *const T) -> Option<&'a T> {
    // SAFETY: a non-NULL `p` points to a live, aligned T made by `to_raw`.
    unsafe { p.as_ref() }
}

/// Borrows a handle exclusively; NULL is an invalid argument.
///
/// # Safety
/// As [`try_ref`], and no other call uses `p` meanwhile (the type is single-threaded).
pub(crate) unsafe fn try_mut<'a, T: Castable<Ownership = Exclusive>>(
    p: *mut T,
) -> Result<&'a mut T, Error> {
    // SAFETY: a live T of ours; the caller keeps every other use of it off this call.
    unsafe { p.as_mut() }.ok_or_else(|| Error::invalid_argument(format!("{} is NULL", T::NAME)))
}

/// A new handle owning `v`, for C to free once with the type's `_free`.
pub(crate) fn to_raw<T: Castable>(v: T) -> *mut T {
    Box::into_raw(Box::new(v))
}

/// Frees a handle made by [`to_raw`]. NULL is accepted.
///
/// # Safety
/// `p` is NULL or came from [`to_raw`] and is freed only this once, with no call using it.
pub(crate) unsafe fn free_raw<T: Castable>(p: *mut T) {
    if !p.is_null() {
        // SAFETY: `p` came from Box::into_raw in `to_raw` and C gives it back once.
        drop(unsafe { Box::from_raw(p) });
    }
}

#[cfg(test)]
mod tests {
    const HEADER: &str = include_str!(concat!(env!("OUT_DIR"), "/xfollow.h"));

    /// The preamble's list of opaque types is every opaque type of the header.
    #[test]
    fn the_preamble_lists_every_opaque_type() {
        let mut declared: Vec<&str> = HEADER
            .lines()
            .filter_map(|l| l.strip_prefix("typedef struct "))
            .filter_map(|l| l.split_once(' ').map(|(name, _)| name))
            .collect();
        declared.sort_unstable();
        let preamble = &HEADER[..HEADER.find("#ifndef").unwrap()];
        let start = preamble.find("The types (listed by build.rs").unwrap();
        let listed: Vec<&str> = preamble[start..]
            .lines()
            .skip(1)
            .map_while(|l| l.strip_prefix(" *     "))
            .map(|l| l.split([' ', ':']).next().unwrap())
            .collect();
        assert_eq!(declared.len(), 14);
        assert_eq!(listed, declared);
    }
}
