"""deploy/nginx.conf as shipped, in front of real workers, over HTTPS: TLS settings, HTTP/2, HSTS, the redirect
from plain HTTP, a boto3 sign-up/sign-in flow verified against a private CA, and the sign-in rate limit.

nginx runs this very file. `render_production_nginx` changes only what cannot stay as shipped in a test: the
certificate paths, the workers' socket, the ports (unprivileged, loopback) and the folders nginx writes to.
The certificates come from the private-CA commands in docs/DEPLOY.md, run as written there.
"""

from __future__ import annotations

import http.client
import json
import re
import secrets
import shutil
import socket
import ssl
import subprocess
import time
from pathlib import Path

import jwt
import pytest
import requests
from botocore.exceptions import ClientError

from conftest import JSON_CONTENT_TYPE, NGINX, ROOT, TARGET_PREFIX, Instance, doc_block, free_port, replace_exactly

DEPLOY = ROOT / "deploy"
REGISTRY = ROOT / "Sources" / "Handlers" / "Operations" / "Registry.swift"
PASSWORD = "Corr3ct-Horse!"


# ---- certificates: the commands of docs/DEPLOY.md ------------------------------------------------------

def make_certificates(folder: Path, name: str = "127.0.0.1", san: str = "IP:127.0.0.1,DNS:localhost") -> dict[str, Path]:
    """Runs docs/DEPLOY.md's private-CA block in `folder` for host `name`: ca.pem, fullchain.pem, privkey.pem."""
    script = doc_block("openssl req -x509")
    script = replace_exactly(script, "/etc/ssl/cognito-fcgi", str(folder), count=2)  # install -d, cd
    script = replace_exactly(script, "name=auth.example.com", f"name={name}")
    script = replace_exactly(script, 'san="DNS:$name"', f'san="{san}"')
    done = subprocess.run(["bash", "-euo", "pipefail", "-c", script], capture_output=True, text=True, timeout=60,
                          stdin=subprocess.DEVNULL)
    assert done.returncode == 0, done.stderr
    files = {n: folder / f"{n}.pem" for n in ("ca", "fullchain", "privkey")}
    for path in files.values():
        assert path.is_file(), path
    return files


# ---- deploy/nginx.conf, made runnable in a temp folder ------------------------------------------------------

def render_production_nginx(prefix: Path, *, certificate: Path, key: Path, socket_path: Path, https_port: int,
                            http_port: int, run_as_current_user: bool) -> Path:
    """Writes `prefix/nginx.conf`: a minimal main file in Debian's layout that includes deploy/nginx.conf
    (as conf.d/cognito-fcgi.conf) and deploy/cognito-fcgi-locations.conf (as snippets/...), unchanged except:

      - the certificate and key paths      -> `certificate`, `key`
      - the upstream's socket              -> `socket_path`
      - `listen 443 ...` / `listen 80`     -> 127.0.0.1:`https_port` / `http_port` (no IPv6 listeners: the
                                              test machine may have no IPv6 loopback)
      - /var/log/nginx/, /var/www/html     -> folders under `prefix`

    Every other line, including TLS settings, the rate limit and the include of the routes, is as shipped.
    """
    site = (DEPLOY / "nginx.conf").read_text()
    site = replace_exactly(site, "ssl_certificate     /etc/ssl/cognito-fcgi/fullchain.pem;",
                           f"ssl_certificate     {certificate};")
    site = replace_exactly(site, "ssl_certificate_key /etc/ssl/cognito-fcgi/privkey.pem;",
                           f"ssl_certificate_key {key};")
    site = replace_exactly(site, "server unix:/run/cognito-fcgi/cognito-fcgi.sock;", f"server unix:{socket_path};")
    site = replace_exactly(site, "listen 443 ssl http2;", f"listen 127.0.0.1:{https_port} ssl http2;")
    site = replace_exactly(site, "listen [::]:443 ssl http2;", "")
    site = replace_exactly(site, "listen 80;", f"listen 127.0.0.1:{http_port};")
    site = replace_exactly(site, "listen [::]:80;", "")
    site = replace_exactly(site, "/var/log/nginx/", f"{prefix}/logs/", count=2)
    site = replace_exactly(site, "root /var/www/html;", f"root {prefix}/acme;")

    for folder in ("conf.d", "snippets", "logs", "tmp", "acme"):
        (prefix / folder).mkdir(parents=True, exist_ok=True)
    (prefix / "conf.d" / "cognito-fcgi.conf").write_text(site)
    shutil.copyfile(DEPLOY / "cognito-fcgi-locations.conf", prefix / "snippets" / "cognito-fcgi-locations.conf")

    # The parts of Debian's /etc/nginx/nginx.conf that matter here, including its http-level TLS defaults
    # (TLSv1 and up), which the shipped server block must override. As root, nginx's workers would become
    # `nobody` and could not reach the 0660 socket: run them as the current user, as the harness does.
    user = ""
    if run_as_current_user:
        import grp
        import os
        import pwd
        user = f"user {pwd.getpwuid(os.getuid()).pw_name} {grp.getgrgid(os.getgid()).gr_name};"
    temp = "\n".join(f"    {kind}_temp_path {prefix}/tmp/{kind};"
                     for kind in ("client_body", "fastcgi", "proxy", "uwsgi", "scgi"))
    conf = prefix / "nginx.conf"
    conf.write_text(f"""{user}
daemon off;
worker_processes 2;
pid {prefix}/nginx.pid;
error_log {prefix}/logs/error.log info;
events {{ worker_connections 512; }}
http {{
{temp}
    default_type application/octet-stream;
    ssl_protocols TLSv1 TLSv1.1 TLSv1.2 TLSv1.3;
    ssl_prefer_server_ciphers on;
    include conf.d/*.conf;
}}
""")
    return conf


