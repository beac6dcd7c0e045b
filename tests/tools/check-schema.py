#!/usr/bin/env python3
# check-schema.py SCHEMA REPORT... --- validate each JSON report against a
# JSON Schema (draft 2020-12, docs/schemas/); print every violation with its
# place and exit 1 when there is any.  Needs python3-jsonschema (deps.sh).
import json
import sys

import jsonschema


def main():
    if len(sys.argv) < 3:
        print("usage: check-schema.py SCHEMA REPORT...", file=sys.stderr)
        return 2
    with open(sys.argv[1]) as f:
        schema = json.load(f)
    jsonschema.Draft202012Validator.check_schema(schema)
    v = jsonschema.Draft202012Validator(schema)
    bad = 0
    for path in sys.argv[2:]:
        with open(path) as f:
            doc = json.load(f)
        for e in sorted(v.iter_errors(doc), key=lambda e: list(e.path)):
            where = "/".join(str(p) for p in e.path) or "(top)"
            print(f"{path}: {where}: {e.message}", file=sys.stderr)
            bad += 1
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
