#!/usr/bin/env python3
"""Writes the committed seed corpus under fuzz/seeds/ (run from anywhere; needs the built `entitle` CLI
for the table_json seeds: `cargo build -p entitle-cli` first, or pass its path as the first argument).

The lifecycle seeds follow the input format documented at the top of fuzz_targets/lifecycle.rs."""

import hashlib
import json
import os
import struct
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SEEDS = os.path.join(HERE, "seeds")

# Action indices, in ActionKind's lifecycle order.
(PROCESS, RESUME_CONTINUE, RESUME_DENY, RESUME_CANCEL, APPROVE, DENY, ESCALATE, EXPIRE, REACH_START,
 DELIVER, DELIVER_PARTIALLY, FAIL_DELIVERY, REPROCESS, CANCEL) = range(14)
USUAL = 0  # caller byte < 128: the usual caller of the action


def pool(member):
    """The caller byte naming pool member `member` (0..=15)."""
    return 128 + member


OTHER_WITHOUT_ROLE, SELF_APPROVER, PERSONAL, CUSTOM = 8, 11, 14, 15


def zero():
    return 0


def ms(n):
    return 1 if n == 1 else 0


def hours(m):
    return (m << 3) | 2


def days(m):
    return (m << 3) | 3


def day_less_1ms():
    return 4


def raw_advance():
    return 7


def step(action, caller=USUAL, advance=0, extra=b""):
    return bytes([action, caller, advance]) + extra


def write(target, name, data):
    folder = os.path.join(SEEDS, target)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, name), "wb") as out:
        out.write(data)


def lifecycle():
    # Approval in 3 stages, 14-day timeout, escalation after 3 days; approved after an escalation.
    write("lifecycle", "approval-escalated-delivered", bytes([0b0000_0101, 2, 13, 2, 0, 0])
          + step(PROCESS) + step(APPROVE, advance=days(1)) + step(ESCALATE, advance=days(1))
          + step(ESCALATE, advance=days(2)) + step(APPROVE, advance=hours(1))
          + step(APPROVE, advance=hours(1)) + step(DELIVER, advance=hours(2)))
    # A custom extension at creation, a start 5 days ahead, a failed delivery and reprocessing.
    write("lifecycle", "callout-scheduled-reprocess", bytes([0b0000_1010, 0, 0, 0, 5, 0])
          + step(PROCESS) + step(RESUME_CONTINUE) + step(REACH_START, advance=days(1))
          + step(REACH_START, advance=days(4)) + step(FAIL_DELIVERY)
          + step(REPROCESS, advance=days(10)) + step(DELIVER_PARTIALLY)
          + step(REPROCESS, advance=days(5)))
    # Unauthorized callers, then a cancel, a second cancel and an action on a terminal request.
    write("lifecycle", "cancel-and-unauthorized", bytes([0b0000_0001, 0, 13, 0, 0, 0])
          + step(PROCESS) + step(CANCEL, pool(OTHER_WITHOUT_ROLE)) + step(APPROVE, pool(SELF_APPROVER))
          + step(CANCEL, pool(PERSONAL)) + step(CANCEL) + step(CANCEL, advance=ms(1))
          + step(DELIVER))
    # A one-day timeout: expiry refused until the stage's timeout has passed.
    write("lifecycle", "expiry-boundary", bytes([0b0000_0001, 0, 0, 0, 0, 0])
          + step(PROCESS) + step(EXPIRE) + step(EXPIRE, advance=day_less_1ms())
          + step(EXPIRE, advance=ms(1)) + step(REPROCESS))
    # Near the end of time with raw spans: every addition saturates. Custom callers.
    flags = 0b1110_1101  # raw spans, time kind 3, start, escalation, approval
    header = bytes([flags, 1, 0, 0, 0, 0]) + struct.pack("<I", 1000)
    header += struct.pack("<Q", 2**64 - 1) + struct.pack("<Q", 2**63) + struct.pack("<q", 5000)
    write("lifecycle", "end-of-time-raw", header
          + step(PROCESS) + step(ESCALATE, advance=raw_advance(), extra=struct.pack("<Q", 2**64 - 1))
          + step(APPROVE, pool(CUSTOM), extra=bytes([0b0000_0100, 0b0000_1100]))
          + step(APPROVE) + step(REACH_START) + step(DELIVER))
    # Zero stages: the submission must be refused.
    write("lifecycle", "zero-stages", bytes([0b0001_0001, 0, 0, 0, 0, 0]) + step(PROCESS))


def status_parse():
    for name, text in [
        ("escalated", "PendingApprovalEscalated"),
        ("cancelled-alias", "cancelled"),
        ("fulfilled-beta", "Fulfilled"),
        ("state-unknown-future", "unknownFutureValue"),
        ("action", "resumeCancel"),
        ("guid", "45D8D3C5-c802-45c6-b32a-1d70b5e1e86e"),
        ("near-miss", "Accepted\u00e9"),
    ]:
        write("status_parse", name, text.encode())


def compact(value):
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode() + b"\n"


def table_json(cli):
    builtin = json.loads(subprocess.check_output([cli, "table", "--format", "json"]))
    # The full export with its header: the hash is over the table, so compact JSON still matches.
    write("table_json", "builtin-export.json", compact(builtin))
    table = builtin["table"]
    bare = dict(table, authority=[])
    write("table_json", "builtin-no-authority.json", compact({"table": bare}))
    tiny = {
        "statuses": [s for s in table["statuses"] if s["status"] in ("Accepted", "Canceled")],
        "transitions": [t for t in table["transitions"]
                        if t["from"] == "Accepted" and t["action"] == "cancel"],
        "authority": [a for a in table["authority"]
                      if a["actor"] == "requestorOwn" and a["action"] == "cancel"],
    }
    write("table_json", "tiny.json", compact({"table": tiny}))
    # A header whose strings try to break out of every comment syntax; the hash is the table's.
    canonical = json.dumps(tiny, separators=(",", ":"), ensure_ascii=False).encode()
    injected = dict(builtin["entitle"], version="1.0\n# injected --> <!-- %%", commit="a\r\nb--",
                    sha256=hashlib.sha256(canonical).hexdigest())
    write("table_json", "tiny-header-injection.json", compact({"entitle": injected, "table": tiny}))
    mismatch = dict(builtin["entitle"], sha256="0" * 64)
    write("table_json", "hash-mismatch.json", compact({"entitle": mismatch, "table": tiny}))
    # Edit programs over the built-in table (first byte not a JSON start; then 3 bytes per edit).
    write("table_json", "edit-remove-cancel-row", bytes([0x01, 0, 4, 0]))
    write("table_json", "edit-header-terminal-exit", bytes([0x01, 20, 0, 7, 11, 6, 0, 3, 20, 6]))
    write("table_json", "edit-authority-by-status",
          bytes([0x01, 15, 0, 6, 17, 1, 0, 8, 11, 0, 19, 5, 1]))
    fixtures = os.path.join(HERE, "..", "crates", "audit", "tests", "fixtures", "broken")
    for name in ("cancel-from-delivered", "repeated-row", "dead-end"):
        with open(os.path.join(fixtures, name + ".json")) as fixture:
            broken = json.load(fixture)["table"]
        broken["authority"] = broken["authority"][:9]
        write("table_json", name + ".json", compact({"table": broken}))


def main():
    cli = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "..", "target", "debug", "entitle")
    lifecycle()
    status_parse()
    table_json(cli)


if __name__ == "__main__":
    main()
