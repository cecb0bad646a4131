//! The management API: `Api`, `PreparedRequest` and the response classes (`Webhook`,
//! `Secret`, `Delivery`, `DeliveryPage`, `Call`, `CallPage`), thin wrappers over the core's sans-I/O
//! `management` module. Nothing here sends a request: the caller sends `PreparedRequest` with
//! any HTTP client and hands the status and body back to `parse_response`.

use std::time::{Duration, SystemTime};

use oneinbox_webhooks::host::{self, HostNumber};
use oneinbox_webhooks::management::{self as m, contract, AnyPrepared, AnyResponse};
use oneinbox_webhooks::{Issue as CoreIssue, IssueCode, UsageError};
use pyo3::exceptions::PyTypeError;
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyBytes, PyDict, PyList, PyString, PyTuple};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::args::{json_object, one, Headers, Int};
use crate::errors::{guard, short_repr, to_py_err};
use crate::events::{value_to_py, with_body_of};
use crate::secret::Secret;

/// A value of any documented type as its Python form (via its wire JSON).
fn to_py<'py, T: Serialize>(py: Python<'py>, v: &T) -> PyResult<Bound<'py, PyAny>> {
    let value = serde_json::to_value(v).map_err(|e| {
        PyTypeError::new_err(format!("oneinbox_webhooks: cannot convert a value: {e}"))
    })?;
    value_to_py(py, &value)
}

/// `repr()` of a response object: the class name and its documented members that have a
/// value, each cut to a bounded length. `Webhook` shows its secret as `Secret('[redacted]')`;
/// unknown members are left out (they could hold anything).
fn record_repr<T: Serialize>(
    py: Python<'_>,
    class: &str,
    v: &T,
    documented: &[&str],
) -> PyResult<String> {
    let value = serde_json::to_value(v).unwrap_or(Value::Null);
    let mut parts = Vec::new();
    for name in documented {
        match value.get(*name) {
            None | Some(Value::Null) => {}
            Some(_) if *name == "secret" => parts.push("secret=Secret('[redacted]')".to_owned()),
            Some(field) => {
                // Secret URL tokens in URLs never reach a repr.
                let field = match field {
                    Value::String(s) => Value::String(oneinbox_webhooks::auth::redact_url_token(s)),
                    other => other.clone(),
                };
                let shown = short_repr(&value_to_py(py, &field)?)?;
                parts.push(format!("{name}={shown}"));
            }
        }
    }
    Ok(format!("{class}({})", parts.join(", ")))
}

/// Defines a frozen response class over a core struct: one read-only attribute per listed
/// documented member (wire name, `None` when absent), `extra` (unknown members, in order),
/// `to_dict()` (the wire form, unknown members included), `__repr__` and `__eq__`. `$more`
/// adds methods (attributes whose Python value is not the plain JSON form).
macro_rules! record {
    (
        $(#[$doc:meta])* $py:ident($core:ty) {
            $($attr:ident => $field:ident),* $(,)?
        }
        documented = [$($wire:literal),* $(,)?];
        $($more:tt)*
    ) => {
        $(#[$doc])*
        #[pyclass(module = "oneinbox_webhooks", frozen)]
        pub struct $py {
            pub(crate) inner: $core,
        }

        #[pymethods]
        impl $py {
            $(
                #[getter]
                #[allow(clippy::wrong_self_convention)]
                fn $attr<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
                    guard(py, || to_py(py, &self.inner.$field))
                }
            )*

            /// Members this version does not know, in the order received.
            #[getter]
            fn extra<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
                guard(py, || to_py(py, &self.inner.extra))
            }

            /// The wire form: documented members that have a value, then unknown members.
            fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
                guard(py, || to_py(py, &self.inner))
            }

            fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
                guard(py, || record_repr(py, stringify!($py), &self.inner, &[$($wire),*]))
            }

            fn __eq__(&self, py: Python<'_>, other: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
                guard(py, || {
                    Ok(match other.cast::<$py>() {
                        Ok(o) => PyBool::new(py, self.inner == o.get().inner)
                            .to_owned()
                            .into_any()
                            .unbind(),
                        Err(_) => py.NotImplemented(),
                    })
                })
            }

            $($more)*
        }
    };
}

