/* The pipeline board's drag and drop (Accord's own; no library).

   A card dragged to another column (native HTML5 drag and drop) is sent to the move
   URL of its card, as its "Move to…" form would send it, asking for JSON. A drop on a
   won or lost stage first asks for the reason in a dialog. On success the card stays
   in its new column and every column header takes the counts and totals the server
   sends back; on a refusal (another plugin's veto, a stale version, a rule) the card
   goes back where it was and the message is shown in the page's alert. Without this
   script the forms do the same with a page load. */
(function () {
  "use strict";

  var board = document.querySelector("[data-board][data-may-move]");
  if (!board) { return; }
  var alertBox = document.getElementById("board-alert");
  var statusBox = document.getElementById("board-status");
  var token = document.getElementById("board-csrf").value;
  var dialog = document.getElementById("board-reason");
  var dragged = null;
  var origin = null;
  var originNext = null;

  function say(box, className, message) {
    alertBox.textContent = "";
    statusBox.textContent = "";
    var line = document.createElement("p");
    line.className = className;
    line.textContent = message;
    box.appendChild(line);
  }

  function columnOf(node) {
    return node && node.closest ? node.closest(".board-column") : null;
  }

  function putBack(card, from, next) {
    if (next && next.parentNode === from) {
      from.insertBefore(card, next);
    } else {
      from.appendChild(card);
    }
  }

  function updateHeaders(columns) {
    columns.forEach(function (column) {
      board.querySelectorAll(".board-column").forEach(function (node) {
        if (node.dataset.stage === column.stage) {
          node.querySelector(".board-count").textContent = column.count_text;
          node.querySelector(".board-sum").textContent = column.total_text;
        }
      });
    });
  }

  /* The card's "Move to…" choices: every stage but the one it is in now. */
  function updateChoices(card, stage) {
    var select = card.querySelector("select[name=stage]");
    var version = card.querySelector("input[name=version]");
    if (version) { version.value = card.dataset.version; }
    if (!select) { return; }
    select.textContent = "";
    board.querySelectorAll(".board-column").forEach(function (node) {
      if (node.dataset.stage !== stage) {
        var option = document.createElement("option");
        option.value = node.dataset.stage;
        option.textContent = node.dataset.stage;
        select.appendChild(option);
      }
    });
  }

  function send(card, column, from, next, reason) {
    var stage = column.dataset.stage;
    var body = new FormData();
    body.append("stage", stage);
    body.append("version", card.dataset.version);
    body.append("reason", reason || "");
    card.setAttribute("aria-busy", "true");
    fetch(card.dataset.moveUrl, {
      method: "POST", body: body, credentials: "same-origin",
      headers: { "Accept": "application/json", "X-CSRF-Token": token }
    }).then(function (response) {
      return response.json().then(function (data) { return { ok: response.ok, data: data }; },
        function () { return { ok: false, data: { message: "The server answered " + response.status + "; reload the page." } }; });
    }).then(function (answer) {
      card.removeAttribute("aria-busy");
      if (answer.ok && answer.data.ok) {
        card.dataset.version = String(answer.data.version);
        updateChoices(card, answer.data.stage);
        updateHeaders(answer.data.columns);
        say(statusBox, "flash", answer.data.message);
      } else {
        putBack(card, from, next);
        say(alertBox, "error", answer.data.message);
      }
      card.querySelector(".board-title").focus();
    }, function () {
      card.removeAttribute("aria-busy");
      putBack(card, from, next);
      say(alertBox, "error", "The move could not be sent (no connection?); the card is back in its column.");
    });
  }

  /* Ask why a deal was won or lost; null when the user cancels. */
  function askReason(card, column, done) {
    if (!dialog || typeof dialog.showModal !== "function") { done(""); return; }
    var kind = column.dataset.kind;
    dialog.querySelector("h2").textContent = "Move “" + card.dataset.name + "” to " + column.dataset.stage;
    dialog.querySelector("label").textContent = kind === "lost"
      ? "Why was it lost?" : "Why was it won? (optional unless competitors contested it)";
    var text = dialog.querySelector("textarea");
    text.value = "";
    dialog.returnValue = "";
    dialog.addEventListener("close", function closed() {
      dialog.removeEventListener("close", closed);
      done(dialog.returnValue === "move" ? text.value.trim() : null);
    });
    dialog.showModal();
    text.focus();
  }

  board.addEventListener("dragstart", function (event) {
    var card = event.target.closest ? event.target.closest(".board-card") : null;
    if (!card) { return; }
    dragged = card;
    origin = card.parentNode;
    originNext = card.nextElementSibling;
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", card.dataset.id);
    card.classList.add("is-dragging");
  });

  board.addEventListener("dragend", function () {
    dragged = null;
    board.querySelectorAll(".is-dragging, .is-over").forEach(function (node) {
      node.classList.remove("is-dragging", "is-over");
    });
  });

  board.addEventListener("dragover", function (event) {
    var column = columnOf(event.target);
    if (!dragged || !column || column === columnOf(origin)) { return; }
    event.preventDefault();
    event.dataTransfer.dropEffect = "move";
    column.classList.add("is-over");
  });

  board.addEventListener("dragleave", function (event) {
    var column = columnOf(event.target);
    if (column && !column.contains(event.relatedTarget)) { column.classList.remove("is-over"); }
  });

  board.addEventListener("drop", function (event) {
    var column = columnOf(event.target);
    if (!dragged || !column) { return; }
    event.preventDefault();
    column.classList.remove("is-over");
    var card = dragged;
    var from = origin;
    var next = originNext;
    dragged = null;
    if (column === columnOf(from)) { return; }
    column.querySelector(".board-cards").appendChild(card);
    var kind = column.dataset.kind;
    if (kind === "won" || kind === "lost") {
      askReason(card, column, function (reason) {
        if (reason === null) {
          putBack(card, from, next);
          say(statusBox, "flash", "Not moved: “" + card.dataset.name + "” stays in " + columnOf(from).dataset.stage + ".");
        } else {
          send(card, column, from, next, reason);
        }
      });
    } else {
      send(card, column, from, next, "");
    }
  });
}());
