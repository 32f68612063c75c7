"""The console's ASGI application: routes, static files, security headers."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from xueji_console.backend import Backend
from xueji_console.config import ConsoleSettings
from xueji_console.sessions import make_store
from xueji_console.views import applications, auth, imports, reviews, workbench
from xueji_console.views import corrections, preschool, registrations, reports
from xueji_console.web import SecurityHeaders


@dataclass
class Console:
    settings: ConsoleSettings
    backend: Backend
    store: object


ROUTES = [
    Route("/", workbench.workbench),
    Route("/signin", auth.signin_page),
    Route("/signin", auth.signin_submit, methods=["POST"]),
    Route("/password", auth.password_submit, methods=["POST"]),
    Route("/signout", auth.signout, methods=["POST"]),
    Route("/applications", applications.application_list),
    Route("/applications/{application_id}", applications.application_detail),
    Route("/reviews", reviews.worklist),
    Route("/reviews/approve-selected", reviews.approve_selected, methods=["POST"]),
    Route("/reviews/approve-all", reviews.approve_all, methods=["POST"]),
    Route("/reviews/{case_id}", reviews.case_page),
    Route("/reviews/{case_id}", reviews.case_decide, methods=["POST"]),
    Route("/imports", imports.import_page),
    Route("/imports", imports.upload, methods=["POST"]),
    Route("/imports/template", imports.template),
    Route("/imports/jobs/{job_id}", imports.job_page),
    Route("/imports/{import_id}", imports.report_page),
    Route("/imports/{import_id}/failed", imports.failed_rows),
    # The school's registration screens (chapters 4-7, 10, 11).
    *preschool.ROUTES,
    *corrections.ROUTES,
    Route("/register/{kind}", registrations.entries),
    Route("/register/{kind}/{category}/new", registrations.entry_page),
    Route("/register/{kind}/{category}/new", registrations.entry_save, methods=["POST"]),
    Route("/reports", reports.worklist),
    Route("/reports/report", reports.report_selected, methods=["POST"]),
    Route("/reports/report-all", reports.report_all, methods=["POST"]),
    Mount("/static", StaticFiles(directory=Path(__file__).parent / "static"), name="static"),
]


def create_app(settings: ConsoleSettings) -> Starlette:
    app = Starlette(routes=ROUTES, middleware=[Middleware(SecurityHeaders)])
    app.state.console = Console(settings, Backend(settings.services),
                                make_store(settings.redis_url, settings.idle_timeout))
    return app
