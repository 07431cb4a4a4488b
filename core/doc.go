// Package core is the protocol-agnostic server model of Nimbus: clients,
// writers, publications and their listeners, NetGroups, and the peer
// directory used for rendezvous. Protocols (package rtmfp) feed it requests;
// applications (package script, or a Go implementation in tests) decide what
// happens through the Events interface.
//
// # Concurrency
//
// One goroutine, the core loop (Server.Run), owns every mutable object of the
// model and is the only goroutine that calls Events. The script host's Lua
// state is therefore touched only from the core loop.
//
//   - Methods of Server documented "safe from any goroutine" are the entry
//     points for protocols: they enqueue a request (a closure) on the loop's
//     bounded queue and return at once. When the queue is full, control
//     requests shed the client that sent them and media packets are dropped
//     and counted (see Stats).
//   - Everything else (fields and methods of Client, Publication, Listener,
//     Group, and the Server methods documented "loop only") must be used on the
//     core loop: from Events methods, or from a function passed to Post.
//   - Core calls protocol objects (Conn, Writer, Subscriber, Publisher,
//     GroupConn) on the loop. Implementations must not block: they hand the
//     work to the goroutine that owns the session (e.g. an rtmfp event loop).
//
// Ordering: a protocol posts a client's requests from the single goroutine
// that owns that client's session, in arrival order, and the queue is FIFO,
// so a client's requests reach Events in the order the client sent them.
package core
