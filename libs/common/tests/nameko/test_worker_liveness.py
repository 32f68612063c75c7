"""The worker's liveness (/healthz): more than "the metrics thread answers". It fails while the
eventlet hub is blocked or while a handler is stuck, and recovers when they move again."""

import threading

import eventlet
from test_worker import EVENT, publish, recorder, wait_for, withdrawn

from xueji_common.messaging.consumer import Subscription
from xueji_common.messaging.liveness import WorkerLiveness

_time = eventlet.patcher.original("time")


def test_liveness_fails_while_a_handler_is_stuck_and_recovers_when_it_ends(store, start_worker, amqp_uri):
    liveness = WorkerLiveness(handler_stuck_after=0.5)
    release = threading.Event()  # a real one: the handler runs on a real (tpool) thread

    def stuck(event, uow, envelope):
        release.wait(30)
        recorder(store)(event, uow, envelope)

    start_worker(Subscription("registration", EVENT, stuck), liveness=liveness)
    liveness.start()
    publish(amqp_uri, withdrawn("app-stuck"))
    wait_for(lambda: liveness()[1]["handlers_in_flight"] == 1, "the handler to start")
    assert liveness()[0]  # running, not stuck yet
    eventlet.sleep(0.7)
    alive, detail = liveness()
    assert not alive and detail["handlers_stuck"] == [EVENT]
    release.set()
    wait_for(lambda: liveness()[0], "liveness back once the handler ends")
    assert store.count(store.handled) == 1
    liveness.stop()


def test_liveness_fails_while_the_hub_is_blocked_though_other_threads_still_answer():
    liveness = WorkerLiveness(hub_stale_after=0.5)
    liveness.start()
    eventlet.sleep(0.05)  # the first beat
    seen = []
    probe = threading.Thread(target=lambda: (_time.sleep(1.2), seen.append(liveness())))
    probe.start()  # a real thread, like the /healthz server's
    _time.sleep(1.5)  # blocks the hub: no greenthread runs
    probe.join()
    [(alive, detail)] = seen
    assert not alive and detail["hub_seconds_since_beat"] > 0.5
    eventlet.sleep(1.1)  # the hub turns again
    assert liveness()[0]
    liveness.stop()
