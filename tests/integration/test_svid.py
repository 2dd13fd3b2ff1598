"""JWT-SVID validation (dataplane/identity, issue 9) against tokens minted
independently of our C code: PyJWT and python3-cryptography sign, and
build/tests/svid-verify (tests/tools/svid_verify.c) validates with
id_bundle_parse / id_bundle_map_parse and id_jwt_verify.

Every case asserts the exit status and the exact reason text, so a verifier
that accepted too much (or refused for the wrong reason) fails. The clock is
pinned with --now: no case depends on timing.
"""
import base64
import hashlib
import hmac
import json
import os
import subprocess

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

from sbtest import BUILD

VERIFY = os.path.join(BUILD, "tests", "svid-verify")
NOW = 1_700_000_000
TD = "example.org"
SUB = "spiffe://example.org/ns/prod/sa/bridge"
AUD = "slimbridge"

R_EXPIRED = "token expired"
R_NOT_YET = "token not yet valid (nbf or iat in the future)"
R_AUD = "audience does not match"
R_KID = "no key with this kid in the bundle"
R_SIG = "bad signature"
R_ALG = "algorithm not allowed"
R_MALFORMED = "not a JWS compact serialization"
R_B64 = "malformed base64url"
R_JSON = "malformed JSON"
R_HEADER = "header has a parameter other than alg, kid and typ"
R_TYP = "typ is not JWT or JOSE"
R_TD = "sub is not in the expected trust domain"
R_SUB = "sub is not a valid SPIFFE ID"
R_NO_BUNDLE = "no bundle for the trust domain"
R_TOO_LARGE = "token too large"
R_MISMATCH = "key does not match the algorithm"
R_CLAIMS = "missing or malformed claim"

CURVES = {"ES256": (ec.SECP256R1, 32), "ES384": (ec.SECP384R1, 48), "ES512": (ec.SECP521R1, 66)}
ALGS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512"]


def b64(data):
    if isinstance(data, str):
        data = data.encode()
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64json(obj):
    return b64(json.dumps(obj, separators=(",", ":")))


def pad_coord(v, width):
    """A JWK EC coordinate at the curve's full width (RFC 7518 6.2.1.2)."""
    raw = base64.urlsafe_b64decode(v + "=" * (-len(v) % 4))
    return b64(raw.rjust(width, b"\0"))


def jwk(key, kid, use="jwt-svid"):
    """The public JWK of |key| as PyJWT exports it, plus use and kid.

    PyJWT 2.6 writes EC x and y as minimal integers, which RFC 7518 forbids
    (and our parser refuses); they are padded back to the full width here.
    test_short_ec_coordinate_ignored keeps the unpadded form."""
    pub = key.public_key()
    if isinstance(pub, rsa.RSAPublicKey):
        d = json.loads(RSAAlgorithm.to_jwk(pub))
    else:
        d = json.loads(ECAlgorithm.to_jwk(pub))
        width = (pub.curve.key_size + 7) // 8
        d["x"], d["y"] = pad_coord(d["x"], width), pad_coord(d["y"], width)
    d["use"] = use
    d["kid"] = kid
    return d


@pytest.fixture(scope="module")
def keys():
    """One RSA key for RS*/PS* and one per curve for ES*, plus rotation keys."""
    if not os.access(VERIFY, os.X_OK):
        pytest.fail(f"{VERIFY} is not built")
    ks = {"rsa": rsa.generate_private_key(public_exponent=65537, key_size=2048),
          "rsa2": rsa.generate_private_key(public_exponent=65537, key_size=2048)}
    for alg, (curve, _) in CURVES.items():
        ks[alg] = ec.generate_private_key(curve())
    return ks


def key_for(keys, alg):
    return keys["rsa"] if alg[0] in "RP" else keys[alg]


def kid_for(alg):
    return "rsa-1" if alg[0] in "RP" else "ec-" + alg


