//! [`Api`]: the validated key and base URL, and one request builder per endpoint.

use std::fmt;

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use serde_json::{Map, Value};

use super::calls::{decode_call, decode_call_page, Call, CallPage, CreateCall, ListCalls};
use super::contract::{self as c, check_arguments, Endpoint, Place, Response};
use super::request::{AnyPrepared, HttpRequest, Paging, Prepared};
use super::webhooks::{
    decode_delivery_page, decode_nothing, decode_webhook, decode_webhook_list, CreateWebhook,
    DeliveryPage, ListDeliveries, UpdateWebhook, Webhook,
};
use crate::error::{Issue, IssueCode, UsageError, ValidationError};
use crate::text::preview;

/// The API's base URL unless [`Api::with_base_url`] says otherwise.
pub const DEFAULT_BASE_URL: &str = "https://api.oneinbox.ai";

/// The event names a webhook can subscribe to: the seven in the webhooks guide.
///
/// `call.analyzed` is included although the API reference's enum leaves it out (the docs
/// conflict; the SDK accepts both readings and sends what it is given).
pub use crate::events::EVENT_NAMES;

/// The environment variable a client reads its API key from when it is given none.
pub const API_KEY_VAR: &str = "ONEINBOX_API_KEY";

/// The environment variable a client reads its base URL from when it is given none.
pub const BASE_URL_VAR: &str = "ONEINBOX_BASE_URL";

/// The values of [`API_KEY_VAR`] and [`BASE_URL_VAR`] as a client read them (`None` when unset),
/// for [`Api::configure`]. The core reads no environment: the client does, and hands the
/// values in. `Debug` never shows the key.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct ClientEnv {
    /// The value of `ONEINBOX_API_KEY`.
    pub api_key: Option<String>,
    /// The value of `ONEINBOX_BASE_URL`.
    pub base_url: Option<String>,
}

impl ClientEnv {
    /// Reads both variables with `lookup` (the client's own: `|name| std::env::var(name).ok()`).
    pub fn read_with(lookup: impl Fn(&str) -> Option<String>) -> ClientEnv {
        ClientEnv {
            api_key: lookup(API_KEY_VAR),
            base_url: lookup(BASE_URL_VAR),
        }
    }
}

impl fmt::Debug for ClientEnv {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientEnv")
            .field("api_key", &self.api_key.as_ref().map(|_| "[redacted]"))
            .field("base_url", &self.base_url)
            .finish()
    }
}

/// An issue about a value read from the environment variable `var`: its message says so.
fn from_variable(issue: Issue, var: &str) -> Issue {
    let message = format!(
        "{} (read from the environment variable {var})",
        issue.message
    );
    Issue { message, ..issue }
}

/// Everything outside RFC 3986 unreserved characters is percent-encoded in an id.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// A validated secret API key and base URL; builds every management request.
///
/// `Debug` shows `api_key: "[redacted]"`; the key never appears in any message.
///
/// ```
/// use oneinbox_webhooks::management::Api;
///
/// let api = Api::new("oi_sk_live_abc123")?;
/// assert_eq!(api.base_url(), "https://api.oneinbox.ai");
/// assert!(!format!("{api:?}").contains("abc123"));
///
/// let local = Api::new("oi_sk_live_abc123")?.with_base_url("http://127.0.0.1:8080/")?;
/// assert_eq!(local.base_url(), "http://127.0.0.1:8080");
///
/// let err = Api::new("oi_pk_live_abc123").unwrap_err();
/// assert!(err.to_string().contains("publishable"));
/// # Ok::<(), oneinbox_webhooks::UsageError>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Api {
    key: String,
    base: String,
}

impl fmt::Debug for Api {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Api")
            .field("api_key", &"[redacted]")
            .field("base_url", &self.base)
            .finish()
    }
}

/// The first character that is whitespace, a control character or not ASCII, with its
/// position (in characters).
fn first_bad_char(s: &str) -> Option<usize> {
    s.chars()
        .position(|c| !c.is_ascii() || c.is_ascii_whitespace() || c.is_control())
}

fn check_api_key(key: &str) -> Option<Issue> {
    let invalid = |msg: String| Some(Issue::new(IssueCode::InvalidValue, "/api_key", msg));
    if key.is_empty() {
        return invalid("`api_key` is empty; pass a secret API key (`oi_sk_...`)".into());
    }
    if let Some(at) = first_bad_char(key) {
        return invalid(format!(
            "`api_key` must be visible ASCII without whitespace or control characters \
             (CR, LF, ...); found one at character {at}"
        ));
    }
    if key.starts_with("oi_pk_") {
        return invalid(
            "`api_key` is a publishable key (`oi_pk_...`): publishable keys cannot manage \
             webhooks or create calls; use a secret key (`oi_sk_...`)"
                .into(),
        );
    }
    None
}

