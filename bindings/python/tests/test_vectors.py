"""Every conformance vector, replayed through the binding: it must agree with the file case by case."""

import entitle


def test_every_parse_case_agrees(vectors):
    cases = vectors["parse"]
    assert len(cases) == vectors["counts"]["parse"]
    for case in cases:
        text = case["input"]
        assert entitle.is_cancelable(text) is case["cancelable"], text
        expect = case["expect"]
        if "status" in expect:
            status = entitle.RequestStatus.parse(text)
            assert status.name == expect["status"], text
            assert status.is_cancelable is case["cancelable"], text
        else:
            try:
                entitle.RequestStatus.parse(text)
            except entitle.InvalidInput as error:
                assert {error.reason: error.details} == expect["error"], text
            else:
                raise AssertionError(f"{text!r} parsed, expected {expect['error']}")


def test_every_apply_case_agrees(vectors):
    requests = {
        entry["label"]: entitle.Request.from_json(entry["request"])
        for entry in vectors["requests"]
    }
    callers = {label: entitle.Caller.from_dict(fields) for label, fields in vectors["callers"].items()}
    cases = vectors["apply"]
    assert len(cases) == vectors["counts"]["apply"]
    moved = rejected = 0
    for index, case in enumerate(cases):
        request = requests[case["request"]]
        caller = callers[case["caller"]]
        expect = case["expect"]
        try:
            step = request.apply(case["action"], caller, case["now"])
        except entitle.Rejected as error:
            assert "rejected" in expect, f"case {index}: rejected {error}, expected {expect}"
            assert {error.reason: error.details} == expect["rejected"], f"case {index}"
            rejected += 1
        else:
            assert "moved" in expect, f"case {index}: moved to {step.status}, expected {expect}"
            want = expect["moved"]
            assert step.status.name == want["status"], f"case {index}"
            assert step.request.approval_stage == want["approvalStage"], f"case {index}"
            assert step.row == want["row"], f"case {index}"
            assert step.authority == want["authority"], f"case {index}"
            moved += 1
        if case["action"] == "cancel":
            assert request.can_cancel(caller, case["now"]) is ("moved" in expect), f"case {index}"
    assert moved and rejected
    assert moved + rejected == vectors["counts"]["apply"]


def test_the_table_is_the_one_the_vectors_were_decided_with(vectors):
    assert entitle.transitions() == vectors["transitions"]
