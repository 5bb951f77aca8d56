// Package server is the composition root: it turns a configuration into a
// store, the services and the transports, wraps them in the request
// middleware, and runs the HTTP server until its context ends.
package server
