// The JavaScript API over entitle-core: statuses, requests, callers, errors and the table as data.
import assert from "node:assert/strict";
import { test } from "node:test";

import * as entitle from "../index.js";

const T0 = 1_767_225_600_000;
const DAY = 86_400_000;
const REQUESTOR = "2f3c7a1e-8a4b-4d53-9f0e-7f5c2b9d1a01";
const OTHER = "0c1d2e3f-4a5b-4c6d-8e7f-901234567890";
const REQUEST = "6b1e9d0c-3a2f-4e8b-a5c7-0d9f8e7a6b5c";

const requestor = () =>
  new entitle.Caller("workOrSchoolUser", REQUESTOR, { permissions: ["EntitlementMgmt-SubjectAccess.ReadWrite"] });
const approver = () =>
  new entitle.Caller("workOrSchoolUser", OTHER, {
    permissions: ["EntitlementManagement.ReadWrite.All"],
    approverOf: [0, 1],
  });

test("the issue example", () => {
  assert.equal(entitle.RequestStatus.parse("pendingapprovalescalated").isCancelable, true);
});

test("statuses parse every spelling", () => {
  for (const [text, name, cancelable] of [
    ["Accepted", "Accepted", true],
    ["PENDINGNOTBEFORE", "PendingNotBefore", true],
    ["cancelled", "Canceled", false],
    ["Fulfilled", "Delivered", false],
  ]) {
    const status = entitle.RequestStatus.parse(text);
    assert.equal(status.name, name);
    assert.equal(String(status), name);
    assert.equal(status.isCancelable, cancelable);
    assert.ok(status.equals(entitle.RequestStatus.parse(name)));
  }
  const all = entitle.RequestStatus.all().map((status) => status.name);
  assert.equal(all.length, 12);
  const canceled = entitle.RequestStatus.parse("Canceled");
  assert.ok(canceled.isTerminal && canceled.isCompleted);
  assert.equal(canceled.state, "canceled");
});

test("unknown statuses throw InvalidInput with the typed reason", () => {
  assert.throws(
    () => entitle.RequestStatus.parse("Approved"),
    (error) =>
      error instanceof entitle.InvalidInput &&
      error.reason === "unknownStatus" &&
      error.details.value === "Approved" &&
      error.message === "unknown request status `Approved`",
  );
  assert.equal(entitle.isCancelable("Approved"), false);
});

test("a request moves through approval and the cancel button follows", () => {
  const request = entitle.Request.submit(REQUEST, REQUESTOR, T0, {
    approvalStages: 2,
    decisionTimeoutMs: 7 * DAY,
    escalateAfterMs: 3 * DAY,
  });
  assert.equal(request.status.name, "Accepted");
  assert.ok(request.canCancel(requestor(), T0));
  const step = request.apply("process", entitle.Caller.system(), T0);
  assert.deepEqual([step.fromStatus.name, step.status.name, step.row], ["Accepted", "PendingApproval", 1]);
  assert.equal(step.rule.when, "approvalRequired");
  assert.equal(step.authority, "system");
  const pending = step.request;
  assert.deepEqual(pending.nextDeadline(), { at: T0 + 3 * DAY, action: "escalate" });
  const approved = pending.apply("approve", approver(), T0 + DAY).request;
  assert.deepEqual([approved.status.name, approved.approvalStage], ["PendingApproval", 1]);
  const delivering = approved.apply("approve", approver(), T0 + DAY).request;
  assert.equal(delivering.status.name, "Delivering");
  assert.equal(delivering.canCancel(requestor(), T0 + DAY), false);
  assert.equal(request.status.name, "Accepted", "apply never changes the request it is called on");
});

test("rejections carry the core reason and fields", () => {
  const request = entitle.Request.submit(REQUEST, REQUESTOR, T0);
  const delivering = request.apply("process", entitle.Caller.system(), T0).request;
  assert.throws(
    () => delivering.apply("cancel", requestor(), T0),
    (error) => {
      assert.ok(error instanceof entitle.Rejected);
      assert.equal(error.reason, "notAllowed");
      assert.deepEqual(error.details, { status: "Delivering", action: "cancel" });
      assert.equal(error.message, "cannot `cancel` a request whose status is `Delivering`");
      return true;
    },
  );
  assert.throws(
    () => request.apply("approve", requestor(), T0),
    (error) =>
      error.reason === "unauthorized" &&
      error.details.missingPermission.permission === "EntitlementManagement.ReadWrite.All",
  );
  assert.throws(() => request.apply("submit", requestor(), T0), (error) => error.reason === "unknownAction");
  assert.throws(() => request.apply("cancel", requestor(), -1), entitle.InvalidInput);
});

test("authorize answers whatever the status", () => {
  const request = entitle.Request.submit(REQUEST, REQUESTOR, T0);
  assert.deepEqual(request.authorize("cancel", requestor()), { ownRequest: "EntitlementMgmt-SubjectAccess.ReadWrite" });
  const stranger = new entitle.Caller("workOrSchoolUser", OTHER, { permissions: ["EntitlementMgmt-SubjectAccess.ReadWrite"] });
  assert.throws(() => request.authorize("cancel", stranger), (error) => error.reason === "unauthorized");
  assert.deepEqual(request.permittedActions(requestor(), T0), ["cancel"]);
  assert.deepEqual(request.permittedActions(entitle.Caller.system(), T0), ["process"]);
});

test("requests round-trip through the core JSON", () => {
  const request = entitle.Request.submit(REQUEST, REQUESTOR, T0, { startsAt: T0 + 5 * DAY });
  assert.ok(entitle.Request.fromJSON(JSON.stringify(request)).equals(request));
  assert.ok(entitle.Request.fromJSON(request.toJSON()).equals(request));
  const broken = { ...request.toJSON(), status: "PendingApproval" };
  assert.throws(() => entitle.Request.fromJSON(broken), entitle.InvalidInput);
});

test("callers validate their names", () => {
  assert.throws(() => new entitle.Caller("robot", REQUESTOR), entitle.InvalidInput);
  assert.throws(() => new entitle.Caller("workOrSchoolUser", REQUESTOR, { permissions: ["Mail.Read"] }), entitle.InvalidInput);
  assert.throws(() => new entitle.Caller("workOrSchoolUser", "not-a-guid"), entitle.InvalidInput);
  const owner = new entitle.Caller("workOrSchoolUser", OTHER, { roles: ["catalogOwner"] });
  assert.equal(owner.principal, "workOrSchoolUser");
  assert.equal(owner.id, OTHER);
});

test("the table and the matrix are plain data", () => {
  const rows = entitle.transitions();
  const cancel = rows.filter((row) => row.action === "cancel").map((row) => row.from);
  assert.deepEqual(new Set(cancel), new Set(["Accepted", "PendingApproval", "PendingApprovalEscalated", "PendingNotBefore"]));
  const cell = entitle
    .authorityMatrix()
    .find((entry) => entry.operation === "cancel" && entry.actor === "requestor-own" && entry.status === "Accepted");
  assert.deepEqual(cell.cell, { decision: "allowed" });
  assert.equal(entitle.actions()[0], "process");
  assert.equal(entitle.version(), "0.1.0");
});
