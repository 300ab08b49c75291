// Jiayuan's conveniences on top of complete server-rendered pages: Markdown preview,
// draft autosave, reply-to without a page load, and delete confirmation. Every page
// works without this file.

const csrf = document.querySelector('main')?.dataset.csrf || '';

function debounce(fn, ms) {
  let t;
  return (...args) => { clearTimeout(t); t = setTimeout(() => fn(...args), ms); };
}

// Drafts live in localStorage under the form's data-draft key until the form is sent.
function setupDraft(form) {
  const key = 'jiayuan:draft:' + form.dataset.draft;
  const body = form.querySelector('textarea[name=body]');
  const title = form.querySelector('input[name=title]');
  const status = form.querySelector('.draft-status');
  const say = (k) => { if (status) status.textContent = status.dataset[k] || ''; };
  try {
    const saved = JSON.parse(localStorage.getItem(key) || 'null');
    if (saved && !body.value) {
      body.value = saved.body || '';
      if (title && !title.value) title.value = saved.title || '';
    }
  } catch { /* a corrupt draft is dropped */ }
  const save = debounce(() => {
    try {
      if (body.value || title?.value) {
        localStorage.setItem(key, JSON.stringify({ body: body.value, title: title?.value || '', at: Date.now() }));
        say('saved');
      } else {
        localStorage.removeItem(key);
      }
    } catch { /* storage full or disabled: drafts are a convenience */ }
  }, 400);
  form.addEventListener('input', save);
  form.addEventListener('submit', () => { try { localStorage.removeItem(key); } catch {} });
}

// Ctrl+Enter (⌘+Enter on a Mac) sends, as in most chat and mail programs. requestSubmit
// runs the form's checks and submit listeners (the draft is dropped) as a click would.
function setupSendKey(form) {
  const body = form.querySelector('textarea[name=body]');
  body.setAttribute('aria-keyshortcuts', 'Control+Enter Meta+Enter');
  body.addEventListener('keydown', (ev) => {
    if (ev.key === 'Enter' && (ev.ctrlKey || ev.metaKey) && !ev.isComposing) {
      ev.preventDefault();
      form.requestSubmit();
    }
  });
}

function setupPreview(form) {
  const btn = form.querySelector('.js-preview');
  const out = form.querySelector('.preview');
  const body = form.querySelector('textarea[name=body]');
  if (!btn || !out || !csrf) return;
  btn.hidden = false;
  btn.addEventListener('click', async () => {
    if (!out.hidden) { out.hidden = true; return; }
    const res = await fetch('/api/v1/preview', {
      method: 'POST', credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf },
      body: JSON.stringify({ body: body.value }),
    });
    const data = await res.json();
    // The server returns sanitized HTML (goldmark + bluemonday); errors are plain text.
    if (res.ok) out.innerHTML = data.html; else out.textContent = data.error?.message || res.statusText;
    out.hidden = false;
  });
}

// Reply links fill the form's reply_to in place instead of loading the page again.
function setupReplyLinks() {
  const form = document.querySelector('#compose form');
  if (!form) return;
  const hidden = form.querySelector('input[name=reply_to]');
  const banner = form.querySelector('.reply-to');
  const link = form.querySelector('.reply-to-link');
  // Exposed for replies that arrive live (live.js builds their links).
  window.jiayuanReplyTo = (ev, a) => {
    ev.preventDefault();
    hidden.value = a.dataset.reply;
    link.textContent = '#' + a.dataset.seq;
    link.href = '#p' + a.dataset.seq;
    banner.hidden = false;
    form.querySelector('textarea').focus();
  };
  document.querySelectorAll('a[data-reply]').forEach((a) => {
    a.addEventListener('click', (ev) => window.jiayuanReplyTo(ev, a));
  });
  form.querySelector('.reply-cancel')?.addEventListener('click', (ev) => {
    ev.preventDefault();
    hidden.value = '';
    banner.hidden = true;
  });
}

document.querySelectorAll('form.editor').forEach((f) => { setupDraft(f); setupSendKey(f); setupPreview(f); });
// Delete links open a confirmation page without JavaScript; with it, a dialog and a
// form post carrying the session's CSRF token save the round trip.
document.addEventListener('click', (ev) => {
  const a = ev.target.closest?.('a[data-delete]');
  if (a) {
    ev.preventDefault();
    if (!confirm(a.dataset.confirm)) return;
    const f = document.createElement('form');
    f.method = 'post';
    f.action = a.getAttribute('href');
    const t = document.createElement('input');
    Object.assign(t, { type: 'hidden', name: '_csrf', value: csrf });
    f.append(t);
    document.body.append(f);
    f.submit();
  }
});
setupReplyLinks();