/// Validates an absolute URL; `https_only` for webhook endpoints, `http` or `https` for the
/// base URL. The URL is never quoted in messages (it could carry user-info).
pub(crate) fn check_url(
    value: &str,
    field: &str,
    path: &str,
    https_only: bool,
    base: bool,
) -> Result<url::Url, Issue> {
    let invalid = |msg: String| Issue::new(IssueCode::InvalidValue, path, msg);
    if value.is_empty() {
        return Err(invalid(format!("`{field}` is empty")));
    }
    if let Some(at) = value
        .chars()
        .position(|c| c.is_whitespace() || c.is_control())
    {
        return Err(invalid(format!(
            "`{field}` must not contain whitespace or control characters; found one at \
             character {at}"
        )));
    }
    let url = url::Url::parse(value)
        .map_err(|e| invalid(format!("`{field}` is not an absolute URL ({e})")))?;
    // The URL standard reads `https:host` or `https:///host` as `https://host/`; a caller
    // who wrote that meant something else, so the authority must be there as written.
    let authority = value
        .split_once("://")
        .map_or("", |(_, rest)| rest)
        .split(['/', '?', '#'])
        .next()
        .unwrap_or("");
    if authority.is_empty() {
        return Err(invalid(format!(
            "`{field}` must be written as scheme://host/..."
        )));
    }
    let scheme_ok = match url.scheme() {
        "https" => true,
        "http" => !https_only,
        _ => false,
    };
    if !scheme_ok {
        let want = if https_only {
            "`https`"
        } else {
            "`http` or `https`"
        };
        return Err(invalid(format!(
            "`{field}` must use {want}, found scheme {}",
            preview(url.scheme())
        )));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(invalid(format!(
            "`{field}` must not contain user-info (`user:password@`)"
        )));
    }
    if url.host_str().map_or(true, str::is_empty) {
        return Err(invalid(format!("`{field}` must have a host")));
    }
    if base && url.query().is_some() {
        return Err(invalid(format!("`{field}` must not have a query (`?...`)")));
    }
    if base && url.fragment().is_some() {
        return Err(invalid(format!(
            "`{field}` must not have a fragment (`#...`)"
        )));
    }
    Ok(url)
}

fn json_body(obj: Map<String, Value>) -> Vec<u8> {
    // Serializing a `Value` cannot fail (keys are strings, numbers are finite).
    serde_json::to_vec(&Value::Object(obj)).unwrap_or_default()
}

impl Api {
    /// Validates a secret API key (`oi_sk_...`, or a dashboard token).
    ///
    /// The key must be non-empty visible ASCII with no whitespace or control characters (so it
    /// can never break the `Authorization` header), and not a publishable `oi_pk_` key, which
    /// cannot manage webhooks. Issues are at `/api_key` and never quote the key.
    pub fn new(api_key: impl Into<String>) -> Result<Api, UsageError> {
        let key = api_key.into();
        if let Some(issue) = check_api_key(&key) {
            return Err(UsageError::new(vec![issue]));
        }
        Ok(Api {
            key,
            base: DEFAULT_BASE_URL.to_owned(),
        })
    }

    /// Sends requests to another base URL (a proxy, a staging host, a local fake).
    ///
    /// It must be an absolute `http` or `https` URL with a host and no user-info, query or
    /// fragment. A path prefix is kept; trailing slashes are dropped. Issues are at
    /// `/base_url`.
    pub fn with_base_url(self, base_url: impl AsRef<str>) -> Result<Api, UsageError> {
        let url = check_url(base_url.as_ref(), "base_url", "/base_url", false, true)
            .map_err(|issue| UsageError::new(vec![issue]))?;
        Ok(Api {
            key: self.key,
            base: url.as_str().trim_end_matches('/').to_owned(),
        })
    }

