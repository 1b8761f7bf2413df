// Sortable leaderboard tables: click a column header to sort by it, again to reverse.
// Served from the service's own static path (CSP script-src 'self'); no inline script.
"use strict";

function sortTable(table, index, kind, descending) {
  const body = table.tBodies[0];
  const rows = Array.from(body.rows).filter((r) => !r.classList.contains("empty"));
  const value = (row) => {
    const cell = row.cells[index];
    const raw = cell ? cell.getAttribute("data-value") || cell.textContent : "";
    if (kind === "number") {
      const n = parseFloat(raw);
      return Number.isNaN(n) ? -Infinity : n;
    }
    return raw.toLowerCase();
  };
  rows.sort((a, b) => {
    const x = value(a), y = value(b);
    const order = x < y ? -1 : x > y ? 1 : 0;
    return descending ? -order : order;
  });
  rows.forEach((r) => body.appendChild(r));
}

document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("table.sortable").forEach((table) => {
    const headers = Array.from(table.tHead ? table.tHead.rows[0].cells : []);
    headers.forEach((th, index) => {
      const kind = th.getAttribute("data-kind");
      if (!kind) return;
      th.classList.add("sort");
      th.setAttribute("tabindex", "0");
      th.addEventListener("click", () => {
        const descending = th.getAttribute("aria-sort") !== "descending";
        headers.forEach((h) => h.removeAttribute("aria-sort"));
        th.setAttribute("aria-sort", descending ? "descending" : "ascending");
        sortTable(table, index, kind, descending);
      });
    });
  });
});
