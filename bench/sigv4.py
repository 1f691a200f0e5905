"""AWS Signature Version 4 for the benchmark's JSON-protocol requests, standard library only.

Signs `POST /` with `host;x-amz-date;x-amz-target` (and `content-type`), the payload hash in the canonical
request: the `Authorization` header botocore's SigV4Auth makes. The benchmark signs each distinct request body once,
before a run, and replays it: our verifier accepts a request time within 15 minutes of its clock, and moto accepts
any signature.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac

SERVICE = "cognito-idp"
REGION = "us-east-1"


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode(), hashlib.sha256).digest()


def signing_key(secret: str, date: str, region: str = REGION, service: str = SERVICE) -> bytes:
    k = _hmac(("AWS4" + secret).encode(), date)
    k = _hmac(k, region)
    k = _hmac(k, service)
    return _hmac(k, "aws4_request")


def sign_json_post(
    host: str,
    target: str,
    body: bytes,
    access_key: str,
    secret: str,
    *,
    now: datetime.datetime | None = None,
    content_type: str = "application/x-amz-json-1.1",
    region: str = REGION,
    key_cache: dict | None = None,
) -> dict[str, str]:
    """The headers of a signed `POST /` (Host, Content-Type, X-Amz-Date, X-Amz-Target, Authorization)."""
    now = now or datetime.datetime.now(datetime.timezone.utc)
    amz_date = now.strftime("%Y%m%dT%H%M%SZ")
    date = amz_date[:8]
    headers = {"content-type": content_type, "host": host, "x-amz-date": amz_date, "x-amz-target": target}
    names = sorted(headers)
    canonical = "\n".join([
        "POST",
        "/",
        "",
        "".join(f"{n}:{headers[n].strip()}\n" for n in names),
        ";".join(names),
        hashlib.sha256(body).hexdigest(),
    ])
    scope = f"{date}/{region}/{SERVICE}/aws4_request"
    string_to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(canonical.encode()).hexdigest()])
    cache_key = (secret, date, region)
    if key_cache is not None and cache_key in key_cache:
        key = key_cache[cache_key]
    else:
        key = signing_key(secret, date, region)
        if key_cache is not None:
            key_cache[cache_key] = key
    signature = hmac.new(key, string_to_sign.encode(), hashlib.sha256).hexdigest()
    return {
        "Host": host,
        "Content-Type": content_type,
        "X-Amz-Date": amz_date,
        "X-Amz-Target": target,
        "Authorization": (
            f"AWS4-HMAC-SHA256 Credential={access_key}/{scope}, SignedHeaders={';'.join(names)}, "
            f"Signature={signature}"
        ),
    }
