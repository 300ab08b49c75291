// Live updates over the websocket: new replies appear in place, edits and deletions
// update, the board page offers its new activity. The socket reconnects with backoff
// and resubscribes from the last seq seen, so nothing is missed. Without JavaScript the
// pages are complete as they are.

const dot = document.querySelector('.live-dot');
const thread = document.querySelector('#thread');
const bar = document.querySelector('.activity-bar');

function setState(state) {
  if (!dot) return;
  dot.hidden = false;
  dot.classList.toggle('on', state === 'live');
  dot.textContent = dot.dataset[state] || '';
  dot.title = dot.textContent;
  dot.dataset.state = state;
}

// A channel and where its reader is. Thread channels resume from the last seq seen.
const subs = [];
if (thread) subs.push({ channel: 'thread:' + thread.dataset.thread, after: Number(thread.dataset.lastSeq) });
if (bar) subs.push({ channel: 'board:' + bar.dataset.board });
const bell = document.querySelector('.bell');
if (bell) subs.push({ channel: 'user:' + bell.dataset.user });

let ws;
let backoff = 1000;
let manualClose = false;

function connect() {
  if (!subs.length || !('WebSocket' in window)) return;
  setState(ws ? 'reconnecting' : 'reconnecting');
  ws = new WebSocket((location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/ws');
  ws.onopen = () => {
    backoff = 1000;
    for (const s of subs) {
      const m = { type: 'subscribe', channel: s.channel };
      if (s.after !== undefined) m.after = s.after;
      // The stamp of the last subscription: what changed below `after` since (a held
      // post approved) comes back in the catch-up too.
      if (s.since) m.since = s.since;
      ws.send(JSON.stringify(m));
    }
  };
  ws.onmessage = (ev) => {
    let m;
    try { m = JSON.parse(ev.data); } catch { return; }
    handle(m);
  };
  ws.onclose = (ev) => {
    setState('offline');
    // Signed out, banned, session over: reconnecting would not bring the page back.
    if (ev.code === 1008) manualClose = true;
    if (manualClose) return;
    // Exponential backoff with jitter, at most 30 s.
    const wait = Math.min(backoff, 30000) * (0.75 + Math.random() / 2);
    backoff *= 2;
    setTimeout(connect, wait);
  };
}

function handle(m) {
  switch (m.type) {
    case 'subscribed': {
      setState('live');
      const s = subs.find((x) => x.channel === m.channel);
      if (s && m.since) s.since = m.since;
      break;
    }
    case 'post.created':
      if (thread && subs[0] && m.channel === subs[0].channel) {
        subs[0].after = Math.max(subs[0].after, m.seq);
        addPost(m.post);
      } else if (bar) bar.hidden = false;
      break;
    case 'pong':
      // Everything before m.since has reached this page: resume from there.
      for (const s of subs) if (s.since && m.since) s.since = m.since;
      break;
    case 'too_far_behind':
      // More missed than a catch-up sends: the server renders the page afresh.
      manualClose = true;
      location.reload();
      break;
    case 'error': ended(m); break;
    case 'thread.created': if (bar) bar.hidden = false; break;
    case 'notification': {
      const badge = bell?.querySelector('.badge');
      if (badge) { badge.textContent = String((Number(badge.textContent) || 0) + 1); badge.hidden = false; }
      break;
    }
    case 'post.updated': case 'post.deleted': updatePost(m.post); break;
    case 'thread.updated':
      if (thread && subs[0] && m.channel === subs[0].channel && m.thread) updateThread(m.thread);
      break;
  }
}

// ended: the server stopped a subscription (the thread moved where this reader may not
// follow, the board was closed to them, a role was revoked). A thread page takes its
// posts away and says so; the board page stops offering news.
function ended(m) {
  if (!['forbidden', 'not_found', 'unauthorized'].includes(m.code)) return;
  const i = subs.findIndex((x) => x.channel === m.channel);
  if (i < 0) return;
  subs.splice(i, 1);
  if (thread && m.channel === 'thread:' + thread.dataset.thread) {
    thread.replaceChildren(el('p', { class: 'notice thread-gone', role: 'alert' }, t('Gone')));
    document.getElementById('compose')?.remove();
    document.querySelector('.pager')?.remove();
    if (marker) marker.hidden = true;
  } else if (bar && m.channel === 'board:' + bar.dataset.board) {
    bar.hidden = true;
  }
}

const fmt = new Intl.DateTimeFormat('sv-SE', { timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' });
const when = (iso) => fmt.format(new Date(iso)).replace(',', '');
const t = (k) => (thread ? thread.dataset['t' + k] : '') || '';

function el(tag, attrs = {}, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  e.append(...kids);
  return e;
}

// renderPost builds the same markup as the server's _posts.html. post.html is sanitized
// by the server (goldmark + bluemonday); everything else goes in as text.
function renderPost(p) {
  const tree = thread.dataset.tree === 'true';
  const head = el('header', { class: 'post-head' },
    el('span', { class: 'author', title: '@' + p.author.username }, p.author.display_name || ('#' + p.author.id)),
    el('span', { class: 'handle' }, '@' + p.author.username),
    el('a', { class: 'seq', href: '#p' + p.seq }, '#' + p.seq),
    el('time', { datetime: p.created_at }, when(p.created_at)));
  if (p.reply_to_seq && (!tree || p.depth >= 3)) {
    head.append(el('a', { class: 'replying', href: `/t/${p.thread_id}?after=${p.reply_to_seq - 1}#p${p.reply_to_seq}` }, `↪ ${t('Replying')} #${p.reply_to_seq}`));
  }
  const body = el('div', { class: 'body' });
  body.innerHTML = p.html;
  const art = el('article', { 'data-author': p.author.id, 'data-depth': p.depth, class: 'post new' + (tree ? ' d' + Math.min(p.depth, 3) : ''), id: 'p' + p.seq, 'data-seq': p.seq, 'data-id': p.id }, head, body);
  const actions = el('footer', { class: 'post-actions' });
  if (thread.dataset.locked !== 'true') {
    const r = el('a', { href: `/t/${p.thread_id}?reply_to=${p.id}#compose`, 'data-reply': p.id, 'data-seq': p.seq }, t('Reply'));
    r.addEventListener('click', (ev) => window.jiayuanReplyTo?.(ev, r));
    actions.append(r);
  }
  // The view goes along, so the edit or delete lands back in it.
  const view = tree ? '' : '?view=time';
  actions.append(el('a', { class: 'own', href: `/p/${p.id}/edit${view}` }, t('Edit')), ' ',
    el('a', { class: 'own', href: `/p/${p.id}/delete${view}`, 'data-delete': p.id, 'data-confirm': t('Confirm') }, t('Delete')));
  art.append(actions);
  return art;
}

let unseen = [];
const marker = document.querySelector('.new-replies');

function addPost(p) {
  // Already here (a catch-up resends what changed below `after`): show it as it is now.
  const have = document.getElementById('p' + p.seq);
  if (have) {
    if (p.deleted || p.edited_at || have.classList.contains('deleted')) updatePost(p);
    return;
  }
  const count = document.querySelector('.reply-count');
  if (count) count.textContent = String(Math.max(Number(count.textContent) || 0, p.seq - 1));
  const list = thread.querySelector('.posts');
  const lastPage = thread.dataset.lastPage === 'true';
  const art = renderPost(p);
  let placed = false;
  if (thread.dataset.tree === 'true' && p.reply_to) {
    const parent = list.querySelector(`article[data-id="${p.reply_to}"]`);
    if (parent && p.depth > 0) {
      // After the parent's last descendant: following posts deeper than the parent.
      const depth = Number(parent.dataset.depth);
      let at = parent;
      while (at.nextElementSibling && Number(at.nextElementSibling.dataset.depth) > depth) at = at.nextElementSibling;
      at.after(art);
      placed = true;
    }
  }
  let elsewhere = false;
  if (!placed && thread.dataset.tree !== 'true') {
    // Flat pages are in seq order: a late post (held, then approved) goes to its place,
    // if that place is on this page.
    const arts = [...list.querySelectorAll('article[data-seq]')];
    const later = arts.find((a) => Number(a.dataset.seq) > p.seq);
    if (later && later !== arts[0]) { later.before(art); placed = true; } else if (later) elsewhere = true;
  }
  if (!placed && !elsewhere && lastPage) { list.append(art); placed = true; }
  if (placed) {
    const r = art.getBoundingClientRect();
    if (r.top > window.innerHeight || r.bottom < 0) unseen.push(art);
  } else {
    unseen.push(null); // on another page
  }
  showMarker();
}

function showMarker() {
  if (!marker) return;
  unseen = unseen.filter((a) => a === null || !a.isConnected || a.getBoundingClientRect().top > window.innerHeight || a.getBoundingClientRect().bottom < 0);
  marker.hidden = unseen.length === 0;
  marker.textContent = `↓ ${unseen.length} ${t('New')}`;
}

marker?.addEventListener('click', () => {
  const first = unseen.find((a) => a && a.isConnected);
  if (first) first.scrollIntoView({ behavior: 'smooth', block: 'center' });
  else location.href = `/t/${thread.dataset.thread}?after=${Math.max(0, subs[0].after - 20)}`;
  unseen = [];
  showMarker();
});
window.addEventListener('scroll', () => { if (unseen.length) showMarker(); }, { passive: true });

function updatePost(p) {
  if (!thread) return;
  const art = document.getElementById('p' + p.seq);
  if (!art) return;
  const body = art.querySelector('.body');
  if (p.deleted) {
    art.classList.add('deleted');
    body?.replaceWith(el('p', { class: 'body muted' }, t('Deleted')));
    art.querySelector('.post-actions')?.remove();
    return;
  }
  if (body) { body.innerHTML = p.html; body.classList.remove('muted'); art.classList.remove('deleted'); }
  const head = art.querySelector('.post-head');
  if (head && !head.querySelector('.edited')) head.querySelector('time')?.after(' ', el('span', { class: 'edited' }, `(${t('Edited')})`));
}

// A moderator pinned, locked, unlocked or renamed the thread: the heading follows, and a
// lock closes the reply form at once (the server refuses replies to a locked thread
// anyway; this spares the reader writing one). An unlock asks for a reload, since the
// form was never sent to a page rendered locked.
function updateThread(th) {
  const h1 = document.querySelector('h1');
  if (h1) {
    const tags = [];
    if (th.pinned) tags.push(el('span', { class: 'tag' }, t('Pinned')), ' ');
    if (th.locked) tags.push(el('span', { class: 'tag' }, t('Locked')), ' ');
    h1.replaceChildren(...tags, th.title);
  }
  const compose = document.getElementById('compose');
  const was = thread.dataset.locked === 'true';
  thread.dataset.locked = String(th.locked);
  if (th.locked && !was) {
    thread.querySelectorAll('a[data-reply]').forEach((a) => a.remove());
    compose?.querySelector('form')?.replaceWith(el('p', { class: 'notice', role: 'status' }, t('LockedNotice')));
  } else if (!th.locked && was && compose) {
    const note = compose.querySelector('.notice');
    const again = el('a', { href: `/t/${th.id}#compose` }, t('Unlocked'));
    if (note) note.replaceChildren(again); else compose.append(el('p', { class: 'notice' }, again));
  }
}

// A ping a minute keeps the `since` stamps fresh (and idle proxies from closing us).
setInterval(() => { if (ws && ws.readyState === WebSocket.OPEN) ws.send('{"type":"ping"}'); }, 60000);

window.addEventListener('pagehide', () => { manualClose = true; ws?.close(); });
// For the support desk and the browser tests: drop the connection as a network loss
// would, and come back.
window.jiayuanLive = {
  pause() { manualClose = true; ws?.close(); },
  resume() { manualClose = false; connect(); },
  state: () => dot?.dataset.state,
};
connect();
