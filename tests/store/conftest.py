import pytest

from tests.conftest import service_url


@pytest.fixture(scope="session")
def pgbouncer_url() -> str:
    """A URL through PgBouncer to the test PostgreSQL, from AUTONN_TEST_PGBOUNCER_URL (.ci/run
    starts PgBouncer with .ci/start-pgbouncer.sh and sets it)."""
    return service_url("AUTONN_TEST_PGBOUNCER_URL", "PgBouncer", ".ci/start-pgbouncer.sh")
