// Runs a wasm32-wasip1 program in node's WASI with the given arguments
// (`cargo xtask bench`): node wasi_run.mjs [--again] PROGRAM.wasm ARGS...
// With --again the program runs a second time, a new instance of the same
// compiled module (as the page's runs share the page's module): V8 compiles
// each function as it is first called and recompiles the hot ones with its
// optimizing tier during the first run, so the second runs on that code.
import { readFile } from "node:fs/promises";
import { WASI } from "node:wasi";

const again = process.argv[2] === "--again";
const [wasmPath, ...args] = process.argv.slice(again ? 3 : 2);
const module = await WebAssembly.compile(await readFile(wasmPath));
const run = async () => {
  const wasi = new WASI({ version: "preview1", args: ["monscope", ...args], env: {}, preopens: {} });
  return wasi.start(await WebAssembly.instantiate(module, wasi.getImportObject()));
};
let code = await run();
if (again && code === 0) code = await run();
process.exitCode = code;
