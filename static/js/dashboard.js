// The supervisor dashboard's aging chart; its numbers come from the page's json_script block.
(function () {
  var el = document.getElementById("aging-chart");
  if (!el || !window.Chart) return;
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
})();
