import pytest

from xueji.v1 import events_pb2
from xueji_common.messaging.bus import InProcessBus, decode_body, encode_body
from xueji_common.messaging.envelope import UnknownEvent, new_envelope, open_envelope


def test_envelope_round_trip_keeps_identity_and_payload():
    event = events_pb2.ApplicationWithdrawn(application_id="a-1")
    envelope = new_envelope(event, producer="registration", aggregate_id="a-1")
    opened, payload = open_envelope(decode_body(encode_body(envelope.SerializeToString())))
    assert opened.event_id == envelope.event_id and len(opened.event_id) == 36
    assert opened.type == "ApplicationWithdrawn"
    assert opened.producer == "registration"
    assert opened.correlation_id == "a-1"
    assert payload == event


def test_payload_of_another_type_than_declared_is_refused():
    envelope = new_envelope(events_pb2.ApplicationWithdrawn(application_id="a"), producer="registration")
    envelope.type = "ApplicationSubmitted"
    with pytest.raises(UnknownEvent):
        open_envelope(envelope.SerializeToString())


def test_in_process_bus_delivers_to_subscribers_of_that_producer_and_type_only():
    bus = InProcessBus()
    got = []
    bus.subscribe("registration", "ApplicationSubmitted", got.append)
    bus.publish("registration", "ApplicationSubmitted", b"x")
    bus.publish("registration", "ApplicationWithdrawn", b"y")
    bus.publish("review", "ApplicationSubmitted", b"z")
    assert got == [b"x"]
