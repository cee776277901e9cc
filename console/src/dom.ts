/** A tiny element builder: text goes in as text nodes, never as HTML, so names from S3 cannot inject markup. */
export type Child = Node | string | number | null | undefined | false;
export type Props = Record<string, string | number | boolean | null | undefined | EventListener>;

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, props: Props = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (typeof value === 'function') el.addEventListener(name.slice(2).toLowerCase(), value);
    else if (name === 'class') el.className = String(value);
    else if (name === 'value' && 'value' in el) (el as HTMLInputElement).value = String(value);
    else if (name === 'checked' && el instanceof HTMLInputElement) el.checked = value === true;
    else el.setAttribute(name, value === true ? '' : String(value));
  }
  append(el, ...children);
  return el;
}

export function append(parent: Node, ...children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    parent.appendChild(typeof child === 'string' || typeof child === 'number' ? document.createTextNode(String(child)) : child);
  }
}

export function replace(parent: Element, ...children: Child[]): void {
  parent.replaceChildren();
  append(parent, ...children);
}

/** Announces a change to screen readers (the polite live region). */
export function announce(text: string): void {
  const status = document.getElementById('status');
  if (status) status.textContent = text;
}

export function alertBox(message: string): HTMLElement {
  return h('p', { class: 'error', role: 'alert' }, message);
}

let idCounter = 0;
export function uid(prefix: string): string {
  idCounter += 1;
  return `${prefix}-${idCounter}`;
}

/** A labelled form field: the label is tied to the control for screen readers and clicks. */
export function field(label: string, control: HTMLInputElement | HTMLSelectElement, hint?: string): HTMLElement {
  control.id ||= uid('f');
  const hintEl = hint ? h('span', { class: 'hint', id: `${control.id}-hint` }, hint) : null;
  if (hintEl) control.setAttribute('aria-describedby', hintEl.id);
  return h('div', { class: 'field' }, h('label', { for: control.id }, label), control, hintEl);
}

/** A modal dialog; resolves when it closes. Escape and the Close button close it. */
export function openDialog(title: string, build: (body: HTMLElement, close: () => void) => void): Promise<void> {
  const titleId = uid('dlg');
  const body = h('div', { class: 'dialog-body' });
  const dialog = h('dialog', { 'aria-labelledby': titleId }, h('div', { class: 'dialog-head' }, h('h2', { id: titleId }, title), h('button', { type: 'button', class: 'ghost', 'aria-label': 'Close', onclick: () => dialog.close() }, '×')), body);
  document.body.appendChild(dialog);
  const close = () => dialog.close();
  build(body, close);
  return new Promise((resolve) => {
    dialog.addEventListener('close', () => {
      dialog.remove();
      resolve();
    });
    dialog.showModal();
  });
}

/** Asks a yes/no question in a dialog; the safe answer has the focus. */
export function confirmDialog(title: string, message: string, confirmLabel: string): Promise<boolean> {
  let answer = false;
  return openDialog(title, (body, close) => {
    const cancel = h('button', { type: 'button', onclick: close }, 'Cancel');
    append(
      body,
      h('p', {}, message),
      h('div', { class: 'actions' }, cancel, h('button', { type: 'button', class: 'danger', onclick: () => { answer = true; close(); } }, confirmLabel)),
    );
    queueMicrotask(() => cancel.focus());
  }).then(() => answer);
}

/** Makes `zone` take dropped files: highlighted while something is dragged over it, `onDrop` given what was dropped. */
export function dropZone(zone: HTMLElement, onDrop: (data: DataTransfer) => void): void {
  zone.addEventListener('dragover', (event) => {
    event.preventDefault();
    zone.classList.add('over');
  });
  zone.addEventListener('dragleave', () => zone.classList.remove('over'));
  zone.addEventListener('drop', (event) => {
    event.preventDefault();
    zone.classList.remove('over');
    if (event.dataTransfer) onDrop(event.dataTransfer);
  });
}
