// Which sections of the run show their detail: a section's steps, fields, prose, sign-off slots
// and the decision panel are built only once the section comes within a screen of the
// checklist's viewport, and then stay (a running step's output or a field being typed is never
// thrown away). Every item's row is always there, so `data-item-id` finds every item, j/k walk
// all of them and the search filters all of them; what waits is what costs memory and the first
// frame's time (issue 16; README "The window against a bare Tauri window" has the figures).
//
// A section not yet shown carries `data-deferred`. Scrolling to it (or anything else) builds it
// within a frame; a section that grows above the viewport moves the view down by as much, so
// what is on screen stays put.
import { getContext, setContext, tick } from "svelte";

/** A screen above and below the viewport: built before it scrolls into sight. */
const MARGIN = "100% 0px 100% 0px";
/** Sections built with each one that comes near (the next ones waiting, in document order). */
const BATCH = 2;

export class SectionWindow {
  /** Ids of the sections showing their detail. Replaced whole on change. */
  shown = $state.raw<ReadonlySet<string>>(new Set());
  /** Every section shows (no IntersectionObserver: a test DOM). */
  all = $state(false);
  /** The observer has answered for every section watched so far. */
  settled = $state(false);
  #io: IntersectionObserver | null = null;
  #root: HTMLElement | null = null;
  #watched = new Map<Element, string>();

  /** `first`: the section the run opens on, shown from the first frame. */
  constructor(private first: () => string | null) {}

  /** Start watching against `root` (the checklist's scroll box); returns the stop. */
  attach(root: HTMLElement): () => void {
    this.#root = root;
    if (typeof IntersectionObserver === "undefined") {
      this.all = true;
      this.settled = true;
      return () => {};
    }
    this.#io = new IntersectionObserver((entries) => void this.#seen(entries), { root, rootMargin: MARGIN });
    for (const el of this.#watched.keys()) this.#io.observe(el);
    if (!this.#watched.size) this.settled = true;
    return () => {
      this.#io?.disconnect();
      this.#io = null;
    };
  }

  /** A section's element, until its detail shows; returns its un-watch. */
  watch(el: HTMLElement, id: string): () => void {
    this.#watched.set(el, id);
    if (this.#io) {
      this.settled = false;
      this.#io.observe(el);
    }
    return () => {
      this.#watched.delete(el);
      this.#io?.unobserve(el);
    };
  }

  /** Build section `id` now, wherever it is (a jump to something in it); resolves once built. */
  async show(id: string): Promise<void> {
    if (this.has(id)) return;
    this.#build([id]);
    await tick();
  }

  /** Sections `ids` show their detail from now on, and are no longer watched. */
  #build(ids: string[]) {
    for (const [el, id] of this.#watched) {
      if (!ids.includes(id)) continue;
      this.#watched.delete(el);
      this.#io?.unobserve(el);
    }
    this.shown = new Set([...this.shown, ...ids]);
  }

  /** Whether section `id` shows its detail. */
  has(id: string): boolean {
    return this.all || this.shown.has(id) || id === this.first();
  }

  async #seen(entries: IntersectionObserverEntry[]) {
    const near = entries.filter((e) => e.isIntersecting && this.#watched.has(e.target)).map((e) => e.target as HTMLElement);
    // Each section that comes near brings the next ones waiting with it (sections are watched in
    // document order): fewer, larger builds while scrolling, so fewer frames miss their time.
    const order = [...this.#watched.keys()] as HTMLElement[];
    const add = [...new Set(near.flatMap((el) => order.slice(order.indexOf(el)).slice(0, 1 + BATCH)))];
    if (add.length) {
      // A section wholly above the viewport grows by its detail: the view moves down by as much.
      const top = this.#root?.getBoundingClientRect().top ?? 0;
      const above = add.filter((el) => el.getBoundingClientRect().bottom <= top + 1).map((el) => [el, el.offsetHeight] as const);
      this.#build(add.map((el) => this.#watched.get(el)!));
      await tick();
      const grew = above.reduce((n, [el, h]) => n + el.offsetHeight - h, 0);
      if (grew && this.#root) this.#root.scrollTop += grew;
      // The keyboard's item stays in sight when its section grows around it.
      const focus = document.activeElement;
      if (focus instanceof HTMLElement && add.some((el) => el.contains(focus))) focus.scrollIntoView({ block: "nearest" });
    }
    this.settled = true;
  }
}

const KEY = Symbol("section-window");
const DETAIL = Symbol("section-detail");
export const provideWindow = (w: SectionWindow) => setContext(KEY, w);
export const useWindow = () => getContext<SectionWindow | undefined>(KEY);
/** Set by a section for what is under it: whether its detail shows. */
export const provideDetail = (shown: () => boolean) => setContext(DETAIL, shown);
export const useDetail = () => getContext<(() => boolean) | undefined>(DETAIL) ?? (() => true);
