// rkt's ensureSuperuser: the pod commands need root and say so at once, before touching anything.
import { RktError } from "../errors.ts";

/** Throws rkt's "cannot run as unprivileged user" unless the effective uid is 0. */
export function ensureSuperuser(): void {
  if (process.geteuid?.() !== 0) throw new RktError("cannot run as unprivileged user");
}
