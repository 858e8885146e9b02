#!/usr/bin/env python3
"""Checks proto/ against itself and against the workers' C decoders.

  check_proto.py PROTO_DIR APPROVALCTL        examples, mutations, AsyncAPI and OpenAPI
  check_proto.py PROTO_DIR --events FILE      every line of FILE is a valid status.v1 event

Every example must validate against its schema, and every inbound example must be accepted by
`approvalctl validate` (the decoders the workers run). Every mutation must be rejected by the
C decoders, and by the schema too unless JSON Schema cannot express the rule (check digits).
"""
import copy
import json
import os
import pathlib
import subprocess
import sys
import tempfile

import warnings

import jsonschema
import yaml

warnings.filterwarnings("ignore", category=DeprecationWarning)

CONTRACT_TOPICS = [
    "portal.applications.v1", "portal.complaints.v1", "agency.industrial-safety.replies.v1",
    "agency.sanitary.replies.v1", "provider.actions.v1", "licensing.status.v1",
    "licensing.dead-letter.v1",
]
INBOUND = {
    "kz.gov.licensing.application.submitted.v1": "application.submitted.v1",
    "kz.gov.licensing.agency.replied.v1": "agency.replied.v1",
    "kz.gov.licensing.hearing.concluded.v1": "hearing.concluded.v1",
    "kz.gov.licensing.complaint.filed.v1": "complaint.filed.v1",
    "kz.gov.licensing.complaint.resolved.v1": "complaint.resolved.v1",
    "kz.gov.licensing.ground.raised.v1": "ground.raised.v1",
    "kz.gov.licensing.review.completed.v1": "review.completed.v1",
}

failures = []


def fail(msg):
    failures.append(msg)
    print("FAIL:", msg)


def validator(proto, name):
    schemas = proto / "schemas"
    path = schemas / f"{name}.schema.json"
    schema = json.loads(path.read_text())
    resolver = jsonschema.RefResolver(base_uri=path.resolve().as_uri(), referrer=schema)
    cls = jsonschema.Draft202012Validator
    cls.check_schema(schema)
    return cls(schema, resolver=resolver, format_checker=cls.FORMAT_CHECKER)


SCHEMA_DIR = None


def schema_name_for(example_name):
    """The longest schema name that the example's file name starts with
    (status.v1.registered -> status.v1)."""
    names = sorted((p.name[: -len(".schema.json")] for p in SCHEMA_DIR.glob("*.schema.json")),
                   key=len, reverse=True)
    for n in names:
        if example_name == n or example_name.startswith(n + "."):
            return n
    raise SystemExit(f"no schema for example {example_name}")


def c_decode(approvalctl, payload):
    with tempfile.NamedTemporaryFile("wb", suffix=".json", delete=False) as f:
        f.write(payload if isinstance(payload, bytes) else json.dumps(payload, ensure_ascii=False).encode())
        name = f.name
    try:
        r = subprocess.run([approvalctl, "validate", name], capture_output=True, text=True)
        return r.returncode, r.stdout.strip()
    finally:
        os.unlink(name)


def set_in(doc, path, value):
    *parents, last = path
    for p in parents:
        doc = doc[p]
    if value is DELETE:
        del doc[last]
    else:
        doc[last] = value


DELETE = object()