    /// The `Api` of a client, from the arguments it was given and, for what was not given,
    /// the environment as the caller read it ([`ClientEnv`]): the one rule every client (Python,
    /// Node, Rust) follows.
    ///
    /// An argument given wins over its variable; an empty variable counts as unset. With no
    /// key at all the issue is `missing_field` at `/api_key`, naming the argument and
    /// [`API_KEY_VAR`]; without a base URL it is [`DEFAULT_BASE_URL`]. A value read from a
    /// variable is checked as [`Api::new`] and [`Api::with_base_url`] check it, and its issue
    /// names the variable. Every issue is reported at once; none quotes the key or the URL.
    ///
    /// ```
    /// use oneinbox_webhooks::management::{Api, ClientEnv};
    ///
    /// let env = ClientEnv {
    ///     api_key: Some("oi_sk_from_env".into()),
    ///     base_url: Some("http://127.0.0.1:8080".into()),
    /// };
    /// let api = Api::configure(None, None, env.clone())?;
    /// assert_eq!(api.base_url(), "http://127.0.0.1:8080");
    /// // An argument wins over its variable.
    /// let api = Api::configure(None, Some("https://staging.example".into()), env)?;
    /// assert_eq!(api.base_url(), "https://staging.example");
    ///
    /// let err = Api::configure(None, None, ClientEnv::default()).unwrap_err();
    /// assert!(err.to_string().contains("ONEINBOX_API_KEY"));
    /// # Ok::<(), oneinbox_webhooks::UsageError>(())
    /// ```
    pub fn configure(
        api_key: Option<String>,
        base_url: Option<String>,
        env: ClientEnv,
    ) -> Result<Api, UsageError> {
        let set = |v: Option<String>| v.filter(|v| !v.is_empty());
        let mut issues = Vec::new();
        let key = match (api_key, set(env.api_key)) {
            (Some(key), _) => {
                issues.extend(check_api_key(&key));
                key
            }
            (None, Some(key)) => {
                issues.extend(check_api_key(&key).map(|i| from_variable(i, API_KEY_VAR)));
                key
            }
            (None, None) => {
                issues.push(Issue::new(
                    IssueCode::MissingField,
                    "/api_key",
                    format!(
                        "no API key: pass `api_key` or set the environment variable \
                         {API_KEY_VAR} to a secret API key (`oi_sk_...`)"
                    ),
                ));
                String::new()
            }
        };
        let checked = |base: &str| {
            check_url(base, "base_url", "/base_url", false, true)
                .map(|url| url.as_str().trim_end_matches('/').to_owned())
        };
        let base = match (base_url, set(env.base_url)) {
            (Some(base), _) => checked(&base),
            (None, Some(base)) => checked(&base).map_err(|i| from_variable(i, BASE_URL_VAR)),
            (None, None) => Ok(DEFAULT_BASE_URL.to_owned()),
        };
        let base = base.unwrap_or_else(|issue| {
            issues.push(issue);
            String::new()
        });
        if issues.is_empty() {
            Ok(Api { key, base })
        } else {
            Err(UsageError::new(issues))
        }
    }

    /// The base URL requests go to, without a trailing slash.
    pub fn base_url(&self) -> &str {
        &self.base
    }

    /// Builds `endpoint`'s request from its arguments (wire names; `null` is absent), held to
    /// the contract first; with the paging state of a list of deliveries.
    fn parts(
        &self,
        endpoint: &Endpoint,
        args: &Map<String, Value>,
    ) -> Result<(HttpRequest, Option<Paging>), UsageError> {
        let issues = check_arguments(endpoint, args);
        if !issues.is_empty() {
            return Err(UsageError::new(issues));
        }
        let given = |name: &str| args.get(name).filter(|v| !v.is_null());
        let mut path = endpoint.path.to_owned();
        for a in endpoint.args_in(Place::Path) {
            let value = given(a.name).and_then(Value::as_str).unwrap_or("");
            let segment = utf8_percent_encode(value, SEGMENT).to_string();
            path = path.replace(&format!("{{{}}}", a.name), &segment);
        }
        let base = format!("{}{path}", self.base);
        let query: Vec<(&str, String)> = endpoint
            .args_in(Place::Query)
            .filter_map(|a| {
                given(a.name).map(|v| (a.name, format!("{}={}", a.name, query_value(v))))
            })
            .collect();
        let url = if query.is_empty() {
            base.clone()
        } else {
            let pairs: Vec<&str> = query.iter().map(|(_, pair)| pair.as_str()).collect();
            format!("{base}?{}", pairs.join("&"))
        };
        let body = endpoint.args_in(Place::Body).next().map(|_| {
            let members = endpoint
                .args_in(Place::Body)
                .filter_map(|a| given(a.name).map(|v| (a.name.to_owned(), v.clone())));
            json_body(members.collect())
        });
        let mut headers = vec![
            ("Authorization".to_owned(), format!("Bearer {}", self.key)),
            ("Accept".to_owned(), "application/json".to_owned()),
        ];
        if body.is_some() {
            headers.push(("Content-Type".to_owned(), "application/json".to_owned()));
        }
        let pages = matches!(
            endpoint.response,
            Response::DeliveryPage | Response::CallPage
        );
        let paging = pages.then(|| Paging {
            base,
            fixed: query
                .into_iter()
                .filter(|(name, _)| *name != "offset")
                .map(|(_, pair)| pair)
                .collect(),
        });
        let request = HttpRequest {
            method: endpoint.method,
            url,
            headers,
            body,
        };
        Ok((request, paging))
    }

