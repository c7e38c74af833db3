-- GET one path (the URL's) repeatedly.
--   wrk -s get.lua URL
local here = debug.getinfo(1, "S").source:sub(2):match("(.*/)") or "./"
dofile(here .. "report.lua")
