"""The import reads and validates the next batches in a thread while it stores the current one."""
import threading

import pytest
from django.utils import translation
from django.utils.translation import gettext as _

from collections_app.services.imports.runner import _read_ahead


def test_items_come_in_order_and_the_reader_runs_ahead():
    produced = []

    def batches():
        for n in range(10):
            produced.append(n)
            yield n

    got = []
    for item in _read_ahead(batches(), depth=2):
        got.append(item)
    assert got == list(range(10))


def test_an_error_in_the_reader_is_raised_in_the_consumer_after_the_items_before_it():
    def batches():
        yield 1
        yield 2
        raise ValueError("line 3 cannot be decoded")

    got = []
    with pytest.raises(ValueError, match="line 3"):
        for item in _read_ahead(batches()):
            got.append(item)
    assert got == [1, 2]


def test_a_consumer_that_stops_stops_the_reader():
    def batches():
        n = 0
        while True:  # endless: only the stop event ends it
            n += 1
            yield n

    before = threading.active_count()
    for item in _read_ahead(batches(), depth=1):
        if item == 3:
            break
    assert threading.active_count() == before


def test_the_reader_speaks_the_consumers_language():
    def batches():
        yield _("required value missing")

    with translation.override("zh-hans"):
        (message,) = list(_read_ahead(batches()))
    with translation.override("zh-hans"):
        assert message == _("required value missing") != "required value missing"
