// All backend access goes through `Backend`. The app uses `TauriBackend` (IPC to src-tauri);
// tests use it under tauri's `mockIPC`, or `FakeBackend` when they only need canned answers.
import type {
  ApplyControlReq,
  ArchiveProgress,
  ArchiveReview,
  BundledRunbook,
  CancelStepReq,
  CheckReq,
  CosignArchiveReq,
  ControlRecord,
  ControlReq,
  ControlsOverview,
  ReadAgain,
  ReadAgainReq,
  CreateReq,
  DecideReq,
  CreateEnvReq,
  EnvDetail,
  EnvSummary,
  ErrorCode,
  ExportArchiveReq,
  ExportedArchive,
  Incomplete,
  IpcError,
  LaunchInfo,
  RunDoc,
  RunHead,
  RunLive,
  RunSummary,
  SetFieldReq,
  SetMetaReq,
  SignOffReq,
  SigningIdentity,
  NoteReq,
  Preview,
  RemoveSecretReq,
  RunStepsReq,
  SetSecretReq,
  SetVarReq,
  SignalsReq,
  SignalsView,
  SloBadge,
  Setting,
  StepOutput,
  AlertRecord,
  EditWatchPlanReq,
  TestAlertReq,
  WatchView,
} from "../bindings";

export interface Backend {
  launchInfo(): Promise<LaunchInfo>;
  setUserName(name: string): Promise<string>;
  /** The first screen has painted (the measure script times it). */
  uiReady(): Promise<void>;
  bundledRunbooks(): Promise<BundledRunbook[]>;
  listRuns(): Promise<RunSummary[]>;
  /** Answers the new run's id. */
  createRun(req: CreateReq): Promise<string>;
  openRun(run: string): Promise<RunDoc>;
  runLive(run: string): Promise<RunLive>;
  checkItem(req: CheckReq): Promise<RunLive>;
  setField(req: SetFieldReq): Promise<RunLive>;
  setMeta(req: SetMetaReq): Promise<RunLive>;
  addNote(req: NoteReq): Promise<RunLive>;
  signOff(req: SignOffReq): Promise<RunLive>;
  decide(req: DecideReq): Promise<RunLive>;
  /** Run steps (the window runs one: `scope: { step: id }`); live output arrives on `onOutput`
   * until the answer. A step that changes a production target fails with code `confirm` until
   * `confirmed` is true. */
  runStep(req: RunStepsReq, onOutput: (o: StepOutput) => void): Promise<RunLive>;
  /** Cancel a running step (it is recorded as cancelled); false if it was not running. */
  cancelStep(req: CancelStepReq): Promise<boolean>;
  listEnvs(): Promise<EnvSummary[]>;
  showEnv(env: string): Promise<EnvDetail>;
  createEnv(req: CreateEnvReq): Promise<EnvDetail>;
  setEnvVar(req: SetVarReq): Promise<EnvDetail>;
  /** The value goes to the OS keyring; it is never sent back (only name and updated_at). */
  setSecret(req: SetSecretReq): Promise<EnvDetail>;
  removeSecret(req: RemoveSecretReq): Promise<EnvDetail>;
  /** Where the export dialog proposes to write the run's archive. */
  suggestArchivePath(run: string): Promise<string>;
  /** Export the signed PDF archive; each stage arrives on `onProgress` as it begins. */
  exportArchive(req: ExportArchiveReq, onProgress: (p: ArchiveProgress) => void): Promise<ExportedArchive>;
  /** Verify an archive file offline and rebuild the run it carries, read-only. */
  openArchive(path: string): Promise<ArchiveReview>;
  /** The identity this machine signs with (`subject` null: none kept yet, co-signing makes one). */
  signingIdentity(): Promise<SigningIdentity>;
  /** Add this machine's signature to the archive at `req.path` (the file is replaced by the
   * co-signed one) and verify it again. */
  cosignArchive(req: CosignArchiveReq): Promise<ArchiveReview>;
  /** The Signals view of a run: its environment's golden signals and its SLOs' burn rates over
   * `range`, each panel drawn (plotters SVG) or as points (the canvas chart), and the SLOs' states. */
  signalPanels(req: SignalsReq): Promise<SignalsView>;
  /** Each SLO of a run's environment (or runbook) evaluated now: the run header's badges. */
  sloStatus(run: string): Promise<SloBadge[]>;
  /** The run's environment's flags (state, rollout, expected, drift) and breakers. */
  listControls(run: string): Promise<ControlsOverview>;
  /** What a flag or breaker change would do (from → to, environment, inverse); nothing is sent. */
  previewControl(req: ControlReq): Promise<Preview>;
  /** Apply a previewed change (reason required; production needs `confirm_env` naming it) and
   * read it back; the attempt is recorded into the run. A control moved since its preview
   * answers a `refused` record. */
  applyControl(req: ApplyControlReq): Promise<ControlRecord>;
  /** A control's state now. */
  readControl(req: ControlReq): Promise<Setting>;
  /** The run's D0–D7 watch as recorded: every slot, the failed ones and the summaries with
   * their lines, the bands run clean, the alert log, the routes, and whether it runs here. */
  watchView(run: string): Promise<WatchView>;
  /** Start the run's watch in the app (it runs while the app is open); `conflict` if it runs. */
  startWatch(run: string): Promise<WatchView>;
  /** Stop the run's watch in the app; false if it was not running. */
  stopWatch(run: string): Promise<boolean>;
  /** Change the run's watch plan (bands `0h-2h/5m`, checks, summaries, end); one event. */
  editWatchPlan(req: EditWatchPlanReq): Promise<WatchView>;
  /** A test notice to every receiver of a route, each outcome recorded into the run. */
  testAlertRoute(req: TestAlertReq): Promise<AlertRecord[]>;
  /** Wait `after_ms`, read a changed control again (a breaker after its open interval) and
   * record the read into the change's run; `held: false` when it drifted back on its own. */
  readAgainControl(req: ReadAgainReq): Promise<ReadAgain>;
  /** Every run's head now and whenever one moves, whoever wrote it (the CLI too). */
  watchStore(onChange: (heads: RunHead[]) => void): Promise<void>;
}

/** The one error a backend call fails with; `code` is the IPC's typed code. */
export class BackendError extends Error {
  readonly code: ErrorCode;
  readonly missing: Incomplete[];

  constructor(e: IpcError) {
    super(e.message);
    this.name = "BackendError";
    this.code = e.code;
    this.missing = e.missing ?? [];
  }

  static from(e: unknown): BackendError {
    if (e instanceof BackendError) return e;
    if (e && typeof e === "object" && "code" in e && "message" in e) {
      return new BackendError(e as IpcError);
    }
    return new BackendError({ code: "internal", message: String(e), missing: [] });
  }
}
