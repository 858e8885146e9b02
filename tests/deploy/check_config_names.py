#!/usr/bin/env python3
"""Every variable that docker-compose.yml and the systemd example give the workers is one the
workers read: a LIC_* of `approvalctl config` (or its _FILE form), a KAFKA_* librdkafka
property, or TZ; and docs/configuration.md holds the table `approvalctl config` prints.

  check_config_names.py SRC_DIR APPROVALCTL
"""
import re
import subprocess
import sys

import yaml

src, approvalctl = sys.argv[1], sys.argv[2]
table = subprocess.run([approvalctl, "config", "--markdown"], capture_output=True, text=True,
                       check=True).stdout
known = set(re.findall(r"`(LIC_[A-Z0-9_]+)`", table))
known |= {k + "_FILE" for k in known}
WORKERS = {"intake", "relay", "dispatcher", "replies", "timer", "decider", "mailer", "actions",
           "complaints", "registries", "migrate", "agencysim", "registrysim"}


def ok(name):
    return name in known or name == "TZ" or (name.startswith("KAFKA_") and name != "KAFKA_")


bad = []
rendered = subprocess.run(["docker-compose", "-f", f"{src}/docker-compose.yml", "config"],
                          capture_output=True, text=True, check=True).stdout
services = yaml.safe_load(rendered)["services"]
missing = WORKERS - {"agencysim", "registrysim"} - set(services)
if missing:
    bad.append(f"docker-compose.yml lacks services {sorted(missing)}")
for name, svc in services.items():
    if name not in WORKERS:
        continue
    env = svc.get("environment") or {}
    names = env.keys() if isinstance(env, dict) else [e.split("=", 1)[0] for e in env]
    for n in names:
        if not ok(n):
            bad.append(f"docker-compose.yml: service {name} sets {n}, which no worker reads")
for line in open(f"{src}/deploy/systemd/licensing.env.example", encoding="utf-8"):
    line = line.strip()
    if line and not line.startswith("#"):
        n = line.split("=", 1)[0]
        if not ok(n):
            bad.append(f"deploy/systemd/licensing.env.example sets {n}, which no worker reads")
# docs/configuration.md carries the table as approvalctl prints it.
with open(f"{src}/docs/configuration.md", encoding="utf-8") as f:
    if table.strip() not in f.read():
        bad.append("docs/configuration.md differs from `approvalctl config --markdown`; write it "
                   "again from that output")
for b in bad:
    print("FAIL:", b)
print(f"checked {len(services)} services; {len(known)} known variables")
sys.exit(1 if bad else 0)
