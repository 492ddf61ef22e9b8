#!/usr/bin/env python3
"""Writes the committed seed corpus under fuzz/seeds/ (run from anywhere; needs the built `entitle` CLI
for the table_json and jwt seeds: `cargo build -p entitle-cli` first, or pass its path as the first
argument).

The lifecycle, cancel_body, graph_wire and jwt seeds follow the input formats documented at the top of
their targets in fuzz_targets/. The jwt seeds hold demo tokens minted when this script runs, valid for
100 years: rerunning it rewrites them (with a new `iat`)."""

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


# cancel_body: the path id of selector 0 (PATH_ID in fuzz_targets/cancel_body.rs).
PATH_ID = "1f3a5c7e-9b2d-4e6f-8a01-0000cafef00d"
PATH_ID_SELECTOR, OTHER_ID_SELECTOR, ID_IN_BODY_SELECTOR, HASHED_ID_SELECTOR = range(4)


def cancel_body():
    def body(name, text, selector=PATH_ID_SELECTOR):
        data = text if isinstance(text, bytes) else text.encode()
        write("cancel_body", name, bytes([selector]) + data)

    body("empty", b"")
    body("whitespace", b" \r\n\t\x0c")
    body("empty-object", "{}")
    body("documented", f'{{"id":"{PATH_ID}","requestStatus":"cancelled"}}')
    body("shouting-extra", f'{{"id":"{PATH_ID.upper()}","requestStatus":"CANCELED","extra":[1,{{}}]}}')
    body("nulls", '{"id":null,"requestStatus":null}')
    body("status-only", ' {"requestStatus":"Canceled"} \n')
    body("other-id", '{"id":"00000000-0000-0000-0000-000000000def","requestStatus":"cancelled"}')
    body("not-a-guid", '{"id":"request-id"}')
    body("wrong-status", f'{{"id":"{PATH_ID}","requestStatus":"Delivered"}}')
    body("both-wrong", '{"requestStatus":"Denied","id":"x"}')
    body("id-number", '{"id":5}')
    body("array", f'["{PATH_ID}","cancelled"]')
    body("array-nulls", "[null,null]")
    body("duplicate-id", f'{{"id":"{PATH_ID}","\\u0069d":"{PATH_ID}"}}')
    body("deep-unknown", '{"x":' + "[" * 200 + "]" * 200 + "}")
    body("invalid-utf8-unknown", b'{"x":"\xff","id":"' + PATH_ID.encode() + b'"}')
    body("scalar", '"cancelled"')
    body("trailing", "{} {}")
    body("id-in-body", '{"id":"ABCDEF01-2345-6789-abcd-ef0123456789"}', ID_IN_BODY_SELECTOR)
    body("other-path", f'{{"id":"{PATH_ID}"}}', OTHER_ID_SELECTOR)
    body("hashed-path", f'{{"id":"{PATH_ID}","requestStatus":"cancelled"}}', HASHED_ID_SELECTOR)


def graph_wire():
    def seed(name, data):
        write("graph_wire", name, data if isinstance(data, bytes) else data.encode())

    # Text: date-times, requestType names, Prefer values (one per line), envelope strings (NUL-separated).
    seed("datetime-graph", "2026-01-31T09:30:00Z")
    seed("datetime-fraction-offset", "2026-01-01T01:00:00.1234567+01:00")
    seed("datetime-past-9999", "9999-12-31T23:59:59.999-00:01")
    seed("datetime-before-1970", "1970-01-01T00:00:00+00:01")
    seed("datetime-leap-lowercase", "2000-02-29t00:00:00z")
    seed("type-past-sentinel", "approverRemove")
    seed("type-sentinel", "unknownFutureValue")
    seed("prefer", "return=minimal, Include-Unknown-Enum-Members\nodata.maxpagesize=5")
    seed("prefer-near-miss", " include-unknown-enum-members-please ,\tinclude-unknown-enum-member")
    seed("envelope", "requestNotCancelable\0cannot `cancel` \"now\"\0r-1\0c-1")
    # Stored records (serde JSON of AssignmentRequest).
    request = {
        "id": "6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b",
        "requestor": "0d0e0f10-1112-4314-9516-171819202122",
        "policy": {"approval": {"stages": 2, "decisionTimeout": 1209600000, "escalateAfter": None},
                   "calloutOnCreated": False},
        "startsAt": None,
        "status": "PendingApproval",
        "createdAt": 1767225600000,
        "approvalStage": 1,
        "stageStartedAt": 1767312000000,
        "completedAt": None,
        "firstCompletedAt": None,
    }
    record = {
        "request": request,
        "requestType": "userAdd",
        "accessPackageId": "ap-1",
        "assignmentPolicyId": "pol-1",
        "targetId": "0d0e0f10-1112-4314-9516-171819202122",
        "justification": "need \"access\"\n",
        "expiresAt": 1798761600000,
    }
    seed("record-pending.json", compact(record))
    delivered = dict(request, policy={"approval": None, "calloutOnCreated": True}, status="Fulfilled",
                     completedAt=253402300799999, firstCompletedAt=18446744073709551615,
                     startsAt=18446744073709551615)
    seed("record-fulfilled-far.json", compact(dict(record, request=delivered,
                                                   requestType="approverRemove",
                                                   justification=None, expiresAt=None)))
    canceled = dict(request, status="cancelled", completedAt=1767225600001,
                    firstCompletedAt=1767225600001)
    seed("record-cancelled.json", compact(dict(record, request=canceled, requestType="adminAdd")))
    inconsistent = dict(request, status="Delivered")
    seed("record-inconsistent.json", compact(dict(record, request=inconsistent)))
    # Programs (first byte not JSON): a date-time, an instant, a requestType name, the envelope's
    # date, then a built record with the repair flag (0x80) set.
    seed("program-repaired", bytes([6, 0x39, 0x05, 2, 29, 0x4a, 23, 59, 59, 3, 9, 9, 9,
                                    3, 0xff, 0xff, 23, 0xaa, 5,
                                    0x87, 0x3f, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 6, 1]
                                   + [0x5a] * 40))
    seed("program-raw", bytes([7, 0x10, 0x27, 13, 0, 0xff] + [0xff] * 60))


