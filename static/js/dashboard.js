// The supervisor dashboard's charts; their numbers come from the page's json_script blocks (no inline scripts).
(function () {
  if (!window.Chart) return;
  var el = document.getElementById("aging-chart");
  if (el) {
    var data = JSON.parse(document.getElementById("aging-data").textContent);
    new Chart(el, {
      type: "bar",
      data: {labels: data.labels, datasets: [
        {label: data.count_label, data: data.counts, yAxisID: "y", backgroundColor: "#1f6feb"},
        {label: data.balance_label, data: data.balances, yAxisID: "y1", backgroundColor: "#bf8700"}
      ]},
      options: {maintainAspectRatio: false, scales: {y: {beginAtZero: true, position: "left"},
        y1: {beginAtZero: true, position: "right", grid: {drawOnChartArea: false}}}}
    });
  }
  var trend = document.getElementById("trend-chart");
  if (trend) {
    var t = JSON.parse(document.getElementById("trend-data").textContent);
    var colours = ["#1f6feb", "#bf8700", "#1a7f37", "#cf222e", "#8250df", "#0a7ea4", "#d4a72c", "#57606a"];
    var sets = [{label: t.total_label, data: t.total, borderColor: "#24292f", borderWidth: 3, tension: 0.2}];
    t.lines.forEach(function (line, i) {
      sets.push({label: line.label, data: line.values, borderColor: colours[i % colours.length], tension: 0.2});
    });
    new Chart(trend, {type: "line", data: {labels: t.labels, datasets: sets},
      options: {maintainAspectRatio: false, scales: {y: {beginAtZero: true}}}});
  }
})();
