#!/usr/bin/env python3
"""Generate docs/openapi.yaml: an OpenAPI 3 description of the seed's query form, for fuzzers (schemathesis).

Exactly the operations in Sources/Handlers/Operations/Registry.swift (the registry file is parsed), each with its
input shape from botocore's model, flattened into query parameters the way the service reads them
(Sources/Handlers/Protocol/QueryForm.swift):

  scalars              by name                                   ClientName=web, Limit=10, GenerateSecret=true
  lists of scalars     Name.member.N (N = 1..LIST_ITEMS)          ExplicitAuthFlows.member.1=ALLOW_USER_SRP_AUTH
  lists of structures  Name.member.N.Member                       UserAttributes.member.1.Name=email
  structures           Parent.Member (nested, up to MAX_DEPTH)    TokenValidityUnits.AccessToken=hours
  maps                 Name.entry.N.key / Name.entry.N.value      ClientMetadata.entry.1.key=k

OpenAPI path keys must be unique, so each operation gets the key `/?Action=<Op>` (as the seed's Swagger file
does): a client sends `GET /?Action=<Op>&...` with the Action fixed per operation, and generated requests reach
the operation instead of a 404. The path `/` carries `Action` itself as a required query parameter whose enum
is every operation we serve (nothing else), which is the dispatch table in one place.

IAM operations need AWS Signature Version 4 (here: presigned query parameters `X-Amz-*`, or an Authorization
header); the document says so per operation (`x-amz-authorization`), and Tests/e2e/test_fuzz.py signs them.

The output is committed; run again after adding an operation to the registry or upgrading botocore:

    .venv/bin/python scripts/gen-openapi.py            # writes docs/openapi.yaml
    .venv/bin/python scripts/gen-openapi.py --check    # exit 1 if docs/openapi.yaml is stale
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REGISTRY = os.path.join(ROOT, "Sources", "Handlers", "Operations", "Registry.swift")
OUTPUT = os.path.join(ROOT, "docs", "openapi.yaml")

# How many items of each list, and how many entries of each map, get parameters of their own.
LIST_ITEMS = 2
MAP_ENTRIES = 1
# How deep structures are flattened (Policies.PasswordPolicy.MinimumLength is depth 3).
MAX_DEPTH = 4


def registry_operations(path: str = REGISTRY) -> list[str]:
    """The operation names registered in Registry.swift, in its order."""
    text = open(path, encoding="utf-8").read()
    names = re.findall(r"^\s*OperationEntry\((\w+)\.self\)", text, re.M)
    if not names:
        sys.exit(f"no OperationEntry(...) lines found in {path}")
    return names


def load_model(path: str | None) -> dict:
    if path is None:
        import botocore  # the pinned botocore of Tests/e2e/requirements.txt

        path = os.path.join(os.path.dirname(botocore.__file__), "data", "cognito-idp", "2016-04-18", "service-2.json.gz")
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as f:
        return json.load(f)


def python_regex_ok(pattern: str) -> bool:
    """Fuzzers generate from patterns with Python's `re`; botocore's Java-style `\\p{L}` classes (and inline flags
    such as `(?s)` once anchored) do not compile there, so those patterns are left out (lengths still bound the
    values)."""
    try:
        re.compile(pattern)
        return True
    except re.error:
        return False


def scalar_schema(shape: dict) -> dict:
    kind = shape["type"]
    if kind == "string":
        out: dict = {"type": "string"}
        if "enum" in shape:
            out["enum"] = list(shape["enum"])
            return out
        if "min" in shape:
            out["minLength"] = shape["min"]
        if "max" in shape:
            out["maxLength"] = shape["max"]
        pattern = shape.get("pattern")
        if pattern:
            # botocore's patterns match the whole value; JSON Schema's `pattern` only searches.
            anchored = "^(?:" + pattern.removeprefix("^").removesuffix("$") + ")$"
            # Patterns with literal braces (message templates: `.*\{####\}.*`) are left out too: schemathesis folds
            # maxLength into a pattern and loses the escape of the closing brace (`^.{0,134}\{####}.{0,134}$`,
            # which its own ECMA check then refuses).
            if python_regex_ok(anchored) and "\\{" not in pattern and "\\}" not in pattern:
                out["pattern"] = anchored
        return out
    if kind in ("integer", "long"):
        out = {"type": "integer", "format": "int32" if kind == "integer" else "int64"}
        if "min" in shape:
            out["minimum"] = shape["min"]
        if "max" in shape:
            out["maximum"] = shape["max"]
        return out
    if kind in ("double", "float"):
        return {"type": "number"}
    if kind == "boolean":
        return {"type": "boolean"}
    if kind == "timestamp":
        return {"type": "string", "format": "date-time"}
    if kind == "blob":
        return {"type": "string", "format": "byte"}
    raise ValueError(f"not a scalar: {kind}")


def flatten(model: dict, shape_name: str, prefix: str, depth: int, required: bool, seen: tuple[str, ...]):
    """Yields (parameter name, schema, required) for the shape `shape_name` reached under `prefix`."""
    shapes = model["shapes"]
    shape = shapes[shape_name]
    kind = shape["type"]
    if kind not in ("structure", "list", "map"):
        yield prefix, scalar_schema(shape), required
        return
    if depth >= MAX_DEPTH or shape_name in seen:
        return
    seen = seen + (shape_name,)
    if kind == "structure":
        needed = set(shape.get("required", []))
        for member, ref in shape["members"].items():
            # A member of the top-level input is required when the input says so; deeper ones never are
            # (their parent is optional, and OpenAPI cannot say "required if the parent is given").
            yield from flatten(model, ref["shape"], f"{prefix}.{member}" if prefix else member, depth + 1,
                               required and depth == 0 and member in needed, seen)
    elif kind == "list":
        for n in range(1, LIST_ITEMS + 1):
            yield from flatten(model, shape["member"]["shape"], f"{prefix}.member.{n}", depth + 1,
                               required and n == 1 and shape.get("min", 0) >= 1, seen)
    else:  # map
        for n in range(1, MAP_ENTRIES + 1):
            yield from flatten(model, shape["key"]["shape"], f"{prefix}.entry.{n}.key", depth + 1, False, seen)
            yield from flatten(model, shape["value"]["shape"], f"{prefix}.entry.{n}.value", depth + 1, False, seen)


def operation_doc(model: dict, name: str) -> dict:
    op = model["operations"][name]
    public = op.get("authtype") == "none"
    parameters = []
    if "input" in op:
        for pname, schema, required in flatten(model, op["input"]["shape"], "", 0, True, ()):
            param = {"name": pname, "in": "query", "schema": schema}
            if required:
                param["required"] = True
            parameters.append(param)
    return {
        "operationId": name,
        "summary": f"{name} ({'public' if public else 'IAM: SigV4-signed'})",
        "x-amz-authorization": "none" if public else "sigv4",
        "tags": ["public" if public else "iam"],
        "parameters": parameters,
        "responses": RESPONSES,
    }


ERROR_SCHEMA = {
    "type": "object",
    "required": ["__type", "message"],
    "properties": {"__type": {"type": "string"}, "message": {"type": "string"}},
}
RESPONSES = {
    "200": {"description": "The operation's output shape (botocore's model), `{}` when empty.",
            "content": {"application/json": {"schema": {"type": "object"}}}},
    "400": {"description": "An AWS error: `__type` is the exception name.",
            "content": {"application/json": {"schema": ERROR_SCHEMA}}},
    "403": {"description": "SigV4 refused (IAM operations).",
            "content": {"application/json": {"schema": ERROR_SCHEMA}}},
    "413": {"description": "Request too large.", "content": {"application/json": {"schema": ERROR_SCHEMA}}},
}


def document(model: dict, operations: list[str]) -> dict:
    unknown = [o for o in operations if o not in model["operations"]]
    if unknown:
        sys.exit(f"not in botocore's model: {unknown}")
    paths: dict = {
        "/": {
            "get": {
                "operationId": "Dispatch",
                "summary": "Any operation by name (its parameters are described under /?Action=<Op>)",
                "parameters": [{
                    "name": "Action", "in": "query", "required": True,
                    "schema": {"type": "string", "enum": list(operations)},
                }],
                "responses": RESPONSES,
            }
        }
    }
    for name in operations:
        paths[f"/?Action={name}"] = {"get": operation_doc(model, name)}
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "cognito-fcgi: the cognito-idp query form",
            "version": model["metadata"]["apiVersion"],
            "description": (
                "GET /?Action=<Operation>&<Parameter>=<value>... as the seed's Swagger file describes it. "
                "Generated by scripts/gen-openapi.py from botocore's model for exactly the operations in "
                "Sources/Handlers/Operations/Registry.swift; do not edit by hand. Lists are Name.member.N, "
                "structures Parent.Member, maps Name.entry.N.key/value. Operations tagged `iam` need AWS "
                "Signature Version 4 (presigned X-Amz-* query parameters or an Authorization header)."
            ),
        },
        "servers": [{"url": "http://127.0.0.1:8080"}],
        "tags": [{"name": "public", "description": "authtype none: ClientId (+ SecretHash) or AccessToken"},
                 {"name": "iam", "description": "SigV4-signed with a key from <data>/credentials.json"}],
        "paths": paths,
    }


def to_yaml(doc: dict) -> str:
    import yaml  # PyYAML: installed with awscli in the e2e virtualenv

    class Dumper(yaml.SafeDumper):
        def ignore_aliases(self, data):  # no &anchors: every operation spelled out, for readers and tools
            return True

    header = "# Generated by scripts/gen-openapi.py from botocore's model and Registry.swift. Do not edit.\n"
    return header + yaml.dump(doc, Dumper=Dumper, sort_keys=False, allow_unicode=False, width=120)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", help="botocore's service-2.json(.gz) for cognito-idp (default: installed botocore)")
    parser.add_argument("--output", default=OUTPUT)
    parser.add_argument("--check", action="store_true", help="exit 1 if the output file is not up to date")
    args = parser.parse_args()
    text = to_yaml(document(load_model(args.model), registry_operations()))
    if args.check:
        current = open(args.output, encoding="utf-8").read() if os.path.exists(args.output) else ""
        if current != text:
            print(f"{os.path.relpath(args.output, ROOT)} is stale: run scripts/gen-openapi.py", file=sys.stderr)
            return 1
        return 0
    with open(args.output, "w", encoding="utf-8") as f:
        f.write(text)
    print(f"wrote {os.path.relpath(args.output, ROOT)}: {len(registry_operations())} operations")
    return 0


if __name__ == "__main__":
    sys.exit(main())
