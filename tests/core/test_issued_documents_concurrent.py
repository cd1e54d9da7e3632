"""Numbers are taken once each, however many issues of the same source arrive at the same moment.

Only PostgreSQL runs this (SQLite serialises every writer): N threads, each with its own connection, wait
at a barrier and then issue a document of the same source (no series row and no document yet).
"""

import threading

import pytest
from django.db import connection, connections

from anyang_hte.core.documents import Numbering, issue_document
from anyang_hte.core.models import DocumentSeries, IssuedDocument

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks"),
    pytest.mark.django_db(transaction=True),
]

THREADS = 4


def _issue():
    issue_document(
        kind="bulletin",
        title="并发",
        numbering=Numbering("安并", "安阳市测试局"),
        source_key="bulletin:1999",
        render=lambda issue: f"<html><body><p>{issue.number}</p></body></html>",
        by=None,
    )


def test_simultaneous_issues_take_distinct_numbers_and_one_stays_latest():
    barrier = threading.Barrier(THREADS)
    errors = []

    def run():
        try:
            barrier.wait(timeout=30)
            _issue()
        except Exception as exc:  # noqa: BLE001 - any failure must show in the assertion
            errors.append(repr(exc))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    documents = list(IssuedDocument.objects.order_by("serial"))
    assert [d.serial for d in documents] == list(range(1, THREADS + 1))
    assert [d.is_latest for d in documents] == [False] * (THREADS - 1) + [True]
    assert [d.supersedes_id for d in documents[1:]] == [d.pk for d in documents[:-1]]
    assert DocumentSeries.objects.get(prefix="安并").last_serial == THREADS
