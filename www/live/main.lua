-- Live streaming (rtmfp://host/live): anyone may play a stream; publishing
-- requires the publish token, given in the connection URL:
--     rtmfp://host/live?token=<token>
-- The token is the configuration value live.publish_token (config.toml:
-- [live] publish_token = "..."), or the environment variable
-- NIMBUS_LIVE_TOKEN. Without a token, publishing is refused.

local function publishToken()
	local token = mona.configs["live.publish_token"]
	if token == nil or token == "" then
		token = mona.environment.NIMBUS_LIVE_TOKEN
	end
	if token ~= nil and token ~= "" then
		return tostring(token)
	end
end

function onConnection(client)
	function client:onPublish(publication)
		local token = publishToken()
		if not token then
			error("publishing is disabled: no live.publish_token configured")
		end
		local given = client.properties("token")
		if given ~= token then
			error("invalid publish token for " .. publication.name)
		end
		INFO("live: ", client.id, " publishes ", publication.name)
	end

	function client:onUnpublish(publication)
		INFO("live: ", publication.name, " ended")
	end

	function client:onSubscribe(listener)
		INFO("live: ", client.id, " plays ", listener.publication.name)
	end

	-- The names of the running streams.
	function client:streams()
		local names = {}
		for name, publication in pairs(mona.publications) do
			if publication.running then
				names[#names + 1] = name
			end
		end
		table.sort(names)
		return names
	end
end
