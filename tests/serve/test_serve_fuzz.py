"""The OpenAPI schema, fuzzed with schemathesis over real HTTP: no request may get a 5xx.

The server scores against the real local wiki (and only it: the registry holds nothing else,
so no generated ``lang`` or context can reach a real Wikipedia). Bounded: a few dozen examples
per operation, well under a minute on two cores, and derandomized so that CI is repeatable.
A wider, random search: ``WIKISCORE_FUZZ_EXAMPLES=500 WIKISCORE_FUZZ_RANDOM=1 .venv/bin/pytest
tests/serve/test_serve_fuzz.py``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from serve_helpers import LiveServer, new_app

pytestmark = [pytest.mark.wiki, pytest.mark.slow]


def _schema() -> Any:
    # The schema does not depend on the wiki: build it from an app that is never started.
    from wikiscore.serve.app import create_app
    from wikiscore.wikis import WikiRegistry

    return schemathesis.openapi.from_dict(create_app(WikiRegistry({})).openapi())


schema = _schema()


@pytest.fixture(scope="module")
def live_url(testwiki_registry: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    app = new_app(testwiki_registry, tmp_path_factory.mktemp("fuzz"), upstream_timeout=5.0)
    with LiveServer(app) as server:
        yield server.url


@schema.parametrize()
@settings(
    max_examples=int(os.environ.get("WIKISCORE_FUZZ_EXAMPLES", "25")),
    derandomize=not os.environ.get("WIKISCORE_FUZZ_RANDOM"),
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_no_server_errors(case: Any, live_url: str) -> None:
    case.call_and_validate(base_url=live_url, checks=[not_a_server_error])
