-- Root application (rtmfp://host/): accepts every client, logs connections
-- and answers client:echo(...) with its arguments.
--
-- Applications in sub-folders inherit these functions unless they define
-- their own (a folder without main.lua behaves exactly like this one).

function onStart(path)
	if path == "" then
		NOTE("root application started")
	end
end

function onConnection(client, ...)
	INFO("connection of ", client.id, " from ", client.address, " to '", client.path, "'")
	function client:echo(...)
		return ...
	end
end

function onDisconnection(client)
	INFO("disconnection of ", client.id)
end
