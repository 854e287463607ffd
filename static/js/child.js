// The child view: one question per screen, read aloud where the device can speak.
//
// The page holds every step (start, a question per area, the check-back, the plan,
// done) and shows the one named in the address (#q-trygghet); without JavaScript CSS
// :target does the same. Answers are ordinary board forms, saved over the live
// connection by board.js, so moving between steps never waits for the network and
// nothing the child typed is lost on the way.

import "./board.js";

const steps = [...document.querySelectorAll(".child-step")];
const start = document.getElementById("start");
const canSpeak = "speechSynthesis" in window && typeof SpeechSynthesisUtterance === "function";

function show(moveFocus) {
  const id = decodeURIComponent(location.hash.slice(1));
  const target = steps.find((s) => s.id === id) || start;
  for (const s of steps) {
    s.hidden = s !== target;
    s.classList.toggle("is-active", s === target);
  }
  if (canSpeak) speechSynthesis.cancel();
  if (!moveFocus) return;
  // A new screen: start reading (and tabbing) at its heading, at the top.
  window.scrollTo(0, 0);
  const h = target.querySelector("h1, h2");
  if (h) h.focus();
}

window.addEventListener("hashchange", () => show(true));
show(false);

// ---------------------------------------------------------------------------------------
// Reading aloud with the browser's own speech synthesis: buttons name the elements to
// read; a group of choices is read as its legend and its choices.

function textOf(el) {
  if (el.tagName === "FIELDSET") {
    const legend = el.querySelector("legend");
    const choices = [...el.querySelectorAll("label")].map((l) => l.textContent.trim()).filter(Boolean);
    return (legend ? legend.textContent.trim() + ": " : "") + choices.join(", ");
  }
  return el.textContent.trim();
}

function voiceFor(lang) {
  const want = lang.toLowerCase();
  const voices = speechSynthesis.getVoices();
  return voices.find((v) => v.lang.toLowerCase() === want) ||
    voices.find((v) => v.lang.toLowerCase().split("-")[0] === want.split("-")[0]) || null;
}

function speak(ids) {
  speechSynthesis.cancel();
  const text = ids.map((id) => document.getElementById(id)).filter(Boolean).map(textOf).join(". ");
  if (!text) return;
  const u = new SpeechSynthesisUtterance(text);
  u.lang = document.documentElement.lang;
  const v = voiceFor(u.lang);
  if (v) u.voice = v;
  u.rate = 0.9; // a little slower than an adult reads to adults
  speechSynthesis.speak(u);
}

if (canSpeak) {
  for (const b of document.querySelectorAll("button[data-speak]")) {
    b.hidden = false;
    b.addEventListener("click", () => speak(b.dataset.speak.split(/\s+/)));
  }
}
