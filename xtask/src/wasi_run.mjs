// Runs a wasm32-wasip1 program in node's WASI with the given arguments
// (`cargo xtask bench`): node wasi_run.mjs PROGRAM.wasm ARGS...
import { readFile } from "node:fs/promises";
import { WASI } from "node:wasi";

const [wasmPath, ...args] = process.argv.slice(2);
const wasi = new WASI({ version: "preview1", args: ["monscope", ...args], env: {}, preopens: {} });
const module = await WebAssembly.compile(await readFile(wasmPath));
const instance = await WebAssembly.instantiate(module, wasi.getImportObject());
const code = wasi.start(instance);
process.exitCode = code;
