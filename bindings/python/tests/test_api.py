"""The Python API over entitle-core: statuses, requests, callers, errors and the table as data."""

import json

import pytest

import entitle

T0 = 1_767_225_600_000
DAY = 86_400_000
REQUESTOR = "2f3c7a1e-8a4b-4d53-9f0e-7f5c2b9d1a01"
OTHER = "0c1d2e3f-4a5b-4c6d-8e7f-901234567890"
REQUEST = "6b1e9d0c-3a2f-4e8b-a5c7-0d9f8e7a6b5c"


def requestor() -> entitle.Caller:
    return entitle.Caller("workOrSchoolUser", REQUESTOR, ["EntitlementMgmt-SubjectAccess.ReadWrite"])


def approver() -> entitle.Caller:
    return entitle.Caller(
        "workOrSchoolUser", OTHER, ["EntitlementManagement.ReadWrite.All"], approver_of=[0, 1]
    )


def test_the_issue_example():
    assert entitle.RequestStatus.parse("pendingapprovalescalated").is_cancelable is True


@pytest.mark.parametrize(
    ("text", "name", "cancelable"),
    [
        ("Accepted", "Accepted", True),
        ("PENDINGNOTBEFORE", "PendingNotBefore", True),
        ("cancelled", "Canceled", False),
        ("Fulfilled", "Delivered", False),
        ("deliveryfailed", "DeliveryFailed", False),
    ],
)
def test_statuses_parse_every_spelling(text, name, cancelable):
    status = entitle.RequestStatus.parse(text)
    assert status.name == name == str(status)
    assert status.is_cancelable is cancelable
    assert status == entitle.RequestStatus.parse(name)
    assert hash(status) == hash(entitle.RequestStatus.parse(name))
    assert repr(status) == f"RequestStatus('{name}')"


def test_unknown_statuses_raise_invalid_input_with_the_typed_reason():
    with pytest.raises(entitle.InvalidInput) as raised:
        entitle.RequestStatus.parse("Approved")
    assert raised.value.reason == "unknownStatus"
    assert raised.value.details == {"value": "Approved"}
    assert str(raised.value) == "unknown request status `Approved`"
    assert isinstance(raised.value, ValueError)
    assert entitle.is_cancelable("Approved") is False


def test_statuses_know_their_state_and_whether_they_end():
    names = [status.name for status in entitle.RequestStatus.all()]
    assert names[0] == "Accepted" and len(names) == 12
    canceled = entitle.RequestStatus.parse("Canceled")
    assert canceled.is_terminal and canceled.is_completed and canceled.state == "canceled"
    failed = entitle.RequestStatus.parse("DeliveryFailed")
    assert failed.is_completed and not failed.is_terminal


def test_a_request_moves_through_approval_and_the_cancel_button_follows():
    request = entitle.Request.submit(
        REQUEST, REQUESTOR, T0, approval_stages=2, decision_timeout_ms=7 * DAY, escalate_after_ms=3 * DAY
    )
    assert request.status.name == "Accepted"
    assert request.can_cancel(requestor(), T0)
    step = request.apply("process", entitle.Caller.system(), T0)
    assert (step.from_status.name, step.status.name, step.row) == ("Accepted", "PendingApproval", 1)
    assert step.rule["when"] == "approvalRequired"
    assert step.authority == "system"
    pending = step.request
    assert pending.next_deadline() == {"at": T0 + 3 * DAY, "action": "escalate"}
    approved = pending.apply("approve", approver(), T0 + DAY).request
    assert (approved.status.name, approved.approval_stage) == ("PendingApproval", 1)
    delivering = approved.apply("approve", approver(), T0 + DAY).request
    assert delivering.status.name == "Delivering"
    assert not delivering.can_cancel(requestor(), T0 + DAY)
    assert request.status.name == "Accepted", "apply never changes the request it is called on"


