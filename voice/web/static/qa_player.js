/* QA call page: the two-channel player (wavesurfer.js 7), the transcript that follows it,
   and the IVR path drawn on the same time axis.

   Data comes from <script type="application/json" id="qa-call-data"> (see
   voice/web/qa_pages.py): audio_url and peaks_url (null: audio not available), duration,
   segments (start, end, speaker; their text is already in the page), path marks (start, end,
   node, type, outcome, sensitive) and start (seconds to begin at). The audio streams from
   /api/recordings/<id>/audio through an <audio> element (range requests: seeking does not
   download the whole file); the waveform is drawn from the server's peaks.

   Contract with the evaluation panel: "qa:time" events ({detail: {seconds}}) go out on
   document while playing and after every seek; a "qa:seek" event ({detail: {seconds}}) on
   document moves the player there. All text is set with textContent. */
(function () {
  "use strict";

  const data = JSON.parse(document.getElementById("qa-call-data").textContent);
  const card = document.getElementById("qa-player");
  const state = document.getElementById("qa-audio-state");
  const timeText = document.getElementById("qa-time");
  const durationText = document.getElementById("qa-duration");
  const playButton = document.getElementById("qa-play");
  const backButton = document.getElementById("qa-back");
  const forwardButton = document.getElementById("qa-forward");
  const pathBox = document.getElementById("qa-path");
  const list = document.getElementById("qa-transcript");
  const lines = Array.from(document.querySelectorAll(".qa-segment"));

  let duration = data.duration || 0;
  let player = null; // the WaveSurfer instance once its waveform is ready
  let pending = data.start || 0; // where to go once the player is ready
  let current = -1; // index of the highlighted transcript line

  const clock = window.VoiceApi.clock; // static/staff_api.js, loaded by the evaluation panel

  function say(text) {
    if (state) state.textContent = text;
  }

  /* --- the transcript ---------------------------------------------------------------- */

  function lineAt(seconds) {
    let found = -1;
    data.segments.forEach((segment, index) => {
      if (segment.start <= seconds && seconds < segment.end) found = index;
    });
    return found;
  }

  function keepVisible(line) {
    if (!list) return;
    const top = line.offsetTop;
    const bottom = top + line.offsetHeight;
    if (top < list.scrollTop || bottom > list.scrollTop + list.clientHeight) {
      list.scrollTop = Math.max(0, top - list.clientHeight / 3);
    }
  }

  function highlight(seconds) {
    const index = lineAt(seconds);
    if (index === current) return;
    if (current >= 0 && lines[current]) {
      lines[current].removeAttribute("aria-current");
      lines[current].classList.remove("current");
    }
    current = index;
    if (index >= 0 && lines[index]) {
      lines[index].setAttribute("aria-current", "true");
      lines[index].classList.add("current");
      keepVisible(lines[index]);
    }
  }

  /* --- time: one place where the position changes ------------------------------------ */

  function moved(seconds) {
    if (timeText) timeText.textContent = clock(seconds);
    highlight(seconds);
    document.dispatchEvent(new CustomEvent("qa:time", {detail: {seconds}}));
  }

  function seek(seconds, play) {
    if (!Number.isFinite(seconds)) return;
    const target = Math.max(0, duration ? Math.min(seconds, duration) : seconds);
    if (!player) {
      pending = target;
      moved(target); // no audio (yet): the transcript and the panel still follow
      return;
    }
    player.setTime(target);
    if (play) start();
  }

  function start() {
    if (!player) return;
    player.play().catch((error) => say(`The browser did not start playing: ${error.message}`));
  }

  document.addEventListener("qa:seek", (event) => {
    const seconds = Number(event.detail && event.detail.seconds);
    seek(seconds, false);
  });

  lines.forEach((line) => {
    line.addEventListener("click", () => seek(Number(line.dataset.start), true));
  });
  document.querySelectorAll(".qa-seek").forEach((button) => {
    button.addEventListener("click", () => seek(Number(button.dataset.start), true));
  });

  /* --- the IVR path on the recording's axis ------------------------------------------ */

  function markLabel(mark) {
    if (mark.sensitive) return `${mark.node}: ${data.sensitive_label}`;
    return `${mark.node} (${mark.type}${mark.outcome ? ": " + mark.outcome : ""})`;
  }

  function drawPath() {
    if (!pathBox) return;
    pathBox.replaceChildren();
    if (!(duration > 0)) return;
    data.path.forEach((mark) => {
      const from = Math.max(0, mark.start);
      const to = Math.min(duration, mark.end);
      if (mark.end < 0 || mark.start > duration) return; // outside the recording
      const block = document.createElement("button");
      block.type = "button";
      block.className = mark.sensitive ? "qa-mark qa-mark-sensitive" : "qa-mark";
      block.dataset.type = mark.type;
      block.dataset.node = mark.node;
      block.style.left = `${(from / duration) * 100}%`;
      block.style.width = `${(Math.max(0, to - from) / duration) * 100}%`;
      const label = `${clock(from)} ${markLabel(mark)}`;
      block.title = label;
      block.setAttribute("aria-label", label);
      block.textContent = mark.sensitive ? data.sensitive_label : mark.node;
      block.addEventListener("click", () => seek(from, true));
      pathBox.appendChild(block);
    });
  }

  /* --- the player --------------------------------------------------------------------- */

  function unavailable(message) {
    say(`Audio not available: ${message}`);
    if (state) state.className = "notice";
    const wave = document.getElementById("qa-waveform");
    if (wave) wave.hidden = true;
    [playButton, backButton, forwardButton].forEach((b) => { if (b) b.disabled = true; });
    player = null;
  }

  function showPlaying(playing) {
    if (!playButton) return;
    playButton.textContent = playing ? "Pause" : "Play";
    playButton.setAttribute("aria-pressed", playing ? "true" : "false");
  }

  async function peaks() {
    const response = await fetch(data.peaks_url, {headers: {Accept: "application/json"}});
    let body = null;
    try {
      body = await response.json();
    } catch (error) {
      body = null;
    }
    if (!response.ok || !body || !Array.isArray(body.peaks)) {
      throw new Error((body && body.message) || `the server answered ${response.status}`);
    }
    return body;
  }

  async function setUp() {
    drawPath();
    moved(pending);
    if (!data.audio_url || typeof WaveSurfer === "undefined") return;
    let wave;
    try {
      wave = await peaks();
    } catch (error) {
      unavailable(error.message);
      return;
    }
    duration = wave.duration || duration;
    if (durationText) durationText.textContent = clock(duration);
    drawPath();
    const media = new Audio();
    media.preload = "metadata";
    const regions = WaveSurfer.Regions.create();
    const colours = [
      {waveColor: "#0b5cad", progressColor: "#06325e"},
      {waveColor: "#1a7f37", progressColor: "#0b4019"},
    ];
    const surfer = WaveSurfer.create({
      container: "#qa-waveform",
      media,
      url: data.audio_url,
      peaks: wave.peaks,
      duration,
      height: 56,
      waveColor: colours[0].waveColor,
      progressColor: colours[0].progressColor,
      splitChannels: wave.channels > 1 ? colours.slice(0, wave.channels) : undefined,
      cursorColor: "#1b1f24",
      cursorWidth: 2,
      normalize: true,
      cspNonce: card ? card.dataset.cspNonce : undefined,
      plugins: [WaveSurfer.Timeline.create({container: "#qa-ruler", height: 18}), regions],
    });
    surfer.on("ready", () => {
      player = surfer;
      data.path.filter((mark) => mark.sensitive && mark.end > 0).forEach((mark) => {
        regions.addRegion({
          start: Math.max(0, mark.start), end: Math.min(duration, mark.end),
          content: data.sensitive_label, color: "rgba(138, 28, 18, 0.22)",
          drag: false, resize: false,
        });
      });
      say("Ready to play.");
      if (pending) surfer.setTime(pending);
    });
    surfer.on("timeupdate", (seconds) => moved(seconds));
    surfer.on("play", () => showPlaying(true));
    surfer.on("pause", () => showPlaying(false));
    surfer.on("finish", () => showPlaying(false));
    surfer.on("error", (error) => unavailable(String((error && error.message) || error)));
  }

  if (playButton) playButton.addEventListener("click", () => {
    if (!player) return;
    if (player.isPlaying()) player.pause(); else start();
  });
  if (backButton) backButton.addEventListener("click", () => {
    if (player) seek(player.getCurrentTime() - 5, false);
  });
  if (forwardButton) forwardButton.addEventListener("click", () => {
    if (player) seek(player.getCurrentTime() + 5, false);
  });

  setUp();
})();
