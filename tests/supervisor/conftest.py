import pytest

from .handbook import make_book


@pytest.fixture
def book(lender, team, collector, other_collector):
    """The hand-made book of tests/supervisor/handbook.py: {"c1", "c2", "c6"} cases."""
    return make_book(lender, team, collector, other_collector)
