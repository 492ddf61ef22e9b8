#!/usr/bin/env python3
"""Loopback HTTP figures for `entitle serve` (`just bench-http`).

For SQLite and PostgreSQL, with one and with two server processes on the same database, measures
create, get and cancel throughput and p50/p99 latency with oha (and with `http-once` for cancels, which
must each hit a different request: oha picks URLs from a file at random). In the same run it measures the
baselines: a bare axum `200 OK` handler, SQLite's own single-row update rate (a raw rusqlite loop with
the server's settings) and PostgreSQL's (pgbench's built-in simple-update script). Prints a Markdown
table with ratios against the baselines.

Environment: BENCH_REQUESTS (default 10000) requests per operation and configuration,
BENCH_CONNECTIONS (default 32) connections per oha run, BENCH_BACKENDS (default "sqlite postgres").
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RELEASE = ROOT / "target" / "release"
TENANT = ROOT / "scripts" / "bench-tenant.json"
ADELE = "00000000-0000-4000-8000-00000000a001"
PACKAGE = "00000000-0000-4000-8000-0000000000b1"
POLICY = "00000000-0000-4000-8000-0000000000d1"
REQUESTS = "identityGovernance/entitlementManagement/assignmentRequests"
SCOPES = "EntitlementMgmt-SubjectAccess.ReadWrite EntitlementManagement.Read.All"
COUNT = int(os.environ.get("BENCH_REQUESTS", "10000"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "32"))
BACKENDS = os.environ.get("BENCH_BACKENDS", "sqlite postgres").split()


def start(command: list[str]) -> tuple[subprocess.Popen[str], str]:
    """Starts a server that prints `listening on http://ADDR` first; returns it and its base URL.
    Its log is at `warn`: one line a request would be measured too."""
    environment = {**os.environ, "ENTITLE_LOG": "warn"}
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=environment
    )
    assert process.stdout is not None
    line = process.stdout.readline().strip()
    prefix = "listening on "
    if not line.startswith(prefix):
        process.kill()
        sys.exit(f"bench-http: unexpected first line from {command[0]}: {line!r}")
    return process, line[len(prefix):]


def stop(process: subprocess.Popen[str]) -> None:
    process.terminate()
    process.wait()


def oha(args: list[str]) -> dict:
    """Runs oha and returns its JSON summary."""
    output = subprocess.run(
        ["oha", "--no-tui", "--output-format", "json", "-c", str(CONNECTIONS), *args],
        check=True, capture_output=True, text=True,
    ).stdout
    return json.loads(output)


def http_once(args: list[str]) -> dict:
    """Runs http-once (every URL of a file exactly once) and returns its oha-style JSON."""
    output = subprocess.run([str(RELEASE / "http-once"), *args], check=True, capture_output=True,
                            text=True).stdout
    return json.loads(output)


def oha_parallel(runs: list[list[str]], tool=oha) -> dict:
    """Runs one load generator per server at once; sums throughput, keeps the worse latency."""
    with ThreadPoolExecutor(len(runs)) as pool:
        results = list(pool.map(tool, runs))
    codes: dict[str, int] = {}
    for result in results:
        for code, n in result.get("statusCodeDistribution", {}).items():
            codes[code] = codes.get(code, 0) + n
    return {
        "rps": sum(r["summary"]["requestsPerSec"] for r in results),
        "p50": max(r["latencyPercentiles"]["p50"] for r in results) * 1000,
        "p99": max(r["latencyPercentiles"]["p99"] for r in results) * 1000,
        "codes": codes,
    }


def get_json(url: str, token: str) -> dict:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request) as response:
        return json.load(response)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Postgres:
    """A throwaway PostgreSQL cluster in a temporary directory, as the tests start one."""

    def __init__(self, scratch: str) -> None:
        versions = sorted(Path("/usr/lib/postgresql").glob("*/bin"))
        if not versions:
            sys.exit("bench-http: PostgreSQL is not installed (apt-get install postgresql)")
        self.bin = versions[-1]
        self.dir = Path(scratch) / "pg"
        self.dir.mkdir()
        self.port = free_port()
        self.as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres", "postgres")
            os.chmod(scratch, 0o755)
        self.run("initdb", "-D", str(self.dir / "data"), "-U", "postgres", "--auth=trust", "-E", "UTF8")
        self.run("pg_ctl", "-D", str(self.dir / "data"), "-w", "-l", str(self.dir / "log"), "-o",
                 f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c max_connections=200", "start")

    def run(self, tool: str, *args: str) -> str:
        return subprocess.run([*self.as_postgres, str(self.bin / tool), *args],
                              check=True, capture_output=True, text=True).stdout

    def create(self, name: str) -> str:
        self.run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", name)
        return f"postgres://postgres@127.0.0.1:{self.port}/{name}"

    def pgbench_simple_update(self) -> float:
        self.create("pgbench")
        common = ["-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres"]
        self.run("pgbench", *common, "-i", "-s", "1", "pgbench")
        output = self.run("pgbench", *common, "-b", "simple-update", "-c", "8", "-j", "2",
                          "-T", "10", "pgbench")
        match = re.search(r"tps = ([0-9.]+)", output)
        return float(match.group(1)) if match else 0.0

    def stop(self) -> None:
        self.run("pg_ctl", "-D", str(self.dir / "data"), "-m", "immediate", "stop")


def measure(label: str, servers: list[str], token: str) -> list[dict]:
    """Create, get and cancel figures against `servers` (one or two processes on one database)."""
    auth = ["-H", f"Authorization: Bearer {token}"]
    per_server = COUNT // len(servers)
    body = json.dumps({
        "requestType": "userAdd",
        "assignment": {"targetId": ADELE, "assignmentPolicyId": POLICY, "accessPackageId": PACKAGE},
    })
    rows = []
    collections = [f"{base}/v1.0/{REQUESTS}" for base in servers]
    created = oha_parallel([["-n", str(per_server), "-m", "POST", "-T", "application/json", "-d", body,
                             *auth, c] for c in collections])
    rows.append({"name": f"{label}: create (201)", **created})
    ids: list[str] = []
    url: str | None = f"{collections[0]}?$top=999&$filter=status%20eq%20%27PendingApproval%27"
    while url:
        page = get_json(url, token)
        ids.extend(item["id"] for item in page["value"])
        url = page.get("@odata.nextLink")
    rows.append({"name": f"{label}: get (200)", **oha_parallel(
        [["-n", str(per_server), *auth, f"{c}/{ids[0]}"] for c in collections])})
    runs = []
    with tempfile.TemporaryDirectory() as scratch:
        share = len(ids) // len(servers)
        for index, collection in enumerate(collections):
            part = ids[index * share:(index + 1) * share]
            urls = Path(scratch) / f"cancel-{index}.txt"
            urls.write_text("".join(f"{collection}/{i}/cancel\n" for i in part))
            runs.append([str(urls), str(CONNECTIONS), token])
        rows.append({"name": f"{label}: cancel (200, each request once)", **oha_parallel(runs, http_once)})
    rows.append({"name": f"{label}: cancel refused (409)", **oha_parallel(
        [["-n", str(per_server), "-m", "POST", *auth, f"{c}/{ids[0]}/cancel"] for c in collections])})
    return rows


def serve(args: list[str]) -> tuple[subprocess.Popen[str], str]:
    return start([str(RELEASE / "entitle"), "serve", "--demo", "--listen", "127.0.0.1:0",
                  "--tenant", str(TENANT), "--frozen-clock", "2026-01-01T00:00:00Z",
                  "--rate-limit", "0", *args])


def main() -> None:
    subprocess.run(["cargo", "build", "--release", "--quiet", "-p", "entitle-cli", "-p", "entitle-bench",
                    "--bin", "entitle", "--bin", "bare-axum", "--bin", "sqlite-update-loop", "--bin", "http-once"],
                   check=True, cwd=ROOT)
    token = subprocess.run([str(RELEASE / "entitle"), "token", "--oid", ADELE, "--scp", SCOPES],
                           check=True, capture_output=True, text=True).stdout.strip()
    rows: list[dict] = []
    baselines: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as scratch:
        bare, bare_base = start([str(RELEASE / "bare-axum"), "127.0.0.1:0"])
        try:
            result = oha_parallel([["-n", str(COUNT), f"{bare_base}/"]])
            baselines["axum"] = result["rps"]
            rows.append({"name": "bare axum `GET /` (200)", **result})
            urls = Path(scratch) / "bare-urls.txt"
            urls.write_text(f"{bare_base}/\n" * COUNT)
            result = oha_parallel([[str(urls), str(CONNECTIONS), token]], http_once)
            baselines["axum-once"] = result["rps"]
            rows.append({"name": "bare axum `POST /` (200, http-once)", **result})
        finally:
            stop(bare)
        loop = subprocess.run([str(RELEASE / "sqlite-update-loop"), f"{scratch}/loop.db", "50000"],
                              check=True, capture_output=True, text=True).stdout
        baselines["sqlite"] = json.loads(loop)["perSecond"]
        if "sqlite" in BACKENDS:
            for processes in (1, 2):
                db = f"{scratch}/sqlite-{processes}.db"
                servers = [serve(["--db", db]) for _ in range(processes)]
                try:
                    rows += measure(f"SQLite, {processes} process{'es' if processes > 1 else ''}",
                                    [base for _, base in servers], token)
                finally:
                    for process, _ in servers:
                        stop(process)
        if "postgres" in BACKENDS:
            postgres = Postgres(scratch)
            try:
                baselines["postgres"] = postgres.pgbench_simple_update()
                for processes in (1, 2):
                    url = postgres.create(f"entitle{processes}")
                    servers = [serve(["--database-url", url]) for _ in range(processes)]
                    try:
                        rows += measure(f"PostgreSQL, {processes} process{'es' if processes > 1 else ''}",
                                        [base for _, base in servers], token)
                    finally:
                        for process, _ in servers:
                            stop(process)
            finally:
                postgres.stop()
    print(f"\n{COUNT} requests per operation, {CONNECTIONS} connections per server process, loopback\n")
    print(f"Baselines measured in this run: bare axum {baselines['axum']:.0f} requests/s; "
          f"raw rusqlite update loop {baselines['sqlite']:.0f} transactions/s"
          + (f"; pgbench simple-update {baselines['postgres']:.0f} tps" if "postgres" in baselines else "")
          + "\n")
    print("Ratios against bare axum compare runs of the same load generator (oha, or http-once for the"
          " rows that say so).\n")
    print("| operation | requests/s | p50 ms | p99 ms | vs bare axum | vs engine | status codes |")
    print("|---|---:|---:|---:|---:|---:|---|")
    for row in rows:
        engine = baselines.get("postgres" if row["name"].startswith("PostgreSQL") else
                               "sqlite" if row["name"].startswith("SQLite") else "", 0.0)
        versus_engine = f"{row['rps'] / engine:.3f}" if engine else ""
        codes = ", ".join(f"{code}: {n}" for code, n in sorted(row["codes"].items()))
        bare = baselines["axum-once"] if "http-once" in row["name"] or "each request once" in row["name"] \
            else baselines["axum"]
        print(f"| {row['name']} | {row['rps']:.0f} | {row['p50']:.2f} | {row['p99']:.2f} | "
              f"{row['rps'] / bare:.3f} | {versus_engine} | {codes} |")


if __name__ == "__main__":
    main()
