"""The console's ASGI application: routes, static files, security headers."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from xueji_console import csp_reports
from xueji_console.backend import Backend
from xueji_console.code_tables import CodeTables
from xueji_console.config import ConsoleSettings
from xueji_console.import_jobs import make_jobs
from xueji_console.metrics import RequestMetrics
from xueji_console.sessions import make_store
from xueji_console.views import (
    applications,
    auth,
    corrections,
    department_reviews,
    imports,
    national_problems,
    national_query,
    preschool,
    preschool_export,
    problems,
    registrations,
    reports,
    reviews,
    special_ed,
    users,
    workbench,
)
from xueji_console.web import SecurityHeaders


@dataclass
class Console:
    settings: ConsoleSettings
    backend: Backend
    store: object
    import_jobs: object  # import_jobs.MemoryJobs or RedisJobs
    code_tables: CodeTables = field(default_factory=CodeTables)


def review_routes(
    base, worklist, case_page, case_decide, approve_selected, approve_all, review_selected
) -> list[Route]:
    return [
        Route(base, worklist),
        Route(f"{base}/approve-selected", approve_selected, methods=["POST"]),
        Route(f"{base}/review-selected", review_selected, methods=["POST"]),
        Route(f"{base}/approve-all", approve_all, methods=["POST"]),
        Route(base + "/{case_id}", case_page),
        Route(base + "/{case_id}", case_decide, methods=["POST"]),
    ]


ROUTES = [
    Route("/", workbench.workbench),
    Route("/signin", auth.signin_page),
    Route("/signin", auth.signin_submit, methods=["POST"]),
    Route("/password", auth.password_submit, methods=["POST"]),
    Route("/signout", auth.signout, methods=["POST"]),
    Route(csp_reports.PATH, csp_reports.receive_report, methods=["POST"]),
    Route("/applications", applications.application_list),
    Route("/applications/{application_id}", applications.application_detail),
    Route("/applications/{application_id}/review-info", applications.review_info),
    *review_routes("/reviews", *reviews.views(reviews.SCHOOL)),
    *review_routes(
        "/department-reviews",
        department_reviews.worklist,
        department_reviews.case_page,
        department_reviews.case_decide,
        department_reviews.approve_selected,
        department_reviews.approve_all,
        department_reviews.review_selected,
    ),
    Route("/national-query", national_query.query_page),
    Route("/national-query", national_query.lookup, methods=["POST"]),
    *national_problems.ROUTES,
    Route("/problems", problems.group_list),
    Route("/problems/{group_id}", problems.group_page),
    Route("/problems/{group_id}", problems.resolve, methods=["POST"]),
    Route("/special-ed", special_ed.info_list),
    Route("/special-ed/candidates", special_ed.candidates),
    Route("/special-ed/new/{record_id}", special_ed.new_info),
    Route("/special-ed/new/{record_id}", special_ed.create_info, methods=["POST"]),
    Route("/special-ed/{record_id}", special_ed.info_page),
    Route("/special-ed/{record_id}", special_ed.update_info, methods=["POST"]),
    Route("/users", users.user_list),
    Route("/users", users.create_user, methods=["POST"]),
    Route("/users/new", users.new_user),
    Route("/sign-ins", users.sign_ins),
    Route("/account-changes", users.account_changes),
    Route("/users/{login_name}/edit", users.edit_user),
    Route("/users/{login_name}/edit", users.update_user, methods=["POST"]),
    Route("/users/{login_name}/reset", users.reset_page),
    Route("/users/{login_name}/reset", users.reset_password, methods=["POST"]),
    Route("/users/{login_name}/{action}", users.change_state, methods=["POST"]),
    Route("/imports", imports.import_page),
    Route("/imports", imports.upload, methods=["POST"]),
    Route("/imports/template", imports.template),
    Route("/imports/jobs/{job_id}", imports.job_page),
    Route("/imports/{import_id}", imports.report_page),
    Route("/imports/{import_id}/failed", imports.failed_rows),
    # The school's registration screens (chapters 4-7, 10, 11).
    *preschool_export.ROUTES,
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
    app = Starlette(
        routes=ROUTES, middleware=[Middleware(RequestMetrics, routes=ROUTES), Middleware(SecurityHeaders)]
    )
    app.state.console = Console(
        settings,
        Backend(settings.services),
        make_store(settings.redis_url, settings.idle_timeout),
        make_jobs(settings.redis_url),
    )
    return app
