// Process-wide engine state: the default backend, the stack of memory scopes, and the no-grad switch.

import type { Backend } from "./backend.ts";

export interface Tracked {
  readonly disposed: boolean;
  dispose(): void;
}

class Scope {
  readonly tracked = new Set<Tracked>();
}

let defaultBackend: Backend | null = null;
const scopes: Scope[] = [];
let gradDepth = 0;

export function setDefaultBackend(b: Backend | null): void {
  defaultBackend = b;
}

export function getDefaultBackend(): Backend {
  if (!defaultBackend) throw new Error("no backend chosen: call `await init({ backend })` first, or pass `backend` explicitly");
  return defaultBackend;
}

/** Called for every new tensor: the innermost scope owns it until it is kept or the scope ends. */
export function track(t: Tracked): void {
  scopes[scopes.length - 1]?.tracked.add(t);
}

/** Takes `t` out of every scope: it lives until disposed by hand. */
export function untrack(t: Tracked): void {
  for (const s of scopes) s.tracked.delete(t);
}

export function beginScope(): void {
  scopes.push(new Scope());
}

/** Disposes everything the innermost scope owns except `keep`, which moves to the enclosing scope. */
export function endScope(keep: Iterable<Tracked>): void {
  const scope = scopes.pop();
  if (!scope) throw new Error("endScope without beginScope");
  const kept = new Set(keep);
  for (const t of scope.tracked) if (!kept.has(t) && !t.disposed) t.dispose();
  for (const t of kept) if (scope.tracked.has(t)) track(t);
}

export function gradEnabled(): boolean {
  return gradDepth === 0;
}

export function withoutGrad<T>(fn: () => T): T {
  gradDepth++;
  try {
    return fn();
  } finally {
    gradDepth--;
  }
}
