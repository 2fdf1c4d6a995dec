// The archive review screen over the FakeBackend: the verification first and in full, then the
// run rebuilt from the file, read-only; a file that does not verify or carries no run says so.
import { fireEvent, render, screen, waitFor } from "@testing-library/svelte";
import { describe, expect, it } from "vitest";
import { BackendError } from "../backend";
import { FakeBackend } from "../backend/fake";
import type { ArchiveReview } from "../bindings";
import { doc } from "../testing/fixture";
import Harness from "../testing/Harness.svelte";
import ArchiveScreen from "./ArchiveScreen.svelte";

const PATH = "/home/riley/Documents/flightdeck-v1.0.0-0193aaaa.pdf";
const good: ArchiveReview = {
  path: PATH,
  bytes: 51_200,
  ok: true,
  checks: [
    { name: "signature", ok: true, detail: "PAdES signature over the whole file, by Riley (ACME)" },
    { name: "event-chain", ok: true, detail: "12 events, hashes chain from genesis to the head" },
    { name: "attachments", ok: true, detail: "runbook and event log match their recorded sha256" },
  ],
  signer: "Riley (ACME)",
  signer_cert_sha256: "c0ffee".repeat(10) + "abcd",
  signatures: [
    { index: 1, field: "Flightdeck archive signature", signer: "CN=Riley,O=ACME", name: "Riley", cert_sha256: "c0ffee".repeat(10) + "abcd", signed_at: "2026-12-03T22:00:00Z", reason: null, ok: true, trust: null },
  ],
  trust: { state: "trusted", text: "trusted: Riley (your trusted signers)" },
  verdict: "verified",
  doc,
};

function show(b: FakeBackend) {
  return render(Harness, { props: { backend: b, component: ArchiveScreen, inner: { path: PATH } } });
}

