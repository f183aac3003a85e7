// Starts Swagger UI on /docs from the app's own copy (no CDN, no inline script: see api/api_docs.py).
window.ui = SwaggerUIBundle({
  url: "/openapi.json",
  dom_id: "#swagger-ui",
  layout: "BaseLayout",
  // Deep links put an <a> inside each operation's summary <button>: controls nested in a control
  // (axe "nested-interactive", serious) that screen readers and keyboards cannot reach apart.
  deepLinking: false,
  showExtensions: true,
  showCommonExtensions: true,
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset],
});
