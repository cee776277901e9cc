import { byteCompare } from './list-model.js';

/**
 * A deliberately naive model of a bucket's versions: every version and delete
 * marker of every key in a list, newest last, and ListObjectVersions as
 * "sort everything, roll up, filter, slice". Tests compare the stores against it.
 */
export interface ModelVersion { key: string; versionId: string; deleteMarker: boolean }
export type ModelStatus = 'Enabled' | 'Suspended' | null;

export class VersionModel {
  /** Per key, oldest first. */
  readonly versions = new Map<string, ModelVersion[]>();
  status: ModelStatus = null;

  /** A PUT (deleteMarker false) or a DELETE without version id (true) as the store answered it. */
  write(key: string, versionId: string, deleteMarker: boolean): void {
    const list = this.versions.get(key) ?? [];
    const kept = this.status === 'Enabled' ? list : list.filter((v) => v.versionId !== 'null');
    if (this.status === null) kept.length = 0;
    if (this.status === null && deleteMarker) {
      this.versions.delete(key);
      return;
    }
    kept.push({ key, versionId, deleteMarker });
    this.versions.set(key, kept);
  }

  remove(key: string, versionId: string): boolean {
    const list = this.versions.get(key) ?? [];
    const left = list.filter((v) => v.versionId !== versionId);
    if (left.length === list.length) return false;
    if (left.length === 0) this.versions.delete(key);
    else this.versions.set(key, left);
    return true;
  }

  /** The key's current object version, if its latest is not a delete marker. */
  current(key: string): ModelVersion | undefined {
    const latest = this.versions.get(key)?.at(-1);
    return latest?.deleteMarker === false ? latest : undefined;
  }

  /** Every entry in ListObjectVersions order (key ascending, newest first), rolled up by delimiter. */
  entries(q: { prefix?: string | undefined; delimiter?: string | undefined }): Array<{ kind: 'version'; v: ModelVersion; isLatest: boolean } | { kind: 'prefix'; value: string }> {
    const prefix = q.prefix ?? '';
    const delimiter = q.delimiter === '' ? undefined : q.delimiter;
    const out: Array<{ kind: 'version'; v: ModelVersion; isLatest: boolean } | { kind: 'prefix'; value: string }> = [];
    for (const key of [...this.versions.keys()].sort(byteCompare)) {
      if (!key.startsWith(prefix)) continue;
      const cut = delimiter === undefined ? -1 : key.indexOf(delimiter, prefix.length);
      if (delimiter !== undefined && cut >= 0) {
        const value = key.slice(0, cut + delimiter.length);
        const last = out.at(-1);
        if (last?.kind !== 'prefix' || last.value !== value) out.push({ kind: 'prefix', value });
        continue;
      }
      const newestFirst = [...(this.versions.get(key) ?? [])].reverse();
      newestFirst.forEach((v, i) => out.push({ kind: 'version', v, isLatest: i === 0 }));
    }
    return out;
  }
}
