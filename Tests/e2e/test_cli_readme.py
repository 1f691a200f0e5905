"""README.md's "Sign-up and sign-in with the AWS CLI" sequence, run as written with the AWS CLI from the venv (awscli
is pinned in requirements.txt) against a test instance instead of `make run`: so the README shows what works."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile

import jwt

from conftest import ROOT, Instance, replace_exactly
from test_signin import verify

HEADING = "## Sign-up and sign-in with the AWS CLI"
AWS_CLI = ROOT / ".venv" / "bin" / "aws"


def readme_sequence() -> str:
    """The fenced `sh` block that directly follows the heading (blank lines allowed in between)."""
    lines = (ROOT / "README.md").read_text().splitlines()
    assert lines.count(HEADING) == 1, f"README.md: expected one {HEADING!r} heading"
    rest = lines[lines.index(HEADING) + 1:]
    while rest and not rest[0].strip():
        rest = rest[1:]
    assert rest and rest[0] == "```sh", f"README.md: no ```sh block right after {HEADING!r}"
    end = rest.index("```", 1)
    return "\n".join(rest[1:end]) + "\n"


def json_documents(text: str) -> list:
    """Every JSON document in the CLI's output, in order (commands print one each, pretty-printed)."""
    decoder = json.JSONDecoder()
    documents, i = [], 0
    while (start := text.find("{", i)) != -1:
        document, i = decoder.raw_decode(text, start)
        documents.append(document)
    return documents


def test_the_readme_cli_sequence_signs_up_confirms_and_signs_in(cognito: Instance):
    assert AWS_CLI.is_file(), f"{AWS_CLI} is missing: make venv installs awscli"
    script = readme_sequence()
    # Point the sequence at this instance: its endpoint, its access key, its outbox. Each line must exist exactly
    # once, so a change to the README that these substitutions no longer fit fails here instead of testing less.
    script = replace_exactly(script, "endpoint=http://127.0.0.1:8080 ", f"endpoint={cognito.endpoint} ")
    script = replace_exactly(script, "$PWD/var/aws-credentials", str(cognito.aws_credentials_file))
    script = replace_exactly(script, "$PWD/var/data/outbox", str(cognito.data_dir / "outbox"))
    assert "127.0.0.1:8080" not in script and "$PWD/var" not in script

    env = {**os.environ, "PATH": f"{AWS_CLI.parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    workdir = tempfile.mkdtemp(prefix="cognito-cli-readme-")
    try:
        done = subprocess.run(["bash", "-c", "set -euo pipefail\n" + script], cwd=workdir, env=env,
                              stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=300)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    assert done.returncode == 0, f"the README's sequence failed ({done.returncode}):\n{done.stdout}\n{done.stderr}"

    outputs = json_documents(done.stdout)
    signed_up, signed_in = outputs[0], outputs[-1]
    assert signed_up["UserConfirmed"] is False
    assert signed_up["CodeDeliveryDetails"] == {"Destination": "a***@e***", "DeliveryMedium": "EMAIL",
                                                "AttributeName": "email"}
    result = signed_in["AuthenticationResult"]
    assert result["TokenType"] == "Bearer" and result["RefreshToken"]
    # The pool the sequence made is named in the token's `iss`; `verify` then checks the whole token against it.
    pool_id = jwt.decode(result["AccessToken"], options={"verify_signature": False})["iss"].rsplit("/", 1)[1]
    access = verify(cognito, pool_id, result["AccessToken"])
    assert access["username"] == "alice" and access["token_use"] == "access"
    claims = verify(cognito, pool_id, result["IdToken"], audience=access["client_id"])
    assert claims["email"] == "alice@example.com" and claims["email_verified"] is True

