/* Draws each chart from the ECharts option the server wrote beside it; the table under
   the chart has the same numbers, so the page says everything without this script. */
(function () {
  var charts = [];
  document.querySelectorAll("[data-chart]").forEach(function (box) {
    var option = JSON.parse(document.getElementById(box.getAttribute("data-chart")).textContent);
    var chart = echarts.init(box, box.hasAttribute("data-dark") ? "dark" : null, { renderer: "svg" });
    chart.setOption(option);
    charts.push(chart);
  });
  window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
})();
