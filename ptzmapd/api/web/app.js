// ptzmapd's web page: camera tiles, a virtual joystick and a zoom rocker, live over /api/ws.
// No build step, no external assets. What the page moves it keeps repeating while a finger
// holds it (the daemon stops a move that is not repeated within api.hold), and it lets go of
// everything the moment the connection is lost; the daemon stops whatever a closed socket moved.
// A connection can die without closing (a dropped Wi-Fi): the page pings the daemon while
// connected, and a command or ping left unanswered for ANSWER_MS counts as a lost connection.
"use strict";

const TOKEN_KEY = "ptzmapd-token";
const REPEAT_MS = 200;      // a held move is sent again this often (api.hold is 0.5 s by default)
const SEND_MS = 40;         // at most 25 move messages a second while dragging
const ANSWER_MS = 1500;     // a command unanswered this long: the connection is lost
const PING_MS = 500;        // while connected, the daemon is asked this often whether it answers
const FINE = 0.25;          // fine mode: speeds times this
const DEADZONE = 0.08;      // a finger resting near the middle asks for nothing
const PRESETS = 9;

let token = localStorage.getItem(TOKEN_KEY) || "";
let ws = null;
let state = null;
let fine = false;
const motion = { pan: 0, tilt: 0, zoom: 0 };
let repeatTimer = null;
let sendTimer = null;
let lastSent = 0;
let unansweredSince = null;
let watchdog = null;

const $ = (id) => document.getElementById(id);

// ---------------------------------------------------------------- connection

async function start() {
  let response;
  try {
    response = await fetch("/api/state", { headers: token ? { Authorization: "Bearer " + token } : {} });
  } catch (error) {
    showLost("no answer from ptzmapd");
    setTimeout(start, 2000);
    return;
  }
  if (response.status === 401) {
    askToken(Boolean(token));
    return;
  }
  connect();
}

function askToken(refused) {
  $("token-error").hidden = !refused;
  $("token-form").hidden = false;
  $("token-input").focus();
}

$("token-form").addEventListener("submit", (event) => {
  event.preventDefault();
  token = $("token-input").value.trim();
  localStorage.setItem(TOKEN_KEY, token);
  $("token-form").hidden = true;
  start();
});

function connect() {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  const query = token ? "?token=" + encodeURIComponent(token) : "";
  const socket = new WebSocket(`${scheme}//${location.host}/api/ws${query}`);
  ws = socket;
  socket.onopen = () => {
    unansweredSince = null;
    clearInterval(watchdog);
    watchdog = setInterval(() => { if (answering()) send({ cmd: "ping" }); }, PING_MS);
    const banner = $("connection");
    banner.textContent = "connected";
    banner.className = "up";
  };
  socket.onmessage = (event) => {
    let message;
    try { message = JSON.parse(event.data); } catch (error) { return; }
    if ("reply" in message) {
      unansweredSince = null;
      if (!message.ok) console.warn("ptzmapd refused", message.reply, message.error, message.valid);
      return;
    }
    state = state === null ? message : merge(state, message);
    render();
  };
  socket.onclose = () => {
    if (ws === socket) lose("connection lost: reconnecting…");
  };
}

// The connection is gone (closed, or silent): say so, let go, and connect again.
function lose(why) {
  const socket = ws;
  ws = null;  // a late onclose of this socket is not a second loss
  state = null;
  unansweredSince = null;
  clearInterval(watchdog);
  watchdog = null;
  if (socket !== null) socket.close();
  showLost(why);
  setTimeout(start, 1000);
}

// Whether the daemon still answers: false (the connection given up) once a command or ping
// has waited ANSWER_MS for its reply.
function answering() {
  if (unansweredSince !== null && performance.now() - unansweredSince > ANSWER_MS) {
    lose("no answer from ptzmapd: reconnecting…");
    return false;
  }
  return true;
}

function showLost(why) {
  const banner = $("connection");
  banner.textContent = why;
  banner.className = "down";
  letGo();
}

function send(command) {
  if (ws === null || ws.readyState !== WebSocket.OPEN) return false;
  ws.send(JSON.stringify(command));
  if (unansweredSince === null) unansweredSince = performance.now();  // every command is answered
  return true;
}

// What a push changed, merged into the state: null removes an entry (a camera that went).
function merge(target, changes) {
  for (const [key, value] of Object.entries(changes)) {
    const old = target[key];
    if (value === null && old !== null && typeof old === "object") delete target[key];
    else if (value !== null && typeof value === "object" && !Array.isArray(value) && old && typeof old === "object") merge(old, value);
    else target[key] = value;
  }
  return target;
}

// ---------------------------------------------------------------- tiles

function render() {
  const cameras = state.cameras || {};
  const box = $("cameras");
  for (const tile of [...box.children]) {
    if (!(tile.dataset.camera in cameras)) tile.remove();
  }
  for (const [name, camera] of Object.entries(cameras)) {
    let tile = box.querySelector(`[data-camera="${CSS.escape(name)}"]`);
    if (tile === null) box.append(tile = makeTile(name));
    tile.classList.toggle("selected", Boolean(camera.selected));
    tile.classList.toggle("offline", !camera.online);
    tile.classList.toggle("tally-program", camera.tally === "program");
    tile.classList.toggle("tally-preview", camera.tally === "preview");
    tile.querySelector(".online").textContent = camera.online ? (camera.moving ? "moving" : "online") : "OFFLINE";
  }
  $("selected-name").textContent = state.selected ? "selected: " + state.selected : "";
  renderSwitchers(state.switchers || {});
}

