//! `validateEventFast(body, strict?, maxBodyBytes?, maxDepth?)`, or `validateEventFast(body,
//! options, strict, maxBodyBytes, maxDepth)` for `parseEvent`'s options: `validateEvent` as a
//! raw Node-API callback.
//!
//! napi-rs wraps every generated function that takes arguments in a "native borrow scope"
//! (thread-local bookkeeping) that costs about 90 ns per call, as much as validating a small
//! webhook body. This one hot function is therefore registered by hand: one
//! `napi_get_cb_info`, one `napi_get_typedarray_info`, one call per option given (for
//! `parseEvent`'s options, the members `oneinbox.js` read, each kept only when it is of its
//! type and within the core's rule; anything else answers `undefined`, and `oneinbox.js` has
//! `parseOptions` (`options.rs`) report it), the core's `validate_unlisted`, and `null` back
//! (`true` when the event has members the contract does not list: `oneinbox.js` adds `extra`
//! only then).
//! Options left `undefined` take the core's defaults.
//! It goes through the same panic guard as every export, and its failure path converts the
//! issues with the same function (`issues_to_js`). It is the only `unsafe` code of the binding.
#![allow(unsafe_code)]

use std::ffi::CString;
use std::ptr;

use napi::bindgen_prelude::{Env, Object, ToNapiValue};
use napi::{sys, JsValue};
use napi_derive::napi;
use oneinbox_webhooks::host::{self, HostNumber};
use oneinbox_webhooks::ParseOptions;

use crate::errors::{guard, issues_to_js};

const NAME: &std::ffi::CStr = c"validateEventFast";

/// Adds `validateEventFast` to the addon's exports when it is loaded.
#[napi(module_exports)]
pub fn register_fast_path(exports: Object, env: Env) -> napi::Result<()> {
    let mut function = ptr::null_mut();
    // SAFETY: `env` and `exports` are the live values Node passes to the module initializer;
    // the name is a NUL-terminated static string and the callback has the N-API signature.
    let status = unsafe {
        sys::napi_create_function(
            env.raw(),
            NAME.as_ptr(),
            NAME.to_bytes().len() as isize,
            Some(validate_event_fast),
            ptr::null_mut(),
            &mut function,
        )
    };
    if status != sys::Status::napi_ok {
        return Err(napi::Error::from_reason("cannot create validateEventFast"));
    }
    // SAFETY: as above; `function` was just created in this environment.
    let status =
        unsafe { sys::napi_set_named_property(env.raw(), exports.raw(), NAME.as_ptr(), function) };
    if status != sys::Status::napi_ok {
        return Err(napi::Error::from_reason("cannot export validateEventFast"));
    }
    Ok(())
}

/// Throws a JavaScript error (a `TypeError` when `type_error`) and returns no value.
unsafe fn throw(env: sys::napi_env, type_error: bool, message: &str) -> sys::napi_value {
    let message = CString::new(message.replace('\0', " ")).unwrap_or_default();
    // SAFETY: `env` is the live environment of the current call; the message is a C string.
    unsafe {
        if type_error {
            sys::napi_throw_type_error(env, ptr::null(), message.as_ptr());
        } else {
            sys::napi_throw_error(env, ptr::null(), message.as_ptr());
        }
    }
    ptr::null_mut()
}

/// A boolean argument, or `None` when it is not a boolean (`undefined`).
unsafe fn get_bool(env: sys::napi_env, value: sys::napi_value) -> Option<bool> {
    let mut out = false;
    // SAFETY: `env` and `value` are live for this call; `out` is a valid out-pointer.
    let status = unsafe { sys::napi_get_value_bool(env, value, &mut out) };
    (status == sys::Status::napi_ok).then_some(out)
}

/// A non-negative integer argument (checked by `oneinbox.js`), saturated to `usize`, or `None`
/// when it is not a number (`undefined`).
unsafe fn get_limit(env: sys::napi_env, value: sys::napi_value) -> Option<usize> {
    let mut out = 0f64;
    // SAFETY: `env` and `value` are live for this call; `out` is a valid out-pointer.
    let status = unsafe { sys::napi_get_value_double(env, value, &mut out) };
    // `as` saturates (and maps NaN to 0).
    (status == sys::Status::napi_ok).then_some(out.max(0.0) as usize)
}

/// JavaScript's `undefined`: the fast path's answer for options it does not take as they are.
unsafe fn undefined(env: sys::napi_env) -> sys::napi_value {
    let mut value = ptr::null_mut();
    // SAFETY: `env` is live; `value` is a valid out-pointer.
    unsafe { sys::napi_get_undefined(env, &mut value) };
    value
}

/// What `typeof value` is (N-API's `napi_valuetype`), or `None` when N-API cannot say.
unsafe fn type_of(env: sys::napi_env, value: sys::napi_value) -> Option<sys::napi_valuetype> {
    let mut out = 0;
    // SAFETY: `env` and `value` are live for this call; `out` is a valid out-pointer.
    let status = unsafe { sys::napi_typeof(env, value, &mut out) };
    (status == sys::Status::napi_ok).then_some(out)
}

