// The environment editor over the FakeBackend: what it lists and sends, and that a secret's
// value goes into the one request and nowhere else — not the DOM, not a later screen.
import { fireEvent, render, screen, waitFor, within } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { BackendError } from "../backend";
import { FakeBackend } from "../backend/fake";
import type { EnvDetail, EnvSummary } from "../bindings";
import Harness from "../testing/Harness.svelte";
import EnvScreen from "./EnvScreen.svelte";

const list: EnvSummary[] = [
  { name: "production", production: true, vars: 1, secrets: 1 },
  { name: "sandbox", production: false, vars: 2, secrets: 0 },
];
const production: EnvDetail = {
  name: "production",
  production: true,
  vars: [{ key: "API_URL", value: "https://api.example.com", source: "stored" }],
  secrets: [{ name: "DB_PASSWORD", updated_at: "2026-11-27T09:00:00.000Z" }],
};
const sandbox: EnvDetail = {
  name: "sandbox",
  production: false,
  vars: [
    { key: "SANDBOX_URL", value: "http://127.0.0.1:8731", source: "builtin" },
    { key: "TEST_JWT", value: "sandbox-test-jwt", source: "builtin" },
  ],
  secrets: [],
};

function show(b: FakeBackend) {
  return render(Harness, { props: { backend: b, component: EnvScreen, inner: {} } });
}

const keyringDown = new BackendError({
  code: "keyring",
  message: "no Secret Service is running: start gnome-keyring (or KeePassXC with its Secret Service), then try again",
  missing: [],
});

