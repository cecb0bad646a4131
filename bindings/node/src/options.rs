//! The options objects of `parseEvent` and `new Receiver`, converted and checked here (as the
//! Python binding's `args.rs` does), so that `oneinbox.js` restates none of their rules.
//!
//! The structs below are the options as JavaScript passes them; napi-rs writes their types into
//! `index.d.ts` and `oneinbox.d.ts` reuses them. They are read by hand rather than by napi's
//! derived conversion, which would ignore unknown members and throw a plain `Error` for a wrong
//! type: here a wrong type is a `TypeError` named the way the rest of the package names one, a
//! number that breaks the core's rule (`host`) and an unknown member of a `Receiver`'s options
//! are the issues of a `UsageError` (every rule issue of one object together), and a secret
//! keeps its UTF-16 text so that a lone surrogate is refused instead of becoming U+FFFD.

use napi::bindgen_prelude::{
    Either, Env, Function, JsObjectValue, JsValue, Object, Status, Unknown, ValueType,
};
use napi_derive::napi;
use oneinbox_webhooks::host::{self, HostNumber};
use oneinbox_webhooks::{Issue, IssueCode};

use crate::errors::{guard, issues_to_js, NativeIssue};

/// Options of `parseEvent` (and the parsing options of `Receiver`).
#[napi(object, object_to_js = false, object_from_js = false)]
pub struct ParseOptions {
    /// Strict mode, for contract tests: every documented field required, formats checked.
    /// Default `false`.
    pub strict: Option<bool>,
    /// Bodies longer than this many bytes are rejected with `too_large` before parsing.
    /// Default 1 MiB; `Infinity`: no limit.
    pub max_body_bytes: Option<f64>,
    /// Arrays/objects nested deeper than this are rejected with `too_deep`. Default 64.
    pub max_depth: Option<f64>,
}

/// Options of `Receiver`; unknown names are refused. Secrets may also be `Secret` instances
/// (`oneinbox.d.ts` says so).
#[napi(object, object_to_js = false, object_from_js = false)]
pub struct ReceiverOptions {
    /// Require a `token` query parameter equal to one of these.
    pub url_tokens: Option<Either<String, Vec<String>>>,
    /// Require a Standard Webhooks signature by one of these `whsec_` secrets.
    pub signing_secrets: Option<Either<String, Vec<String>>>,
    /// Seconds of clock difference a signature may have, default 300.
    pub tolerance: Option<f64>,
    /// As in `ParseOptions`.
    pub strict: Option<bool>,
    /// As in `ParseOptions`.
    pub max_body_bytes: Option<f64>,
    /// As in `ParseOptions`.
    pub max_depth: Option<f64>,
    /// Accept every delivery, from anyone, when neither `urlTokens` nor `signingSecrets` is given
    /// (one warning is logged). Without it such a receiver is a `UsageError`: it fails closed.
    pub allow_unauthenticated: Option<bool>,
}

/// The member names of `ReceiverOptions`, in the order the unknown-member message lists them.
const RECEIVER_MEMBERS: [&str; 7] = [
    "urlTokens",
    "signingSecrets",
    "tolerance",
    "strict",
    "maxBodyBytes",
    "maxDepth",
    "allowUnauthenticated",
];

/// Parse options after their checks, with the defaults filled in.
#[napi(object, js_name = "NativeParseLimits")]
pub struct NativeParseLimits {
    /// Strict mode.
    pub strict: bool,
    /// The size limit in bytes (`usize::MAX`, beyond every safe integer, for no limit).
    pub max_body_bytes: f64,
    /// The nesting limit.
    pub max_depth: f64,
}

impl NativeParseLimits {
    /// The core's options.
    pub fn core(&self) -> oneinbox_webhooks::ParseOptions {
        oneinbox_webhooks::ParseOptions {
            strict: self.strict,
            max_body_bytes: self.max_body_bytes as usize,
            max_depth: self.max_depth as usize,
        }
    }
}

/// A `Receiver`'s checked options (the secrets as text; a `null` or `undefined` item, an unset
/// environment variable, is `None`, which the core reports at its index).
pub struct CheckedReceiver {
    /// The URL tokens, when given.
    pub url_tokens: Option<Vec<Option<String>>>,
    /// The signing secrets, when given.
    pub signing_secrets: Option<Vec<Option<String>>>,
    /// Whether a receiver without secrets is allowed (`allowUnauthenticated`).
    pub allow_unauthenticated: bool,
    /// The tolerance in seconds.
    pub tolerance: u64,
    /// The parse options.
    pub parse: NativeParseLimits,
}

