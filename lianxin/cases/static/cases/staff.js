/* Staff pages of requests: pick a resident found by name on the filing form. */
document.addEventListener("click", function (event) {
  var button = event.target.closest("[data-pick-resident]");
  if (!button) return;
  var form = button.closest("form");
  form.querySelector("[name=resident]").value = button.dataset.pickResident;
  var name = form.querySelector("[name=name]");
  if (name && !name.value) name.value = button.dataset.name;
  var place = form.querySelector("[name=place]");
  if (place && button.dataset.place) {
    var option = place.querySelector('option[value="' + button.dataset.place + '"]');
    if (!option) {
      // The resident's building was not among the options drawn (many places): add it.
      option = new Option(button.dataset.placeName || "", button.dataset.place);
      place.appendChild(option);
    }
    place.value = button.dataset.place;
  }
  var chosen = document.getElementById("resident-chosen");
  if (chosen) chosen.textContent = "已关联：" + button.textContent.trim();
  var results = document.getElementById("resident-results");
  if (results) results.innerHTML = "";
});