record! {
    /// A webhook as the API returns it. `secret` is a `Secret` (redacted in `repr`), or `None`
    /// when the response has none; `status` is `"active"`, `"inactive"` (also for the API's
    /// `"disabled"`) or any other value as sent.
    Webhook(m::Webhook) {
        id => id,
        name => name,
        url => url,
        events => events,
        status => status,
        created_at => created_at,
        updated_at => updated_at,
    }
    documented = ["id", "name", "url", "events", "status", "secret", "created_at", "updated_at"];

    /// The signing secret, wrapped so that it never shows in a `repr` or a log line; call
    /// `.expose()` for the string.
    #[getter]
    fn secret(&self, py: Python<'_>) -> PyResult<Option<Secret>> {
        guard(py, || Ok(self.inner.secret.clone().map(|inner| Secret { inner })))
    }
}

record! {
    /// One delivery attempt of a webhook.
    Delivery(m::Delivery) {
        id => id,
        webhook_id => webhook_id,
        event => event,
        status => status,
        attempt => attempt,
        response_status => response_status,
        response_body => response_body,
        error => error,
        next_retry_at => next_retry_at,
        completed_at => completed_at,
        created_at => created_at,
    }
    documented = ["id", "webhook_id", "event", "status", "attempt", "response_status",
        "error", "next_retry_at", "completed_at", "created_at"];
}

record! {
    /// One page of a webhook's deliveries; `PreparedRequest.next_page(page)` asks for the next.
    DeliveryPage(m::DeliveryPage) {
        total => total,
        limit => limit,
        offset => offset,
    }
    documented = ["total", "limit", "offset"];

    /// The deliveries on this page.
    #[getter]
    fn items<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        guard(py, || {
            let items = self
                .inner
                .items
                .iter()
                .map(|d| Bound::new(py, Delivery { inner: d.clone() }))
                .collect::<PyResult<Vec<_>>>()?;
            PyList::new(py, items)
        })
    }
}

record! {
    /// A call as the API returns it (`type` is the wire name of the call type).
    Call(m::Call) {
        id => id,
        agent_id => agent_id,
        r#type => call_type,
        status => status,
        direction => direction,
        from_number => from_number,
        to_number => to_number,
        room_name => room_name,
        scheduled_at => scheduled_at,
        variables => variables,
        started_at => started_at,
        ended_at => ended_at,
        duration_seconds => duration_seconds,
        end_reason => end_reason,
        transcript => transcript,
        messages => messages,
        recording_url => recording_url,
        analysis => analysis,
        latency => latency,
        cost_cents => cost_cents,
        metadata => metadata,
        created_at => created_at,
        updated_at => updated_at,
        twilio_call_sid => twilio_call_sid,
        outcome => outcome,
        ai_summary => ai_summary,
        credits_used => credits_used,
    }
    documented = ["id", "agent_id", "type", "status", "direction", "from_number", "to_number",
        "created_at"];

    /// Reads a call from its JSON (`str` or `bytes`), as `GET /v1/calls/{id}` returns it:
    /// only `id` is required, unknown members are kept in `extra`. Raises `ValidationError`.
    #[staticmethod]
    fn from_json(py: Python<'_>, data: &Bound<'_, PyAny>) -> PyResult<Call> {
        guard(py, || {
            let inner = with_body_of(py, "Call.from_json", data, m::Call::from_json)?
                .map_err(|e| to_py_err(py, e))?;
            Ok(Call { inner })
        })
    }

    /// The JSON form: the members that have a value, then `extra`.
    fn to_json(&self, py: Python<'_>) -> PyResult<String> {
        guard(py, || Ok(self.inner.to_json()))
    }
}

