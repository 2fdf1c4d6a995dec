// The run screen's section window: which sections build their detail, and the view kept still
// when a section above it grows. IntersectionObserver is faked (jsdom has none and does no
// layout); the real one is exercised by the window suite (tests/e2e), which reveals deferred
// sections by scrolling to them.
import { afterEach, describe, expect, it } from "vitest";
import { SectionWindow } from "./window.svelte";

type Cb = (entries: IntersectionObserverEntry[]) => void;
let observers: FakeIO[] = [];
class FakeIO {
  observed = new Set<Element>();
  constructor(
    readonly cb: Cb,
    readonly options: IntersectionObserverInit,
  ) {
    observers.push(this);
  }
  observe(el: Element) {
    this.observed.add(el);
  }
  unobserve(el: Element) {
    this.observed.delete(el);
  }
  disconnect() {
    this.observed.clear();
  }
  fire(el: Element, isIntersecting: boolean) {
    this.cb([{ target: el, isIntersecting } as unknown as IntersectionObserverEntry]);
  }
}

const real = globalThis.IntersectionObserver;
afterEach(() => {
  globalThis.IntersectionObserver = real;
  observers = [];
});

/** An element whose box is given: its top edge and height (height `grown` once `when()`). */
function box(top: number, height: number, grown = height, when = () => false): HTMLElement {
  const el = document.createElement("section");
  Object.defineProperty(el, "offsetHeight", { get: () => (when() ? grown : height) });
  el.getBoundingClientRect = () => ({ top, bottom: top + (when() ? grown : height) }) as DOMRect;
  return el;
}

const settle = () => new Promise((r) => setTimeout(r, 0));

describe("SectionWindow", () => {
  it("shows every section when there is no IntersectionObserver", () => {
    (globalThis as { IntersectionObserver?: unknown }).IntersectionObserver = undefined;
    const w = new SectionWindow(() => null);
    expect(w.has("a")).toBe(false);
    w.attach(document.createElement("div"));
    expect(w.has("a")).toBe(true);
    expect(w.settled).toBe(true);
  });

  it("shows the section the run opens on at once, the others once near the viewport, and keeps them", async () => {
    globalThis.IntersectionObserver = FakeIO as unknown as typeof IntersectionObserver;
    const w = new SectionWindow(() => "a");
    const root = box(0, 800);
    w.attach(root);
    expect(observers[0].options.rootMargin).toBe("100% 0px 100% 0px");
    expect(observers[0].options.root).toBe(root);
    expect(w.has("a")).toBe(true);

    const b = box(2000, 40);
    w.watch(b, "b");
    expect(w.settled).toBe(false);
    observers[0].fire(b, false);
    await settle();
    expect(w.settled).toBe(true);
    expect(w.has("b")).toBe(false);

    observers[0].fire(b, true);
    await settle();
    expect(w.has("b")).toBe(true);
    expect(observers[0].observed.has(b)).toBe(false);
    // Out of range again: it stays built (a running step's output, a field being typed).
    observers[0].fire(b, false);
    await settle();
    expect(w.has("b")).toBe(true);
  });

  it("brings the next two sections waiting with the one that comes near", async () => {
    globalThis.IntersectionObserver = FakeIO as unknown as typeof IntersectionObserver;
    const w = new SectionWindow(() => null);
    w.attach(box(0, 800));
    const els = ["b", "c", "d", "e"].map((id, i) => {
      const el = box(1000 + 100 * i, 40);
      w.watch(el, id);
      return el;
    });
    observers[0].fire(els[0], true);
    await settle();
    expect(["b", "c", "d", "e"].map((id) => w.has(id))).toEqual([true, true, true, false]);
    expect([...observers[0].observed]).toEqual([els[3]]);
  });

  it("builds a section at once when something in it is jumped to", async () => {
    globalThis.IntersectionObserver = FakeIO as unknown as typeof IntersectionObserver;
    const w = new SectionWindow(() => null);
    w.attach(box(0, 800));
    const far = box(9000, 40);
    w.watch(far, "far");
    await w.show("far");
    expect(w.has("far")).toBe(true);
    expect(observers[0].observed.has(far)).toBe(false);
  });

  it("moves the view down by what a section above it grew, and not for one below", async () => {
    globalThis.IntersectionObserver = FakeIO as unknown as typeof IntersectionObserver;
    const w = new SectionWindow(() => null);
    const root = box(100, 800);
    root.scrollTop = 5000;
    w.attach(root);
    const above = box(-300, 120, 420, () => w.has("above"));
    const below = box(700, 120, 500, () => w.has("below"));
    w.watch(above, "above");
    w.watch(below, "below");
    observers[0].fire(above, true);
    await settle();
    expect(root.scrollTop).toBe(5300);
    observers[0].fire(below, true);
    await settle();
    expect(root.scrollTop).toBe(5300);
  });
});