function makeTile(name) {
  const tile = $("tile").content.firstElementChild.cloneNode(true);
  tile.dataset.camera = name;
  const title = tile.querySelector(".name");
  title.textContent = name;
  title.addEventListener("click", () => send({ cmd: "select", camera: name }));
  const store = tile.querySelector(".store");
  store.addEventListener("click", () => setStoring(tile, store.getAttribute("aria-pressed") !== "true"));
  const presets = tile.querySelector(".presets");
  for (let number = 1; number <= PRESETS; number++) {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "preset";
    button.dataset.preset = String(number);
    button.textContent = String(number);
    button.addEventListener("click", () => {
      const storing = store.getAttribute("aria-pressed") === "true";
      send({ cmd: "preset", camera: name, preset: number, store: storing });
      if (storing) setStoring(tile, false);  // one store per arming: a second tap recalls
    });
    presets.append(button);
  }
  return tile;
}

function setStoring(tile, on) {
  tile.querySelector(".store").setAttribute("aria-pressed", String(on));
  tile.classList.toggle("storing", on);
}

function renderSwitchers(switchers) {
  const box = $("switchers");
  box.replaceChildren();
  for (const [name, switcher] of Object.entries(switchers)) {
    const words = (value) => Array.isArray(value) ? value.join(", ") : (value ?? "–");
    for (const bus of ["program", "preview"]) {
      const span = document.createElement("span");
      span.className = "bus " + bus;
      const lost = switcher.connected === false ? " (lost)" : "";
      span.textContent = `${name} ${bus === "program" ? "PGM" : "PVW"}: ${words(switcher[bus + "_name"] ?? switcher[bus])}${lost}`;
      box.append(span);
    }
  }
}

// ---------------------------------------------------------------- motion

function round(value) { return Math.round(value * 100) / 100; }

function sendMotion() {
  clearTimeout(sendTimer);
  sendTimer = null;
  const wait = SEND_MS - (performance.now() - lastSent);
  if (wait > 0) {  // newest wins: the value sent is whatever the finger says then
    sendTimer = setTimeout(sendMotion, wait);
    return;
  }
  lastSent = performance.now();
  const factor = fine ? FINE : 1;
  send({ cmd: "move", camera: "selected", pan: round(motion.pan * factor),
         tilt: round(motion.tilt * factor), zoom: round(motion.zoom * factor) });
  const active = motion.pan || motion.tilt || motion.zoom;
  if (active && repeatTimer === null) repeatTimer = setInterval(repeatMotion, REPEAT_MS);
  if (!active && repeatTimer !== null) { clearInterval(repeatTimer); repeatTimer = null; }
}

function repeatMotion() {
  if (answering()) sendMotion();
}

function letGo() {
  motion.pan = motion.tilt = motion.zoom = 0;
  clearInterval(repeatTimer);
  clearTimeout(sendTimer);
  repeatTimer = sendTimer = null;
  $("knob").style.transform = "";
  $("zoom-knob").style.transform = "";
}

// A pad the finger drags: ``update(x, y)`` with the offset from its middle in -1..1 each.
function pad(element, update, release) {
  const at = (event) => {
    const box = element.getBoundingClientRect();
    return [(event.clientX - box.left) / box.width * 2 - 1, (event.clientY - box.top) / box.height * 2 - 1];
  };
  element.addEventListener("pointerdown", (event) => {
    element.setPointerCapture(event.pointerId);
    update(...at(event));
    event.preventDefault();
  });
  element.addEventListener("pointermove", (event) => {
    if (element.hasPointerCapture(event.pointerId)) update(...at(event));
  });
  for (const type of ["pointerup", "pointercancel", "lostpointercapture"]) element.addEventListener(type, release);
}

pad($("joystick"), (x, y) => {
  const length = Math.hypot(x, y);
  if (length > 1) { x /= length; y /= length; }
  const live = Math.hypot(x, y) > DEADZONE;
  motion.pan = live ? x : 0;
  motion.tilt = live ? -y : 0;  // up on the screen is tilt up
  const half = $("joystick").clientWidth / 2;
  $("knob").style.transform = `translate(${x * half}px, ${y * half}px)`;
  sendMotion();
}, () => {
  if (!motion.pan && !motion.tilt && $("knob").style.transform === "") return;
  motion.pan = motion.tilt = 0;
  $("knob").style.transform = "";
  sendMotion();
});

pad($("zoom"), (x, y) => {
  y = Math.max(-1, Math.min(1, y));
  motion.zoom = Math.abs(y) > DEADZONE ? -y : 0;  // up is tele
  $("zoom-knob").style.transform = `translateY(${y * ($("zoom").clientHeight / 2 - 20)}px)`;
  sendMotion();
}, () => {
  if (!motion.zoom && $("zoom-knob").style.transform === "") return;
  motion.zoom = 0;
  $("zoom-knob").style.transform = "";
  sendMotion();
});

$("fine").addEventListener("click", () => {
  fine = !fine;
  $("fine").setAttribute("aria-pressed", String(fine));
  if (motion.pan || motion.tilt || motion.zoom) sendMotion();
});

$("stop").addEventListener("click", () => {
  letGo();
  send({ cmd: "stop", camera: "selected" });
});

// A phone put away or a tab left: what the page moves stops.
document.addEventListener("visibilitychange", () => {
  if (document.hidden && (motion.pan || motion.tilt || motion.zoom)) { letGo(); sendMotion(); }
});

start();