@pytest.fixture
def bundle_file(tmp_path, keys):
    """A single SPIFFE bundle with every test key, and a writer for others."""
    def write(jwks, name="bundle.json", extra=None):
        doc = {"spiffe_sequence": 1, "spiffe_refresh_hint": 300, "keys": jwks}
        if extra:
            doc.update(extra)
        p = tmp_path / name
        p.write_text(json.dumps(doc))
        return str(p)

    full = [jwk(keys["rsa"], "rsa-1")] + [jwk(keys[a], "ec-" + a) for a in CURVES]
    full.append({"use": "x509-svid", "kty": "EC", "crv": "P-256", "x": "AA", "y": "AA"})
    write.default = write(full)
    return write


def claims(**kw):
    c = {"sub": SUB, "aud": AUD, "exp": NOW + 600, "iat": NOW - 10}
    c.update(kw)
    return {k: v for k, v in c.items() if v is not None}


def mint(keys, alg="ES256", kid=None, headers=None, **kw):
    h = {"kid": kid if kid is not None else kid_for(alg)}
    if kid == "":
        h = {}
    if headers:
        h.update(headers)
    return jwt.encode(claims(**kw), key_for(keys, alg), algorithm=alg, headers=h)


def verify(bundle, token, *, td=TD, aud=AUD, now=NOW, extra=(), stdin=None):
    args = [VERIFY, "--bundle", bundle, "--audience", aud, "--now", str(now)]
    if td is not None:
        args += ["--trust-domain", td]
    args += list(extra) + [token]
    return subprocess.run(args, capture_output=True, text=True, timeout=30, input=stdin)


def accepted(p, sub=SUB):
    assert p.returncode == 0, p.stderr
    assert p.stdout == sub + "\n"
    assert p.stderr == ""


def rejected(p, reason):
    assert p.returncode == 1, (p.returncode, p.stdout, p.stderr)
    assert p.stdout == ""
    assert p.stderr == f"svid-verify: rejected: {reason}\n"


@pytest.mark.parametrize("alg", ALGS)
def test_every_algorithm_accepted(keys, bundle_file, alg):
    accepted(verify(bundle_file.default, mint(keys, alg)))


@pytest.mark.parametrize("alg", ["RS256", "PS384", "ES512"])
def test_tampered_payload_refused(keys, bundle_file, alg):
    h, _, s = mint(keys, alg).split(".")
    forged = b64json(claims(sub="spiffe://example.org/admin"))
    rejected(verify(bundle_file.default, f"{h}.{forged}.{s}"), R_SIG)


def test_tampered_signature_refused(keys, bundle_file):
    h, p, s = mint(keys, "RS256").split(".")
    sig = bytearray(base64.urlsafe_b64decode(s + "=" * (-len(s) % 4)))
    sig[10] ^= 1
    rejected(verify(bundle_file.default, f"{h}.{p}.{b64(bytes(sig))}"), R_SIG)


def test_expired(keys, bundle_file):
    rejected(verify(bundle_file.default, mint(keys, exp=NOW - 120)), R_EXPIRED)


def test_leeway(keys, bundle_file):
    tok = mint(keys, exp=NOW - 30)
    accepted(verify(bundle_file.default, tok))
    rejected(verify(bundle_file.default, tok, extra=["--leeway", "0"]), R_EXPIRED)


def test_not_yet_valid_nbf(keys, bundle_file):
    rejected(verify(bundle_file.default, mint(keys, nbf=NOW + 3600)), R_NOT_YET)
    accepted(verify(bundle_file.default, mint(keys, nbf=NOW + 30)))


def test_iat_in_the_future(keys, bundle_file):
    rejected(verify(bundle_file.default, mint(keys, iat=NOW + 3600)), R_NOT_YET)


def test_wrong_audience(keys, bundle_file):
    rejected(verify(bundle_file.default, mint(keys, aud="someone-else")), R_AUD)
    # bytewise: no case folding, no prefix match
    rejected(verify(bundle_file.default, mint(keys, aud="SlimBridge")), R_AUD)
    rejected(verify(bundle_file.default, mint(keys, aud=AUD + "x")), R_AUD)


