// The e2e test functions (functions.js, official JS SDK) served over https
// by Node's https server, or over plain http on a Unix socket: what
// test_tls_and_unix.py calls `statefun dev`'s function client against.
//
// Environment:
//   TLS_CERT, TLS_KEY  PEM server certificate and key: serve https on
//                      HOST (default 127.0.0.1) and PORT
//   TLS_CLIENT_CA      also demand a client certificate signed by this CA
//   SOCKET             instead: serve plain http on this Unix socket file
"use strict";

const fs = require("fs");
const http = require("http");
const https = require("https");
const { StateFun } = require("apache-flink-statefun");
const { bindAll } = require("./functions");

const statefun = new StateFun();
bindAll(statefun);
const handler = statefun.handler();

if (process.env.SOCKET) {
  const socket = process.env.SOCKET;
  fs.rmSync(socket, { force: true });
  http.createServer(handler).listen(socket, () => {
    console.log(`e2e functions listening on ${socket}`);
  });
} else {
  const options = {
    cert: fs.readFileSync(process.env.TLS_CERT),
    key: fs.readFileSync(process.env.TLS_KEY),
  };
  if (process.env.TLS_CLIENT_CA) {
    options.ca = fs.readFileSync(process.env.TLS_CLIENT_CA);
    options.requestCert = true;
    options.rejectUnauthorized = true;
  }
  const server = https.createServer(options, handler);
  // Say why a handshake failed, so a test log shows the server's side too.
  server.on("tlsClientError", (error) => console.log(`tls client error: ${error.message}`));
  const port = Number(process.env.PORT);
  const host = process.env.HOST || "127.0.0.1";
  server.listen(port, host, () => console.log(`e2e functions listening on https://${host}:${port}`));
}
