import pytest

from .book import make_book


@pytest.fixture
def book(lender, team, collector, other_collector):
    """The November book of tests/kpis/book.py."""
    return make_book(lender, team, collector, other_collector)