def test_audience_array(keys, bundle_file):
    accepted(verify(bundle_file.default, mint(keys, aud=["other", AUD])))
    rejected(verify(bundle_file.default, mint(keys, aud=["other", "third"])), R_AUD)
    rejected(verify(bundle_file.default, mint(keys, aud=[])), R_CLAIMS)


def test_missing_claims(keys, bundle_file):
    rejected(verify(bundle_file.default, mint(keys, exp=None)), R_CLAIMS)
    rejected(verify(bundle_file.default, mint(keys, aud=None)), R_CLAIMS)
    rejected(verify(bundle_file.default, mint(keys, sub=None)), R_CLAIMS)
    rejected(verify(bundle_file.default, mint(keys, exp=float(NOW + 600))), R_CLAIMS)


def test_unknown_kid(keys, bundle_file):
    rejected(verify(bundle_file.default, mint(keys, kid="nope")), R_KID)


def test_no_kid_accepted(keys, bundle_file):
    for alg in ("RS256", "PS512", "ES384"):
        tok = mint(keys, alg, kid="")
        assert "kid" not in jwt.get_unverified_header(tok)
        accepted(verify(bundle_file.default, tok))


def test_key_does_not_match_alg(keys, bundle_file):
    # ES384 naming the P-256 key; RS256 naming an EC key (signed with RSA)
    rejected(verify(bundle_file.default, mint(keys, "ES384", kid="ec-ES256")), R_MISMATCH)
    rejected(verify(bundle_file.default, mint(keys, "RS256", kid="ec-ES256")), R_MISMATCH)


def test_alg_none(keys, bundle_file):
    h = b64json({"alg": "none", "typ": "JWT"})
    p = b64json(claims())
    # An unsecured JWS has an empty signature: not even three parts.
    rejected(verify(bundle_file.default, f"{h}.{p}."), R_MALFORMED)
    rejected(verify(bundle_file.default, f"{h}.{p}.{b64(b'x' * 64)}"), R_ALG)


def test_hs256_with_public_key_as_secret(keys, bundle_file):
    """Algorithm confusion: HMAC keyed with the RSA public key's PEM."""
    pem = keys["rsa"].public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    for alg, hf in (("HS256", hashlib.sha256), ("HS512", hashlib.sha512)):
        signing_input = f"{b64json({'alg': alg, 'kid': 'rsa-1', 'typ': 'JWT'})}.{b64json(claims())}"
        mac = hmac.new(pem, signing_input.encode(), hf).digest()
        rejected(verify(bundle_file.default, f"{signing_input}.{b64(mac)}"), R_ALG)


def test_other_algs_refused(keys, bundle_file):
    for alg in ("EdDSA", "ES256K", "rs256", "RS1"):
        h = b64json({"alg": alg, "kid": "rsa-1"})
        rejected(verify(bundle_file.default, f"{h}.{b64json(claims())}.{b64(b'x' * 256)}"),
                 R_ALG)


def test_wrong_trust_domain(keys, bundle_file):
    rejected(verify(bundle_file.default, mint(keys), td="other"), R_TD)


def test_sub_not_a_spiffe_id(keys, bundle_file):
    for sub in ("https://example.org/x", "spiffe://Example.org/x", "spiffe://example.org/",
                "spiffe://example.org/a/../b", "bridge"):
        rejected(verify(bundle_file.default, mint(keys, sub=sub)), R_SUB)


def test_bundle_map(tmp_path, keys):
    other = ec.generate_private_key(ec.SECP256R1())
    doc = {"trust_domains": {
        TD: {"keys": [jwk(keys["ES256"], "ec-ES256")]},
        "partner.test": {"spiffe_sequence": 7, "keys": [jwk(other, "p1")]},
    }}
    p = tmp_path / "map.json"
    p.write_text(json.dumps(doc))
    accepted(verify(str(p), mint(keys), td=None))
    partner_sub = "spiffe://partner.test/svc"
    ptok = jwt.encode(claims(sub=partner_sub), other, algorithm="ES256", headers={"kid": "p1"})
    accepted(verify(str(p), ptok, td=None), sub=partner_sub)
    # With --trust-domain the map still only accepts that trust domain.
    rejected(verify(str(p), ptok, td=TD), R_TD)
    # Signed by partner.test's key but claiming example.org: never merged.
    forged = jwt.encode(claims(), other, algorithm="ES256", headers={"kid": "p1"})
    rejected(verify(str(p), forged, td=None), R_KID)
    forged = jwt.encode(claims(), other, algorithm="ES256")
    rejected(verify(str(p), forged, td=None), R_SIG)