/// Throws a `TypeError` with `message`; the returned error leaves it pending.
pub fn type_error(env: &Env, message: String) -> napi::Error {
    match env.throw_type_error(&message, None) {
        Ok(()) => napi::Error::new(Status::PendingException, message),
        Err(e) => e,
    }
}

/// What `typeof value` says.
fn type_of(value: &Unknown) -> napi::Result<&'static str> {
    Ok(match value.get_type()? {
        ValueType::Undefined => "undefined",
        ValueType::Boolean => "boolean",
        ValueType::Number => "number",
        ValueType::String => "string",
        ValueType::Symbol => "symbol",
        ValueType::Function => "function",
        // Without napi6, N-API's `napi_bigint` is the one type napi-rs does not name.
        ValueType::Unknown => "bigint",
        _ => "object",
    })
}

/// How a wrong argument is named in a TypeError message, as `internal.js`'s `describeType`:
/// `null`, `an array`, `an object (Map)`, or what `typeof` says.
pub fn describe_type(value: &Unknown) -> napi::Result<String> {
    let kind = value.get_type()?;
    if kind == ValueType::Null {
        return Ok("null".to_owned());
    }
    let typeof_name = type_of(value)?;
    if typeof_name != "object" {
        return Ok(typeof_name.to_owned());
    }
    if value.is_array()? {
        return Ok("an array".to_owned());
    }
    // `v.constructor?.name ?? 'Object'`
    let object = value.coerce_to_object()?;
    let constructor: Unknown = object.get_named_property("constructor")?;
    let name = if is_nullish(&constructor)? {
        None
    } else {
        let name: Unknown = constructor.coerce_to_object()?.get_named_property("name")?;
        if is_nullish(&name)? {
            None
        } else {
            Some(name.coerce_to_string()?.into_utf8()?.as_str()?.to_owned())
        }
    };
    Ok(format!(
        "an object ({})",
        name.as_deref().unwrap_or("Object")
    ))
}

/// A string's UTF-16 code units, lone surrogates kept.
fn utf16(value: &Unknown) -> napi::Result<Vec<u16>> {
    let text = value.coerce_to_string()?.into_utf16()?;
    // napi-rs's buffer ends with the NUL it asked N-API to write.
    Ok(text
        .as_slice()
        .split_last()
        .map_or_else(Vec::new, |(_, units)| units.to_vec()))
}

fn is_nullish(value: &Unknown) -> napi::Result<bool> {
    Ok(matches!(
        value.get_type()?,
        ValueType::Undefined | ValueType::Null
    ))
}

/// A plain object: not an array, its prototype `Object.prototype` or `null`.
fn is_plain_object(env: &Env, value: &Unknown) -> napi::Result<bool> {
    if value.get_type()? != ValueType::Object || value.is_array()? {
        return Ok(false);
    }
    let prototype = value.coerce_to_object()?.get_prototype()?;
    if prototype.get_type()? == ValueType::Null {
        return Ok(true);
    }
    // `Object` is a function: read as a value, then as the object it is.
    let object: Unknown = env.get_global()?.get_named_property("Object")?;
    let object_prototype: Unknown = object.coerce_to_object()?.get_named_property("prototype")?;
    env.strict_equals(prototype, object_prototype)
}

/// `JSON.stringify` of a string given as UTF-16 (a lone surrogate as its `\u` escape).
fn json_quote(units: &[u16]) -> String {
    let mut out = String::from("\"");
    for c in char::decode_utf16(units.iter().copied()) {
        match c {
            Ok('"') => out.push_str("\\\""),
            Ok('\\') => out.push_str("\\\\"),
            Ok('\u{8}') => out.push_str("\\b"),
            Ok('\u{c}') => out.push_str("\\f"),
            Ok('\n') => out.push_str("\\n"),
            Ok('\r') => out.push_str("\\r"),
            Ok('\t') => out.push_str("\\t"),
            Ok(c) if c < ' ' => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            Ok(c) => out.push(c),
            Err(e) => out.push_str(&format!("\\u{:04x}", e.unpaired_surrogate())),
        }
    }
    out.push('"');
    out
}

/// A number option: `None` when absent (`undefined`, or `null` where `null_is_absent`), a
/// `TypeError` named `what` for another type.
fn number(
    env: &Env,
    object: &Object,
    key: &str,
    what: &str,
    null_is_absent: bool,
) -> napi::Result<Option<f64>> {
    let value: Unknown = object.get_named_property(key)?;
    match value.get_type()? {
        ValueType::Undefined => Ok(None),
        ValueType::Null if null_is_absent => Ok(None),
        ValueType::Number => Ok(Some(value.coerce_to_number()?.get_double()?)),
        _ => Err(type_error(
            env,
            format!("{what} must be a number, got {}", describe_type(&value)?),
        )),
    }
}

