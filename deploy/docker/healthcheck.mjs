// The images' HEALTHCHECK: healthy when GET /healthz answers 2xx on HEALTH_PORT, on PORT, or on one of the default
// ports given as arguments (results-api serve answers on PORT, everything else on HEALTH_PORT).
const ports = [process.env.HEALTH_PORT, process.env.PORT, ...process.argv.slice(2)].filter(
  (port) => port !== undefined && /^[1-9][0-9]*$/.test(port),
);
for (const port of new Set(ports)) {
  try {
    const response = await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(3000) });
    if (response.ok) process.exit(0);
  } catch {
    // not listening on this port: try the next
  }
}
process.exit(1);
