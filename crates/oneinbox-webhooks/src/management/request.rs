//! [`HttpRequest`], [`Method`] and [`Prepared`]: the values the builders return.

use std::fmt;

use super::calls::{Call, CallPage};
use super::response::{parse_error_response, ResponseError, Retry};
use super::webhooks::{DeliveryPage, Webhook};
use crate::error::ValidationError;

/// An HTTP method used by the management API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Method {
    /// `GET`
    Get,
    /// `POST`
    Post,
    /// `PATCH`
    Patch,
    /// `DELETE`
    Delete,
}

impl Method {
    /// The method's name in upper case, as sent on the wire (`"GET"`, `"POST"`, ...).
    pub const fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
        }
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A complete HTTP request, ready to hand to any HTTP client.
///
/// Header values never contain CR or LF; the URL is absolute; the body, when present, is
/// UTF-8 JSON and a `Content-Type: application/json` header is included.
///
/// `Debug` shows the `Authorization` header as `Bearer [redacted]`.
#[derive(Clone, PartialEq, Eq)]
pub struct HttpRequest {
    /// The method.
    pub method: Method,
    /// The absolute URL, with the id path segments percent-encoded.
    pub url: String,
    /// Header names and values, in the order they should be sent.
    pub headers: Vec<(String, String)>,
    /// The JSON body, if the endpoint takes one.
    pub body: Option<Vec<u8>>,
}

impl HttpRequest {
    /// The value of the first header named `name` (compared case-insensitively).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The bearer token this request carries, if any (used to scrub it from error messages).
    pub(crate) fn bearer_token(&self) -> Option<&str> {
        self.header("authorization")
            .and_then(|v| v.strip_prefix("Bearer "))
    }
}

impl fmt::Debug for HttpRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        struct Headers<'a>(&'a [(String, String)]);
        impl fmt::Debug for Headers<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                let mut list = f.debug_list();
                for (name, value) in self.0 {
                    if name.eq_ignore_ascii_case("authorization") {
                        list.entry(&(name.as_str(), "Bearer [redacted]"));
                    } else {
                        list.entry(&(name.as_str(), value.as_str()));
                    }
                }
                list.finish()
            }
        }
        let body = self.body.as_deref().map(String::from_utf8_lossy);
        f.debug_struct("HttpRequest")
            .field("method", &self.method)
            .field("url", &crate::text::RedactedStr(&self.url))
            .field("headers", &Headers(&self.headers))
            .field("body", &body.as_deref().map(crate::text::RedactedStr))
            .finish()
    }
}

/// What a list request (deliveries, calls) needs to build the request for the next page.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Paging {
    /// The list's URL without its query.
    pub(crate) base: String,
    /// The query parameters the caller gave besides `offset` (`name=value`, encoded, in the
    /// contract's order), repeated on every page.
    pub(crate) fixed: Vec<String>,
}

/// A request together with the parser for its response.
///
/// Send [`Prepared::request`] with any HTTP client, then hand the status code and body bytes
/// to [`Prepared::parse_response`] to get the endpoint's typed result.
pub struct Prepared<T> {
    request: HttpRequest,
    decode: fn(&[u8]) -> Result<T, ValidationError>,
    retry: Retry,
    pub(crate) paging: Option<Paging>,
}

impl<T> Prepared<T> {
    pub(crate) fn new(
        request: HttpRequest,
        decode: fn(&[u8]) -> Result<T, ValidationError>,
        retry: Retry,
    ) -> Self {
        Prepared {
            request,
            decode,
            retry,
            paging: None,
        }
    }

    /// How this request may be retried: [`Retry::Idempotent`], or, for a request that creates
    /// something or sends a test delivery, only after 429 or 503 and never after a lost
    /// connection.
    pub fn retry(&self) -> Retry {
        self.retry
    }

    pub(crate) fn set_url(&mut self, url: String) {
        self.request.url = url;
    }

    /// The request to send.
    pub fn request(&self) -> &HttpRequest {
        &self.request
    }

    /// Takes the request out (the response parser is dropped; keep a clone if you need it).
    pub fn into_request(self) -> HttpRequest {
        self.request
    }

    /// Reads the response to this request.
    ///
    /// Any 2xx status is success: the body is decoded into `T` (lenient: unknown members are
    /// kept, unknown enum values are kept as strings), and a body that does not match gives
    /// [`ResponseError::Decode`]. Any other status gives [`ResponseError::Api`]. The API key
    /// is scrubbed from every message, even if the server echoes it.
    pub fn parse_response(&self, status: u16, body: &[u8]) -> Result<T, ResponseError> {
        if (200..300).contains(&status) {
            (self.decode)(body).map_err(ResponseError::Decode)
        } else {
            Err(ResponseError::Api(parse_error_response(
                status,
                body,
                self.request.bearer_token(),
                self.retry,
            )))
        }
    }
}

impl<T> Clone for Prepared<T> {
    fn clone(&self) -> Self {
        Prepared {
            request: self.request.clone(),
            decode: self.decode,
            retry: self.retry,
            paging: self.paging.clone(),
        }
    }
}

