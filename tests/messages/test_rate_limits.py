"""The sending rate shared by every worker (services.rate_limits, tasks.messages): counted in the
cache per window, a task over it comes back when the next window opens (in-process: waits)."""
import types

import pytest
from celery.exceptions import Retry
from django.core.cache import cache

from collections_app.services import rate_limits
from collections_app.tasks import messages as tasks


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.mark.parametrize(("rate", "parsed"), [("20/s", (20, 1)), ("600/m", (600, 60)), (" 5 / sec", (5, 1)),
                                              ("1000/h", (1000, 3600))])
def test_rates_parse(rate, parsed):
    assert rate_limits.parse_rate(rate) == parsed


@pytest.mark.parametrize("rate", ["", "20", "x/s", "0/s", "-1/m", "20/d"])
def test_a_bad_rate_says_what_a_rate_is(rate):
    with pytest.raises(ValueError, match="rate"):
        rate_limits.parse_rate(rate)


def test_the_window_allows_its_count_then_says_how_long_to_wait():
    taken = [rate_limits.take_slot(key="sms", rate="3/s", now=1000.25) for _ in range(4)]
    assert taken[:3] == [0.0, 0.0, 0.0]
    assert taken[3] == pytest.approx(0.75)
    assert rate_limits.take_slot(key="sms", rate="3/s", now=1001.0) == 0.0  # the next window
    assert rate_limits.take_slot(key="email", rate="1/m", now=960.0) == 0.0  # another provider: its own count
    assert rate_limits.take_slot(key="email", rate="1/m", now=970.0) == pytest.approx(50.0)  # windows start on the minute


def _task(eager: bool):
    def retry(*, countdown, max_retries):
        raise Retry(when=countdown)

    return types.SimpleNamespace(request=types.SimpleNamespace(is_eager=eager), retry=retry)


def test_a_worker_over_the_rate_retries_when_the_window_opens(monkeypatch):
    sent = []
    monkeypatch.setattr("collections_app.services.messages.deliver_message", lambda *, message_id: sent.append(message_id))
    monkeypatch.setattr(tasks.time, "time", lambda: 2000.4)
    assert tasks._deliver(_task(False), 1, key="sms", rate="1/s") == "not due or already taken"
    with pytest.raises(Retry) as retried:
        tasks._deliver(_task(False), 2, key="sms", rate="1/s")
    assert retried.value.when == pytest.approx(0.6)
    assert sent == [1]  # the second message was not sent


def test_in_process_the_send_waits_for_the_next_window(monkeypatch):
    clock = {"now": 3000.9}
    sleeps = []

    def sleep(seconds):
        sleeps.append(seconds)
        clock["now"] += seconds

    sent = []
    monkeypatch.setattr("collections_app.services.messages.deliver_message", lambda *, message_id: sent.append(message_id))
    monkeypatch.setattr(tasks.time, "time", lambda: clock["now"])
    monkeypatch.setattr(tasks.time, "sleep", sleep)
    for message_id in (1, 2):
        tasks._deliver(_task(True), message_id, key="sms", rate="1/s")
    assert sent == [1, 2]
    assert sleeps == [pytest.approx(0.1)]
