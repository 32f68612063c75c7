"""An application created at registration reaches review exactly once, whatever fails on the way.

Real processes (`xueji-registration serve`, `xueji-review serve`, `xueji-review-worker`), real
PostgreSQL databases and a real RabbitMQ vhost. Outcomes are read through the public gRPC API; the
exactly-once claims also through review's tables (review_cases, inbox).
"""

from __future__ import annotations

import functools
import time

import grpc
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool
from tests.e2e import actors

from xueji.v1 import common_pb2, registration_pb2, registration_pb2_grpc, review_pb2, review_pb2_grpc
from xueji_common.auth import Role
from xueji_common.demo import population_register
from xueji_common.grpcserver.client import bearer
from xueji_common.grpcserver.convert import dict_to_message
from xueji_common.messaging.bus import NamekoPublisher
from xueji_common.orgunits import load_default_tree
from xueji_common.testing import infra
from xueji_registration.testing import sample_form

SCHOOL = "1330102001"  # 杭州市上城区胜利小学
PEOPLE = population_register(load_default_tree(), size=5, seed=20181)
WAIT = 15.0

pytestmark = pytest.mark.slow


# -- helpers --------------------------------------------------------------------------------------


# This module polls faster and gives up sooner than the whole-system tests.
wait_for = functools.partial(actors.wait_for, timeout=WAIT, interval=0.1)


def sql(cluster, svc: str, statement: str, **params) -> list:
    engine = create_engine(cluster.db[svc], poolclass=NullPool)
    try:
        with engine.connect() as conn:
            return conn.execute(text(statement), params).all()
    finally:
        engine.dispose()


def create_application(cluster, person) -> registration_pb2.Application:
    request = registration_pb2.CreateApplicationRequest(
        school_code=SCHOOL,
        kind=common_pb2.REGISTRATION_KIND_NON_PRIMARY_FRESHMAN,
        category=common_pb2.DOCUMENT_CATEGORY_RESIDENT,
        student=registration_pb2.StudentRecordForm(
            name=person.name,
            gender=int(person.gender),
            birth_date=common_pb2.Date(
                year=person.birth_date.year, month=person.birth_date.month, day=person.birth_date.day
            ),
            document=common_pb2.IdentityDocument(
                type=common_pb2.DOCUMENT_TYPE_RESIDENT_ID, number=person.resident_id
            ),
        ),
    )
    request.student.MergeFrom(
        dict_to_message(sample_form(), registration_pb2.StudentRecordForm())
    )  # the rest of the form
    with grpc.insecure_channel(cluster.address("registration")) as channel:
        stub = registration_pb2_grpc.RegistrationsStub(channel)
        token = cluster.token(Role.SCHOOL_REGISTRAR, SCHOOL, "registrar-1")
        return stub.CreateApplication(request, metadata=bearer(token), timeout=10)


def pending_total(cluster) -> int:
    with grpc.insecure_channel(cluster.address("review")) as channel:
        stub = review_pb2_grpc.ReviewsStub(channel)
        token = cluster.token(Role.SCHOOL_LEADER, SCHOOL, "leader-1")
        summary = stub.GetPendingSummary(
            review_pb2.GetPendingSummaryRequest(school_code=SCHOOL), metadata=bearer(token), timeout=10
        )
    return summary.total


def outbox_row(cluster, application_id: str):
    rows = sql(
        cluster,
        "registration",
        "SELECT event_id, event_type, envelope, published_at, attempts FROM outbox WHERE aggregate_id = :id",
        id=application_id,
    )
    assert len(rows) == 1, rows
    return rows[0]


def wait_published(cluster, application_id: str):
    return wait_for(
        lambda: (row := outbox_row(cluster, application_id)).published_at and row,
        f"outbox row of {application_id} to be published",
    )


def assert_exactly_once(cluster, application_id: str, event_id: str) -> None:
    cases = sql(
        cluster, "review", "SELECT count(*) FROM review_cases WHERE application_id = :id", id=application_id
    )
    inbox = sql(cluster, "review", "SELECT consumer FROM inbox WHERE event_id = :id", id=event_id)
    assert cases[0][0] == 1
    assert len(inbox) == 1, inbox