class HttpsInstance(Instance):
    """The harness's workers behind deploy/nginx.conf over TLS. Set `tls` (make_certificates) first."""

    scheme = "https"
    tls: dict[str, Path] = {}

    def __init__(self, name: str, extra_args: tuple[str, ...]):
        self.ca_bundle = self.tls["ca"]
        super().__init__(name, extra_args)
        self.http_port = 0
        self.access_log = self.nginx_prefix / "logs" / "cognito-fcgi.access.log"  # the shipped file's name

    def _render_nginx(self) -> Path:
        import os
        self.http_port = free_port()
        return render_production_nginx(
            self.nginx_prefix, certificate=self.tls["fullchain"], key=self.tls["privkey"],
            socket_path=self.socket_path, https_port=self.port, http_port=self.http_port,
            run_as_current_user=os.getuid() == 0)


def registered(*operations: str) -> list[str]:
    """Those of `operations` missing from the registry (other issues add them)."""
    text = REGISTRY.read_text()
    return [op for op in operations if f"OperationEntry({op}.self)" not in text]


# ---- fixtures -------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def tls(tmp_path_factory) -> dict[str, Path]:
    return make_certificates(tmp_path_factory.mktemp("tls"))


@pytest.fixture(scope="module")
def https(tls) -> HttpsInstance:
    HttpsInstance.tls = tls
    instance = HttpsInstance.start("https")
    yield instance
    instance.stop()
    assert not instance.problems, instance.problems


# ---- tests ------------------------------------------------------------------------------------------------------

def test_production_config_passes_nginx_t(tls, tmp_path: Path):
    """`nginx -t` accepts the shipped pair in Debian's layout (certificates from the doc's commands)."""
    conf = render_production_nginx(tmp_path, certificate=tls["fullchain"], key=tls["privkey"],
                                   socket_path=tmp_path / "w.sock", https_port=18443, http_port=18080,
                                   run_as_current_user=False)
    done = subprocess.run([NGINX, "-t", "-p", str(tmp_path), "-c", str(conf), "-e", str(tmp_path / "logs/error.log")],
                          capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL)
    assert done.returncode == 0, done.stderr


def tls_connect(https: HttpsInstance, **context_settings) -> ssl.SSLSocket:
    context = ssl.create_default_context(cafile=str(https.ca_bundle))
    for name, value in context_settings.items():
        if name == "alpn":
            context.set_alpn_protocols(value)
        elif name == "ciphers":
            context.set_ciphers(value)
        else:
            setattr(context, name, value)
    raw = socket.create_connection(("127.0.0.1", https.port), timeout=10)
    return context.wrap_socket(raw, server_hostname="127.0.0.1")


@pytest.mark.filterwarnings("ignore:ssl.TLSVersion.TLSv1_1 is deprecated:DeprecationWarning")
def test_tls_versions_http2_and_certificate(https: HttpsInstance):
    for version in (ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3):
        with tls_connect(https, minimum_version=version, maximum_version=version, alpn=["h2", "http/1.1"]) as s:
            assert s.version() == version.name.replace("v1_", "v1."), s.version()
            assert s.selected_alpn_protocol() == "h2"  # HTTP/2 offered
    # TLS 1.1 is refused even though the http level (as in Debian's nginx.conf) allows it.
    with pytest.raises(ssl.SSLError):
        with tls_connect(https, minimum_version=ssl.TLSVersion.TLSv1_1, maximum_version=ssl.TLSVersion.TLSv1_1,
                         ciphers="DEFAULT:@SECLEVEL=0"):
            pass
    # Without the private CA the certificate is not trusted: verify= really is what makes boto3 connect.
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(https.endpoint + "/", verify=True, timeout=10)


