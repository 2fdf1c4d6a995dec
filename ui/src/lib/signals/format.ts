// Numbers on the charts as the app's Rust side writes them (crates/charts/src/panel.rs,
// `format_value`), for the canvas chart's axes and the legends drawn here.
function compact(v: number): string {
  const a = Math.abs(v);
  const [x, suffix] = a >= 1e9 ? [v / 1e9, "G"] : a >= 1e6 ? [v / 1e6, "M"] : a >= 1e4 ? [v / 1e3, "k"] : [v, ""];
  const digits = Math.abs(x) >= 100 || x === Math.trunc(x) ? 0 : Math.abs(x) >= 10 ? 1 : Math.abs(x) >= 0.1 ? 2 : 3;
  let s = x.toFixed(digits);
  if (s.includes(".")) s = s.replace(/0+$/, "").replace(/\.$/, "");
  return s + suffix;
}

function bytes(v: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let x = v;
  let i = 0;
  while (Math.abs(x) >= 1024 && i < units.length - 1) {
    x /= 1024;
    i++;
  }
  return compact(x) + units[i];
}

/** `v` as people read it in `unit`: ms under a second, % for ratios, × for burn rates. */
export function formatValue(v: number, unit: string): string {
  if (!Number.isFinite(v)) return "—";
  switch (unit) {
    case "s":
      return Math.abs(v) < 1 ? `${compact(v * 1000)}ms` : `${compact(v)}s`;
    case "ratio":
      return `${compact(v * 100)}%`;
    case "%":
      return `${compact(v)}%`;
    case "x":
      return `${compact(v)}×`;
    case "/s":
      return `${compact(v)}/s`;
    case "bytes":
      return bytes(v);
    default:
      return compact(v);
  }
}
