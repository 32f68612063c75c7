"""The console's request metrics are labelled by route template, never by path (metrics.py)."""

from xueji_console.app import ROUTES
from xueji_console.metrics import route_of


def scope(path: str, method: str = "GET") -> dict:
    return {"type": "http", "path": path, "method": method, "root_path": ""}


def test_a_path_with_an_id_is_counted_under_its_route_template():
    assert route_of(ROUTES, scope("/users/ua-edit/edit")) == "/users/{login_name}/edit"
    assert route_of(ROUTES, scope("/users/ua-edit/edit", "POST")) == "/users/{login_name}/edit"
    assert route_of(ROUTES, scope("/applications/8f3a")) == "/applications/{application_id}"


def test_static_files_count_as_one_route_and_unknown_paths_as_unmatched():
    assert route_of(ROUTES, scope("/static/console.css")) == "/static"
    assert route_of(ROUTES, scope("/no/such/page/at/all")) == "unmatched"


def test_a_known_path_with_another_method_keeps_its_template():
    assert route_of(ROUTES, scope("/signout")) == "/signout"  # GET of a POST-only route: 405


def test_metrics_listen_on_the_consoles_host_unless_told_otherwise():
    from xueji_common.config import Settings
    from xueji_console.config import ConsoleSettings

    assert ConsoleSettings(services=Settings(), host="127.0.0.1").metrics_host == "127.0.0.1"
    assert (
        ConsoleSettings(services=Settings(metrics_host="10.0.0.5"), host="0.0.0.0").metrics_host == "10.0.0.5"
    )