/// The parse members of `object` (`strict`, `maxBodyBytes`, `maxDepth`), read in that order:
/// a wrong type is a `TypeError` at once, rule issues are collected.
fn parse_members(
    env: &Env,
    object: &Object,
    issues: &mut Vec<Issue>,
) -> napi::Result<NativeParseLimits> {
    let strict: Unknown = object.get_named_property("strict")?;
    let strict = match strict.get_type()? {
        ValueType::Undefined => false,
        ValueType::Boolean => strict.coerce_to_bool()?,
        _ => {
            return Err(type_error(
                env,
                format!(
                    "options.strict must be a boolean, got {}",
                    type_of(&strict)?
                ),
            ))
        }
    };
    let mut limit = |key: &str, default: usize| -> napi::Result<f64> {
        Ok(
            match number(env, object, key, &format!("options.{key}"), false)? {
                None => default as f64,
                Some(n) => match host::limit(HostNumber::Float(n), key) {
                    Ok(v) => v as f64,
                    Err(issue) => {
                        issues.push(issue);
                        default as f64
                    }
                },
            },
        )
    };
    let max_body_bytes = limit("maxBodyBytes", oneinbox_webhooks::DEFAULT_MAX_BODY_BYTES)?;
    let max_depth = limit("maxDepth", oneinbox_webhooks::DEFAULT_MAX_DEPTH)?;
    Ok(NativeParseLimits {
        strict,
        max_body_bytes,
        max_depth,
    })
}

/// `parseEvent`'s options: `undefined` or `null` for the defaults, else an object (any object:
/// its other members are not looked at). The checked options, or the `UsageError`'s issues.
pub fn parse_options(
    env: &Env,
    options: &Unknown,
) -> napi::Result<Either<NativeParseLimits, Vec<Issue>>> {
    let mut issues = Vec::new();
    let limits = if is_nullish(options)? {
        NativeParseLimits {
            strict: false,
            max_body_bytes: oneinbox_webhooks::DEFAULT_MAX_BODY_BYTES as f64,
            max_depth: oneinbox_webhooks::DEFAULT_MAX_DEPTH as f64,
        }
    } else if type_of(options)? != "object" {
        return Err(type_error(
            env,
            format!("options must be an object, got {}", describe_type(options)?),
        ));
    } else {
        parse_members(env, &options.coerce_to_object()?, &mut issues)?
    };
    Ok(if issues.is_empty() {
        Either::A(limits)
    } else {
        Either::B(issues)
    })
}

/// A secret option (`name`): a string or a `Secret` (an instance of `secret_class`, read with
/// its `reveal()`), or an array of them. A `null` or `undefined` item of an array (an unset
/// environment variable, or a hole) is `None`: the core reports it at its index. A lone surrogate
/// in a string is the `UsageError`'s issue; the text is never quoted.
fn secret_list(
    env: &Env,
    value: &Unknown,
    name: &str,
    secret_class: &Function<(), String>,
) -> napi::Result<Either<Vec<Option<String>>, Issue>> {
    let is_array = value.is_array()?;
    let items: Vec<Unknown> = if is_array {
        let array = value.coerce_to_object()?;
        (0..array.get_array_length()?)
            .map(|i| array.get_element::<Unknown>(i))
            .collect::<napi::Result<_>>()?
    } else {
        vec![*value]
    };
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        match item.get_type()? {
            ValueType::Undefined | ValueType::Null if is_array => out.push(None),
            ValueType::String => match String::from_utf16(&utf16(item)?) {
                Ok(text) => out.push(Some(text)),
                Err(_) => {
                    let path = if is_array {
                        format!("/{name}/{i}")
                    } else {
                        format!("/{name}")
                    };
                    return Ok(Either::B(Issue::new(
                        IssueCode::InvalidValue,
                        path,
                        format!("{name} holds a lone UTF-16 surrogate, which is not text"),
                    )));
                }
            },
            ValueType::Object if item.instanceof(secret_class.clone())? => {
                let object = item.coerce_to_object()?;
                let reveal: Function<(), String> = object.get_named_property("reveal")?;
                out.push(Some(reveal.apply(object, ())?));
            }
            _ => {
                let at = if is_array {
                    format!("[{i}]")
                } else {
                    String::new()
                };
                return Err(type_error(
                    env,
                    format!(
                        "{name}{at} must be a string or a Secret, got {}",
                        describe_type(item)?
                    ),
                ));
            }
        }
    }
    Ok(Either::A(out))
}

