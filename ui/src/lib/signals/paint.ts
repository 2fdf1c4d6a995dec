// When a refresh has reached the screen: every image in the view decoded, then the next
// animation frame, then a task after it. Browsers paint a frame right after its animation-frame
// callbacks, so the task runs once the frame showing the new charts is painted. The time is in
// epoch milliseconds, the app's clock, so it compares with `SignalsView.arrived_ms`.
export async function paintedAt(root: HTMLElement): Promise<number> {
  const images = [...root.querySelectorAll("img")];
  await Promise.all(images.map((i) => (typeof i.decode === "function" ? i.decode().catch(() => undefined) : undefined)));
  await new Promise((ok) => requestAnimationFrame(ok));
  await new Promise<void>((ok) => {
    const ch = new MessageChannel();
    ch.port1.onmessage = () => {
      ch.port1.close();
      ok();
    };
    ch.port2.postMessage(null);
  });
  return performance.timeOrigin + performance.now();
}