# (example, description, path, new value, schema can express it)
MUTATIONS = [
    ("application.submitted.v1", "no specversion", ["specversion"], DELETE, True),
    ("application.submitted.v1", "specversion 0.3", ["specversion"], "0.3", True),
    ("application.submitted.v1", "no id", ["id"], DELETE, True),
    ("application.submitted.v1", "data not an object", ["data"], [], True),
    ("application.submitted.v1", "no portal_ref", ["data", "portal_ref"], DELETE, True),
    ("application.submitted.v1", "unknown kind", ["data", "kind"], "renewal", True),
    ("application.submitted.v1", "submitted_at without offset", ["data", "submitted_at"], "2026-03-16T10:00:00", True),
    ("application.submitted.v1", "application_id not a UUID", ["data", "application_id"], "12345", True),
    ("application.submitted.v1", "no subtypes", ["data", "subtypes"], [], True),
    ("application.submitted.v1", "sub-activity 10", ["data", "subtypes"], [1, 10], True),
    ("application.submitted.v1", "sub-activity repeated", ["data", "subtypes"], [4, 4], True),
    ("application.submitted.v1", "unknown region", ["data", "production_base", "region"], "KZ-XXX", True),
    ("application.submitted.v1", "BIN of 11 digits", ["data", "applicant", "bin"], "07034000123", True),
    ("application.submitted.v1", "legal entity without BIN", ["data", "applicant", "bin"], DELETE, True),
    ("application.submitted.v1", "applicant type unknown", ["data", "applicant", "type"], "state_body", True),
    ("application.submitted.v1", "no e-mail", ["data", "applicant", "email"], DELETE, True),
    ("application.submitted.v1", "document sha256 short", ["data", "documents", 0, "sha256"], "abc", True),
    ("application.submitted.v1", "unknown document kind", ["data", "documents", 0, "kind"], "passport", True),
    ("application.submitted.v1", "negative fee", ["data", "fee", "amount_kzt"], -1, True),
    ("application.submitted.v1", "fee paid via cash", ["data", "fee", "paid_via"], "cash", True),
    ("application.submitted.v1", "paper_copy not boolean", ["data", "paper_copy"], "no", True),
    ("application.submitted.v1", "fee paid_at without offset", ["data", "fee", "paid_at"], "2026-03-16T09:00:00", True),
    ("application.submitted.v1", "fee paid after submission", ["data", "fee", "paid_at"], "2026-03-17T09:00:00+05:00", False),
    ("application.submitted.v1", "annex_to empty", ["data", "annex_to"], "", True),
    ("application.submitted.v1", "reissue on an issue", ["data", "reissue"],
     {"license_number": "KPR-L-2025-000001", "grounds": ["holder_name_changed"]}, True),
    ("application.submitted.v1", "BIN check digit wrong", ["data", "applicant", "bin"], "070340001238", False),
    ("application.submitted.v1", "signer IIN check digit wrong", ["data", "documents", 0, "signed_by"], "070340001238", False),
    ("application.submitted.v1.reissue", "reissue without grounds", ["data", "reissue", "grounds"], [], True),
    ("application.submitted.v1.reissue", "unknown reissue ground", ["data", "reissue", "grounds"], ["moved_office"], True),
    ("application.submitted.v1.reissue", "reissue missing", ["data", "reissue"], DELETE, True),
    ("application.submitted.v1.reissue", "annex_to on a reissue", ["data", "annex_to"], "KPR-L-2025-000117", True),
    ("application.submitted.v1.reissue", "individual without IIN", ["data", "applicant", "iin"], DELETE, True),
    ("application.submitted.v1.reissue", "IIN check digit wrong", ["data", "applicant", "iin"], "880101300124", False),
    ("agency.replied.v1", "non_compliant without reasons", ["data", "reasons"], DELETE, True),
    ("agency.replied.v1", "non_compliant with empty reasons", ["data", "reasons"], [], True),
    ("agency.replied.v1", "unknown agency", ["data", "agency"], "fire_safety", True),
    ("agency.replied.v1", "unknown verdict", ["data", "verdict"], "maybe", True),
    ("agency.replied.v1", "request_id not a UUID", ["data", "request_id"], "R-1", True),
    ("agency.replied.v1", "no signer", ["data", "signer"], DELETE, True),
    ("agency.replied.v1", "decided_at not a time", ["data", "decided_at"], "yesterday", True),
    ("agency.replied.v1", "wrong type", ["type"], "kz.gov.licensing.agency.replied.v2", True),
    ("hearing.concluded.v1", "unknown outcome", ["data", "outcome"], "postponed", True),
    ("hearing.concluded.v1", "no hearing_id", ["data", "hearing_id"], DELETE, True),
    ("complaint.filed.v1", "addressed to court", ["data", "addressed_to"], "court", True),
    ("complaint.filed.v1", "empty text", ["data", "text"], "", True),
    ("complaint.filed.v1", "no filed_at", ["data", "filed_at"], DELETE, True),
    ("complaint.resolved.v1", "unknown outcome", ["data", "outcome"], "withdrawn", True),
    ("complaint.resolved.v1", "no complaint_id", ["data", "complaint_id"], DELETE, True),
    ("review.completed.v1", "unknown result", ["data", "result"], "grounds_found", True),
    ("review.completed.v1", "special conditions without Russian", ["data", "special_conditions", "ru"], DELETE, True),
    ("review.completed.v1", "special conditions empty in Kazakh", ["data", "special_conditions", "kk"], "", True),
    ("review.completed.v1", "special conditions as text", ["data", "special_conditions"], "none", True),
    ("status.v1.refusal_proposed", "no hearing_id", ["data", "detail", "hearing_id"], DELETE, True),
    ("status.v1.refusal_proposed", "hearing_id not a UUID", ["data", "detail", "hearing_id"], "H-1", True),
]

# The agencies file: the C loader's side is tests/unit/test_agency_config.c.
CONFIG_MUTATIONS = [
    ("agencies", "key as hex", ["agencies", "sanitary", "keys", "sek-2026-1"],
     "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c"),
    ("agencies", "key as SPKI DER", ["agencies", "sanitary", "keys", "sek-2026-1"],
     "MCowBQYDK2VwAyEAPUAXw+hDiVqStwqnTRt+vJyYLM8uxJaMwM1V8Sr0Zgw="),
    ("agencies", "key of 31 bytes", ["agencies", "sanitary", "keys", "sek-2026-1"],
     "PUAXw+hDiVqStwqnTRt+vJyYLM8uxJaMwM1V8Sr0Zg=="),
    ("agencies", "no keys", ["agencies", "sanitary", "keys"], {}),
    ("agencies", "unknown region", ["agencies", "sanitary", "units", "KZ-XXX"], "https://x.kz"),
    ("agencies", "unit not a URL", ["agencies", "sanitary", "units", "*"], "sek.example.gov.kz"),
    ("agencies", "third agency", ["agencies", "fire_safety"], {"units": {}, "keys": {}}),
]