/// `new Receiver(options)`'s options: `undefined`, `null` or a plain object of the members of
/// `ReceiverOptions`. The checked options, or the `UsageError`'s issues: every unknown member
/// first (at its JSON Pointer), then a secret's lone surrogate or the tolerance's rule, then the
/// limits' rules, as `oneinbox.js` checked them before.
pub fn receiver_options(
    env: &Env,
    options: &Unknown,
    secret_class: &Function<(), String>,
) -> napi::Result<Either<CheckedReceiver, Vec<Issue>>> {
    let what = "new Receiver(options)";
    let object = if is_nullish(options)? {
        Object::new(env)?
    } else if is_plain_object(env, options)? {
        options.coerce_to_object()?
    } else {
        return Err(type_error(
            env,
            format!(
                "{what} must be a plain object, got {}",
                describe_type(options)?
            ),
        ));
    };
    let names = object.get_property_names()?;
    let mut issues = Vec::new();
    for i in 0..names.get_array_length()? {
        let key = utf16(&names.get_element::<Unknown>(i)?)?;
        let text = String::from_utf16_lossy(&key);
        if !RECEIVER_MEMBERS.contains(&text.as_str()) {
            let mut path = String::new();
            host::push_pointer_token(&mut path, &text);
            let shown = json_quote(key.get(..40).unwrap_or(&key));
            issues.push(Issue::new(
                IssueCode::UnknownField,
                path,
                format!(
                    "{what} has no member {shown}; expected one of {}",
                    RECEIVER_MEMBERS.join(", ")
                ),
            ));
        }
    }
    if !issues.is_empty() {
        return Ok(Either::B(issues));
    }
    let secrets = |key: &str| -> napi::Result<Either<Option<Vec<Option<String>>>, Issue>> {
        let value: Unknown = object.get_named_property(key)?;
        // `null`, as Python's `None`, is the option not given.
        if is_nullish(&value)? {
            return Ok(Either::A(None));
        }
        Ok(match secret_list(env, &value, key, secret_class)? {
            Either::A(list) => Either::A(Some(list)),
            Either::B(issue) => Either::B(issue),
        })
    };
    let url_tokens = match secrets("urlTokens")? {
        Either::A(list) => list,
        Either::B(issue) => return Ok(Either::B(vec![issue])),
    };
    let signing_secrets = match secrets("signingSecrets")? {
        Either::A(list) => list,
        Either::B(issue) => return Ok(Either::B(vec![issue])),
    };
    let tolerance = match number(env, &object, "tolerance", "tolerance", true)? {
        None => oneinbox_webhooks::auth::DEFAULT_TOLERANCE_SECONDS,
        Some(n) => match host::seconds(HostNumber::Float(n), "tolerance") {
            Ok(v) => v,
            Err(issue) => return Ok(Either::B(vec![issue])),
        },
    };
    let allow: Unknown = object.get_named_property("allowUnauthenticated")?;
    let allow_unauthenticated = match allow.get_type()? {
        ValueType::Undefined | ValueType::Null => false,
        ValueType::Boolean => allow.coerce_to_bool()?,
        _ => {
            return Err(type_error(
                env,
                format!(
                    "{what}: allowUnauthenticated must be a boolean, got {}",
                    describe_type(&allow)?
                ),
            ))
        }
    };
    let parse = parse_members(env, &object, &mut issues)?;
    Ok(if issues.is_empty() {
        Either::A(CheckedReceiver {
            url_tokens,
            signing_secrets,
            allow_unauthenticated,
            tolerance,
            parse,
        })
    } else {
        Either::B(issues)
    })
}

/// `parseEvent`'s options (`undefined` or `null` for the defaults) converted and checked: the
/// limits to validate with, or the `UsageError`'s issues (the core's rule for each limit). A
/// wrong type throws `TypeError`.
#[napi(js_name = "parseOptions", ts_args_type = "options: unknown")]
pub fn parse_options_js(
    env: Env,
    options: Unknown,
) -> napi::Result<Either<NativeParseLimits, Vec<NativeIssue>>> {
    guard(|| {
        Ok(match parse_options(&env, &options)? {
            Either::A(limits) => Either::A(limits),
            Either::B(issues) => Either::B(issues_to_js(issues)),
        })
    })
}