    fn prepared<T>(
        &self,
        endpoint: &Endpoint,
        args: &Map<String, Value>,
        decode: fn(&[u8]) -> Result<T, ValidationError>,
    ) -> Result<Prepared<T>, UsageError> {
        let (request, paging) = self.parts(endpoint, args)?;
        let mut prepared = Prepared::new(request, decode, endpoint.retry);
        prepared.paging = paging;
        Ok(prepared)
    }

    /// Builds the request of the endpoint named `endpoint` (see
    /// [`contract::ENDPOINTS`](super::contract::ENDPOINTS)) from its arguments by wire name, as
    /// JSON (`null` is the same as absent): the one entry the bindings use. Every argument is
    /// held to the contract (unknown members, missing ones, JSON types, rules), every issue
    /// collected into one [`UsageError`]; an unknown endpoint is an `unknown_field` issue at `""`.
    ///
    /// ```
    /// use oneinbox_webhooks::management::Api;
    /// use serde_json::json;
    ///
    /// let api = Api::new("oi_sk_live_abc123")?;
    /// let args = json!({"webhook_id": "wh_1", "limit": 2});
    /// let prepared = api.build("list_deliveries", args.as_object().expect("object"))?;
    /// assert_eq!(prepared.request().url, "https://api.oneinbox.ai/v1/webhooks/wh_1/deliveries?limit=2");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn build(
        &self,
        endpoint: &str,
        args: &Map<String, Value>,
    ) -> Result<AnyPrepared, UsageError> {
        let Some(e) = c::endpoint(endpoint) else {
            return Err(UsageError::new(vec![Issue::new(
                IssueCode::UnknownField,
                "",
                format!("no endpoint is named {}", preview(endpoint)),
            )]));
        };
        Ok(match e.response {
            Response::Webhook => AnyPrepared::Webhook(self.prepared(e, args, decode_webhook)?),
            Response::WebhookList => {
                AnyPrepared::Webhooks(self.prepared(e, args, decode_webhook_list)?)
            }
            Response::Nothing => AnyPrepared::Nothing(self.prepared(e, args, decode_nothing)?),
            Response::DeliveryPage => {
                AnyPrepared::Deliveries(self.prepared(e, args, decode_delivery_page)?)
            }
            Response::Call => AnyPrepared::Call(self.prepared(e, args, decode_call)?),
            Response::CallPage => AnyPrepared::Calls(self.prepared(e, args, decode_call_page)?),
        })
    }

    /// `POST /v1/webhooks`: creates a webhook; the response is the new [`Webhook`] (with its
    /// secret).
    ///
    /// `name` 1–255 characters (`/name`); `url` an absolute `https` URL with a host and no
    /// user-info (`/url`); `events` 1–20 distinct names from [`EVENT_NAMES`] (`/events`,
    /// `/events/<i>`; a repeat is reported at the later index).
    ///
    /// ```
    /// use oneinbox_webhooks::management::{Api, CreateWebhook};
    ///
    /// let api = Api::new("oi_sk_live_abc123")?;
    /// let prepared = api.create_webhook(&CreateWebhook {
    ///     name: "Call events".into(),
    ///     url: "https://example.com/hooks/oneinbox".into(),
    ///     events: vec!["call.ended".into(), "call.analyzed".into()],
    /// })?;
    /// let req = prepared.request();
    /// assert_eq!(req.method.as_str(), "POST");
    /// assert_eq!(req.url, "https://api.oneinbox.ai/v1/webhooks");
    ///
    /// // ... send it with any HTTP client, then:
    /// let hook = prepared.parse_response(201, br#"{"id":"wh_1","status":"active","secret":"s"}"#)?;
    /// assert_eq!(hook.id, "wh_1");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn create_webhook(&self, args: &CreateWebhook) -> Result<Prepared<Webhook>, UsageError> {
        self.prepared(&c::CREATE_WEBHOOK, &to_args(args), decode_webhook)
    }

    /// `GET /v1/webhooks`: lists the account's webhooks. The response may be a bare array or an
    /// `{items, total, limit, offset}` envelope; both give the list.
    ///
    /// ```
    /// use oneinbox_webhooks::management::Api;
    ///
    /// let prepared = Api::new("oi_sk_live_abc123")?.list_webhooks()?;
    /// assert_eq!(prepared.request().url, "https://api.oneinbox.ai/v1/webhooks");
    /// let hooks = prepared.parse_response(200, br#"{"items":[{"id":"wh_1"}],"total":1,"limit":50,"offset":0}"#)?;
    /// assert_eq!(hooks.len(), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn list_webhooks(&self) -> Result<Prepared<Vec<Webhook>>, UsageError> {
        self.prepared(&c::LIST_WEBHOOKS, &Map::new(), decode_webhook_list)
    }

    /// `PATCH /v1/webhooks/{webhook_id}`: changes some of a webhook's fields; only the fields
    /// that are `Some` are sent, and at least one must be (else `missing_field` at `""`).
    ///
    /// Fields are validated like [`Api::create_webhook`]'s; `status` must be one of
    /// [`WEBHOOK_STATUSES`](super::WEBHOOK_STATUSES) and is sent as given. The id (`/webhook_id`) must be non-empty and
    /// not `.` or `..`; it is percent-encoded as one path segment.
    ///
    /// ```
    /// use oneinbox_webhooks::management::{Api, UpdateWebhook, WebhookStatus};
    ///
    /// let api = Api::new("oi_sk_live_abc123")?;
    /// let prepared = api.update_webhook("wh_1", &UpdateWebhook {
    ///     status: Some("inactive".into()),
    ///     ..UpdateWebhook::default()
    /// })?;
    /// assert_eq!(prepared.request().url, "https://api.oneinbox.ai/v1/webhooks/wh_1");
    /// assert_eq!(prepared.request().body.as_deref(), Some(&br#"{"status":"inactive"}"#[..]));
    ///
    /// let hook = prepared.parse_response(200, br#"{"id":"wh_1","status":"disabled"}"#)?;
    /// assert_eq!(hook.status, Some(WebhookStatus::Inactive));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn update_webhook(
        &self,
        webhook_id: &str,
        args: &UpdateWebhook,
    ) -> Result<Prepared<Webhook>, UsageError> {
        self.prepared(
            &c::UPDATE_WEBHOOK,
            &with_id(webhook_id, args),
            decode_webhook,
        )
    }

    /// `DELETE /v1/webhooks/{webhook_id}`: deletes a webhook for good. Any 2xx answer with an
    /// empty or JSON body is success.
    ///
    /// ```
    /// use oneinbox_webhooks::management::Api;
    ///
    /// let prepared = Api::new("oi_sk_live_abc123")?.delete_webhook("wh_1")?;
    /// assert_eq!(prepared.request().method.as_str(), "DELETE");
    /// prepared.parse_response(204, b"")?;
    ///
    /// // An id can never change the path:
    /// let odd = Api::new("oi_sk_live_abc123")?.delete_webhook("../x")?;
    /// assert_eq!(odd.request().url, "https://api.oneinbox.ai/v1/webhooks/..%2Fx");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn delete_webhook(&self, webhook_id: &str) -> Result<Prepared<()>, UsageError> {
        self.prepared(
            &c::DELETE_WEBHOOK,
            &with_id(webhook_id, &()),
            decode_nothing,
        )
    }

    /// `POST /v1/webhooks/{webhook_id}/test`: asks OneInbox to send a sample delivery to the
    /// webhook's URL. No request body; any 2xx answer with an empty or JSON body is success.
    ///
    /// ```
    /// use oneinbox_webhooks::management::Api;
    ///
    /// let prepared = Api::new("oi_sk_live_abc123")?.test_webhook("wh_1")?;
    /// assert_eq!(prepared.request().url, "https://api.oneinbox.ai/v1/webhooks/wh_1/test");
    /// assert_eq!(prepared.request().body, None);
    /// prepared.parse_response(200, br#"{"ok":true}"#)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn test_webhook(&self, webhook_id: &str) -> Result<Prepared<()>, UsageError> {
        self.prepared(&c::TEST_WEBHOOK, &with_id(webhook_id, &()), decode_nothing)
    }

    /// `GET /v1/webhooks/{webhook_id}/deliveries?limit=&offset=`: one page of the delivery
    /// history, most recent first. Only the parameters given are sent; `limit` must be 1–200
    /// (`/limit`), `offset` 0 or more (`/offset`). Use [`Prepared::next_page`] for the next
    /// page.
    ///
    /// ```
    /// use oneinbox_webhooks::management::{Api, ListDeliveries};
    ///
    /// let api = Api::new("oi_sk_live_abc123")?;
    /// let prepared = api.list_deliveries("wh_1", &ListDeliveries { limit: Some(2), offset: None })?;
    /// assert_eq!(prepared.request().url, "https://api.oneinbox.ai/v1/webhooks/wh_1/deliveries?limit=2");
    ///
    /// let page = prepared.parse_response(200, br#"{"items":[{"id":"d1"},{"id":"d2"}],"total":3,"limit":2,"offset":0}"#)?;
    /// let next = prepared.next_page(&page).expect("one more page");
    /// assert_eq!(next.request().url, "https://api.oneinbox.ai/v1/webhooks/wh_1/deliveries?limit=2&offset=2");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn list_deliveries(
        &self,
        webhook_id: &str,
        args: &ListDeliveries,
    ) -> Result<Prepared<DeliveryPage>, UsageError> {
        self.prepared(
            &c::LIST_DELIVERIES,
            &with_id(webhook_id, args),
            decode_delivery_page,
        )
    }

    /// `POST /v1/calls`: places an outbound call; the response is the new [`Call`].
    ///
    /// The fields and their rules are those of [`CreateCall`] (the contract's
    /// [`CREATE_CALL`](super::contract::CREATE_CALL)); only the optional fields given are sent.
    ///
    /// ```
    /// use oneinbox_webhooks::management::{Api, CreateCall};
    ///
    /// let api = Api::new("oi_sk_live_abc123")?;
    /// let prepared = api.create_call(&CreateCall {
    ///     agent_id: "agt_1".into(),
    ///     to_number: "+919876543210".into(),
    ///     from_number: "+15739693824".into(),
    ///     scheduled_at: Some("2026-01-31T09:30:00Z".into()),
    ///     ..CreateCall::default()
    /// })?;
    /// assert_eq!(prepared.request().url, "https://api.oneinbox.ai/v1/calls");
    /// let call = prepared.parse_response(201, br#"{"id":"call_1","status":"queued"}"#)?;
    /// assert_eq!(call.status.as_deref(), Some("queued"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn create_call(&self, args: &CreateCall) -> Result<Prepared<Call>, UsageError> {
        self.prepared(&c::CREATE_CALL, &to_args(args), decode_call)
    }

    /// `GET /v1/calls?agent_id=&status=&limit=&offset=`: one page of the account's calls, most
    /// recent first. Only the parameters given are sent (percent-encoded); `agent_id` and
    /// `status` must be non-empty (`/agent_id`, `/status`), `limit` 1–100 (`/limit`), `offset`
    /// 0 or more (`/offset`). Use [`Prepared::next_page`] for the next page: it keeps the
    /// filters and the `limit`.
    ///
    /// ```
    /// use oneinbox_webhooks::management::{Api, ListCalls};
    ///
    /// let api = Api::new("oi_sk_live_abc123")?;
    /// let prepared = api.list_calls(&ListCalls {
    ///     status: Some("completed".into()),
    ///     limit: Some(2),
    ///     ..ListCalls::default()
    /// })?;
    /// assert_eq!(prepared.request().url, "https://api.oneinbox.ai/v1/calls?status=completed&limit=2");
    ///
    /// let page = prepared.parse_response(200, br#"{"items":[{"id":"c3"},{"id":"c2"}],"total":3,"limit":2,"offset":0}"#)?;
    /// let next = prepared.next_page(&page).expect("one more page");
    /// assert_eq!(next.request().url, "https://api.oneinbox.ai/v1/calls?status=completed&limit=2&offset=2");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn list_calls(&self, args: &ListCalls) -> Result<Prepared<CallPage>, UsageError> {
        self.prepared(&c::LIST_CALLS, &to_args(args), decode_call_page)
    }

    /// `GET /v1/calls/{call_id}`: the call as OneInbox has it now (a [`Call`], lenient: unknown
    /// members kept). The id (`/call_id`) must be non-empty and not `.` or `..`; it is
    /// percent-encoded as one path segment.
    ///
    /// ```
    /// use oneinbox_webhooks::management::Api;
    ///
    /// let prepared = Api::new("oi_sk_live_abc123")?.get_call("call_1")?;
    /// assert_eq!(prepared.request().method.as_str(), "GET");
    /// assert_eq!(prepared.request().url, "https://api.oneinbox.ai/v1/calls/call_1");
    /// let call = prepared.parse_response(200, br#"{"id":"call_1","status":"completed"}"#)?;
    /// assert_eq!(call.status.as_deref(), Some("completed"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn get_call(&self, call_id: &str) -> Result<Prepared<Call>, UsageError> {
        let mut args = Map::new();
        args.insert("call_id".to_owned(), call_id.into());
        self.prepared(&c::GET_CALL, &args, decode_call)
    }
}

