-- Cirrus-style relay (rtmfp://host/relay): a client calls
--     nc.call("relay", null, peerId, arg1, arg2, ...)
-- and the server invokes onRelay(senderId, arg1, arg2, ...) on the client
-- whose peer ID is peerId (64 hex characters). Useful when peers cannot
-- reach each other directly.

function onConnection(client)
	function client:relay(peerId, ...)
		if type(peerId) ~= "string" then
			error("relay: a peer id is expected")
		end
		local target = mona.clients(peerId)
		if not target then
			error("relay: peer " .. peerId .. " is not connected")
		end
		target.writer:writeInvocation("onRelay", client.id, ...)
	end
end
