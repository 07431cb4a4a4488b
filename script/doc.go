// Package script is the Lua application host of Nimbus: MonaServer (M1) and
// CumulusServer (CU) applications run unchanged on gopher-lua.
//
// # Application tree
//
// The www folder tree is the application tree. A URL path maps to a folder
// (reference §1.1, M1): "/" → www (root, path ""), "/a/b" → www/a/b (path
// "/a/b"); the query and trailing slashes are ignored; a missing folder is
// ErrNoApp; a folder without main.lua is a valid, empty application that
// inherits everything (M1 semantics, also used for Cumulus apps). Folder
// names starting with '.' are never applications.
//
// The root is loaded by Start; other applications on first use (resolution
// of a URL path, children("x/y"), Cumulus name lookup), ancestors first.
// Loading = compile main.lua, run it in the app's environment, then call
// onStart(path).
//
// All applications share one Lua state. Each has a global table (env) whose
// metatable chain falls back to a per-app layer (super, this, name, path,
// children, clients, data, require, dofile, loadfile), then to the parent's
// env, and finally to _G (standard libraries, mona/cumulus, log functions).
// Env metatables are protected.
//
// # Flavours
//
// Both APIs are served to every application wherever they do not conflict
// (mona and cumulus are the same object; collections answer pairs(c), #c,
// c:pairs(), c.count and c(key); writers have writeInvocation and
// writeAMFMessage; ...). Where they conflict the app's flavour decides:
// Cumulus apps get name-based access to other apps (a child folder name, the
// app's own folder name, "www" for the root), global publication events
// (onPublish(client, pub), ...), client:onManage and onManage in every app,
// and Cumulus error texts.
//
// The flavour of an app is, in order: the per-app override in the
// configuration; otherwise detected from main.lua's constants — the global
// `cumulus` without `mona` means Cumulus, `mona` without `cumulus` means
// MonaServer; failing that, Cumulus-only member names (writeAMFMessage,
// writeAMFResult, newFlowWriter, onReception, push*Packet, epochTime, ...)
// or MonaServer-only ones (writeInvocation, writeMessage, writeRaw,
// newWriter, onData, pushAudio, toJSON, ...) decide when only one kind
// appears; otherwise the parent's flavour (root: MonaServer).
//
// # Hot reload
//
// Every directory of www is watched (fsnotify; new directories are added as
// they appear). Changes are debounced (100 ms), main.lua is read and
// compiled off the loop, and the result is applied on the loop:
//   - compile error: logged as "file:line: message"; a running version is
//     kept (MonaServer would stop the app);
//   - otherwise onStop → every global of the app cleared → new main.lua run
//     → onStart. If the new main.lua raises an error while running, the old
//     globals are restored and the old onStart is called again (side effects
//     of the failed run, e.g. on data or mona, remain);
//   - main.lua deleted: onStop, globals cleared, the folder stays an empty
//     app; folder deleted: onStop on it and its loaded descendants, which are
//     forgotten.
//
// Connected clients stay connected; closures they hold keep working and see
// the refilled globals. Files included with require/dofile are not watched:
// touch main.lua to reload them. Without inotify (Options.NoWatch or watcher
// failure) main.lua's mtime is checked at most every 2 s when an app is used.
//
// # Isolation and restrictions
//
// Every call into Lua is protected: an error in any event is logged with the
// app path, file:line and the Lua stack, and the server keeps serving.
// Every event runs under a time budget (Options.Budget, config
// [limits] script_budget, default 1 s): a runaway script is interrupted with
// ErrBudgetExceeded, also inside pcall and coroutines. The budget covers Lua
// instructions only: a Go function blocked in a system call (io.read on
// stdin, io.popen, os.execute, a slow disk) cannot be interrupted — the whole
// loop waits for it, so scripts should not do blocking I/O.
//
// Available: base, package, table, string, math, os, io, coroutine, debug,
// bit (LuaJIT). Restricted, and why:
//   - os.exit raises an error: it would kill the server without shutdown
//     (NoDB writes in flight, clients not told);
//   - print writes to the server log (INFO) instead of stdout;
//   - gopher-lua's channel library is not opened: scripts must not reach
//     other goroutines;
//   - debug.sethook does not exist in gopher-lua (hence the time budget);
//   - there is no per-script memory limit (gopher-lua has none; SetMx would
//     exit the process).
//
// Lua 5.2 / LuaJIT compatibility added to gopher-lua (Lua 5.1): table.pack,
// table.unpack, the bit module, string.format following C/Lua semantics (%s
// honours __tostring, numeric strings are coerced, %g has C's precision,
// %q quotes like Lua), math.huge = +inf, pairs/ipairs/next that iterate
// collections and honour __pairs/__ipairs. gopher-lua already honours
// __len for # on tables. Scripts (main.lua and what require, dofile and
// loadfile read; not loadstring) may use LuaJIT's string escapes \xHH and
// \z, and are compiled around two gopher-lua compiler bugs in assignments
// (a call assigned to a function's last parameter, as in
// s = (s:gsub(...)); a name and a field assigned from locals in one
// statement). Not reproduced: LuaJIT's table iteration order, and the
// %f frontier pattern (gopher-lua matches nothing).
//
// # Events and objects
//
// Host implements core.Events (Attach it to the core.Server it serves;
// OnStart loads the root app, OnStop stops every app). Events of reference
// §2: onStart, onStop, onConnection (error() rejects; a returned table adds
// members to the connect response and to client.parameters),
// onDisconnection, RPC as client:<name>(...) (writer:writeMessage inside an
// RPC answers it), client:onPublish/onUnpublish/onSubscribe/onUnsubscribe
// (false or error() refuses), client:onJoinGroup/onUnjoinGroup,
// client:onAddressChanged, publication:onAudio/onVideo/onData/onProperties/onFlush,
// onHandshake, onRendezVousUnknown (root), onManage (root; Cumulus: every
// app's own, client:onManage, writer:onManage), onTypedObject. Cumulus
// apps get the global forms onPublish(client, pub), onUnpublish,
// onSubscribe(client, listener), onUnsubscribe, onJoinGroup, onUnjoinGroup,
// onAudioPacket/onVideoPacket(client, pub, time, data),
// onDataPacket(client, pub, name, data) when the client defines no member
// event of that name.
//
// Nimbus extension: onIntroduction(initiator, target, address), resolved in
// the target's app, may return false to refuse a P2P introduction
// (initiator is nil when the requester is not a connected client).
//
// Objects: client (userdata; fields set by scripts are kept per client),
// writer (both writeInvocation/writeMessage and writeAMFMessage/
// writeAMFResult, writeRaw, writeStatusResponse, flush, newWriter/
// newFlowWriter, close, reliable, qos), publication (mona:publish, push*,
// writeProperties, clearProperties, flush, close, listeners, QoS,
// properties), listener, group, QoS objects (refreshed on read; fields set
// by scripts are kept), SocketAddress (Cumulus apps get "ip:port"
// strings), collections (mona.clients, mona.publications, mona.groups, app
// clients, children, group.members, publication.listeners,
// client.properties/parameters, listener.parameters, mona.configs,
// mona.environment, mona.arguments).
//
// Administration: mona:addToBlacklist(ip...) / removeFromBlacklist(ip...)
// ban IPs (a port is accepted and ignored; a bad address raises an error
// naming it): the protocols drop their datagrams before any handshake work
// and the clients connected from them are disconnected. mona:joinGroup(
// peerId, groupId) (Cumulus: cumulus.groups:join) adds a virtual NetGroup
// member, announced to the group's clients like a member of this server;
// it leaves on member:release(), when its app stops or reloads, or when the
// collector reclaims an unreferenced member. onFailed(client, error) is
// called before onDisconnection when a session failed (idle timeout:
// "Timeout no client message"; a client that stopped acknowledging).
//
// Differences from MonaServer: objects other than virtual members are not
// closed by the garbage collector — writers from newWriter close with their
// client, script publications with publication:close() or when the app
// that created them stops or reloads. Not provided (they raise "not
// supported"): sendMail, IP/SocketAddress constructors;
// mona.servers is an empty collection (no peer servers; servers:broadcast
// does nothing); the Cumulus 2012 form onConnection(client, response, ...)
// is not supported.
//
// Recording: mona:createMediaWriter(format) ("mp2t", any case, for MPEG-TS;
// anything else FLV) returns a writer whose write(track, time, packet)
// (track 1 audio, 2 video; the packet as given to publication:onAudio/
// onVideo) returns the container bytes, headers first, or "" (codec
// configurations; packets the container cannot carry, logged once per
// writer and kind). MPEG-TS carries H.264, AAC and MP3 (package core/media).
//
// # Sockets
//
// mona:createTCPClient, createTCPServer and createUDPSocket (reference
// §4.10) never block the loop: dialing, reading and writing run on
// goroutines that post to it, and every event is a protected call under the
// budget. TCP client: connect(host, port | "host:port") starts an attempt
// (M1 true, CU nil; a failure arrives as onDisconnection — M1 with the
// error text as 2nd argument, CU with self.error set); send(data) → nil or
// an error text; disconnect() sends what was queued, closes and calls
// onDisconnection; connected, address, peerAddress (M1 SocketAddress, CU
// strings, nil when disconnected), idleTime, error. Reception calls
// onData(data) → bytes consumed (nil: all) or onReception(data) → bytes
// left (nil/0: none); the handler is called again while it consumes and
// bytes remain; when both are defined the flavour decides. A peer is
// disconnected once 1 MiB stays unconsumed; at most 1 MiB may wait to be
// sent. TCP server: start(port | "ip:port" | ip, port) → boolean (IP
// literals only: a name lookup would block), stop(), running, address,
// port; events onConnection(client) (M1) / clientHandler(client) (CU); a
// server with neither closes its connections. UDP: bind, connect (default
// destination, and only that peer is heard), disconnect, send(data[, host,
// port | "ip:port"]) (unbound sockets bind to the wildcard first), close,
// address, peerAddress; events onPacket(data, "ip:port") (M1) /
// onReception(data, "ip:port") (CU); the broadcast flag is ignored and
// packets are dropped while 1 MiB waits for the loop.
//
// Sockets are not closed by the garbage collector: they close, without
// events, when the app that created them stops or reloads, and when the
// host closes (Close waits for their goroutines).
//
// # Concurrency
//
// The host has no goroutine of its own that touches Lua. Every method is
// called on the owner goroutine (the core loop); the watcher, the socket
// goroutines and the budget watchdog only post functions through
// Options.Post or close a channel.
package script
