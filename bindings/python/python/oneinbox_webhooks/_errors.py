"""The exception tree of oneinbox_webhooks (re-exported by the package and by ``_native``).

``ValidationError`` and ``UsageError`` derive from both ``OneInboxError`` and ``ValueError``,
which pyo3's single-base exceptions cannot express, so the tree is plain Python; the native
module imports it and raises these classes. ``__module__`` is the public package, so
tracebacks read ``oneinbox_webhooks.ValidationError``.
"""

from __future__ import annotations

from typing import Any


class OneInboxError(Exception):
    """Base class of every error raised by oneinbox_webhooks."""

    __module__ = "oneinbox_webhooks"


class ValidationError(OneInboxError, ValueError):
    """A payload or response does not match its contract.

    ``issues`` lists every problem found (never just the first), in document order;
    ``str()`` lists them too.
    """

    __module__ = "oneinbox_webhooks"

    def __init__(self, message: str, issues: Any) -> None:
        super().__init__(message)
        self.issues = list(issues)

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (str(self), self.issues))


class UsageError(OneInboxError, ValueError):
    """A caller passed an argument that cannot work; ``issues`` point into the arguments."""

    __module__ = "oneinbox_webhooks"

    def __init__(self, message: str, issues: Any) -> None:
        super().__init__(message)
        self.issues = list(issues)

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (str(self), self.issues))


class ApiError(OneInboxError):
    """The OneInbox API answered with an error status."""

    __module__ = "oneinbox_webhooks"

    def __init__(
        self, status: int, message: str, details: Any = None, retryable: bool = False
    ) -> None:
        super().__init__(f"OneInbox API error {status}: {message}")
        self.status = status
        self.message = message
        self.details = details
        self.retryable = retryable

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.status, self.message, self.details, self.retryable))


class AuthenticationError(OneInboxError):
    """A delivery did not authenticate (answer 401 and do not process it).

    ``verification`` is the ``Verification`` that failed; its ``code`` says why. Neither the
    message nor the verification ever holds a token or a secret.
    """

    __module__ = "oneinbox_webhooks"

    def __init__(self, verification: Any) -> None:
        super().__init__(f"delivery not authenticated: {verification.code}")
        self.verification = verification

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.verification,))