def jwt(cli):
    def seed(name, data):
        write("jwt", name, data if isinstance(data, bytes) else data.encode())

    def token(*args):
        return subprocess.check_output([cli, "token", "--lifetime", str(100 * 365 * 86400)]
                                       + list(args)).decode().strip()

    oid = "0d0e0f10-1112-4314-9516-171819202122"
    iga = "45d8d3c5-c802-45c6-b32a-1d70b5e1e86e"
    user = token("--oid", oid, "--wids", iga.upper() + ",b79fbf4d-3ef9-4689-8143-76b194e85509",
                 "--scp", "User.Read EntitlementManagement.Read.All "
                 "EntitlementMgmt-SubjectAccess.ReadWrite")
    app = token("--oid", oid, "--app", "--scp", "EntitlementManagement.ReadWrite.All,Unknown.Permission")
    personal = token("--oid", oid, "--tenant", "9188040d-6c67-4c5b-b112-36a304b66dad")
    seed("user-token", "Bearer " + user)
    seed("app-token-tabs", " bearer\t" + app + " \t")
    seed("personal-token", "BEARER " + personal)
    seed("bare-token", user)
    seed("basic", "Basic dXNlcjpwYXNz")
    seed("not-a-jwt", "Bearer a.b.c")
    header, payload, signature = user.split(".")
    seed("alg-none", "Bearer eyJhbGciOiJub25lIiwia2lkIjoiZW50aXRsZS1kZW1vIn0." + payload + ".")
    seed("hs256-demo-kid", "Bearer eyJhbGciOiJIUzI1NiIsImtpZCI6ImVudGl0bGUtZGVtbyJ9." + payload + "."
         + signature)
    seed("swapped-payload", "Bearer " + ".".join([header, app.split(".")[1], signature]))
    # Mint programs: 'J', flags, oid (16 bytes), scopes, wids, lifetime, tampering; then zeros (what
    # the program reads past its end anyway) up to a last byte that makes the input's hash mint.
    def mint(name, program):
        padded = b"J" + program + bytes(96 - 2 - len(program))
        for last in range(256):
            data = padded + bytes([last])
            if fnv1a(data) % MINT_EVERY == 0:
                seed(name, data)
                return
        raise AssertionError("no last byte mints")

    known = [0, 4, 8]  # scope bytes picking the three known permission names
    mint("mint-user-all", bytes([0x00]) + bytes(range(16)) + bytes([3] + known)
         + bytes([1, 0, 0x55]) + bytes([1]) + bytes([0, 10, 0, 1]))
    mint("mint-app-near-miss", bytes([0x41]) + bytes(16) + bytes([4, 0, 2, 6, 10])
         + bytes([2, 1, 7, 0, 0, 0, 0, 0, 0, 0, 2]) + bytes([3, 1]) + bytes([3, 0xff, 0x01, 0x20]))
    mint("mint-personal-truncate", bytes([0x86, 0xaa]) + bytes([0x11] * 16)
         + bytes([1, 2]) + bytes([0]) + bytes([2, 9, 0, 0, 0]) + bytes([1, 0x80, 0, 0]))
    mint("mint-expired", bytes([0x20]) + bytes(16) + bytes([0, 0, 1]))
    mint("mint-not-yet-valid", bytes([0x31]) + bytes(16) + bytes([1, 4, 0, 0]))


MINT_EVERY = 8  # as in fuzz_targets/jwt.rs


def fnv1a(data):
    """The 32-bit FNV-1a hash, as fuzz_targets/jwt.rs computes it."""
    value = 0x811C9DC5
    for byte in data:
        value = ((value ^ byte) * 0x01000193) & 0xFFFFFFFF
    return value


def main():
    cli = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "..", "target", "debug", "entitle")
    lifecycle()
    status_parse()
    table_json(cli)
    cancel_body()
    graph_wire()
    jwt(cli)


if __name__ == "__main__":
    main()
