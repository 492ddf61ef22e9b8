#!/usr/bin/env python3
"""Loopback HTTP figures for `entitle serve` (`just bench-http`).

For SQLite and PostgreSQL, with one and with two server processes on the same database, measures
create, get and cancel throughput and p50/p99 latency with oha (and with `http-once` for cancels, which
must each hit a different request: oha picks URLs from a file at random). In the same run it measures the
baselines: a bare axum `200 OK` handler, SQLite's own single-row update rate (a raw rusqlite loop with
the server's settings) and PostgreSQL's (pgbench's built-in simple-update script). And it measures the
peers people pick instead of a server like entitle, with the same get and cancel loads: Prism
(`@stoplight/prism-cli`, mock mode, serving docs/openapi.yaml) and a json-server fake of the requests
collection (`db.json` with as many requests as entitle's run). json-server has no actions: its cancel
is what a fake would do, `PATCH /assignmentRequests/{id}` with `{"status": "Canceled"}`. The peers are
pinned in bench/peers (`just peers-env`); without them their rows are skipped, with the reason.

Prints two Markdown tables: throughput and latency with ratios against the baselines, then what entitle
and each peer answered correctly, checked on fresh requests from their real answers: a second cancel
of the same request refused with 409, a stranger's cancel refused with 403, and a read after a cancel
showing the request canceled.

Environment: BENCH_REQUESTS (default 10000) requests per operation and configuration,
BENCH_CONNECTIONS (default 32) connections per oha run, BENCH_BACKENDS (default "sqlite postgres"),
BENCH_PEERS (default "prism json-server"; empty for none). A short smoke run:
BENCH_REQUESTS=500 BENCH_BACKENDS=sqlite just bench-http.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RELEASE = ROOT / os.environ.get("CARGO_TARGET_DIR", "target") / "release"
PEERS = ROOT / "bench" / "peers"
TENANT = ROOT / "scripts" / "bench-tenant.json"
ADELE = "00000000-0000-4000-8000-00000000a001"
STRANGER = "00000000-0000-4000-8000-00000000a002"  # Bianca: not Adele, no administrator role
PACKAGE = "00000000-0000-4000-8000-0000000000b1"
POLICY = "00000000-0000-4000-8000-0000000000d1"
REQUESTS = "identityGovernance/entitlementManagement/assignmentRequests"
SCOPES = "EntitlementMgmt-SubjectAccess.ReadWrite EntitlementManagement.Read.All"
COUNT = int(os.environ.get("BENCH_REQUESTS", "10000"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "32"))
BACKENDS = os.environ.get("BENCH_BACKENDS", "sqlite postgres").split()
PEER_NAMES = os.environ.get("BENCH_PEERS", "prism json-server").split()
CREATE_BODY = json.dumps({
    "requestType": "userAdd",
    "assignment": {"targetId": ADELE, "assignmentPolicyId": POLICY, "accessPackageId": PACKAGE},
})


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
    """A `GET` that must answer `200` with a JSON object."""
    code, body = call("GET", url, token)
    if code != 200 or not isinstance(body, dict):
        sys.exit(f"bench-http: GET {url} answered {code}")
    return body


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
    body = CREATE_BODY
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


def call(method: str, url: str, token: str, body: str | None = None) -> tuple[int, dict | None]:
    """One request; returns its status code and its JSON body (None if it has none)."""
    headers = {"Authorization": f"Bearer {token}"}
    if body is not None:
        headers["Content-Type"] = "application/json"
    request = urllib.request.Request(url, method=method, headers=headers,
                                     data=body.encode() if body is not None else None)
    try:
        with urllib.request.urlopen(request) as response:
            code, text = response.status, response.read()
    except urllib.error.HTTPError as error:
        code, text = error.code, error.read()
    try:
        return code, json.loads(text) if text else None
    except ValueError:
        return code, None


class Target:
    """How to read and cancel one request of a server: entitle and Prism answer Graph's paths,
    json-server its own collection, where a cancel is a PATCH of the status."""

    def __init__(self, name: str, collection: str, cancel_method: str = "POST",
                 cancel_body: str | None = None) -> None:
        self.name = name
        self.collection = collection
        self.cancel_method = cancel_method
        self.cancel_body = cancel_body

    def get_url(self, id_: str) -> str:
        return f"{self.collection}/{id_}"

    def cancel_url(self, id_: str) -> str:
        return f"{self.collection}/{id_}" if self.cancel_method == "PATCH" else f"{self.collection}/{id_}/cancel"

    def cancel(self, id_: str, token: str) -> int:
        return call(self.cancel_method, self.cancel_url(id_), token, self.cancel_body)[0]


def answers(target: Target, ids: list[str], token: str, stranger: str) -> dict[str, str]:
    """What `target` answers on two fresh, cancelable requests: a second cancel of the first (409?),
    a read of it after the first cancel (canceled?), and a stranger's cancel of the second (403?)."""
    first = target.cancel(ids[0], token)
    code, read = call("GET", target.get_url(ids[0]), token)
    status = read.get("status") if isinstance(read, dict) else None
    again = target.cancel(ids[0], token)
    foreign = target.cancel(ids[1], stranger)
    return {
        "second cancel refused (409)": f"{'yes' if again == 409 else 'no'} ({again})",
        "stranger's cancel refused (403)": f"{'yes' if foreign == 403 else 'no'} ({foreign})",
        "state kept (read after cancel shows Canceled)":
            f"{'yes' if status == 'Canceled' else 'no'} (cancel {first}, then read {code}: {status})",
    }


