"""``python -m oneinbox_webhooks send …`` (see ``oneinbox_webhooks.cli``)."""

from .cli import main

if __name__ == "__main__":
    raise SystemExit(main())