describe("EnvScreen", () => {
  it("lists environments with the production mark and counts, and shows the first one's variables and secrets", async () => {
    const b = new FakeBackend({ listEnvs: list, showEnv: production });
    show(b);
    const row = await screen.findByText("DB_PASSWORD");
    const listed = screen.getByTestId("env-list");
    expect(listed.querySelector('[data-env-name="production"]')!.textContent).toMatch(/production.*1 var · 1 secret/);
    expect(listed.querySelector('[data-env-name="sandbox"] .badge')).toBeNull();
    expect(row.closest("[data-secret-name]")!.textContent).toMatch(/set, updated at/);
    expect(document.querySelector('[data-var-key="API_URL"]')!.getAttribute("data-source")).toBe("stored");
    expect(b.calls.filter((c) => c.method === "showEnv").map((c) => c.arg)).toEqual(["production"]);
  });

  it("shows built-in variables as defaults, and saves an override from the form", async () => {
    const b = new FakeBackend({ listEnvs: list, showEnv: production });
    show(b);
    await screen.findByTestId("env-detail");
    b.answers.showEnv = sandbox;
    await fireEvent.click(document.querySelector('[data-env-name="sandbox"]')!);
    const builtin = await waitFor(() => document.querySelector<HTMLElement>('[data-var-key="SANDBOX_URL"]')!);
    expect(builtin.dataset.source).toBe("builtin");
    expect(builtin.textContent).toContain("default");
    await fireEvent.click(builtin.querySelector("[data-edit-var]")!);
    expect((screen.getByTestId("var-key") as HTMLInputElement).value).toBe("SANDBOX_URL");
    b.answers.setEnvVar = { ...sandbox, vars: [{ key: "SANDBOX_URL", value: "http://10.0.0.5:8731", source: "stored" }, sandbox.vars[1]] };
    await fireEvent.input(screen.getByTestId("var-value"), { target: { value: "http://10.0.0.5:8731" } });
    await fireEvent.click(screen.getByTestId("var-save"));
    await waitFor(() => expect(document.querySelector('[data-var-key="SANDBOX_URL"]')!.getAttribute("data-source")).toBe("stored"));
    expect(b.calls.find((c) => c.method === "setEnvVar")?.arg).toEqual({ env: "sandbox", key: "SANDBOX_URL", value: "http://10.0.0.5:8731" });
    expect((screen.getByTestId("var-key") as HTMLInputElement).value).toBe("");
  });

  it("creates an environment, production flag included, and selects it", async () => {
    const b = new FakeBackend({ listEnvs: list, showEnv: production });
    show(b);
    await screen.findByTestId("env-detail");
    const eu: EnvDetail = { name: "prod-eu", production: true, vars: [], secrets: [] };
    b.answers.createEnv = eu;
    b.answers.listEnvs = [...list, { name: "prod-eu", production: true, vars: 0, secrets: 0 }];
    await fireEvent.input(screen.getByTestId("env-new-name"), { target: { value: " prod-eu " } });
    await fireEvent.click(screen.getByTestId("env-new-production"));
    await fireEvent.click(screen.getByTestId("env-create"));
    await waitFor(() => expect(screen.getByTestId("env-detail").dataset.env).toBe("prod-eu"));
    expect(b.calls.find((c) => c.method === "createEnv")?.arg).toEqual({ name: "prod-eu", production: true });
    expect(document.querySelector('[data-env-name="prod-eu"]')!.getAttribute("aria-current")).toBe("true");
    expect((screen.getByTestId("env-new-name") as HTMLInputElement).value).toBe("");
  });

  it("stores a secret from the password box and leaves no trace of its value in the DOM", async () => {
    const value = "hunter2-Zq9!secret";
    const b = new FakeBackend({ listEnvs: list, showEnv: production });
    show(b);
    await screen.findByTestId("env-detail");
    b.answers.setSecret = { ...production, secrets: [...production.secrets, { name: "API_TOKEN", updated_at: "2026-11-28T10:00:00.000Z" }] };
    const box = screen.getByTestId("secret-value") as HTMLInputElement;
    expect(box.type).toBe("password");
    expect(box.getAttribute("autocomplete")).toBe("off");
    const user = userEvent.setup();
    await user.type(screen.getByTestId("secret-name"), "API_TOKEN");
    await user.type(box, `${value}{Enter}`);
    await screen.findByTestId("secret-saved");
    expect(b.calls.find((c) => c.method === "setSecret")?.arg).toEqual({ env: "production", name: "API_TOKEN", value });
    expect(box.value).toBe("");
    // Nothing rendered or typed anywhere holds it: markup, text, or any control's value.
    expect(document.documentElement.outerHTML).not.toContain(value);
    expect(document.body.textContent).not.toContain(value);
    const controls = [...document.querySelectorAll<HTMLInputElement>("input, textarea, select")];
    expect(controls.some((c) => c.value.includes(value))).toBe(false);
    const row = document.querySelector('[data-secret-name="API_TOKEN"]')!;
    expect(row.textContent).toMatch(/API_TOKEN\s*set, updated at/);
  });

  it("asks before removing a secret, and removes it only when confirmed", async () => {
    const b = new FakeBackend({ listEnvs: list, showEnv: production, removeSecret: { ...production, secrets: [] } });
    show(b);
    await screen.findByTestId("env-detail");
    await fireEvent.click(document.querySelector('[data-remove-secret="DB_PASSWORD"]')!);
    expect(b.calls.some((c) => c.method === "removeSecret")).toBe(false);
    await fireEvent.click(document.querySelector('[data-cancel-remove="DB_PASSWORD"]')!);
    expect(document.querySelector('[data-confirm-remove="DB_PASSWORD"]')).toBeNull();
    await fireEvent.click(document.querySelector('[data-remove-secret="DB_PASSWORD"]')!);
    await fireEvent.click(document.querySelector('[data-confirm-remove="DB_PASSWORD"]')!);
    await waitFor(() => expect(document.querySelector('[data-secret-name="DB_PASSWORD"]')).toBeNull());
    expect(b.calls.find((c) => c.method === "removeSecret")?.arg).toEqual({ env: "production", name: "DB_PASSWORD" });
    expect(document.querySelector('[data-env-name="production"]')!.textContent).toContain("0 secrets");
  });

  it("shows a keyring failure prominently with the backend's advice, and clears the value box all the same", async () => {
    const b = new FakeBackend({ listEnvs: list, showEnv: production, setSecret: keyringDown });
    show(b);
    await screen.findByTestId("env-detail");
    await fireEvent.input(screen.getByTestId("secret-name"), { target: { value: "API_TOKEN" } });
    const box = screen.getByTestId("secret-value") as HTMLInputElement;
    await fireEvent.input(box, { target: { value: "s3cr3t-value" } });
    await fireEvent.click(screen.getByTestId("secret-save"));
    const panel = await screen.findByTestId("keyring-error");
    expect(within(panel).getByText("The OS keyring cannot be used.")).toBeTruthy();
    expect(panel.textContent).toContain("start gnome-keyring");
    expect(box.value).toBe("");
    expect(document.documentElement.outerHTML).not.toContain("s3cr3t-value");
    expect(screen.queryByTestId("secret-saved")).toBeNull();
  });

  it("moves between environments with the arrow keys", async () => {
    const b = new FakeBackend({ listEnvs: list, showEnv: production });
    show(b);
    await screen.findByTestId("env-detail");
    b.answers.showEnv = sandbox;
    const first = document.querySelector<HTMLButtonElement>('[data-env-name="production"]')!;
    first.focus();
    await fireEvent.keyDown(first, { key: "ArrowDown" });
    await waitFor(() => expect(screen.getByTestId("env-detail").dataset.env).toBe("sandbox"));
    expect(document.activeElement).toBe(document.querySelector('[data-env-name="sandbox"]'));
  });
});
