// Proves the IPC wiring without a bundler: with `withGlobalTauri: false` there is no
// `window.__TAURI__`, so this placeholder calls Tauri's internal invoke directly. The real UI
// uses `@tauri-apps/api` and generated bindings instead.
const list = document.getElementById("bundled");
const error = document.getElementById("error");

async function main() {
  const invoke = window.__TAURI_INTERNALS__?.invoke;
  if (!invoke) throw new Error("not running inside the Flightdeck app");
  const runbooks = await invoke("bundled_runbooks");
  list.replaceChildren(
    ...runbooks.map((r) => {
      const li = document.createElement("li");
      const code = document.createElement("code");
      code.textContent = `bundled:${r.name}`;
      li.append(code, ` — ${r.description}`);
      return li;
    }),
  );
}

main().catch((e) => {
  list.replaceChildren();
  error.textContent = String(e);
  error.hidden = false;
});
