/**
 * The HTML forms of a page as a browser would submit them (WHATWG HTML §4.10.21, "constructing
 * the entry list"), parsed with parse5 (the WHATWG parsing algorithm). Enough for the
 * authorization server's sign-in and consent pages: `input` (hidden, text, password, email,
 * checkbox and radio when checked), `select` (the selected or first option), `textarea`, and
 * the submit buttons, each of which adds its own name=value only when it is the one pressed.
 */
import { parse } from 'parse5';

/** A submit button of a form: `<button>` (type submit, the default) or `<input type=submit>`. */
export interface SubmitButton {
  name?: string;
  value: string;
  /** What a person reads on it: its text, or its value. */
  label: string;
}

export interface HtmlForm {
  /** The form's `action` resolved against the page's URL (the page itself when absent). */
  action: string;
  /** `get` or `post` (the form's `method`, lower-cased; anything else is `get`, as browsers do). */
  method: 'get' | 'post';
  /** Successful controls without the submit buttons, in document order. */
  fields: Array<[string, string]>;
  /** Names of the password inputs (a sign-in form has one). */
  passwordFields: string[];
  /** Names of the text-like inputs (text, email, none given), the candidates for a user name. */
  textFields: string[];
  buttons: SubmitButton[];
  id?: string;
}

interface Node {
  nodeName: string;
  tagName?: string;
  attrs?: Array<{ name: string; value: string }>;
  childNodes?: Node[];
  value?: string;
  content?: Node;
}

const attr = (node: Node, name: string): string | undefined => node.attrs?.find((a) => a.name === name)?.value;

function text(node: Node): string {
  if (node.nodeName === '#text') return node.value ?? '';
  return (node.childNodes ?? []).map(text).join('');
}

function* walk(node: Node): Generator<Node> {
  yield node;
  for (const child of node.childNodes ?? []) yield* walk(child);
  if (node.content) yield* walk(node.content);
}

const TEXT_TYPES = new Set(['text', 'email', '']);

/** Every form of `html`, its URLs resolved against `pageUrl`. Controls outside any form (the `form` attribute) are not followed. */
export function parseForms(html: string, pageUrl: string): HtmlForm[] {
  const document = parse(html) as unknown as Node;
  const forms: HtmlForm[] = [];
  for (const node of walk(document)) {
    if (node.tagName !== 'form') continue;
    const action = attr(node, 'action');
    const form: HtmlForm = {
      action: new URL(action === undefined || action === '' ? pageUrl : action, pageUrl).href,
      method: attr(node, 'method')?.toLowerCase() === 'post' ? 'post' : 'get',
      fields: [],
      passwordFields: [],
      textFields: [],
      buttons: [],
      ...(attr(node, 'id') ? { id: attr(node, 'id') } : {}),
    };
    for (const control of walk(node)) {
      if (control === node || !control.tagName) continue;
      const name = attr(control, 'name');
      const disabled = attr(control, 'disabled') !== undefined;
      if (disabled) continue;
      if (control.tagName === 'button') {
        const type = (attr(control, 'type') ?? 'submit').toLowerCase();
        if (type !== 'submit') continue;
        const value = attr(control, 'value') ?? '';
        form.buttons.push({ ...(name ? { name } : {}), value, label: text(control).trim() || value });
      } else if (control.tagName === 'input') {
        const type = (attr(control, 'type') ?? '').toLowerCase();
        const value = attr(control, 'value') ?? '';
        if (type === 'submit') {
          form.buttons.push({ ...(name ? { name } : {}), value, label: value });
          continue;
        }
        if (!name || type === 'button' || type === 'reset' || type === 'file' || type === 'image') continue;
        if ((type === 'checkbox' || type === 'radio') && attr(control, 'checked') === undefined) continue;
        if (type === 'password') form.passwordFields.push(name);
        if (TEXT_TYPES.has(type)) form.textFields.push(name);
        form.fields.push([name, type === 'checkbox' || type === 'radio' ? value || 'on' : value]);
      } else if (control.tagName === 'select' && name) {
        const options = [...walk(control)].filter((o) => o.tagName === 'option');
        const chosen = options.find((o) => attr(o, 'selected') !== undefined) ?? options[0];
        if (chosen) form.fields.push([name, attr(chosen, 'value') ?? text(chosen)]);
      } else if (control.tagName === 'textarea' && name) {
        form.fields.push([name, text(control)]);
      }
    }
    forms.push(form);
  }
  return forms;
}

/** The entry list of `form` submitted with `button`, `values` replacing (or adding) fields by name. */
export function entries(form: HtmlForm, values: Record<string, string> = {}, button?: SubmitButton): URLSearchParams {
  const out = new URLSearchParams();
  const pending = new Map(Object.entries(values));
  for (const [name, value] of form.fields) {
    if (pending.has(name)) {
      out.append(name, pending.get(name)!);
      pending.delete(name);
    } else {
      out.append(name, value);
    }
  }
  for (const [name, value] of pending) out.append(name, value);
  if (button?.name) out.append(button.name, button.value);
  return out;
}