def test_sub_in_trust_domain_without_bundle(tmp_path, keys):
    p = tmp_path / "map.json"
    p.write_text(json.dumps({"trust_domains": {TD: {"keys": [jwk(keys["ES256"], "ec-ES256")]}}}))
    tok = mint(keys, sub="spiffe://elsewhere.test/svc")
    rejected(verify(str(p), tok, td=None), R_NO_BUNDLE)


def test_malformed_base64(keys, bundle_file):
    h, p, s = mint(keys).split(".")
    for bad in (f"{h[:-1]}+.{p}.{s}", f"{h}=.{p}.{s}", f"{h}.{p}.{s[:-1]}/",
                f"{h}.{p[:5]} {p[5:]}.{s}", f"{h}.{p}.A"):
        rejected(verify(bundle_file.default, bad), R_B64)


def test_malformed_json(keys, bundle_file):
    sig = b64(b"s" * 64)
    body = b64json(claims())
    cut = b64('{"alg":"ES256",')
    rejected(verify(bundle_file.default, f"{cut}.{body}.{sig}"), R_JSON)
    rejected(verify(bundle_file.default, f"{b64('[1]')}.{body}.{sig}"), R_JSON)
    hdr = b64json({"alg": "ES256", "kid": "ec-ES256"})
    cut = b64('{"sub":')
    rejected(verify(bundle_file.default, f"{hdr}.{cut}.{sig}"), R_JSON)
    dup = b64('{"alg":"ES256","alg":"ES256"}')
    rejected(verify(bundle_file.default, f"{dup}.{body}.{sig}"), R_JSON)
    dup = b64('{"sub":"spiffe://example.org/a","sub":"spiffe://example.org/b"}')
    rejected(verify(bundle_file.default, f"{hdr}.{dup}.{sig}"), R_JSON)


def test_extra_header_parameter(keys, bundle_file):
    for extra in ({"jku": "https://attacker.test/jwks"}, {"crit": ["exp"]}, {"cty": "JWT"},
                  {"x5u": "https://attacker.test/c"}):
        rejected(verify(bundle_file.default, mint(keys, headers=extra)), R_HEADER)


def test_typ(keys, bundle_file):
    rejected(verify(bundle_file.default, mint(keys, headers={"typ": "at+jwt"})), R_TYP)
    rejected(verify(bundle_file.default, mint(keys, headers={"typ": "jwt"})), R_TYP)
    accepted(verify(bundle_file.default, mint(keys, headers={"typ": "JOSE"})))


def test_oversized_token(keys, bundle_file):
    tok = mint(keys, jti="x" * 9000)
    assert len(tok) > 8192
    rejected(verify(bundle_file.default, tok), R_TOO_LARGE)


def test_json_serialization_refused(keys, bundle_file):
    h, p, s = mint(keys).split(".")
    for doc in ({"payload": p, "protected": h, "signature": s},
                {"payload": p, "signatures": [{"protected": h, "signature": s}]}):
        rejected(verify(bundle_file.default, json.dumps(doc)), R_MALFORMED)
    rejected(verify(bundle_file.default, f"{h}.{p}"), R_MALFORMED)
    rejected(verify(bundle_file.default, f"{h}.{p}.{s}.{s}"), R_MALFORMED)
    rejected(verify(bundle_file.default, f"{h}..{s}"), R_MALFORMED)


