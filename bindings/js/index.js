// entitle-core for Node: loads the WebAssembly module synchronously from the package, then re-exports it.
import { readFileSync } from "node:fs";

import { initSync } from "./pkg/entitle_wasm.js";

initSync({ module: readFileSync(new URL("./pkg/entitle_wasm_bg.wasm", import.meta.url)) });

export * from "./pkg/entitle_wasm.js";
export { default as init } from "./pkg/entitle_wasm.js";
export { InvalidInput, Rejected } from "./errors.js";
