#!/usr/bin/env python3
"""Every metric that the Prometheus alert rules and the Grafana dashboard use is one the
workers export.

  check_metric_names.py SRC_DIR EXPORTED_NAMES_FILE
(the names file: one metric family a line, as scraped from the workers' /metrics).
"""
import json
import re
import sys

import yaml

src, names_file = sys.argv[1], sys.argv[2]
exported = {l.strip() for l in open(names_file) if l.strip()}
TOKEN = re.compile(r"\b((?:kafka|lic)_[a-z0-9_]+)\b")


def family(name):
    for suffix in ("_bucket", "_sum", "_count"):
        if name.endswith(suffix) and name[: -len(suffix)] in exported:
            return name[: -len(suffix)]
    return name


exprs = []
rules = yaml.safe_load(open(f"{src}/deploy/prometheus/alerts.yml"))
for group in rules["groups"]:
    for rule in group["rules"]:
        exprs.append((f"alerts.yml:{rule['alert']}", rule["expr"]))
dash = json.load(open(f"{src}/deploy/grafana/dashboard.json"))
for panel in dash["panels"]:
    for t in panel.get("targets", []):
        exprs.append((f"dashboard.json:{panel['title']}", t["expr"]))
bad = 0
used = set()
for where, expr in exprs:
    for name in TOKEN.findall(expr):
        used.add(family(name))
        if family(name) not in exported:
            print(f"FAIL: {where} uses {name}, which no worker exports")
            bad += 1
print(f"{len(exprs)} expressions use {len(used)} metrics; the workers export {len(exported)}")
sys.exit(1 if bad else 0)
