"""Access logs without URL tokens: a ``logging.Filter`` that redacts the ``token`` query value
(the core's ``redact_url_token``) in every record of a server's access logger.

``redact_access_logs()`` adds it to the access loggers of uvicorn (``uvicorn.access``), gunicorn
(``gunicorn.access``), Werkzeug (``werkzeug``, Flask's development server) and Django's
development server (``django.server``); or add
``UrlTokenFilter()`` to any logger or handler yourself (``logging.config`` takes it as a filter
``"()": "oneinbox_webhooks.UrlTokenFilter"``). Importing this module imports no server.
"""

from __future__ import annotations

import logging
from collections.abc import MutableMapping
from typing import Any

from ._native import redact_url_token

__all__ = ["ACCESS_LOGGERS", "UrlTokenFilter", "redact_access_logs"]

ACCESS_LOGGERS = ("uvicorn.access", "gunicorn.access", "werkzeug", "django.server")
"""The loggers ``redact_access_logs()`` filters by default."""


def _redacted(value: Any) -> Any:
    return redact_url_token(value) if isinstance(value, str) and "token=" in value else value


class UrlTokenFilter(logging.Filter):
    """Replaces every ``token=`` query value in a record's message and arguments by
    ``[redacted]``; lets every record through. The arguments are changed in place when they are
    a mapping (gunicorn's atoms keep their own lookup rules), else replaced by a new tuple
    (uvicorn's request target, Werkzeug's request line)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = _redacted(record.msg)
        args = record.args
        if isinstance(args, MutableMapping):
            for key, value in list(args.items()):
                if isinstance(value, str) and "token=" in value:
                    args[key] = redact_url_token(value)
        elif isinstance(args, tuple):
            record.args = tuple(_redacted(a) for a in args)
        return True


def redact_access_logs(*names: str) -> UrlTokenFilter:
    """Adds one ``UrlTokenFilter`` to each named logger (default: ``ACCESS_LOGGERS``, the access
    loggers of uvicorn, gunicorn, Werkzeug and Django's runserver), once; returns it. Call it
    before the server starts (uvicorn's ``log_config`` replaces handlers, not logger filters)."""
    found: UrlTokenFilter | None = None
    loggers = [logging.getLogger(name) for name in names or ACCESS_LOGGERS]
    for logger in loggers:
        for existing in logger.filters:
            if isinstance(existing, UrlTokenFilter):
                found = existing
    token_filter = found if found is not None else UrlTokenFilter()
    for logger in loggers:
        if not any(isinstance(f, UrlTokenFilter) for f in logger.filters):
            logger.addFilter(token_filter)
    return token_filter
