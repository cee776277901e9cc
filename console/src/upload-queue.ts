import { alertBox, announce, h } from './dom.js';
import { uploadFile } from './upload.js';

/** One file to send and the key it goes to (a dropped folder keeps its relative path). */
export interface QueuedFile {
  readonly file: File;
  readonly key: string;
  /** What the row shows: the path inside the folder. */
  readonly label: string;
}

/**
 * The upload list of a folder page: a progress bar per file, three uploads at
 * a time, a red bar with the reason for a failure, and a button that clears
 * the finished ones.
 */
export function uploadQueue(bucket: string, onSettled: () => void): { element: HTMLElement; add(files: readonly QueuedFile[]): void } {
  const list = h('ul', { class: 'uploads', 'aria-label': 'Uploads' });
  const clear = h('button', { type: 'button', class: 'small', hidden: true, onclick: () => {
    for (const li of [...list.querySelectorAll('li.finished')]) li.remove();
    clear.hidden = true;
  } }, 'Clear finished uploads');
  const pending: { item: QueuedFile; bar: HTMLProgressElement; state: HTMLElement; row: HTMLElement }[] = [];
  let running = 0;

  const finish = (row: HTMLElement) => {
    row.classList.add('finished');
    clear.hidden = false;
  };
  const run = async (job: (typeof pending)[number]) => {
    const { item, bar, state, row } = job;
    state.textContent = 'Uploading';
    try {
      await uploadFile(bucket, item.key, item.file, (done, total) => {
        bar.value = done;
        state.textContent = `${Math.floor((done / Math.max(1, total)) * 100)}%`;
      });
      state.textContent = 'Done';
      bar.value = bar.max;
      announce(`${item.label} uploaded`);
    } catch (error) {
      row.classList.add('failed-item');
      state.textContent = 'Failed';
      state.classList.add('failed');
      row.append(alertBox(`${item.label}: ${error instanceof Error ? error.message : String(error)}`));
    }
    finish(row);
  };
  // Three at a time: parallel enough to fill the line, few enough to keep each bar moving.
  const pump = () => {
    while (running < 3 && pending.length > 0) {
      const job = pending.shift();
      if (job === undefined) break;
      running += 1;
      void run(job).finally(() => {
        running -= 1;
        if (pending.length === 0 && running === 0) onSettled();
        pump();
      });
    }
  };
  return {
    element: h('div', { class: 'upload-panel' }, list, clear),
    add(files) {
      for (const item of files) {
        const bar = h('progress', { max: Math.max(1, item.file.size), value: 0, 'aria-label': `Upload progress of ${item.label}` });
        const state = h('span', { class: 'state' }, 'Waiting');
        const row = h('li', {}, h('span', { class: 'file', title: item.label }, item.label), bar, state);
        list.append(row);
        pending.push({ item, bar, state, row });
      }
      pump();
    },
  };
}

/** Files of a drop, folders walked recursively (their paths kept), as the browser's entry API gives them. */
export async function droppedFiles(data: DataTransfer): Promise<{ file: File; path: string }[]> {
  const entries = [...data.items].map((item) => item.webkitGetAsEntry?.()).filter((e): e is FileSystemEntry => e !== null && e !== undefined);
  if (entries.length === 0) return [...data.files].map((file) => ({ file, path: file.name }));
  const out: { file: File; path: string }[] = [];
  const walk = async (entry: FileSystemEntry, path: string): Promise<void> => {
    if (entry.isFile) {
      const file = await new Promise<File>((resolve, reject) => (entry as FileSystemFileEntry).file(resolve, reject));
      out.push({ file, path: `${path}${entry.name}` });
    } else if (entry.isDirectory) {
      const reader = (entry as FileSystemDirectoryEntry).createReader();
      // readEntries answers in batches until an empty one.
      for (;;) {
        const batch = await new Promise<FileSystemEntry[]>((resolve, reject) => reader.readEntries(resolve, reject));
        if (batch.length === 0) break;
        for (const child of batch) await walk(child, `${path}${entry.name}/`);
      }
    }
  };
  for (const entry of entries) await walk(entry, '');
  return out;
}