record! {
    /// One page of the account's calls; `PreparedRequest.next_page(page)` asks for the next.
    CallPage(m::CallPage) {
        total => total,
        limit => limit,
        offset => offset,
    }
    documented = ["total", "limit", "offset"];

    /// The calls on this page.
    #[getter]
    fn items<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        guard(py, || {
            let items = self
                .inner
                .items
                .iter()
                .map(|c| Bound::new(py, Call { inner: c.clone() }))
                .collect::<PyResult<Vec<_>>>()?;
            PyList::new(py, items)
        })
    }
}

/// A request ready to send with any HTTP client (`method`, `url`, `headers`, `body`), and the
/// parser of its response (`parse_response`). `headers` carries the API key in
/// `Authorization`; `repr()` does not.
#[pyclass(module = "oneinbox_webhooks", frozen)]
pub struct PreparedRequest {
    inner: AnyPrepared,
}

impl PreparedRequest {
    fn request(&self) -> &m::HttpRequest {
        self.inner.request()
    }

    fn retry_policy(&self) -> m::Retry {
        self.inner.retry()
    }
}

fn status_code(py: Python<'_>, status: Int) -> PyResult<u16> {
    one(py, host::http_status(status.0, "status"))
}

#[pymethods]
impl PreparedRequest {
    /// `"GET"`, `"POST"`, `"PATCH"` or `"DELETE"`.
    #[getter]
    fn method(&self, py: Python<'_>) -> PyResult<&'static str> {
        guard(py, || Ok(self.request().method.as_str()))
    }

    /// The absolute URL (ids percent-encoded).
    #[getter]
    fn url(&self, py: Python<'_>) -> PyResult<String> {
        guard(py, || Ok(self.request().url.clone()))
    }

    /// The headers to send (a new dict each time), `Authorization` included.
    #[getter]
    fn headers<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        guard(py, || {
            let d = PyDict::new(py);
            for (name, value) in &self.request().headers {
                d.set_item(name, value)?;
            }
            Ok(d)
        })
    }

    /// How this request may be retried: `"idempotent"` (after 408, 429, 5xx or a lost
    /// connection), or `"creates_webhook"` / `"creates_call"` / `"sends_test_delivery"` (only
    /// after 429 or 503: after any other failure the webhook or call may exist, or a test
    /// delivery may have gone out, and sending again could make a second).
    #[getter]
    fn retry(&self, py: Python<'_>) -> PyResult<&'static str> {
        guard(py, || Ok(self.retry_policy().as_str()))
    }

    /// The JSON body, or `None` for requests without one.
    #[getter]
    fn body<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyBytes>>> {
        guard(py, || {
            Ok(self.request().body.as_deref().map(|b| PyBytes::new(py, b)))
        })
    }

    /// Reads the response to this request: a `Webhook`, `list[Webhook]`, `DeliveryPage`,
    /// `Call`, `CallPage` or `None` (delete, test) for a 2xx status; raises `ApiError` for any other
    /// status and `ValidationError` for a 2xx body that does not match.
    fn parse_response<'py>(
        &self,
        py: Python<'py>,
        status: Int,
        body: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        guard(py, || {
            let status = status_code(py, status)?;
            with_body_of(py, "parse_response", body, |bytes| {
                let response = self
                    .inner
                    .parse_response(status, bytes)
                    .map_err(|e| to_py_err(py, e))?;
                Ok(match response {
                    AnyResponse::Webhook(inner) => Bound::new(py, Webhook { inner })?.into_any(),
                    AnyResponse::Webhooks(hooks) => {
                        let hooks = hooks
                            .into_iter()
                            .map(|inner| Bound::new(py, Webhook { inner }))
                            .collect::<PyResult<Vec<_>>>()?;
                        PyList::new(py, hooks)?.into_any()
                    }
                    AnyResponse::Nothing => py.None().into_bound(py),
                    AnyResponse::Deliveries(inner) => {
                        Bound::new(py, DeliveryPage { inner })?.into_any()
                    }
                    AnyResponse::Call(inner) => Bound::new(py, Call { inner })?.into_any(),
                    AnyResponse::Calls(inner) => Bound::new(py, CallPage { inner })?.into_any(),
                })
            })?
        })
    }