/// A query parameter's value as sent: a string percent-encoded (all but RFC 3986 unreserved
/// characters), any other JSON value (an integer) as written.
fn query_value(v: &Value) -> String {
    match v {
        Value::String(s) => utf8_percent_encode(s, SEGMENT).to_string(),
        other => other.to_string(),
    }
}

/// The arguments of a typed builder as the contract's JSON arguments (`None` fields left out).
fn to_args<T: serde::Serialize>(args: &T) -> Map<String, Value> {
    match serde_json::to_value(args) {
        Ok(Value::Object(map)) => map,
        // The argument structs serialize to objects of strings, numbers and objects.
        _ => Map::new(),
    }
}

/// `args` with the webhook id.
fn with_id<T: serde::Serialize>(webhook_id: &str, args: &T) -> Map<String, Value> {
    let mut map = to_args(args);
    map.insert("webhook_id".to_owned(), webhook_id.into());
    map
}

/// The next-page rule, written once for every list: `None` when the page is empty or
/// `offset + items` reaches `total`; otherwise the same request with the caller's other query
/// parameters and `offset = page offset + items`.
fn next_page_of<T>(
    prepared: &Prepared<T>,
    items: usize,
    total: u64,
    offset: u64,
) -> Option<Prepared<T>> {
    let paging = prepared.paging.as_ref()?;
    let seen = u64::try_from(items).ok()?;
    let next = offset.checked_add(seen)?;
    if seen == 0 || next >= total {
        return None;
    }
    let next = i64::try_from(next).ok()?;
    let mut params = paging.fixed.clone();
    params.push(format!("offset={next}"));
    let mut out = prepared.clone();
    out.set_url(format!("{}?{}", paging.base, params.join("&")));
    Some(out)
}