describe("ArchiveScreen", () => {
  it("shows the verdict, signer, certificate and every check first, then the run read-only and labelled", async () => {
    const b = new FakeBackend({ openArchive: good });
    show(b);
    const verdict = await screen.findByTestId("archive-verdict");
    expect(verdict.dataset.ok).toBe("true");
    expect(verdict.textContent).toContain("Archive verified");
    expect(screen.getByTestId("archive-signer").textContent).toBe("Riley (ACME)");
    expect(screen.getByTestId("archive-cert").textContent).toBe(good.signer_cert_sha256);
    expect(screen.getByTestId("archive-file").textContent).toBe(PATH);
    expect(screen.getByTestId("archive-screen").textContent).toContain("50.0 KiB");
    const rows = [...document.querySelectorAll<HTMLElement>("[data-check-name]")];
    expect(rows.map((r) => [r.dataset.checkName, r.dataset.ok])).toEqual([
      ["signature", "true"],
      ["event-chain", "true"],
      ["attachments", "true"],
    ]);
    expect(rows[1].textContent).toContain("✓");
    expect(rows[1].textContent).toContain("hashes chain from genesis");
    expect(screen.getByTestId("archive-readonly-label").textContent).toContain("Read-only: rebuilt from the archive's embedded event log");
    // The verification comes before the run in the document.
    const run = screen.getByTestId("run-screen");
    expect(verdict.compareDocumentPosition(run) & Node.DOCUMENT_POSITION_FOLLOWING).toBeTruthy();
    expect(run.dataset.readonly).toBe("true");
    expect(document.querySelector<HTMLInputElement>('[data-item-id="1.unit"]')!.disabled).toBe(true);
    expect(b.calls.map((c) => [c.method, c.arg])).toEqual([["openArchive", PATH]]);
  });

  it("says the archive does not verify, and marks the failing check", async () => {
    const bad: ArchiveReview = {
      ...good,
      ok: false,
      verdict: "failed",
      checks: [good.checks[0], { name: "event-chain", ok: false, detail: "event #7: hash does not match its content" }, good.checks[2]],
    };
    show(new FakeBackend({ openArchive: bad }));
    const verdict = await screen.findByTestId("archive-verdict");
    expect(verdict.dataset.ok).toBe("false");
    expect(verdict.textContent).toContain("ARCHIVE DOES NOT VERIFY");
    expect(verdict.textContent).toContain("1 of 3 checks fail");
    const failed = document.querySelector<HTMLElement>('[data-check-name="event-chain"]')!;
    expect(failed.dataset.ok).toBe("false");
    expect(failed.textContent).toContain("✗");
    expect(failed.textContent).toContain("event #7: hash does not match");
  });

  it("says why there is no run when the file carries none it can read", async () => {
    show(new FakeBackend({ openArchive: { ...good, ok: false, signer: null, signer_cert_sha256: null, trust: { state: "unknown", text: "no valid signature to authenticate" }, verdict: "failed", doc: null, checks: [{ name: "attachments", ok: false, detail: "no embedded event log" }] } }));
    expect((await screen.findByTestId("archive-no-run")).textContent).toMatch(/does not carry a readable run/);
    expect(screen.getByTestId("archive-signer").textContent).toMatch(/no signature/);
    expect(screen.queryByTestId("run-screen")).toBeNull();
    expect(screen.queryByTestId("archive-readonly-label")).toBeNull();
  });

  it("shows why a file cannot be opened", async () => {
    show(new FakeBackend({ openArchive: new BackendError({ code: "not_found", message: `cannot read ${PATH}: No such file or directory`, missing: [] }) }));
    const err = await screen.findByTestId("archive-load-error");
    expect(err.textContent).toContain("Cannot open this archive.");
    expect(err.textContent).toContain("No such file or directory");
    expect(screen.queryByTestId("archive-verdict")).toBeNull();
  });

  it("tells an intact archive from an authenticated one: an untrusted signer is named, with how to trust them", async () => {
    show(new FakeBackend({ openArchive: { ...good, trust: { state: "unauthenticated", text: "signer not authenticated" }, verdict: "intact_unauthenticated" } }));
    const verdict = await screen.findByTestId("archive-verdict");
    expect(verdict.dataset.verdict).toBe("intact_unauthenticated");
    expect(verdict.dataset.ok).toBe("true");
    expect(verdict.textContent).toContain("Intact — signer not authenticated");
    expect(verdict.textContent).not.toContain("Archive verified");
    const trust = screen.getByTestId("archive-trust");
    expect(trust.dataset.state).toBe("unauthenticated");
    expect(trust.textContent).toContain("signer not authenticated");
    expect(screen.getByTestId("archive-trust-how").textContent).toContain("flightdeck archive trust add CERT");
    // The fingerprint to compare is on screen.
    expect(screen.getByTestId("archive-cert").textContent).toBe(good.signer_cert_sha256);
  });

  it("says a rejected signer does not verify, even when every integrity check holds", async () => {
    const reason = "signer rejected: its subject CN=Riley is that of your trusted signer \"Riley\", but its certificate is another";
    show(new FakeBackend({ openArchive: { ...good, trust: { state: "rejected", text: reason }, verdict: "failed" } }));
    const verdict = await screen.findByTestId("archive-verdict");
    expect(verdict.dataset.verdict).toBe("failed");
    expect(verdict.textContent).toContain("ARCHIVE DOES NOT VERIFY");
    expect(verdict.textContent).toContain("its signer is rejected");
    expect(screen.getByTestId("archive-trust").textContent).toContain(reason);
  });

  it("co-signs after a confirmation naming the identity and the file, then shows both signers", async () => {
    const dana = { index: 2, field: "Flightdeck co-signature 2", signer: "CN=Dana Decision", name: "Dana Decision", cert_sha256: "d".repeat(64), signed_at: "2026-12-03T23:00:00Z", reason: "GO approved", ok: true, trust: { state: "unauthenticated" as const, text: "signer not authenticated" } };
    const after: ArchiveReview = { ...good, signatures: [...good.signatures, dana] };
    const b = new FakeBackend({ openArchive: good, signingIdentity: { subject: "CN=Dana Decision", cert_sha256: "d".repeat(64) }, cosignArchive: after });
    show(b);
    await screen.findByTestId("archive-verdict");
    expect(screen.queryByTestId("archive-signatures")).toBeNull();
    await fireEvent.click(screen.getByTestId("archive-cosign"));
    const confirm = await screen.findByTestId("cosign-confirm");
    expect(screen.getByTestId("cosign-identity").textContent).toBe("CN=Dana Decision");
    expect(screen.getByTestId("cosign-file").textContent).toBe(PATH);
    expect(confirm.textContent).toContain("every earlier signature stays valid");
    expect(b.calls.map((c) => c.method)).toEqual(["openArchive", "signingIdentity"]);
    await fireEvent.input(screen.getByTestId("cosign-reason"), { target: { value: "GO approved" } });
    await fireEvent.click(screen.getByTestId("cosign-go"));
    await waitFor(() => expect(screen.queryByTestId("cosign-dialog")).toBeNull());
    expect(b.calls[2]).toEqual({ method: "cosignArchive", arg: { path: PATH, reason: "GO approved", signer_name: null } });
    const sigs = [...document.querySelectorAll<HTMLElement>('[data-testid="archive-signature"]')];
    expect(sigs.map((s) => [s.dataset.index, s.dataset.ok])).toEqual([["1", "true"], ["2", "true"]]);
    expect(sigs[1].textContent).toContain("Dana Decision");
    expect(sigs[1].textContent).toContain("GO approved");
    expect(sigs[1].querySelector<HTMLElement>('[data-testid="archive-signature-trust"]')!.dataset.state).toBe("unauthenticated");
    expect(sigs[1].textContent).toContain("co-signer signer not authenticated");
    expect(screen.getByTestId("cosign-done").textContent).toBe("Co-signed: signature 2 of 2, by CN=Dana Decision.");
  });

  it("cancelling the confirmation signs nothing; a refusal is shown; no identity yet asks the name, proposing the decision maker", async () => {
    const refused = new BackendError({ code: "conflict", message: "not co-signed: CN=Dana Decision already signed this file (signature 2 of 2)", missing: [] });
    const b = new FakeBackend({ openArchive: good, signingIdentity: { subject: null, cert_sha256: null }, cosignArchive: refused });
    show(b);
    await screen.findByTestId("archive-verdict");
    await fireEvent.click(screen.getByTestId("archive-cosign"));
    await screen.findByTestId("cosign-confirm");
    await fireEvent.click(screen.getByTestId("cosign-cancel"));
    expect(screen.queryByTestId("cosign-dialog")).toBeNull();
    expect(b.calls.some((c) => c.method === "cosignArchive")).toBe(false);

    await fireEvent.click(screen.getByTestId("archive-cosign"));
    const confirm = await screen.findByTestId("cosign-confirm");
    expect(confirm.textContent).toContain("A new signing identity");
    const name = screen.getByTestId<HTMLInputElement>("cosign-name");
    const maker = doc.live.state.metadata.find((m) => m.key === "rollback-decision-maker")?.value ?? doc.live.state.decision?.maker ?? "";
    expect(name.value).toBe(maker);
    await fireEvent.input(name, { target: { value: "Dana Decision" } });
    await fireEvent.click(screen.getByTestId("cosign-go"));
    const err = await screen.findByTestId("cosign-error");
    expect(err.dataset.code).toBe("conflict");
    expect(err.textContent).toContain("already signed this file");
    expect(b.calls.at(-1)).toEqual({ method: "cosignArchive", arg: { path: PATH, reason: null, signer_name: "Dana Decision" } });
  });

  it("offers no co-signing for a file that does not verify", async () => {
    show(new FakeBackend({ openArchive: { ...good, ok: false, verdict: "failed" } }));
    await screen.findByTestId("archive-verdict");
    expect(screen.queryByTestId("archive-cosign")).toBeNull();
  });
});