    /// After attempt number `attempt` (0 for the first) was answered with a non-2xx `status`
    /// (and these `headers`, for `Retry-After`, read at `now`, Unix seconds, default the
    /// clock): wait and send again, or give up. `draw` is a random number in [0, 1].
    #[pyo3(signature = (attempt, max_retries, status, headers, draw, *, now = None))]
    #[allow(clippy::too_many_arguments)] // the Python signature, one argument each
    fn after_status(
        &self,
        py: Python<'_>,
        attempt: Int,
        max_retries: Int,
        status: Int,
        headers: Headers,
        draw: f64,
        now: Option<f64>,
    ) -> PyResult<RetryStep> {
        guard(py, || {
            let attempt = count(py, attempt, "attempt")?;
            let max_retries = count(py, max_retries, "max_retries")?;
            let status = status_code(py, status)?;
            let retry_after = m::retry_after(&headers.0, now_or_clock(py, now)?);
            let outcome = m::Outcome::Status {
                status,
                retry_after,
            };
            Ok(self
                .inner
                .next_step(attempt, max_retries, outcome, draw)
                .into())
        })
    }

    /// After attempt number `attempt` (0 for the first) got no answer: `sent` is `False` when
    /// the connection could not be opened (nothing was sent), `True` when it was lost or timed
    /// out after the request may have been sent; `cause` describes it for the message.
    #[pyo3(signature = (attempt, max_retries, *, sent, cause, draw))]
    fn after_failure(
        &self,
        py: Python<'_>,
        attempt: Int,
        max_retries: Int,
        sent: bool,
        cause: &str,
        draw: f64,
    ) -> PyResult<RetryStep> {
        guard(py, || {
            let attempt = count(py, attempt, "attempt")?;
            let max_retries = count(py, max_retries, "max_retries")?;
            let outcome = if sent {
                m::Outcome::Lost { cause }
            } else {
                m::Outcome::NotConnected { cause }
            };
            Ok(self
                .inner
                .next_step(attempt, max_retries, outcome, draw)
                .into())
        })
    }

    /// For a `list_deliveries` or `list_calls` request: the request for the page after
    /// `page` (a `DeliveryPage` or `CallPage` it returned), or `None` when `page` is the last.
    /// Any other request or page raises `TypeError`.
    fn next_page(
        &self,
        py: Python<'_>,
        page: &Bound<'_, PyAny>,
    ) -> PyResult<Option<PreparedRequest>> {
        guard(py, || {
            let next = if let Ok(p) = page.cast::<DeliveryPage>() {
                self.inner.next_page(&p.get().inner)
            } else if let Ok(p) = page.cast::<CallPage>() {
                self.inner.next_calls_page(&p.get().inner)
            } else {
                Err(())
            };
            match next {
                Ok(next) => Ok(next.map(|inner| PreparedRequest { inner })),
                Err(()) => Err(PyTypeError::new_err(
                    "next_page() takes a page its own request returned: a DeliveryPage of a \
                     list_deliveries request or a CallPage of a list_calls request",
                )),
            }
        })
    }

    /// `PreparedRequest[Webhook]` in annotations evaluated at run time: the class itself.
    #[classmethod]
    fn __class_getitem__<'py>(
        cls: &Bound<'py, pyo3::types::PyType>,
        item: &Bound<'py, PyAny>,
    ) -> Bound<'py, pyo3::types::PyType> {
        let _ = item;
        cls.clone()
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        guard(py, || {
            let r = self.request();
            let url = oneinbox_webhooks::auth::redact_url_token(&r.url);
            let url = short_repr(PyString::new(py, &url).as_any())?;
            Ok(format!(
                "PreparedRequest(method='{}', url={url})",
                r.method.as_str()
            ))
        })
    }
}

