"""The import's pause of the garbage collector (service_layer.import_loop)."""

import gc

from xueji_registration.service_layer.import_loop import _CollectorPause


def test_imports_at_the_same_time_share_one_pause_and_the_collector_runs_again_after_the_last():
    pause = _CollectorPause()
    assert gc.isenabled()
    try:
        first, second = pause(), pause()
        first.__enter__()
        second.__enter__()
        assert not gc.isenabled()
        first.__exit__(None, None, None)
        assert not gc.isenabled()  # the second import still runs
        second.__exit__(None, None, None)
        assert gc.isenabled()
        gc.disable()  # a process that had turned the collector off keeps it off
        with pause():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
