#!/usr/bin/env python3
"""Formats `approvalctl consume --topic licensing.status.v1` for the demo: one line per stage."""
import json
import sys

for line in sys.stdin:
    v = json.loads(line)["value"]
    d = v["data"]
    det = d.get("detail") or {}
    extra = (det.get("agency") or (det.get("license") or {}).get("number")
             or (det.get("annex") or {}).get("number") or (det.get("document") or {}).get("number")
             or det.get("deadline") or det.get("complaint_id", ""))
    print("  [status] %s  %-16s %-24s %s" % (d["at"][:16], d["portal_ref"], d["stage"], extra),
          flush=True)
