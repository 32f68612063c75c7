"""xueji_registration_applications{service, state}: counted in the database on scrape, at most once per
ttl, every state exported, the last counts kept while the database cannot answer."""

from __future__ import annotations

from prometheus_client import REGISTRY, generate_latest
from prometheus_client.core import CollectorRegistry
from sqlalchemy import update

from xueji_common.auth import Principal, Role
from xueji_common.documents import DocumentCategory
from xueji_common.vocabulary import RegistrationKind
from xueji_registration.adapters.excel import samples
from xueji_registration.adapters.metrics import NAME, ApplicationsByState
from xueji_registration.adapters.tables import applications
from xueji_registration.domain.model import ApplicationState
from xueji_registration.domain.template.columns import registration_template
from xueji_registration.entrypoints.grpc_api import bindings
from xueji_registration.service_layer.imports import import_applications
from xueji_registration.spec import SPEC

SCHOOL = "1330102001"
TEMPLATE = registration_template(RegistrationKind.NON_PRIMARY_FRESHMAN, DocumentCategory.RESIDENT)
NONE = {s.value: 0.0 for s in ApplicationState}


def imported(rt, count: int) -> list[str]:
    report = import_applications(
        rt.uow_factory(),
        school_code=SCHOOL,
        kind=TEMPLATE.kind,
        category=TEMPLATE.category,
        file_name="x.xlsx",
        content=samples.workbook(TEMPLATE, samples.student_rows(TEMPLATE, count)),
        request_id="",
        principal=Principal("u1", Role.SCHOOL_REGISTRAR, SCHOOL),
        tree=rt.tree,
        hash_key=rt.settings.hash_key,
    )
    return report.created_ids


def set_state(rt, application_id: str, state: ApplicationState) -> None:
    with rt.session_factory() as s:
        s.execute(
            update(applications)
            .where(applications.c.application_id == application_id)
            .values(state=state.value)
        )
        s.commit()


def scraped(gauge) -> dict[str, float]:
    registry = CollectorRegistry()
    registry.register(gauge)
    return {
        state: registry.get_sample_value(NAME, {"xueji_service": "registration", "state": state})
        for state in NONE
    }


def test_applications_are_counted_by_state_at_most_once_per_ttl(service_runtime):
    rt = service_runtime(SPEC)
    now = [0.0]
    gauge = ApplicationsByState(rt.session_factory, ttl=30, clock=lambda: now[0])
    assert scraped(gauge) == NONE
    ids = imported(rt, 4)
    set_state(rt, ids[0], ApplicationState.WITHDRAWN)
    set_state(rt, ids[1], ApplicationState.APPROVED)
    now[0] = 29.9
    assert scraped(gauge) == NONE  # counted 29.9 s ago: not again
    now[0] = 30.0
    assert scraped(gauge) == {**NONE, "awaiting_dedup": 2.0, "withdrawn": 1.0, "approved": 1.0}


def test_the_last_counts_stay_while_the_database_cannot_answer(service_runtime):
    rt = service_runtime(SPEC)
    now = [0.0]
    gauge = ApplicationsByState(rt.session_factory, ttl=30, clock=lambda: now[0])
    imported(rt, 2)
    assert scraped(gauge)["awaiting_dedup"] == 2.0

    def unreachable():
        raise ConnectionError("database down")

    gauge.session_factory = unreachable
    now[0] = 60.0
    assert scraped(gauge)["awaiting_dedup"] == 2.0


def test_the_grpc_process_exports_the_gauge(service_runtime):
    rt = service_runtime(SPEC)
    bindings(rt)
    imported(rt, 1)
    text = generate_latest(REGISTRY).decode()
    assert f'{NAME}{{state="awaiting_dedup",xueji_service="registration"}} 1.0' in text
    assert f'{NAME}{{state="approved",xueji_service="registration"}} 0.0' in text
