"""Token verification with public keys only: ES256 from trusted issuers, nothing else."""

import json
import time

import jwt
import pytest

from xueji_common.auth import Principal, Role, TokenError, TokenService, TrustedIssuer, role_fits_unit
from xueji_common.orgunits import load_default_tree
from xueji_common.signing import JwksKeys, SigningKey, jwks
from xueji_common.testing.issuer import TestIssuer

OLD_SHARED_KEY = "xueji-development-token-key-not-for-production"  # the HS256 key every tier shared


@pytest.fixture(scope="module")
def zj():
    return TestIssuer("xueji-330000", units=("330000",))


@pytest.fixture(scope="module")
def js():
    return TestIssuer("xueji-320000", units=("320000",))


@pytest.fixture(scope="module")
def nation():
    return TestIssuer("xueji-national", units=("000000",))


def verifier(*issuers, tree=None) -> TokenService:
    return TokenService({i.name: i.trusted() for i in issuers}, tree=tree or load_default_tree())


def test_a_token_of_a_trusted_issuer_verifies_to_its_principal(zj):
    token = zj.mint("u1", Role.SCHOOL_LEADER, "1330102001")
    assert verifier(zj).verify(token) == Principal("u1", Role.SCHOOL_LEADER, "1330102001", "xueji-330000")
    header, claims = jwt.get_unverified_header(token), jwt.decode(token, options={"verify_signature": False})
    assert header["alg"] == "ES256" and header["kid"] == zj.key.kid
    assert {"iss", "aud", "sub", "exp", "iat", "jti", "role", "org"} <= set(claims)


def test_the_national_tier_accepts_a_province_users_token(zj, js, nation):
    national = verifier(nation, zj, js)
    assert national.verify(zj.mint("u", Role.SCHOOL_REGISTRAR, "1330102001")).org_unit == "1330102001"
    assert national.verify(js.mint("u", Role.DEPARTMENT_REGISTRAR, "320000")).issuer == "xueji-320000"


def test_a_token_of_an_issuer_not_configured_is_refused(zj, js):
    with pytest.raises(TokenError, match="issuer not trusted"):
        verifier(zj).verify(js.mint("u", Role.SCHOOL_REGISTRAR, "1320102001"))


def test_a_token_signed_with_another_key_under_a_trusted_name_is_refused(zj):
    impostor = TestIssuer("xueji-330000", units=("330000",))  # same name, its own key
    with pytest.raises(TokenError):
        verifier(zj).verify(impostor.mint("u", Role.SYSTEM, "330000"))


def test_a_province_issuer_cannot_speak_for_another_province_or_the_nation(zj, js, nation):
    national = verifier(nation, zj, js)
    for unit in ("320000", "1320102001", "000000"):
        role = Role.SCHOOL_REGISTRAR if len(unit) == 10 else Role.SYSTEM
        with pytest.raises(TokenError, match="does not speak for"):
            national.verify(zj.mint("service:registration", role, unit))


def test_the_old_shared_hs256_key_is_refused(zj):
    claims = {
        "sub": "u",
        "role": "system",
        "org": "000000",
        "aud": "xueji",
        "iss": "xueji-330000",
        "iat": int(time.time()),
        "exp": int(time.time()) + 60,
        "jti": "x",
    }
    with pytest.raises(TokenError, match="algorithm"):
        verifier(zj).verify(jwt.encode(claims, OLD_SHARED_KEY, algorithm="HS256"))


def test_alg_none_is_refused(zj):
    claims = {
        "sub": "u",
        "role": "system",
        "org": "330000",
        "aud": "xueji",
        "iss": "xueji-330000",
        "iat": int(time.time()),
        "exp": int(time.time()) + 60,
        "jti": "x",
    }
    with pytest.raises(TokenError, match="algorithm"):
        verifier(zj).verify(jwt.encode(claims, None, algorithm="none", headers={"kid": zj.key.kid}))


@pytest.mark.parametrize(
    "role,unit",
    [
        (Role.SCHOOL_REGISTRAR, "330102"),
        (Role.SCHOOL_LEADER, "330000"),
        (Role.DEPARTMENT_REGISTRAR, "1330102001"),
        (Role.USER_ADMIN, "1330102001"),
        (Role.SYSTEM, "1330102001"),
        (Role.DEPARTMENT_REGISTRAR, ""),
    ],
)
def test_a_role_that_does_not_fit_its_unit_is_refused(zj, role, unit):
    assert not role_fits_unit(role, unit)
    with pytest.raises(TokenError, match="does not fit"):
        verifier(zj).verify(zj.mint("u", role, unit))


