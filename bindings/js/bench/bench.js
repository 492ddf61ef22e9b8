// Calls per second of canCancel and apply through the package, beside a straightforward object-lookup
// implementation in JavaScript of the same two decisions (the baseline a service would write by hand).
// Prints a Markdown table; `--quick` runs fewer calls.
import * as entitle from "../index.js";

const T0 = 1_767_225_600_000;
const REQUESTOR = "2f3c7a1e-8a4b-4d53-9f0e-7f5c2b9d1a01";
const REQUEST = "6b1e9d0c-3a2f-4e8b-a5c7-0d9f8e7a6b5c";
const OWN = "EntitlementMgmt-SubjectAccess.ReadWrite";

// The hand-written baseline: the cancelable statuses, and the first row of each (status, action) group,
// ignoring conditions and approval stages.
const CANCELABLE = new Set(["Accepted", "PendingApproval", "PendingNotBefore", "PendingApprovalEscalated"]);
const TABLE = {};
for (const row of entitle.transitions()) {
  TABLE[`${row.from}/${row.action}`] ??= row.to;
}

function nativeCanCancel(request, caller) {
  return (
    CANCELABLE.has(request.status) &&
    caller.principal === "workOrSchoolUser" &&
    caller.id === request.requestor &&
    caller.permissions.includes(OWN)
  );
}

function nativeApply(request, action) {
  const to = TABLE[`${request.status}/${action}`];
  if (to === undefined) throw new Error(`cannot ${action} from ${request.status}`);
  return { ...request, status: to };
}

function rate(run, calls, rounds = 5) {
  let best = Infinity;
  for (let round = 0; round < rounds; round += 1) {
    const start = process.hrtime.bigint();
    run(calls);
    best = Math.min(best, Number(process.hrtime.bigint() - start) / 1e9);
  }
  return calls / best;
}

const calls = process.argv.includes("--quick") ? 50_000 : 1_000_000;
const me = new entitle.Caller("workOrSchoolUser", REQUESTOR, { permissions: [OWN] });
const request = entitle.Request.submit(REQUEST, REQUESTOR, T0);
const nativeRequest = { status: "Accepted", requestor: REQUESTOR };
const nativeCaller = { principal: "workOrSchoolUser", id: REQUESTOR, permissions: [OWN] };
if (!request.canCancel(me, T0) || !nativeCanCancel(nativeRequest, nativeCaller)) throw new Error("setup");

let sink = 0;
const runs = [
  [
    "canCancel",
    (n) => {
      for (let i = 0; i < n; i += 1) sink += request.canCancel(me, T0) ? 1 : 0;
    },
    (n) => {
      for (let i = 0; i < n; i += 1) sink += nativeCanCancel(nativeRequest, nativeCaller) ? 1 : 0;
    },
  ],
  [
    "apply (cancel)",
    (n) => {
      for (let i = 0; i < n; i += 1) {
        const step = request.apply("cancel", me, T0);
        sink += step.row;
        step.free();
      }
    },
    (n) => {
      for (let i = 0; i < n; i += 1) sink += nativeApply(nativeRequest, "cancel").status.length;
    },
  ],
];

console.log(`Node ${process.version}, entitle-core ${entitle.version()}, ${calls.toLocaleString("en")} calls, best of 5`);
console.log();
console.log("| Call | entitle (calls/s) | object lookup (calls/s) | entitle / object |");
console.log("|---|---:|---:|---:|");
for (const [name, core, native] of runs) {
  const ours = rate(core, calls);
  const theirs = rate(native, calls);
  const format = (value) => Math.round(value).toLocaleString("en");
  console.log(`| \`${name}\` | ${format(ours)} | ${format(theirs)} | ${(ours / theirs).toFixed(2)} |`);
}
if (sink < 0) console.log(sink);
