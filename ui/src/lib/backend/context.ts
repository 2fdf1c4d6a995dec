// The Backend a component tree uses, handed down through Svelte context.
import { getContext, setContext } from "svelte";
import type { Backend } from "./index";

const KEY = Symbol("backend");

export function provideBackend(b: Backend): Backend {
  return setContext(KEY, b);
}

export function useBackend(): Backend {
  const b = getContext<Backend | undefined>(KEY);
  if (!b) throw new Error("no Backend in context: wrap the tree with provideBackend()");
  return b;
}
