#!/usr/bin/env python3
"""Loopback HTTP figures for `entitle serve` on SQLite, next to a bare axum `200 OK` handler measured in
the same run (`just bench-http`).

Starts the release builds of `entitle serve` (a fresh SQLite file, the tenant in
scripts/bench-tenant.json, a frozen clock) and `bare-axum` on 127.0.0.1, drives them with oha, and
prints throughput and p50/p99 latency per operation, with ratios against the bare handler.

Environment: BENCH_REQUESTS (default 20000) requests per operation, BENCH_CONNECTIONS (default 32).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RELEASE = ROOT / "target" / "release"
TENANT = ROOT / "scripts" / "bench-tenant.json"
ADELE = "00000000-0000-4000-8000-00000000a001"
PACKAGE = "00000000-0000-4000-8000-0000000000b1"
POLICY = "00000000-0000-4000-8000-0000000000d1"
REQUESTS = "identityGovernance/entitlementManagement/assignmentRequests"
SCOPES = "EntitlementMgmt-SubjectAccess.ReadWrite EntitlementManagement.Read.All"
COUNT = int(os.environ.get("BENCH_REQUESTS", "20000"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "32"))


def start(command: list[str]) -> tuple[subprocess.Popen[str], str]:
    """Starts a server that prints `listening on http://ADDR` first; returns it and its base URL."""
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    )
    assert process.stdout is not None
    line = process.stdout.readline().strip()
    prefix = "listening on "
    if not line.startswith(prefix):
        process.kill()
        sys.exit(f"bench-http: unexpected first line from {command[0]}: {line!r}")
    return process, line[len(prefix):]


def oha(args: list[str]) -> dict:
    """Runs oha and returns its JSON summary."""
    output = subprocess.run(
        ["oha", "--no-tui", "--output-format", "json", "-c", str(CONNECTIONS), *args],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(output)


def figures(name: str, result: dict) -> dict:
    summary = result["summary"]
    percentiles = result["latencyPercentiles"]
    return {
        "name": name,
        "rps": summary["requestsPerSec"],
        "p50": percentiles["p50"] * 1000,
        "p99": percentiles["p99"] * 1000,
        "codes": result.get("statusCodeDistribution", {}),
    }


def get_json(url: str, token: str) -> dict:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request) as response:
        return json.load(response)


def main() -> None:
    subprocess.run(
        ["cargo", "build", "--release", "--quiet", "-p", "entitle-cli", "-p", "entitle-bench", "--bin", "entitle", "--bin", "bare-axum"],
        check=True,
        cwd=ROOT,
    )
    token = subprocess.run(
        [str(RELEASE / "entitle"), "token", "--oid", ADELE, "--scp", SCOPES],
        check=True, capture_output=True, text=True,
    ).stdout.strip()
    auth = ["-H", f"Authorization: Bearer {token}"]
    results = []
    with tempfile.TemporaryDirectory() as scratch:
        bare, bare_base = start([str(RELEASE / "bare-axum"), "127.0.0.1:0"])
        server, base = start([
            str(RELEASE / "entitle"), "serve", "--demo", "--listen", "127.0.0.1:0",
            "--db", f"{scratch}/bench.db", "--config", str(TENANT),
            "--frozen-clock", "2026-01-01T00:00:00Z",
        ])
        try:
            collection = f"{base}/v1.0/{REQUESTS}"
            results.append(figures("bare axum `GET /` (200)", oha(["-n", str(COUNT), f"{bare_base}/"])))
            body = json.dumps({
                "requestType": "userAdd",
                "assignment": {"targetId": ADELE, "assignmentPolicyId": POLICY, "accessPackageId": PACKAGE},
            })
            results.append(figures("create (201)", oha([
                "-n", str(COUNT), "-m", "POST", "-T", "application/json", "-d", body, *auth, collection,
            ])))
            ids = []
            url = f"{collection}?$top=999"
            while url:
                page = get_json(url, token)
                ids.extend(item["id"] for item in page["value"])
                url = page.get("@odata.nextLink")
            one = ids[0]
            results.append(figures("get (200)", oha(["-n", str(COUNT), *auth, f"{collection}/{one}"])))
            urls = Path(scratch) / "cancel-urls.txt"
            urls.write_text("".join(f"{collection}/{i}/cancel\n" for i in ids))
            results.append(figures("cancel (200)", oha([
                "-n", str(len(ids)), "-m", "POST", *auth, "--urls-from-file", str(urls),
            ])))
            results.append(figures("cancel refused (409)", oha([
                "-n", str(COUNT), "-m", "POST", *auth, f"{collection}/{one}/cancel",
            ])))
        finally:
            server.terminate()
            bare.terminate()
            server.wait()
            bare.wait()
    baseline = results[0]
    print(f"\n{COUNT} requests per operation, {CONNECTIONS} connections, loopback; SQLite file, WAL\n")
    print("| operation | requests/s | p50 ms | p99 ms | throughput vs bare axum | status codes |")
    print("|---|---:|---:|---:|---:|---|")
    for row in results:
        ratio = row["rps"] / baseline["rps"]
        codes = ", ".join(f"{code}: {n}" for code, n in sorted(row["codes"].items()))
        print(f"| {row['name']} | {row['rps']:.0f} | {row['p50']:.2f} | {row['p99']:.2f} | {ratio:.3f} | {codes} |")


if __name__ == "__main__":
    main()
