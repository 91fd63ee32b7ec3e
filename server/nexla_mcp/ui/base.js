// Minimal MCP Apps view runtime: handshake with the host, render each tool result, call tools through the host.
(function () {
  let nextId = 1;
  const pending = new Map();
  function send(message) { window.parent.postMessage(message, "*"); }
  function request(method, params) {
    const id = nextId++;
    send({ jsonrpc: "2.0", id, method, params });
    return new Promise((resolve, reject) => pending.set(id, { resolve, reject }));
  }
  function esc(value) {
    return String(value ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
  }
  window.nexlaView = {
    esc,
    // Data comes from the server's tools through the host, never from the model.
    callTool: (name, args) => request("tools/call", { name, arguments: args || {} }),
    start(render) {
      window.addEventListener("message", (event) => {
        const message = event.data || {};
        if (message.id !== undefined && pending.has(message.id)) {
          const waiter = pending.get(message.id);
          pending.delete(message.id);
          message.error ? waiter.reject(message.error) : waiter.resolve(message.result);
          return;
        }
        if (message.method === "ui/notifications/tool-result") {
          const result = message.params || {};
          document.getElementById("app").innerHTML = result.structuredContent
            ? render(result.structuredContent)
            : "<p class=empty>No structured result to show.</p>";
          document.body.dataset.rendered = "true";
        }
      });
      request("ui/initialize", {
        appInfo: { name: "nexla-data-flows-operator", version: "0.1.0" },
        appCapabilities: {},
        protocolVersion: "2026-01-26",
      }).then(() => send({ jsonrpc: "2.0", method: "ui/notifications/initialized", params: {} }));
    },
  };
})();
