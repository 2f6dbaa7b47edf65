// Worker thread for ffi/shim.ts's compileShimAhead(): compiles the pod shim and posts the address
// of shim() (undefined when the compile failed: the main thread then compiles it and reports why).
import { compileShim } from "./shim.ts";

let addr: number | undefined;
try {
  addr = compileShim(false);
} catch {
  addr = undefined;
}
postMessage(addr);
