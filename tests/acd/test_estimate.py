"""Estimated wait from measured handle times and the agents staffing the queue."""

from __future__ import annotations

import pytest

from voice.acd.estimate import estimate_wait, minutes_phrase


def test_a_free_agent_means_no_wait() -> None:
    assert estimate_wait(2, free_agents=2, busy_elapsed=[10.0], handle_time=300) == 0.0


def test_nobody_staffing_gives_no_estimate() -> None:
    assert estimate_wait(1, free_agents=0, busy_elapsed=[], handle_time=300) is None


def test_next_caller_waits_for_the_agent_closest_to_finishing() -> None:
    # two agents: one 250 s into a 300 s average call, one 100 s into it
    assert estimate_wait(1, free_agents=0, busy_elapsed=[250, 100], handle_time=300) == 50
    assert estimate_wait(2, free_agents=0, busy_elapsed=[250, 100], handle_time=300) == 200
    # third caller: the first agent's next call ends one handle time after the first
    assert estimate_wait(3, free_agents=0, busy_elapsed=[250, 100], handle_time=300) == 350


def test_long_lines_grow_by_one_handle_time_per_round_of_agents() -> None:
    one = estimate_wait(10, free_agents=0, busy_elapsed=[0, 0], handle_time=100)
    two = estimate_wait(12, free_agents=0, busy_elapsed=[0, 0], handle_time=100)
    assert one == 500 and two == 600


def test_a_call_over_the_average_is_expected_to_end_soon_not_in_the_past() -> None:
    assert estimate_wait(1, free_agents=0, busy_elapsed=[900], handle_time=300) == 30


def test_position_is_one_based() -> None:
    with pytest.raises(ValueError):
        estimate_wait(0, free_agents=1, busy_elapsed=[], handle_time=60)


def test_phrases() -> None:
    assert minutes_phrase(20) == "less than a minute"
    assert minutes_phrase(61) == "about 1 minute"
    assert minutes_phrase(290) == "about 5 minutes"
