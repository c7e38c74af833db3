// The HTTP server.