def test_rejections_carry_the_core_reason_and_fields():
    request = entitle.Request.submit(REQUEST, REQUESTOR, T0)
    delivering = request.apply("process", entitle.Caller.system(), T0).request
    with pytest.raises(entitle.Rejected) as raised:
        delivering.apply("cancel", requestor(), T0)
    assert raised.value.reason == "notAllowed"
    assert raised.value.details == {"status": "Delivering", "action": "cancel"}
    assert str(raised.value) == "cannot `cancel` a request whose status is `Delivering`"
    assert isinstance(raised.value, entitle.EntitleError)
    with pytest.raises(entitle.Rejected) as raised:
        request.apply("approve", requestor(), T0)
    assert raised.value.reason == "unauthorized"
    assert raised.value.details == {
        "missingPermission": {"operation": "approve", "permission": "EntitlementManagement.ReadWrite.All"}
    }
    with pytest.raises(entitle.InvalidInput) as raised:
        request.apply("submit", requestor(), T0)
    assert raised.value.reason == "unknownAction"


def test_authorize_answers_whatever_the_status():
    request = entitle.Request.submit(REQUEST, REQUESTOR, T0)
    assert request.authorize("cancel", requestor()) == {"ownRequest": "EntitlementMgmt-SubjectAccess.ReadWrite"}
    stranger = entitle.Caller("workOrSchoolUser", OTHER, ["EntitlementMgmt-SubjectAccess.ReadWrite"])
    with pytest.raises(entitle.Rejected) as raised:
        request.authorize("cancel", stranger)
    assert raised.value.reason == "unauthorized"
    assert request.permitted_actions(requestor(), T0) == ["cancel"]
    assert request.permitted_actions(entitle.Caller.system(), T0) == ["process"]


def test_requests_round_trip_through_the_core_json():
    request = entitle.Request.submit(REQUEST, REQUESTOR, T0, starts_at=T0 + 5 * DAY)
    assert entitle.Request.from_json(request.to_json()) == request
    assert entitle.Request.from_json(request.to_dict()) == request
    assert json.loads(request.to_json())["status"] == "Accepted"
    broken = request.to_dict()
    broken["status"] = "PendingApproval"
    with pytest.raises(entitle.InvalidInput):
        entitle.Request.from_json(broken)


def test_callers_validate_their_names():
    with pytest.raises(entitle.InvalidInput):
        entitle.Caller("robot", REQUESTOR)
    with pytest.raises(entitle.InvalidInput):
        entitle.Caller("workOrSchoolUser", REQUESTOR, ["Mail.Read"])
    with pytest.raises(entitle.InvalidInput):
        entitle.Caller("workOrSchoolUser", "not-a-guid")
    owner = entitle.Caller("workOrSchoolUser", OTHER, ["EntitlementManagement.ReadWrite.All"], roles=["catalogOwner"])
    assert owner.principal == "workOrSchoolUser" and owner.id == OTHER
    assert entitle.Caller.from_dict({"principal": "system", "id": "00000000-0000-0000-0000-000000000000"}) == (
        entitle.Caller.system()
    )


def test_the_table_and_the_matrix_are_plain_data():
    rows = entitle.transitions()
    assert all(set(row) == {"from", "action", "when", "to", "provenance"} for row in rows)
    cancel = [row for row in rows if row["action"] == "cancel"]
    assert {row["from"] for row in cancel} == {
        "Accepted",
        "PendingApproval",
        "PendingApprovalEscalated",
        "PendingNotBefore",
    }
    matrix = entitle.authority_matrix()
    cell = next(
        entry
        for entry in matrix
        if entry["operation"] == "cancel" and entry["actor"] == "requestor-own" and entry["status"] == "Accepted"
    )
    assert cell["cell"] == {"decision": "allowed"}
    assert entitle.ACTIONS[0] == "process" and "cancel" in entitle.ACTIONS
    assert entitle.VERSION == "0.1.0"