def test_plain_http_redirects_to_https(https: HttpsInstance):
    resp = requests.get(f"http://127.0.0.1:{https.http_port}/?Action=ListUserPools", allow_redirects=False,
                        timeout=10)
    assert resp.status_code == 308
    assert resp.headers["Location"] == "https://127.0.0.1/?Action=ListUserPools"
    (https.nginx_prefix / "acme" / ".well-known" / "acme-challenge").mkdir(parents=True, exist_ok=True)
    (https.nginx_prefix / "acme" / ".well-known" / "acme-challenge" / "token1").write_text("proof")
    resp = requests.get(f"http://127.0.0.1:{https.http_port}/.well-known/acme-challenge/token1", timeout=10)
    assert resp.status_code == 200 and resp.text == "proof"


def test_boto3_sign_up_and_sign_in_over_https(https: HttpsInstance):
    idp = https.client()
    pool = idp.create_user_pool(PoolName="https-" + secrets.token_hex(4), AutoVerifiedAttributes=["email"])["UserPool"]
    client = idp.create_user_pool_client(
        UserPoolId=pool["Id"], ClientName="web",
        ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"])["UserPoolClient"]
    described = idp.describe_user_pool_client(UserPoolId=pool["Id"], ClientId=client["ClientId"])["UserPoolClient"]
    assert described["ClientId"] == client["ClientId"]
    assert set(described["ExplicitAuthFlows"]) == {"ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"}

    # What nginx adds on the way: HSTS on API answers, the access log without query strings.
    resp = https.json_call("DescribeUserPool", {"UserPoolId": pool["Id"]})
    assert resp.status_code == 200, resp.text
    assert resp.headers["Strict-Transport-Security"] == "max-age=63072000"
    jwks = https.request("GET", f"/{pool['Id']}/.well-known/jwks.json")
    if jwks.status_code == 200:  # discovery is another issue's work
        assert jwks.headers["Cache-Control"] == "public, max-age=300"

    def need(*operations: str, done: str) -> None:
        if missing := registered(*operations):
            pytest.skip(f"not registered in Sources/Handlers/Operations/Registry.swift yet: {', '.join(missing)} "
                        f"(the steps before passed: {done})")

    need("SignUp", "AdminConfirmSignUp", done="HTTPS, CreateUserPool, CreateUserPoolClient, DescribeUserPoolClient")
    public = https.client(signed=False)
    username = "user-" + secrets.token_hex(4)
    email = f"{username}@example.com"
    signed_up = public.sign_up(ClientId=client["ClientId"], Username=username, Password=PASSWORD,
                               UserAttributes=[{"Name": "email", "Value": email}])
    assert signed_up["UserConfirmed"] is False
    idp.admin_confirm_sign_up(UserPoolId=pool["Id"], Username=username)
    need("InitiateAuth", done="HTTPS, CreateUserPool, CreateUserPoolClient, DescribeUserPoolClient, SignUp, "
         "AdminConfirmSignUp")
    result = public.initiate_auth(ClientId=client["ClientId"], AuthFlow="USER_PASSWORD_AUTH",
                                  AuthParameters={"USERNAME": username, "PASSWORD": PASSWORD})["AuthenticationResult"]
    assert result["TokenType"] == "Bearer"
    issuer = f"{https.endpoint}/{pool['Id']}"
    claims = jwt.decode(result["IdToken"], options={"verify_signature": False})
    assert claims["iss"] == issuer and claims["aud"] == client["ClientId"] and claims["email"] == email
    if jwks.status_code == 200:
        key = jwt.PyJWKClient(f"{issuer}/.well-known/jwks.json",
                              ssl_context=ssl.create_default_context(cafile=str(https.ca_bundle)))
        signing_key = key.get_signing_key_from_jwt(result["AccessToken"])
        access = jwt.decode(result["AccessToken"], signing_key.key, algorithms=["RS256"], issuer=issuer)
        assert access["username"] == username and access["token_use"] == "access"
    with pytest.raises(ClientError) as wrong:
        public.initiate_auth(ClientId=client["ClientId"], AuthFlow="USER_PASSWORD_AUTH",
                             AuthParameters={"USERNAME": username, "PASSWORD": PASSWORD + "x"})
    assert wrong.value.response["Error"]["Code"] == "NotAuthorizedException"

    log = https.access_log.read_text()
    assert "POST / HTTP/" in log and PASSWORD not in log


def burst(https: HttpsInstance, count: int, send) -> list[requests.Response]:
    """`count` requests as fast as one connection allows (nginx counts per client address)."""
    return [send() for _ in range(count)]


def assert_throttled(responses: list[requests.Response], what: str) -> None:
    statuses = [r.status_code for r in responses]
    limited = [r for r in responses if r.status_code == 429]
    assert limited, f"{what}: no 429 in {statuses}"
    for r in limited:
        assert r.json() == {"__type": "TooManyRequestsException",
                            "message": "Too many requests from this address; retry later."}, r.text
        assert r.headers["x-amzn-ErrorType"].split(":")[0] == "TooManyRequestsException"
        assert r.headers.get("x-amzn-RequestId")
        assert r.headers["Content-Type"].startswith("application/json")


def test_sign_in_rate_limit(https: HttpsInstance):
    """A burst of public sign-in calls from one address gets 429 TooManyRequestsException from nginx; other
    calls from the same address at the same moment are not limited. (Last in this file: it drains the bucket.)"""
    initiate = {"ClientId": "nosuchclient0000000000000", "AuthFlow": "USER_PASSWORD_AUTH",
                "AuthParameters": {"USERNAME": "u", "PASSWORD": "p"}}
    first = burst(https, 60, lambda: https.json_call("InitiateAuth", initiate, sign=False))
    assert first[0].status_code != 429, first[0].text  # the first requests reach the workers
    assert_throttled(first, "JSON protocol")
    # Statuses only 429 (nginx) or the worker's own answer: no 503, no 502.
    assert {r.status_code for r in first} <= {400, 429}, [r.status_code for r in first]

    # Meanwhile IAM calls from the same address go through.
    others = burst(https, 30, lambda: https.json_call("ListUserPools", {"MaxResults": 1}))
    assert {r.status_code for r in others} == {200}, [r.text for r in others if r.status_code != 200][:1]

    # The query form, also when written so that nginx cannot read it at face value.
    for query in ("Action=InitiateAuth&ClientId=x", "Version=1&Action=SignUp&ClientId=x",
                  "Action=Initiate%41uth&ClientId=x", "%41ction=InitiateAuth&ClientId=x",
                  "action=ListUserPools&Action=InitiateAuth&ClientId=x"):
        assert_throttled(burst(https, 30, lambda: https.request("GET", "/?" + query)), query)
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    assert_throttled(burst(https, 30, lambda: https.request("POST", "/", headers=form,
                                                            data="Action=InitiateAuth&ClientId=x")), "form POST")
    # Two X-Amz-Target headers: the workers run the one nginx judged (the first), never the second.
    conn = http.client.HTTPSConnection("127.0.0.1", https.port, timeout=10,
                                       context=ssl.create_default_context(cafile=str(https.ca_bundle)))
    body = json.dumps(initiate).encode()
    conn.putrequest("POST", "/")
    conn.putheader("Content-Type", JSON_CONTENT_TYPE)
    conn.putheader("X-Amz-Target", TARGET_PREFIX + "ListUserPools")
    conn.putheader("X-Amz-Target", TARGET_PREFIX + "InitiateAuth")
    conn.putheader("Content-Length", str(len(body)))
    conn.endheaders(body)
    answer = conn.getresponse()
    error = json.loads(answer.read() or b"{}").get("__type")
    conn.close()
    # The workers saw ListUserPools, an IAM operation: unsigned, it is refused as such. (Without the locations
    # file's HTTP_X_AMZ_TARGET parameter they get both values and answer UnknownOperationException.)
    assert (answer.status, error) == (403, "MissingAuthenticationTokenException"), (answer.status, error)

    # boto3 sees AWS's throttling error (with retries off, as the harness's clients are).
    public = https.client(signed=False)
    codes = set()
    for _ in range(30):
        try:
            public.initiate_auth(**initiate)
        except ClientError as e:
            codes.add(e.response["Error"]["Code"])
    assert "TooManyRequestsException" in codes, codes

    # The bucket refills: at 5 requests a second, a sign-in call is served again within a second.
    time.sleep(1.2)
    assert https.json_call("InitiateAuth", initiate, sign=False).status_code != 429
