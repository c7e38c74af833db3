-- Durable saves: every request carries distinct content, so each is a real commit. Even-numbered
-- requests of a wrk thread save the one shared file bench/prd/shared.json; odd-numbered ones save one of
-- FILES other files (bench/prd/f0..f{FILES-1}.json), chosen round-robin per thread.
--   wrk -s post.lua URL -- NONCE [CONTENT_BYTES] [FILES] [PROJECT]
local here = debug.getinfo(1, "S").source:sub(2):match("(.*/)") or "./"
dofile(here .. "report.lua")

function init(args)
  nonce = args[1] or "run"
  local bytes = tonumber(args[2]) or 1024
  files = tonumber(args[3]) or 1000
  project = args[4] or "bench"
  path = "/api/projects/" .. project .. "/prd/"
  local sentence = "The product must let planners compare revisions quickly. "
  filler = string.rep(sentence, math.max(1, math.floor(bytes / #sentence)))
  counter = 0
  tid = tid or 0
  headers = { ["Content-Type"] = "application/json" }
end

function request()
  counter = counter + 1
  local name
  if counter % 2 == 0 then
    name = "shared"
  else
    name = string.format("f%d", (tid * 7919 + counter) % files)
  end
  local body = string.format(
    '{"name":"%s","content":"# PRD %s\\n\\nrevision %s-%d-%d\\n\\n%s\\n","metadata":{"prd_id":%d},"updated_by":"writer%d"}',
    name, name, nonce, tid, counter, filler, tid, tid)
  return wrk.format("POST", path, headers, body)
end
