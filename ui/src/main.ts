// Marks of the way to the first paint (fd:*), read by tests/e2e/measure-scroll.mjs.
performance.mark("fd:script");
import { mount } from "svelte";
import "./app.css";
import App from "./App.svelte";
import { TauriBackend } from "./lib/backend/tauri";
import { applyTheme, savedTheme } from "./lib/shared/theme";

applyTheme(savedTheme());
// app.css picks fonts per platform (on Linux, fontconfig's defaults: cheaper to find).
if (/Linux/.test(navigator.userAgent)) document.documentElement.dataset.os = "linux";
const target = document.getElementById("app");
if (!target) throw new Error("index.html has no #app");
mount(App, { target, props: { backend: new TauriBackend() } });
