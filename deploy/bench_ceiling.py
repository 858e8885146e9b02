#!/usr/bin/env python3
"""The PostgreSQL write-ceiling script for deploy/bench.sh, made from what the intake really sent.

    bench_ceiling.py SERVER_LOG BATCH > ceiling.sql

SERVER_LOG holds one intake transaction logged with log_statement = 'all' (the benchmark registers
one application that way first). This program takes that transaction's writes (INSERT, UPDATE,
DELETE and the stage changes, lic_set_stage) with their parameters as literals and writes a
pgbench script (-M prepared) that runs BATCH applications' worth of them in one transaction and
one pipeline, as the intake sends them (prepared statements, deferred writes), with every uuid of
the application replaced by a fresh random one per application. The per-batch statements (the
stored consumer offsets) run once per transaction, as in the intake. Reads and everything else
the intake does (Kafka, JSON, the calendar) are left out: that is the ceiling.
"""
import re
import sys

LINE = re.compile(r"^\S+ \S+ \S+ \[(\d+)\] (\w+):\s+(.*)$")
PARAM = re.compile(r"\$(\d+) = (NULL|'(?:[^']|'')*')")
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def entries(path):
    """(pid, level, text) of every log entry; continuation lines are joined."""
    cur = None
    with open(path, encoding="utf-8", errors="replace") as f:
        for raw in f:
            m = LINE.match(raw.rstrip("\n"))
            if m:
                if cur:
                    yield cur
                cur = [m.group(1), m.group(2), m.group(3)]
            elif cur:
                cur[2] += "\n" + raw.rstrip("\n")
    if cur:
        yield cur


def one_line(sql):
    """A statement of a sql/ file as one line: its comment lines dropped, its lines joined
    (before the parameters go in, so their values keep their line breaks)."""
    lines = [l.strip() for l in sql.split("\n") if not l.strip().startswith("--")]
    return " ".join(l for l in lines if l)


def statements(path):
    """(pid, sql) with the parameters of the extended protocol put in as literals."""
    pending = None
    for pid, level, text in entries(path):
        if level == "LOG":
            if pending:
                yield pending
                pending = None
            m = re.match(r"(?:statement|execute [^:]*): (.*)$", text, re.S)
            if m:
                pending = (pid, one_line(m.group(1)))
        elif level == "DETAIL" and pending and text.startswith("parameters: "):
            params = {int(n): v for n, v in PARAM.findall(text)}
            sql = pending[1]
            for n in sorted(params, reverse=True):
                sql = sql.replace(f"${n}", params[n])
            yield (pending[0], sql)
            pending = None
    if pending:
        yield pending


def intake_transaction(path):
    """The statements of the first transaction that inserted an application."""
    open_tx = {}
    for pid, sql in statements(path):
        word = sql.strip().split(None, 1)[0].upper() if sql.strip() else ""
        if word in ("BEGIN", "START"):
            open_tx[pid] = []
        elif word in ("COMMIT", "END"):
            tx = open_tx.pop(pid, None)
            if tx and any(s.startswith("INSERT INTO applications ") for s in tx):
                return tx
        elif pid in open_tx:
            open_tx[pid].append(sql.strip())
    sys.exit("bench_ceiling: no committed intake transaction in the log")


def main():
    log, batch = sys.argv[1], int(sys.argv[2])
    tx = intake_transaction(log)
    writes = [s for s in tx if s.split(None, 1)[0].upper() in ("INSERT", "UPDATE", "DELETE")
              or s.startswith("SELECT lic_set_stage(")]
    per_batch = [s for s in writes if "consumer_offsets" in s]
    per_app = [s for s in writes if "consumer_offsets" not in s]
    ids = []
    for s in per_app:
        for u in UUID.findall(s):
            if u not in ids:
                ids.append(u)
    out = [f"-- {len(per_app)} writes per application, {len(ids)} uuids each, {batch} per transaction"]
    out.append("\\startpipeline")
    out.append("BEGIN;")
    for _ in range(batch):
        for k in range(len(ids)):
            out.append(f"\\set a{k} random(10000000, 99999999)")
            out.append(f"\\set b{k} random(100000000000, 999999999999)")
        for s in per_app:
            for k, u in enumerate(ids):
                # pgbench sends variables as parameters: a whole literal becomes an expression;
                # inside a longer literal (a payload) the uuid stays as it is.
                s = s.replace(f"'{u}'", f"(:a{k}::text || '-1000-4000-8000-' || :b{k}::text)::uuid")
            out.append(s + ";")
    out.extend(s + ";" for s in per_batch)
    out.append("COMMIT;")
    out.append("\\endpipeline")
    print("\n".join(out))
    print(f"bench_ceiling: {len(per_app)} writes per application", file=sys.stderr)


if __name__ == "__main__":
    main()