impl Prepared<DeliveryPage> {
    /// The request for the page after `page` (a page this request returned), or `None` when
    /// `page` is the last one: it is empty, or `offset + items.len()` reaches `total`.
    ///
    /// The next request repeats the caller's `limit` (if any) and asks for
    /// `offset = page.offset + page.items.len()`.
    pub fn next_page(&self, page: &DeliveryPage) -> Option<Prepared<DeliveryPage>> {
        next_page_of(self, page.items.len(), page.total, page.offset)
    }
}

impl Prepared<CallPage> {
    /// The request for the page after `page` (a page this request returned), or `None` when
    /// `page` is the last one: it is empty, or `offset + items.len()` reaches `total`.
    ///
    /// The next request repeats the caller's filters (`agent_id`, `status`) and `limit` (those
    /// given) and asks for `offset = page.offset + page.items.len()`.
    pub fn next_page(&self, page: &CallPage) -> Option<Prepared<CallPage>> {
        next_page_of(self, page.items.len(), page.total, page.offset)
    }
}

#[cfg(test)]
#[allow(clippy::panic)]
mod tests {
    use super::*;

    fn api() -> Api {
        match Api::new("oi_sk_test_SECRETKEY") {
            Ok(api) => api,
            Err(e) => panic!("{e}"),
        }
    }

