import os

import pytest


@pytest.fixture(scope="session")
def pgbouncer_url() -> str:
    """A URL through PgBouncer to the test PostgreSQL, from AUTONN_TEST_PGBOUNCER_URL (.ci/run
    starts PgBouncer with .ci/start-pgbouncer.sh and sets it)."""
    url = os.environ.get("AUTONN_TEST_PGBOUNCER_URL")
    if not url:
        if os.environ.get("CI"):
            pytest.fail(
                "AUTONN_TEST_PGBOUNCER_URL is not set; .ci/run starts PgBouncer and sets it"
            )
        pytest.skip("set AUTONN_TEST_PGBOUNCER_URL (see .ci/start-pgbouncer.sh) to test PgBouncer")
    return url
