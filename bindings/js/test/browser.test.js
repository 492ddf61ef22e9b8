// The browser entry point: it fetches the .wasm next to it, as a browser would (fetch is stubbed to read
// the file), and then answers like the Node entry point.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

test("browser.js fetches the module and decides", async () => {
  const fetched = [];
  globalThis.fetch = async (url) => {
    fetched.push(String(url));
    return new Response(readFileSync(fileURLToPath(url)), { headers: { "Content-Type": "application/wasm" } });
  };
  const entitle = await import("../browser.js");
  assert.equal(fetched.length, 1);
  assert.ok(fetched[0].endsWith("/pkg/entitle_wasm_bg.wasm"));
  assert.equal(entitle.RequestStatus.parse("pendingapprovalescalated").isCancelable, true);
  assert.throws(() => entitle.RequestStatus.parse("Approved"), entitle.InvalidInput);
});
