-- GETs spread over many files: project p{i/250}, name f{i%250} for i uniformly random in [0, N).
--   wrk -s get-many.lua URL -- N
local here = debug.getinfo(1, "S").source:sub(2):match("(.*/)") or "./"
dofile(here .. "report.lua")

function init(args)
  files = tonumber(args[1]) or 1000
  math.randomseed(12345 + (tid or 0) * 7919)
end

function request()
  local i = math.random(0, files - 1)
  return wrk.format("GET", string.format("/api/projects/p%d/prd/?name=f%d", math.floor(i / 250), i % 250))
end
