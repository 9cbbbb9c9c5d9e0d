-- Cycles through prepared requests: a file of lines "account<TAB>operation<TAB>json body".
-- Usage: wrk ... -s replay.lua URL -- requests.tsv
package.path = debug.getinfo(1, "S").source:match("^@(.*/)") .. "?.lua;" .. package.path
local common = require("common")

local prepared = {}
local index = 0

function init(args)
  for line in io.lines(args[1]) do
    local account, operation, body = line:match("^([^\t]+)\t([^\t]+)\t(.*)$")
    if account then
      prepared[#prepared + 1] = wrk.format("POST", "/", common.headers(account, operation), body)
    end
  end
  assert(#prepared > 0, "no requests in " .. args[1])
  index = math.random(#prepared) - 1
end

function request()
  index = index % #prepared + 1
  return prepared[index]
end

done = common.done