/// `parseEvent`'s options as `oneinbox.js` hands them over: the options (`options`) and its
/// three members, read there in this order (`strict`, `maxBodyBytes`, `maxDepth`). `Some` when
/// the options are `null` or an object whose members are each absent or of their type and
/// within the core's rule (`host::limit`); `None` for anything else, which `options.rs`
/// (`parseOptions`) then reports with its `TypeError` or `UsageError`.
unsafe fn options_members(env: sys::napi_env, argv: &[sys::napi_value; 5]) -> Option<ParseOptions> {
    use sys::ValueType as T;
    let [_, options, strict, max_body_bytes, max_depth] = *argv;
    let mut opts = ParseOptions::default();
    // SAFETY (every call below): `env` is live and `argv` holds this call's arguments.
    match unsafe { type_of(env, options) }? {
        T::napi_null => return Some(opts),
        T::napi_object => {}
        _ => return None,
    }
    match unsafe { type_of(env, strict) }? {
        T::napi_undefined => {}
        T::napi_boolean => opts.strict = unsafe { get_bool(env, strict) }?,
        _ => return None,
    }
    for (value, field) in [
        (max_body_bytes, &mut opts.max_body_bytes),
        (max_depth, &mut opts.max_depth),
    ] {
        match unsafe { type_of(env, value) }? {
            T::napi_undefined => {}
            T::napi_number => {
                let mut n = 0f64;
                if unsafe { sys::napi_get_value_double(env, value, &mut n) } != sys::Status::napi_ok
                {
                    return None;
                }
                *field = host::limit(HostNumber::Float(n), "").ok()?;
            }
            _ => return None,
        }
    }
    Some(opts)
}

/// `validateEventFast(body: Uint8Array, strict?: boolean, maxBodyBytes?: number,
/// maxDepth?: number): NativeIssue[] | true | null` (`true`: valid, with unlisted members), or `validateEventFast(body, options, strict,
/// maxBodyBytes, maxDepth)` with `parseEvent`'s options and their members, which answers
/// `undefined` for options it does not take as they are (see `options_members`).
unsafe extern "C" fn validate_event_fast(
    env: sys::napi_env,
    info: sys::napi_callback_info,
) -> sys::napi_value {
    let mut argc = 5usize;
    let mut argv = [ptr::null_mut(); 5];
    let (mut kind, mut length, mut data) = (0, 0usize, ptr::null_mut());
    let (mut buffer, mut offset) = (ptr::null_mut(), 0usize);
    // SAFETY: `env` and `info` come from Node for this call; the out-pointers are valid locals
    // and `argv` has room for `argc` values.
    let ok = unsafe {
        sys::napi_get_cb_info(
            env,
            info,
            &mut argc,
            argv.as_mut_ptr(),
            ptr::null_mut(),
            ptr::null_mut(),
        ) == sys::Status::napi_ok
            && argc >= 1
            && sys::napi_get_typedarray_info(
                env,
                argv[0],
                &mut kind,
                &mut length,
                &mut data,
                &mut buffer,
                &mut offset,
            ) == sys::Status::napi_ok
            && kind == sys::TypedarrayType::uint8_array
    };
    if !ok {
        // SAFETY: `env` is live.
        return unsafe { throw(env, true, "validateEventFast expects a Uint8Array") };
    }
    let body: &[u8] = if length == 0 || data.is_null() {
        &[]
    } else {
        // SAFETY: N-API's `data` points at the view's first byte (already adjusted by its
        // offset) and the view holds `length` bytes; the view is an argument of this call, so
        // it stays alive until we return, and this thread's JavaScript is blocked. Another
        // worker could still write a view of a SharedArrayBuffer, so `oneinbox.js` copies such
        // views before calling (see `rawBody`): only unshared memory reaches here.
        unsafe { std::slice::from_raw_parts(data.cast::<u8>(), length) }
    };
    let mut opts = ParseOptions::default();
    if argc == 5 {
        // SAFETY: `env` is live and `argv` holds this call's five arguments.
        match unsafe { options_members(env, &argv) } {
            Some(o) => opts = o,
            // SAFETY: `env` is live.
            None => return unsafe { undefined(env) },
        }
    }
    // SAFETY (the three positional reads): `env` is live and `argv` holds values (N-API fills
    // the arguments not passed with `undefined`).
    if (2..5).contains(&argc) {
        opts.strict = unsafe { get_bool(env, argv[1]) }.unwrap_or(opts.strict);
    }
    if (3..5).contains(&argc) {
        opts.max_body_bytes = unsafe { get_limit(env, argv[2]) }.unwrap_or(opts.max_body_bytes);
    }
    if argc == 4 {
        opts.max_depth = unsafe { get_limit(env, argv[3]) }.unwrap_or(opts.max_depth);
    }
    let verdict = guard(|| Ok(opts.validate_unlisted(body)));
    let mut result = ptr::null_mut();
    match verdict {
        // SAFETY: `env` is live; `result` is a valid out-pointer.
        Ok(Ok(false)) => unsafe {
            sys::napi_get_null(env, &mut result);
        },
        // SAFETY: `env` is live; `result` is a valid out-pointer.
        Ok(Ok(true)) => unsafe {
            sys::napi_get_boolean(env, true, &mut result);
        },
        // SAFETY: `env` is live; the conversion builds plain objects in it.
        Ok(Err(err)) => {
            match unsafe { ToNapiValue::to_napi_value(env, issues_to_js(err.into_issues())) } {
                Ok(v) => result = v,
                // SAFETY: `env` is live.
                Err(e) => return unsafe { throw(env, false, &e.reason) },
            }
        }
        // SAFETY: `env` is live.
        Err(e) => return unsafe { throw(env, false, &e.reason) },
    }
    result
}
