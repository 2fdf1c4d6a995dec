// Light and dark themes: the user's choice is kept in localStorage; by default the system's.
export type Theme = "light" | "dark";

const KEY = "flightdeck.theme";

export function savedTheme(): Theme {
  const t = globalThis.localStorage?.getItem(KEY);
  if (t === "light" || t === "dark") return t;
  return globalThis.matchMedia?.("(prefers-color-scheme: dark)").matches ? "dark" : "light";
}

export function applyTheme(t: Theme, save = false): void {
  document.documentElement.dataset.theme = t;
  if (save) globalThis.localStorage?.setItem(KEY, t);
}