    #[test]
    fn debug_and_errors_never_show_the_key() {
        let api = api();
        let text = format!("{api:?}");
        assert!(!text.contains("SECRETKEY"), "{text}");
        assert!(text.contains("[redacted]"));
        let prepared = api.list_webhooks().ok();
        let text = format!("{prepared:?}");
        assert!(!text.contains("SECRETKEY"), "{text}");
        for key in ["oi_pk_live_SECRETKEY", "oi_sk_SECRET\r\nKEY", "SECRET KEY"] {
            let text = match Api::new(key) {
                Err(e) => format!("{e} {e:?}"),
                Ok(_) => panic!("accepted"),
            };
            assert!(!text.contains("SECRET"), "{text}");
        }
    }

    #[test]
    fn publishable_key_message() {
        let err = Api::new("oi_pk_live_abc123").err().map(|e| e.to_string());
        insta::assert_snapshot!(err.unwrap_or_default(), @"invalid argument: /api_key: `api_key` is a publishable key (`oi_pk_...`): publishable keys cannot manage webhooks or create calls; use a secret key (`oi_sk_...`) [invalid_value]");
    }

    #[test]
    fn all_issues_in_one_pass() {
        let err = api()
            .create_webhook(&CreateWebhook {
                name: String::new(),
                url: "http://x.example".into(),
                events: vec!["call.ended".into(), "nope".into(), "call.ended".into()],
            })
            .err()
            .map(|e| e.to_string());
        insta::assert_snapshot!(err.unwrap_or_default(), @r#"
        invalid argument (4 issues):
          - /name: `name` must be 1–255 characters, found 0 [invalid_value]
          - /url: `url` must use `https`, found scheme "http" [invalid_value]
          - /events/1: `events` item "nope" is not a known event name; expected one of call.started, call.ended, call.analyzed, call.failed, call.recording.available, transcript.partial, transcript.final [invalid_value]
          - /events/2: `events` item "call.ended" repeats /events/0 [invalid_value]
        "#);
    }

    #[test]
    fn next_page_stops_at_the_end() {
        let api = api();
        let prepared = api.list_deliveries("wh", &ListDeliveries::default()).ok();
        let page = |n: usize, total: u64, offset: u64| DeliveryPage {
            items: (0..n)
                .map(|i| super::super::webhooks::Delivery {
                    id: format!("d{i}"),
                    webhook_id: None,
                    event: None,
                    status: None,
                    attempt: None,
                    response_status: None,
                    response_body: None,
                    error: None,
                    next_retry_at: None,
                    completed_at: None,
                    created_at: None,
                    extra: Map::new(),
                })
                .collect(),
            total,
            limit: 50,
            offset,
            extra: Map::new(),
        };
        let p = prepared.as_ref();
        assert!(p.and_then(|p| p.next_page(&page(0, 10, 0))).is_none());
        assert!(p.and_then(|p| p.next_page(&page(2, 4, 2))).is_none());
        let next = p.and_then(|p| p.next_page(&page(2, 5, 2)));
        assert_eq!(
            next.map(|n| n.request().url.clone()).as_deref(),
            Some("https://api.oneinbox.ai/v1/webhooks/wh/deliveries?offset=4")
        );
    }

    fn env(key: Option<&str>, base: Option<&str>) -> ClientEnv {
        ClientEnv {
            api_key: key.map(str::to_owned),
            base_url: base.map(str::to_owned),
        }
    }

    fn issues(r: Result<Api, UsageError>) -> Vec<(String, String, String)> {
        match r {
            Ok(api) => panic!("expected issues, got {api:?}"),
            Err(e) => e
                .issues()
                .iter()
                .map(|i| {
                    (
                        i.code.as_str().to_owned(),
                        i.path.clone(),
                        i.message.clone(),
                    )
                })
                .collect(),
        }
    }

    #[test]
    fn configure_takes_arguments_first_then_the_environment_then_the_default() {
        let from_env = env(Some("oi_sk_env_KEY"), Some("http://127.0.0.1:9/v1/"));
        let given = |k: &str| Some(k.to_owned());
        let api = Api::configure(None, None, from_env.clone()).map_err(|e| e.to_string());
        assert_eq!(api.as_ref().map(Api::base_url), Ok("http://127.0.0.1:9/v1"));
        assert_eq!(api.map(|a| a.key), Ok("oi_sk_env_KEY".to_owned()));
        let api = Api::configure(given("oi_sk_arg"), given("https://x.example"), from_env)
            .map_err(|e| e.to_string());
        assert_eq!(api.as_ref().map(Api::base_url), Ok("https://x.example"));
        assert_eq!(api.map(|a| a.key), Ok("oi_sk_arg".to_owned()));
        // Empty variables are unset; no base URL anywhere is the default.
        let api = Api::configure(given("oi_sk_arg"), None, env(Some(""), Some("")))
            .map_err(|e| e.to_string());
        assert_eq!(api.map(|a| a.base), Ok(DEFAULT_BASE_URL.to_owned()));
    }

    #[test]
    fn configure_names_the_variable_and_reports_every_issue() {
        let found = issues(Api::configure(None, None, env(None, Some("ftp://x"))));
        assert_eq!(found.len(), 2, "{found:?}");
        assert_eq!(
            (found[0].0.as_str(), found[0].1.as_str()),
            ("missing_field", "/api_key")
        );
        assert!(found[0].2.contains("`api_key`") && found[0].2.contains("ONEINBOX_API_KEY"));
        assert_eq!(
            (found[1].0.as_str(), found[1].1.as_str()),
            ("invalid_value", "/base_url")
        );
        assert!(found[1].2.contains("ONEINBOX_BASE_URL"), "{}", found[1].2);

        let found = issues(Api::configure(
            None,
            None,
            env(Some("oi_pk_SECRETKEY"), None),
        ));
        assert_eq!(found.len(), 1);
        assert!(found[0].2.contains("publishable") && found[0].2.contains("ONEINBOX_API_KEY"));
        assert!(!found[0].2.contains("SECRETKEY"));
        // A bad argument is the argument's issue: no variable named.
        let found = issues(Api::configure(
            Some(String::new()),
            Some("x".into()),
            env(None, None),
        ));
        assert_eq!(found.len(), 2);
        assert!(
            found.iter().all(|i| !i.2.contains("ONEINBOX_")),
            "{found:?}"
        );
        let shown = format!("{:?}", env(Some("oi_sk_SECRETKEY"), None));
        assert!(!shown.contains("SECRETKEY"), "{shown}");
    }
}
