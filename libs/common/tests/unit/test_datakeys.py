"""The data key ring (AES-256-GCM): values open only with their key and purpose; rotation by key id."""

import base64

import pytest

from xueji_common.datakeys import DataKeyError, KeyRing, is_encrypted, key_id_of, new_key_text

OLD, NEW = new_key_text("k2026"), new_key_text("k2027")
NUMBER = "330102201506011234"


def test_a_value_round_trips_and_its_ciphertext_shows_neither_the_number_nor_a_repeat():
    ring = KeyRing.from_texts(NEW)
    sealed = ring.encrypt(NUMBER, "applications.document_number")
    assert is_encrypted(sealed) and key_id_of(sealed) == "k2027" and NUMBER not in sealed
    assert ring.encrypt(NUMBER, "applications.document_number") != sealed  # a fresh nonce each time
    assert ring.decrypt(sealed, "applications.document_number") == NUMBER


def test_a_batch_is_sealed_value_by_value_each_with_its_own_nonce():
    ring = KeyRing.from_texts(NEW)
    numbers = [
        "G" + NUMBER + "X",
        "",
        "G" + NUMBER + "X",
        "L" + NUMBER + "1",
    ] * 50  # ciphertexts with + and /
    sealed = ring.encrypt_many(numbers, "national_records.national_student_number")
    assert [ring.decrypt(s, "national_records.national_student_number") for s in sealed] == numbers
    assert sealed[1] == "" and sealed[0] != sealed[2] and all(key_id_of(s) == "k2027" for s in sealed if s)
    nonces = [base64.urlsafe_b64decode(s.rpartition(":")[2])[:12] for s in sealed if s]
    assert len(set(nonces)) == len(nonces)
    with pytest.raises(DataKeyError):  # the purpose is the associated data, as with encrypt
        ring.decrypt(sealed[0], "students.national_student_number")


def test_the_empty_string_stays_empty():
    ring = KeyRing.from_texts(NEW)
    assert ring.encrypt("", "x") == "" and ring.decrypt("", "x") == ""


def test_a_ciphertext_does_not_open_for_another_purpose_or_after_tampering():
    ring = KeyRing.from_texts(NEW)
    sealed = ring.encrypt(NUMBER, "applications.document_number")
    with pytest.raises(DataKeyError):
        ring.decrypt(sealed, "student_records.document_number")
    head, _, blob = sealed.rpartition(":")
    raw = bytearray(base64.urlsafe_b64decode(blob))
    raw[-1] ^= 1  # one bit of the tag
    tampered = f"{head}:{base64.urlsafe_b64encode(bytes(raw)).decode()}"
    with pytest.raises(DataKeyError):
        ring.decrypt(tampered, "applications.document_number")


def test_after_a_rotation_old_values_open_with_the_previous_key_and_new_ones_use_the_new_key():
    sealed_old = KeyRing.from_texts(OLD).encrypt(NUMBER, "p")
    ring = KeyRing.from_texts(NEW, (OLD,))
    assert ring.decrypt(sealed_old, "p") == NUMBER and not ring.is_current(sealed_old)
    assert ring.is_current(ring.encrypt(NUMBER, "p"))
    with pytest.raises(DataKeyError, match="k2026"):  # the previous key dropped too early
        KeyRing.from_texts(NEW).decrypt(sealed_old, "p")


def test_a_number_sealed_into_an_event_opens_across_a_rotation_in_flight_and_only_as_that_field():
    from xueji_common.datakeys import CORRECTED_NUMBER

    old = new_key_text("old")
    sealed = KeyRing.from_texts(old).encrypt(
        "110101201501010011", CORRECTED_NUMBER
    )  # dedup before the rotation
    rotated = KeyRing.from_texts(new_key_text("new"), (old,))  # registration after it
    assert rotated.decrypt(sealed, CORRECTED_NUMBER) == "110101201501010011"
    with pytest.raises(DataKeyError):
        rotated.decrypt(sealed, "applications.document_number")
    assert CORRECTED_NUMBER == "event:ProblemResolved.corrected_document_number"
