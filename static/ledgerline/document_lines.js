/* Invoice and quote pages: line and document totals as the lines change, and a picked product
   filling its line in. Plain JS, no build step. The server still decides on save (billing
   services); these figures follow contract section 8: the discount is shared over the lines in
   proportion to their subtotals (cents rounded half-up, the remainder on the largest line) and
   tax is computed per line on the discounted amount. */
(function () {
  "use strict";

  function cents(text) {
    var value = parseFloat(String(text || "").replace(/,/g, ""));
    return isFinite(value) ? value : null;
  }

  function halfUp(value) {
    // Integer cents, half away from zero; the tiny nudge absorbs binary float noise.
    var sign = value < 0 ? -1 : 1;
    return sign * Math.round(Math.abs(value) + 1e-7);
  }

  function currencyOf() {
    // The document's own currency: the form's choice, else the one it was saved with.
    var select = document.querySelector("select[name='currency']");
    if (select && select.value) return select.value;
    var shown = document.querySelector(".field-currency .readonly");
    var code = shown && shown.textContent.trim();
    if (code && /^[A-Z]{3}$/.test(code)) return code;
    return document.body.getAttribute("data-ll-currency") || "USD";
  }

  function money(centsValue) {
    var currency = currencyOf();
    try {
      return new Intl.NumberFormat("en-US", { style: "currency", currency: currency }).format(
        centsValue / 100
      );
    } catch (e) {
      return (centsValue / 100).toFixed(2);
    }
  }

  function itemRows(group) {
    // One row per line: unfold wraps each in a tbody (the stock admin: a tr with an id).
    var rows = group.querySelectorAll("tbody.form-group, tr.form-row[id^='items-']");
    return Array.prototype.filter.call(rows, function (row) {
      return !row.classList.contains("empty-form") && !row.closest(".empty-form") &&
        row.querySelector("[name$='-qty']") && !/__prefix__/.test(row.querySelector("[name$='-qty']").name);
    });
  }

  function rowOf(element) {
    return element.closest("tbody.form-group") || element.closest("tr");
  }

  function field(row, name) {
    return row.querySelector("[name$='-" + name + "']");
  }

  function cell(row, name) {
    var td = row.querySelector("td.field-" + name);
    if (!td) return null;
    return td.querySelector(".readonly") || td.querySelector("p") || td;
  }

  function computeLines(rows, discountCents) {
    var lines = rows.map(function (row) {
      var deleted = field(row, "DELETE");
      var qty = cents(field(row, "qty") && field(row, "qty").value);
      var price = cents(field(row, "amount") && field(row, "amount").value);
      var rate = cents(field(row, "tax_rate") && field(row, "tax_rate").value) || 0;
      var live = !(deleted && deleted.checked) && qty !== null && price !== null;
      var subtotal = live ? halfUp(qty * price * 100) : 0;
      return { row: row, live: live, subtotal: subtotal, rate: rate, share: 0, tax: 0 };
    });
    var subtotal = lines.reduce(function (sum, line) { return sum + line.subtotal; }, 0);
    var discount = Math.min(Math.max(discountCents, 0), subtotal);
    if (subtotal > 0 && discount > 0) {
      var shared = 0, largest = null;
      lines.forEach(function (line) {
        if (!line.live) return;
        line.share = halfUp((discount * line.subtotal) / subtotal);
        shared += line.share;
        if (largest === null || line.subtotal > largest.subtotal) largest = line;
      });
      if (largest) largest.share += discount - shared;
    }
    var tax = 0;
    lines.forEach(function (line) {
      line.tax = line.live ? halfUp(((line.subtotal - line.share) * line.rate) / 100) : 0;
      tax += line.tax;
    });
    return { lines: lines, subtotal: subtotal, discount: discount, tax: tax, total: subtotal - discount + tax };
  }

  function totalsBox(group) {
    var box = document.getElementById("ll-doc-totals");
    if (!box) {
      box = document.createElement("dl");
      box.id = "ll-doc-totals";
      box.className = "ll-doc-totals";
      box.setAttribute("aria-live", "polite");
      group.parentNode.insertBefore(box, group.nextSibling);
    }
    return box;
  }

  function render(group) {
    var discountInput = document.getElementById("id_discount");
    var discount = halfUp((cents(discountInput && discountInput.value) || 0) * 100);
    var rows = itemRows(group);
    if (!rows.length && !group.querySelector(".empty-form")) {
      // Lines that can no longer change (an issued invoice): their saved figures stand.
      return;
    }
    var result = computeLines(rows, discount);
    result.lines.forEach(function (line) {
      var sub = cell(line.row, "line_subtotal_shown");
      var tax = cell(line.row, "line_tax_shown");
      if (sub) sub.textContent = line.live ? money(line.subtotal) : "-";
      if (tax) tax.textContent = line.live ? money(line.tax) : "-";
    });
    var box = totalsBox(group);
    box.innerHTML =
      "<dt>Subtotal</dt><dd id='ll-live-subtotal'>" + money(result.subtotal) + "</dd>" +
      "<dt>Discount</dt><dd id='ll-live-discount'>" + (result.discount ? "-" : "") + money(result.discount) + "</dd>" +
      "<dt>Tax</dt><dd id='ll-live-tax'>" + money(result.tax) + "</dd>" +
      "<dt class='ll-grand'>Total</dt><dd class='ll-grand' id='ll-live-total'>" + money(result.total) + "</dd>";
  }

  function productDefaultsUrl(productId) {
    var root = window.location.pathname.split("/billing/")[0];
    return root + "/billing/product/" + encodeURIComponent(productId) + "/line-defaults/";
  }

  function fillFromProduct(select, group) {
    var row = rowOf(select);
    select.setAttribute("data-ll-filled", select.value);
    if (!row || !select.value) return;
    fetch(productDefaultsUrl(select.value), { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (product) {
        if (!product) return;
        var description = field(row, "description");
        var amount = field(row, "amount");
        var taxRate = field(row, "tax_rate");
        var qty = field(row, "qty");
        if (description) description.value = product.description;
        if (amount) amount.value = product.amount;
        if (taxRate) taxRate.value = product.tax_rate;
        if (qty && !qty.value) qty.value = "1";
        render(group);
      });
  }

  function start() {
    var group = document.getElementById("items-group");
    // Frozen lines (an issued invoice) have no inputs: the saved totals above are the figures.
    if (!group || !group.querySelector("[name$='-qty']")) return;
    var form = group.closest("form") || document;
    form.addEventListener("input", function () { render(group); });
    form.addEventListener("change", function (event) {
      if (event.target.name && /-product$/.test(event.target.name)) checkProducts();
      render(group);
    });
    // The product picker is select2, whose "change" is a jQuery event that native listeners
    // never hear: a picked product is noticed by comparing each picker with what it last filled.
    function checkProducts() {
      itemRows(group).forEach(function (row) {
        var select = field(row, "product");
        if (select && select.value && select.getAttribute("data-ll-filled") !== select.value) {
          fillFromProduct(select, group);
        }
      });
    }
    itemRows(group).forEach(function (row) {
      var select = field(row, "product");
      if (select) select.setAttribute("data-ll-filled", select.value);  // saved lines keep theirs
    });
    window.setInterval(checkProducts, 400);
    document.addEventListener("formset:added", function () { render(group); });
    document.addEventListener("formset:removed", function () { render(group); });
    render(group);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
