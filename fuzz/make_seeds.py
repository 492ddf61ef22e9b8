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

# The pool of callers, in `entitle_reference::Who::ALL` order.
(SYSTEM, REQUESTOR_SUBJECT_ACCESS, REQUESTOR_READ_ALL, REQUESTOR_READ_WRITE_ALL, TARGET,
 ASSIGNMENT_MANAGER, PACKAGE_MANAGER, CATALOG_OWNER, GOVERNANCE_ADMINISTRATOR, CATALOG_READER,
 GLOBAL_READER, OTHER_WITHOUT_ROLE, OTHER_READ_ONLY, APPROVER, SECOND_STAGE_APPROVER,
 ESCALATION_APPROVER, SELF_APPROVER, REQUESTOR_CATALOG_OWNER, APPLICATION, APPLICATION_READER,
 APPLICATION_WITH_NOTHING, PERSONAL_EVERYTHING) = range(22)

# Request types, in `RequestType::VARIANTS` order.
(NOT_SPECIFIED, USER_ADD, USER_UPDATE, USER_REMOVE, ADMIN_ADD, ADMIN_UPDATE, ADMIN_REMOVE,
 SYSTEM_ADD, SYSTEM_UPDATE, SYSTEM_REMOVE, ON_BEHALF_ADD, APPROVER_REMOVE, USER_EXTEND) = range(13)

# Assignment states, in `AssignmentState::VARIANTS` order; 5 names none.
DELIVERING, PARTIALLY_DELIVERED, DELIVERED, EXPIRED, DELIVERY_FAILED, NO_ASSIGNMENT = range(6)


def pool(member):
    """The caller byte naming pool member `member`."""
    return 128 + member


def submitter(member):
    """The submitter byte naming pool member `member` (bytes below 160 name the usual one)."""
    return 160 + member


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


def act(action, caller=USUAL, advance=0, extra=b""):
    return bytes([0, action, caller, advance]) + extra


def review(stage, approve=True, caller=USUAL, advance=0):
    return bytes([4, stage | (0 if approve else 0x80), caller, advance])


def delete(member):
    return bytes([5, member])


def end_assignment(advance=0):
    return bytes([6, advance])


def ask(operation, member):
    return bytes([7, operation, member])


def header(flags, stages=0, timeout=0, escalation=0, offset=0, unit=0, end=0, kind=USER_ADD,
           by=0, existing=NO_ASSIGNMENT):
    return bytes([flags, stages, timeout, escalation, offset, unit, end, kind, by, existing])


def write(target, name, data):
    folder = os.path.join(SEEDS, target)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, name), "wb") as out:
        out.write(data)


