// A Backend for tests that need canned answers rather than IPC: every method answers what
// `answers` holds for it (or rejects with it when it is a BackendError) and records the call.
import type { RunHead } from "../bindings";
import { type Backend, BackendError } from "./index";

type Answers = { [K in keyof Backend]?: Awaited<ReturnType<Backend[K]>> | BackendError };

export class FakeBackend implements Backend {
  calls: { method: keyof Backend; arg: unknown }[] = [];
  private watchers: ((heads: RunHead[]) => void)[] = [];

  constructor(public answers: Answers = {}) {}

  private answer<K extends keyof Backend>(method: K, arg?: unknown): Promise<Awaited<ReturnType<Backend[K]>>> {
    this.calls.push({ method, arg });
    // Read as unknown: the union of every method's answer is too large for TypeScript to spell.
    const a: unknown = (this.answers as Record<string, unknown>)[method];
    if (a instanceof BackendError) return Promise.reject(a);
    if (a === undefined && method !== "uiReady") {
      return Promise.reject(new BackendError({ code: "internal", message: `no fake answer for ${method}`, missing: [] }));
    }
    return Promise.resolve(a as Awaited<ReturnType<Backend[K]>>);
  }

  /** Push heads to every watcher, as the store watcher does when a run moves. */
  emitHeads(heads: RunHead[]) {
    this.watchers.forEach((w) => w(heads));
  }

  launchInfo = () => this.answer("launchInfo");
  setUserName = (name: string) => this.answer("setUserName", name);
  uiReady = () => this.answer("uiReady");
  bundledRunbooks = () => this.answer("bundledRunbooks");
  listRuns = () => this.answer("listRuns");
  createRun: Backend["createRun"] = (req) => this.answer("createRun", req);
  openRun: Backend["openRun"] = (run) => this.answer("openRun", run);
  runLive: Backend["runLive"] = (run) => this.answer("runLive", run);
  checkItem: Backend["checkItem"] = (req) => this.answer("checkItem", req);
  setField: Backend["setField"] = (req) => this.answer("setField", req);
  setMeta: Backend["setMeta"] = (req) => this.answer("setMeta", req);
  addNote: Backend["addNote"] = (req) => this.answer("addNote", req);
  signOff: Backend["signOff"] = (req) => this.answer("signOff", req);
  decide: Backend["decide"] = (req) => this.answer("decide", req);
  runStep: Backend["runStep"] = (req) => this.answer("runStep", req);
  cancelStep: Backend["cancelStep"] = (req) => this.answer("cancelStep", req);
  listEnvs = () => this.answer("listEnvs");
  showEnv: Backend["showEnv"] = (env) => this.answer("showEnv", env);
  createEnv: Backend["createEnv"] = (req) => this.answer("createEnv", req);
  setEnvVar: Backend["setEnvVar"] = (req) => this.answer("setEnvVar", req);
  setSecret: Backend["setSecret"] = (req) => this.answer("setSecret", req);
  removeSecret: Backend["removeSecret"] = (req) => this.answer("removeSecret", req);
  suggestArchivePath: Backend["suggestArchivePath"] = (run) => this.answer("suggestArchivePath", run);
  exportArchive: Backend["exportArchive"] = (req) => this.answer("exportArchive", req);
  openArchive: Backend["openArchive"] = (path) => this.answer("openArchive", path);
  signingIdentity = () => this.answer("signingIdentity");
  cosignArchive: Backend["cosignArchive"] = (req) => this.answer("cosignArchive", req);
  signalPanels: Backend["signalPanels"] = (req) => this.answer("signalPanels", req);
  sloStatus: Backend["sloStatus"] = (run) => this.answer("sloStatus", run);
  listControls: Backend["listControls"] = (run) => this.answer("listControls", run);
  previewControl: Backend["previewControl"] = (req) => this.answer("previewControl", req);
  applyControl: Backend["applyControl"] = (req) => this.answer("applyControl", req);
  readControl: Backend["readControl"] = (req) => this.answer("readControl", req);
  watchView: Backend["watchView"] = (run) => this.answer("watchView", run);
  startWatch: Backend["startWatch"] = (run) => this.answer("startWatch", run);
  stopWatch: Backend["stopWatch"] = (run) => this.answer("stopWatch", run);
  editWatchPlan: Backend["editWatchPlan"] = (req) => this.answer("editWatchPlan", req);
  testAlertRoute: Backend["testAlertRoute"] = (req) => this.answer("testAlertRoute", req);
  readAgainControl: Backend["readAgainControl"] = (req) => this.answer("readAgainControl", req);
  watchStore = async (onChange: (heads: RunHead[]) => void) => {
    this.watchers.push(onChange);
  };
}
