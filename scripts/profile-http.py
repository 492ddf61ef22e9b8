#!/usr/bin/env python3
"""Where a request's time goes in `entitle serve` (`just profile-http`).

Starts one `entitle serve` (release build) on a fresh SQLite file, creates PROFILE_REQUESTS requests
(default 20000), then records the server with `perf record` while it answers, in turn, a get load (oha)
and a cancel load (http-once, every request once). For each load it prints the writes per commit
so far (group commit), the share of the server's
CPU samples by part (SQLite, JSON, HTTP and the runtime, the bearer token, allocation, the kernel,
entitle's own code) and its hottest functions. The load generators run on the same two cores.
"""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import tempfile
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SPEC = importlib.util.spec_from_file_location("bench_http", ROOT / "scripts" / "bench-http.py")
assert SPEC and SPEC.loader
bench = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(bench)

COUNT = int(os.environ.get("PROFILE_REQUESTS", "20000"))

# The part a function belongs to, by the first pattern its symbol (or its object) matches.
PARTS = [
    ("SQLite", r"sqlite3|^pcache|^btree|^vdbe|rusqlite|libsqlite"),
    ("JSON (serde_json)", r"serde_json|serde::|_serde|Serialize|Deserialize|ryu|itoa"),
    ("bearer token (jsonwebtoken, RSA, base64)", r"jsonwebtoken|rsa::|num_bigint|ring::|base64|aws_lc|sha2"),
    ("HTTP (hyper, axum, tower, h1)", r"hyper|axum|tower|http::|httparse|h2::|matchit"),
    ("async runtime (tokio)", r"tokio|mio::|parking_lot|futures|std::sync|std::thread|crossbeam"),
    ("allocation and copies", r"malloc|free|realloc|memcpy|memmove|memset|alloc::|_int_|cfree|__libc"),
    ("tracing and metrics", r"tracing|metrics|prometheus"),
    ("entitle", r"entitle"),
    ("kernel (syscalls, network, scheduler)", r"^\[k\]|kernel"),
]


def report(data: Path, title: str) -> None:
    output = subprocess.run(
        ["perf", "report", "-i", str(data), "--stdio", "--no-children", "--sort", "dso,sym",
         "--percent-limit", "0.01"],
        check=True, capture_output=True, text=True,
    ).stdout
    rows = []
    for line in output.splitlines():
        match = re.match(r"\s*([0-9.]+)%\s+(\S+)\s+(\[[k.]\])\s+(.*)", line)
        if match:
            share, dso, kind, symbol = match.groups()
            rows.append((float(share), dso, kind, symbol.strip()))
    parts: dict[str, float] = {}
    for share, dso, kind, symbol in rows:
        name = f"{kind} {dso} {symbol}"
        part = next((label for label, pattern in PARTS if re.search(pattern, name)), "other")
        parts[part] = parts.get(part, 0.0) + share
    total = sum(parts.values()) or 1.0
    print(f"\n### {title}: share of the server's CPU samples\n")
    print("| part | share |")
    print("|---|---:|")
    for part, share in sorted(parts.items(), key=lambda item: -item[1]):
        print(f"| {part} | {100 * share / total:.1f}% |")
    print(f"\nHottest functions ({title}):\n")
    for share, dso, kind, symbol in rows[:15]:
        print(f"    {share:5.2f}%  {dso:<16} {symbol[:110]}")


def writes_per_commit(base: str) -> str:
    """Writes per commit so far, from the server's metrics."""
    with urllib.request.urlopen(f"{base}/metrics") as response:
        text = response.read().decode()
    total = {kind: sum(float(value) for value in re.findall(
        rf'^entitle_store_commit_writes_{kind}{{[^}}]*}} ([0-9.e+]+)$', text, re.M))
        for kind in ("sum", "count")}
    if not total["count"]:
        return "no commits yet"
    return f"{total['sum']:.0f} writes in {total['count']:.0f} commits ({total['sum'] / total['count']:.1f} a commit)"


def main() -> None:
    subprocess.run(["cargo", "build", "--release", "--quiet", "-p", "entitle-cli", "-p", "entitle-bench",
                    "--bin", "entitle", "--bin", "http-once"], check=True, cwd=ROOT)
    token = subprocess.run([str(bench.RELEASE / "entitle"), "token", "--oid", bench.ADELE, "--scp",
                            bench.SCOPES], check=True, capture_output=True, text=True).stdout.strip()
    auth = ["-H", f"Authorization: Bearer {token}"]
    with tempfile.TemporaryDirectory() as scratch:
        server, base = bench.serve(["--db", f"{scratch}/profile.db"])
        try:
            collection = f"{base}/v1.0/{bench.REQUESTS}"
            bench.oha(["-n", str(COUNT), "-m", "POST", "-T", "application/json", "-d", bench.CREATE_BODY,
                       *auth, collection])
            ids: list[str] = []
            url: str | None = f"{collection}?$top=999"
            while url:
                page = bench.get_json(url, token)
                ids.extend(item["id"] for item in page["value"])
                url = page.get("@odata.nextLink")
            urls = Path(scratch) / "cancel.txt"
            urls.write_text("".join(f"{collection}/{i}/cancel\n" for i in ids))
            loads = [
                ("get", lambda: bench.oha(["-n", str(COUNT), *auth, f"{collection}/{ids[0]}"])),
                ("cancel", lambda: bench.http_once([str(urls), str(bench.CONNECTIONS), token])),
            ]
            for name, load in loads:
                data = Path(scratch) / f"{name}.perf"
                perf = subprocess.Popen(["perf", "record", "-q", "-F", "1999", "-o", str(data), "-p",
                                         str(server.pid)], stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL)
                try:
                    result = load()
                finally:
                    perf.send_signal(2)
                    perf.wait()
                rps = result["summary"]["requestsPerSec"]
                print(f"\n{name}: {rps:.0f} requests/s while recorded ({COUNT} requests); "
                      f"{writes_per_commit(base)}")
                report(data, name)
        finally:
            bench.stop(server)


if __name__ == "__main__":
    main()
