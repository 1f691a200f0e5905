"""The shipped nginx files: valid for nginx, consistent with each other, free of known traps."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from conftest import NGINX, RENDER, ROOT

DEPLOY = ROOT / "deploy"


def nginx_test(prefix: Path, conf: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [NGINX, "-t", "-p", str(prefix), "-c", str(conf), "-e", str(prefix / "error.log")],
        stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=30,
    )


def log_format(text: str) -> str:
    match = re.search(r"^\s*log_format\s+cognito_fcgi\s+(.*?);", text, re.M | re.S)
    assert match, "no log_format cognito_fcgi"
    return re.sub(r"\s+", " ", match.group(1))


# deploy/nginx.conf needs TLS certificates to pass `nginx -t`: test_https.py makes them (with docs/DEPLOY.md's
# commands) and checks it there (test_production_config_passes_nginx_t), then serves through it.


def test_local_template_renders_and_is_valid(tmp_path: Path):
    prefix = tmp_path / "nginx"
    subprocess.run(["bash", str(RENDER), str(prefix), "18080", str(tmp_path / "w.sock")],
                   check=True, stdin=subprocess.DEVNULL, capture_output=True, timeout=30)
    conf = (prefix / "nginx.conf").read_text()
    assert "@" not in re.sub(r"#.*", "", conf)
    assert "listen 127.0.0.1:18080;" in conf
    done = nginx_test(prefix, prefix / "nginx.conf")
    assert done.returncode == 0, done.stderr


def test_local_and_production_share_the_access_log_format():
    production = log_format((DEPLOY / "nginx.conf").read_text())
    local = log_format((DEPLOY / "nginx-local.conf.in").read_text())
    assert production == local
    # The query form carries passwords and tokens in the query string: never log it.
    for leaky in ("$request ", "$request\"", "$request'", "$request_uri", "$args", "$query_string", "$arg_"):
        assert leaky not in production


def test_fastcgi_keep_alive_everywhere_requests_reach_the_workers():
    """Every fastcgi_pass keeps its connection, and every upstream caches some: the workers' accept loop takes a
    thread per readable connection only (Connections.swift), so kept idle connections cost no thread."""
    locations = re.sub(r"#.*", "", (DEPLOY / "cognito-fcgi-locations.conf").read_text())
    passes = re.findall(r"fastcgi_pass\s+cognito_fcgi;", locations)
    assert passes and len(re.findall(r"fastcgi_keep_conn\s+on;", locations)) == len(passes)
    for path in (DEPLOY / "nginx.conf", DEPLOY / "nginx-local.conf.in"):
        text = re.sub(r"#.*", "", path.read_text())
        upstream = re.search(r"upstream cognito_fcgi \{[^}]*\}", text)
        assert upstream and re.search(r"keepalive \d+;", upstream.group(0)), path


def test_host_header_reaches_workers_with_its_port():
    """Debian's fastcgi_params now sends HTTP_HOST=$host (no port), which breaks SigV4 checks."""
    locations = re.sub(r"#.*", "", (DEPLOY / "cognito-fcgi-locations.conf").read_text())
    assert "include fastcgi_params" not in locations
    assert "HTTP_HOST" not in locations
