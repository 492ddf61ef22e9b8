// Every conformance vector, replayed through the package: it must agree with the file case by case.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";

import * as entitle from "../index.js";

const path = process.env.ENTITLE_VECTORS ?? new URL("../../../docs/vectors.json", import.meta.url);
const vectors = JSON.parse(readFileSync(path, "utf8"));

test("every parse case agrees", () => {
  assert.equal(vectors.parse.length, vectors.counts.parse);
  for (const { input, cancelable, expect } of vectors.parse) {
    assert.equal(entitle.isCancelable(input), cancelable, input);
    if (expect.status !== undefined) {
      const status = entitle.RequestStatus.parse(input);
      assert.equal(status.name, expect.status, input);
      assert.equal(status.isCancelable, cancelable, input);
    } else {
      assert.throws(
        () => entitle.RequestStatus.parse(input),
        (error) => {
          assert.ok(error instanceof entitle.InvalidInput);
          assert.deepEqual({ [error.reason]: error.details }, expect.error, input);
          return true;
        },
      );
    }
  }
});

test("every apply case agrees", () => {
  const requests = new Map(vectors.requests.map((entry) => [entry.label, entitle.Request.fromJSON(entry.request)]));
  const callers = new Map(Object.entries(vectors.callers).map(([label, fields]) => [label, entitle.Caller.fromObject(fields)]));
  assert.equal(vectors.apply.length, vectors.counts.apply);
  let moved = 0;
  let rejected = 0;
  vectors.apply.forEach((kase, index) => {
    const request = requests.get(kase.request);
    const caller = callers.get(kase.caller);
    let step;
    try {
      step = request.apply(kase.action, caller, kase.now);
    } catch (error) {
      assert.ok(error instanceof entitle.Rejected, `case ${index}: ${error}`);
      assert.ok(kase.expect.rejected, `case ${index}: rejected ${error.message}, expected ${JSON.stringify(kase.expect)}`);
      assert.deepEqual({ [error.reason]: error.details }, kase.expect.rejected, `case ${index}`);
      rejected += 1;
    }
    if (step !== undefined) {
      const want = kase.expect.moved;
      assert.ok(want, `case ${index}: moved to ${step.status.name}, expected ${JSON.stringify(kase.expect)}`);
      assert.equal(step.status.name, want.status, `case ${index}`);
      assert.equal(step.request.approvalStage, want.approvalStage, `case ${index}`);
      assert.equal(step.row, want.row, `case ${index}`);
      assert.deepEqual(step.authority, want.authority, `case ${index}`);
      moved += 1;
      step.free();
    }
    if (kase.action === "cancel") {
      assert.equal(request.canCancel(caller, kase.now), kase.expect.moved !== undefined, `case ${index}`);
    }
  });
  assert.ok(moved > 0 && rejected > 0);
  assert.equal(moved + rejected, vectors.counts.apply);
});

test("the table is the one the vectors were decided with", () => {
  assert.deepEqual(entitle.transitions(), vectors.transitions);
});
