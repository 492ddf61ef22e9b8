// entitle-core for browsers and bundlers: fetches the WebAssembly module next to this file (top-level
// await), then re-exports it.
import init from "./pkg/entitle_wasm.js";

await init({ module_or_path: new URL("./pkg/entitle_wasm_bg.wasm", import.meta.url) });

export * from "./pkg/entitle_wasm.js";
export { default as init } from "./pkg/entitle_wasm.js";
export { InvalidInput, Rejected } from "./errors.js";
