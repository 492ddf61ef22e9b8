#!/usr/bin/env python3
"""Checks `entitle serve` against docs/openapi.yaml with schemathesis (`just schemathesis`).

Builds `entitle`, starts `entitle serve --demo` on a frozen clock over a fresh SQLite file on a free
loopback port, mints a token for Megan (the demo tenant's access package assignment manager, with
`EntitlementManagement.ReadWrite.All`, and `User.Read.All` and `GroupMember.Read.All` to read the
directory), and runs `st run docs/openapi.yaml` with every phase
(examples, coverage, fuzzing, stateful) and the checks below. Prints how many requests the server
answered (from its own `/metrics`) and how long the run took; fails when schemathesis finds a
failure, when fewer than ST_MIN_REQUESTS (default 1000) requests were made, or when the server
stops on its own. The server is stopped at the end in every case.

Needs schemathesis in .venv-st (the recipe installs the pinned version). Environment: ST_SEED
(default 1) for the random seed, ST_MAX_EXAMPLES (default 40) test cases per operation and phase,
ST_MIN_REQUESTS, ENTITLE_BIN to test an already built `entitle`.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ST = ROOT / ".venv-st" / "bin" / "st"
SPEC = ROOT / "docs" / "openapi.yaml"
MEGAN = "00000000-0000-4000-8000-00000000a006"
# Megan's permissions: assignment requests, and reading the tenant's users, groups and members.
SCOPES = "EntitlementManagement.ReadWrite.All User.Read.All GroupMember.Read.All"
CHECKS = [
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
    "negative_data_rejection",
    "unsupported_method",
    "allow_header_conformance",
    "missing_required_header",
    "ignored_auth",
    "use_after_free",
    "ensure_resource_availability",
]
SEED = os.environ.get("ST_SEED", "1")
MAX_EXAMPLES = os.environ.get("ST_MAX_EXAMPLES", "40")
MIN_REQUESTS = int(os.environ.get("ST_MIN_REQUESTS", "1000"))


def log(message: str) -> None:
    print(f"schemathesis: {message}", flush=True)


def entitle_binary() -> Path:
    given = os.environ.get("ENTITLE_BIN")
    if given:
        return Path(given)
    subprocess.run(
        ["cargo", "build", "--quiet", "-p", "entitle-cli", "--bin", "entitle"],
        check=True,
        cwd=ROOT,
    )
    target = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
    return target / "debug" / "entitle"


def responses_answered(base: str) -> dict[str, int]:
    """The server's response counts by status code, from `/metrics`."""
    with urllib.request.urlopen(f"{base}/metrics", timeout=10) as response:
        text = response.read().decode()
    counts: dict[str, int] = {}
    for match in re.finditer(
        r'^entitle_http_responses_total\{method="[^"]*",code="(\d+)"\} (\d+)$', text, re.M
    ):
        counts[match[1]] = counts.get(match[1], 0) + int(match[2])
    return counts


def stop(server: subprocess.Popen[str]) -> None:
    if server.poll() is not None:
        return
    server.send_signal(signal.SIGTERM)
    try:
        server.wait(timeout=15)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def main() -> int:
    if not ST.exists():
        sys.exit(f"schemathesis: {ST} is missing: run `just schemathesis`, which installs it")
    entitle = entitle_binary()
    token = subprocess.run(
        [str(entitle), "token", "--oid", MEGAN, "--scp", SCOPES],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    with tempfile.TemporaryDirectory(prefix="entitle-st-") as scratch:
        server_log = Path(scratch) / "server.log"
        with open(server_log, "w") as errors:
            server = subprocess.Popen(
                [
                    str(entitle), "serve", "--demo",
                    "--frozen-clock", "2026-01-01T00:00:00Z",
                    "--db", f"{scratch}/st.db",
                    "--listen", "127.0.0.1:0",
                ],
                stdout=subprocess.PIPE,
                stderr=errors,
                text=True,
            )
        try:
            assert server.stdout is not None
            line = server.stdout.readline().strip()
            if not line.startswith("listening on "):
                log(f"the server did not start: {line!r}")
                print(server_log.read_text(), file=sys.stderr)
                return 1
            base = line.removeprefix("listening on ")
            log(f"entitle serve --demo on {base}; schemathesis {subprocess.run([str(ST), '--version'], capture_output=True, text=True).stdout.strip()}")
            before = responses_answered(base)
            started = time.monotonic()
            command = [
                str(ST), "run", str(SPEC),
                "--url", base,
                "-H", f"Authorization: Bearer {token}",
                "--checks", ",".join(CHECKS),
                "--phases", "examples,coverage,fuzzing,stateful",
                "--max-examples", MAX_EXAMPLES,
                "--seed", SEED,
                "--report", "junit",
                "--report-junit-path", str(ROOT / "target" / "schemathesis" / "junit.xml"),
                "--output-sanitize", "true",
            ]
            result = subprocess.run(command, cwd=ROOT)
            elapsed = time.monotonic() - started
            alive = server.poll() is None
            after = responses_answered(base) if alive else before
        finally:
            stop(server)
        counts = {code: after.get(code, 0) - before.get(code, 0) for code in after}
        counts["200"] = counts.get("200", 0) - 1  # the second `/metrics` read
        total = sum(counts.values())
        by_code = ", ".join(f"{code}: {n}" for code, n in sorted(counts.items()) if n)
        log(f"{total} requests answered in {elapsed:.1f} s ({by_code})")
        failed = False
        if not alive:
            log("the server stopped during the run")
            failed = True
        if result.returncode != 0:
            log(f"st run failed (exit {result.returncode})")
            failed = True
        if total < MIN_REQUESTS:
            log(f"only {total} requests; at least {MIN_REQUESTS} are required")
            failed = True
        if failed:
            print(server_log.read_text()[-5000:], file=sys.stderr)
            return 1
        log("passed")
        return 0


if __name__ == "__main__":
    sys.exit(main())
