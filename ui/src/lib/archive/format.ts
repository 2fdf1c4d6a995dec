// Small formatting for archive files: sizes and names as the export and review screens show them.

/** `12.3 KiB` for a byte count. */
export function kib(bytes: number): string {
  return `${(bytes / 1024).toFixed(1)} KiB`;
}

/** The file name of a path, either separator. */
export function basename(path: string): string {
  return path.split(/[\\/]/).filter(Boolean).pop() ?? path;
}
