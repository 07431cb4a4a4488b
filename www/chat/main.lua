-- P2P chat policy (rtmfp://host/chat).
--
-- A client connects with its user name as first argument:
--     nc.connect("rtmfp://host/chat", "alice")
-- then asks for the peer ID of another user and talks to it directly (P2P):
--     nc.call("lookup", responder, "bob")  -->  bob's peer ID, or nil
--     nc.call("users", responder)          -->  sorted list of user names
-- The server introduces only registered users of this application to each
-- other (onIntroduction is a Nimbus event; MonaServer always introduces).

users = {} -- user name -> client

-- After a reload the globals are new: find the users still connected.
for _, client in pairs(clients) do
	if client.userName then
		users[client.userName] = client
	end
end

local function validName(name)
	return type(name) == "string" and #name > 0 and #name <= 32 and name:match("^[%w_%-%.]+$") ~= nil
end

function onConnection(client, name)
	if not validName(name) then
		error("a user name (letters, digits, _ - .) is required")
	end
	if users[name] then
		error("the name '" .. name .. "' is taken")
	end
	users[name] = client
	client.userName = name
	INFO("chat: ", name, " joined")

	function client:lookup(other)
		local peer = users[other]
		if peer then
			return peer.id
		end
		return nil -- answer null rather than nothing
	end

	function client:users()
		local names = {}
		for n in pairs(users) do
			names[#names + 1] = n
		end
		table.sort(names)
		return names
	end
end

function onDisconnection(client)
	local name = client.userName
	if name and users[name] == client then
		users[name] = nil
		INFO("chat: ", name, " left")
	end
end

-- initiator is nil when the requester is not a connected client.
function onIntroduction(initiator, target)
	return initiator ~= nil
		and initiator.userName ~= nil and users[initiator.userName] == initiator
		and target.userName ~= nil and users[target.userName] == target
end
