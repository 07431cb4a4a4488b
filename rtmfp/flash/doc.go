// Package flash is the Flash layer of Nimbus on top of the RTMFP transport:
// NetConnection, NetStream and NetGroup as Flash Player speaks them over
// flows. It has two roles built on the same message codec (package
// message):
//
//   - Server maps RTMFP sessions onto the protocol-agnostic model of package
//     core. Each session with a NetConnection becomes a core client; its
//     flows become the client's writers, streams and group memberships; P2P
//     introductions are resolved by core and answered with Redirect and
//     Forwarded IHello.
//   - Client (Dial) is a small Flash-like API for Go programs and tests:
//     connect, call, server invocations, NetStream publish/play/send through
//     the server, direct peer-to-peer publish and play, and NetGroup joins.
//
// # Goroutines
//
// Session handlers run on the session's rtmfp event loop. The server side
// decodes there and posts requests to the core loop with the core entry
// points, in arrival order. Core calls the protocol objects (core.Conn,
// Writer, Subscriber, Publisher, GroupConn) on its loop; they encode the
// message there and hand it to the flow, whose Write is safe from any
// goroutine. The state shared by the two goroutines is small and guarded
// (atomics, or a mutex per stream).
//
// The client runs user callbacks (invocation handlers, onPeerConnect,
// status listeners) on one dispatch goroutine per client, never on a
// transport loop.
//
// # Media delivery
//
// A subscriber gets three flows per stream, as Cumulus does: the stream's
// control flow (status, user control, data messages; reliable), an audio
// flow and a video flow. Audio and video are sent unreliably with a
// deadline (Config.AudioDeadline, VideoDeadline: 1 s and 2 s by default: a
// live frame older than that is useless to a player, and giving it up frees
// the queue for newer ones). Codec configuration packets are always
// reliable. When the video flow holds more than Config.VideoQueueLimit
// bytes, or refuses a frame, non-key frames are dropped until the next
// keyframe gets through, so congestion costs delta frames first and a
// decoder never restarts on a delta frame; drops count in QoS
// DroppedFrames.
package flash
