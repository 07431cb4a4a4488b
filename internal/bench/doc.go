// Package bench holds the load scenarios of "nimbus bench": connect,
// sessions, rpc, fanout, intro and udp-baseline. Each is a function taking
// a configuration struct and returning a result struct, so that tests run
// them in-process for a second and the command prints them as a table or
// as one JSON object.
//
// The scenarios only speak standard RTMFP/Flash to the URL they are given
// (and to the peers that server introduces): they work against any RTMFP
// server. They use the Go Flash client of rtmfp/flash, except where one
// client per session would measure the bench host rather than the server:
// sessions (and the rendezvous mode of intro) use a swarm, many sessions
// sharing a few sockets (swarm.go), and intro's initiators use the rtmfp
// transport directly so that they can open and close a P2P session per
// iteration.
//
// Every loop is bounded in time and count; latencies go to fixed-memory
// histograms; errors are counted by kind.
//
// Server, EchoApp and cmd/benchserver are a load-test server (the Flash
// layer on the core model with a Go "echo" RPC and the per-address limits
// raised) for tests and for benchmarking without Lua.
package bench