impl<T> fmt::Debug for Prepared<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Prepared")
            .field("request", &self.request)
            .field("retry", &self.retry)
            .finish_non_exhaustive()
    }
}

/// A prepared request of any endpoint, for hosts that keep one type for every request (the
/// Python and Node bindings): the dispatch over the endpoints, written once.
#[doc(hidden)]
#[derive(Debug, Clone)]
pub enum AnyPrepared {
    /// `create_webhook`, `update_webhook`.
    Webhook(Prepared<Webhook>),
    /// `list_webhooks`.
    Webhooks(Prepared<Vec<Webhook>>),
    /// `delete_webhook`, `test_webhook`.
    Nothing(Prepared<()>),
    /// `list_deliveries`.
    Deliveries(Prepared<DeliveryPage>),
    /// `create_call`, `get_call`.
    Call(Prepared<Call>),
    /// `list_calls`.
    Calls(Prepared<CallPage>),
}

/// The result of [`AnyPrepared::parse_response`].
#[doc(hidden)]
#[derive(Debug, Clone, PartialEq)]
// One response is made per request and converted at once; boxing would only add an allocation.
#[allow(clippy::large_enum_variant)]
pub enum AnyResponse {
    /// A webhook.
    Webhook(Webhook),
    /// A list of webhooks.
    Webhooks(Vec<Webhook>),
    /// Nothing (delete, test).
    Nothing,
    /// A page of deliveries.
    Deliveries(DeliveryPage),
    /// A call.
    Call(Call),
    /// A page of calls.
    Calls(CallPage),
}

macro_rules! each_prepared {
    ($any:expr, $p:ident => $e:expr) => {
        match $any {
            AnyPrepared::Webhook($p) => $e,
            AnyPrepared::Webhooks($p) => $e,
            AnyPrepared::Nothing($p) => $e,
            AnyPrepared::Deliveries($p) => $e,
            AnyPrepared::Call($p) => $e,
            AnyPrepared::Calls($p) => $e,
        }
    };
}

impl AnyPrepared {
    /// The request to send.
    pub fn request(&self) -> &HttpRequest {
        each_prepared!(self, p => p.request())
    }

    /// The request's retry policy.
    pub fn retry(&self) -> Retry {
        each_prepared!(self, p => p.retry())
    }

    /// What to do after a failed attempt, as [`Prepared::next_step`] says.
    pub fn next_step(
        &self,
        attempt: u32,
        max_retries: u32,
        outcome: super::Outcome<'_>,
        draw: f64,
    ) -> super::Step {
        each_prepared!(self, p => p.next_step(attempt, max_retries, outcome, draw))
    }

    /// Reads the response, as [`Prepared::parse_response`] does.
    pub fn parse_response(&self, status: u16, body: &[u8]) -> Result<AnyResponse, ResponseError> {
        Ok(match self {
            AnyPrepared::Webhook(p) => AnyResponse::Webhook(p.parse_response(status, body)?),
            AnyPrepared::Webhooks(p) => AnyResponse::Webhooks(p.parse_response(status, body)?),
            AnyPrepared::Nothing(p) => {
                p.parse_response(status, body)?;
                AnyResponse::Nothing
            }
            AnyPrepared::Deliveries(p) => AnyResponse::Deliveries(p.parse_response(status, body)?),
            AnyPrepared::Call(p) => AnyResponse::Call(p.parse_response(status, body)?),
            AnyPrepared::Calls(p) => AnyResponse::Calls(p.parse_response(status, body)?),
        })
    }

    /// For a `list_deliveries` request, the request for the page after `page` (`None` after
    /// the last page); `Err(())` for any other request.
    #[allow(clippy::result_unit_err)]
    pub fn next_page(&self, page: &DeliveryPage) -> Result<Option<AnyPrepared>, ()> {
        match self {
            AnyPrepared::Deliveries(p) => Ok(p.next_page(page).map(AnyPrepared::Deliveries)),
            _ => Err(()),
        }
    }

    /// For a `list_calls` request, the request for the page after `page` (`None` after the
    /// last page); `Err(())` for any other request.
    #[allow(clippy::result_unit_err)]
    pub fn next_calls_page(&self, page: &CallPage) -> Result<Option<AnyPrepared>, ()> {
        match self {
            AnyPrepared::Calls(p) => Ok(p.next_page(page).map(AnyPrepared::Calls)),
            _ => Err(()),
        }
    }
}

macro_rules! from_prepared {
    ($($t:ty => $variant:ident),*) => {$(
        impl From<Prepared<$t>> for AnyPrepared {
            fn from(p: Prepared<$t>) -> Self {
                AnyPrepared::$variant(p)
            }
        }
    )*};
}

from_prepared!(Webhook => Webhook, Vec<Webhook> => Webhooks, () => Nothing, DeliveryPage => Deliveries, Call => Call, CallPage => Calls);