def test_bundle_rotation(keys, bundle_file):
    k1, k2 = keys["rsa"], keys["rsa2"]
    only_k1 = bundle_file([jwk(k1, "k1")], "b1.json")
    both = bundle_file([jwk(k1, "k1"), jwk(k2, "k2")], "b12.json")
    only_k2 = bundle_file([jwk(k2, "k2")], "b2.json")
    t1 = jwt.encode(claims(), k1, algorithm="RS256", headers={"kid": "k1"})
    t2 = jwt.encode(claims(), k2, algorithm="RS256", headers={"kid": "k2"})
    rejected(verify(only_k1, t2), R_KID)
    accepted(verify(both, t1))
    accepted(verify(both, t2))
    rejected(verify(only_k2, t1), R_KID)
    # the new bundle reusing the old kid for the new key: the signature fails
    reused = bundle_file([jwk(k2, "k1")], "b2r.json")
    rejected(verify(reused, t1), R_SIG)


def test_empty_bundle_trusts_nothing(keys, bundle_file):
    empty = bundle_file([], "empty.json")
    rejected(verify(empty, mint(keys)), R_KID)
    rejected(verify(empty, mint(keys, kid="")), "no key of the algorithm's type in the bundle")


def test_ignored_jwks(keys, bundle_file):
    """JWKs the spec says to skip: no use, x509-svid use, no kid, unknown kty."""
    k = keys["ES256"]
    skipped = [dict(jwk(k, "ec-ES256"), use="x509-svid"),
               {key: v for key, v in jwk(k, "ec-ES256").items() if key != "use"},
               {key: v for key, v in jwk(k, "ec-ES256").items() if key != "kid"},
               dict(jwk(k, "ec-ES256"), kty="OKP")]
    for i, j in enumerate(skipped):
        b = bundle_file([j], f"skip{i}.json")
        rejected(verify(b, mint(keys)), R_KID)


def test_short_ec_coordinate_ignored(tmp_path, keys, bundle_file):
    """RFC 7518 6.2.1.2: x and y are full width; PyJWT 2.6's minimal form is refused."""
    while True:
        k = ec.generate_private_key(ec.SECP521R1())
        raw = json.loads(ECAlgorithm.to_jwk(k.public_key()))
        if len(base64.urlsafe_b64decode(raw["x"] + "==")) < 66:
            break
    tok = jwt.encode(claims(), k, algorithm="ES512", headers={"kid": "short"})
    rejected(verify(bundle_file([dict(raw, use="jwt-svid", kid="short")], "s.json"), tok), R_KID)
    accepted(verify(bundle_file([jwk(k, "short")], "f.json"), tok))


def test_token_on_stdin(keys, bundle_file):
    accepted(verify(bundle_file.default, "-", stdin=mint(keys) + "\n"))
    accepted(verify(bundle_file.default, "-", stdin=mint(keys)))
    rejected(verify(bundle_file.default, "-", stdin=mint(keys) + "\n\n"), R_B64)


def test_usage_errors(tmp_path, keys, bundle_file):
    tok = mint(keys)
    p = verify(bundle_file.default, tok, td=None)
    assert p.returncode == 2 and "--trust-domain" in p.stderr
    p = verify(str(tmp_path / "missing.json"), tok)
    assert p.returncode == 2 and "missing.json" in p.stderr
    bad = tmp_path / "bad.json"
    bad.write_text('{"keys": [], "keys": []}')
    p = verify(str(bad), tok)
    assert p.returncode == 2 and "invalid bundle" in p.stderr
    bad.write_text('{"trust_domains": {"a.test": {"keys": []}, "a.test": {"keys": []}}}')
    p = verify(str(bad), tok, td=None)
    assert p.returncode == 2 and "invalid bundle" in p.stderr
    p = subprocess.run([VERIFY, "--bundle", bundle_file.default, tok], capture_output=True,
                       text=True, timeout=30)
    assert p.returncode == 2 and "--audience" in p.stderr
    p = verify(bundle_file.default, tok, extra=["--now", "yesterday"])
    assert p.returncode == 2
    p = subprocess.run([VERIFY, "--help"], capture_output=True, text=True, timeout=30)
    assert p.returncode == 0 and "usage:" in p.stdout
