"""runtime.periodic: jobs run again and again on their threads, survive a failing run, stop on demand."""

import logging
import threading

from xueji_common.runtime.periodic import PeriodicRunner, PeriodicTask

WAIT = 10.0  # seconds: the bound of every wait (the jobs below run every few milliseconds)


def counting(runs: list, done: threading.Event, enough: int, fail_first: bool = False):
    def run():
        runs.append(threading.current_thread().name)
        if len(runs) >= enough:
            done.set()
        if fail_first and len(runs) == 1:
            raise RuntimeError("national-query down")

    return run


def test_a_job_runs_repeatedly_and_a_failing_run_does_not_end_it(caplog):
    runs, done = [], threading.Event()
    runner = PeriodicRunner(
        [PeriodicTask("retry", 0.01, counting(runs, done, 3, fail_first=True), first_delay=0)]
    )
    with caplog.at_level(logging.WARNING):
        runner.start()
        assert done.wait(WAIT)
        runner.stop()
    assert runs[0] == "periodic-retry" and len(runs) >= 3
    failed = [r for r in caplog.records if r.getMessage() == "periodic task failed; will run again"]
    assert failed and failed[0].fields["task"] == "retry"


def test_stop_ends_the_jobs_and_a_zero_interval_never_runs():
    runs, done, never = [], threading.Event(), []
    runner = PeriodicRunner(
        [
            PeriodicTask("purge", 0.01, counting(runs, done, 1), first_delay=0),
            PeriodicTask("off", 0, lambda: never.append(1), first_delay=0),
        ]
    )
    assert [t.name for t in runner.tasks] == ["purge"]
    runner.start()
    assert done.wait(WAIT)
    runner.stop()
    assert not any(t.is_alive() for t in runner._threads)  # so no run after stop
    assert never == []


def test_the_first_run_waits_for_the_process_to_come_up():
    assert PeriodicTask("a", 300, lambda: None).delay == 10.0
    assert PeriodicTask("b", 2, lambda: None).delay == 2
    runs, done = [], threading.Event()
    runner = PeriodicRunner([PeriodicTask("late", 0.01, counting(runs, done, 1), first_delay=WAIT * 10)])
    runner.start()
    assert not done.wait(0.2)  # still in its first delay
    runner.stop()
    assert runs == []
