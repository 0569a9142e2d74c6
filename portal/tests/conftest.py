import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _fresh_page_cache():
    """Portal pages are cached for a minute; each test starts from an empty cache."""
    cache.clear()
    yield
    cache.clear()