/// A validated secret API key and base URL; builds every management request. `repr()` never
/// shows the key.
#[pyclass(module = "oneinbox_webhooks", frozen)]
pub struct Api {
    inner: m::Api,
}

#[pymethods]
impl Api {
    #[new]
    #[pyo3(
        signature = (api_key, *, base_url = m::DEFAULT_BASE_URL.to_owned()),
        text_signature = "(api_key, *, base_url='https://api.oneinbox.ai')"
    )]
    fn new(py: Python<'_>, api_key: String, base_url: String) -> PyResult<Self> {
        guard(py, || {
            m::Api::new(api_key)
                .and_then(|api| api.with_base_url(base_url))
                .map(|inner| Api { inner })
                .map_err(|e| to_py_err(py, e))
        })
    }

    /// The `Api` of a client: the arguments given, else the values of `ONEINBOX_API_KEY` /
    /// `ONEINBOX_BASE_URL` that the caller read (`env_api_key`, `env_base_url`), else the
    /// default base URL; the core's rule (`Api::configure`), issues naming the variable. A
    /// variable's value that is not UTF-8 (`os.environ` holds its bytes as lone surrogates) is
    /// read as Node reads it, each such byte as U+FFFD, so the core's verdict is Node's.
    #[staticmethod]
    #[pyo3(signature = (*, api_key = None, base_url = None, env_api_key = None, env_base_url = None))]
    fn configure(
        py: Python<'_>,
        api_key: Option<String>,
        base_url: Option<String>,
        env_api_key: Option<Bound<'_, PyString>>,
        env_base_url: Option<Bound<'_, PyString>>,
    ) -> PyResult<Self> {
        guard(py, || {
            let env = m::ClientEnv {
                api_key: env_api_key.as_ref().map(env_value).transpose()?,
                base_url: env_base_url.as_ref().map(env_value).transpose()?,
            };
            m::Api::configure(api_key, base_url, env)
                .map(|inner| Api { inner })
                .map_err(|e| to_py_err(py, e))
        })
    }

    /// The base URL requests go to, without a trailing slash.
    #[getter]
    fn base_url(&self, py: Python<'_>) -> PyResult<String> {
        guard(py, || Ok(self.inner.base_url().to_owned()))
    }

    // One method per endpoint of the contract (`management/contract.rs`), each converting its
    // arguments by the contract's table (`args`); the signatures are in `_native.pyi`, written
    // from the same table by `just generate`.

    /// `POST /v1/webhooks`; the response is the new `Webhook` (with its secret).
    #[pyo3(signature = (**kwargs))]
    fn create_webhook(
        &self,
        py: Python<'_>,
        kwargs: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<PreparedRequest> {
        self.build(py, &contract::CREATE_WEBHOOK, None, kwargs)
    }

    /// `GET /v1/webhooks`; the response is a `list[Webhook]`.
    fn list_webhooks(&self, py: Python<'_>) -> PyResult<PreparedRequest> {
        self.build(py, &contract::LIST_WEBHOOKS, None, None)
    }

    /// `PATCH /v1/webhooks/{webhook_id}` with the fields given; the response is the `Webhook`.
    #[pyo3(signature = (webhook_id, **kwargs))]
    fn update_webhook(
        &self,
        py: Python<'_>,
        webhook_id: &Bound<'_, PyAny>,
        kwargs: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<PreparedRequest> {
        self.build(py, &contract::UPDATE_WEBHOOK, Some(webhook_id), kwargs)
    }

    /// `DELETE /v1/webhooks/{webhook_id}`; the response is `None`.
    fn delete_webhook(
        &self,
        py: Python<'_>,
        webhook_id: &Bound<'_, PyAny>,
    ) -> PyResult<PreparedRequest> {
        self.build(py, &contract::DELETE_WEBHOOK, Some(webhook_id), None)
    }

    /// `POST /v1/webhooks/{webhook_id}/test`; the response is `None`.
    fn test_webhook(
        &self,
        py: Python<'_>,
        webhook_id: &Bound<'_, PyAny>,
    ) -> PyResult<PreparedRequest> {
        self.build(py, &contract::TEST_WEBHOOK, Some(webhook_id), None)
    }

    /// `GET /v1/webhooks/{webhook_id}/deliveries`; the response is a `DeliveryPage`.
    #[pyo3(signature = (webhook_id, **kwargs))]
    fn list_deliveries(
        &self,
        py: Python<'_>,
        webhook_id: &Bound<'_, PyAny>,
        kwargs: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<PreparedRequest> {
        self.build(py, &contract::LIST_DELIVERIES, Some(webhook_id), kwargs)
    }

    /// `POST /v1/calls`; the response is the new `Call`. Object arguments are dicts of JSON
    /// values (NaN, infinities and ints beyond 64 bits are a `UsageError`).
    #[pyo3(signature = (**kwargs))]
    fn create_call(
        &self,
        py: Python<'_>,
        kwargs: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<PreparedRequest> {
        self.build(py, &contract::CREATE_CALL, None, kwargs)
    }

    /// `GET /v1/calls` with the filters and paging given; the response is a `CallPage`.
    #[pyo3(signature = (**kwargs))]
    fn list_calls(
        &self,
        py: Python<'_>,
        kwargs: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<PreparedRequest> {
        self.build(py, &contract::LIST_CALLS, None, kwargs)
    }

    /// `GET /v1/calls/{call_id}`; the response is the `Call`.
    fn get_call(&self, py: Python<'_>, call_id: &Bound<'_, PyAny>) -> PyResult<PreparedRequest> {
        self.build(py, &contract::GET_CALL, Some(call_id), None)
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        guard(py, || {
            let base = short_repr(PyString::new(py, self.inner.base_url()).as_any())?;
            Ok(format!("Api(base_url={base}, api_key='[redacted]')"))
        })
    }
}

impl Api {
    /// Converts the arguments of `endpoint`'s builder by the contract (the path argument
    /// positional, the others keywords) and builds the request. A missing required argument,
    /// an unknown keyword or a value of the wrong Python type is a `TypeError`, as for any
    /// Python function; a value that breaks a rule is the core's `UsageError`.
    fn build(
        &self,
        py: Python<'_>,
        endpoint: &contract::Endpoint,
        id: Option<&Bound<'_, PyAny>>,
        kwargs: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<PreparedRequest> {
        guard(py, || {
            let mut args = Map::new();
            let mut value_issues = Vec::new();
            let mut path_args = endpoint.args_in(contract::Place::Path);
            if let (Some(id), Some(a)) = (id, path_args.next()) {
                convert_arg(endpoint, a, id, &mut args, &mut value_issues)?;
            }
            if let Some(kwargs) = kwargs {
                for (key, value) in kwargs.iter() {
                    let key: String = key.extract()?;
                    let known = endpoint
                        .args
                        .iter()
                        .find(|a| a.name == key && a.place != contract::Place::Path);
                    let Some(a) = known else {
                        return Err(PyTypeError::new_err(format!(
                            "{}() got an unexpected keyword argument '{key}'",
                            endpoint.name
                        )));
                    };
                    convert_arg(endpoint, a, &value, &mut args, &mut value_issues)?;
                }
            }
            if let Some(missing) = endpoint.args.iter().find(|a| {
                a.required && a.place != contract::Place::Path && !args.contains_key(a.name)
            }) {
                return Err(PyTypeError::new_err(format!(
                    "{}() missing required keyword argument: '{}'",
                    endpoint.name, missing.name
                )));
            }
            match self.inner.build(endpoint.name, &args) {
                Ok(inner) if value_issues.is_empty() => Ok(PreparedRequest { inner }),
                Ok(_) => Err(to_py_err(py, UsageError::new(value_issues))),
                Err(e) => {
                    let mut issues = e.into_issues();
                    issues.append(&mut value_issues);
                    Err(to_py_err(py, UsageError::new(issues)))
                }
            }
        })
    }
}

/// One argument as its JSON value, by its contract type (`None` leaves it out).
fn convert_arg(
    endpoint: &contract::Endpoint,
    a: &contract::Arg,
    value: &Bound<'_, PyAny>,
    args: &mut Map<String, Value>,
    issues: &mut Vec<CoreIssue>,
) -> PyResult<()> {
    if value.is_none() {
        if a.required {
            return Err(PyTypeError::new_err(format!(
                "{}(): `{}` must be {}, not None",
                endpoint.name,
                a.name,
                python_type(a.ty)
            )));
        }
        return Ok(());
    }
    let wrong = || -> PyResult<PyErr> {
        Ok(PyTypeError::new_err(format!(
            "{}(): `{}` must be {}, not {}",
            endpoint.name,
            a.name,
            python_type(a.ty),
            value.get_type().name()?
        )))
    };
    let json = match a.ty {
        contract::ArgType::String => match value.cast::<PyString>() {
            Ok(s) => Value::String(s.extract::<String>()?),
            Err(_) => return Err(wrong()?),
        },
        contract::ArgType::StringList => {
            if !(value.is_instance_of::<PyList>() || value.is_instance_of::<PyTuple>()) {
                return Err(wrong()?);
            }
            let mut items = Vec::new();
            for item in value.try_iter()? {
                let item = item?;
                match item.cast::<PyString>() {
                    Ok(s) => items.push(Value::String(s.extract::<String>()?)),
                    Err(_) => return Err(wrong()?),
                }
            }
            Value::Array(items)
        }
        contract::ArgType::Integer => {
            let Ok(Int(n)) = value.extract::<Int>() else {
                return Err(wrong()?);
            };
            // Saturated: the core reports a value beyond the rule's range.
            Value::from(match n {
                HostNumber::Int(i) => {
                    i64::try_from(i).unwrap_or(if i < 0 { i64::MIN } else { i64::MAX })
                }
                HostNumber::Float(f) => f as i64,
            })
        }
        contract::ArgType::Object => match json_object(Some(value), a.name, issues)? {
            Some(map) => Value::Object(map),
            None => return Ok(()),
        },
        _ => return Err(wrong()?),
    };
    args.insert(a.name.to_owned(), json);
    Ok(())
}

/// The Python type named in a `TypeError`, with its article.
fn python_type(ty: contract::ArgType) -> &'static str {
    match ty {
        contract::ArgType::String => "a str",
        contract::ArgType::StringList => "a list of str",
        contract::ArgType::Integer => "an int",
        contract::ArgType::Object => "a dict",
        _ => "a JSON value",
    }
}

/// How long a `429`/`503` response asks the client to wait, from its `Retry-After` header
/// (delay seconds or an HTTP date), in seconds; `None` when there is no usable header.
/// `now` (Unix seconds) defaults to the current time.
#[pyfunction]
#[pyo3(signature = (headers, *, now = None))]
pub fn retry_after(py: Python<'_>, headers: Headers, now: Option<f64>) -> PyResult<Option<f64>> {
    guard(py, || {
        let now = now_or_clock(py, now)?;
        Ok(m::retry_after(&headers.0, now).map(|d| d.as_secs_f64()))
    })
}

/// `now` as a time: the given Unix seconds, or the clock.
fn now_or_clock(py: Python<'_>, now: Option<f64>) -> PyResult<SystemTime> {
    match now {
        Some(t) if t.is_finite() && t >= 0.0 => {
            Ok(SystemTime::UNIX_EPOCH + Duration::from_secs_f64(t.min(1e15)))
        }
        Some(_) => Err(to_py_err(
            py,
            UsageError::new(vec![CoreIssue::new(
                IssueCode::InvalidValue,
                "/now",
                "`now` must be a finite, non-negative Unix time",
            )]),
        )),
        None => Ok(SystemTime::now()),
    }
}

/// What a client does after a failed attempt (the core's `Prepared::next_step`): `wait` is the
/// seconds to wait before sending again, or `None` to give up; then `retryable` says whether
/// sending again later is safe, and `message` is the text of the error to raise for a failure
/// without an answer (`None` after a status: raise the `ApiError`).
#[pyclass(module = "oneinbox_webhooks", frozen, eq)]
#[derive(PartialEq)]
pub struct RetryStep {
    #[pyo3(get)]
    wait: Option<f64>,
    #[pyo3(get)]
    retryable: bool,
    #[pyo3(get)]
    message: Option<String>,
}

impl From<m::Step> for RetryStep {
    fn from(step: m::Step) -> Self {
        match step {
            // Whole milliseconds: divided once, so the float is the same as `ms / 1000`.
            m::Step::Retry { wait } => RetryStep {
                wait: Some(wait.as_millis() as f64 / 1000.0),
                retryable: true,
                message: None,
            },
            m::Step::GiveUp(g) => RetryStep {
                wait: None,
                retryable: g.retryable,
                message: g.message,
            },
        }
    }
}

#[pymethods]
impl RetryStep {
    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        guard(py, || {
            let message = match &self.message {
                Some(m) => short_repr(PyString::new(py, m).as_any())?,
                None => "None".to_owned(),
            };
            let wait = self.wait.map_or("None".to_owned(), |w| format!("{w:?}"));
            Ok(format!(
                "RetryStep(wait={wait}, retryable={}, message={message})",
                if self.retryable { "True" } else { "False" }
            ))
        })
    }
}

fn count(py: Python<'_>, value: Int, name: &str) -> PyResult<u32> {
    one(py, host::limit(value.0, name)).map(|n| u32::try_from(n).unwrap_or(u32::MAX))
}

/// Adds the management classes and functions to the module.
pub(crate) fn register(module: &Bound<'_, PyModule>) -> PyResult<()> {
    module.add_class::<Api>()?;
    module.add_class::<PreparedRequest>()?;
    module.add_class::<RetryStep>()?;
    module.add_class::<Webhook>()?;
    module.add_class::<Secret>()?;
    module.add_class::<Delivery>()?;
    module.add_class::<DeliveryPage>()?;
    module.add_class::<Call>()?;
    module.add_class::<CallPage>()?;
    module.add_function(wrap_pyfunction!(retry_after, module)?)?;
    module.add("BACKOFF_BASE", m::BACKOFF_BASE.as_secs_f64())?;
    module.add("BACKOFF_CAP", m::BACKOFF_CAP.as_secs_f64())?;
    module.add("RETRY_AFTER_CAP", m::RETRY_AFTER_CAP.as_secs_f64())?;
    module.add("DEFAULT_MAX_RETRIES", m::DEFAULT_MAX_RETRIES)?;
    module.add("DEFAULT_BASE_URL", m::DEFAULT_BASE_URL)?;
    module.add("API_KEY_VAR", m::API_KEY_VAR)?;
    module.add("BASE_URL_VAR", m::BASE_URL_VAR)
}

/// The value of an environment variable as `os.environ` gives it: its bytes that are not
/// UTF-8 (kept as lone surrogates, `surrogateescape`) each read as U+FFFD, as Node reads them.
fn env_value(value: &Bound<'_, PyString>) -> PyResult<String> {
    if let Ok(text) = value.to_cow() {
        return Ok(text.into_owned());
    }
    let py = value.py();
    let bytes = value
        .call_method1(intern!(py, "encode"), ("utf-8", "surrogateescape"))
        .or_else(|_| value.call_method1(intern!(py, "encode"), ("utf-8", "surrogatepass")))?;
    Ok(String::from_utf8_lossy(bytes.cast::<PyBytes>()?.as_bytes()).into_owned())
}