def lifecycle():
    # Approval in 3 stages, 14-day timeout, escalation after 3 days; approved after an escalation,
    # delivered, then the assignment's schedule (30 days) ends it.
    write("lifecycle", "approval-escalated-delivered",
          header(0b0000_0101, stages=2, timeout=13, escalation=2, end=30)
          + act(PROCESS) + act(APPROVE, advance=days(1)) + act(ESCALATE, advance=days(1))
          + act(ESCALATE, advance=days(2)) + review(1, caller=pool(ESCALATION_APPROVER))
          + review(1) + review(2, advance=hours(1)) + act(DELIVER, advance=hours(2))
          + end_assignment(days(10)) + end_assignment(days(20)))
    # A custom extension at creation, a start 5 days ahead, a failed delivery and reprocessing.
    write("lifecycle", "callout-scheduled-reprocess", header(0b0000_1010, offset=5)
          + act(PROCESS) + act(RESUME_CONTINUE) + act(REACH_START, advance=days(1))
          + act(REACH_START, advance=days(4)) + act(FAIL_DELIVERY)
          + act(REPROCESS, advance=days(10)) + act(DELIVER_PARTIALLY)
          + act(REPROCESS, advance=days(5)) + delete(ASSIGNMENT_MANAGER))
    # Unauthorized callers, then a cancel, a second cancel and an action on a terminal request.
    write("lifecycle", "cancel-and-unauthorized", header(0b0000_0001, timeout=13)
          + act(PROCESS) + act(CANCEL, pool(OTHER_WITHOUT_ROLE)) + act(APPROVE, pool(SELF_APPROVER))
          + act(CANCEL, pool(PERSONAL_EVERYTHING)) + act(CANCEL) + act(CANCEL, advance=ms(1))
          + act(DELIVER) + delete(APPLICATION) + delete(OTHER_WITHOUT_ROLE))
    # A one-day timeout: expiry refused until the stage's timeout has passed.
    write("lifecycle", "expiry-boundary", header(0b0000_0001)
          + act(PROCESS) + act(EXPIRE) + act(EXPIRE, advance=day_less_1ms())
          + act(EXPIRE, advance=ms(1)) + act(REPROCESS))
    # Near the end of time with raw spans: every addition saturates.
    flags = 0b1110_1101  # raw spans, time kind 3, start, escalation, approval
    raw = header(flags, stages=1) + struct.pack("<I", 1000)
    raw += struct.pack("<Q", 2**64 - 1) + struct.pack("<Q", 2**63) + struct.pack("<Q", 7)
    raw += struct.pack("<q", 5000)
    write("lifecycle", "end-of-time-raw", raw
          + act(PROCESS) + act(ESCALATE, advance=raw_advance(), extra=struct.pack("<Q", 2**64 - 1))
          + act(APPROVE, pool(SECOND_STAGE_APPROVER)) + act(APPROVE) + act(REACH_START)
          + act(DELIVER))
    # Zero stages: the submission must be refused.
    write("lifecycle", "zero-stages", header(0b0001_0001) + act(PROCESS))
    # An administrator removes a delivered assignment; the removal is deleted afterwards.
    write("lifecycle", "admin-remove", header(0, kind=ADMIN_REMOVE, existing=DELIVERED)
          + act(PROCESS) + act(DELIVER) + end_assignment() + delete(ASSIGNMENT_MANAGER)
          + act(CANCEL))
    # A user extends their assignment under a one-stage approval.
    write("lifecycle", "user-extend-approved",
          header(0b0000_0001, timeout=6, end=60, kind=USER_EXTEND, existing=PARTIALLY_DELIVERED)
          + act(PROCESS) + review(0, caller=pool(SECOND_STAGE_APPROVER)) + review(0)
          + act(DELIVER, advance=hours(3)))
    # A removal of an ended assignment, and a type nobody may submit.
    write("lifecycle", "remove-expired", header(0, kind=USER_REMOVE, existing=EXPIRED))
    write("lifecycle", "on-behalf", header(0, kind=ON_BEHALF_ADD, by=submitter(APPLICATION)))
    # Questions about every kind of operation, by readers of every kind.
    questions = b"".join(ask(op, member) for op, member in
                         [(0, CATALOG_READER), (0, GLOBAL_READER), (0, TARGET), (1, APPLICATION_READER),
                          (2, APPLICATION), (3, APPROVER), (3, OTHER_WITHOUT_ROLE), (5, ASSIGNMENT_MANAGER),
                          (17, ASSIGNMENT_MANAGER), (18, SYSTEM), (22, APPLICATION)])
    write("lifecycle", "questions", header(0b0000_0001, stages=1, kind=ADMIN_ADD) + act(PROCESS)
          + questions)


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
    # Stored requests (serde JSON of the core's `Request`).
    def derived(guid, key):
        kept = (0xF << 76) | (0x3 << 62)
        value = int(guid.replace("-", ""), 16) ^ (key & ~kept & (2**128 - 1))
        text = f"{value:032x}"
        return "-".join([text[:8], text[8:12], text[12:16], text[16:20], text[20:]])

    request_id = "6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b"
    requestor = "0d0e0f10-1112-4314-9516-171819202122"
    not_started = {"startedAt": None, "escalated": False, "outcome": None}
    request = {
        "id": request_id,
        "kind": "userAdd",
        "requestor": requestor,
        "target": requestor,
        "assignment": derived(request_id, 0x5851_F42D_4C95_7F2D_1405_7B7E_F767_814F),
        "rules": {"approval": {"stages": 2, "decisionTimeout": 1209600000, "escalateAfter": None},
                  "calloutOnCreated": False},
        "startsAt": None,
        "endsAt": 1798761600000,
        "status": "PendingApproval",
        "createdAt": 1767225600000,
        "approvalStage": 1,
        "stages": [
            {"startedAt": 1767225600000, "escalated": False,
             "outcome": {"reviewed": {"decision": "approve", "by": "0d0e0f10-1112-4314-9516-171819202123",
                                      "at": 1767312000000}}},
            {"startedAt": 1767312000000, "escalated": False, "outcome": None},
            not_started,
        ],
        "completedAt": None,
        "firstCompletedAt": None,
    }
    seed("request-pending.json", compact(request))
    delivered = dict(request, rules={"approval": None, "calloutOnCreated": True}, status="Fulfilled",
                     completedAt=253402300799999, firstCompletedAt=18446744073709551615,
                     startsAt=18446744073709551615, endsAt=None, approvalStage=0,
                     stages=[not_started] * 3, kind="approverRemove",
                     assignment="00000000-0000-4000-8000-00000000beef")
    seed("request-fulfilled-far.json", compact(delivered))
    canceled = dict(request, status="cancelled", completedAt=1767225600001,
                    firstCompletedAt=1767225600001, approvalStage=0,
                    stages=[{"startedAt": 1767225600000, "escalated": True,
                             "outcome": {"canceled": {"at": 1767225600001}}}, not_started, not_started],
                    kind="AdminAdd")
    seed("request-cancelled.json", compact(canceled))
    inconsistent = dict(request, status="Delivered")
    seed("request-inconsistent.json", compact(inconsistent))
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
    # the program reads past its end anyway) up to two last bytes that make the input's hash mint.
    def mint(name, program):
        padded = b"J" + program + bytes(96 - 3 - len(program))
        for last in range(256 * 256):
            data = padded + last.to_bytes(2, "big")
            if fnv1a(data) % MINT_EVERY == 0:
                seed(name, data)
                return
        raise AssertionError("no last bytes mint")

    known = [0, 4, 8]  # scope bytes picking the three known permission names
    mint("mint-user-all", bytes([0x00]) + bytes(range(16)) + bytes([3] + known)
         + bytes([1, 0, 0x55]) + bytes([1]) + bytes([0, 10, 0, 1]))
    mint("mint-app-near-miss", bytes([0x41]) + bytes(16) + bytes([4, 0, 2, 6, 10])
         + bytes([2, 1, 7, 0, 0, 0, 0, 0, 0, 0, 2]) + bytes([3, 1]) + bytes([3, 0xff, 0x01, 0x20]))
    mint("mint-personal-truncate", bytes([0x86, 0xaa]) + bytes([0x11] * 16)
         + bytes([1, 2]) + bytes([0]) + bytes([2, 9, 0, 0, 0]) + bytes([1, 0x80, 0, 0]))
    mint("mint-expired", bytes([0x20]) + bytes(16) + bytes([0, 0, 1]))
    mint("mint-not-yet-valid", bytes([0x31]) + bytes(16) + bytes([1, 4, 0, 0]))


MINT_EVERY = 1024  # as in fuzz_targets/jwt.rs


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