def wait_total(cluster, expected: int) -> None:
    wait_for(lambda: pending_total(cluster) == expected, f"review pending total {expected}", interval=0.2)


# -- tests ----------------------------------------------------------------------------------------


def test_created_application_appears_in_review_pending_summary(cluster):
    assert pending_total(cluster) == 0
    app = create_application(cluster, PEOPLE[0])
    assert app.school_code == SCHOOL and app.application_id

    wait_total(cluster, 1)
    row = outbox_row(cluster, app.application_id)
    assert row.event_type == "ApplicationSubmitted" and row.published_at is not None
    assert_exactly_once(cluster, app.application_id, row.event_id)


def test_event_published_while_worker_is_down_is_handled_once_it_returns(cluster):
    cluster.stop("review-worker")
    app = create_application(cluster, PEOPLE[0])
    row = wait_published(cluster, app.application_id)

    time.sleep(0.5)  # give a (wrongly) running consumer a chance to show up
    assert pending_total(cluster) == 0
    assert sql(cluster, "review", "SELECT count(*) FROM review_cases")[0][0] == 0

    cluster.start("review-worker")
    wait_total(cluster, 1)
    assert_exactly_once(cluster, app.application_id, row.event_id)


def test_redelivered_event_changes_nothing(cluster):
    app = create_application(cluster, PEOPLE[0])
    wait_total(cluster, 1)
    row = wait_published(cluster, app.application_id)
    log_hits = lambda: cluster.logs()["review-worker"].count("event already handled")  # noqa: E731
    before = log_hits()

    publisher = NamekoPublisher(cluster.amqp_uri)
    publisher.publish("registration", "ApplicationSubmitted", bytes(row.envelope))
    publisher.close()

    wait_for(lambda: log_hits() > before, "the worker to log 'event already handled'")
    assert pending_total(cluster) == 1
    assert_exactly_once(cluster, app.application_id, row.event_id)
    assert sql(cluster, "review", "SELECT count(*) FROM inbox")[0][0] == 1


def test_commit_survives_bus_outage_and_is_published_when_bus_returns(cluster):
    cluster.stop("registration")
    closed = f"amqp://guest:guest@127.0.0.1:{infra.free_port()}/"
    cluster.start("registration", env={"XUEJI_AMQP_URI": closed})

    app = create_application(cluster, PEOPLE[0])  # committed together with its outbox row
    wait_for(lambda: outbox_row(cluster, app.application_id).attempts > 0, "a failed publish attempt")
    time.sleep(2)
    row = outbox_row(cluster, app.application_id)
    assert row.published_at is None and row.attempts > 0
    assert "outbox publish failed" in cluster.logs()["registration"]
    assert pending_total(cluster) == 0

    cluster.stop("registration")
    cluster.start("registration")  # same database, the right broker
    wait_published(cluster, app.application_id)
    wait_total(cluster, 1)
    assert_exactly_once(cluster, app.application_id, row.event_id)


def test_worker_killed_while_idle_loses_nothing(cluster):
    first = create_application(cluster, PEOPLE[0])
    wait_total(cluster, 1)

    assert cluster.kill("review-worker") == -9
    while_down = create_application(cluster, PEOPLE[1])
    wait_published(cluster, while_down.application_id)

    cluster.start("review-worker")
    after = create_application(cluster, PEOPLE[2])
    wait_total(cluster, 3)
    for app in (first, while_down, after):
        assert_exactly_once(cluster, app.application_id, outbox_row(cluster, app.application_id).event_id)
    assert sql(cluster, "review", "SELECT count(*) FROM review_cases")[0][0] == 3


def test_processes_log_no_document_number_and_stop_gracefully(cluster):
    person = PEOPLE[4]
    create_application(cluster, person)
    wait_for(lambda: pending_total(cluster) == 1, "the case in review")
    codes = {name: cluster.stop(name) for name in cluster.names()}
    assert codes == {name: 0 for name in cluster.names()}, codes  # SIGTERM: drained, exit 0
    logs = cluster.logs()
    assert any("event handled" in log for log in logs.values())
    for name, log in logs.items():
        assert person.resident_id not in log, f"{name} logged a document number unmasked"
