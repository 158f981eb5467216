// The jsora page: a form bound to GET /v1/models, POST /v1/videos, the job's event stream for the
// progress bar, and GET /v1/videos for the gallery. Every call goes through fetch, so a bearer
// token (stored in this browser only) reaches the video and image routes too.
'use strict';

const $ = (id) => document.getElementById(id);
const state = { limits: null, objectUrls: [] };
window.jsoraProgress = []; // every value the bar was set to, oldest first

function token() { return localStorage.getItem('jsora-token') || ''; }

async function api(path, options = {}) {
  const headers = Object.assign({}, options.headers || {});
  if (token()) headers['Authorization'] = 'Bearer ' + token();
  const res = await fetch(path, Object.assign({}, options, { headers }));
  if (!res.ok) {
    let message = res.status + ' ' + res.statusText;
    try { const body = await res.json(); if (body.error) message = body.error.message; } catch (e) { /* not JSON */ }
    throw new Error(message);
  }
  return res;
}

function setProgress(value, text, failed) {
  $('progress').value = value;
  window.jsoraProgress.push(value);
  $('status').textContent = text;
  $('status').className = failed ? 'failed' : '';
}

async function loadModel() {
  const models = await (await api('/v1/models')).json();
  const m = models.data[0];
  const l = m.limits, d = m.defaults;
  state.limits = l;
  $('model').textContent = `${m.id}: ${m.arch}, ${m.dit}, ${m.compressor} latents, ${m.text_encoder} text`;
  const [w, h] = d.size.split('x').map(Number);
  const set = (id, value, min, max, step) => {
    const e = $(id); e.value = value; e.min = min; e.max = max; if (step) e.step = step;
  };
  const low = (multiple) => Math.ceil(l.min_side / multiple) * multiple;
  set('width', w, low(l.width_multiple), l.max_side, l.width_multiple);
  set('height', h, low(l.height_multiple), l.max_side, l.height_multiple);
  set('frames', d.num_frames, l.frame_multiple, l.max_frames, l.frame_multiple);
  set('fps', d.fps, 1, l.max_fps);
  set('steps', d.num_steps, 1, l.max_steps, 1);
  set('cfg', d.cfg_scale, 0, l.max_cfg_scale);
  $('sampler').value = d.sampler;
  $('limits').textContent = `width a multiple of ${l.width_multiple}, height of ${l.height_multiple}, from ${l.min_side} to ${l.max_side} px; `
    + `frames a multiple of ${l.frame_multiple}, up to ${l.max_frames}; up to ${l.max_steps} steps; prompt up to ${l.max_prompt_chars} characters`;
}

function requestBody() {
  const body = {
    prompt: $('prompt').value,
    size: `${$('width').value}x${$('height').value}`,
    num_frames: Number($('frames').value),
    fps: Number($('fps').value),
    num_steps: Number($('steps').value),
    cfg_scale: Number($('cfg').value),
    sampler: $('sampler').value,
  };
  if ($('seed').value !== '') body.seed = Number($('seed').value);
  return body;
}

// Reads a server-sent event stream through fetch (EventSource cannot send a bearer token).
async function follow(id, onEvent) {
  const res = await api(`/v1/videos/${id}/events`, { headers: { Accept: 'text/event-stream' } });
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += decoder.decode(value, { stream: true });
    let end;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let event = 'message', data = '';
      for (const line of block.split('\n')) {
        if (line.startsWith('event:')) event = line.slice(6).trim();
        else if (line.startsWith('data:')) data += line.slice(5).trim();
      }
      if (data && onEvent(event, JSON.parse(data)) === false) { reader.cancel(); return; }
    }
  }
}

async function blobUrl(path) {
  const blob = await (await api(path)).blob();
  const url = URL.createObjectURL(blob);
  state.objectUrls.push(url);
  return url;
}

async function play(video) {
  $('player').src = await blobUrl(`/v1/videos/${video.id}/content`);
  $('caption').textContent = `${video.prompt} (${video.size}, ${video.params.num_frames} frames, seed ${video.seed})`;
  $('player').play().catch(() => { /* autoplay may be refused; controls remain */ });
}

async function generate(event) {
  event.preventDefault();
  $('generate').disabled = true;
  setProgress(0, 'submitting…');
  try {
    const video = await (await api('/v1/videos', {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(requestBody()),
    })).json();
    let last = video;
    setProgress(0, 'queued');
    await follow(video.id, (type, data) => {
      if (type === 'progress') {
        setProgress(data.progress, `step ${data.step} of ${data.total}`);
      } else if (type === 'video') {
        last = data;
        if (data.status === 'queued') setProgress(0, 'queued');
        if (data.status === 'in_progress') setProgress(data.progress, 'running');
        if (['completed', 'failed', 'cancelled'].includes(data.status)) return false;
      }
      return true;
    });
    if (last.status === 'completed') {
      setProgress(100, `done in ${last.run_seconds.toFixed(1)} s, seed ${last.seed}`);
      await play(last);
    } else {
      setProgress($('progress').value, last.status + (last.error ? ': ' + last.error.message : ''), true);
    }
  } catch (e) {
    setProgress(0, e.message, true);
  } finally {
    $('generate').disabled = false;
    refreshGallery();
  }
}

function useSettings(p) {
  $('prompt').value = p.prompt;
  $('width').value = p.width;
  $('height').value = p.height;
  $('frames').value = p.num_frames;
  $('fps').value = p.fps;
  $('steps').value = p.num_steps;
  $('cfg').value = p.cfg_scale;
  $('sampler').value = p.sampler;
  $('seed').value = p.seed;
  window.scrollTo(0, 0);
}

async function refreshGallery() {
  let list;
  try {
    list = await (await api('/v1/videos?limit=24')).json();
  } catch (e) {
    return;
  }
  state.objectUrls.forEach((u) => { if (u !== $('player').src) URL.revokeObjectURL(u); });
  state.objectUrls = state.objectUrls.filter((u) => u === $('player').src);
  const ul = $('gallery');
  ul.replaceChildren();
  for (const v of list.data) {
    const li = document.createElement('li');
    const p = v.params;
    if (v.status === 'completed') {
      const img = document.createElement('img');
      img.alt = v.prompt;
      img.title = 'play';
      img.addEventListener('click', () => play(v));
      blobUrl(`/v1/videos/${v.id}/content?variant=thumbnail`).then((u) => { img.src = u; }).catch(() => {});
      li.append(img);
    } else {
      const s = document.createElement('div');
      s.className = 'state';
      s.textContent = v.status + (v.error ? ': ' + v.error.message : '');
      li.append(s);
    }
    const prompt = document.createElement('div');
    prompt.className = 'prompt';
    prompt.textContent = v.prompt;
    const params = document.createElement('div');
    params.className = 'params';
    params.textContent = `${v.size}, ${p.num_frames} frames @ ${p.fps} fps, ${p.num_steps} ${p.sampler} steps, guidance ${p.cfg_scale}, seed ${v.seed}`;
    const use = document.createElement('button');
    use.className = 'small';
    use.type = 'button';
    use.textContent = 'use these settings';
    use.addEventListener('click', () => useSettings(p));
    li.append(prompt, params, use);
    ul.append(li);
  }
}

$('token').value = token();
$('token').addEventListener('change', () => {
  localStorage.setItem('jsora-token', $('token').value.trim());
  loadModel().then(refreshGallery).catch((e) => setProgress(0, e.message, true));
});
$('form').addEventListener('submit', generate);
loadModel().then(refreshGallery).catch((e) => { $('model').textContent = e.message; });
