"""Calls per second of `can_cancel` and `apply` through the binding, beside a straightforward
dict-lookup implementation in Python of the same two decisions (the baseline a service would write
by hand). Prints a Markdown table; `--quick` runs fewer calls."""

import sys
import time

import entitle

T0 = 1_767_225_600_000
REQUESTOR = "2f3c7a1e-8a4b-4d53-9f0e-7f5c2b9d1a01"
REQUEST = "6b1e9d0c-3a2f-4e8b-a5c7-0d9f8e7a6b5c"
OWN = "EntitlementMgmt-SubjectAccess.ReadWrite"

# The hand-written baseline: the cancelable statuses, and the first row of each (status, action) group,
# ignoring conditions and approval stages.
CANCELABLE = {"Accepted", "PendingApproval", "PendingNotBefore", "PendingApprovalEscalated"}
TABLE = {}
for row in entitle.transitions():
    TABLE.setdefault((row["from"], row["action"]), row["to"])


def native_can_cancel(request, caller, now):
    return (
        request["status"] in CANCELABLE
        and caller["principal"] == "workOrSchoolUser"
        and caller["id"] == request["requestor"]
        and OWN in caller["permissions"]
    )


def native_apply(request, action, caller, now):
    to = TABLE.get((request["status"], action))
    if to is None:
        raise ValueError(f"cannot {action} from {request['status']}")
    return {**request, "status": to}


def rate(function, calls, rounds=5):
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        function(calls)
        best = min(best, time.perf_counter() - start)
    return calls / best


def main():
    calls = 20_000 if "--quick" in sys.argv else 300_000
    me = entitle.Caller("workOrSchoolUser", REQUESTOR, [OWN])
    request = entitle.Request.submit(REQUEST, REQUESTOR, T0)
    native_request = {"status": "Accepted", "requestor": REQUESTOR}
    native_caller = {"principal": "workOrSchoolUser", "id": REQUESTOR, "permissions": {OWN}}
    assert request.can_cancel(me, T0) and native_can_cancel(native_request, native_caller, T0)
    assert request.apply("cancel", me, T0).status.name == native_apply(native_request, "cancel", me, T0)["status"]

    def core_can_cancel(n):
        for _ in range(n):
            request.can_cancel(me, T0)

    def core_apply(n):
        for _ in range(n):
            request.apply("cancel", me, T0)

    def dict_can_cancel(n):
        for _ in range(n):
            native_can_cancel(native_request, native_caller, T0)

    def dict_apply(n):
        for _ in range(n):
            native_apply(native_request, "cancel", native_caller, T0)

    print(f"Python {sys.version.split()[0]}, entitle {entitle.VERSION}, {calls:,} calls, best of 5")
    print()
    print("| Call | entitle (calls/s) | dict lookup (calls/s) | entitle / dict |")
    print("|---|---:|---:|---:|")
    for name, core, native in [
        ("can_cancel", core_can_cancel, dict_can_cancel),
        ("apply (cancel)", core_apply, dict_apply),
    ]:
        ours, theirs = rate(core, calls), rate(native, calls)
        print(f"| `{name}` | {ours:,.0f} | {theirs:,.0f} | {ours / theirs:.2f} |")


if __name__ == "__main__":
    main()
