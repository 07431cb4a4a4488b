-- flavour: cumulus
-- Cumulus application tree (reference §1.3, §1.4): applications reached by
-- folder name, "www" for the root, lazy loading by name lookup.

rootMark = "root"

function test(t)
	t.writeFile("Games/main.lua", "gamesMark = true\nfunction who() return Games, www end")
	t.writeFile("Games/myGame/main.lua", "function who() return myGame, Games, www end\nfunction reach() return Other end")
	t.writeFile("Other/main.lua", "function reach() return Games.myGame end")

	-- an unknown name that matches a child folder loads that application
	eq(children.Games, nil, "not loaded yet")
	local games = Games
	eq(games.path, "/Games")
	eq(games.gamesMark, true)
	eq(children.Games, games)

	-- inside an application: its own name, its parent's, the root's "www"
	local g = games.myGame
	local me, parent, root = g.who()
	eq(me, g); eq(parent, games); eq(root, this)
	eq(www, this)
	-- from anywhere: a path of names
	eq(Other.reach(), g)
	-- lookups go up the parents: the root's children are visible everywhere
	eq(g.reach(), Other)
	-- globals still inherit
	eq(g.rootMark, "root")

	-- a client of a sub-application
	local h = t.connect("rtmfp://host/Games/myGame")
	eq(h.client.path, "/Games/myGame")
	eq(#g.clients, 1)
end
