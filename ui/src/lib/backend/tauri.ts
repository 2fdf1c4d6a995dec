// The Backend over Tauri IPC: one `invoke` per command of src-tauri/src/commands/all.rs. The
// command names are generated from that list (`Command`), so a renamed or missing command fails
// svelte-check, and `tauri.test.ts` checks every command has its method here.
import { Channel, invoke } from "@tauri-apps/api/core";
import type {
  ArchiveProgress,
  Command,
  ExportArchiveReq,
  ExportedArchive,
  LaunchInfo,
  RunHead,
  RunDoc,
  RunLive,
  RunStepsReq,
  StepOutput,
  StoreHeads,
} from "../bindings";
import { type Backend, BackendError } from "./index";

async function call<T>(cmd: Command, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(cmd, args);
  } catch (e) {
    throw BackendError.from(e);
  }
}

// What the app puts in the page before any script runs (src-tauri's `launch_script`): the
// launch info and the run it opens, so the first screen needs no IPC round trip. Each is used
// once; later calls ask the app (the user's name may have changed since; the store watcher's
// first heads reload a run another process wrote to in between).
type Launched = { __FLIGHTDECK_LAUNCH__?: LaunchInfo; __FLIGHTDECK_OPEN_RUN__?: { run: string; doc: RunDoc } };

export class TauriBackend implements Backend {
  #launched: LaunchInfo | undefined = (globalThis as Launched).__FLIGHTDECK_LAUNCH__;
  #opened: { run: string; doc: RunDoc } | undefined = (globalThis as Launched).__FLIGHTDECK_OPEN_RUN__;
  constructor() {
    // Read once: the window's globals would otherwise keep the first answer alive for the
    // page's life (the opened run's whole document) after the run screen has replaced it.
    delete (globalThis as Launched).__FLIGHTDECK_LAUNCH__;
    delete (globalThis as Launched).__FLIGHTDECK_OPEN_RUN__;
  }
  launchInfo = () => {
    const launched = this.#launched;
    this.#launched = undefined;
    return launched ? Promise.resolve(launched) : call<LaunchInfo>("launch_info");
  };
  setUserName = (name: string) => call<string>("set_user_name", { name });
  uiReady = () => call<void>("ui_ready");
  bundledRunbooks: Backend["bundledRunbooks"] = () => call("bundled_runbooks");
  listRuns: Backend["listRuns"] = () => call("list_runs");
  createRun: Backend["createRun"] = (req) => call("create_run", { req });
  openRun: Backend["openRun"] = (run) => {
    const opened = this.#opened;
    this.#opened = undefined;
    return opened?.run === run ? Promise.resolve(opened.doc) : call("open_run", { run });
  };
  runLive: Backend["runLive"] = (run) => call("run_live", { run });
  checkItem: Backend["checkItem"] = (req) => call("check_item", { req });
  setField: Backend["setField"] = (req) => call("set_field", { req });
  setMeta: Backend["setMeta"] = (req) => call("set_meta", { req });
  addNote: Backend["addNote"] = (req) => call("add_note", { req });
  signOff: Backend["signOff"] = (req) => call("sign_off", { req });
  decide: Backend["decide"] = (req) => call("decide", { req });

  cancelStep: Backend["cancelStep"] = (req) => call("cancel_step", { req });
  listEnvs: Backend["listEnvs"] = () => call("list_envs");
  showEnv: Backend["showEnv"] = (env) => call("show_env", { env });
  createEnv: Backend["createEnv"] = (req) => call("create_env", { req });
  setEnvVar: Backend["setEnvVar"] = (req) => call("set_env_var", { req });
  setSecret: Backend["setSecret"] = (req) => call("set_secret", { req });
  removeSecret: Backend["removeSecret"] = (req) => call("remove_secret", { req });
  suggestArchivePath: Backend["suggestArchivePath"] = (run) => call("suggest_archive_path", { run });
  openArchive: Backend["openArchive"] = (path) => call("open_archive", { path });
  signingIdentity: Backend["signingIdentity"] = () => call("signing_identity");
  cosignArchive: Backend["cosignArchive"] = (req) => call("cosign_archive", { req });
  signalPanels: Backend["signalPanels"] = (req) => call("signal_panels", { req });
  sloStatus: Backend["sloStatus"] = (run) => call("slo_status", { run });
  listControls: Backend["listControls"] = (run) => call("list_controls", { run });
  previewControl: Backend["previewControl"] = (req) => call("preview_control", { req });
  applyControl: Backend["applyControl"] = (req) => call("apply_control", { req });
  readControl: Backend["readControl"] = (req) => call("read_control", { req });
  watchView: Backend["watchView"] = (run) => call("watch_view", { run });
  startWatch: Backend["startWatch"] = (run) => call("start_watch", { run });
  stopWatch: Backend["stopWatch"] = (run) => call("stop_watch", { run });
  editWatchPlan: Backend["editWatchPlan"] = (req) => call("edit_watch_plan", { req });
  testAlertRoute: Backend["testAlertRoute"] = (req) => call("test_alert_route", { req });
  readAgainControl: Backend["readAgainControl"] = (req) => call("read_again_control", { req });

  exportArchive(req: ExportArchiveReq, onProgress: (p: ArchiveProgress) => void): Promise<ExportedArchive> {
    const channel = new Channel<ArchiveProgress>();
    channel.onmessage = onProgress;
    return call<ExportedArchive>("export_archive", { req, onProgress: channel });
  }

  runStep(req: RunStepsReq, onOutput: (o: StepOutput) => void): Promise<RunLive> {
    const channel = new Channel<StepOutput>();
    channel.onmessage = onOutput;
    return call<RunLive>("run_step", { req, onOutput: channel });
  }

  /** A long poll (`store_heads`), not a Channel: a channel's messages reach the page through
   * `eval`, which starts JavaScriptCore in the app's own process (~1 MiB, issue 16). Resolves
   * with the first heads delivered; a failed poll after that is asked again a second later. */
  async watchStore(onChange: (heads: RunHead[]) => void): Promise<void> {
    let seen = 0;
    const pause = () => new Promise((r) => setTimeout(r, 1000));
    /** One poll; false when nothing moved (the app waited its 20 s) or it failed. */
    const poll = async () => {
      const now = await call<StoreHeads>("store_heads", { seen });
      if (now.version === seen || now.version === 0) return false;
      seen = now.version;
      onChange(now.heads);
      return true;
    };
    await poll();
    void (async () => {
      for (;;) {
        // A failed poll is asked again a second later, and so is one answered without a change
        // (never at once: an app answering at once cannot make the page spin).
        if (!(await poll().catch(() => false))) await pause();
      }
    })();
  }
}
