import pytest

from .book import make_book


@pytest.fixture
def book(lender):
    """The October book of tests/reports/book.py."""
    return make_book(lender)
