// narrate's listening page: word-synced transcript, chapters, speed, keys, remembered position.
// No dependencies and no build step; the page works without it (native audio controls).
"use strict";
(() => {
  const audio = document.querySelector("audio[data-player]");
  if (!audio) return;
  const $ = (sel) => document.querySelector(sel);
  const $$ = (sel) => Array.from(document.querySelectorAll(sel));
  const JUMP = 15;

  // Times are read once into arrays so each frame is two binary searches, even for an hour.
  const sentences = $$(".s[data-b]").map((el) => {
    const words = Array.from(el.querySelectorAll("[data-t]"));
    return { el, b: +el.dataset.b, e: +el.dataset.e, words, times: words.map((w) => +w.dataset.t) };
  });
  const starts = sentences.map((s) => s.b);
  const live = audio.dataset.cues; // narrate serve's /read: the transcript comes as it is spoken
  const chapterLinks = $$("[data-c]");
  const chapterStarts = chapterLinks.map((a) => +a.dataset.c);

  // The last index whose value is <= t, or -1.
  const last = (values, t) => {
    let lo = 0;
    let hi = values.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (values[mid] <= t) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found;
  };

  const seek = (seconds) => {
    const end = Number.isFinite(audio.duration) ? audio.duration : Infinity;
    audio.currentTime = Math.max(0, Math.min(seconds, end));
    update();
  };

  // Following: the current sentence is kept in view until the reader scrolls by hand.
  const box = $("[data-scroll]");
  const followButton = $("[data-follow]");
  let following = true;
  let resumeTimer = 0;
  const setFollow = (on) => {
    following = on;
    if (followButton) followButton.hidden = on;
    clearTimeout(resumeTimer);
    if (!on) resumeTimer = setTimeout(() => setFollow(true), 10000);
  };
  const keepInView = (el) => {
    if (!following || el.offsetParent === null) return;
    const r = el.getBoundingClientRect();
    if (box) {
      const outer = box.getBoundingClientRect();
      if (r.top < outer.top || r.bottom > outer.bottom)
        box.scrollTop += r.top - outer.top - (box.clientHeight - r.height) / 3;
      return;
    }
    const player = $(".player");
    const covered = player ? player.getBoundingClientRect().bottom : 0;
    if (r.top < covered || r.bottom > innerHeight * 0.85) {
      // The player is sticky: aim below where it sits once the page has scrolled, not where it is.
      const top = player ? player.offsetHeight : 0;
      scrollBy({ top: r.top - top - (innerHeight - top) / 3, behavior: "smooth" });
    }
  };
  const byHand = () => setFollow(false);
  (box || window).addEventListener("wheel", byHand, { passive: true });
  (box || window).addEventListener("touchmove", byHand, { passive: true });
  addEventListener("keydown", (ev) => {
    if (["PageUp", "PageDown", "ArrowUp", "ArrowDown", "Home", "End"].includes(ev.key)) byHand();
  });
  if (followButton) followButton.addEventListener("click", () => setFollow(true) || update(true));

  // Marking: the sentence that started last stays marked through the pause after it; the word
  // only while its sentence is being spoken.
  let sentence = -1;
  let word = null;
  let chapter = -1;
  let shown = 0;
  const update = (force) => {
    const t = audio.currentTime * 1000;
    const i = last(starts, t);
    for (; shown <= i; shown++) for (const el of sentences[shown].hide || []) el.hidden = false;
    if (i !== sentence || force) {
      if (sentence >= 0) sentences[sentence].el.classList.remove("now");
      sentence = i;
      if (i >= 0) {
        sentences[i].el.classList.add("now");
        keepInView(sentences[i].el);
      }
    }
    let w = null;
    if (i >= 0 && t < sentences[i].e) {
      const j = last(sentences[i].times, t);
      if (j >= 0) w = sentences[i].words[j];
    }
    if (w !== word) {
      if (word) word.classList.remove("word");
      if (w) w.classList.add("word");
      word = w;
    }
    const c = last(chapterStarts, t + 1);
    if (c !== chapter) {
      if (chapter >= 0) chapterLinks[chapter].removeAttribute("aria-current");
      if (c >= 0) chapterLinks[c].setAttribute("aria-current", "true");
      chapter = c;
    }
  };
  let frame = 0;
  const loop = () => {
    update();
    frame = audio.paused ? 0 : requestAnimationFrame(loop);
  };
  const playButton = $("[data-do=play]");
  const showState = () => {
    if (playButton) playButton.textContent = audio.paused ? "Play" : "Pause";
  };
  audio.addEventListener("play", () => {
    showState();
    if (!frame) frame = requestAnimationFrame(loop);
  });
  audio.addEventListener("pause", () => {
    showState();
    update(); // the rAF loop has stopped: mark where playback came to rest
    remember(true);
  });
  audio.addEventListener("seeked", () => update());
  audio.addEventListener("timeupdate", () => {
    if (audio.paused) update();
    remember(false);
  });

  const toChapter = (step) => {
    const t = audio.currentTime * 1000;
    let c = last(chapterStarts, t + 1);
    // "Previous" from inside a chapter goes to its start first, as players do.
    if (step < 0 && c >= 0 && t - chapterStarts[c] > 3000) step = 0;
    c = Math.max(0, Math.min(chapterStarts.length - 1, c + step));
    if (chapterStarts.length) seek(chapterStarts[c] / 1000);
  };
  const toggle = () => (audio.paused ? audio.play().catch(() => {}) : audio.pause());
  const actions = {
    play: toggle,
    back: () => seek(audio.currentTime - JUMP),
    fwd: () => seek(audio.currentTime + JUMP),
    prev: () => toChapter(-1),
    next: () => toChapter(1),
  };
  for (const b of $$("[data-do]")) b.addEventListener("click", () => actions[b.dataset.do]());

  for (const a of chapterLinks)
    a.addEventListener("click", (ev) => {
      ev.preventDefault();
      history.replaceState(null, "", a.getAttribute("href"));
      setFollow(true);
      seek(+a.dataset.c / 1000);
    });

  for (const t of $$("[data-transcript]"))
    t.addEventListener("click", (ev) => {
      if (ev.target.closest("a, button")) return;
      const hit = ev.target.closest("[data-t], .s[data-b]");
      if (!hit) return;
      setFollow(true);
      seek(+(hit.dataset.t || hit.dataset.b) / 1000);
      if (audio.paused) audio.play().catch(() => {});
    });

  // Speed, remembered across episodes.
  const store = {
    get: (k) => {
      try {
        return localStorage.getItem(k);
      } catch {
        return null; // storage can be disabled, e.g. for file:// pages in some browsers
      }
    },
    set: (k, v) => {
      try {
        if (v === null) localStorage.removeItem(k);
        else localStorage.setItem(k, v);
      } catch {}
    },
  };
  const speed = $("[data-speed]");
  if (speed) {
    const saved = store.get("narrate:rate");
    if (saved && Array.from(speed.options).some((o) => o.value === saved)) speed.value = saved;
    audio.playbackRate = +speed.value;
    speed.addEventListener("change", () => {
      audio.playbackRate = +speed.value;
      store.set("narrate:rate", speed.value);
    });
    audio.addEventListener("loadedmetadata", () => (audio.playbackRate = +speed.value));
  }

  // Position, remembered per episode; a #t=SECONDS link wins over it.
  const key = "narrate:pos:" + new URL(audio.getAttribute("src"), location.href).pathname;
  let savedAt = 0;
  const remember = (now) => {
    if (live || (!now && Date.now() - savedAt < 5000)) return; // a live stream starts over
    savedAt = Date.now();
    store.set(key, audio.ended ? null : audio.currentTime.toFixed(1));
  };
  addEventListener("pagehide", () => remember(true));
  audio.addEventListener("ended", () => store.set(key, null));
  const fromHash = () => {
    const m = /^#t=(\d+(?:\.\d+)?)$/.exec(location.hash);
    return m ? +m[1] : null;
  };
  const start = () => {
    const t = live ? 0 : fromHash() ?? +(store.get(key) || 0);
    if (t) seek(t);
  };
  if (audio.readyState >= 1) start();
  else audio.addEventListener("loadedmetadata", start, { once: true });
  addEventListener("hashchange", () => {
    const t = fromHash();
    if (t !== null) seek(t);
  });

  // Keys: only when focus is not on a control that has its own use for them.
  addEventListener("keydown", (ev) => {
    if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
    if (ev.target.closest("button, a, audio, select, textarea, input, summary")) return;
    const act = { " ": "play", ArrowLeft: "back", ArrowRight: "fwd", n: "next", p: "prev" }[ev.key];
    if (!act) return;
    ev.preventDefault();
    actions[act]();
  });

  if ("mediaSession" in navigator && "MediaMetadata" in window) {
    navigator.mediaSession.metadata = new MediaMetadata({
      title: audio.dataset.title || document.title,
      artist: audio.dataset.artist || "",
      album: "Narrated article",
      artwork: audio.dataset.art
        ? [{ src: new URL(audio.dataset.art, location.href).href, sizes: "1400x1400", type: "image/jpeg" }]
        : [],
    });
    const handlers = {
      play: () => audio.play(),
      pause: () => audio.pause(),
      seekbackward: actions.back,
      seekforward: actions.fwd,
      previoustrack: actions.prev,
      nexttrack: actions.next,
      seekto: (d) => seek(d.seekTime),
    };
    for (const [name, fn] of Object.entries(handlers)) {
      try {
        navigator.mediaSession.setActionHandler(name, fn);
      } catch {} // an action this browser does not know
    }
  }

  // The embed: a transcript toggle.
  const toggler = $("[data-toggle]");
  if (toggler)
    toggler.addEventListener("click", () => {
      const panel = document.getElementById(toggler.getAttribute("aria-controls"));
      const open = toggler.getAttribute("aria-expanded") !== "true";
      toggler.setAttribute("aria-expanded", String(open));
      panel.hidden = !open;
      document.documentElement.classList.toggle("open", open);
      update(true);
    });

  // The embed snippet, made absolute from where this page is served.
  const snippet = $("[data-snippet]");
  if (snippet) {
    const rel = snippet.dataset.src;
    const abs = new URL(rel, location.href).href;
    snippet.value = snippet.value.replace(`src="${rel}"`, `src="${abs.replace(/"/g, "%22")}"`);
    const copy = $("[data-copy]");
    if (copy)
      copy.addEventListener("click", () => {
        snippet.select();
        const done = () => (copy.textContent = "Copied");
        if (navigator.clipboard) navigator.clipboard.writeText(snippet.value).then(done, () => {});
        else if (document.execCommand("copy")) done();
      });
  }
  // Live: poll for the sentences synthesised since the last answer (each answer stands alone,
  // so a lost one only delays the next); each sentence is shown once it is being spoken.
  const status = $("[data-status]");
  const say = (text) => {
    if (status) status.textContent = text;
    if (status) status.hidden = !text;
  };
  const panel = $("[data-transcript]");
  let para = null;
  const add = (cue) => {
    const made = document.createElement("template");
    made.innerHTML = cue.html; // escaped by the server, as on any episode page
    const el = made.content.firstElementChild;
    const hide = [el];
    if (cue.block === "h3") {
      const h = document.createElement("h3");
      h.append(el);
      panel.append(h);
      hide.push(h);
      para = null;
    } else {
      if (cue.block === "p" || !para) {
        para = document.createElement("p");
        panel.append(para);
        hide.push(para);
      } else para.append(" ");
      para.append(el);
    }
    for (const h of hide) h.hidden = true;
    const words = Array.from(el.querySelectorAll("[data-t]"));
    const times = words.map((w) => +w.dataset.t);
    sentences.push({ el, b: +el.dataset.b, e: +el.dataset.e, words, times, hide });
    starts.push(+el.dataset.b);
    const title = $("[data-title]");
    if (el.classList.contains("r-title") && title) document.title = title.textContent = el.textContent;
  };
  let from = 0;
  const poll = () =>
    fetch(`${live}&from=${from}`, { cache: "no-store" })
      .then((r) => (r.status === 404 ? null : r.json()))
      .then((news) => {
        if (!news) return say("This narration is over: reload the page to hear it again.");
        news.cues.forEach(add);
        from = news.next;
        if (news.error) say(news.error);
        else if (from) say("");
        if (!news.done) setTimeout(poll, 1000);
        update();
      })
      .catch(() => setTimeout(poll, 3000));
  if (live) {
    poll();
    audio.addEventListener("error", () => say("The narration could not be played; try again shortly."));
  }

  showState();
  update();
})();