def test_expired_and_wrong_audience_tokens_are_refused(zj):
    with pytest.raises(TokenError, match="expired"):
        verifier(zj).verify(zj.mint("u", Role.SYSTEM, "330000", ttl_seconds=-1))
    other = TestIssuer("xueji-330000", units=("330000",), audience="elsewhere")
    other.key = zj.key
    other.signer.key = zj.key
    with pytest.raises(TokenError):
        verifier(zj).verify(other.mint("u", Role.SYSTEM, "330000"))


def test_garbage_is_refused(zj):
    with pytest.raises(TokenError):
        verifier(zj).verify("not-a-token")


def test_keys_are_fetched_from_the_jwks_address_and_rotation_is_followed_by_kid(tmp_path):
    old, new = SigningKey.generate(), SigningKey.generate()
    path = tmp_path / "jwks.json"
    path.write_text(json.dumps(jwks([old])))
    keys = JwksKeys(path.as_uri(), min_refetch=0)
    tokens = TokenService({"zj": TrustedIssuer("zj", keys)})
    issuer = TestIssuer("zj")
    issuer.signer.key = old
    assert tokens.verify(issuer.mint("u", Role.SYSTEM, "330000")).user_id == "u"
    path.write_text(json.dumps(jwks([new, old])))  # rotation: the new key signs, the old one is still served
    issuer.signer.key = new
    assert tokens.verify(issuer.mint("u2", Role.SYSTEM, "330000")).user_id == "u2"  # unknown kid: refetched


def test_a_process_without_a_signing_key_cannot_mint(zj):
    with pytest.raises(TokenError, match="no signing key"):
        verifier(zj).mint("u", Role.SYSTEM, "000000")


def test_verified_tokens_are_cached_until_they_expire(zj):
    tokens = verifier(zj)
    token = zj.mint("u1", Role.SYSTEM, "330000", ttl_seconds=60)
    assert tokens.verify(token) is tokens.verify(token)


def test_a_cached_token_is_verified_again_once_it_expires(zj, monkeypatch):
    tokens = verifier(zj)
    token = zj.mint("u1", Role.SYSTEM, "330000", ttl_seconds=60)
    assert tokens.verify(token).user_id == "u1"
    later = time.time() + 61
    monkeypatch.setattr("xueji_common.auth.time.time", lambda: later)
    assert len(tokens._verified) == 0  # gone from the cache at its own expiry
    decoded = []
    monkeypatch.setattr(tokens, "_decode", lambda t: decoded.append(t) or (None, later + 60))
    tokens.verify(token)
    assert decoded == [token]  # verified again (PyJWT, on its own clock, refuses it then)


def test_the_verified_token_cache_is_bounded(zj, monkeypatch):
    monkeypatch.setattr(TokenService, "CACHE_SIZE", 5)
    tokens = verifier(zj)
    for i in range(12):
        tokens.verify(zj.mint(f"u{i}", Role.SYSTEM, "330000"))
    assert len(tokens._verified) == 5


def test_service_calls_reuse_their_token_until_shortly_before_it_expires(monkeypatch):
    from xueji_common.grpcserver.client import ServiceCaller

    zj = TestIssuer("embedded")  # embedded mode: the process signs its own service tokens
    caller = ServiceCaller(zj.token_service(), "registration")
    first = caller.metadata()
    assert caller.metadata() == first
    assert zj.token_service().verify(first[0][1].removeprefix("Bearer ")).role is Role.SYSTEM
    later = time.time() + ServiceCaller.TTL_SECONDS - ServiceCaller.RENEW_BEFORE_SECONDS + 1
    monkeypatch.setattr("xueji_common.grpcserver.client.time.time", lambda: later)
    assert caller.metadata() != first


def test_service_calls_use_the_issued_token_when_the_process_cannot_sign(zj):
    from xueji_common.grpcserver.client import ServiceCaller

    issued = []

    def issue():
        issued.append(zj.mint("service:registration", Role.SYSTEM, "330000", ttl_seconds=300))
        return issued[-1], 300

    caller = ServiceCaller(verifier(zj), "registration", issue)
    assert caller.metadata() == caller.metadata() == [("authorization", f"Bearer {issued[0]}")]
    assert len(issued) == 1
