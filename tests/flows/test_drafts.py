"""Flow drafts (:mod:`voice.flows.drafts`): text kept byte for byte, revisions, conflicts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from voice.compose import Services
from voice.flows.drafts import DraftStore
from voice.flows.errors import DraftConflictError

TEXT = "# a comment that must survive\nid: main   # trailing comment\n\nnodes: {}\n"


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


def test_save_get_and_delete_keep_the_text_exactly(services: Services) -> None:
    store = DraftStore(services.session_factory, Clock())
    assert store.get("main") is None
    saved = store.save("main", TEXT, saved_by="ada", base_version=3, expected_revision=None)
    assert (saved.revision, saved.base_version, saved.saved_by) == (1, 3, "ada")
    again = store.get("main")
    assert again is not None and again.content == TEXT
    assert again.saved_at.tzinfo is not None
    assert [d.flow_id for d in store.list()] == ["main"]
    assert store.delete("main") is True
    assert store.delete("main") is False
    assert store.get("main") is None


def test_a_save_from_an_older_revision_is_refused_unless_it_overwrites(
        services: Services) -> None:
    store = DraftStore(services.session_factory, Clock())
    store.save("main", "one", saved_by="ada", base_version=1, expected_revision=None)
    store.save("main", "two", saved_by="bob", base_version=1, expected_revision=1)
    with pytest.raises(DraftConflictError) as caught:
        store.save("main", "ada's", saved_by="ada", base_version=1, expected_revision=1)
    assert "saved by bob" in str(caught.value) and "revision 2" in str(caught.value)
    current = store.get("main")
    assert current is not None and current.content == "two"  # nothing lost
    forced = store.save("main", "ada's", saved_by="ada", base_version=1, expected_revision=1,
                        overwrite=True)
    assert (forced.revision, forced.content) == (3, "ada's")


def test_a_draft_started_from_one_that_was_published_meanwhile_saves_anew(
        services: Services) -> None:
    store = DraftStore(services.session_factory, Clock())
    store.save("main", "one", saved_by="ada", base_version=1, expected_revision=None)
    store.delete("main")  # published by someone else
    saved = store.save("main", "two", saved_by="ada", base_version=2, expected_revision=1)
    assert (saved.revision, saved.content) == (1, "two")
