// When a refresh has reached the screen: every image in the view decoded, then the next
// animation frame, then a task after it. Browsers paint a frame right after its animation-frame
// callbacks, so the task runs once the frame showing the new charts is painted. Times are in
// epoch milliseconds, the app's clock, so they compare with `SignalsView.arrived_ms`.
export type PaintTimes = { decoded: number; frame: number; painted: number };

export const epochNow = () => performance.timeOrigin + performance.now();

export async function paintedAt(root: HTMLElement): Promise<PaintTimes> {
  const images = [...root.querySelectorAll("img")];
  await Promise.all(images.map((i) => (typeof i.decode === "function" ? i.decode().catch(() => undefined) : undefined)));
  const decoded = epochNow();
  await new Promise((ok) => requestAnimationFrame(ok));
  const frame = epochNow();
  await new Promise<void>((ok) => {
    const ch = new MessageChannel();
    ch.port1.onmessage = () => {
      ch.port1.close();
      ok();
    };
    ch.port2.postMessage(null);
  });
  return { decoded, frame, painted: epochNow() };
}