def check_examples(proto, approvalctl):
    examples = sorted((proto / "examples").glob("*.json"))
    seen_types = set()
    for ex in examples:
        doc = json.loads(ex.read_text())
        name = schema_name_for(ex.stem)
        v = validator(proto, name)
        errors = list(v.iter_errors(doc))
        if errors:
            fail(f"example {ex.name} does not validate against {name}: {errors[0].message}")
        else:
            print(f"ok   example {ex.name} validates against {name}.schema.json")
        t = doc.get("type") if isinstance(doc, dict) else None
        if t:
            seen_types.add(t)
        if t in INBOUND:
            rc, out = c_decode(approvalctl, ex.read_bytes())
            if rc != 0:
                fail(f"the C decoders reject example {ex.name}: {out}")
            else:
                print(f"ok   example {ex.name} accepted by the C decoders")
    for t in list(INBOUND) + ["kz.gov.licensing.status.v1"]:
        if t not in seen_types:
            fail(f"no example for {t}")


def check_mutations(proto, approvalctl):
    for ex, what, path, value, schema_too in MUTATIONS:
        doc = json.loads((proto / "examples" / f"{ex}.json").read_text())
        m = copy.deepcopy(doc)
        set_in(m, path, value)
        v = validator(proto, schema_name_for(ex))
        schema_ok = v.is_valid(m)
        rc, out = c_decode(approvalctl, m)
        if schema_too and schema_ok:
            fail(f"{ex}: mutation '{what}' passes the schema")
        if not schema_too and not schema_ok:
            fail(f"{ex}: mutation '{what}' is marked C-only but the schema rejects it")
        if rc == 0:
            fail(f"{ex}: mutation '{what}' is accepted by the C decoders")
        if (not schema_too or not schema_ok) and rc != 0:
            print(f"ok   {ex}: '{what}' rejected ({'schema and ' if schema_too else ''}C: {out.split(': rejected: ', 1)[-1]})")
    for ex, what, path, value in CONFIG_MUTATIONS:
        m = copy.deepcopy(json.loads((proto / "examples" / f"{ex}.json").read_text()))
        set_in(m, path, value)
        if validator(proto, schema_name_for(ex)).is_valid(m):
            fail(f"{ex}: mutation '{what}' passes the schema")
        else:
            print(f"ok   {ex}: '{what}' rejected by the schema")
    # Not JSON at all.
    rc, out = c_decode(approvalctl, b'{"specversion": "1.0", ')
    if rc == 0:
        fail("truncated JSON accepted by the C decoders")


def refs(node):
    if isinstance(node, dict):
        for k, v in node.items():
            if k in ("$ref", "externalValue") and isinstance(v, str):
                yield v
            else:
                yield from refs(v)
    elif isinstance(node, list):
        for v in node:
            yield from refs(v)


def check_documents(proto):
    for name in ["asyncapi.yaml", "openapi.yaml"]:
        doc = yaml.safe_load((proto / name).read_text())
        for r in refs(doc):
            if r.startswith("#"):
                continue
            target = (proto / r.split("#")[0])
            if not target.exists():
                fail(f"{name}: reference {r} does not exist")
        print(f"ok   {name} parses and every file reference exists")
    asyncapi = yaml.safe_load((proto / "asyncapi.yaml").read_text())
    if not str(asyncapi.get("asyncapi", "")).startswith(("2.6", "3.")):
        fail("asyncapi.yaml is not AsyncAPI 2.6 or 3.x")
    channels = set(asyncapi.get("channels", {}))
    for t in CONTRACT_TOPICS:
        if t not in channels:
            fail(f"asyncapi.yaml has no channel {t}")
    openapi = yaml.safe_load((proto / "openapi.yaml").read_text())
    if not str(openapi.get("openapi", "")).startswith("3."):
        fail("openapi.yaml is not OpenAPI 3")
    if "/v1/approval-requests" not in openapi.get("paths", {}):
        fail("openapi.yaml lacks POST /v1/approval-requests")


def check_events(proto, path):
    v = validator(proto, "status.v1")
    n = 0
    for line in pathlib.Path(path).read_text().splitlines():
        if not line.strip():
            continue
        n += 1
        doc = json.loads(line)
        errors = list(v.iter_errors(doc))
        if errors:
            fail(f"published event {doc.get('id')} ({doc.get('data', {}).get('stage')}) fails status.v1: {errors[0].message}")
    print(f"ok   {n} published status events checked")


def main():
    global SCHEMA_DIR
    proto = pathlib.Path(sys.argv[1])
    SCHEMA_DIR = proto / "schemas"
    if len(sys.argv) == 4 and sys.argv[2] == "--events":
        check_events(proto, sys.argv[3])
    elif len(sys.argv) == 3:
        approvalctl = sys.argv[2]
        check_examples(proto, approvalctl)
        check_mutations(proto, approvalctl)
        check_documents(proto)
    else:
        print(__doc__)
        return 2
    if failures:
        print(f"{len(failures)} failure(s)")
        return 1
    print("all proto checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
