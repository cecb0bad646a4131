"""The URLconf of the Django adapter tests (ROOT_URLCONF): test_adapters.py puts the view under
test in ``urlpatterns``."""

from collections.abc import Callable
from typing import Any

urlpatterns: list[Any] = []


def read_the_stream_first(get_response: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """A middleware that reads the request stream before the view (as some do by mistake)."""

    def middleware(request: Any) -> Any:
        request.read()
        return get_response(request)

    return middleware
