-- CreateConnection with a fresh account every 60 requests and the location rotating over
-- six us-east-1 codes, so no account exceeds 10 active connections per location (AWS's
-- quota, enforced by dxlocal). Each wrk thread draws from its own range of accounts.
-- Usage: wrk ... -s create_connection.lua URL -- <first account number>
package.path = debug.getinfo(1, "S").source:match("^@(.*/)") .. "?.lua;" .. package.path
local common = require("common")

local LOCATIONS = { "EqDC2", "CSVA1", "EqNY5", "EqAT1", "CSNY1", "DRAT1" }
local PER_ACCOUNT = 10 * #LOCATIONS
local threads = {}
local base = 0
local counter = 0

function setup(thread)
  thread:set("thread_no", #threads)
  threads[#threads + 1] = thread
end

function init(args)
  -- Room for 10^7 accounts (6 * 10^8 requests) per thread: ranges never overlap.
  thread_no = thread_no or 0
  base = tonumber(args[1] or "200000000000") + thread_no * 10000000
end

function request()
  local account = string.format("%012d", base + math.floor(counter / PER_ACCOUNT))
  local location = LOCATIONS[counter % #LOCATIONS + 1]
  local body = string.format(
    '{"location":"%s","bandwidth":"1Gbps","connectionName":"bench-%d-%d-%d"}',
    location, base, thread_no, counter)
  counter = counter + 1
  return wrk.format("POST", "/", common.headers(account, "CreateConnection"), body)
end

done = common.done