def entitle_answers(scratch: str, token: str, stranger: str) -> dict[str, str]:
    """entitle's answers, on a fresh SQLite database with two requests created by Adele."""
    process, base = serve(["--db", f"{scratch}/answers.db"])
    try:
        collection = f"{base}/v1.0/{REQUESTS}"
        ids = []
        for _ in range(2):
            code, created = call("POST", collection, token, CREATE_BODY)
            if code != 201 or not isinstance(created, dict):
                sys.exit(f"bench-http: creating a request answered {code}")
            ids.append(created["id"])
        return answers(Target("entitle", collection), ids, token, stranger)
    finally:
        stop(process)


def start_peer(command: list[str], port: int, log: Path, cwd: Path) -> subprocess.Popen[bytes]:
    """Starts a peer in its own process group, on 127.0.0.1:`port`; waits until it accepts connections."""
    with open(log, "wb") as output:
        process = subprocess.Popen(command, cwd=cwd, stdout=output, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            tail = log.read_text(errors="replace")[-2000:]
            raise RuntimeError(f"{command[0]} exited with {process.returncode}: {tail}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return process
        except OSError:
            time.sleep(0.25)
    stop_peer(process)
    raise RuntimeError(f"{command[0]} did not listen on 127.0.0.1:{port} within 120 s")


def stop_peer(process: subprocess.Popen[bytes]) -> None:
    """Stops a peer and whatever it started (its process group, by its id)."""
    if process.poll() is None:
        try:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        except ProcessLookupError:
            pass


def peers_missing() -> str | None:
    """Why the peers cannot run, or None."""
    if shutil.which("node") is None:
        return "node is not installed (Node 18.20 or later)"
    for tool in ("prism", "json-server"):
        if not (PEERS / "node_modules" / ".bin" / tool).exists():
            return f"{PEERS.relative_to(ROOT)}/node_modules has no {tool}: install the peers with `just peers-env`"
    return None


def measure_peer(label: str, target: Target, ids: list[str], token: str, scratch: str) -> list[dict]:
    """The get and cancel loads of `measure` against a peer: one request read COUNT times, every
    request canceled once (http-once), one request canceled again COUNT times."""
    auth = ["-H", f"Authorization: Bearer {token}"]
    rows = [{"name": f"{label}: get", **oha_parallel([["-n", str(COUNT), *auth, target.get_url(ids[0])]])}]
    urls = Path(scratch) / f"cancel-{target.name}.txt"
    urls.write_text("".join(f"{target.cancel_url(i)}\n" for i in ids))
    once = [str(urls), str(CONNECTIONS), token, target.cancel_method]
    again = ["-n", str(COUNT), "-m", target.cancel_method, *auth, target.cancel_url(ids[0])]
    if target.cancel_body is not None:
        once.append(target.cancel_body)
        again[4:4] = ["-T", "application/json", "-d", target.cancel_body]
    rows.append({"name": f"{label}: cancel (each request once)", **oha_parallel([once], http_once)})
    rows.append({"name": f"{label}: cancel again (the same request)", **oha_parallel([again])})
    return rows


def peers(scratch: str, token: str, stranger: str) -> tuple[list[dict], dict[str, dict[str, str]], list[str]]:
    """Rows and answers of the peers in PEER_NAMES, and the reasons for any skipped."""
    rows: list[dict] = []
    checked: dict[str, dict[str, str]] = {}
    skipped: list[str] = []
    if not PEER_NAMES:
        return rows, checked, skipped
    missing = peers_missing()
    if missing:
        return rows, checked, [f"{', '.join(PEER_NAMES)} skipped: {missing}"]
    bin_ = PEERS / "node_modules" / ".bin"
    # Two more than the load's requests: the answers are checked on fresh ones.
    ids = [str(uuid.uuid4()) for _ in range(COUNT)]
    fresh = [str(uuid.uuid4()) for _ in range(2)]
    for name in PEER_NAMES:
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        if name == "prism":
            label = "Prism 5 (mock, docs/openapi.yaml)"
            command = [str(bin_ / "prism"), "mock", "--host", "127.0.0.1", "--port", str(port),
                       "--verboseLevel", "warn", str(ROOT / "docs" / "openapi.yaml")]
            target = Target(name, f"{base}/v1.0/{REQUESTS}")
        elif name == "json-server":
            label = "json-server 0.17 (PATCH status)"
            db = Path(scratch) / "json-server" / "db.json"
            db.parent.mkdir(exist_ok=True)
            db.write_text(json.dumps({"assignmentRequests": [
                {"id": i, "requestType": "userAdd", "state": "pendingApproval", "status": "PendingApproval",
                 "requestor": {"id": ADELE}, "assignment": {"targetId": ADELE, "assignmentPolicyId": POLICY,
                                                            "accessPackageId": PACKAGE}}
                for i in ids + fresh]}, indent=2))
            command = [str(bin_ / "json-server"), str(db), "--host", "127.0.0.1", "--port", str(port),
                       "--quiet"]
            target = Target(name, f"{base}/assignmentRequests", "PATCH", json.dumps({"status": "Canceled"}))
        else:
            skipped.append(f"{name} skipped: not a peer bench-http knows (prism, json-server)")
            continue
        try:
            process = start_peer(command, port, Path(scratch) / f"{name}.log", PEERS)
        except RuntimeError as error:
            skipped.append(f"{name} skipped: {error}")
            continue
        try:
            checked[label] = answers(target, fresh, token, stranger)
            rows += measure_peer(label, target, ids, token, scratch)
        finally:
            stop_peer(process)
    return rows, checked, skipped


def main() -> None:
    subprocess.run(["cargo", "build", "--release", "--quiet", "-p", "entitle-cli", "-p", "entitle-bench",
                    "--bin", "entitle", "--bin", "bare-axum", "--bin", "sqlite-update-loop", "--bin", "http-once"],
                   check=True, cwd=ROOT)
    token = subprocess.run([str(RELEASE / "entitle"), "token", "--oid", ADELE, "--scp", SCOPES],
                           check=True, capture_output=True, text=True).stdout.strip()
    stranger = subprocess.run([str(RELEASE / "entitle"), "token", "--oid", STRANGER, "--scp", SCOPES],
                              check=True, capture_output=True, text=True).stdout.strip()
    rows: list[dict] = []
    checked: dict[str, dict[str, str]] = {}
    skipped: list[str] = []
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
        checked["entitle"] = entitle_answers(scratch, token, stranger)
        peer_rows, peer_checked, skipped = peers(scratch, token, stranger)
        rows += peer_rows
        checked.update(peer_checked)
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
    for reason in skipped:
        print(f"\nbench-http: {reason}")
    print("\nWhat each answered, on fresh requests (a stranger: another user of the tenant with the same"
          " permissions; json-server's cancel is a PATCH of the status):\n")
    questions = list(next(iter(checked.values())))
    print(f"| server | {' | '.join(questions)} |")
    print(f"|---|{'---|' * len(questions)}")
    for name, cells in checked.items():
        print(f"| {name} | {' | '.join(cells[q] for q in questions)} |")


if __name__ == "__main__":
    main()
