// Reads one pod's state in a tight loop, as many `rkt status --wait` and `rkt list` at once would:
// `bun pod-poller.ts DATA_DIR UUID` prints "polling" once it has read it, and reads until its stdin
// closes; then prints how many reads it made.
import { dataPaths } from "../../core/paths.ts";
import { podState } from "../../core/pods/pod.ts";

const [dir, uuid] = process.argv.slice(2) as [string, string];
const paths = dataPaths(dir);
let open = true;
process.stdin.on("close", () => (open = false)).resume();
let reads = 0;
while (open) {
  for (const until = performance.now() + 20; performance.now() < until; reads++) {
    try {
      podState(paths, uuid);
    } catch {
      // caught between two state directories
    }
    if (reads === 0) console.log("polling");
  }
  await Bun.sleep(0); // lets the close of stdin in
}
console.log(reads);
