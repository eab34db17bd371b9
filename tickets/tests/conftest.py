"""Fixtures of the ticket tests: files of each kind, and a private storage per test."""

from pathlib import Path

import pytest
from django.core.files.storage import FileSystemStorage

from accounts.tests.factories import UserFactory
from events.tests.factories import EventFactory
from tickets.models import Ticket


@pytest.fixture(autouse=True)
def private_dir(tmp_path, monkeypatch) -> Path:
    """Ticket files of this test go to a folder of its own, so leftovers can be counted.

    (The suite's private folder is shared by concurrent runs; the field's storage
    object is bound when the model loads, so it is swapped on the field itself.)
    """
    location = tmp_path / "private"
    storage = FileSystemStorage(location=location)
    monkeypatch.setattr(Ticket._meta.get_field("file"), "storage", storage)
    return location


@pytest.fixture
def seller(db):
    return UserFactory()


@pytest.fixture
def event(db):
    return EventFactory()
