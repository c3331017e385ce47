// Starts Swagger UI on /v1/documentation (a file, since the CSP allows no inline script).
/* global SwaggerUIBundle */
window.ui = SwaggerUIBundle({
  url: "/v1/swagger.json",
  dom_id: "#swagger-ui",
  layout: "BaseLayout",
  deepLinking: true,
  showExtensions: true,
  presets: [SwaggerUIBundle.presets.apis],
});
