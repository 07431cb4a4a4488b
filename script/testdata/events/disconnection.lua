-- onDisconnection and onFailed (reference §2.1): when and in which order
-- they run, what the client object still offers.

events = {}
local function note(s) table.insert(events, s) end

function onConnection(client, name)
	client.name = name
	function client:onUnsubscribe(listener) note(self.name .. " unsubscribe " .. listener.publication.name) end
	function client:onUnpublish(pub) note(self.name .. " unpublish " .. pub.name) end
	function client:onUnjoinGroup(group) note(self.name .. " unjoin") end
	function client:quit()
		-- closing the main writer closes the session: onDisconnection runs
		-- at once, inside this call
		self.writer:close()
		note(self.name .. " after close")
	end
end

function onFailed(client, reason)
	note(client.name .. " failed: " .. reason)
	eq(mona.clients[client.id], nil, "unlisted before onFailed")
end

function onDisconnection(client)
	note(client.name .. " gone")
	eq(mona.clients[client.id], nil, "unlisted before onDisconnection")
	eq(clients[client.id], nil)
	eq(client.path, "")
	eq(#client.id, 64)
	-- writing to a gone client has no effect
	client.writer:writeInvocation("late", 1)
	client.writer:writeMessage("late")
	client.writer:writeRaw("late")
	eq(client.writer:flush(), false)
	eq(client.writer:newWriter(), nil)
end

function test(t)
	-- teardown order: subscriptions, publications, group memberships, then
	-- onDisconnection
	local a = t.connect("rtmfp://host/", "a")
	local pub = t.publish(a, "a-stream")
	assert(pub.ok)
	local sub = t.subscribe(a, "other")
	assert(sub.ok)
	t.join(a, string.rep("ab", 32))
	t.disconnect(a)
	eq(table.concat(events, "|"), "a unsubscribe other|a unpublish a-stream|a unjoin|a gone")
	eq(#a.take(), 0, "nothing written during onDisconnection")
	-- a second report of the same end is ignored
	t.disconnect(a)
	eq(#events, 4)

	-- a failed session: onFailed(client, reason), then onDisconnection
	events = {}
	local b = t.connect("rtmfp://host/", "b")
	t.fail(b, "Timeout no client message")
	eq(table.concat(events, "|"), "b failed: Timeout no client message|b gone")

	-- the server closes the session: writer:close() on the main writer
	events = {}
	local c = t.connect("rtmfp://host/", "c")
	eq(t.call(c, "quit"), nil, "no answer: the client is gone")
	eq(table.concat(events, "|"), "c gone|c after close")
	assert(c.isClosed())
	eq(#mona.clients, 0)

	-- a rejected client never gets onDisconnection
	events = {}
	t.writeFile("refuse/main.lua", "function onConnection() error('no') end")
	local r = t.tryConnect("rtmfp://host/refuse")
	assert(not r.accepted)
	t.disconnect(r)
	eq(#events, 0)
end
